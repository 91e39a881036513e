"""
Generate the SYNTHETIC Kuirektykol rare-earth dataset bundled with raremin.

Every number written by this script is invented, except the few public figures it is
calibrated to (see ``README.md`` and ``metadata.json``): the explored area (64.2 km2), the
two zones Irgiz and Dos 2, an average grade just above 0.1 % total rare earths with
individual samples up to about 0.25 %, cerium, lanthanum, neodymium and yttrium as the main
elements, about 0.80 Mt of rare-earth metals in Irgiz and about 0.94 Mt in the deposit.
The location is approximate: no coordinates have been published.

Run ``python generate.py --out DIR`` to write the files to ``DIR`` (default: the folder
holding this script). The output is deterministic: one fixed seed, ``numpy.random``
generators only, no global random state. Only numpy, scipy, pandas, shapely and pyproj are
used.

How the data are made
---------------------
1. The site centre is put 100 km north-east of Karkaraly town (49.41 N, 75.47 E) along the
   WGS 84 ellipsoid and projected to WGS 84 / UTM zone 43N (EPSG:32643).
2. Each zone is an irregular star-shaped polygon scaled to a chosen area and extends from
   the flat surface at 760 m down 300 m to 460 m.
3. Total rare-earth element grade TREE (ppm, element basis, La-Lu + Y) in each zone is
   ``exp(mu + sigma * cap(sqrt(1 - nugget) * Z + sqrt(nugget) * e))`` where ``Z`` is a
   Gaussian random field on a 20 m x 20 m x 5 m grid (white noise smoothed with an
   anisotropic Gaussian kernel, practical ranges 275 m horizontally and 40 m vertically,
   rescaled to unit variance), ``e`` an independent standard normal per sample (the
   nugget, 15 % of the log-variance), ``sigma = 0.28`` and ``cap`` a soft cap of the
   extreme upper tail (:func:`soft_cap`). Samples take ``Z`` by trilinear interpolation.
   ``mu`` is solved so that the mean grade inside the zone volume, measured on the grid
   (the nugget integrated out by quadrature), gives the target contained TREE:
   ``area x 300 m x 2.65 t/m3 x mean``.
4. Outside the zones grades fall to a background of about 400 ppm over a 50 m taper.
5. The element split follows smoothly varying shares between a light-rich and a slightly
   heavier end member, with 3 % analytical noise per element.
6. Drillholes sit on a regular pattern over each zone, plus a few exploration holes
   outside; about 40 % of them are inclined with gentle drift. Sample coordinates are
   the interval midpoints from minimum-curvature desurveying (:func:`desurvey`).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer
from scipy import ndimage, special
from shapely.geometry import Polygon, box, mapping
from shapely.geometry.polygon import orient

LOG = logging.getLogger("raremin.datasets.kuirektykol")

SEED = 20250402
EPSG = 32643
SURFACE_ELEVATION_M = 760.0
ZONE_DEPTH_M = 300.0
ZONE_BOTTOM_M = SURFACE_ELEVATION_M - ZONE_DEPTH_M
DENSITY_T_M3 = 2.65
EXPLORED_AREA_M2 = 64.2e6
EXPLORED_SIDES_M = (8025.0, 8000.0)  # east-west, north-south: 64.2 km2
KARKARALY_LON_LAT = (75.47, 49.41)
SITE_DISTANCE_M = 100_000.0
SITE_BEARING_DEG = 45.0

# Grade field.
SIGMA_LOG = 0.28  # standard deviation of ln(TREE) in a zone, before the tail cap
TAIL_START = 2.6  # standard deviates above this are compressed smoothly ...
TAIL_WIDTH = 0.8  # ... towards TAIL_START + TAIL_WIDTH (samples "up to about 0.25 %")
NUGGET_FRACTION = 0.15  # share of the log-variance that is spatially independent
RANGE_H_M = 275.0  # practical range, horizontal
RANGE_V_M = 40.0  # practical range, vertical
CELL_M = (20.0, 20.0, 5.0)
FIELD_MARGIN_M = 300.0
TAPER_M = 50.0
BACKGROUND_MEAN_PPM = 400.0
BACKGROUND_SIGMA_LOG = 0.30
REGIONAL_CELL_M = (50.0, 50.0, 12.5)
REGIONAL_MARGIN_M = 500.0
BACKGROUND_RANGE_M = (400.0, 60.0)
MIX_RANGE_M = (600.0, 100.0)
ANALYTICAL_RSD = 0.03
GRID_Z_CENTRES_M = np.arange(392.5, 767.5 + 1e-9, 5.0)
REGIONAL_Z_CENTRES_M = np.arange(392.5, 767.5 + 1e-9, 12.5)

# Drilling.
SURVEY_STEP_M = 50.0
ASSAY_STEP_M = 3.0
MAX_INCLINED_LENGTH_M = 360.0
INCLINED_FRACTION = 0.4
N_EXPLORATION_HOLES = 6

ELEMENTS = ("la", "ce", "pr", "nd", "sm", "eu", "gd", "tb", "dy", "ho", "er", "tm", "yb",
            "lu", "y")
GRADE_COLUMNS = tuple(f"{e}_ppm" for e in ELEMENTS)
# Element shares of TREE (normalised below); Ce, La, Nd and Y dominate.
BASE_SHARES = np.array([0.20, 0.38, 0.042, 0.15, 0.028, 0.005, 0.024, 0.0035, 0.019, 0.004,
                        0.012, 0.0017, 0.011, 0.0016, 0.10])
LIGHT = np.array([e in ("la", "ce", "pr", "nd") for e in ELEMENTS])


@dataclass(frozen=True)
class ZoneSpec:
    """Invented shape and drilling of one zone; the target tonnage is the public figure."""

    name: str
    code: str
    offset_m: tuple[float, float]  # from the site centre (east, north)
    area_m2: float
    aspect: float
    orientation_deg: float  # long axis, clockwise from north
    n_vertices: int
    target_tree_t: float
    spacing_m: float


ZONES = (
    ZoneSpec("Irgiz", "IRG", (-1200.0, -650.0), 0.95e6, 1.7, 35.0, 14, 800_000.0, 115.0),
    ZoneSpec("Dos 2", "DOS", (1350.0, 800.0), 0.16e6, 1.4, 115.0, 10, 140_000.0, 105.0),
)


def _streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent generators per component, so changing one part leaves the others."""
    names = ["site", "zone_Irgiz", "zone_Dos 2", "field_Irgiz", "field_Dos 2", "regional",
             "holes", "samples"]
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {n: np.random.default_rng(s) for n, s in zip(names, children, strict=True)}


