"""
3D export for the viewers geologists use: VTK (ParaView, PyVista, Leapfrog's VTK
import), OMF (Leapfrog, Micromine, Deswik...) and in-memory PyVista meshes.

Block models
    :func:`to_vtk` writes a :class:`~raremin.grid.BlockModel` as a VTK unstructured grid
    (``.vtu``: one hexahedron per parcel, every array as cell data) or as a rectilinear
    grid (``.vtr``: the whole regular grid, one value per block). :func:`to_omf` writes
    the whole grid as an OMF v1 volume, with the zones as surfaces and the drillholes as
    line sets if given. :func:`to_pyvista` returns the same meshes in memory.
Zones and drillholes
    :func:`zones_to_vtk` writes every zone as a closed triangulated surface (prisms,
    layers between surfaces and solids alike); :func:`drillholes_to_vtk` writes the
    desurveyed sample intervals as line segments carrying their grades.

Conventions shared by every writer:

* Coordinates are those of the model's CRS, metres (easting, northing, elevation), as
  float64. The CRS goes with the data: in VTK files as field data (``crs_epsg``, the
  EPSG code or -1, and ``crs_wkt``, its WKT as UTF-8 bytes); in OMF in the project's
  description.
* Text cannot be stored in a VTK file readable by every reader, so names travel as
  UTF-8 bytes (a ``uint8`` field array) holding one name per line: zone names in
  ``zone_names`` (``zone_code`` indexes them), class names in ``resource_class_names``,
  the categories of a text column ``c`` of a drillhole table in ``c_names``. Read them
  with ``bytes(mesh.field_data["zone_names"]).decode().split("\\n")``.
* Arrays with realisations (2-D, realisations x parcels) are written as their mean over
  the realisations (``name_mean``) by default; ``realisations="all"`` writes one array
  per realisation (``name_0``, ``name_1``... as :meth:`BlockModel.to_dataframe` names
  them) and an integer or a list of integers only those realisations.
* Every file is written under a temporary name in the target folder and renamed at the
  end: it appears whole or not at all. An existing file is replaced only with
  ``overwrite=True``.

The VTK files are written by raremin itself (VTK XML format 1.0, binary data
compressed with zlib and base64-encoded inline, 64-bit headers: what ParaView and
VTK >= 6 read, and meshio and PyVista as well), so they need no optional package.
:func:`to_omf` needs omf (``pip install 'raremin[omf]'``) and :func:`to_pyvista`
pyvista (``pip install 'raremin[viz]'``), each imported only by the function that
needs it. The examples read the files back with meshio.

Examples
--------
>>> import tempfile, pathlib
>>> import meshio
>>> from raremin.grid import BlockGrid, BlockModel
>>> from raremin.export import to_vtk
>>> model = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1), crs=32643),
...                                     {"A": ([0, 1], [1.0, 0.5])}, 2.5)
>>> path = to_vtk(model, pathlib.Path(tempfile.mkdtemp()) / "model.vtu")
>>> mesh = meshio.read(path)
>>> mesh.cell_data["tonnage_t"][0].tolist(), int(mesh.field_data["crs_epsg"][0])
([2500.0, 1250.0], 32643)
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import math
import os
import warnings
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd
import shapely

from ._blockfiles import BlockReducer, array_unit
from ._dask import temporary_sibling
from .errors import GeometryError, InputError, RareminError

if TYPE_CHECKING:  # pragma: no cover
    from .grid import BlockModel

__all__ = ["drillholes_to_vtk", "to_omf", "to_pyvista", "to_vtk", "zones_to_vtk"]

#: Optional packages: import name -> (pip name, raremin extra).
_PACKAGES = {"omf": ("omf", "omf"), "pyvista": ("pyvista", "viz")}

#: VTK cell types.
_VTK_VERTEX, _VTK_LINE, _VTK_TRIANGLE, _VTK_HEXAHEDRON = 1, 3, 5, 12

#: VTK XML type names of numpy dtypes (kind, itemsize).
_VTK_TYPES = {("i", 1): "Int8", ("u", 1): "UInt8", ("i", 2): "Int16", ("u", 2): "UInt16",
              ("i", 4): "Int32", ("u", 4): "UInt32", ("i", 8): "Int64", ("u", 8): "UInt64",
              ("f", 4): "Float32", ("f", 8): "Float64"}

#: Bytes per zlib-compressed block of a VTK data array, and the compression level (1:
#: the fastest; grades and coordinates compress little more at higher levels).
_VTK_BLOCK = 1 << 20
_ZLIB_LEVEL = 1

#: Corners of a VTK_HEXAHEDRON (cell type 12) as (i, j, k) offsets, in VTK's order.
_HEX_CORNERS = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0],
                         [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], dtype=np.int64)

#: Cell arrays derived from the parcels in a ``.vtu`` (array names must differ).
_PARCEL_COLUMNS = ("block_index", "zone_code", "proportion", "volume_m3", "tonnage_t")

#: Most plan cells a prism or layer cap is cut into when it follows a surface.
_MAX_CAP_CELLS = 250_000

#: Columns of a samples table giving positions (not written as data).
_XYZ = ("easting_m", "northing_m", "elevation_m")


# ---------------------------------------------------------------------- block models


def to_vtk(model: BlockModel, path: Any, *, format: str | None = None,  # noqa: A002
           arrays: Sequence[str] | str | None = None, realisations: Any = "mean",
           overwrite: bool = False) -> Path:
    """
    Write a block model as a VTK XML file: parcels (``.vtu``) or the whole grid (``.vtr``).

    Parameters
    ----------
    model : BlockModel
        An in-memory model (a lazy one raises: call ``model.compute()`` first).
    path : str or path
        The file to write, ending in ``.vtu`` or ``.vtr``.
    format : {"vtu", "vtr"}, optional
        ``"vtu"``: an unstructured grid of one hexahedron per parcel (a block shared by
        zones gives coincident hexahedra, one per zone); ``"vtr"``: a rectilinear grid
        of every block of the grid, one value per block (see Notes). Default: from the
        suffix of `path`.
    arrays : str or sequence of str, optional
        The model's arrays to write; default: all of them.
    realisations : "mean", "all", int or sequence of int, default "mean"
        How arrays with realisations (2-D, realisations x parcels) are written: their
        mean over the realisations (``name_mean``), every realisation (``name_0``,
        ``name_1``...), or the realisations given by index (``name_<i>``).
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        A lazy model, an unknown array or one that is not numeric, an array named like
        a derived one, a path with another suffix, `path` exists (without
        `overwrite`), or its folder does not exist.

    Notes
    -----
    Cell data, besides the arrays (float64 stays float64; int8 classes stay int8;
    booleans become uint8):

    - ``.vtu`` (one cell per parcel, in the model's parcel order): ``block_index``
      (int64, flat GSLIB index), ``zone_code`` (int32), ``proportion`` (share of the
      block in the zone), ``volume_m3`` and ``tonnage_t`` of the parcel. The cell
      centre is the block centre.
    - ``.vtr`` (one cell per block, x fastest then y then z, as VTK and raremin number
      blocks): ``zone_code`` (the zone holding most of the block, -1 where none),
      ``proportion`` (share of the block in any zone, 0 where none) and ``tonnage_t``
      (of the block's parcels, 0 where none). A block shared by zones takes the value
      :meth:`BlockModel.to_xarray` gives it: grades (``%``, ``ppm``, ``g/t``...) the
      tonnage-weighted mean of its parcels, density the volume-weighted mean,
      quantities (``_t``, ``_m3``...) the sum, anything else (``resource_class``,
      sample counts, kriging variance) the value of its largest parcel (ties: the
      first zone). Blocks without a parcel hold NaN, or -1 for integer arrays.

    Field data: ``crs_epsg`` (int64, -1 when the CRS has no EPSG code or there is
    none), ``crs_wkt``, ``zone_names`` and, when written, ``resource_class_names``
    (UTF-8 text as uint8, one name per line), ``origin_m``, ``block_size_m`` and
    ``grid_shape``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import meshio
    >>> import numpy as np
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.export import to_vtk
    >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
    ...                                 {"A": ([0, 1], [1.0, 0.5]), "B": ([1], [0.5])},
    ...                                 2.5).with_arrays(cu_pct=[1.0, 2.0, 4.0])
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> mesh = meshio.read(to_vtk(m, folder / "parcels.vtu"))
    >>> mesh.cells[0].type, mesh.cell_data["cu_pct"][0].tolist()
    ('hexahedron', [1.0, 2.0, 4.0])
    >>> bytes(mesh.field_data["zone_names"]).decode().split("\\n")
    ['A', 'B']
    >>> to_vtk(m, folder / "blocks.vtr").name
    'blocks.vtr'
    """
    target = Path(path)
    kind = _vtk_format(target, format)
    _check_model(model, "to_vtk()")
    columns = _model_columns(model, arrays, realisations)
    field = _model_field_data(model, columns)
    with _atomic_file(target, overwrite, f".{kind}") as tmp:
        if kind == "vtu":
            points, hexes = _hexahedra(model.grid, np.asarray(model.block_index))
            cell = {**_parcel_derived(model), **{k: v for k, (_, v) in columns.items()}}
            _write_vtu(tmp, points, hexes, _VTK_HEXAHEDRON, cell, field)
        else:
            _write_vtr(tmp, [_node_coords(model.grid, a) for a in range(3)],
                       _block_values(model, columns), field)
    return target


def to_pyvista(model: BlockModel, *, arrays: Sequence[str] | str | None = None,
               realisations: Any = "mean", blocks: bool = False) -> Any:
    """
    A block model as a PyVista mesh: parcels as hexahedra, or the whole grid.

    Parameters
    ----------
    model : BlockModel
        An in-memory model.
    arrays, realisations
        As for :func:`to_vtk`.
    blocks : bool, default False
        False: a ``pyvista.UnstructuredGrid`` of one hexahedron per parcel (the cell
        data of a ``.vtu`` from :func:`to_vtk`); True: a ``pyvista.ImageData`` of every
        block of the grid, one value per block (the cell data of a ``.vtr``).

    Returns
    -------
    pyvista.UnstructuredGrid or pyvista.ImageData
        With the cell data and the field data of :func:`to_vtk` (names as UTF-8
        bytes, one per line: VTK's string arrays hold ASCII only, and a CRS's WKT
        or a zone's name need not be ASCII).

    Raises
    ------
    InputError
        As for :func:`to_vtk`.
    RareminError
        pyvista is not installed (``pip install 'raremin[viz]'``).

    Examples
    --------
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.export import to_pyvista
    >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
    ...                                 {"A": ([0, 1], [1.0, 0.5])}, 2.5)
    >>> mesh = to_pyvista(m)
    >>> mesh.n_cells, mesh.cell_data["tonnage_t"].tolist()
    (2, [2500.0, 1250.0])
    >>> to_pyvista(m, blocks=True).dimensions
    (3, 2, 2)
    """
    pv = _require("pyvista", "to_pyvista()")
    _check_model(model, "to_pyvista()")
    columns = _model_columns(model, arrays, realisations)
    grid = model.grid
    if blocks:
        mesh = pv.ImageData(dimensions=tuple(n + 1 for n in grid.shape),
                            spacing=grid.block_size, origin=grid.origin)
        cell = _block_values(model, columns)
    else:
        points, hexes = _hexahedra(grid, np.asarray(model.block_index))
        mesh = pv.UnstructuredGrid({pv.CellType.HEXAHEDRON: hexes}, points)
        cell = {**_parcel_derived(model), **{k: v for k, (_, v) in columns.items()}}
    for key, values in cell.items():
        mesh.cell_data[key] = values
    for key, values in _model_field_data(model, columns).items():
        mesh.field_data[key] = values
    return mesh


def to_omf(model: BlockModel, path: Any, *, arrays: Sequence[str] | str | None = None,
           realisations: Any = "mean", zones: Any = None, drillholes: Any = None,
           name: str = "raremin", spacing_m: float | None = None,
           method: str = "minimum_curvature", overwrite: bool = False) -> Path:
    """
    Write a block model (and optionally zones and drillholes) as an OMF v1 project.

    Parameters
    ----------
    model : BlockModel
        An in-memory model; it becomes a ``VolumeElement`` named ``"block model"`` on
        a ``VolumeGridGeometry`` of the whole grid (origin the grid's minimum corner).
    path : str or path
        The ``.omf`` file to write.
    arrays, realisations
        As for :func:`to_vtk`.
    zones : Deposit, Zone or iterable of Zone, optional
        Written as one ``SurfaceElement`` per zone (the triangulated surface of
        :func:`zones_to_vtk`).
    drillholes : Drillholes or pandas.DataFrame, optional
        Written as a ``LineSetElement`` named ``"drillholes"``, one segment per
        interval with its data (see :func:`drillholes_to_vtk`).
    name : str, default "raremin"
        The project's name.
    spacing_m : float, optional
        Plan spacing of the zone surfaces that follow a surface (see
        :func:`zones_to_vtk`). Units: m.
    method : str, default "minimum_curvature"
        Desurveying method of `drillholes` (see :func:`raremin.drillholes.desurvey`).
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        As for :func:`to_vtk`.
    RareminError
        omf is not installed (``pip install 'raremin[omf]'``).

    Notes
    -----
    The volume holds one value per block by the rules of :func:`to_vtk` (``.vtr``).
    OMF v1 stores numbers as float64 or int64 only: floats are written as float64
    (NaN where a block holds no parcel), integers as int64 (-1 there). ``zone_code``
    and ``resource_class`` are ``MappedData`` (indices, -1 for none) with a legend of
    the zone or class names. Cell data follow the OMF ordering read by omfvista and
    discretize: the w (elevation) index varies fastest, then v, then u, i.e. the
    block values as an ``(nx, ny, nz)`` array raveled in C order. The project's
    ``units`` is ``"m"`` and its ``description`` names the CRS and gives its WKT.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import omf
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.export import to_omf
    >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
    ...                                 {"A": ([0, 1], [1.0, 0.5])}, 2.5)
    >>> path = to_omf(m, pathlib.Path(tempfile.mkdtemp()) / "model.omf")
    >>> volume = omf.OMFReader(str(path)).get_project().elements[0]
    >>> [d.name for d in volume.data]
    ['zone_code', 'proportion', 'tonnage_t', 'density_t_m3']
    >>> volume.data[2].array.array.tolist()
    [2500.0, 1250.0]
    """
    omf = _require("omf", "to_omf()")
    target = Path(path)
    _check_model(model, "to_omf()")
    columns = _model_columns(model, arrays, realisations)
    grid = model.grid
    cells = _block_values(model, columns)

    def omf_order(flat: np.ndarray) -> np.ndarray:
        """Block-index order (x fastest) -> OMF order (z fastest)."""
        return flat.reshape(grid.shape[::-1]).transpose(2, 1, 0).ravel()

    geometry = omf.VolumeGridGeometry(
        origin=list(grid.origin),
        tensor_u=np.full(grid.shape[0], grid.block_size[0]),
        tensor_v=np.full(grid.shape[1], grid.block_size[1]),
        tensor_w=np.full(grid.shape[2], grid.block_size[2]))
    data = []
    for key, values in cells.items():
        values = omf_order(values)
        if key == "zone_code":
            data.append(_omf_mapped(omf, key, values, model.zone_names, "cells"))
        elif key == "resource_class":
            from ._codes import CLASS_NAMES

            data.append(_omf_mapped(omf, key, values, CLASS_NAMES, "cells"))
        else:
            data.append(_omf_scalar(omf, key, values, "cells"))
    elements = [omf.VolumeElement(name="block model", geometry=geometry, data=data,
                                  description=_units_text(columns))]
    if zones is not None:
        for zone_name, vertices, faces in _zone_meshes(zones, spacing_m):
            elements.append(omf.SurfaceElement(name=zone_name, geometry=omf.SurfaceGeometry(
                vertices=np.ascontiguousarray(vertices, dtype=np.float64),
                triangles=np.ascontiguousarray(faces, dtype=np.int64))))
    if drillholes is not None:
        points, segments, hole_columns, texts = _hole_segments(drillholes, None, method)
        if segments is None:
            raise InputError("to_omf(drillholes=...) needs intervals (from_m and to_m "
                             "columns) to draw line segments; the table has none")
        hole_data = []
        for key, values in hole_columns.items():
            if key in texts:
                hole_data.append(_omf_mapped(omf, key, values, texts[key], "segments"))
            else:
                hole_data.append(_omf_scalar(omf, key, values, "segments"))
        elements.append(omf.LineSetElement(name="drillholes", data=hole_data,
                                           geometry=omf.LineSetGeometry(
            vertices=np.ascontiguousarray(points, dtype=np.float64),
            segments=np.ascontiguousarray(segments, dtype=np.int64))))
    project = omf.Project(name=str(name), units="m", elements=elements,
                          description=_crs_text(grid.crs))
    with _atomic_file(target, overwrite, ".omf") as tmp:
        omf.OMFWriter(project, str(tmp))
    return target


# ---------------------------------------------------------------------- zones


def zones_to_vtk(zones: Any, path: Any, *, spacing_m: float | None = None,
                 overwrite: bool = False) -> Path:
    """
    Write every zone as a closed triangulated surface in one ``.vtu`` file.

    Parameters
    ----------
    zones : Deposit, Zone or iterable of Zone
        The zones: prisms, closed solids and layers between surfaces
        (:mod:`raremin.domains`). A deposit's topography clips its prisms and layers.
    path : str or path
        The ``.vtu`` file to write.
    spacing_m : float, optional
        Plan spacing of the grid on which the top and bottom of a prism or layer are
        triangulated when they follow a surface (a layer's surfaces, a topography).
        Default: the node spacing of the finest gridded surface, or 1/100 of the
        footprint's extent for triangulated surfaces; enlarged so that a cap holds at
        most 250,000 cells. Flat tops and bottoms are triangulated as they are. Units: m.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written: triangles (VTK_TRIANGLE) with the cell array ``zone_code``
        (int32) and the field data ``zone_names``, ``crs_epsg`` and ``crs_wkt`` (see
        the module's notes).

    Raises
    ------
    InputError
        No zones, `path` exists (without `overwrite`) or has another suffix.
    GeometryError
        A zone whose surface cannot be built (no triangle left where its surfaces are
        defined).

    Notes
    -----
    Every surface is closed and its triangles are wound counter-clockwise seen from
    outside (outward normals), so the volume it encloses (divergence theorem) is the
    zone's volume: exactly for prisms and solids, to the triangulation for layers
    between curved surfaces. A prism or layer is its footprint triangulated
    (constrained Delaunay, cut along the `spacing_m` grid when a surface is
    followed) at the bottom and at the top, z from the surfaces there, plus the
    vertical walls along the boundary of that triangulation. A solid is its own
    mesh (not clipped by a topography). Where a layer's top lies below its bottom, or
    a prism lies above the topography, the top is set to the bottom there (the zone
    is empty there, as in the block model).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import meshio
    >>> from shapely import box
    >>> from raremin.deposit import Deposit, Zone
    >>> from raremin.export import zones_to_vtk
    >>> dep = Deposit("D", [Zone("A", box(0, 0, 10, 10), 5, 0, 2.5)], crs=32643)
    >>> mesh = meshio.read(zones_to_vtk(dep, pathlib.Path(tempfile.mkdtemp()) / "z.vtu"))
    >>> mesh.cells[0].type, len(mesh.cells[0].data)
    ('triangle', 12)
    """
    from .deposit import Deposit, zones_of

    target = Path(path)
    _suffix(target, ".vtu")
    meshes = _zone_meshes(zones, spacing_m)
    points, faces, codes = [], [], []
    offset = 0
    for code, (_, vertices, tri) in enumerate(meshes):
        points.append(vertices)
        faces.append(tri + offset)
        codes.append(np.full(len(tri), code, dtype=np.int32))
        offset += len(vertices)
    names = [m[0] for m in meshes]
    crs = zones.crs if isinstance(zones, Deposit) else zones_of(zones)[0].crs
    field = {**_crs_fields(crs), "zone_names": _text_bytes(names)}
    with _atomic_file(target, overwrite, ".vtu") as tmp:
        _write_vtu(tmp, np.concatenate(points), np.concatenate(faces), _VTK_TRIANGLE,
                   {"zone_code": np.concatenate(codes)}, field)
    return target


# ---------------------------------------------------------------------- drillholes


def drillholes_to_vtk(drillholes: Any, path: Any, *, columns: Sequence[str] | None = None,
                      method: str = "minimum_curvature", crs: Any = None,
                      overwrite: bool = False) -> Path:
    """
    Write drillhole intervals as line segments with their data (or samples as points).

    Parameters
    ----------
    drillholes : Drillholes or pandas.DataFrame
        :class:`raremin.drillholes.Drillholes` (each interval from its desurveyed
        ``from_m`` point to its ``to_m`` point), or a samples table: ``easting_m``,
        ``northing_m``, ``elevation_m`` (interval midpoints, m) with ``hole_id``,
        ``from_m`` and ``to_m`` (segments, see Notes) or without them (points).
    path : str or path
        The ``.vtu`` file to write.
    columns : sequence of str, optional
        The columns to write as cell data; default: every column but the
        coordinates. Numbers keep their dtype (booleans become uint8); text columns
        (``hole_id``, ``zone``...) become int32 codes (-1 where missing) with their
        names in the field data ``<column>_names`` (one per line, UTF-8 bytes).
    method : str, default "minimum_curvature"
        Desurveying method for :class:`Drillholes` (:func:`raremin.drillholes.desurvey`).
    crs : pyproj CRS or anything pyproj accepts, optional
        CRS of the coordinates, written as field data (``crs_epsg``, ``crs_wkt``).
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written: one VTK_LINE cell per interval (points shared where
        intervals of a hole meet), or one VTK_VERTEX per sample.

    Raises
    ------
    InputError
        Missing coordinate columns, an unknown column, `path` exists (without
        `overwrite`) or has another suffix.

    Notes
    -----
    A samples table has no surveys, so the direction of each interval is taken from
    the midpoints of its neighbours down the same hole (central differences; one-sided
    at the ends of a hole; vertical for a hole of one interval): the segment runs
    from ``mid - (mid_m - from_m) t`` to ``mid + (to_m - mid_m) t``, with ``t`` that
    unit direction and ``mid_m`` the midpoint depth. Straight holes are exact. The
    rows are written sorted by hole and ``from_m``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import meshio
    >>> import pandas as pd
    >>> from raremin.export import drillholes_to_vtk
    >>> samples = pd.DataFrame({"hole_id": ["A", "A"], "from_m": [0.0, 2.0],
    ...                         "to_m": [2.0, 4.0], "easting_m": [5.0, 5.0],
    ...                         "northing_m": [0.0, 0.0], "elevation_m": [99.0, 97.0],
    ...                         "la_ppm": [300.0, 500.0]})
    >>> mesh = meshio.read(drillholes_to_vtk(samples,
    ...                                      pathlib.Path(tempfile.mkdtemp()) / "dh.vtu"))
    >>> mesh.points[:, 2].tolist(), mesh.cell_data["la_ppm"][0].tolist()
    ([100.0, 98.0, 96.0], [300.0, 500.0])
    """
    from .deposit import as_crs

    target = Path(path)
    _suffix(target, ".vtu")
    points, segments, data, texts = _hole_segments(drillholes, columns, method)
    if segments is None:
        cells, cell_type = np.arange(len(points), dtype=np.int64)[:, None], _VTK_VERTEX
    else:
        cells, cell_type = segments, _VTK_LINE
    field = {**_crs_fields(as_crs(crs)),
             **{f"{k}_names": _text_bytes(v) for k, v in texts.items() if v}}
    with _atomic_file(target, overwrite, ".vtu") as tmp:
        _write_vtu(tmp, points, cells, cell_type, data, field)
    return target


# ---------------------------------------------------------------------- private: files


def _require(module: str, what: str) -> Any:
    """Import an optional package, or raise RareminError with the pip extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        package, extra = _PACKAGES[module]
        raise RareminError(f"{what} needs {package}, which is not installed; install it "
                           f"with pip install 'raremin[{extra}]'") from None


def _suffix(target: Path, suffix: str) -> None:
    if target.suffix.lower() != suffix:
        raise InputError(f"{str(target)!r} must end in {suffix} (viewers tell the format "
                         f"by it); got {target.suffix or 'no suffix'!r}")


def _vtk_format(target: Path, format: str | None) -> str:  # noqa: A002
    suffix = target.suffix.lower().lstrip(".")
    kind = suffix if format is None else str(format).lower()
    if kind not in ("vtu", "vtr"):
        raise InputError(f"unknown VTK format {format or suffix!r} (from {str(target)!r}); "
                         f"use 'vtu' (parcels) or 'vtr' (the whole grid), with a path "
                         f"ending in .vtu or .vtr")
    _suffix(target, f".{kind}")
    return kind


@contextlib.contextmanager
def _atomic_file(target: Path, overwrite: bool, suffix: str) -> Iterator[Path]:
    """
    A temporary sibling file (same suffix) that becomes `target` only when the block
    succeeds; removed on error.
    """
    _suffix(target, suffix)
    if target.is_dir():
        raise InputError(f"{str(target)!r} is a directory; give a file name")
    tmp = temporary_sibling(target, overwrite, target.suffix)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _vtk_array(name: str, values: np.ndarray) -> str:
    """One ``DataArray`` element: zlib-compressed blocks, base64 inline, UInt64 header."""
    arr = np.asarray(values)
    if arr.dtype.kind == "b":
        arr = arr.astype(np.uint8)
    vtk_type = _VTK_TYPES.get((arr.dtype.kind, arr.dtype.itemsize))
    if vtk_type is None:
        raise InputError(f"array {name!r} holds {arr.dtype} values, which VTK cannot store; "
                         f"leave it out or convert it to numbers")
    components = f' NumberOfComponents="{arr.shape[1]}"' if arr.ndim == 2 else ""
    raw = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
    blocks = [zlib.compress(raw[i:i + _VTK_BLOCK], _ZLIB_LEVEL)
              for i in range(0, len(raw), _VTK_BLOCK)]
    last = len(raw) - _VTK_BLOCK * (len(blocks) - 1) if blocks else 0
    header = np.array([len(blocks), _VTK_BLOCK, last, *(len(b) for b in blocks)], dtype="<u8")
    data = (base64.b64encode(header.tobytes()) + base64.b64encode(b"".join(blocks))).decode()
    return (f'<DataArray type="{vtk_type}" Name={quoteattr(name)}{components} '
            f'NumberOfTuples="{len(arr)}" format="binary">'
            f"{data}</DataArray>\n")


def _vtk_file(tmp: Path, kind: str, grid_attrs: str, field: Mapping[str, np.ndarray],
              piece_attrs: str, sections: Sequence[tuple[str, Mapping[str, np.ndarray]]]
              ) -> None:
    """Write a VTK XML file of one piece, array by array."""
    with open(tmp, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0"?>\n'
                f'<VTKFile type="{kind}" version="1.0" byte_order="LittleEndian" '
                f'header_type="UInt64" compressor="vtkZLibDataCompressor">\n'
                f"<{kind}{grid_attrs}>\n")
        if field:
            f.write("<FieldData>\n")
            for key, values in field.items():
                f.write(_vtk_array(key, values))
            f.write("</FieldData>\n")
        f.write(f"<Piece {piece_attrs}>\n")
        for tag, arrays in sections:
            f.write(f"<{tag}>\n")
            for key, values in arrays.items():
                f.write(_vtk_array(key, values))
            f.write(f"</{tag}>\n")
        f.write(f"</Piece>\n</{kind}>\n</VTKFile>\n")


def _write_vtu(tmp: Path, points: np.ndarray, cells: np.ndarray, cell_type: int,
               cell_data: Mapping[str, np.ndarray], field: Mapping[str, np.ndarray]) -> None:
    """An unstructured grid of cells of one type (``cells``: node indices, one row each)."""
    n_cells, per_cell = cells.shape
    topology = {"connectivity": cells.astype(np.int64).ravel(),
                "offsets": per_cell * np.arange(1, n_cells + 1, dtype=np.int64),
                "types": np.full(n_cells, cell_type, dtype=np.uint8)}
    _vtk_file(tmp, "UnstructuredGrid", "", field,
              f'NumberOfPoints="{len(points)}" NumberOfCells="{n_cells}"',
              [("Points", {"points": np.asarray(points, dtype=np.float64)}),
               ("Cells", topology), ("CellData", cell_data)])


def _write_vtr(tmp: Path, axes: Sequence[np.ndarray], cell_data: Mapping[str, np.ndarray],
               field: Mapping[str, np.ndarray]) -> None:
    """A rectilinear grid with node coordinates `axes`; cell data x fastest."""
    extent = " ".join(f"0 {len(a) - 1}" for a in axes)
    _vtk_file(tmp, "RectilinearGrid", f' WholeExtent="{extent}"', field,
              f'Extent="{extent}"',
              [("CellData", cell_data),
               ("Coordinates", {f"{c}_coordinates": np.asarray(a, dtype=np.float64)
                                for c, a in zip("xyz", axes, strict=True)})])


def _text_bytes(names: Iterable[Any]) -> np.ndarray:
    """Names, one per line, as UTF-8 bytes in a uint8 array (VTK field data)."""
    return np.frombuffer("\n".join(str(n) for n in names).encode("utf-8"),
                         dtype=np.uint8).copy()


def _crs_fields(crs: Any) -> dict[str, np.ndarray]:
    """``crs_epsg`` (-1 when unknown) and, when there is a CRS, ``crs_wkt``."""
    epsg = None if crs is None else crs.to_epsg()
    out = {"crs_epsg": np.array([-1 if epsg is None else epsg], dtype=np.int64)}
    if crs is not None:
        out["crs_wkt"] = _text_bytes([crs.to_wkt()])
    return out


def _crs_text(crs: Any) -> str:
    if crs is None:
        return "raremin export; CRS: unknown; units: m"
    epsg = crs.to_epsg()
    label = f"EPSG:{epsg}" if epsg else crs.name
    return f"raremin export; CRS: {label} ({crs.name}); units: m; CRS WKT: {crs.to_wkt()}"


# ---------------------------------------------------------------------- private: models


def _check_model(model: Any, what: str) -> None:
    from .grid import BlockModel

    if not isinstance(model, BlockModel):
        raise InputError(f"{what} needs a raremin BlockModel; got {type(model).__name__}")
    if model.is_lazy:
        raise InputError(f"{what} of a lazy (Dask) block model: the model is not in "
                         f"memory; call model.compute() first (or write it chunk by chunk "
                         f"with model.to_zarr / model.to_parquet)")
    if np.asarray(model.block_index).size == 0:
        raise InputError(f"{what}: the block model has no parcels; nothing to write")


def _model_columns(model: Any, arrays: Sequence[str] | str | None, realisations: Any
                   ) -> dict[str, tuple[str, np.ndarray]]:
    """
    The cell arrays to write: output name -> (name of the model's array, 1-D values per
    parcel), realisations picked or averaged.
    """
    available = list(model.arrays)
    if arrays is None:
        names = available
    else:
        names = [arrays] if isinstance(arrays, str) else [str(a) for a in arrays]
        unknown = [n for n in names if n not in model.arrays]
        if unknown:
            raise InputError(f"unknown array(s) {unknown} in the block model; its arrays are "
                             f"{available}")
    out: dict[str, tuple[str, np.ndarray]] = {}
    for key in names:
        arr = np.asarray(model.arrays[key])
        if arr.dtype.kind == "b":
            arr = arr.astype(np.uint8)
        if arr.dtype.kind not in "iuf":
            raise InputError(f"array {key!r} holds {arr.dtype} values, which VTK and OMF "
                             f"cannot store; leave it out with arrays=[...] or convert it")
        if arr.ndim == 1:
            out[key] = (key, arr)
            continue
        flat = arr.reshape(-1, arr.shape[-1])
        for label, values in _pick_realisations(key, flat, realisations):
            out[label] = (key, values)
    derived = set(_PARCEL_COLUMNS)
    clash = sorted(derived.intersection(out))
    if clash:
        raise InputError(f"array(s) {clash} are named like the cell arrays the export "
                         f"derives ({', '.join(_PARCEL_COLUMNS)}); rename them with "
                         f"model.with_arrays(...) or leave them out with arrays=[...]")
    return out


def _pick_realisations(key: str, flat: np.ndarray, realisations: Any
                       ) -> list[tuple[str, np.ndarray]]:
    n = flat.shape[0]
    if isinstance(realisations, str):
        if realisations == "mean":
            return [(f"{key}_mean", flat.mean(axis=0))]
        if realisations == "all":
            return [(f"{key}_{i}", flat[i]) for i in range(n)]
        raise InputError(f"realisations must be 'mean', 'all', an index or a list of "
                         f"indices; got {realisations!r}")
    picks = np.atleast_1d(np.asarray(realisations))
    if picks.dtype.kind not in "iu" or picks.ndim != 1 or picks.size == 0:
        raise InputError(f"realisations must be 'mean', 'all', an index or a list of "
                         f"indices; got {realisations!r}")
    bad = picks[(picks < 0) | (picks >= n)]
    if bad.size:
        raise InputError(f"realisation {int(bad[0])} of array {key!r} does not exist: it "
                         f"has {n} (indices 0..{n - 1})")
    return [(f"{key}_{int(i)}", flat[int(i)]) for i in picks]


def _parcel_derived(model: Any) -> dict[str, np.ndarray]:
    volume = np.asarray(model.volume_m3(), dtype=np.float64)
    return {"block_index": np.asarray(model.block_index, dtype=np.int64),
            "zone_code": np.asarray(model.zone_code, dtype=np.int32),
            "proportion": np.asarray(model.proportion, dtype=np.float64),
            "volume_m3": volume,
            "tonnage_t": volume * np.asarray(model.arrays["density_t_m3"], dtype=np.float64)}


def _model_field_data(model: Any, columns: Mapping[str, Any]) -> dict[str, np.ndarray]:
    grid = model.grid
    field = _crs_fields(grid.crs)
    field["zone_names"] = _text_bytes(model.zone_names)
    if "resource_class" in columns:
        from ._codes import CLASS_NAMES

        field["resource_class_names"] = _text_bytes(CLASS_NAMES)
    field["origin_m"] = np.asarray(grid.origin, dtype=np.float64)
    field["block_size_m"] = np.asarray(grid.block_size, dtype=np.float64)
    field["grid_shape"] = np.asarray(grid.shape, dtype=np.int64)
    return field


def _node_coords(grid: Any, axis: int) -> np.ndarray:
    return grid.origin[axis] + grid.block_size[axis] * np.arange(grid.shape[axis] + 1,
                                                                 dtype=np.float64)


def _hexahedra(grid: Any, block_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid nodes used by the blocks (shared) and the 8 node indices of each block."""
    nx, ny, nz = grid.shape
    ijk = grid.index_to_ijk(block_index)
    corners = ijk[:, None, :] + _HEX_CORNERS[None, :, :]
    node = corners[..., 0] + (nx + 1) * (corners[..., 1] + (ny + 1) * corners[..., 2])
    # Number the nodes in use by a mask over every node of the grid (no sort).
    mask = np.zeros((nx + 1) * (ny + 1) * (nz + 1), dtype=bool)
    mask[node.ravel()] = True
    used = np.flatnonzero(mask)
    number = np.cumsum(mask) - 1
    nijk = np.stack(np.unravel_index(used, (nx + 1, ny + 1, nz + 1), order="F"), axis=-1)
    points = np.column_stack([_node_coords(grid, a)[nijk[:, a]] for a in range(3)])
    return points, number[node].astype(np.int64)


def _block_values(model: Any, columns: Mapping[str, tuple[str, np.ndarray]]
                  ) -> dict[str, np.ndarray]:
    """One value per block of the grid (block-index order), by the rules of to_xarray."""
    blocks = BlockReducer(model)
    out = {"zone_code": blocks.dominant(blocks.code.astype(np.int32), np.int32(-1)),
           "proportion": blocks.summed(blocks.share),
           "tonnage_t": blocks.summed(blocks.tonnage)}
    for key, (source, values) in columns.items():
        out[key] = blocks.reduce(source, values)[0]
    return out


def _units_text(columns: Mapping[str, tuple[str, np.ndarray]]) -> str:
    units = {k: u for k, (src, _) in columns.items() if (u := array_unit(src)) is not None}
    return "units: " + ", ".join(f"{k} [{u}]" for k, u in units.items()) if units else ""


def _omf_scalar(omf: Any, key: str, values: np.ndarray, location: str) -> Any:
    dtype = np.float64 if values.dtype.kind == "f" else np.int64
    return omf.ScalarData(name=key, array=np.ascontiguousarray(values, dtype=dtype),
                          location=location)


def _omf_mapped(omf: Any, key: str, codes: np.ndarray, names: Sequence[str],
                location: str) -> Any:
    return omf.MappedData(
        name=key, location=location,
        array=omf.ScalarArray(np.ascontiguousarray(codes, dtype=np.int64)),
        legends=[omf.Legend(name=f"{key} names",
                            values=omf.StringArray(array=[str(n) for n in names]))])


# ---------------------------------------------------------------------- private: zones


def _zone_meshes(obj: Any, spacing_m: float | None
                 ) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, vertices, outward-wound triangles) of every zone."""
    from .deposit import Deposit, zones_of

    zones = zones_of(obj)
    if not zones:
        raise InputError("no zones given: pass a Deposit, a Zone or a list of zones")
    topography = obj.topography if isinstance(obj, Deposit) else None
    if spacing_m is not None and not (np.isfinite(spacing_m) and spacing_m > 0):
        raise InputError(f"spacing_m must be a positive length (m); got {spacing_m!r}")
    out = []
    for zone in zones:
        body = zone.shape
        if body.kind == "solid":
            out.append((zone.name, np.asarray(body.vertices, dtype=np.float64),
                        np.asarray(body.faces, dtype=np.int64)))
            continue
        if body.kind == "prism":
            bottom, top = body.bottom_m, body.top_m
        else:
            bottom, top = body.bottom, body.top
        vertices, faces = _extruded_mesh(zone.name, body.footprint(), bottom, top,
                                         topography, spacing_m)
        out.append((zone.name, vertices, faces))
    return out


def _level_z(level: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if hasattr(level, "z_at"):
        return np.asarray(level.z_at(x, y), dtype=np.float64)
    return np.full(x.shape, float(level))


def _cap_spacing(footprint: Any, surfaces: list[Any], spacing_m: float | None) -> float:
    x0, y0, x1, y1 = footprint.bounds
    width = max(x1 - x0, y1 - y0)
    if spacing_m is not None:
        step = float(spacing_m)
    else:
        steps = [min(s.dx, s.dy) for s in surfaces if hasattr(s, "dx")]
        step = min(steps) if steps else width / 100.0
    cells = math.ceil((x1 - x0) / step) * math.ceil((y1 - y0) / step)
    if cells > _MAX_CAP_CELLS:
        step *= math.sqrt(cells / _MAX_CAP_CELLS) * 1.01
    return step


def _cap_triangles(footprint: Any, step: float | None) -> np.ndarray:
    """Triangles (m, 3, 2) covering the footprint, counter-clockwise, cut on a grid."""
    if step is None:
        pieces = np.array([footprint])
    else:
        x0, y0, x1, y1 = footprint.bounds
        nx, ny = max(1, math.ceil((x1 - x0) / step)), max(1, math.ceil((y1 - y0) / step))
        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
        bx, by = x0 + step * ix.ravel(), y0 + step * iy.ravel()
        boxes = shapely.box(bx, by, np.minimum(bx + step, x1), np.minimum(by + step, y1))
        boxes = boxes[shapely.intersects(footprint, boxes)]
        pieces = shapely.intersection(boxes, footprint)
        pieces = shapely.get_parts(pieces)
        pieces = pieces[np.isin(shapely.get_type_id(pieces), (3, 6))]  # areas only
    tris = shapely.get_parts(shapely.get_parts(shapely.constrained_delaunay_triangles(pieces)))
    tris = tris[shapely.area(tris) > 0]
    coords = shapely.get_coordinates(shapely.get_exterior_ring(tris))
    if coords.shape[0] != 4 * len(tris):
        raise GeometryError("triangulating a zone's footprint gave polygons that are not "
                            "triangles; check that the footprint is valid (shapely.make_valid)")
    xy = coords.reshape(-1, 4, 2)[:, :3]
    e1, e2 = xy[:, 1] - xy[:, 0], xy[:, 2] - xy[:, 0]
    clockwise = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0] < 0
    xy[clockwise] = xy[clockwise][:, ::-1]
    return xy


def _extruded_mesh(name: str, footprint: Any, bottom: Any, top: Any, topography: Any,
                   spacing_m: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Bottom cap, top cap and walls of a prism or layer (outward normals)."""
    surfaces = [s for s in (bottom, top, topography) if hasattr(s, "z_at")]
    step = _cap_spacing(footprint, surfaces, spacing_m) if surfaces else None
    xy = _cap_triangles(footprint, step)
    # Shared vertices: coordinates equal up to 1e-9 of the zone's extent are one.
    x0, y0, x1, y1 = footprint.bounds
    tol = 1e-9 * max(x1 - x0, y1 - y0, 1.0)
    keys = np.round((xy.reshape(-1, 2) - (x0, y0)) / tol).astype(np.int64)
    _, index, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    plan = xy.reshape(-1, 2)[index]
    tri = inverse.reshape(-1, 3).astype(np.int64)
    zb = _level_z(bottom, plan[:, 0], plan[:, 1])
    zt = _level_z(top, plan[:, 0], plan[:, 1])
    if topography is not None:
        zt = np.fmin(zt, topography.z_at(plan[:, 0], plan[:, 1]))
    undefined = ~(np.isfinite(zb) & np.isfinite(zt))
    if undefined.any():
        keep = ~undefined[tri].any(axis=1)
        warnings.warn(f"zone {name!r}: {int((~keep).sum())} of {len(tri)} triangles of its "
                      f"surface left out where its bounding surfaces are not defined",
                      UserWarning, stacklevel=4)
        tri = tri[keep]
        if tri.size == 0:
            raise GeometryError(f"zone {name!r}: its surfaces are defined nowhere on its "
                                f"footprint; check their extents and coordinates")
    zt = np.where(zt < zb, zb, zt)
    n = len(plan)
    # Boundary edges: used by one triangle; directed as in the counter-clockwise
    # triangles, so the zone lies to their left.
    edges = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    undirected = np.sort(edges, axis=1)
    _, inv, counts = np.unique(undirected, axis=0, return_inverse=True, return_counts=True)
    a, b = edges[counts[inv.ravel()] == 1].T
    walls = np.concatenate([np.column_stack([a, b, b + n]), np.column_stack([a, b + n, a + n])])
    vertices = np.concatenate([np.column_stack([plan, zb]), np.column_stack([plan, zt])])
    faces = np.concatenate([tri[:, ::-1], tri + n, walls])
    return vertices, faces


# ---------------------------------------------------------------------- private: holes


def _hole_segments(data: Any, columns: Sequence[str] | None, method: str
                   ) -> tuple[np.ndarray, np.ndarray | None, dict[str, np.ndarray],
                              dict[str, list[str]]]:
    """
    Points, segments (None for points only), cell columns and the names of the text
    columns, of drillholes or a samples table.
    """
    from .drillholes import Drillholes, desurvey

    if isinstance(data, Drillholes):
        table = data.intervals.drop(columns=[c for c in _XYZ if c in data.intervals])
        ids = table["hole_id"].to_numpy()
        depth = np.concatenate([table["from_m"].to_numpy(float),
                                table["to_m"].to_numpy(float)])
        hole = np.concatenate([pd.factorize(ids)[0]] * 2)
        stations, inverse = np.unique(np.column_stack([hole, depth]), axis=0,
                                      return_inverse=True)
        first = np.unique(inverse.ravel(), return_index=True)[1]
        all_ids = np.concatenate([ids, ids])
        xyz = desurvey(data, (all_ids[first], stations[:, 1]), method=method)
        points = xyz[list(_XYZ)].to_numpy(dtype=np.float64)
        segments = inverse.ravel().reshape(2, -1).T.astype(np.int64)
    elif isinstance(data, pd.DataFrame):
        missing = [c for c in _XYZ if c not in data.columns]
        if missing:
            raise InputError(f"the samples table has no column(s) {missing}; it needs "
                             f"easting_m, northing_m and elevation_m (m)")
        if {"from_m", "to_m"}.issubset(data.columns):
            table = _sorted_intervals(data)
            points, segments = _segments_from_midpoints(table)
        else:
            table = data.reset_index(drop=True)
            points = table[list(_XYZ)].to_numpy(dtype=np.float64)
            segments = None
    else:
        raise InputError(f"drillholes must be raremin Drillholes or a samples DataFrame; "
                         f"got {type(data).__name__}")
    if columns is None:
        names = [c for c in table.columns if c not in _XYZ]
    else:
        names = [str(c) for c in columns]
        unknown = [c for c in names if c not in table.columns]
        if unknown:
            raise InputError(f"unknown column(s) {unknown}; the table has "
                             f"{[str(c) for c in table.columns]}")
    out: dict[str, np.ndarray] = {}
    texts: dict[str, list[str]] = {}
    for col in names:
        series = table[col]
        if pd.api.types.is_bool_dtype(series):
            out[str(col)] = series.to_numpy().astype(np.uint8)
        elif pd.api.types.is_numeric_dtype(series):
            values = series.to_numpy()
            out[str(col)] = (values.astype(np.float64) if values.dtype.kind == "f"
                             else values.astype(np.int64))
        else:
            codes, uniques = pd.factorize(series)
            out[str(col)] = codes.astype(np.int32)
            texts[str(col)] = [str(u) for u in uniques]
    return points, segments, out, texts


def _sorted_intervals(data: pd.DataFrame) -> pd.DataFrame:
    table = data.reset_index(drop=True)
    if "hole_id" in table.columns:
        hole = pd.factorize(table["hole_id"])[0]
    else:
        hole = np.arange(len(table))
    order = np.lexsort((table["from_m"].to_numpy(float), hole))
    return table.iloc[order].reset_index(drop=True)


def _segments_from_midpoints(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Interval ends from sorted midpoints (directions from neighbours down the hole)."""
    n = len(table)
    xyz = table[list(_XYZ)].to_numpy(dtype=np.float64)
    start = table["from_m"].to_numpy(dtype=np.float64)
    end = table["to_m"].to_numpy(dtype=np.float64)
    if np.any(~np.isfinite(start) | ~np.isfinite(end) | (end < start)) or \
            not np.isfinite(xyz).all():
        raise InputError("samples need finite coordinates and from_m <= to_m (m along the "
                         "hole) to draw intervals; clean the table first")
    mid = 0.5 * (start + end)
    hole = (pd.factorize(table["hole_id"])[0] if "hole_id" in table.columns
            else np.arange(n))
    idx = np.arange(n)
    prev = np.where(np.r_[False, hole[1:] == hole[:-1]], idx - 1, idx)
    nxt = np.where(np.r_[hole[:-1] == hole[1:], False], idx + 1, idx)
    step = xyz[nxt] - xyz[prev]
    length = np.linalg.norm(step, axis=1)
    along = mid[nxt] - mid[prev]
    ok = (length > 0) & (along > 0)
    direction = np.tile([0.0, 0.0, -1.0], (n, 1))
    direction[ok] = step[ok] / length[ok, None]
    top = xyz - direction * (mid - start)[:, None]
    bottom = xyz + direction * (end - mid)[:, None]
    # Ends shared where an interval ends where the next begins in the same hole.
    both = np.concatenate([top, bottom])
    keys = np.column_stack([np.concatenate([hole, hole]), np.concatenate([start, end])])
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return both[first], inverse.ravel().reshape(2, -1).T.astype(np.int64)
