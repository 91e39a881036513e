"""
The project file: one TOML file that holds a whole assessment, checked key by key.

:func:`load_project` reads the file and checks every key before any data is read: an
unknown key (with the closest allowed one), a value of the wrong type or out of range, a
data file that does not exist or an unset environment variable ends with one
:class:`ProjectError` on one line, naming the key (``estimation.zones.Main.search``),
the value and what is allowed. The :class:`Project` it returns then builds the deposit
(:meth:`Project.deposit`), prepares the samples (:meth:`Project.prepare`) and gives
the options of :func:`raremin.workflow.assess` (:meth:`Project.assess_options`);
:meth:`Project.run` does all three. :func:`template` is a commented file with every key.

Schema (defaults in brackets; ``|`` separates the allowed forms)

* ``[project]`` ``name`` [file name]; ``crs``: ``"EPSG:26912"`` | ``26912`` |
  ``"local"`` (a mine grid in metres), required, projected; ``out`` ["raremin-output"].
* ``[data]`` ``samples`` (a table with coordinates) | ``collars``, ``surveys``,
  ``assays`` (drillhole exports); ``crs`` [project crs] (reprojected when it differs);
  ``delimiter``, ``decimal``, ``encoding`` [detected]; drillholes only:
  ``length_unit`` "m" | "ft", ``coordinate_unit`` "m" | "ft" | "us_ft",
  ``dip_convention`` ["auto"], ``default_dip`` (deg, -90 to 90).
  ``[data.columns]`` raremin column = your column (keys of
  :data:`raremin.readers.ALIASES`), or one table per file
  (``[data.columns.collars]``...). ``[data.grades]`` your column = grade name
  (``"Au_FA_ppm" = "au_ppm"``).
* ``[assays]`` ``below_detection`` ["half"]: a policy of
  :data:`raremin.assays.BELOW_DETECTION_POLICIES`; ``missing_codes``
  [-99, -999, -9999, -99999].
* ``[composites]`` (drillholes only) ``length_m`` ["auto"]: m > 0 | "auto" | "none";
  ``residual`` ["merge"]: "merge" | "keep" | "drop"; ``zone_aware`` [true].
* ``[topcuts]`` grade name = cap > 0 in the grade's unit (``cu_pct = 5.0``).
* ``[zones]`` ``file`` (GeoPackage, GeoJSON, shapefile; optional ``zone_column``,
  ``top_column``, ``bottom_column``, ``density_column``, ``density_t_m3``) | one
  ``[[zones.zone]]`` table per zone: ``name``, ``density_t_m3`` and one shape: a prism
  (``polygon`` ([[x, y], ...], m) | ``bounds`` ([xmin, ymin, xmax, ymax], m), ``top_m``,
  ``bottom_m``), a closed solid (``mesh`` = STL, OBJ, PLY, OFF or DXF file; ``unit``
  ["m"] | "ft"), or a layer (``bottom_surface`` and ``top_surface`` = x/y/z grid, ESRI
  ASCII grid, GeoTIFF or triangulated surface files; optional ``polygon`` | ``bounds``
  footprint). ``topography`` (a surface file) removes the air above it from every zone.
  Zones are in the project's CRS (a file's own CRS must agree). Mesh and surface files
  are read by :meth:`Project.deposit`.
* ``[estimation]`` ``estimator`` ["kriging"] | "idw"; ``block_size_m``
  [[25, 25, 10]]: m, one number or three; ``grades`` [all]; ``max_per_hole`` [none];
  ``negative_estimates`` ["zero"] | "keep" | "error"; ``seed`` [0]; ``max_blocks``
  [20,000,000]; ``simulate`` [0]: realisations of the cut-off grade for P90/P50/P10;
  ``discretisation`` [[2, 2, 1]]: points simulated per block and axis.
  ``[estimation.zones.<zone>]`` ``variogram`` ["auto"] | a table
  ``{nugget, structures = [{shape, sill, ranges, angles}]}``; ``search`` ["auto"] | a
  table ``{max_samples, min_samples, ranges, angles, radius, max_per_octant}``.
* ``[classification]`` (optional: classes and a resource statement) ``rules =
  "default"`` | tables ``[classification.measured]``, ``.indicated``, ``.inferred`` of
  thresholds (the parameters of :class:`raremin.classification.Criteria`:
  ``max_spacing_m``, ``min_slope``...) and ``combine``, ``spacing_window_m``,
  ``spacing_shape``, ``spacing_half_height_m``.
* ``[report]`` ``cutoff_grade`` (``"cu_pct"``) [TREO with rare earths, else the first
  grade]; ``cutoffs`` [from the data]; ``basis`` ["oxide"]; ``unit`` ["pct"];
  ``baskets`` [treo, lreo, hreo, mreo, ndpr, creo]; ``code`` ["jorc"] | "ni 43-101" |
  "kazrc"; ``statement_cutoffs`` [the lowest positive cut-off]; ``prices`` [none] |
  "default" | a CSV price table (:func:`raremin.economics.read_prices`).

Paths are relative to the project file's folder; ``${VAR}``, ``$VAR`` and ``~`` are
expanded. The zone names of ``[estimation.zones]`` are checked at load time for zones
written in the file, by :meth:`Project.deposit` for zones read from a file.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from raremin.config import ProjectError, load_project
>>> text = '[project]\\ncrs = "local"\\n[data]\\nsamples = "s.csv"\\n[zones]\\nfile = "z.gpkg"\\n'
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "project.toml"
...     _ = path.write_text(text.replace("crs", "crss", 1))
...     try:
...         load_project(path)
...     except ProjectError as err:
...         message = str(err)
>>> message.split(": ", 1)[1]
"unknown key project.crss; did you mean 'crs'? Allowed keys in [project]: crs, name, out"
"""

from __future__ import annotations

import codecs
import dataclasses
import difflib
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import shapely

from ._tomlcheck import Paths as _Paths
from ._tomlcheck import bad as _bad
from ._tomlcheck import boolean as _boolean
from ._tomlcheck import check_keys as _check_keys
from ._tomlcheck import check_table as _table
from ._tomlcheck import choice as _choice
from ._tomlcheck import dotted as _key
from ._tomlcheck import integer as _integer
from ._tomlcheck import number as _number
from ._tomlcheck import numbers as _numbers
from ._tomlcheck import positive as _positive
from ._tomlcheck import read as _read
from ._tomlcheck import string as _string
from ._tomlcheck import wrap as _wrap
from .analytes import parse_analyte
from .assays import BELOW_DETECTION_POLICIES, DEFAULT_MISSING_CODES
from .deposit import Deposit, Zone, as_crs, check_projected, check_zones_apart, crs_label
from .drillholes import RESIDUAL_RULES
from .errors import InputError, ProjectError
from .geostats.models import Structure, VariogramModel
from .geostats.neighbourhood import Neighbourhood
from .grid import MAX_BLOCKS
from .readers import ALIASES, COORDINATE_UNITS, DIP_CONVENTIONS

