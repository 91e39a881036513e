"""
Block models in files (private): Parquet directories and Zarr groups, chunk by chunk.

The work behind :meth:`raremin.grid.BlockModel.to_parquet`, ``read_parquet``,
``to_zarr`` and ``read_zarr`` (their docstrings describe the formats). A lazy model is
written by one task per chunk and read back lazily, one task per file or stored chunk;
every output is written under a temporary name and renamed at the end
(:func:`raremin._dask.atomic_directory`). Also :func:`parcel_frame`, the rows of
``BlockModel.to_dataframe`` for any set of parcels.
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
    with _dask.atomic_directory(path, overwrite) as tmp:
        args = [str(tmp), model.grid, model.zone_names, names, model.block_index,
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
    grid, names = _grid_of(meta), tuple(meta["zone_names"])
    files = [(str(folder / p["file"]), int(p["rows"])) for p in meta["parts"]]
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
            create(name, shape=x.shape[:-1] + (n,), chunks=x.shape[:-1] + (size,),
                   dtype=np.dtype(x.dtype))
        if model.is_lazy:
            tasks = []
            for name, x in columns.items():
                x = x.rechunk({x.ndim - 1: size})
                starts = _dask.chunk_starts(x.chunks[-1])
                tasks += _dask.per_chunk(_write_zarr_region,
                                         [str(tmp), name, _dask.each_chunk(starts), x],
                                         len(starts))
            _, *resolved = _dask.compute(tasks, *(model.attrs[k] for k in lazy_keys))
        else:
            for name, x in columns.items():
                _write_zarr_region(str(tmp), name, 0, np.asarray(x), 0)
            resolved = []
        attrs = dict(model.attrs)
        attrs.update(zip(lazy_keys, resolved, strict=True))
        _dask.report_resolved(attrs, lazy_keys)
        root.attrs["raremin"] = _metadata(model, attrs)
    return Path(path)


def read_zarr(cls: type[BlockModel], path: Any, chunks: int | str | None) -> BlockModel:
    """A model of class `cls` from a Zarr group (see ``BlockModel.read_zarr``)."""
    zarr = _optional("zarr", "BlockModel.read_zarr")
    try:
        root = zarr.open_group(str(path), mode="r")
        meta = dict(root.attrs)["raremin"]
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


def _write_parquet_part(folder: str, grid: BlockGrid, zone_names: Sequence[str],
                        names: Sequence[str], block_index: np.ndarray, zone_code: np.ndarray,
                        proportion: np.ndarray, *rest: Any) -> int:
    """Write the rows of one chunk to ``part.<i>.parquet``; the number of rows."""
    *values, chunk = rest
    frame = parcel_frame(grid, zone_names, np.asarray(block_index), np.asarray(zone_code),
                          np.asarray(proportion),
                          {k: np.asarray(v) for k, v in zip(names, values, strict=True)})
    frame.to_parquet(Path(folder) / _part_name(chunk), engine="pyarrow", index=False)
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


def _metadata(model: BlockModel, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Grid, zones, dtypes and JSON-serialisable attrs of a model, for the files written."""
    grid = model.grid
    plain, dropped = {}, []
    for key, value in attrs.items():
        try:
            plain[str(key)] = _json_value(value)
        except TypeError:
            dropped.append(key)
    if dropped:
        warnings.warn(f"attrs {dropped} are not JSON-serialisable and were not written",
                      UserWarning, stacklevel=4)
    return {
        "format": _FORMAT,
        "version": _FORMAT_VERSION,
        "grid": {"origin": list(grid.origin), "block_size": list(grid.block_size),
                 "shape": list(grid.shape),
                 "crs": None if grid.crs is None else grid.crs.to_wkt()},
        "zone_names": list(model.zone_names),
        "dtypes": {"block_index": np.dtype(model.block_index.dtype).str,
                   "zone_code": np.dtype(model.zone_code.dtype).str,
                   "proportion": np.dtype(model.proportion.dtype).str},
        "arrays": {k: {"dtype": np.dtype(v.dtype).str, "lead": list(v.shape[:-1])}
                   for k, v in model.arrays.items()},
        "attrs": plain,
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
    return BlockGrid(tuple(g["origin"]), tuple(g["block_size"]), tuple(g["shape"]),
                     crs=g["crs"])


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
