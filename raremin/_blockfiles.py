"""
Block models in files (private): Parquet directories and Zarr groups, chunk by chunk.

The work behind :meth:`raremin.grid.BlockModel.to_parquet`, ``read_parquet``,
``to_zarr`` and ``read_zarr`` (their docstrings describe the formats). A lazy model is
written by one task per chunk and read back lazily, one task per file or stored chunk;
every output is written under a temporary name and renamed at the end
(:func:`raremin._dask.atomic_directory`). Also :func:`parcel_frame`, the rows of
``BlockModel.to_dataframe`` for any set of parcels, :func:`read_model` (any of the
formats, behind :func:`raremin.grid.read_block_model`), :func:`array_unit` (the unit
of an array from its name) and :func:`model_to_xarray` (``BlockModel.to_xarray``).

Every Parquet file carries the model's metadata in its key-value metadata under the
key ``raremin`` (the GeoParquet way of self-describing files: a JSON document; the CRS
as WKT and as PROJJSON, no ``geo`` key since the files hold no geometry column) and
each column's unit in its field metadata (``unit``), so one file read alone is still
a block model.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _dask
from .errors import InputError

if TYPE_CHECKING:
    from .grid import BlockGrid, BlockModel

__all__: list[str] = []

#: Format tag and version of the metadata written with a model.
_FORMAT = "raremin.BlockModel"
_FORMAT_VERSION = 1

#: Sidecar file of a Parquet block model directory.
_SIDECAR = "raremin.json"

#: Columns :meth:`BlockModel.to_dataframe` derives from the parcels (array names must differ).
DERIVED_COLUMNS = ("block", "ix", "iy", "iz", "easting_m", "northing_m", "elevation_m",
                   "zone", "proportion", "volume_m3", "tonnage_t")

#: Parcels per Zarr chunk of an in-memory model written by ``to_zarr``.
_ZARR_CHUNK = 1 << 20

#: Key of the metadata in a Parquet file's key-value metadata and in a Zarr group's attrs.
_KEY = "raremin"

#: Units read from the end of an array name (longest first), as written in metadata.
_UNIT_SUFFIXES = (("_t_m3", "t/m3"), ("_kgpt", "kg/t"), ("_gpt", "g/t"), ("_pct", "%"),
                  ("_ppm", "ppm"), ("_ppb", "ppb"), ("_frac", "fraction"), ("_m3", "m3"),
                  ("_m2", "m2"), ("_km", "km"), ("_m", "m"), ("_kt", "kt"), ("_Mt", "Mt"),
                  ("_kg", "kg"), ("_t", "t"), ("_deg", "degree"))

#: Units of grades (mass fractions): a block's value is the tonnage-weighted mean.
_GRADE_UNITS = frozenset({"%", "ppm", "ppb", "g/t", "kg/t", "fraction"})

#: Units of additive quantities: a block's value is the sum of its parcels.
_ADDITIVE_UNITS = frozenset({"t", "kt", "Mt", "kg", "m3"})


def write_parquet(model: BlockModel, path: Any, overwrite: bool) -> Path:
    """Write `model` as a directory of Parquet files (see ``BlockModel.to_parquet``)."""
    _optional("pyarrow", "BlockModel.to_parquet")
    columns = list(DERIVED_COLUMNS)
    for key, arr in model.arrays.items():
        lead = int(np.prod(arr.shape[:-1]))
        columns += [key] if arr.ndim == 1 else [f"{key}_{i}" for i in range(lead)]
    clash = sorted({c for c in columns if columns.count(c) > 1})
    if clash:
        raise InputError(f"column(s) {clash} would appear twice in the files: arrays are "
                         f"named like the columns to_parquet derives ("
                         f"{', '.join(DERIVED_COLUMNS)}) or like another array's "
                         f"columns (name_0, name_1... of a 2-D array); rename them")
    names = list(model.arrays)
    lazy_keys = [k for k, v in model.attrs.items() if _dask.is_lazy(v)]
    # What every file says of itself: all but the lazy attrs (resolved by this very pass,
    # they are in the sidecar only) and the list of files.
    header = _metadata(model, {k: v for k, v in model.attrs.items() if k not in lazy_keys},
                       warn=False)
    header["attrs_complete"] = not lazy_keys
    header["n_parts"] = len(model.chunks)
    with _dask.atomic_directory(path, overwrite) as tmp:
        args: list[Any] = [str(tmp), header, model.grid, model.zone_names, names, model.block_index,
                model.zone_code, model.proportion, *(model.arrays[k] for k in names)]
        if model.is_lazy:
            tasks = _dask.per_chunk(_write_parquet_part, args, len(model.chunks))
            rows, *resolved = _dask.compute(tasks, *(model.attrs[k] for k in lazy_keys))
        else:
            rows, resolved = [_write_parquet_part(*args, 0)], []
        attrs = dict(model.attrs)
        attrs.update(zip(lazy_keys, resolved, strict=True))
        _dask.report_resolved(attrs, lazy_keys)
        meta = _metadata(model, attrs)
        meta["parts"] = [{"file": _part_name(i), "rows": int(r)} for i, r in enumerate(rows)]
        (tmp / _SIDECAR).write_text(json.dumps(meta, indent=1))
    return Path(path)


def read_parquet(cls: type[BlockModel], path: Any, chunks: int | str | None) -> BlockModel:
    """A model of class `cls` from a Parquet directory (see ``BlockModel.read_parquet``)."""
    _optional("pyarrow", "BlockModel.read_parquet")
    folder = Path(path)
    sidecar = folder / _SIDECAR
    if not sidecar.is_file():
        raise InputError(f"{str(folder)!r} is not a block model written by "
                         f"BlockModel.to_parquet (no {_SIDECAR} in it)")
    meta = _check_metadata(json.loads(sidecar.read_text()), str(sidecar))
    files = [(str(folder / p["file"]), int(p["rows"])) for p in meta["parts"]]
    return _read_parquet_files(cls, meta, files, chunks)


def read_parquet_file(cls: type[BlockModel], path: Any, chunks: int | str | None
                      ) -> BlockModel:
    """
    A model of class `cls` from one Parquet file written by ``BlockModel.to_parquet``
    (its key-value metadata ``raremin`` describes it). A file that is one part of
    several holds only its own parcels: that is said in a warning.
    """
    _optional("pyarrow", "reading a Parquet block model")
    import pyarrow.parquet as pq

    try:
        info = pq.read_metadata(str(path))
    except Exception as err:  # noqa: BLE001 (any failure means: not a Parquet file)
        raise InputError(f"{str(path)!r} is not a block model: it is not a Parquet file "
                         f"({type(err).__name__}: {err})") from None
    raw = (info.metadata or {}).get(_KEY.encode())
    if raw is None:
        raise InputError(f"{str(path)!r} is a Parquet file without raremin metadata (key "
                         f"{_KEY!r}), so not a block model written by BlockModel.to_parquet; "
                         f"read it with pandas.read_parquet")
    meta = _check_metadata(json.loads(raw), str(path))
    n_parts = int(meta.get("n_parts", 1))
    if n_parts > 1:
        warnings.warn(f"{str(path)!r} is part {int(meta.get('part', 0)) + 1} of {n_parts} of "
                      f"a block model: the model read holds only its {info.num_rows:,} "
                      f"parcels; read the whole directory to get them all", UserWarning,
                      stacklevel=4)
    if not meta.get("attrs_complete", True):
        warnings.warn(f"{str(path)!r}: attrs computed while the model was written are in "
                      f"the directory's {_SIDECAR} only; read the directory to get them",
                      UserWarning, stacklevel=4)
    return _read_parquet_files(cls, meta, [(str(path), int(info.num_rows))], chunks)


def _read_parquet_files(cls: type[BlockModel], meta: Mapping[str, Any],
                        files: list[tuple[str, int]], chunks: int | str | None) -> BlockModel:
    """A model from Parquet files described by `meta`, in memory or lazily."""
    grid, names = _grid_of(meta), tuple(meta["zone_names"])
    keys = list(meta["arrays"])
    if chunks is None:
        parts = [_read_parquet_part(meta, f) for f in files]
        cols = [np.concatenate([p[j] for p in parts], axis=-1) for j in range(3 + len(keys))]
    else:
        _dask.require_dask("BlockModel.read_parquet(chunks=...)")
        cols = _dask.lazy_columns(
            _read_parquet_part, meta, files, _column_dtypes(meta), "raremin-read",
            sizes=[rows for _, rows in files], leads=_column_leads(meta))
        cols = _rechunk(cols, chunks)
    return cls(grid, names, cols[0], cols[1], cols[2],
               dict(zip(keys, cols[3:], strict=True)), dict(meta["attrs"]))


def write_zarr(model: BlockModel, path: Any, chunk_size: int | None, overwrite: bool) -> Path:
    """Write `model` as a Zarr group (see ``BlockModel.to_zarr``)."""
    zarr = _optional("zarr", "BlockModel.to_zarr")
    if model.is_lazy and not _dask.known(model.chunks):
        raise _dask.unknown_size_error("to_zarr()")
    n = model.n_parcels
    if chunk_size is None:
        size = int(max(model.chunks)) if model.is_lazy else min(n, _ZARR_CHUNK)
    else:
        size = int(chunk_size)
        if size < 1:
            raise InputError(f"chunk_size must be >= 1 parcel; got {chunk_size!r}")
    size = max(size, 1)
    columns = {"block_index": model.block_index, "zone_code": model.zone_code,
               "proportion": model.proportion,
               **{f"arrays/{k}": v for k, v in model.arrays.items()}}
    lazy_keys = [k for k, v in model.attrs.items() if _dask.is_lazy(v)]
    with _dask.atomic_directory(path, overwrite) as tmp:
        root = zarr.open_group(str(tmp), mode="w")
        create = getattr(root, "create_array", None) or root.create_dataset
        for name, x in columns.items():
            array = create(name, shape=x.shape[:-1] + (n,), chunks=x.shape[:-1] + (size,),
                           dtype=np.dtype(x.dtype))
            unit = "fraction" if name == "proportion" else array_unit(name.split("/")[-1])
            if unit is not None:
                array.attrs["units"] = unit
        if model.is_lazy:
            tasks = []
            for name, column in columns.items():
                lazy: Any = column  # a Dask array
                lazy = lazy.rechunk({lazy.ndim - 1: size})
                starts = _dask.chunk_starts(lazy.chunks[-1])
                tasks += _dask.per_chunk(_write_zarr_region,
                                         [str(tmp), name, _dask.each_chunk(starts), lazy],
                                         len(starts))
            _, *resolved = _dask.compute(tasks, *(model.attrs[k] for k in lazy_keys))
        else:
            for name, x in columns.items():
                _write_zarr_region(str(tmp), name, 0, np.asarray(x), 0)
            resolved = []
        attrs = dict(model.attrs)
        attrs.update(zip(lazy_keys, resolved, strict=True))
        _dask.report_resolved(attrs, lazy_keys)
        root.attrs[_KEY] = _metadata(model, attrs)
    return Path(path)


def read_zarr(cls: type[BlockModel], path: Any, chunks: int | str | None) -> BlockModel:
    """A model of class `cls` from a Zarr group (see ``BlockModel.read_zarr``)."""
    zarr = _optional("zarr", "BlockModel.read_zarr")
    try:
        root = zarr.open_group(str(path), mode="r")
        meta = dict(root.attrs)[_KEY]
    except Exception as err:  # noqa: BLE001 (any failure means: not our group)
        raise InputError(f"{str(path)!r} is not a block model written by "
                         f"BlockModel.to_zarr ({type(err).__name__}: {err})") from None
    meta = _check_metadata(meta, str(path))
    keys = list(meta["arrays"])
    names = ["block_index", "zone_code", "proportion", *(f"arrays/{k}" for k in keys)]
    if chunks is None:
        cols = [np.asarray(root[name][...]) for name in names]
    else:
        _dask.require_dask("BlockModel.read_zarr(chunks=...)")
        import dask.array as da

        cols = _rechunk([da.from_zarr(str(path), component=name) for name in names],
                        chunks)
    return cls(_grid_of(meta), tuple(meta["zone_names"]), cols[0], cols[1], cols[2],
               dict(zip(keys, cols[3:], strict=True)), dict(meta["attrs"]))


def parcel_frame(grid: BlockGrid, zone_names: Sequence[str], block_index: np.ndarray,
                  zone_code: np.ndarray, proportion: np.ndarray,
                  arrays: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """The rows of :meth:`BlockModel.to_dataframe` for some parcels (a chunk, or all)."""
    ijk = grid.index_to_ijk(block_index)
    xyz = grid.index_to_coords(block_index)
    volume = grid.block_volume_m3 * proportion
    columns: dict[str, Any] = {
        "block": block_index,
        "ix": ijk[:, 0],
        "iy": ijk[:, 1],
        "iz": ijk[:, 2],
        "easting_m": xyz[:, 0],
        "northing_m": xyz[:, 1],
        "elevation_m": xyz[:, 2],
        "zone": np.asarray(zone_names, dtype=object)[zone_code],
        "proportion": proportion,
        "volume_m3": volume,
        "tonnage_t": volume * arrays["density_t_m3"],
    }
    for key, arr in arrays.items():
        if arr.ndim == 1:
            columns[key] = arr
        else:
            flat = arr.reshape(int(np.prod(arr.shape[:-1])), arr.shape[-1])
            for i, row in enumerate(flat):
                columns[f"{key}_{i}"] = row
    return pd.DataFrame(columns)


def _optional(name: str, what: str) -> Any:
    """Import an optional dependency, or raise an InputError with the install command."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        raise InputError(f"{what} needs {name}, which is not installed; install it with "
                         f"{_dask.INSTALL_HINT}") from None