if TYPE_CHECKING:
    from .preparation import Preparation
    from .workflow import Assessment

__all__ = ["SECTIONS", "Project", "ProjectError", "load_project", "template"]

#: The sections of a project file.
SECTIONS: tuple[str, ...] = ("project", "data", "assays", "composites", "topcuts", "zones",
                             "estimation", "classification", "report")

_TABLES = ("collars", "surveys", "assays")
_KINDS = {"collars": "collars", "surveys": "surveys", "assays": "intervals",
          "intervals": "intervals", "samples": "samples"}
_DRILLHOLE_ONLY = ("length_unit", "coordinate_unit", "dip_convention", "default_dip")
_ZONE_FILES = (".gpkg", ".geojson", ".json", ".shp")
_MISSING = object()


def _grade_name(value: Any, key: str) -> str:
    spec = parse_analyte(value) if isinstance(value, str) else None
    if spec is None:
        raise _bad(key, value, "expected a grade name with its unit, such as \"cu_pct\", "
                   "\"au_gpt\", \"nd2o3_ppm\" or \"treo_pct\"")
    return spec.name


def _crs(value: Any, key: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _bad(key, value, 'expected "EPSG:<code>", an EPSG number or "local"')
    try:
        return as_crs(value)
    except InputError as err:
        raise _wrap(key, err) from None


# ------------------------------------------------------------------------- sections
def _data(raw: Any, paths: _Paths) -> dict[str, Any]:
    raw = _table(raw, "data", ("samples", *_TABLES, "crs", "delimiter", "decimal",
                               "encoding", *_DRILLHOLE_ONLY, "columns", "grades"))
    given = [t for t in _TABLES if t in raw]
    if "samples" in raw and given:
        raise ProjectError(f"data: give either samples or collars, surveys and assays, not "
                           f"both (found samples and {', '.join(given)})")
    if "samples" not in raw and len(given) < 3:
        missing = [t for t in _TABLES if t not in raw]
        raise ProjectError(f"data.{missing[0]} is missing: give samples = \"<file>\" (samples "
                           f"with coordinates), or collars, surveys and assays (drillholes)")
    kind = "samples" if "samples" in raw else "drillholes"
    if kind == "samples":
        wrong = [k for k in _DRILLHOLE_ONLY if k in raw]
        if wrong:
            raise ProjectError(f"data.{wrong[0]} applies to drillhole exports (collars, "
                               f"surveys, assays); this project reads samples: remove it")
    out: dict[str, Any] = {"kind": kind, "files": {}}
    for name in ("samples", *_TABLES):
        if name in raw:
            out["files"][name] = paths(raw[name], _key("data", name))
    spec: dict[str, tuple[Callable[[Any, str], Any], Any]] = {
        "crs": (_crs, None), "delimiter": (_delimiter, None),
        "decimal": (_choice((".", ",")), None), "encoding": (_encoding, None),
        "length_unit": (_choice(("m", "ft")), None),
        "coordinate_unit": (_choice(tuple(COORDINATE_UNITS)), None),
        "dip_convention": (_choice(DIP_CONVENTIONS), "auto"),
        "default_dip": (lambda v, k: _number(v, k, low=-90.0, high=90.0), None)}
    out.update(_check_keys({k: v for k, v in raw.items() if k in spec}, "data", spec))
    out["columns"] = _columns(raw.get("columns", {}), kind)
    grades = _table(raw.get("grades", {}), "data.grades", raw.get("grades", {}))
    seen: dict[str, Any] = {}
    out["grades"] = {}
    for col, value in grades.items():
        key = _key("data.grades", col)
        name = _grade_name(value, key)
        if name in seen:
            raise ProjectError(f"{key}: {seen[name]!r} is already mapped to {name}; map one "
                               f"column per grade")
        seen[name] = col
        out["grades"][_string(col, key)] = value.strip()
    return out


def _delimiter(value: Any, key: str) -> str:
    if isinstance(value, str) and value.lower() in ("tab", "\t", "\\t"):
        return "\t"
    if not isinstance(value, str) or len(value) != 1 or value in "\"\r\n":
        raise _bad(key, value, 'expected one character such as ",", ";", "|" or "tab"')
    return value


def _encoding(value: Any, key: str) -> str:
    try:
        return codecs.lookup(_string(value, key)).name
    except LookupError:
        raise _bad(key, value, 'expected a text encoding such as "utf-8" or "latin-1"') from None


def _columns(raw: Any, kind: str) -> dict[str, Any]:
    """raremin column -> user column, flat or one table per file."""
    tables = ("samples",) if kind == "samples" else ("collars", "surveys", "assays",
                                                     "intervals")
    names = (ALIASES["samples"] if kind == "samples" else
             {k: 0 for t in ("collars", "surveys", "intervals") for k in ALIASES[t]})
    raw = _table(raw, "data.columns", [*names, *tables])
    nested = [k for k, v in raw.items() if isinstance(v, dict)]
    if nested and len(nested) != len(raw):
        flat = next(k for k in raw if k not in nested)
        raise ProjectError(f"data.columns mixes one table per file ({nested[0]}) with a "
                           f"column for every file ({flat}); use one form")
    if nested:
        return {t: {col: _string(v, _key("data.columns", t, col)) for col, v in
                    _table(sub, _key("data.columns", t), ALIASES[_KINDS[t]]).items()}
                for t, sub in raw.items()}
    wrong = [k for k in raw if k in tables]
    if wrong:
        raise _bad(_key("data.columns", wrong[0]), raw[wrong[0]],
                   f"expected a table [data.columns.{wrong[0]}] of raremin column = your column")
    return {col: _string(v, _key("data.columns", col)) for col, v in raw.items()}


def _assays(raw: Any) -> dict[str, Any]:
    return _check_keys(raw, "assays", {
        "below_detection": (_choice(tuple(BELOW_DETECTION_POLICIES)), "half"),
        "missing_codes": (_numbers, list(DEFAULT_MISSING_CODES))})


def _length(value: Any, key: str) -> float | str | None:
    if isinstance(value, str) and value.strip().lower() in ("auto", "none"):
        return None if value.strip().lower() == "none" else "auto"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _positive(value, key)
    raise _bad(key, value, 'expected a length in m (> 0), "auto" or "none"')


def _composites(raw: Any) -> dict[str, Any]:
    return _check_keys(raw, "composites", {
        "length_m": (_length, "auto"), "residual": (_choice(RESIDUAL_RULES), "merge"),
        "zone_aware": (_boolean, True)})


def _topcuts(raw: Any) -> dict[str, float]:
    raw = _table(raw, "topcuts", raw if isinstance(raw, dict) else ())
    out: dict[str, float] = {}
    for name, cap in raw.items():
        key = _key("topcuts", name)
        if parse_analyte(name) is None:
            raise ProjectError(f"{key}: {name!r} is not a grade name with its unit; write the "
                               f"grade as in the samples, such as cu_pct or la_ppm")
        grade = _grade_name(name, key)
        if grade in out:
            raise ProjectError(f"{key}: a second top-cut for {grade}; keep one")
        out[grade] = _positive(cap, key)
    return out


def _zones(raw: Any, paths: _Paths, crs: Any, name: str) -> dict[str, Any]:
    columns = ("zone_column", "top_column", "bottom_column", "density_column")
    raw = _table(raw, "zones", ("file", "zone", "topography", *columns, "density_t_m3"))
    topography = (paths(raw["topography"], "zones.topography") if "topography" in raw
                  else None)
    raw = {k: v for k, v in raw.items() if k != "topography"}
    if ("file" in raw) == ("zone" in raw):
        state = "both" if "file" in raw else "neither"
        raise ProjectError(f"zones: give either file = \"<zones.gpkg>\" or one [[zones.zone]] "
                           f"table per zone (found {state})")
    if "zone" in raw:
        extra = [k for k in raw if k != "zone"]
        if extra:
            raise ProjectError(f"zones.{extra[0]} applies to a zones file; the zones are "
                               f"written here ([[zones.zone]]): remove it")
        specs = _inline_zones(raw["zone"], paths, crs)
        return {"file": None, "options": {}, "specs": specs, "topography": topography,
                "names": tuple(spec["name"] for spec in specs), "name": name}
    path = paths(raw["file"], "zones.file")
    if path.suffix.lower() not in _ZONE_FILES:
        raise _bad("zones.file", raw["file"], "expected a GeoPackage (.gpkg), GeoJSON "
                   "(.geojson, .json) or shapefile (.shp)")
    spec: dict[str, tuple[Callable[[Any, str], Any], Any]] = {
        c: (_string, _MISSING) for c in columns}
    spec["density_t_m3"] = (_positive, _MISSING)
    options = _check_keys({k: v for k, v in raw.items() if k != "file"}, "zones", spec)
    return {"file": path, "specs": None, "names": None, "topography": topography,
            "name": name, "options": {k: v for k, v in options.items() if v is not _MISSING}}


_ZONE_KEYS = ("name", "polygon", "bounds", "top_m", "bottom_m", "density_t_m3", "mesh", "unit",
              "bottom_surface", "top_surface")


def _footprint(table: dict[str, Any], key: str, required: bool) -> Any:
    if "polygon" in table and "bounds" in table:
        raise ProjectError(f"{key}: give either polygon = [[x, y], ...] or bounds = [xmin, "
                           f"ymin, xmax, ymax] (found both)")
    if "bounds" in table:
        x0, y0, x1, y1 = _numbers(table["bounds"], f"{key}.bounds", sizes=(4,))
        if not (x0 < x1 and y0 < y1):
            raise _bad(f"{key}.bounds", table["bounds"], "expected [xmin, ymin, xmax, ymax] "
                       "with xmin < xmax and ymin < ymax")
        return shapely.box(x0, y0, x1, y1)
    if "polygon" in table:
        corners = table["polygon"]
        if not isinstance(corners, list) or len(corners) < 3:
            raise _bad(f"{key}.polygon", corners, "expected a list of at least 3 [x, y] "
                       "corners")
        return shapely.Polygon([_numbers(c, f"{key}.polygon[{j + 1}]", sizes=(2,))
                                for j, c in enumerate(corners)])
    if required:
        raise ProjectError(f"{key}: give either polygon = [[x, y], ...] or bounds = [xmin, "
                           f"ymin, xmax, ymax] (found neither)")
    return None


def _inline_zones(raw: Any, paths: _Paths, crs: Any) -> list[dict[str, Any]]:
    """Checked zone tables; prisms are built here (to check them), bodies by deposit()."""
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise _bad("zones.zone", raw, "expected one [[zones.zone]] table per zone")
    specs = []
    for i, table in enumerate(raw, start=1):
        key = f"zones.zone[{i}]"
        _table(table, key, _ZONE_KEYS)
        for need in ("name", "density_t_m3"):
            if need not in table:
                raise ProjectError(f"{key}.{need} is missing (zones are counted from 1): every "
                                   f"zone needs a name and density_t_m3")
        label = _string(table["name"], f"{key}.name")
        if label.lower() == "total":
            raise _bad(f"{key}.name", table["name"], "the report uses 'Total' for the sum of "
                       "every zone; name the zone otherwise")
        density = _positive(table["density_t_m3"], f"{key}.density_t_m3")
        surfaces = [k for k in ("bottom_surface", "top_surface") if k in table]
        kinds = [k for k, given in (("mesh", "mesh" in table), ("surfaces", bool(surfaces)),
                                    ("prism", "top_m" in table or "bottom_m" in table))
                 if given]
        if len(kinds) > 1:
            raise ProjectError(f"{key}: give one shape: a prism (polygon or bounds, top_m, "
                               f"bottom_m), a mesh, or bottom_surface and top_surface (found "
                               f"{' and '.join(kinds)})")
        spec: dict[str, Any] = {"name": label, "density": density, "key": key}
        if "unit" in table and kinds != ["mesh"]:
            raise ProjectError(f"{key}.unit applies to a mesh; remove it")
        if kinds == ["mesh"]:
            spec.update(kind="mesh", path=paths(table["mesh"], f"{key}.mesh"),
                        unit=_choice(("m", "ft"))(table.get("unit", "m"), f"{key}.unit"))
            if "polygon" in table or "bounds" in table:
                raise ProjectError(f"{key}: a mesh zone takes its footprint from the mesh; "
                                   f"remove polygon/bounds")
        elif kinds == ["surfaces"]:
            if len(surfaces) < 2:
                raise ProjectError(f"{key}: a layer needs both bottom_surface and top_surface")
            spec.update(kind="layer",
                        bottom=paths(table["bottom_surface"], f"{key}.bottom_surface"),
                        top=paths(table["top_surface"], f"{key}.top_surface"),
                        footprint=_footprint(table, key, required=False))
        else:
            for need in ("top_m", "bottom_m"):
                if need not in table:
                    raise ProjectError(f"{key}.{need} is missing: a prism needs polygon or "
                                       f"bounds, top_m and bottom_m (or give a mesh, or "
                                       f"bottom_surface and top_surface)")
            top_m, bottom_m = (_number(table[k], f"{key}.{k}") for k in ("top_m", "bottom_m"))
            try:
                spec.update(kind="prism", zone=Zone(label, _footprint(table, key, True),
                                                    top_m, bottom_m, density, crs=crs))
            except InputError as err:
                raise _wrap(key, err) from None
        specs.append(spec)
    names = [spec["name"] for spec in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ProjectError(f"zones: duplicate zone names {dupes}; give each zone its own name")
    return specs


def _build_zone(spec: dict[str, Any], crs: Any) -> Zone:
    try:
        if spec["kind"] == "prism":
            return spec["zone"]
        if spec["kind"] == "mesh":
            return Zone.from_mesh(spec["name"], spec["path"], spec["density"], unit=spec["unit"],
                                  crs=crs)
        return Zone.between_surfaces(spec["name"], spec["bottom"], spec["top"],
                                     spec["density"], footprint=spec["footprint"], crs=crs)
    except InputError as err:
        raise _wrap(spec["key"], err) from None


def _block_size(value: Any, key: str) -> float | tuple[float, ...]:
    sizes = _numbers(value, key, sizes=(1, 3), low=0.0, strict=True, scalar=True)
    return sizes[0] if len(sizes) == 1 else tuple(sizes)


def _discretisation(value: Any, key: str) -> tuple[int, ...]:
    sizes = _numbers(value, key, sizes=(1, 3), low=0.0, strict=True, scalar=True)
    if any(s != int(s) for s in sizes):
        raise _bad(key, value, "expected whole numbers of points per block, e.g. [2, 2, 1]")
    return tuple(int(s) for s in sizes) * (3 if len(sizes) == 1 else 1)


def _grade_list(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _bad(key, value, 'expected a list of grade names such as ["cu_pct", "au_gpt"]')
    names = tuple(_grade_name(v, f"{key}[{i + 1}]") for i, v in enumerate(value))
    if len(set(names)) < len(names):
        raise _bad(key, value, "a grade is listed twice")
    return names


def _variogram(value: Any, key: str) -> VariogramModel:
    table = _table(value, key, ("nugget", "structures"))
    nugget = _number(table.get("nugget", 0.0), f"{key}.nugget", low=0.0)
    raw = table.get("structures", [])
    if not isinstance(raw, list):
        raise _bad(f"{key}.structures", raw, "expected a list of {shape, sill, ranges, angles}")
    structures = []
    for i, item in enumerate(raw, start=1):
        where = f"{key}.structures[{i}]"
        item = _table(item, where, ("shape", "sill", "ranges", "angles"))
        for need in ("shape", "sill", "ranges"):
            if need not in item and not (need == "ranges" and item.get("shape") == "linear"):
                raise ProjectError(f"{where}.{need} is missing: a structure needs shape, sill "
                                   f"and ranges (m), and optionally angles (deg)")
        ranges = _numbers(item.get("ranges", 1.0), f"{where}.ranges", sizes=(1, 2, 3),
                          low=0.0, strict=True, scalar=True)
        angles = _numbers(item.get("angles", [0.0, 0.0, 0.0]), f"{where}.angles",
                          sizes=(1, 2, 3))
        try:
            structures.append(Structure(_string(item["shape"], f"{where}.shape"),
                                        _positive(item["sill"], f"{where}.sill"), ranges,
                                        angles))
        except InputError as err:
            raise _wrap(where, err) from None
    try:
        return VariogramModel(nugget, structures)
    except InputError as err:
        raise _wrap(key, err) from None


def _search(value: Any, key: str) -> Neighbourhood:
    spec: dict[str, tuple[Callable[[Any, str], Any], Any]] = {
        "max_samples": (_integer(1), 16), "min_samples": (_integer(1), 1),
        "radius": (_positive, None),
        "ranges": (lambda v, k: _numbers(v, k, sizes=(1, 2, 3), low=0.0, strict=True), None),
        "angles": (lambda v, k: _numbers(v, k, sizes=(1, 2, 3)), [0.0, 0.0, 0.0]),
        "max_per_octant": (_integer(1), None)}
    try:
        return Neighbourhood(**_check_keys(value, key, spec))
    except ProjectError:
        raise
    except InputError as err:
        raise _wrap(key, err) from None


def _auto_or(check: Callable[[Any, str], Any], what: str) -> Callable[[Any, str], Any]:
    def either(value: Any, key: str) -> Any:
        if isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        if isinstance(value, dict):
            return check(value, key)
        raise _bad(key, value, f'expected "auto" or a table {what}')
    return either


def _estimation(raw: Any) -> dict[str, Any]:
    raw = _table(raw, "estimation", ("estimator", "block_size_m", "grades", "max_per_hole",
                                     "negative_estimates", "seed", "max_blocks", "simulate",
                                     "discretisation", "zones"))
    out = _check_keys({k: v for k, v in raw.items() if k != "zones"}, "estimation", {
        "estimator": (_choice(("kriging", "idw")), "kriging"),
        "block_size_m": (_block_size, (25.0, 25.0, 10.0)), "grades": (_grade_list, None),
        "max_per_hole": (_integer(1), None),
        "negative_estimates": (_choice(("zero", "keep", "error")), "zero"),
        "seed": (_integer(0), 0), "max_blocks": (_integer(1), MAX_BLOCKS),
        "simulate": (_integer(0), 0), "discretisation": (_discretisation, (2, 2, 1))})
    zones = _table(raw.get("zones", {}), "estimation.zones", raw.get("zones", {}))
    spec = {"variogram": (_auto_or(_variogram, "{nugget, structures}"), "auto"),
            "search": (_auto_or(_search, "{max_samples, min_samples, ranges, angles, radius, "
                                "max_per_octant}"), "auto")}
    out["zones"] = {name: _check_keys(sub, _key("estimation.zones", name), spec)
                    for name, sub in zones.items()}
    if out["estimator"] == "idw":
        given = [_key("estimation.zones", z, k) for z, sub in out["zones"].items()
                 for k, v in sub.items() if v != "auto"]
        given += ["estimation.max_per_hole"] if out["max_per_hole"] is not None else []
        if given:
            warnings.warn(f"{', '.join(given)} apply to estimator \"kriging\" only and are not "
                          f"used with estimator \"idw\"", UserWarning, stacklevel=4)
    return out


def _unit(value: Any, key: str) -> str:
    from .units import grade_unit

    try:
        return grade_unit(_string(value, key))
    except InputError as err:
        raise _wrap(key, err) from None


def _baskets(value: Any, key: str) -> tuple[str, ...]:
    from .chemistry import basket

    if not isinstance(value, list):
        raise _bad(key, value, 'expected a list of basket names such as ["treo", "ndpr"]')
    for i, name in enumerate(value, start=1):
        try:
            basket(_string(name, f"{key}[{i}]"))
        except InputError as err:
            raise _wrap(f"{key}[{i}]", err) from None
    return tuple(v.strip().lower() for v in value)


def _report(raw: Any, paths: _Paths) -> dict[str, Any]:
    def cutoffs(value: Any, key: str) -> list[float]:
        values = _numbers(value, key, low=0.0)
        if not values:
            raise _bad(key, value, "expected at least one cut-off")
        return values

    def prices(value: Any, key: str) -> Any:
        if value == "default":
            return value
        return paths(value, key)

    from .reporting import CODES

    return _check_keys(raw, "report", {
        "cutoff_grade": (lambda v, k: (_grade_name(v, k), v.strip())[1], None),
        "cutoffs": (cutoffs, None), "basis": (_choice(("oxide", "element")), "oxide"),
        "unit": (_unit, "pct"), "baskets": (_baskets, None),
        "code": (_choice(tuple(c.lower() for c in CODES)), "jorc"),
        "statement_cutoffs": (cutoffs, None), "prices": (prices, None)})


def _classification(raw: Any) -> dict[str, Any] | None:
    """The [classification] table: "default" rules or rules by class, checked now."""
    if raw is None:
        return None
    from .classification import ClassificationRules

    raw = _table(raw, "classification", ("rules", "measured", "indicated", "inferred",
                                          "combine", "spacing_window_m", "spacing_shape",
                                          "spacing_half_height_m"))
    if "rules" in raw:
        if raw["rules"] != "default" or len(raw) > 1:
            raise _bad("classification.rules", raw["rules"],
                       'use rules = "default" alone, or give [classification.measured], '
                       '[classification.indicated]... tables instead')
        return {"rules": "default"}
    try:
        ClassificationRules.from_mapping(raw)
    except InputError as err:
        raise _wrap("classification", err) from None
    return dict(raw)


# -------------------------------------------------------------------------- project
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Project:
    """
    A checked project file: every setting of one assessment, with resolved paths.

    Made by :func:`load_project`. Each section is a read-only mapping of its keys with
    the defaults filled in (paths as absolute :class:`~pathlib.Path`).

    Attributes
    ----------
    path : pathlib.Path
        The project file.
    name : str
        The deposit's name.
    crs : pyproj.CRS
        The CRS of the zones and of the results (projected, metres).
    out : pathlib.Path
        The output folder.
    data, assays, composites, topcuts, zones, estimation, report : mapping
        The settings of each section. ``data["kind"]`` is ``"samples"`` or
        ``"drillholes"`` and ``data["files"]`` maps table to path;
        ``estimation["zones"]`` maps zone name to its ``variogram`` and ``search``
        (``"auto"``, a :class:`~raremin.geostats.models.VariogramModel` or a
        :class:`~raremin.geostats.neighbourhood.Neighbourhood`).

    Examples
    --------
    >>> from raremin.config import Project
    >>> [f.name for f in __import__("dataclasses").fields(Project)][:4]
    ['path', 'name', 'crs', 'out']
    """

    path: Path
    name: str
    crs: Any
    out: Path
    data: Mapping[str, Any]
    assays: Mapping[str, Any]
    composites: Mapping[str, Any]
    topcuts: Mapping[str, float]
    zones: Mapping[str, Any]
    estimation: Mapping[str, Any]
    report: Mapping[str, Any]
    classification: Mapping[str, Any] | None = None

    @property
    def files(self) -> dict[str, Path]:
        """Every input file, by key (``data.collars``, ``zones.file``...)."""
        out = {f"data.{k}": p for k, p in self.data["files"].items()}
        if self.zones["file"] is not None:
            out["zones.file"] = self.zones["file"]
        if self.zones["topography"] is not None:
            out["zones.topography"] = self.zones["topography"]
        for spec in self.zones["specs"] or ():
            for field in ("path", "bottom", "top"):
                if field in spec:
                    name = {"path": "mesh", "bottom": "bottom_surface",
                            "top": "top_surface"}[field]
                    out[f"{spec['key']}.{name}"] = spec[field]
        return out

    def describe(self) -> str:
        """
        One line of provenance for a report: the project file and the data files.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from raremin.config import load_project
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     _ = (Path(folder) / "s.csv").write_text("x,y,z,cu_pct\\n0,0,0,1\\n")
        ...     _ = (Path(folder) / "p.toml").write_text(
        ...         '[project]\\nname = "Demo"\\ncrs = 32612\\n[data]\\nsamples = "s.csv"\\n'
        ...         '[[zones.zone]]\\nname = "A"\\nbounds = [0, 0, 10, 10]\\ntop_m = 5\\n'
        ...         'bottom_m = -5\\ndensity_t_m3 = 2.7\\n')
        ...     line = load_project(Path(folder) / "p.toml").describe()
        >>> line.startswith("project Demo (") and "samples " in line and "1 zone" in line
        True
        """
        files = "; ".join(f"{k.split('.', 1)[1]} {p}" for k, p in self.files.items()
                          if k.startswith("data."))
        zones = (f"zones {self.zones['file']}" if self.zones["file"] is not None else
                 f"{len(self.zones['names'])} zone(s) written in the project file")
        if self.zones["topography"] is not None:
            zones += f", topography {self.zones['topography']}"
        reprojected = (f" (from {crs_label(self.data['crs'])})"
                       if self.data["crs"] is not None and not self.data["crs"].equals(self.crs)
                       else "")
        return (f"project {self.name} ({self.path}), CRS {crs_label(self.crs)}; data"
                f"{reprojected}: {files}; {zones}")

    def deposit(self) -> Deposit:
        """
        The zones, in the project's CRS (read from the zones file, or as written).

        Raises
        ------
        ProjectError
            A zones file in another CRS, or ``[estimation.zones]`` naming a zone it
            does not have.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from raremin.config import load_project
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     _ = (Path(folder) / "s.csv").write_text("x,y,z,cu_pct\\n0,0,0,1\\n")
        ...     _ = (Path(folder) / "p.toml").write_text(
        ...         '[project]\\ncrs = "EPSG:26912"\\n[data]\\nsamples = "s.csv"\\n'
        ...         '[[zones.zone]]\\nname = "A"\\nbounds = [0, 0, 100, 50]\\ntop_m = 10\\n'
        ...         'bottom_m = 0\\ndensity_t_m3 = 2.5\\n')
        ...     deposit = load_project(Path(folder) / "p.toml").deposit()
        >>> deposit.name, deposit.names, deposit.tonnage_t
        ('p', ('A',), 125000.0)
        """
        topography = None
        if self.zones["topography"] is not None:
            from .domains import Surface

            try:
                topography = Surface.read(self.zones["topography"])
            except InputError as err:
                raise ProjectError(f"{self.path}: zones.topography: "
                                   + " ".join(str(err).split())) from None
        if self.zones["file"] is None:
            zones = [_build_zone(spec, self.crs) for spec in self.zones["specs"]]
            if len(zones) > 1:
                try:
                    check_zones_apart(zones)
                except InputError as err:
                    raise ProjectError(f"{self.path}: zones: "
                                       + " ".join(str(err).split())) from None
            try:
                deposit = Deposit(self.zones["name"], zones, crs=self.crs,
                                  notes=f"zones from {self.path}", topography=topography)
            except InputError as err:
                raise ProjectError(f"{self.path}: zones: " + " ".join(str(err).split())) from None
        else:
            import geopandas as gpd

            path = self.zones["file"]
            frame = gpd.read_file(path)
            file_crs = as_crs(frame.crs)  # None when the file has none
            if file_crs is None:
                frame = frame.set_crs(self.crs)
            elif not file_crs.equals(self.crs):
                raise ProjectError(
                    f"{self.path}: zones.file: {path} is in {crs_label(file_crs)} but "
                    f"project.crs is {crs_label(self.crs)}; reproject the file or set "
                    f"project.crs to its CRS")
            try:
                deposit = Deposit.from_geodataframe(frame, name=self.name,
                                                    notes=f"zones from {path}",
                                                    **self.zones["options"])
            except InputError as err:
                raise ProjectError(f"{self.path}: zones.file {path}: "
                                   + " ".join(str(err).split())) from None
            if topography is not None:
                deposit = dataclasses.replace(deposit, topography=topography)
        unknown = [z for z in self.estimation["zones"] if z not in deposit.names]
        if unknown:
            raise ProjectError(
                f"{self.path}: {_key('estimation.zones', unknown[0])}: the deposit has no zone "
                f"{unknown[0]!r}; its zones are {', '.join(deposit.names)}")
        return deposit

    def prepare(self, deposit: Deposit) -> Preparation:
        """
        Read the data files and prepare the samples with every setting of the project.

        Parameters
        ----------
        deposit : Deposit
            The zones (:meth:`deposit`): composites are broken at their boundaries and
            the samples reprojected to their CRS when ``[data] crs`` differs.

        Returns
        -------
        Preparation

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from raremin.config import load_project
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     _ = (Path(folder) / "s.csv").write_text("E,N,RL,Cu\\n1,2,3,<0.1\\n")
        ...     _ = (Path(folder) / "p.toml").write_text(
        ...         '[project]\\ncrs = "local"\\n[data]\\nsamples = "s.csv"\\n'
        ...         '[data.columns]\\neasting_m = "E"\\nnorthing_m = "N"\\n'
        ...         'elevation_m = "RL"\\n[data.grades]\\nCu = "cu_pct"\\n'
        ...         '[[zones.zone]]\\nname = "A"\\nbounds = [0, 0, 10, 10]\\ntop_m = 5\\n'
        ...         'bottom_m = -5\\ndensity_t_m3 = 2.7\\n')
        ...     project = load_project(Path(folder) / "p.toml")
        ...     prep = project.prepare(project.deposit())
        >>> prep.samples[["easting_m", "cu_pct"]].to_numpy().tolist()
        [[1.0, 0.05]]
        """
        from .preparation import prepare_drillholes_samples, prepare_samples
        from .readers import read_table

        data = self.data
        read = {k: data[k] for k in ("delimiter", "decimal", "encoding")}
        tables = {k: read_table(p, what=k, **read) for k, p in data["files"].items()}
        common = {"grades": data["grades"] or None, "topcuts": self.topcuts or None,
                  "below_detection": self.assays["below_detection"],
                  "missing_codes": self.assays["missing_codes"]}
        columns = data["columns"]
        if data["kind"] == "samples":
            mapping = columns.get("samples", {}) if any(
                isinstance(v, dict) for v in columns.values()) else columns
            return prepare_samples(tables["samples"], mapping=mapping or None, crs=data["crs"],
                                   target_crs=deposit.crs if data["crs"] is not None else None,
                                   **common)
        return prepare_drillholes_samples(
            tables["collars"], tables["surveys"], tables["assays"], deposit=deposit,
            mapping=columns or None, length_unit=data["length_unit"],
            coordinate_unit=data["coordinate_unit"], dip_convention=data["dip_convention"],
            default_dip=data["default_dip"], composite_length_m=self.composites["length_m"],
            residual=self.composites["residual"], zone_aware=self.composites["zone_aware"],
            crs=data["crs"], **common)

    def assess_options(self) -> dict[str, Any]:
        """
        Keyword arguments of :func:`raremin.workflow.assess` from [estimation] and [report].

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from raremin.config import load_project
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     _ = (Path(folder) / "s.csv").write_text("x,y,z,cu_pct\\n0,0,0,1\\n")
        ...     _ = (Path(folder) / "p.toml").write_text(
        ...         '[project]\\ncrs = "local"\\n[data]\\nsamples = "s.csv"\\n'
        ...         '[[zones.zone]]\\nname = "A"\\nbounds = [0, 0, 10, 10]\\ntop_m = 5\\n'
        ...         'bottom_m = -5\\ndensity_t_m3 = 2.7\\n[estimation]\\nestimator = "idw"\\n'
        ...         'block_size_m = 5\\n[report]\\ncutoffs = [0, 0.5]\\n')
        ...     options = load_project(Path(folder) / "p.toml").assess_options()
        >>> options["estimator"], options["block_size"], options["cutoffs"]
        ('idw', 5.0, [0.0, 0.5])
        """
        from .reporting import CODES
        from .workflow import DEFAULT_BASKETS

        est, rep = self.estimation, self.report
        zones = est["zones"]
        return {
            "block_size": est["block_size_m"], "cutoff_grade": rep["cutoff_grade"],
            "cutoffs": rep["cutoffs"], "basis": rep["basis"], "unit": rep["unit"],
            "estimator": est["estimator"], "grades": est["grades"],
            "variograms": {z: s["variogram"] for z, s in zones.items()
                           if s["variogram"] != "auto"},
            "searches": {z: s["search"] for z, s in zones.items() if s["search"] != "auto"},
            "max_per_hole": est["max_per_hole"], "negative": est["negative_estimates"],
            "seed": est["seed"], "max_blocks": est["max_blocks"],
            "simulate": est["simulate"],
            "discretisation": est["discretisation"],
            "baskets": rep["baskets"] if rep["baskets"] is not None else DEFAULT_BASKETS,
            "classification": (None if self.classification is None
                               else self.classification.get("rules", self.classification)),
            "code": {c.lower(): c for c in CODES}[rep["code"]],
            "statement_cutoffs": rep["statement_cutoffs"],
            "prices": None if rep["prices"] is None else str(rep["prices"]),
        }

    def run(self) -> Assessment:
        """
        The whole assessment: :meth:`deposit`, :meth:`prepare`, then
        :func:`raremin.workflow.assess` with :meth:`assess_options`.

        Returns
        -------
        Assessment

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from raremin.config import load_project
        >>> rows = "\\n".join(f"{x},{y},5,{0.1 * (1 + x / 10)}" for x in range(0, 40, 10)
        ...                   for y in range(0, 40, 10))
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     _ = (Path(folder) / "s.csv").write_text("x,y,z,cu_pct\\n" + rows + "\\n")
        ...     _ = (Path(folder) / "p.toml").write_text(
        ...         '[project]\\ncrs = "local"\\n[data]\\nsamples = "s.csv"\\n'
        ...         '[[zones.zone]]\\nname = "A"\\nbounds = [0, 0, 40, 40]\\ntop_m = 10\\n'
        ...         'bottom_m = 0\\ndensity_t_m3 = 2.5\\n[estimation]\\nestimator = "idw"\\n'
        ...         'block_size_m = [10, 10, 10]\\n[report]\\ncutoffs = [0]\\n')
        ...     result = load_project(Path(folder) / "p.toml").run()
        >>> float(result.summary.query("zone == 'Total'")["tonnage_t"].iloc[0])
        40000.0
        """
        from .workflow import assess

        deposit = self.deposit()
        return assess(deposit, self.prepare(deposit), **self.assess_options())

    def __repr__(self) -> str:
        return f"Project({self.name!r}, {self.path})"


def load_project(path: str | os.PathLike[str]) -> Project:
    """
    Read and check a project file (TOML).

    Every key is checked before any data is read; the data files must exist.

    Parameters
    ----------
    path : str or os.PathLike
        The project file. Paths in it are relative to its folder.

    Returns
    -------
    Project

    Raises
    ------
    ProjectError
        The file is missing or not TOML; an unknown section or key (the closest
        allowed key is suggested); a value of the wrong type or out of range; a
        missing data file; an unset environment variable; zones given both ways or
        neither; settings for a zone that does not exist. One line, naming the file
        and the key.

    Warns
    -----
    UserWarning
        Kriging settings (variograms, searches, ``max_per_hole``) with estimator
        ``"idw"``, which does not use them.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from raremin.config import load_project
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "s.csv").write_text("x,y,z,cu_pct\\n0,0,0,1\\n")
    ...     _ = (Path(folder) / "p.toml").write_text(
    ...         '[project]\\ncrs = "local"\\nout = "results"\\n[data]\\nsamples = "s.csv"\\n'
    ...         '[[zones.zone]]\\nname = "A"\\nbounds = [0, 0, 10, 10]\\ntop_m = 5\\n'
    ...         'bottom_m = -5\\ndensity_t_m3 = 2.7\\n[composites]\\n')
    ...     load_project(Path(folder) / "p.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    raremin.errors.ProjectError: ...: [composites] applies to drillhole exports; ...
    """
    given = Path(path)
    raw = _read(given, "project file", "raremin init writes a template")
    try:
        return _project(raw, given)
    except ProjectError as err:
        raise ProjectError(f"{given}: {err}") from None


def _is_local(crs: Any) -> bool:
    return bool(getattr(crs, "is_engineering", crs.to_epsg() is None and not crs.is_geographic
                        and not crs.is_projected))


def _project(raw: dict[str, Any], path: Path) -> Project:
    _table(raw, "", SECTIONS)
    for section in ("project", "data", "zones"):
        if section not in raw:
            raise ProjectError(f"the [{section}] section is missing (raremin init writes a "
                               f"template with every section)")
    paths = _Paths(path.resolve().parent)
    head = _table(raw["project"], "project", ("name", "crs", "out"))
    if "crs" not in head:
        raise ProjectError('project.crs is missing: the CRS of zones and data, e.g. crs = '
                           '"EPSG:26912", or crs = "local" for a mine grid in metres')
    crs = _crs(head["crs"], "project.crs")
    try:
        check_projected(crs, "the zones and data")
    except InputError as err:
        raise _wrap("project.crs", err) from None
    data = _data(raw["data"], paths)
    if data["crs"] is not None and not data["crs"].equals(crs) and (
            _is_local(crs) or _is_local(data["crs"])):
        raise ProjectError(f"data.crs: cannot reproject between {crs_label(data['crs'])} and "
                           f"{crs_label(crs)} (a local grid has no geodetic datum)")
    if data["kind"] == "samples" and "composites" in raw:
        raise ProjectError("[composites] applies to drillhole exports; this project reads "
                           "samples: remove the section")
    name = _string(head["name"], "project.name") if "name" in head else path.stem
    zones = _zones(raw["zones"], paths, crs, name)
    estimation = _estimation(raw.get("estimation", {}))
    if zones["names"] is not None:
        names = zones["names"]
        unknown = [z for z in estimation["zones"] if z not in names]
        if unknown:
            close = difflib.get_close_matches(unknown[0], names, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ProjectError(f"{_key('estimation.zones', unknown[0])}: no zone of that name; "
                               f"{hint}the zones are {', '.join(names)}")
    out = paths(head.get("out", "raremin-output"), "project.out", exists=False)
    sections = {"data": data, "assays": _assays(raw.get("assays", {})),
                "composites": _composites(raw.get("composites", {})),
                "topcuts": _topcuts(raw.get("topcuts", {})), "zones": zones,
                "estimation": estimation, "report": _report(raw.get("report", {}), paths)}
    rules = _classification(raw.get("classification"))
    return Project(path.resolve(), name, crs, out,
                   **{k: MappingProxyType(v) for k, v in sections.items()},
                   classification=None if rules is None else MappingProxyType(rules))


def template() -> str:
    """
    A commented project file with every key, its default and what it means.

    Valid TOML that :func:`load_project` accepts once its data files exist
    (``collars.csv``, ``surveys.csv`` and ``assays.csv`` beside it).

    Examples
    --------
    >>> from raremin import config
    >>> text = config.template()
    >>> [section for section in config.SECTIONS if f"[{section}]" not in text]
    []
    """
    return _TEMPLATE.replace("{max_blocks}", str(MAX_BLOCKS))


_TEMPLATE = """\
# raremin project file: one assessment, from the data files to the grade-tonnage report.
# Load it with raremin.load_project("<this file>").run(), or with the raremin command.
# Paths are relative to this file's folder; ${VAR}, $VAR and ~ are expanded
# (e.g. "${RAREMIN_DATA}/collars.csv"). A '#' starts a comment: remove it to set a key.
# Every key is checked when the file is loaded; unknown keys are errors.

[project]
name = "My deposit"              # deposit name in the report (default: this file's name)
crs = "EPSG:32612"               # CRS of zones and data: "EPSG:<code>", a number, or "local"
out = "raremin-output"           # output folder

[data]
# Either one table of samples with their own coordinates (then no [composites]) ...
# samples = "samples.csv"
# ... or three drillhole exports:
collars = "collars.csv"          # hole id, easting, northing, elevation (length optional)
surveys = "surveys.csv"          # hole id, depth, azimuth, dip
assays = "assays.csv"            # hole id, from, to, grade columns (cu_pct, la_ppm...)
# crs = "EPSG:4326"              # the data's CRS if not [project] crs: reprojected
# delimiter = ","                # ",", ";", "|" or "tab" (default: detected)
# decimal = "."                  # "." or "," (default: detected)
# encoding = "utf-8"             # default: UTF-8 (with or without BOM), UTF-16, else latin-1
# length_unit = "m"              # depths: "m" or "ft" (default: from the headers, else m)
# coordinate_unit = "m"          # collar coordinates: "m", "ft" or "us_ft"
dip_convention = "auto"          # "auto", "negative_down", "positive_down", "from_vertical"
# default_dip = -90.0            # deg, for holes without survey (default: set aside)

[data.columns]                   # raremin column = your column, where not recognised
# hole_id = "BHID"
# easting_m = "MGA_E"
# Or one table per file: [data.columns.collars], [data.columns.surveys]...

[data.grades]                    # your grade column = grade name with its unit
# "Au_FA_ppm" = "au_ppm"

[assays]
below_detection = "half"         # "half", "zero", "missing", "limit" or "error"
missing_codes = [-99.0, -999.0, -9999.0, -99999.0]  # codes meaning "not assayed"

[composites]                     # drillhole exports only
length_m = "auto"                # m; "auto": the most common interval; "none": no compositing
residual = "merge"               # short end pieces: "merge", "keep" or "drop"
zone_aware = true                # break composites at zone boundaries

[topcuts]                        # grade name = cap, in the grade's unit
# cu_pct = 5.0

[zones]                          # in the [project] CRS
# Either a GeoPackage, GeoJSON or shapefile with one polygon per zone ...
# file = "zones.gpkg"
# zone_column = "zone"
# top_column = "top_elevation_m"
# bottom_column = "bottom_elevation_m"
# density_column = "density_t_m3"
# density_t_m3 = 2.7             # one density (t/m3) for every zone, instead of a column
# ... or one [[zones.zone]] table per zone:
# topography = "topography.asc" # a surface: the air above it is left out of every zone
[[zones.zone]]                   # a prism: a plan outline between two elevations
name = "Main"
bounds = [0.0, 0.0, 1000.0, 1000.0]  # m: xmin, ymin, xmax, ymax (or polygon = [[x, y], ...])
top_m = 500.0                    # elevation of the top, m
bottom_m = 0.0                   # elevation of the bottom, m
density_t_m3 = 2.7               # dry bulk density, t/m3
# [[zones.zone]]                 # a closed solid ("wireframe"): STL, OBJ, PLY, OFF or DXF
# name = "Lode"
# mesh = "lode.stl"
# unit = "m"                     # the mesh's coordinates: "m" or "ft"
# density_t_m3 = 2.8
# [[zones.zone]]                 # a layer between two surfaces (x/y/z grid, .asc, GeoTIFF,
# name = "Clay"                  # or a triangulated surface), optionally clipped
# bottom_surface = "base_of_clay.asc"
# top_surface = "topography.asc"
# bounds = [0.0, 0.0, 1000.0, 1000.0]
# density_t_m3 = 1.8

[estimation]
estimator = "kriging"            # "kriging" (variogram per zone) or "idw" (inverse distance)
block_size_m = [25.0, 25.0, 10.0]  # m: one number or [x, y, z]
# grades = ["cu_pct", "au_gpt"]  # grades to estimate (default: every grade column)
# max_per_hole = 4               # most samples of one hole per estimate (kriging)
negative_estimates = "zero"      # negative kriging estimates: "zero", "keep" or "error"
seed = 0                         # seed of the automatic variogram fit and the simulation
# simulate = 100                 # realisations of the cut-off grade (P90/P50/P10)
# discretisation = [2, 2, 1]     # points simulated per block and axis (their mean)
max_blocks = {max_blocks}            # most blocks the model may have

[estimation.zones.Main]          # one table per zone (optional; names as in [zones])
variogram = "auto"               # "auto": fitted to the data, or a table such as
# variogram = { nugget = 0.1, structures = [  # ranges in m, angles in deg (azimuth, dip, rake)
#     { shape = "spherical", sill = 0.9, ranges = [300.0, 200.0, 50.0], angles = [0.0, 0.0, 0.0] },
# ] }
search = "auto"                  # "auto": from the variogram, or a table such as
# search = { max_samples = 16, min_samples = 4, max_per_octant = 4, radius = 1.0, ranges = [
#     300.0, 200.0, 50.0], angles = [0.0, 0.0, 0.0] }  # radius 1.0 = on the ellipsoid

[report]
# cutoff_grade = "cu_pct"        # default: TREO with rare earths, else the first grade
# cutoffs = [0.0, 0.2, 0.4]      # in the unit of cutoff_grade (default: from the data)
basis = "oxide"                  # rare-earth totals on "oxide" (TREO) or "element" (TREE) basis
unit = "pct"                     # unit of the rare-earth totals: "pct", "ppm"...
baskets = ["treo", "lreo", "hreo", "mreo", "ndpr", "creo"]  # rare-earth baskets reported
code = "jorc"                    # statement wording: "jorc", "ni 43-101" or "kazrc"
# statement_cutoffs = [0.1]      # cut-offs of the statement (default: the lowest positive)
# prices = "default"             # oxide prices: "default" (USGS, dated) or a CSV price table

# [classification]               # Measured / Indicated / Inferred and a resource statement
# rules = "default"              # spacing and slope of regression; or, instead, per class:
# [classification.measured]      # every threshold must hold (combine = "all")
# max_spacing_m = 50.0
# min_slope = 0.85
# [classification.indicated]
# max_spacing_m = 100.0
# min_slope = 0.6
"""
