"""
Deposits and zones: footprints with a coordinate reference system, vertical extents,
densities and grade models.

A :class:`Zone` is a prism: a shapely Polygon or MultiPolygon footprint in a projected
CRS, between a bottom and a top elevation (metres), with a bulk density (t/m3) and,
optionally, a grade model (a grade distribution per element or basket). A
:class:`Deposit` is a named set of zones sharing one CRS, with provenance notes. Both
give volume, tonnage and contained quantity; a deposit reads and writes GeoDataFrames,
GeoPackage and GeoJSON (one row per zone).

Examples
--------
>>> from shapely import box
>>> from raremin.deposit import Deposit, Zone
>>> a = Zone("A", box(0, 0, 1000, 500), top_m=760, bottom_m=460, density_t_m3=2.65)
>>> a.volume_m3, a.tonnage_t
(150000000.0, 397500000.0)
>>> dep = Deposit("Example", [a], crs="EPSG:32643")
>>> round(dep.tonnage_t / 1e6, 1)
397.5
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from pyproj import CRS

from ._validation import check_finite
from .distributions import GradeDistribution
from .errors import CRSError, GeometryError, InputError
from .units import grade_factor, unit_suffix

__all__ = ["Deposit", "Zone", "as_crs", "check_projected", "check_same_crs", "crs_label",
           "check_zones_apart", "local_crs", "zone_labels"]

#: Plausible bulk densities (t/m3) of rock; values outside draw a warning.
_DENSITY_RANGE = (1.0, 5.5)


def local_crs(name: str = "Local grid") -> CRS:
    """
    A local engineering CRS in metres (a mine grid with no geodetic datum).

    For data in local coordinates: volumes and tonnages are exact, but nothing can be
    reprojected to or from such a CRS.

    Examples
    --------
    >>> from raremin.deposit import local_crs
    >>> crs = local_crs("Forrestania grid")
    >>> crs.name, crs.is_geographic, [a.unit_name for a in crs.axis_info]
    ('Forrestania grid', False, ['metre', 'metre'])
    """
    label = str(name).replace('"', "'")
    return CRS.from_wkt(
        f'ENGCRS["{label}",EDATUM["Local datum"],CS[Cartesian,2],'
        f'AXIS["easting (X)",east,ORDER[1],LENGTHUNIT["metre",1]],'
        f'AXIS["northing (Y)",north,ORDER[2],LENGTHUNIT["metre",1]]]'
    )


def as_crs(crs: Any) -> CRS | None:
    """
    A pyproj CRS from anything pyproj accepts (EPSG code, string, CRS), or None.

    ``"local"`` (any case) gives :func:`local_crs`: a local grid in metres.

    Examples
    --------
    >>> as_crs("EPSG:32643").to_epsg()
    32643
    >>> as_crs(None) is None
    True
    >>> as_crs("local").name
    'Local grid'
    """
    if crs is None:
        return None
    if isinstance(crs, str) and crs.strip().lower() == "local":
        return local_crs()
    try:
        return CRS.from_user_input(crs)
    except Exception as err:  # pyproj raises its own CRSError
        raise CRSError(f"not a coordinate reference system: {crs!r} ({err})") from None


def _utm_suggestion(geometry: Any) -> str:
    """Name the UTM zone covering a geometry given in degrees."""
    lon, lat = shapely.centroid(geometry).x, shapely.centroid(geometry).y
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return "a projected CRS in metres"
    number = int((lon + 180) // 6) + 1
    epsg = (32600 if lat >= 0 else 32700) + number
    hemisphere = "N" if lat >= 0 else "S"
    return f"EPSG:{epsg} (WGS 84 / UTM zone {number}{hemisphere})"


def check_projected(crs: CRS | None, what: str, geometry: Any = None) -> CRS:
    """
    Raise CRSError unless `crs` is a projected CRS in metres.

    Parameters
    ----------
    crs : pyproj.CRS or None
        The CRS to check.
    what : str
        What the CRS belongs to, for the message.
    geometry : shapely geometry, optional
        Used to suggest a UTM zone when the CRS is geographic.

    Returns
    -------
    pyproj.CRS

    Examples
    --------
    >>> from pyproj import CRS
    >>> check_projected(CRS.from_epsg(32643), "zones").to_epsg()
    32643
    """
    if crs is None:
        raise CRSError(
            f"{what} have no coordinate reference system; volumes need a projected CRS in "
            f"metres, e.g. crs='EPSG:32643' (UTM 43N) for central Kazakhstan"
        )
    if crs.is_geographic:
        hint = _utm_suggestion(geometry) if geometry is not None else "a UTM zone"
        raise CRSError(
            f"{what} are in geographic coordinates ({crs.name}, degrees); volumes and "
            f"tonnages need a projected CRS in metres: reproject to {hint}"
        )
    units = {axis.unit_name for axis in crs.axis_info}
    if units and not units <= {"metre", "meter", "m"}:
        raise CRSError(f"{what} CRS {crs.name} is in {sorted(units)}; use a CRS in metres")
    return crs


def check_same_crs(first: CRS | None, second: CRS | None, what: str) -> None:
    """
    Raise CRSError if two CRSs are both set and differ.

    Examples
    --------
    >>> from pyproj import CRS
    >>> check_same_crs(CRS.from_epsg(32643), CRS.from_epsg(32643), "samples")
    """
    if first is not None and second is not None and not first.equals(second):
        raise CRSError(
            f"CRS mismatch: {what} are in {crs_label(second)} but the deposit is in "
            f"{crs_label(first)}; reproject them with GeoDataFrame.to_crs() first, or "
            f"declare the samples' CRS (crs=) so that raremin reprojects them"
        )


def crs_label(crs: CRS | None) -> str:
    """
    A CRS as people name it: ``"WGS 84 / UTM zone 43N (EPSG:32643)"``.

    Examples
    --------
    >>> from raremin.deposit import crs_label, local_crs
    >>> crs_label(as_crs(32643)), crs_label(local_crs()), crs_label(None)
    ('WGS 84 / UTM zone 43N (EPSG:32643)', 'Local grid (local, no EPSG code)', 'no CRS')
    """
    if crs is None:
        return "no CRS"
    code = crs.to_epsg()
    return f"{crs.name} (EPSG:{code})" if code else f"{crs.name} (local, no EPSG code)"


def _check_footprint(name: str, footprint: Any) -> Any:
    if not isinstance(footprint, (shapely.Polygon, shapely.MultiPolygon)):
        raise GeometryError(
            f"zone {name!r} footprint must be a shapely Polygon or MultiPolygon; "
            f"got {type(footprint).__name__}"
        )
    if footprint.is_empty:
        raise GeometryError(f"zone {name!r} footprint is empty (zero area)")
    if not footprint.is_valid:
        reason = shapely.is_valid_reason(footprint)
        raise GeometryError(
            f"zone {name!r} footprint is invalid: {reason}; repair it (for example with "
            f"shapely.make_valid) or fix the vertex order"
        )
    if footprint.area <= 0:
        raise GeometryError(f"zone {name!r} footprint is empty (zero area)")
    return footprint


@dataclasses.dataclass(frozen=True, eq=False)
class Zone:
    """
    A mineralised zone with a density: a prism, a closed solid or a layer between surfaces.

    Built directly, a zone is a *prism*: a plan footprint between two elevations. A zone
    modelled as a 3D body comes from :meth:`from_mesh` (a closed triangulated solid,
    "wireframe"), :meth:`between_surfaces` (the volume between two surfaces, optionally
    clipped to a footprint) or :meth:`from_body`; its footprint and elevations are then
    those of the body (its plan outline and its lowest and highest points).

    Parameters
    ----------
    name : str
        Zone name (e.g. ``"Irgiz"``), one line of printable text.
    footprint : shapely.Polygon or shapely.MultiPolygon
        Plan outline in the deposit's projected CRS (metres). Must be valid.
    top_m, bottom_m : float
        Elevations of the top and bottom of the zone (metres; ``top_m > bottom_m``).
    density_t_m3 : float
        Dry bulk density in t/m3.
    grades : mapping of str to GradeDistribution, optional
        Grade model: a distribution per grade name (``"treo"``, ``"nd"``...).
    crs : pyproj CRS or anything pyproj accepts, optional
        CRS of the footprint; a deposit checks that its zones agree.
    body : Solid, Layer or None, optional
        The 3D body (:mod:`raremin.domains`); None for a prism.

    Examples
    --------
    >>> from shapely import box
    >>> from raremin.deposit import Zone
    >>> z = Zone.from_depth("B", box(0, 0, 100, 100), surface_m=760, depth_m=300,
    ...                     density_t_m3=2.6)
    >>> z.bottom_m, z.thickness_m
    (460.0, 300.0)
    """

    name: str
    footprint: Any
    top_m: float
    bottom_m: float
    density_t_m3: float
    grades: Mapping[str, GradeDistribution] = dataclasses.field(default_factory=dict)
    crs: Any = None
    body: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(f"zone name must be a non-empty string; got {self.name!r}")
        if not self.name.isprintable():
            raise InputError(
                f"zone name {self.name!r} holds a line break or another control character; "
                f"give each zone a name on one line")
        _check_footprint(self.name, self.footprint)
        top = float(check_finite(self.top_m, f"zone {self.name!r} top_m"))
        bottom = float(check_finite(self.bottom_m, f"zone {self.name!r} bottom_m"))
        if top <= bottom:
            raise InputError(
                f"zone {self.name!r}: top_m ({top}) must be above bottom_m ({bottom}); "
                f"elevations are in metres, up positive"
            )
        density = float(check_finite(self.density_t_m3, f"zone {self.name!r} density_t_m3"))
        if density <= 0:
            raise InputError(f"zone {self.name!r}: density_t_m3 must be > 0; got {density}")
        if not _DENSITY_RANGE[0] <= density <= _DENSITY_RANGE[1]:
            warnings.warn(
                f"zone {self.name!r}: density {density} t/m3 is outside the usual "
                f"{_DENSITY_RANGE[0]}-{_DENSITY_RANGE[1]} t/m3 of rock; check the unit",
                stacklevel=3,
            )
        grades = dict(self.grades or {})
        for key, dist in grades.items():
            if not isinstance(dist, GradeDistribution):
                raise InputError(
                    f"zone {self.name!r}: grade model {key!r} must be a grade distribution; "
                    f"got {type(dist).__name__}"
                )
            if dist.batch_shape != ():
                raise InputError(
                    f"zone {self.name!r}: grade model {key!r} must be a single distribution; "
                    f"got batch shape {dist.batch_shape}"
                )
        object.__setattr__(self, "top_m", top)
        object.__setattr__(self, "bottom_m", bottom)
        object.__setattr__(self, "density_t_m3", density)
        object.__setattr__(self, "grades", grades)
        object.__setattr__(self, "crs", as_crs(self.crs))

    @classmethod
    def from_depth(
        cls,
        name: str,
        footprint: Any,
        *,
        surface_m: float,
        depth_m: float,
        density_t_m3: float,
        top_depth_m: float = 0.0,
        grades: Mapping[str, GradeDistribution] | None = None,
        crs: Any = None,
    ) -> Zone:
        """
        A zone given as depths below a flat surface.

        Parameters
        ----------
        name, footprint, density_t_m3, grades, crs
            As for :class:`Zone`.
        surface_m : float
            Elevation of the (flat) ground surface, metres.
        depth_m : float
            Depth of the bottom of the zone below the surface, metres.
        top_depth_m : float, default 0
            Depth of the top of the zone below the surface (cover thickness), metres.

        Returns
        -------
        Zone

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> Zone.from_depth("C", box(0, 0, 10, 10), surface_m=100, depth_m=50,
        ...                 top_depth_m=10, density_t_m3=2.7).top_m
        90.0
        """
        return cls(
            name,
            footprint,
            top_m=surface_m - top_depth_m,
            bottom_m=surface_m - depth_m,
            density_t_m3=density_t_m3,
            grades=grades or {},
            crs=crs,
        )

    @property
    def area_m2(self) -> float:
        """Plan area of the footprint, m2."""
        return float(self.footprint.area)

    @property
    def thickness_m(self) -> float:
        """Vertical extent, m."""
        return self.top_m - self.bottom_m

    @property
    def kind(self) -> str:
        """``"prism"``, ``"solid"`` or ``"layer"``."""
        return "prism" if self.body is None else str(getattr(self.body, "kind", "solid"))

    @property
    def volume_m3(self) -> float:
        """Volume, m3: area x thickness for a prism, the body's exact volume otherwise."""
        if self.body is not None:
            return float(self.body.volume_m3)
        return self.area_m2 * self.thickness_m

    @property
    def shape(self) -> Any:
        """
        The zone as a body of :mod:`raremin.domains` (a prism becomes a ``Prism``).

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> Zone("A", box(0, 0, 10, 10), 5, 0, 2.5).shape.volume_m3
        500.0
        """
        if self.body is not None:
            return self.body
        from .domains import Prism

        return Prism(self.footprint, self.bottom_m, self.top_m)

    def contains(self, xyz: ArrayLike) -> np.ndarray:
        """
        Which points lie in the zone (boundaries count as inside).

        Parameters
        ----------
        xyz : array_like, shape (n, 3)
            Easting, northing, elevation, m.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> Zone("A", box(0, 0, 10, 10), 5, 0, 2.5).contains([[5, 5, 1], [5, 5, 6]]).tolist()
        [True, False]
        """
        pts = np.asarray(xyz, dtype=float).reshape(-1, 3)
        if self.body is not None:
            return np.asarray(self.body.contains(pts), dtype=bool)
        inside = shapely.intersects_xy(self.footprint, pts[:, 0], pts[:, 1])
        return inside & (pts[:, 2] >= self.bottom_m) & (pts[:, 2] <= self.top_m)

    @classmethod
    def from_body(cls, name: str, body: Any, density_t_m3: float, *,
                  grades: Mapping[str, GradeDistribution] | None = None,
                  crs: Any = None) -> Zone:
        """
        A zone from a body of :mod:`raremin.domains` (``Solid``, ``Layer``, ``Prism``).

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.domains import Prism
        >>> Zone.from_body("A", Prism(box(0, 0, 10, 10), 0.0, 5.0), 2.5).tonnage_t
        1250.0
        """
        x0, y0, z0, x1, y1, z1 = (float(v) for v in body.bounds)
        if getattr(body, "kind", None) == "prism":
            return cls(name, body.footprint(), z1, z0, density_t_m3, grades or {}, crs)
        return cls(name, body.footprint(), z1, z0, density_t_m3, grades or {}, crs, body)

    @classmethod
    def from_mesh(cls, name: str, mesh: Any, density_t_m3: float, *, unit: str = "m",
                  grades: Mapping[str, GradeDistribution] | None = None,
                  crs: Any = None) -> Zone:
        """
        A zone from a closed triangulated solid: a file (STL, OBJ, PLY, OFF, DXF) or a
        :class:`raremin.domains.Solid`.

        Parameters
        ----------
        name : str
            Zone name.
        mesh : str, path or Solid
            The solid; a file is read with :meth:`raremin.domains.Solid.read`, which
            checks that it is closed and consistently oriented (repairing the
            orientation with a warning) and reports its exact volume.
        density_t_m3 : float
            Dry bulk density, t/m3.
        unit : {"m", "ft"}
            Unit of the file's coordinates (feet are converted to metres).
        grades, crs
            As for :class:`Zone`; the CRS is the user's (mesh files carry none).

        Examples
        --------
        >>> from raremin.deposit import Zone
        >>> from raremin.domains import Solid
        >>> cube = Solid.from_arrays(
        ...     [[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0],
        ...      [0, 0, 10], [10, 0, 10], [10, 10, 10], [0, 10, 10]],
        ...     [[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
        ...      [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]])
        >>> zone = Zone.from_mesh("cube", cube, 2.5)
        >>> zone.kind, zone.volume_m3, zone.top_m
        ('solid', 1000.0, 10.0)
        """
        from .domains import Solid

        solid = mesh if isinstance(mesh, Solid) else Solid.read(mesh, unit=unit)
        return cls.from_body(name, solid, density_t_m3, grades=grades, crs=crs)

    @classmethod
    def between_surfaces(cls, name: str, bottom: Any, top: Any, density_t_m3: float, *,
                         footprint: Any = None,
                         grades: Mapping[str, GradeDistribution] | None = None,
                         crs: Any = None) -> Zone:
        """
        A zone between two surfaces (a footwall and a hanging wall, a base of weathering
        and the topography...), optionally clipped to a footprint.

        Parameters
        ----------
        name : str
            Zone name.
        bottom, top : Surface, str or path
            The surfaces (:class:`raremin.domains.Surface`, or files read with
            :meth:`raremin.domains.Surface.read`: x/y/z grids, ESRI ASCII grids,
            GeoTIFF, triangulated surfaces).
        density_t_m3 : float
            Dry bulk density, t/m3.
        footprint : shapely Polygon, optional
            Plan outline clipping the layer; default where both surfaces are defined.
        grades, crs
            As for :class:`Zone`.

        Warns
        -----
        UserWarning
            Where the surfaces cross (the layer is empty there), with where.

        Examples
        --------
        >>> import numpy as np
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.domains import Surface
        >>> base = Surface.from_grid(0, 0, 10, 10, np.zeros((11, 11)))
        >>> top = Surface.from_grid(0, 0, 10, 10, np.full((11, 11), 20.0))
        >>> Zone.between_surfaces("L", base, top, 2.0, footprint=box(0, 0, 50, 50)).volume_m3
        50000.0
        """
        from .domains import Layer, Surface

        lower = bottom if isinstance(bottom, Surface) else Surface.read(bottom)
        upper = top if isinstance(top, Surface) else Surface.read(top)
        layer = Layer(lower, upper, footprint=footprint)
        return cls.from_body(name, layer, density_t_m3, grades=grades, crs=crs)

    @property
    def tonnage_t(self) -> float:
        """Tonnage, t (volume x density)."""
        return self.volume_m3 * self.density_t_m3

    @property
    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """``(west, south, bottom, east, north, top)`` in metres."""
        w, s, e, n = self.footprint.bounds
        return (w, s, self.bottom_m, e, n, self.top_m)

    def contained(self) -> pd.DataFrame:
        """
        Mean grade and contained quantity of every grade in the zone's grade model.

        Returns
        -------
        pandas.DataFrame
            One row per grade: ``grade``, ``basis``, ``unit``, ``mean_grade``,
            ``tonnage_t``, ``contained_t``.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.distributions import Lognormal
        >>> tree = Lognormal.from_mean_cv(1050, 0.3, unit="ppm", basis="element")
        >>> z = Zone("A", box(0, 0, 1000, 1000), 760, 460, 2.65, grades={"tree": tree})
        >>> float(z.contained()["contained_t"].iloc[0].round())
        834750.0
        """
        rows = []
        for key, dist in self.grades.items():
            mean = float(dist.mean())
            rows.append(
                {
                    "zone": self.name,
                    "grade": key,
                    "basis": dist.basis,
                    "unit": dist.unit,
                    "mean_grade": mean,
                    "tonnage_t": self.tonnage_t,
                    "contained_t": self.tonnage_t * mean * grade_factor(dist.unit),
                }
            )
        columns = ["zone", "grade", "basis", "unit", "mean_grade", "tonnage_t", "contained_t"]
        return pd.DataFrame(rows, columns=columns)

    def __repr__(self) -> str:
        from ._display import zone_text

        return zone_text(self)

    def _repr_html_(self) -> str:
        from ._display import zone_html

        return zone_html(self)