def _part_name(i: int) -> str:
    return f"part.{i}.parquet"


def _write_parquet_part(folder: str, header: Mapping[str, Any], grid: BlockGrid,
                        zone_names: Sequence[str], names: Sequence[str],
                        block_index: np.ndarray, zone_code: np.ndarray,
                        proportion: np.ndarray, *rest: Any) -> int:
    """
    Write the rows of one chunk to ``part.<i>.parquet`` with the model's metadata (key
    ``raremin``) and each column's unit (field metadata ``unit``); the number of rows.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    *values, chunk = rest
    frame = parcel_frame(grid, zone_names, np.asarray(block_index), np.asarray(zone_code),
                          np.asarray(proportion),
                          {k: np.asarray(v) for k, v in zip(names, values, strict=True)})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    lead = {k: v["lead"] for k, v in header["arrays"].items()}
    fields = []
    for field in table.schema:
        key = field.name
        if key not in lead:  # name_0, name_1... of a 2-D array carry the array's unit
            base = key.rpartition("_")[0]
            key = base if lead.get(base) else key
        unit = array_unit(key) or ("fraction" if key == "proportion" else None)
        fields.append(field.with_metadata({"unit": unit}) if unit else field)
    meta = dict(table.schema.metadata or {})
    meta[_KEY.encode()] = json.dumps({**header, "part": int(chunk)}).encode()
    table = pa.Table.from_arrays(table.columns, schema=pa.schema(fields, metadata=meta))
    pq.write_table(table, Path(folder) / _part_name(chunk))
    return len(frame)


def _read_parquet_part(meta: Mapping[str, Any], file: tuple[str, int]) -> list[np.ndarray]:
    """block_index, zone_code, proportion and the arrays of one Parquet file."""
    import pyarrow.parquet as pq

    path, rows = file
    keys = list(meta["arrays"])
    wanted = ["block", "zone", "proportion"]
    for key in keys:
        lead = meta["arrays"][key]["lead"]
        wanted += [key] if not lead else [f"{key}_{i}" for i in range(int(np.prod(lead)))]
    table = pq.read_table(path, columns=wanted)
    if table.num_rows != rows:
        raise InputError(f"{path!r} holds {table.num_rows:,} rows but its metadata says "
                         f"{rows:,}; the directory was changed after it was written")
    names = list(meta["zone_names"])
    zone = pd.Categorical(table.column("zone").to_pandas(), categories=names)
    if np.any(zone.codes < 0):
        bad = table.column("zone").to_pandas()[zone.codes < 0].iloc[0]
        raise InputError(f"{path!r}: zone {bad!r} is not among the zones of the metadata "
                         f"({names})")
    dtypes = _column_dtypes(meta)
    out = [table.column("block").to_numpy().astype(dtypes[0], copy=False),
           zone.codes.astype(dtypes[1]),
           table.column("proportion").to_numpy().astype(dtypes[2], copy=False)]
    for j, key in enumerate(keys):
        lead = tuple(meta["arrays"][key]["lead"])
        if not lead:
            arr = table.column(key).to_numpy()
        else:
            arr = np.stack([table.column(f"{key}_{i}").to_numpy()
                            for i in range(int(np.prod(lead)))]).reshape(lead + (rows,))
        out.append(arr.astype(dtypes[3 + j], copy=False))
    return out


def _write_zarr_region(folder: str, name: str, start: int, block: np.ndarray,
                       chunk: int) -> int:
    """Write one chunk of a part into its Zarr array, from parcel `start` on."""
    import zarr

    array = zarr.open_array(folder, path=name, mode="r+")
    block = np.asarray(block)
    array[..., start:start + block.shape[-1]] = block
    return int(block.shape[-1])


def _json_value(value: Any) -> Any:
    """`value` as plain JSON types (numpy scalars and arrays included), or raise TypeError."""
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_value(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"{type(value).__name__} is not JSON")


def _metadata(model: BlockModel, attrs: Mapping[str, Any], *, warn: bool = True
              ) -> dict[str, Any]:
    """
    Grid, zones, dtypes, units and JSON-serialisable attrs of a model, for the files
    written (the names of the attrs left out are listed under ``attrs_dropped``).
    """
    grid = model.grid
    plain, dropped = {}, []
    for key, value in attrs.items():
        try:
            plain[str(key)] = _json_value(value)
        except TypeError:
            dropped.append(str(key))
    if dropped and warn:
        warnings.warn(f"{len(dropped)} attr(s) {dropped} are not JSON-serialisable and were "
                      f"not written (numbers, strings, booleans, None, lists, dicts and "
                      f"numpy arrays are)", UserWarning, stacklevel=4)
    crs = grid.crs
    return {
        "format": _FORMAT,
        "version": _FORMAT_VERSION,
        "grid": {"origin": list(grid.origin), "block_size": list(grid.block_size),
                 "shape": list(grid.shape),
                 "crs": None if crs is None else crs.to_wkt(),
                 "crs_projjson": None if crs is None else crs.to_json_dict(),
                 "crs_epsg": None if crs is None else crs.to_epsg()},
        "zone_names": list(model.zone_names),
        "dtypes": {"block_index": np.dtype(model.block_index.dtype).str,
                   "zone_code": np.dtype(model.zone_code.dtype).str,
                   "proportion": np.dtype(model.proportion.dtype).str},
        "arrays": {k: {"dtype": np.dtype(v.dtype).str, "lead": list(v.shape[:-1])}
                   for k, v in model.arrays.items()},
        "units": {k: u for k in model.arrays if (u := array_unit(k)) is not None},
        "attrs": plain,
        "attrs_dropped": dropped,
    }


def _check_metadata(meta: Any, where: str) -> dict[str, Any]:
    if not isinstance(meta, Mapping) or meta.get("format") != _FORMAT:
        raise InputError(f"{where} is not raremin block model metadata")
    if int(meta.get("version", 0)) > _FORMAT_VERSION:
        raise InputError(f"{where} was written by a newer raremin (format version "
                         f"{meta['version']}); upgrade raremin to read it")
    return dict(meta)


def _grid_of(meta: Mapping[str, Any]) -> BlockGrid:
    from .grid import BlockGrid

    g = meta["grid"]
    crs = g.get("crs")
    if g.get("crs_projjson") is not None:
        from pyproj import CRS

        crs = CRS.from_json_dict(g["crs_projjson"])
    return BlockGrid(tuple(g["origin"]), tuple(g["block_size"]), tuple(g["shape"]),
                     crs=crs)


def _column_dtypes(meta: Mapping[str, Any]) -> list[np.dtype]:
    d = meta["dtypes"]
    return [np.dtype(d["block_index"]), np.dtype(d["zone_code"]), np.dtype(d["proportion"]),
            *(np.dtype(a["dtype"]) for a in meta["arrays"].values())]


def _column_leads(meta: Mapping[str, Any]) -> list[tuple[int, ...]]:
    return [(), (), (), *(tuple(a["lead"]) for a in meta["arrays"].values())]


def _rechunk(columns: list[Any], chunks: Any) -> list[Any]:
    """Lazy columns re-chunked to `chunks` parcels per chunk (a str keeps them)."""
    if isinstance(chunks, str):
        if chunks not in ("files", "stored"):
            raise InputError(f"chunks must be 'files', 'stored', a number of parcels or None; "
                             f"got {chunks!r}")
        return columns
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
        raise InputError(f"chunks must be a number of parcels >= 1; got {chunks!r}")
    return [c.rechunk({c.ndim - 1: int(chunks)}) for c in columns]


# ---------------------------------------------------------------------- any format


def read_model(cls: type[BlockModel], path: Any, chunks: int | str | None) -> BlockModel:
    """A model from a Parquet directory or file or a Zarr group, told apart by content."""
    parquet_chunks: int | str | None
    zarr_chunks: int | str | None
    if chunks is None or chunks == "auto":
        parquet_chunks, zarr_chunks = ("files", "stored") if chunks else (None, None)
    elif isinstance(chunks, (int, np.integer)) and not isinstance(chunks, bool) and chunks > 0:
        parquet_chunks = zarr_chunks = int(chunks)
    else:
        raise InputError(f"chunks must be None (in memory), 'auto' (lazy, as stored) or a "
                         f"number of parcels >= 1; got {chunks!r}")
    where = Path(path)
    if where.is_file():
        return read_parquet_file(cls, where, parquet_chunks)
    if not where.is_dir():
        raise InputError(f"{str(path)!r} does not exist: give the directory written by "
                         f"BlockModel.to_parquet or BlockModel.to_zarr, or one of the "
                         f"Parquet files of the former")
    if (where / _SIDECAR).is_file():
        return read_parquet(cls, where, parquet_chunks)
    if (where / "zarr.json").is_file() or (where / ".zgroup").is_file():
        return read_zarr(cls, where, zarr_chunks)
    raise InputError(f"{str(path)!r} is not a block model: a directory written by "
                     f"BlockModel.to_parquet holds {_SIDECAR}, a Zarr group written by "
                     f"BlockModel.to_zarr holds zarr.json (or .zgroup), and it holds neither")


# ---------------------------------------------------------------------- units and xarray


def array_unit(name: str) -> str | None:
    """The unit of an array from the end of its name (``treo_pct`` -> ``"%"``), or None."""
    for suffix, unit in _UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return unit
    return None


#: Dimension names of the grid axes in :func:`model_to_xarray`.
_AXES = ("easting", "northing", "elevation")

#: How :func:`model_to_xarray` gives one value per block, by kind of array.
_RULES = {
    "grade": "tonnage-weighted mean of the block's parcels",
    "density": "volume-weighted mean of the block's parcels (block tonnage / volume)",
    "sum": "sum over the block's parcels",
    "dominant": "value of the block's largest parcel (the zone holding most of the block)",
    "zone": "value of the parcel of this zone (no mixing of zones)",
}


class BlockReducer:
    """
    One value per block of a model's grid from its parcels, by the rule each array's unit
    calls for (shared by :meth:`BlockModel.to_xarray` and the 3D exports):

    - grades (%, ppm, ppb, g/t, kg/t, fraction): the tonnage-weighted mean;
    - density (t/m3): the volume-weighted mean;
    - quantities (t, kt, Mt, kg, m3): the sum;
    - anything else (classes, counts, diagnostics): the value of the block's largest
      parcel (ties: the first zone).

    A block of one parcel takes its value exactly; a block without parcels is NaN (or the
    integer fill value). Values are arrays of shape (..., n_parcels); results
    (..., n_blocks) in block-index order.
    """

    def __init__(self, model: BlockModel) -> None:
        grid = model.grid
        self.nb = nb = grid.n_blocks
        self.block = block = np.asarray(model.block_index, dtype=np.int64)
        self.code = code = np.asarray(model.zone_code, dtype=np.int64)
        self.share = share = np.asarray(model.proportion, dtype=np.float64)
        self.volume = grid.block_volume_m3 * share
        self.tonnage = np.asarray(model.tonnage_t(), dtype=np.float64)
        order = np.lexsort((code, -share, block))
        self.first = (order[np.r_[True, block[order][1:] != block[order][:-1]]]
                      if block.size else order)
        self.occupied = block[self.first]
        self.count = np.bincount(block, minlength=nb)

    def dominant(self, values: np.ndarray, fill: Any) -> np.ndarray:
        """The value of each block's largest parcel."""
        out = np.full(values.shape[:-1] + (self.nb,), fill, dtype=values.dtype)
        out[..., self.occupied] = values[..., self.first]
        return out

    def weighted_mean(self, values: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """The `weight`-weighted mean of each block's parcels."""
        nb, block = self.nb, self.block
        lead = values.shape[:-1]
        rows = int(np.prod(lead))
        index = (block[None, :] + nb * np.arange(rows)[:, None]).ravel()
        num = np.bincount(index, weights=(values.reshape(rows, -1) * weight).ravel(),
                          minlength=rows * nb)
        den = np.bincount(block, weights=weight, minlength=nb)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = num.reshape(rows, nb) / den
        out[:, self.count == 0] = np.nan
        alone = self.count[self.occupied] == 1  # a block of one parcel: its value exactly
        out[:, self.occupied[alone]] = values.reshape(rows, -1)[:, self.first[alone]]
        return out.reshape(lead + (nb,))

    def summed(self, values: np.ndarray) -> np.ndarray:
        """The sum over each block's parcels."""
        nb, block = self.nb, self.block
        lead = values.shape[:-1]
        rows = int(np.prod(lead))
        index = (block[None, :] + nb * np.arange(rows)[:, None]).ravel()
        out = np.bincount(index, weights=values.reshape(rows, -1).ravel(), minlength=rows * nb)
        return out.reshape(lead + (nb,))

    def reduce(self, key: str, values: np.ndarray) -> tuple[np.ndarray, str]:
        """Block values of the array `key` and the name of the rule used (see _RULES)."""
        unit = array_unit(key)
        if values.dtype.kind in "fiu" and unit == "t/m3":
            return self.weighted_mean(values, self.volume), "density"
        if values.dtype.kind in "fiu" and unit in _GRADE_UNITS:
            return self.weighted_mean(values, self.tonnage), "grade"
        if values.dtype.kind in "fiu" and unit in _ADDITIVE_UNITS:
            return self.summed(values), "sum"
        return self.dominant(values, fill_value(values)), "dominant"


def model_to_xarray(model: BlockModel, by_zone: bool) -> Any:
    """The gridded Dataset of ``BlockModel.to_xarray`` (see there)."""
    try:
        import xarray as xr
    except ImportError:
        from .errors import RareminError

        raise RareminError("BlockModel.to_xarray() needs xarray, which is not installed; "
                           "install it with pip install 'raremin[xarray]'") from None
    if model.is_lazy:
        raise InputError("to_xarray() of a lazy block model would bring every block into "
                         "memory; write it chunk by chunk with model.to_zarr(path), or call "
                         "model.compute().to_xarray() when it fits in memory")
    grid = model.grid
    dims = _AXES[:grid.ndim]
    reserved = {"proportion", "zone_code", "tonnage_t", "zone", "realisation",
                "spatial_ref", *dims}
    clash = sorted(reserved.intersection(model.arrays))
    if clash:
        raise InputError(f"array(s) {clash} are named like variables or coordinates "
                         f"to_xarray() makes ({', '.join(sorted(reserved))}); rename them "
                         f"with model.with_arrays(...)")
    nb, n_zones = grid.n_blocks, len(model.zone_names)
    blocks = BlockReducer(model)
    block, code, share, tonnage = blocks.block, blocks.code, blocks.share, blocks.tonnage

    def gridded(flat: np.ndarray) -> np.ndarray:
        """(..., n_blocks) in block-index order -> (..., nx, ny[, nz])."""
        lead = flat.shape[:-1]
        out = flat.reshape(lead + grid.shape[::-1])
        axes = list(range(len(lead), out.ndim))
        return np.moveaxis(out, axes, axes[::-1])

    def per_zone(values: np.ndarray, fill: Any) -> np.ndarray:
        out = np.full((n_zones,) + values.shape[:-1] + (nb,), fill, dtype=values.dtype)
        out[code, ..., block] = np.moveaxis(values, -1, 0)
        return out

    realisations = sorted({a.shape[0] for a in model.arrays.values() if a.ndim == 2})
    coords: dict[str, Any] = {
        d: (d, grid.axis_centres(a), {"units": "m", "axis": "XYZ"[a],
                                      "long_name": f"block centre {d}"})
        for a, d in enumerate(dims)}
    coords["zone"] = ("zone", np.asarray(model.zone_names, dtype=object),
                      {"long_name": "zone name"})
    if len(realisations) == 1:
        coords["realisation"] = ("realisation", np.arange(realisations[0]))
    crs = grid.crs
    mapping = {} if crs is None else {"grid_mapping": "spatial_ref"}
    if crs is not None:
        coords["spatial_ref"] = ((), 0, crs.to_cf())

    variables: dict[str, Any] = {}
    prop = np.zeros((n_zones, nb))
    prop[code, block] = share
    variables["proportion"] = (("zone", *dims), gridded(prop), {
        "units": "fraction", **mapping,
        "long_name": "share of the block's volume in each zone"})
    zone_fill = -1
    variables["zone_code"] = (dims, gridded(blocks.dominant(code.astype(np.int32),
                                                            zone_fill)), {
        **mapping, "long_name": "zone holding most of the block (index into zone)",
        "flag_values": np.arange(n_zones, dtype=np.int32),
        "flag_meanings": " ".join(str(n).replace(" ", "_") for n in model.zone_names),
        "block_value": _RULES["dominant"]})
    fills: dict[str, Any] = {"zone_code": zone_fill}
    variables["tonnage_t"] = ((("zone",) if by_zone else ()) + dims,
                              gridded(per_zone(tonnage, 0.0) if by_zone
                                      else blocks.summed(tonnage)),
                              {"units": "t", **mapping,
                               "long_name": "tonnage of the block's parcels",
                               "block_value": _RULES["zone" if by_zone else "sum"]})
    for key, arr in model.arrays.items():
        arr = np.asarray(arr)
        unit = array_unit(key)
        if arr.ndim == 1:
            lead_dims: tuple[str, ...] = ()
        elif arr.ndim == 2:
            lead_dims = ("realisation",) if len(realisations) == 1 else (f"{key}_realisation",)
        else:
            lead_dims = tuple(f"{key}_dim_{i}" for i in range(arr.ndim - 1))
        fill = fill_value(arr)
        if by_zone:
            values, rule = per_zone(arr, fill), "zone"
        else:
            values, rule = blocks.reduce(key, arr)
        attrs: dict[str, Any] = {**mapping, "block_value": _RULES[rule]}
        if unit is not None:
            attrs["units"] = unit
        if key == "resource_class":
            from ._codes import CLASS_NAMES

            attrs["flag_values"] = np.arange(len(CLASS_NAMES), dtype=arr.dtype)
            attrs["flag_meanings"] = " ".join(n.lower() for n in CLASS_NAMES)
        if values.dtype.kind in "iu":
            fills[key] = fill
        variables[key] = ((("zone",) if by_zone else ()) + lead_dims + dims, gridded(values),
                          attrs)
    meta = _metadata(model, model.attrs)
    ds = xr.Dataset(variables, coords=coords, attrs={
        "title": "raremin block model",
        "crs_wkt": "" if crs is None else crs.to_wkt(),
        "crs": "" if crs is None else (f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else
                                       crs.to_string()),
        "origin_m": list(grid.origin),
        "block_size_m": list(grid.block_size),
        "zones": "separate (one value per zone)" if by_zone else
                 "blended (one value per block; see each variable's block_value)",
        "raremin": json.dumps(meta),
    })
    for key, fill in fills.items():
        ds[key].encoding["_FillValue"] = fill
        ds[key].attrs["comment"] = f"{fill} where the block holds no parcel"
    return ds


def fill_value(arr: np.ndarray) -> Any:
    """What blocks without a parcel hold: NaN, False, "", None, or -1 for integers (the
    dtype's extreme when -1 is a value of the array)."""
    kind = arr.dtype.kind
    if kind in "fc":
        return np.nan
    if kind == "b":
        return False
    if kind in "iu":
        info = np.iinfo(arr.dtype)
        fill = -1 if kind == "i" else info.max
        return info.min if kind == "i" and np.any(arr == fill) else fill
    return "" if kind in "US" else None