# ---------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------
def site_centre() -> tuple[float, float]:
    """Easting and northing (EPSG:32643, rounded to 100 m) 100 km NE of Karkaraly."""
    lon, lat, _ = Geod(ellps="WGS84").fwd(*KARKARALY_LON_LAT, SITE_BEARING_DEG,
                                          SITE_DISTANCE_M)
    to_utm = Transformer.from_crs("EPSG:4326", f"EPSG:{EPSG}", always_xy=True)
    east, north = to_utm.transform(lon, lat)
    return round(east, -2), round(north, -2)


def zone_polygon(spec: ZoneSpec, centre: tuple[float, float],
                 rng: np.random.Generator) -> Polygon:
    """An irregular star-shaped polygon of `spec.area_m2`, vertices rounded to 0.01 m."""
    n = spec.n_vertices
    theta = 2 * np.pi * (np.arange(n) + rng.uniform(-0.25, 0.25, n)) / n
    radius = np.ones(n)
    for order in (2, 3, 5):
        radius += rng.uniform(0.03, 0.08) * np.cos(order * theta + rng.uniform(0, 2 * np.pi))
    u = radius * np.cos(theta) * math.sqrt(spec.aspect)  # along the long axis
    v = radius * np.sin(theta) / math.sqrt(spec.aspect)
    az = math.radians(spec.orientation_deg)
    east = u * math.sin(az) + v * math.cos(az)
    north = u * math.cos(az) - v * math.sin(az)
    scale = math.sqrt(spec.area_m2 / Polygon(np.column_stack([east, north])).area)
    x = np.round(centre[0] + spec.offset_m[0] + scale * east, 2)
    y = np.round(centre[1] + spec.offset_m[1] + scale * north, 2)
    poly = orient(Polygon(np.column_stack([x, y])), 1.0)
    if not poly.is_valid:  # pragma: no cover - guarded by construction
        raise RuntimeError(f"zone {spec.name} polygon is invalid")
    return poly


def explored_polygon(centre: tuple[float, float]) -> Polygon:
    """The 64.2 km2 explored area: a rectangle of 8025 m x 8000 m about the site centre."""
    half_e, half_n = EXPLORED_SIDES_M[0] / 2, EXPLORED_SIDES_M[1] / 2
    if abs(4 * half_e * half_n - EXPLORED_AREA_M2) > 1.0:  # pragma: no cover
        raise RuntimeError("explored-area sides do not give 64.2 km2")
    return orient(box(centre[0] - half_e, centre[1] - half_n,
                      centre[0] + half_e, centre[1] + half_n), 1.0)


# ---------------------------------------------------------------------------------------
# Minimum-curvature desurvey
# ---------------------------------------------------------------------------------------
def direction_vectors(azimuth_deg: np.ndarray, dip_deg: np.ndarray) -> np.ndarray:
    """
    Unit vectors (east, north, up) down the hole.

    Azimuth is clockwise from north, dip negative downwards, so
    ``t = (cos(dip) sin(az), cos(dip) cos(az), sin(dip))``.
    """
    az = np.radians(np.asarray(azimuth_deg, dtype=float))
    dip = np.radians(np.asarray(dip_deg, dtype=float))
    return np.stack([np.cos(dip) * np.sin(az), np.cos(dip) * np.cos(az), np.sin(dip)],
                    axis=-1)


