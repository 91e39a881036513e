"""
Bundled example datasets.

raremin ships small datasets to try the library on and to test it with. They are read
from the installed package (or from the ``datasets/`` folder of a source checkout); no
network access is ever made.

* :func:`load_kuirektykol`: a **SYNTHETIC** drillhole dataset (collars, surveys, assays,
  desurveyed samples, two zone outlines) calibrated to the few public figures about the
  Kuirektykol rare-earth discovery in the Karaganda region of Kazakhstan. **The
  drillholes, assays and outlines are invented; they are not measurements.** The
  location is approximate (no coordinates have been published).
* :func:`dataset_path`: the folder holding a dataset's files, its ``README.md`` (schema,
  units and provenance) and the ``generate.py`` script that made them.

Grades are element-basis concentrations in ppm (``la_ppm`` ... ``lu_ppm``, ``y_ppm``);
coordinates are metres in WGS 84 / UTM zone 43N (EPSG:32643), elevation up.

Examples
--------
>>> from raremin.datasets import load_kuirektykol
>>> data = load_kuirektykol()   # SYNTHETIC data
>>> data.metadata["synthetic"]
True
>>> sorted(data.zones["zone"])
['Dos 2', 'Irgiz']
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj

from .errors import CRSError, InputError, RareminError

__all__ = [
    "DATASETS",
    "KUIREKTYKOL_GRADE_COLUMNS",
    "KuirektykolData",
    "dataset_path",
    "load_kuirektykol",
]

#: Names of the bundled datasets, as accepted by :func:`dataset_path`.
DATASETS: tuple[str, ...] = ("kuirektykol",)

#: The 15 element-basis grade columns (ppm) of the Kuirektykol assays and samples,
#: La to Lu (without Pm) and Y. Their sum is TREE.
KUIREKTYKOL_GRADE_COLUMNS: tuple[str, ...] = (
    "la_ppm", "ce_ppm", "pr_ppm", "nd_ppm", "sm_ppm", "eu_ppm", "gd_ppm", "tb_ppm",
    "dy_ppm", "ho_ppm", "er_ppm", "tm_ppm", "yb_ppm", "lu_ppm", "y_ppm",
)  # fmt: skip

_BUNDLED_PACKAGE = "raremin._bundled"
_SOURCE_ROOT = Path(__file__).resolve().parents[1] / "datasets"

_FLOAT = "float64"
_COLLAR_DTYPES = {"hole_id": str, "easting_m": _FLOAT, "northing_m": _FLOAT,
                  "elevation_m": _FLOAT, "length_m": _FLOAT}
_SURVEY_DTYPES = {"hole_id": str, "depth_m": _FLOAT, "azimuth_deg": _FLOAT, "dip_deg": _FLOAT}
_INTERVAL_DTYPES = {"hole_id": str, "from_m": _FLOAT, "to_m": _FLOAT}
_GRADE_DTYPES = dict.fromkeys(KUIREKTYKOL_GRADE_COLUMNS, _FLOAT)
_ASSAY_DTYPES = {**_INTERVAL_DTYPES, **_GRADE_DTYPES}
_SAMPLE_DTYPES = {**_INTERVAL_DTYPES, "easting_m": _FLOAT, "northing_m": _FLOAT,
                  "elevation_m": _FLOAT, "zone": str, **_GRADE_DTYPES}


def _bundled_folder(name: str) -> Path | None:
    """The dataset folder inside the installed package, or None in a source checkout."""
    try:
        root = resources.files(_BUNDLED_PACKAGE)
    except ModuleNotFoundError:
        return None
    folder = root.joinpath(name)
    if isinstance(folder, Path):
        return folder
    # A namespace package may give a multiplexed path: use its directory on disk.
    spec = importlib.util.find_spec(_BUNDLED_PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        return Path(location) / name
    return None  # pragma: no cover - zipped installs are not supported


def dataset_path(name: str = "kuirektykol") -> Path:
    """
    Folder holding the files of a bundled dataset.

    The files are read from the installed package (``raremin._bundled``) and, when
    running from a source checkout, from its top-level ``datasets/`` folder.

    Parameters
    ----------
    name : str, default "kuirektykol"
        Dataset name, one of :data:`DATASETS` (case-insensitive).

    Returns
    -------
    pathlib.Path
        The dataset's folder. It contains the data files, a ``README.md`` with the
        schema, units and provenance, and the ``generate.py`` script that wrote them.

    Raises
    ------
    InputError
        If `name` is not a bundled dataset.
    FileNotFoundError
        If the dataset's folder is missing (a broken installation).

    Examples
    --------
    >>> from raremin.datasets import dataset_path
    >>> folder = dataset_path("kuirektykol")
    >>> (folder / "README.md").is_file()
    True
    >>> dataset_path("meuse")
    Traceback (most recent call last):
    ...
    raremin.errors.InputError: unknown dataset 'meuse'; bundled datasets: 'kuirektykol'
    """
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in DATASETS:
        known = ", ".join(repr(d) for d in DATASETS)
        raise InputError(f"unknown dataset {name!r}; bundled datasets: {known}")
    folder = _bundled_folder(key)
    if folder is None or not folder.is_dir():
        folder = _SOURCE_ROOT / key
    if not folder.is_dir():
        raise FileNotFoundError(
            f"the files of dataset {key!r} were not found (looked in package "
            f"{_BUNDLED_PACKAGE!r} and in {folder}); reinstall raremin"
        )
    return folder


@dataclass(frozen=True, eq=False, repr=False)
class KuirektykolData:
    """
    The SYNTHETIC Kuirektykol dataset, as returned by :func:`load_kuirektykol`.

    **SYNTHETIC: the holes, assays and zone outlines are invented**, calibrated to public
    figures (see `metadata` and the dataset's ``README.md``). Do not quote them as data
    about the real deposit.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        One polygon per zone (``zone`` = "Irgiz", "Dos 2") with ``top_elevation_m``,
        ``bottom_elevation_m`` (units: m), ``density_t_m3`` (units: t/m3) and
        ``target_tree_t`` (units: t of TREE, element basis; the calibration target).
    explored_area : geopandas.GeoDataFrame
        The explored area (64.2 km2) as one polygon.
    collars : pandas.DataFrame
        ``hole_id``, ``easting_m``, ``northing_m``, ``elevation_m``, ``length_m``
        (units: m).
    surveys : pandas.DataFrame
        ``hole_id``, ``depth_m`` (units: m, along the hole), ``azimuth_deg`` (clockwise
        from north) and ``dip_deg`` (negative downwards; -90 is vertical).
    assays : pandas.DataFrame
        ``hole_id``, ``from_m``, ``to_m`` (units: m along the hole) and the 15 grade
        columns :data:`KUIREKTYKOL_GRADE_COLUMNS` (units: ppm, element basis).
    samples : pandas.DataFrame
        One row per assay interval: ``hole_id``, ``from_m``, ``to_m``, the interval
        midpoint ``easting_m``, ``northing_m``, ``elevation_m`` (units: m; minimum
        curvature desurvey), ``zone`` (zone name, or ``""`` outside every zone) and the
        15 grade columns (units: ppm, element basis).
    metadata : dict
        Contents of ``metadata.json``: ``synthetic`` (True), ``crs``, ``basis``,
        ``grade_unit``, ``seed``, ``calibration``, ``public_facts``, ``invented``,
        ``location_note`` and generation details.
    crs : pyproj.CRS
        The CRS of every coordinate: WGS 84 / UTM zone 43N (EPSG:32643).

    Examples
    --------
    >>> from raremin.datasets import load_kuirektykol
    >>> data = load_kuirektykol()
    >>> data
    KuirektykolData(SYNTHETIC; zones ['Irgiz', 'Dos 2'], 89 holes, 9362 samples, EPSG:32643)
    """

    zones: gpd.GeoDataFrame
    explored_area: gpd.GeoDataFrame
    collars: pd.DataFrame
    surveys: pd.DataFrame
    assays: pd.DataFrame
    samples: pd.DataFrame
    metadata: dict[str, Any]
    crs: pyproj.CRS

    def __repr__(self) -> str:
        zones = list(self.zones["zone"])
        return (f"KuirektykolData(SYNTHETIC; zones {zones}, {len(self.collars)} holes, "
                f"{len(self.samples)} samples, EPSG:{self.crs.to_epsg()})")


def _read_csv(path: Path, dtypes: dict[str, Any]) -> pd.DataFrame:
    """Read a bundled CSV with fixed dtypes; empty text stays ``""`` (never NaN)."""
    frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[])
    if list(frame.columns) != list(dtypes):
        raise RareminError(
            f"{path.name} has columns {list(frame.columns)}, expected {list(dtypes)}; "
            "the bundled files are damaged: reinstall raremin"
        )
    return frame


def _read_polygons(path: Path, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    frame = gpd.read_file(path)
    if frame.crs is None:
        frame = frame.set_crs(crs)
    elif not pyproj.CRS(frame.crs).equals(crs):
        raise CRSError(f"{path.name} is in {frame.crs}, expected {crs.to_string()}")
    return frame


def load_kuirektykol() -> KuirektykolData:
    """
    Load the bundled **SYNTHETIC** Kuirektykol rare-earth drillhole dataset.

    .. warning::
       **SYNTHETIC DATA.** Every hole, assay and outline is invented. The dataset is
       calibrated to public figures about the Kuirektykol discovery (Karaganda region,
       Kazakhstan; sources in ``metadata["public_facts"]``): an explored area of
       64.2 km2, two zones Irgiz and Dos 2, mean grades just above 0.1 % total rare
       earths with samples up to about 0.25 %, Ce, La, Nd and Y the main elements, and
       about 0.80 Mt (Irgiz) and 0.94 Mt (deposit) of rare-earth metals, taken as
       element basis (TREE = La-Lu + Y; oxide basis would be roughly 17-23 % higher).
       The location is approximate: no coordinates have been published.

    Returns
    -------
    KuirektykolData
        Frozen container of the zones and explored area (GeoDataFrames in EPSG:32643),
        the collars, surveys, assays and samples (DataFrames with ``hole_id`` as text
        and lengths, coordinates and grades as float64), the metadata (dict) and the
        CRS (:class:`pyproj.CRS`). Grades are element-basis ppm.

    See Also
    --------
    dataset_path : the folder with the files, their README and generator.

    Notes
    -----
    Sample coordinates are interval midpoints desurveyed by minimum curvature: between
    survey stations with unit directions t1 and t2, dogleg ``beta = arccos(t1 . t2)``
    and ratio factor ``RF = (2 / beta) tan(beta / 2)``, the displacement is
    ``(MD2 - MD1) / 2 * (t1 + t2) * RF``; a point within the segment uses the same
    formula on the sub-arc to the spherically interpolated direction.

    Examples
    --------
    >>> from raremin.datasets import KUIREKTYKOL_GRADE_COLUMNS, load_kuirektykol
    >>> data = load_kuirektykol()
    >>> data.metadata["synthetic"], data.crs.to_epsg()
    (True, 32643)
    >>> list(data.zones["zone"])
    ['Irgiz', 'Dos 2']
    >>> data.samples.columns[:7].tolist()
    ['hole_id', 'from_m', 'to_m', 'easting_m', 'northing_m', 'elevation_m', 'zone']

    Contained TREE in Irgiz from area x thickness x density x mean sample grade:

    >>> tree_ppm = data.samples[list(KUIREKTYKOL_GRADE_COLUMNS)].sum(axis=1)
    >>> irgiz = data.zones.set_index("zone").loc["Irgiz"]
    >>> thickness_m = irgiz["top_elevation_m"] - irgiz["bottom_elevation_m"]
    >>> mean_ppm = tree_ppm[data.samples["zone"] == "Irgiz"].mean()
    >>> tonnes = irgiz.geometry.area * thickness_m * irgiz["density_t_m3"] * mean_ppm / 1e6
    >>> round(float(tonnes) / 1e6, 2)  # Mt of rare-earth metals (target: 0.80)
    0.8
    """
    folder = dataset_path("kuirektykol")
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    crs = pyproj.CRS.from_user_input(metadata["crs"])
    zones = _read_polygons(folder / "zones.geojson", crs)
    zones["zone"] = zones["zone"].astype(str)
    explored = _read_polygons(folder / "explored_area.geojson", crs)
    return KuirektykolData(
        zones=zones,
        explored_area=explored,
        collars=_read_csv(folder / "collars.csv", _COLLAR_DTYPES),
        surveys=_read_csv(folder / "surveys.csv", _SURVEY_DTYPES),
        assays=_read_csv(folder / "assays.csv", _ASSAY_DTYPES),
        samples=_read_csv(folder / "samples.csv", _SAMPLE_DTYPES),
        metadata=metadata,
        crs=crs,
    )