@dataclasses.dataclass(frozen=True, eq=False)
class Deposit:
    """
    A named set of zones in one projected coordinate reference system.

    Parameters
    ----------
    name : str
        Deposit name.
    zones : iterable of Zone
        The zones; names must be unique. Zones whose footprints overlap in plan must
        not overlap in elevation (tonnage would be counted twice).
    crs : pyproj CRS or anything pyproj accepts
        The deposit's CRS: projected, in metres (or ``"local"`` for a mine grid).
    notes : str, optional
        Provenance (sources, dates, what is synthetic).
    topography : Surface, optional
        The ground surface (:class:`raremin.domains.Surface`): air above it is left out
        of every zone, in block models and when samples are tagged with zones.

    Raises
    ------
    CRSError
        Missing or geographic CRS, or a zone in another CRS.
    GeometryError
        Overlapping prisms (overlaps of solids and layers are found when the block model
        is built: the proportions of a block add up to more than 1).

    Examples
    --------
    >>> from shapely import box
    >>> from raremin.deposit import Deposit, Zone
    >>> zones = [Zone("A", box(0, 0, 100, 100), 10, 0, 2.5),
    ...          Zone("B", box(200, 0, 300, 50), 10, 0, 2.5)]
    >>> dep = Deposit("Two zones", zones, crs=32643)
    >>> dep.names, dep.tonnage_t
    (('A', 'B'), 375000.0)
    """

    name: str
    zones: Sequence[Zone]  # stored as a tuple
    crs: Any
    notes: str = ""
    topography: Any = None

    def __post_init__(self) -> None:
        zones = tuple(self.zones)
        if not zones:
            raise InputError(f"deposit {self.name!r} needs at least one zone")
        for z in zones:
            if not isinstance(z, Zone):
                raise InputError(f"deposit zones must be Zone objects; got {type(z).__name__}")
        names = [z.name for z in zones]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InputError(f"deposit {self.name!r} has duplicate zone names {dupes}")
        crs = check_projected(
            as_crs(self.crs), f"deposit {self.name!r} zones", zones[0].footprint
        )
        for z in zones:
            check_same_crs(crs, z.crs, f"zone {z.name!r} coordinates")
        self._check_overlaps(tuple(z for z in zones if z.body is None))
        if self.topography is not None and not callable(getattr(self.topography, "z_at", None)):
            raise InputError(f"topography must be a raremin.domains.Surface; got "
                             f"{type(self.topography).__name__}")
        object.__setattr__(self, "zones", zones)
        object.__setattr__(self, "crs", crs)

    @staticmethod
    def _check_overlaps(zones: tuple[Zone, ...]) -> None:
        if len(zones) < 2:
            return
        feet = np.array([z.footprint for z in zones], dtype=object)
        tree = shapely.STRtree(feet)
        left, right = tree.query(feet, predicate="intersects")
        for i, j in zip(left, right, strict=True):
            if i >= j:
                continue
            a, b = zones[i], zones[j]
            shared = shapely.intersection(a.footprint, b.footprint).area
            vertical = min(a.top_m, b.top_m) - max(a.bottom_m, b.bottom_m)
            if shared > 1e-6 * min(a.area_m2, b.area_m2) and vertical > 0:
                raise GeometryError(
                    f"zones {a.name!r} and {b.name!r} overlap ({shared:.1f} m2 in plan over "
                    f"{vertical:.1f} m); tonnage would be counted twice: clip one by the other"
                )

    # --- access ------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Zone]:
        return iter(self.zones)

    def __len__(self) -> int:
        return len(self.zones)

    @property
    def names(self) -> tuple[str, ...]:
        """Zone names, in order."""
        return tuple(z.name for z in self.zones)

    def zone(self, name: str) -> Zone:
        """
        The zone called `name`.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Deposit, Zone
        >>> Deposit("D", [Zone("A", box(0, 0, 1, 1), 1, 0, 2.5)], crs=32643).zone("A").name
        'A'
        """
        for z in self.zones:
            if z.name == name:
                return z
        raise InputError(f"deposit {self.name!r} has no zone {name!r}; zones: {list(self.names)}")

    @property
    def volume_m3(self) -> float:
        """Total volume of the zones (below the topography, if any), m3."""
        return float(sum(self._volumes()))

    @property
    def tonnage_t(self) -> float:
        """Total tonnage of the zones (below the topography, if any), t."""
        return float(sum(v * z.density_t_m3 for v, z in zip(self._volumes(), self.zones,
                                                            strict=True)))

    def _volumes(self) -> list[float]:
        """Each zone's volume; under a topography, by vertical rays on a fine plan grid."""
        if self.topography is None:
            return [z.volume_m3 for z in self.zones]
        from .domains import body_volume

        return [body_volume(z.shape, topography=self.topography) for z in self.zones]

    def labels(self, xyz: ArrayLike) -> np.ndarray:
        """
        The zone holding each point (``""`` outside every zone and above the topography).

        A point on a boundary shared by two zones goes to the first of them in the
        deposit's order.

        Parameters
        ----------
        xyz : array_like, shape (n, 3) or (n, 2)
            Easting, northing[, elevation], m. With two columns only the footprints are
            tested.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Deposit, Zone
        >>> dep = Deposit("D", [Zone("A", box(0, 0, 10, 10), 5, 0, 2.5)], crs=32643)
        >>> dep.labels([[5, 5, 1], [5, 5, 9], [50, 5, 1]]).tolist()
        ['A', '', '']
        """
        return zone_labels(xyz, self.zones, topography=self.topography)

    @property
    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """``(west, south, bottom, east, north, top)`` covering every zone, metres."""
        b = np.array([z.bounds for z in self.zones])
        return (*b[:, :3].min(axis=0).tolist(), *b[:, 3:].max(axis=0).tolist())  # type: ignore[return-value]

    # --- tables ------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """
        Area, thickness, volume, density and tonnage per zone, with a total row.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Deposit, Zone
        >>> dep = Deposit("D", [Zone("A", box(0, 0, 100, 100), 10, 0, 2.5)], crs=32643)
        >>> dep.summary()["tonnage_t"].tolist()
        [250000.0, 250000.0]
        """
        rows = [
            {
                "zone": z.name,
                "kind": z.kind,
                "area_m2": z.area_m2,
                "top_m": z.top_m,
                "bottom_m": z.bottom_m,
                "volume_m3": volume,
                "density_t_m3": z.density_t_m3,
                "tonnage_t": volume * z.density_t_m3,
            }
            for z, volume in zip(self.zones, self._volumes(), strict=True)
        ]
        table = pd.DataFrame(rows)
        total = {
            "zone": "Total",
            "kind": "",
            "area_m2": table["area_m2"].sum(),
            "top_m": np.nan,
            "bottom_m": np.nan,
            "volume_m3": table["volume_m3"].sum(),
            "density_t_m3": self.tonnage_t / self.volume_m3,
            "tonnage_t": table["tonnage_t"].sum(),
        }
        return pd.concat([table, pd.DataFrame([total])], ignore_index=True)

    def contained(self) -> pd.DataFrame:
        """
        Contained quantity of every modelled grade, per zone.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Deposit, Zone
        >>> dep = Deposit("D", [Zone("A", box(0, 0, 1, 1), 1, 0, 2.5)], crs=32643)
        >>> len(dep.contained())
        0
        """
        return pd.concat([z.contained() for z in self.zones], ignore_index=True)

    # --- GeoDataFrame and files --------------------------------------------------------
    def to_geodataframe(self) -> Any:
        """
        One row per zone: ``zone``, ``top_elevation_m``, ``bottom_elevation_m``,
        ``density_t_m3``, ``area_m2``, ``volume_m3``, ``tonnage_t``, ``geometry``.

        Grade models are summarised as ``<grade>_mean_<unit>`` columns.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Deposit, Zone
        >>> dep = Deposit("D", [Zone("A", box(0, 0, 1, 1), 1, 0, 2.5)], crs=32643)
        >>> dep.to_geodataframe().crs.to_epsg()
        32643
        """
        import geopandas as gpd

        rows = []
        for z in self.zones:
            row: dict[str, Any] = {
                "zone": z.name,
                "kind": z.kind,
                "top_elevation_m": z.top_m,
                "bottom_elevation_m": z.bottom_m,
                "density_t_m3": z.density_t_m3,
                "area_m2": z.area_m2,
                "volume_m3": z.volume_m3,
                "tonnage_t": z.tonnage_t,
            }
            for key, dist in z.grades.items():
                row[f"{key}_mean_{unit_suffix(dist.unit)}"] = float(dist.mean())
            row["geometry"] = z.footprint
            rows.append(row)
        gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=self.crs)
        gdf.attrs.update(deposit=self.name, notes=self.notes)
        return gdf

    @classmethod
    def from_geodataframe(
        cls,
        gdf: Any,
        *,
        name: str = "deposit",
        zone_column: str = "zone",
        top_column: str = "top_elevation_m",
        bottom_column: str = "bottom_elevation_m",
        density_column: str = "density_t_m3",
        density_t_m3: float | None = None,
        notes: str = "",
    ) -> Deposit:
        """
        Build a deposit from a GeoDataFrame with one row per zone.

        Parameters
        ----------
        gdf : geopandas.GeoDataFrame
            Zones with polygon geometries and a projected CRS.
        name : str
            Deposit name.
        zone_column, top_column, bottom_column, density_column : str
            Columns holding the zone name, top and bottom elevations (m) and density.
        density_t_m3 : float, optional
            Density for every zone when the frame has no density column.
        notes : str
            Provenance notes.

        Returns
        -------
        Deposit

        Raises
        ------
        InputError
            A required column is missing.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely import box
        >>> from raremin.deposit import Deposit
        >>> gdf = gpd.GeoDataFrame({"zone": ["A"], "top_elevation_m": [10.0],
        ...                         "bottom_elevation_m": [0.0]},
        ...                        geometry=[box(0, 0, 10, 10)], crs=32643)
        >>> Deposit.from_geodataframe(gdf, density_t_m3=2.5).tonnage_t
        2500.0
        """
        if gdf is None or len(gdf) == 0:
            raise InputError("the zones table is empty; it needs one row per zone")
        needed = [zone_column, top_column, bottom_column]
        if density_t_m3 is None:
            needed.append(density_column)
        missing = [c for c in needed if c not in gdf.columns]
        if missing:
            raise InputError(
                f"zones table lacks column(s) {missing}; it has {list(gdf.columns)} "
                f"(pass the column names, or density_t_m3= for one density)"
            )
        crs = as_crs(gdf.crs)
        zones = []
        for _, row in gdf.iterrows():
            density = density_t_m3 if density_t_m3 is not None else row[density_column]
            zones.append(
                Zone(
                    str(row[zone_column]),
                    row.geometry,
                    top_m=row[top_column],
                    bottom_m=row[bottom_column],
                    density_t_m3=density,
                    crs=crs,
                )
            )
        return cls(name, zones, crs=crs, notes=notes or gdf.attrs.get("notes", ""))

    def to_file(self, path: Any, driver: str | None = None) -> None:
        """
        Write the zones to a GeoPackage (``.gpkg``) or GeoJSON (``.geojson``) file.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from shapely import box
        >>> from raremin.deposit import Deposit, Zone
        >>> dep = Deposit("D", [Zone("A", box(0, 0, 10, 10), 10, 0, 2.5)], crs=32643)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     dep.to_file(pathlib.Path(tmp) / "zones.gpkg")
        ...     Deposit.read_file(pathlib.Path(tmp) / "zones.gpkg").tonnage_t
        2500.0
        """
        self.to_geodataframe().to_file(path, driver=driver or _driver(path))

    @classmethod
    def read_file(cls, path: Any, *, name: str | None = None, **columns: Any) -> Deposit:
        """
        Read zones from a GeoPackage or GeoJSON file (see :meth:`from_geodataframe`).

        Examples
        --------
        >>> from raremin.deposit import Deposit
        >>> callable(Deposit.read_file)
        True
        """
        from pathlib import Path

        import geopandas as gpd

        if not Path(path).is_file():
            raise InputError(f"no such zones file: {str(path)!r}")
        try:
            gdf = gpd.read_file(path)
        except Exception as err:  # the GIS driver's own errors, named for the user
            raise InputError(
                f"cannot read the zones file {str(path)!r} ({' '.join(str(err).split())}); "
                f"give a GeoPackage (.gpkg) or GeoJSON (.geojson) file") from None
        return cls.from_geodataframe(gdf, name=name or Path(path).stem, **columns)

    @classmethod
    def read_meshes(
        cls,
        paths: Any,
        *,
        crs: Any,
        density_t_m3: float | Mapping[str, float],
        names: Any = None,
        unit: str = "m",
        name: str = "deposit",
        topography: Any = None,
        notes: str = "",
    ) -> Deposit:
        """
        A deposit whose zones are closed solids read from mesh files (STL, OBJ, PLY, OFF,
        DXF), one zone per file.

        Parameters
        ----------
        paths : path or sequence of paths
            The mesh files.
        crs : CRS
            The CRS of the meshes' coordinates (mesh files carry none).
        density_t_m3 : float or mapping of zone name to float
            Densities, t/m3.
        names : sequence of str, optional
            Zone names; default the file names without extension.
        unit : {"m", "ft"}
            Unit of the meshes' coordinates.
        name, topography, notes
            As for :class:`Deposit`.

        Raises
        ------
        GeometryError, InputError
            A mesh that is not closed, has zero volume or crosses itself (see
            :meth:`raremin.domains.Solid.read`); a zone far from the others (more than
            ten times their extent away: another unit or CRS?).

        Examples
        --------
        >>> from raremin.deposit import Deposit
        >>> callable(Deposit.read_meshes)
        True
        """
        from pathlib import Path

        files = [paths] if isinstance(paths, (str, Path)) else list(paths)
        if not files:
            raise InputError("no mesh file given")
        labels = [Path(f).stem for f in files] if names is None else [str(n) for n in names]
        if len(labels) != len(files):
            raise InputError(f"{len(labels)} names for {len(files)} mesh files")
        zones = []
        for label, path in zip(labels, files, strict=True):
            density = density_t_m3[label] if isinstance(density_t_m3, Mapping) else density_t_m3
            zones.append(Zone.from_mesh(label, path, density, unit=unit, crs=crs))
        check_zones_apart(zones)
        return cls(name, zones, crs=crs, notes=notes, topography=topography)

    def __repr__(self) -> str:
        from ._display import deposit_text

        return deposit_text(self)

    def _repr_html_(self) -> str:
        from ._display import deposit_html

        return deposit_html(self)


def _driver(path: Any) -> str:
    suffix = str(path).lower().rsplit(".", 1)[-1]
    drivers = {"gpkg": "GPKG", "geojson": "GeoJSON", "json": "GeoJSON"}
    if suffix not in drivers:
        raise InputError(f"cannot tell the file format of {str(path)!r}; use .gpkg or .geojson")
    return drivers[suffix]


def check_zones_apart(zones: Iterable[Zone]) -> None:
    """
    Raise InputError when a zone lies far from the others: more than ten times the other
    zones' extent away, the mark of a file in another unit (feet) or another CRS.

    Examples
    --------
    >>> from shapely import box
    >>> from raremin.deposit import Zone, check_zones_apart
    >>> check_zones_apart([Zone("A", box(0, 0, 100, 100), 10, 0, 2.5),
    ...                    Zone("B", box(150, 0, 250, 100), 10, 0, 2.5)])
    """
    zones = list(zones)
    if len(zones) < 2:
        return
    b = np.array([z.bounds for z in zones], dtype=float)
    centre = (b[:, :3] + b[:, 3:]) / 2
    far = []
    for k in range(len(zones)):
        others = np.delete(b, k, axis=0)
        lo, hi = others[:, :3].min(axis=0), others[:, 3:].max(axis=0)
        extent = max(float(np.linalg.norm(hi - lo)), 1.0)
        gap = float(np.linalg.norm(np.maximum(0.0, np.maximum(lo - b[k, 3:], b[k, :3] - hi))))
        if gap > 10 * extent:
            scaled = centre[k] * 0.3048
            feet = bool(np.all((scaled >= lo - extent) & (scaled <= hi + extent)))
            far.append((not feet, k, gap, extent))
    if far:
        not_feet, k, gap, extent = min(far)
        hint = (" It lines up with them if its coordinates are feet: give unit='ft'."
                if not not_feet else " Check its unit (feet?) and its CRS.")
        raise InputError(
            f"zone {zones[k].name!r} lies {gap:,.0f} m from the other zones, more than ten "
            f"times their extent ({extent:,.0f} m).{hint}")


def zone_labels(xyz: ArrayLike, zones: Deposit | Zone | Iterable[Zone], *,
                topography: Any = None) -> np.ndarray:
    """
    The name of the first zone holding each point; ``""`` outside every zone.

    The one implementation of sample coding, used to tag samples and composites: a prism
    holds a point when its footprint holds the plan point (boundaries included) and
    ``bottom_m <= z <= top_m``; a solid or a layer by vertical rays
    (:mod:`raremin.domains`). Points above `topography` are outside every zone. With
    two columns only the footprints are tested.

    Examples
    --------
    >>> from shapely import box
    >>> from raremin.deposit import Zone, zone_labels
    >>> zones = [Zone("A", box(0, 0, 10, 10), 5, 0, 2.5), Zone("B", box(10, 0, 20, 10), 5, 0,
    ...          2.5)]
    >>> zone_labels([[10, 5, 1], [15, 5, 1], [15, 5, 7]], zones).tolist()
    ['A', 'B', '']
    """
    pts = np.asarray(xyz, dtype=float)
    if pts.ndim != 2 or pts.shape[1] not in (2, 3):
        raise InputError(f"points must have 2 or 3 columns (easting, northing[, elevation]); "
                         f"got shape {pts.shape}")
    labels = np.full(len(pts), "", dtype=object)
    free = np.ones(len(pts), dtype=bool)
    if topography is not None and pts.shape[1] == 3 and len(pts):
        ground = np.asarray(topography.z_at(pts[:, 0], pts[:, 1]), dtype=float)
        with np.errstate(invalid="ignore"):
            free &= ~(pts[:, 2] > ground)
    for zone in zones_of(zones):
        if not isinstance(zone, Zone):
            raise InputError(f"zones must be a Deposit, a Zone or Zones; got "
                             f"{type(zone).__name__}")
        if not free.any():
            break
        rows = np.flatnonzero(free)
        if pts.shape[1] == 2:
            inside = shapely.intersects_xy(zone.footprint, pts[rows, 0], pts[rows, 1])
        else:
            inside = zone.contains(pts[rows])
        labels[rows[inside]] = zone.name
        free[rows[inside]] = False
    return labels


def zones_of(obj: Deposit | Zone | Iterable[Zone]) -> tuple[Zone, ...]:
    """The zones of a deposit, a zone, or an iterable of zones."""
    if isinstance(obj, Deposit):
        return tuple(obj.zones)  # already a tuple: returned as is
    if isinstance(obj, Zone):
        return (obj,)
    return tuple(obj)