def _dogleg(t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
    """Angle between unit vectors, arccos(t1.t2), computed stably as atan2(|t1 x t2|, t1.t2)."""
    cross = np.linalg.norm(np.cross(t1, t2), axis=-1)
    return np.arctan2(cross, np.sum(t1 * t2, axis=-1))


def _ratio_factor(beta: np.ndarray) -> np.ndarray:
    """RF = (2 / beta) tan(beta / 2); its series 1 + beta**2 / 12 for beta below 1e-6."""
    beta = np.asarray(beta, dtype=float)
    small = beta < 1e-6
    safe = np.where(small, 1.0, beta)
    return np.where(small, 1.0 + beta**2 / 12.0, 2.0 / safe * np.tan(safe / 2.0))


def _slerp(t1: np.ndarray, t2: np.ndarray, beta: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Direction a fraction `f` of the way along the great-circle arc from t1 to t2."""
    small = beta < 1e-9
    sb = np.sin(np.where(small, 1.0, beta))
    a = np.where(small, 1.0 - f, np.sin((1.0 - f) * beta) / sb)
    b = np.where(small, f, np.sin(f * beta) / sb)
    t = a[:, None] * t1 + b[:, None] * t2
    return t / np.linalg.norm(t, axis=-1, keepdims=True)


def desurvey(collar_xyz: np.ndarray, station_md: np.ndarray, azimuth_deg: np.ndarray,
             dip_deg: np.ndarray, md: np.ndarray) -> np.ndarray:
    """
    Positions (east, north, elevation) at measured depths `md` by minimum curvature.

    Between stations at depths MD1 < MD2 with unit directions t1, t2 the hole is a
    circular arc. With the dogleg ``beta = arccos(t1 . t2)`` and the ratio factor
    ``RF = (2 / beta) tan(beta / 2)`` (1 when beta is 0) the displacement is
    ``(MD2 - MD1) / 2 * (t1 + t2) * RF``. A depth ``md`` between the stations lies at the
    fraction ``f = (md - MD1) / (MD2 - MD1)`` of the arc: its direction is the spherical
    interpolation ``t(f) = [sin((1 - f) beta) t1 + sin(f beta) t2] / sin(beta)`` and its
    displacement from station 1 is the same formula on the sub-arc:
    ``(md - MD1) / 2 * (t1 + t(f)) * RF(f beta)``.
    Depths must lie within the stations (the first station is at depth 0).
    """
    station_md = np.asarray(station_md, dtype=float)
    md = np.asarray(md, dtype=float)
    t = direction_vectors(azimuth_deg, dip_deg)
    seg = np.diff(station_md)
    beta = _dogleg(t[:-1], t[1:])
    step = (seg * _ratio_factor(beta) / 2.0)[:, None] * (t[:-1] + t[1:])
    stations = np.asarray(collar_xyz, dtype=float) + np.vstack([np.zeros(3),
                                                                np.cumsum(step, axis=0)])
    k = np.clip(np.searchsorted(station_md, md, side="right") - 1, 0, len(seg) - 1)
    dmd = md - station_md[k]
    f = dmd / seg[k]
    tf = _slerp(t[k], t[k + 1], beta[k], f)
    return stations[k] + (dmd * _ratio_factor(f * beta[k]) / 2.0)[:, None] * (t[k] + tf)


# ---------------------------------------------------------------------------------------
# Random fields
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grid:
    """A regular 3D grid given by its cell-centre coordinates along each axis."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.x.size, self.y.size, self.z.size)

    def index_coordinates(self, pts: np.ndarray) -> np.ndarray:
        """Fractional indices of points (n, 3) for ndimage.map_coordinates."""
        axes = (self.x, self.y, self.z)
        return np.stack([(pts[:, i] - a[0]) / (a[1] - a[0]) for i, a in enumerate(axes)])

    def contains(self, pts: np.ndarray) -> np.ndarray:
        axes = (self.x, self.y, self.z)
        inside = np.ones(len(pts), dtype=bool)
        for i, a in enumerate(axes):
            inside &= (pts[:, i] >= a[0]) & (pts[:, i] <= a[-1])
        return inside


def _axis(lo: float, hi: float, step: float) -> np.ndarray:
    start = math.floor(lo / step) * step + step / 2
    return np.arange(start, hi + step, step)


def gaussian_field(shape: tuple[int, int, int], cell_m: tuple[float, float, float],
                   range_m: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """
    Unit-variance Gaussian random field: white noise smoothed by a Gaussian kernel.

    A kernel of standard deviation s gives the Gaussian covariance exp(-h**2 / (4 s**2)),
    whose practical range (correlation 0.05) is 2 sqrt(3) s; so s = range / (2 sqrt(3)).
    """
    noise = rng.standard_normal(shape)
    s_h, s_v = (r / (2.0 * math.sqrt(3.0)) for r in range_m)
    sigma = (s_h / cell_m[0], s_h / cell_m[1], s_v / cell_m[2])
    field = ndimage.gaussian_filter(noise, sigma=sigma, mode="reflect", truncate=4.0)
    return (field - field.mean()) / field.std()


def soft_cap(u: np.ndarray) -> np.ndarray:
    """
    Soft cap of standard deviates: ``u`` up to ``c``, then ``c + w tanh((u - c) / w)``.

    ``c = TAIL_START`` and ``w = TAIL_WIDTH``; the cap keeps the highest samples near the
    public "up to about 0.25 %" while leaving the body of the distribution lognormal.
    """
    u = np.asarray(u, dtype=float)
    over = np.maximum(u - TAIL_START, 0.0)
    return np.where(u > TAIL_START, TAIL_START + TAIL_WIDTH * np.tanh(over / TAIL_WIDTH), u)


def _nugget_expectation(spatial: np.ndarray) -> np.ndarray:
    """
    ``E[exp(sigma * soft_cap(spatial + sqrt(nugget) * e))]`` over ``e ~ N(0, 1)``.

    `spatial` is ``sqrt(1 - nugget) * Z`` at grid cells; the expectation over the nugget,
    which is drawn per sample and not on the grid, uses 40-point Gauss-Hermite quadrature.
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / weights.sum()
    u = spatial[:, None] + math.sqrt(NUGGET_FRACTION) * nodes[None, :]
    return np.exp(SIGMA_LOG * soft_cap(u)) @ weights


def _sample_field(field: np.ndarray, grid: Grid, pts: np.ndarray) -> np.ndarray:
    return ndimage.map_coordinates(field, grid.index_coordinates(pts), order=1,
                                   mode="nearest")


@dataclass(frozen=True)
class ZoneField:
    spec: ZoneSpec
    polygon: Polygon
    grid: Grid
    z: np.ndarray
    mu: float
    grid_mean_ppm: float
    cells_in_zone: int

    @property
    def volume_m3(self) -> float:
        return self.polygon.area * ZONE_DEPTH_M

    @property
    def realised_tree_t(self) -> float:
        return self.volume_m3 * DENSITY_T_M3 * self.grid_mean_ppm * 1e-6


def zone_field(spec: ZoneSpec, polygon: Polygon, rng: np.random.Generator) -> ZoneField:
    """The zone's log-grade field and `mu` calibrated to the target contained TREE."""
    minx, miny, maxx, maxy = polygon.bounds
    grid = Grid(_axis(minx - FIELD_MARGIN_M, maxx + FIELD_MARGIN_M, CELL_M[0]),
                _axis(miny - FIELD_MARGIN_M, maxy + FIELD_MARGIN_M, CELL_M[1]),
                GRID_Z_CENTRES_M)
    z = gaussian_field(grid.shape, CELL_M, (RANGE_H_M, RANGE_V_M), rng)
    gx, gy = np.meshgrid(grid.x, grid.y, indexing="ij")
    in_plan = shapely.contains_xy(polygon, gx, gy)
    in_depth = (grid.z > ZONE_BOTTOM_M) & (grid.z < SURFACE_ELEVATION_M)
    in_zone = in_plan[:, :, None] & in_depth[None, None, :]
    spatial = math.sqrt(1.0 - NUGGET_FRACTION) * z[in_zone]
    mean_unit = float(np.mean(_nugget_expectation(spatial)))
    target_ppm = spec.target_tree_t / (polygon.area * ZONE_DEPTH_M * DENSITY_T_M3) * 1e6
    mu = math.log(target_ppm / mean_unit)
    grid_mean = math.exp(mu) * mean_unit
    return ZoneField(spec, polygon, grid, z, mu, grid_mean, int(in_zone.sum()))


# ---------------------------------------------------------------------------------------
# Drillholes
# ---------------------------------------------------------------------------------------
def _pattern_collars(spec: ZoneSpec, polygon: Polygon,
                     rng: np.random.Generator) -> np.ndarray:
    """Collars on a rotated regular pattern over the zone, jittered by up to 5 m."""
    cx, cy = polygon.centroid.x, polygon.centroid.y
    half = math.sqrt(polygon.area) * 1.5
    k = np.arange(-math.ceil(half / spec.spacing_m), math.ceil(half / spec.spacing_m) + 1)
    a, b = np.meshgrid(k, k, indexing="ij")
    shift = rng.uniform(0.0, 1.0, 2)
    u = (a.ravel() + shift[0]) * spec.spacing_m
    v = (b.ravel() + shift[1]) * spec.spacing_m
    az = math.radians(spec.orientation_deg)
    x = cx + u * math.sin(az) + v * math.cos(az) + rng.uniform(-5, 5, u.size)
    y = cy + u * math.cos(az) - v * math.sin(az) + rng.uniform(-5, 5, u.size)
    keep = shapely.contains_xy(polygon.buffer(-10.0), x, y)
    return np.round(np.column_stack([x[keep], y[keep]]), 2)


def _exploration_collars(explored: Polygon, polygons: list[Polygon],
                         rng: np.random.Generator) -> np.ndarray:
    """Collars well away from both zones and from the edge of the explored area."""
    allowed = explored.buffer(-500.0).difference(shapely.union_all(
        [p.buffer(600.0) for p in polygons]))
    minx, miny, maxx, maxy = allowed.bounds
    out: list[tuple[float, float]] = []
    while len(out) < N_EXPLORATION_HOLES:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if allowed.contains(shapely.Point(x, y)) and all(
                math.hypot(x - a, y - b) > 1500.0 for a, b in out):
            out.append((x, y))
    return np.round(np.array(out), 2)


def _hole_length(dip_deg: float) -> float:
    if dip_deg <= -89.999:
        return ZONE_DEPTH_M
    length = math.ceil(ZONE_DEPTH_M / math.sin(math.radians(-dip_deg)) / ASSAY_STEP_M)
    return min(length * ASSAY_STEP_M, MAX_INCLINED_LENGTH_M)


def _survey(length: float, dip0: float, rng: np.random.Generator) -> pd.DataFrame:
    """
    Survey stations every 50 m and at the end of the hole, angles rounded to 0.01 degree.

    A vertical hole (``dip0 = -90``) stays vertical (azimuth written as 0). An inclined hole
    starts at `dip0` and a random azimuth and drifts smoothly: a linear trend of up to
    3 degrees (dip) and 4 degrees (azimuth) per 100 m plus a small quadratic term.
    """
    depth = np.arange(0.0, length, SURVEY_STEP_M)
    depth = np.append(depth, length) if depth[-1] < length else depth
    if dip0 <= -89.999:
        return pd.DataFrame({"depth_m": depth, "azimuth_deg": 0.0, "dip_deg": -90.0})
    az0 = rng.uniform(0.0, 360.0)
    hundred = depth / 100.0
    dip = dip0 + rng.uniform(-3.0, 3.0) * hundred + rng.uniform(-0.2, 0.2) * hundred**2
    az = az0 + rng.uniform(-4.0, 4.0) * hundred + rng.uniform(-0.3, 0.3) * hundred**2
    return pd.DataFrame({"depth_m": depth,
                         "azimuth_deg": np.mod(np.round(az, 2), 360.0),
                         "dip_deg": np.clip(np.round(dip, 2), -88.0, -45.0)})


def make_holes(zone_polys: list[Polygon], explored: Polygon,
               rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Collars and surveys of every hole (zone patterns first, then exploration holes)."""
    groups = [(spec.code, _pattern_collars(spec, poly, rng))
              for spec, poly in zip(ZONES, zone_polys, strict=True)]
    groups.append(("EXP", _exploration_collars(explored, zone_polys, rng)))
    ids = [f"{code}-{i + 1:03d}" for code, pts in groups for i in range(len(pts))]
    xy = np.vstack([pts for _, pts in groups])
    n = len(ids)
    inclined = np.zeros(n, dtype=bool)
    inclined[rng.choice(n, size=round(INCLINED_FRACTION * n), replace=False)] = True
    collars, surveys = [], []
    for i, hole in enumerate(ids):
        dip0 = round(rng.uniform(-75.0, -55.0), 2) if inclined[i] else -90.0
        length = _hole_length(dip0)
        survey = _survey(length, dip0, rng)
        survey.insert(0, "hole_id", hole)
        surveys.append(survey)
        collars.append((hole, xy[i, 0], xy[i, 1], SURFACE_ELEVATION_M, length))
    collar_df = pd.DataFrame(collars, columns=["hole_id", "easting_m", "northing_m",
                                               "elevation_m", "length_m"])
    return collar_df, pd.concat(surveys, ignore_index=True)


def make_intervals(collars: pd.DataFrame) -> pd.DataFrame:
    """Assay intervals of 3 m from the collar to the end of each hole (the last may be short)."""
    parts = []
    for hole, length in zip(collars["hole_id"], collars["length_m"], strict=True):
        start = np.arange(0.0, length, ASSAY_STEP_M)
        parts.append(pd.DataFrame({"hole_id": hole, "from_m": start,
                                   "to_m": np.minimum(start + ASSAY_STEP_M, length)}))
    return pd.concat(parts, ignore_index=True)


def interval_midpoints(collars: pd.DataFrame, surveys: pd.DataFrame,
                       intervals: pd.DataFrame) -> np.ndarray:
    """Midpoints (east, north, elevation) of every interval, rounded to 0.001 m."""
    out = np.empty((len(intervals), 3))
    by_hole = surveys.groupby("hole_id", sort=False)
    rows = intervals.groupby("hole_id", sort=False).indices
    for _, c in collars.iterrows():
        s = by_hole.get_group(c["hole_id"])
        idx = rows[c["hole_id"]]
        mid = 0.5 * (intervals["from_m"].to_numpy()[idx] + intervals["to_m"].to_numpy()[idx])
        out[idx] = desurvey([c["easting_m"], c["northing_m"], c["elevation_m"]],
                            s["depth_m"].to_numpy(), s["azimuth_deg"].to_numpy(),
                            s["dip_deg"].to_numpy(), mid)
    return np.round(out, 3)


def zone_of(points: np.ndarray, polygons: dict[str, Polygon]) -> np.ndarray:
    """Zone name of each point (inside the polygon and from 460 m to 760 m), else ''."""
    zone = np.full(len(points), "", dtype=object)
    in_depth = (points[:, 2] >= ZONE_BOTTOM_M) & (points[:, 2] <= SURFACE_ELEVATION_M)
    for name, poly in polygons.items():
        zone[in_depth & shapely.contains_xy(poly, points[:, 0], points[:, 1])] = name
    return zone


# ---------------------------------------------------------------------------------------
# Grades
# ---------------------------------------------------------------------------------------
def _normalise(v: np.ndarray) -> np.ndarray:
    return v / v.sum()


SHARES_LIGHT = _normalise(BASE_SHARES * np.where(LIGHT, 1.03, 0.92))
SHARES_HEAVY = _normalise(BASE_SHARES * np.where(LIGHT, 0.97, 1.10))


@dataclass(frozen=True)
class RegionalFields:
    """Background log-grade and element-share mixing fields over the whole explored area."""

    grid: Grid
    background: np.ndarray
    mix: np.ndarray


def regional_fields(explored: Polygon, rng: np.random.Generator) -> RegionalFields:
    minx, miny, maxx, maxy = explored.bounds
    grid = Grid(_axis(minx - REGIONAL_MARGIN_M, maxx + REGIONAL_MARGIN_M, REGIONAL_CELL_M[0]),
                _axis(miny - REGIONAL_MARGIN_M, maxy + REGIONAL_MARGIN_M, REGIONAL_CELL_M[1]),
                REGIONAL_Z_CENTRES_M)
    background = gaussian_field(grid.shape, REGIONAL_CELL_M, BACKGROUND_RANGE_M, rng)
    mix = gaussian_field(grid.shape, REGIONAL_CELL_M, MIX_RANGE_M, rng)
    return RegionalFields(grid, background, mix)


def taper_weight(points: np.ndarray, polygon: Polygon) -> np.ndarray:
    """1 inside the zone volume, a cosine taper to 0 at 50 m outside it, 0 beyond."""
    d_h = shapely.distance(polygon, shapely.points(points[:, :2]))
    d_v = np.maximum(0.0, ZONE_BOTTOM_M - points[:, 2]) + np.maximum(
        0.0, points[:, 2] - SURFACE_ELEVATION_M)
    d = np.hypot(d_h, d_v)
    return np.where(d < TAPER_M, 0.5 * (1.0 + np.cos(np.pi * d / TAPER_M)), 0.0)


def make_grades(points: np.ndarray, fields: list[ZoneField], regional: RegionalFields,
                rng: np.random.Generator) -> np.ndarray:
    """Element grades (ppm, rounded to 0.01) at the points, columns as GRADE_COLUMNS."""
    n = len(points)
    nugget = rng.standard_normal(n)
    a, b = math.sqrt(1.0 - NUGGET_FRACTION), math.sqrt(NUGGET_FRACTION)
    if not regional.grid.contains(points).all():  # pragma: no cover - by construction
        raise RuntimeError("a sample lies outside the regional grid")
    z_bg = _sample_field(regional.background, regional.grid, points)
    mu_bg = math.log(BACKGROUND_MEAN_PPM) - BACKGROUND_SIGMA_LOG**2 / 2.0
    tree = np.exp(mu_bg + BACKGROUND_SIGMA_LOG * (a * z_bg + b * nugget))
    for f in fields:
        w = taper_weight(points, f.polygon)
        near = w > 0.0
        if not f.grid.contains(points[near]).all():  # pragma: no cover
            raise RuntimeError(f"a sample near {f.spec.name} lies outside its grid")
        z = _sample_field(f.z, f.grid, points[near])
        t_zone = np.exp(f.mu + SIGMA_LOG * soft_cap(a * z + b * nugget[near]))
        tree[near] = w[near] * t_zone + (1.0 - w[near]) * tree[near]
    mix = special.ndtr(_sample_field(regional.mix, regional.grid, points))
    shares = (1.0 - mix)[:, None] * SHARES_LIGHT + mix[:, None] * SHARES_HEAVY
    noise = np.exp(ANALYTICAL_RSD * rng.standard_normal((n, len(ELEMENTS)))
                   - ANALYTICAL_RSD**2 / 2.0)
    return np.round(tree[:, None] * shares * noise, 2)


# ---------------------------------------------------------------------------------------
# Provenance
# ---------------------------------------------------------------------------------------
PUBLIC_FACTS = [
    {"fact": "explored area", "value": "64.2 km2",
     "source": "Qazinform 2025-04-02; Kursiv"},
    {"fact": "zones", "value": "Irgiz (also spelt Irgyz) and Dos 2",
     "source": "Astana Times 2025-04-03; EU Reporter 2025-04"},
    {"fact": "average grade", "value": "total rare earths above 0.1 %",
     "source": "Astana Times 2025-04-03; EU Reporter 2025-04"},
    {"fact": "individual samples", "value": "up to 0.25 % total rare earths",
     "source": "Astana Times 2025-04-03; EU Reporter 2025-04"},
    {"fact": "Irgiz", "value": "about 800,000 t of rare-earth metals at above 0.1 %",
     "source": "Qazinform 2025-04-02; Astana Times 2025-04-03"},
    {"fact": "deposit total",
     "value": "about 1 Mt; 795,800 t 'reserves' and 935,400 t 'forecast resources' of "
              "lanthanoids (state categories, not JORC/KAZRC classes)",
     "source": "regional press, Dec 2024"},
    {"fact": "depth", "value": "estimates quoted to a depth of 300 m",
     "source": "Qazinform 2025-04-02"},
    {"fact": "main elements", "value": "cerium, lanthanum, neodymium, yttrium",
     "source": "Reuters; Kursiv"},
    {"fact": "location",
     "value": "Karkaraly district, Karaganda region, about 100 km NE of Karkaraly town; "
              "no coordinates published",
     "source": "Qazinform 2025-04-02; Astana Times 2025-04-03"},
    {"fact": "geology",
     "value": "Devonian felsic and intermediate volcanics with alkaline subvolcanic rocks",
     "source": "Astana Times 2025-04-03"},
]

INVENTED = [
    "site coordinates (100 km at bearing 45 degrees from Karkaraly town, rounded to 100 m)",
    "zone outlines, areas (Irgiz 0.95 km2, Dos 2 0.16 km2) and separation (about 3 km)",
    "shape of the explored area (a rectangle of 8025 m x 8000 m)",
    "flat surface at 760 m elevation; zones extend 300 m down to 460 m",
    "density 2.65 t/m3",
    "grade basis: the public tonnages are taken as element (metal) basis, TREE = La-Lu + Y",
    "split of the deposit total into Irgiz 0.80 Mt and Dos 2 0.14 Mt",
    "every drillhole, survey, assay and sample",
    "grade distribution, spatial correlation, background grade and element shares "
    "(no source names Dy or Tb)",
]


def _r(x: float, digits: int = 6) -> float:
    """Round to `digits` significant figures for the metadata file."""
    return float(f"{x:.{digits}g}")


def summarise(samples: pd.DataFrame) -> dict:
    tree = samples[list(GRADE_COLUMNS)].sum(axis=1)
    out = {}
    for name in [z.name for z in ZONES]:
        t = tree[samples["zone"] == name]
        out[name] = {"samples": int(t.size), "mean_tree_ppm": _r(t.mean()),
                     "p99_9_tree_ppm": _r(t.quantile(0.999)), "max_tree_ppm": _r(t.max())}
    inside = tree[samples["zone"] != ""]
    out["all zones"] = {"samples": int(inside.size), "mean_tree_ppm": _r(inside.mean()),
                        "p99_9_tree_ppm": _r(inside.quantile(0.999)),
                        "max_tree_ppm": _r(inside.max())}
    outside = tree[samples["zone"] == ""]
    out["outside zones"] = {"samples": int(outside.size),
                            "median_tree_ppm": _r(outside.median())}
    return out


def _feature(geom: Polygon, properties: dict) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": mapping(geom)}


def _write_geojson(path: Path, name: str, features: list[dict]) -> None:
    doc = {"type": "FeatureCollection", "name": name,
           "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{EPSG}"}},
           "features": features}
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------
def generate(out_dir: Path, seed: int = SEED) -> dict:
    """Write every file of the dataset into `out_dir`; return the metadata dictionary."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = _streams(seed)
    centre = site_centre()
    explored = explored_polygon(centre)
    polys = [zone_polygon(spec, centre, rng[f"zone_{spec.name}"]) for spec in ZONES]
    for spec, poly in zip(ZONES, polys, strict=True):
        if not explored.contains(poly):  # pragma: no cover
            raise RuntimeError(f"zone {spec.name} is not inside the explored area")
    fields = [zone_field(spec, poly, rng[f"field_{spec.name}"])
              for spec, poly in zip(ZONES, polys, strict=True)]
    regional = regional_fields(explored, rng["regional"])

    collars, surveys = make_holes(polys, explored, rng["holes"])
    intervals = make_intervals(collars)
    points = interval_midpoints(collars, surveys, intervals)
    zones = zone_of(points, {s.name: p for s, p in zip(ZONES, polys, strict=True)})
    grades = pd.DataFrame(make_grades(points, fields, regional, rng["samples"]),
                          columns=list(GRADE_COLUMNS))
    assays = pd.concat([intervals, grades], axis=1)
    samples = pd.concat([intervals,
                         pd.DataFrame({"easting_m": points[:, 0], "northing_m": points[:, 1],
                                       "elevation_m": points[:, 2], "zone": zones}),
                         grades], axis=1)

    csv = {"index": False, "lineterminator": "\n"}
    collars.to_csv(out_dir / "collars.csv", **csv)
    surveys.to_csv(out_dir / "surveys.csv", **csv)
    assays.to_csv(out_dir / "assays.csv", **csv)
    samples.to_csv(out_dir / "samples.csv", **csv)
    _write_geojson(out_dir / "zones.geojson", "zones", [
        _feature(f.polygon, {"zone": f.spec.name, "top_elevation_m": SURFACE_ELEVATION_M,
                             "bottom_elevation_m": ZONE_BOTTOM_M,
                             "density_t_m3": DENSITY_T_M3,
                             "target_tree_t": f.spec.target_tree_t}) for f in fields])
    _write_geojson(out_dir / "explored_area.geojson", "explored_area", [
        _feature(explored, {"name": "Kuirektykol explored area",
                            "area_km2": round(explored.area / 1e6, 3)})])

    calibration = {}
    for f in fields:
        calibration[f.spec.name] = {
            "area_m2": round(f.polygon.area, 1),
            "volume_m3": round(f.volume_m3),
            "density_t_m3": DENSITY_T_M3,
            "target_tree_t": f.spec.target_tree_t,
            "realised_tree_t": round(f.realised_tree_t, 1),
            "relative_difference": round(f.realised_tree_t / f.spec.target_tree_t - 1.0, 6)
            + 0.0,
            "grid_mean_tree_ppm": round(f.grid_mean_ppm, 3),
            "grid_cells_in_zone": f.cells_in_zone,
            "mu_ln_ppm": round(f.mu, 6),
        }
    calibration["total"] = {
        "target_tree_t": sum(z.target_tree_t for z in ZONES),
        "realised_tree_t": round(sum(f.realised_tree_t for f in fields), 1),
    }
    metadata = {
        "name": "kuirektykol",
        "synthetic": True,
        "description": "SYNTHETIC drillhole dataset calibrated to public figures about the "
                       "Kuirektykol rare-earth discovery (Karaganda region, Kazakhstan). "
                       "Not real data.",
        "crs": f"EPSG:{EPSG}",
        "basis": "element",
        "grade_unit": "ppm",
        "tree_definition": "TREE = La+Ce+Pr+Nd+Sm+Eu+Gd+Tb+Dy+Ho+Er+Tm+Yb+Lu+Y (element basis)",
        "seed": seed,
        "generator": "datasets/kuirektykol/generate.py",
        "calibration": calibration,
        "field": {
            "model": "TREE = exp(mu + sigma * cap(sqrt(1 - nugget) * Z + sqrt(nugget) * e)), "
                     "cap(u) = u for u <= c, c + w tanh((u - c) / w) above",
            "sigma_ln": SIGMA_LOG,
            "tail_cap_start": TAIL_START,
            "tail_cap_width": TAIL_WIDTH,
            "nugget_fraction": NUGGET_FRACTION,
            "range_horizontal_m": RANGE_H_M,
            "range_vertical_m": RANGE_V_M,
            "cell_m": list(CELL_M),
            "taper_m": TAPER_M,
            "background_mean_tree_ppm": BACKGROUND_MEAN_PPM,
            "analytical_rsd": ANALYTICAL_RSD,
            "mean_element_shares": dict(zip(
                GRADE_COLUMNS, (round(float(v), 5) for v in
                                (SHARES_LIGHT + SHARES_HEAVY) / 2), strict=True)),
        },
        "drilling": {
            "holes": len(collars),
            "holes_by_prefix": {p: int(collars["hole_id"].str.startswith(p).sum())
                                for p in ("IRG", "DOS", "EXP")},
            "vertical_holes": int((surveys.groupby("hole_id")["dip_deg"].min() <= -90).sum()),
            "intervals": len(assays),
            "site_centre_easting_northing_m": list(centre),
        },
        "samples": summarise(samples),
        "public_facts": PUBLIC_FACTS,
        "invented": INVENTED,
        "location_note": "approximate: about 100 km NE of Karkaraly town, Karaganda region, "
                         "Kazakhstan; exact coordinates are not published, and another "
                         "report ('about 300 km SE of Astana') does not quite agree.",
    }
    (out_dir / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n",
                                           encoding="utf-8")
    LOG.info("wrote %d holes, %d intervals to %s", len(collars), len(assays), out_dir)
    for name, cal in calibration.items():
        LOG.info("%s: target %.0f t, realised %.0f t", name, cal["target_tree_t"],
                 cal["realised_tree_t"])
    return metadata


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python generate.py [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="output folder (default: the folder of this script)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    generate(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
