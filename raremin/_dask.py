"""
Dask glue for block models, estimation and grade-tonnage tables (private).

raremin runs on Dask where a block model outgrows one machine, and never needs it
otherwise: nothing here imports dask when the module is imported, and the in-memory
code paths never call the functions that do. Lazy inputs are recognised without
importing dask (:func:`is_lazy` looks in ``sys.modules`` first).

What is here: recognising lazy arrays and the install hint; checking that the arrays of
a block model are chunked alike along parcels (without computing them); one object
shared by every chunk task (:func:`shared`); mapping a function over aligned chunks
(:func:`map_parcels`) and reducing per-chunk results (:func:`reduce_chunks`); and
building a lazy model from independent window tasks (:func:`lazy_columns`). The
functions run on whatever Dask scheduler is active; none creates a cluster.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError

__all__: list[str] = []

#: The command that installs what the lazy paths need.
INSTALL_HINT = 'pip install "raremin[dask]"'

#: Partial results summed together by one task of a tree reduction.
TREE_WIDTH = 8


def is_lazy(x: Any) -> bool:
    """True for a Dask collection; never imports dask (False when it is not loaded)."""
    dask = sys.modules.get("dask")
    if dask is None:
        return False
    return bool(dask.is_dask_collection(x))


def require_dask(what: str) -> None:
    """Raise an InputError naming the install command when dask cannot be imported."""
    try:
        import dask  # noqa: F401
        import dask.array  # noqa: F401
    except ImportError:
        raise InputError(
            f"{what} needs Dask, which is not installed; install it with {INSTALL_HINT}"
        ) from None


def known(chunks: Sequence[float]) -> bool:
    """True when every chunk size is known (no NaN)."""
    return not any(isinstance(c, float) and math.isnan(c) for c in chunks)


def chunks_equal(a: Sequence[float], b: Sequence[float]) -> bool:
    """Chunk sizes equal pairwise, two unknown (NaN) sizes counting as equal."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        nan_x = isinstance(x, float) and math.isnan(x)
        nan_y = isinstance(y, float) and math.isnan(y)
        if nan_x != nan_y or (not nan_x and x != y):
            return False
    return True


def describe_chunks(chunks: Sequence[float]) -> str:
    """``3 chunks of 10, 10, 5`` or ``3 chunks of unknown sizes``."""
    if not known(chunks):
        return f"{len(chunks)} chunk(s) of unknown sizes"
    shown = ", ".join(f"{int(c):,}" for c in chunks[:4]) + (", ..." if len(chunks) > 4 else "")
    return f"{len(chunks)} chunk(s) of {shown} parcels"


def _unknown_hint() -> str:
    return ("call model.with_known_chunks() (one pass over the geometry) or "
            "model.compute() first")


def align(name: str, x: Any, ref_chunks: Sequence[float], *, one_d: bool) -> Any:
    """
    `x` as a Dask array chunked like `ref_chunks` along its last axis (parcels or
    blocks), leading axes in one chunk; in-memory arrays are split (which needs known
    chunk sizes). Nothing is computed.
    """
    import dask.array as da

    if not is_lazy(x):
        a = np.asarray(x)
        if a.ndim == 0 or (one_d and a.ndim != 1):
            raise InputError(f"{name} must have one value per parcel; got shape {a.shape}")
        if not known(ref_chunks):
            raise InputError(
                f"{name} is an in-memory array but the lazy arrays' chunk sizes are "
                f"unknown, so it cannot be split like them: {_unknown_hint()}, or pass a "
                f"Dask array chunked like the model"
            )
        if a.shape[-1] != sum(ref_chunks):
            raise InputError(
                f"{name} must have one value per parcel on its last axis "
                f"({int(sum(ref_chunks)):,}); got shape {a.shape}"
            )
        return da.from_array(a, chunks=a.shape[:-1] + (tuple(ref_chunks),))
    if not isinstance(x, da.Array):
        raise InputError(f"{name} must be a Dask array; got {type(x).__name__}")
    if x.ndim == 0 or (one_d and x.ndim != 1):
        raise InputError(f"{name} must have one value per parcel; got shape {x.shape}")
    if x.ndim > 1 and any(len(c) > 1 for c in x.chunks[:-1]):
        x = x.rechunk({axis: -1 for axis in range(x.ndim - 1)})
    if not chunks_equal(x.chunks[-1], ref_chunks):
        raise InputError(
            f"{name} is chunked in {describe_chunks(x.chunks[-1])} along parcels but the "
            f"model in {describe_chunks(ref_chunks)}; lazy arrays used together are "
            f"chunked alike: rechunk it like the model (x.rechunk(model.chunks)) or "
            f"compute it"
        )
    return x


def align_parcels(
    block_index: Any, zone_code: Any, proportion: Any, arrays: dict[str, Any]
) -> tuple[Any, Any, Any, dict[str, Any]]:
    """
    The parts of a lazy block model, checked and aligned without computing them: every
    part chunked along parcels like the first lazy part (see :func:`align`).
    """
    import dask.array as da

    parts = [block_index, zone_code, proportion, *arrays.values()]
    ref = next(p for p in parts if is_lazy(p))
    if not isinstance(ref, da.Array) or ref.ndim == 0:
        raise InputError(f"lazy block model parts must be Dask arrays; got {type(ref).__name__}")
    ref_chunks = ref.chunks[-1]
    return (align("block_index", block_index, ref_chunks, one_d=True),
            align("zone_code", zone_code, ref_chunks, one_d=True),
            align("proportion", proportion, ref_chunks, one_d=True),
            {k: align(f"array {k!r}", v, ref_chunks, one_d=False) for k, v in arrays.items()})


def unknown_size_error(what: str) -> InputError:
    return InputError(f"{what} of a lazy block model whose chunk sizes are unknown (parcels "
                      f"per chunk are found when the zones are coded): {_unknown_hint()}")


def chunk_sizes(x: Any) -> tuple[int, ...]:
    """The length of every chunk of a 1-D Dask array (computes it)."""
    n = len(x.chunks[0])
    lengths = x.map_blocks(_length, chunks=((1,) * n,), dtype=np.int64,
                           meta=np.empty(0, np.int64))
    return tuple(int(v) for v in lengths.compute())


def _length(block: np.ndarray) -> np.ndarray:
    return np.array([block.shape[-1]], dtype=np.int64)


def with_sizes(x: Any, sizes: Sequence[int]) -> Any:
    """The same Dask array (same graph) told the sizes of its chunks along the last axis."""
    import dask.array as da

    chunks = x.chunks[:-1] + (tuple(int(s) for s in sizes),)
    return da.Array(x.dask, x.name, chunks, meta=np.empty((0,) * x.ndim, x.dtype))


def shared(obj: Any, prefix: str) -> Any:
    """One graph key holding `obj`, passed to every chunk task that needs it."""
    import dask

    return dask.delayed(obj, traverse=False, name=f"{prefix}-{uuid.uuid4().hex}")


def lazy_columns(task: Callable[..., Sequence[np.ndarray]], common: Any,
                 windows: Sequence[Any], dtypes: Sequence[Any], prefix: str, *,
                 sizes: Sequence[int] | None = None,
                 leads: Sequence[tuple[int, ...]] | None = None) -> list[Any]:
    """
    Dask arrays from one task per window, concatenated along their last axis.

    ``task(common, window)`` returns one array per dtype; chunk i of output j is output
    j of window i, of shape ``leads[j] + (sizes[i],)`` (unknown sizes: NaN). `common`
    is shared by every task (one graph key).
    """
    import dask
    import dask.array as da

    handle = shared(common, f"{prefix}-common")
    token = uuid.uuid4().hex
    parts = [dask.delayed(task, pure=True)(handle, w, dask_key_name=f"{prefix}-{token}-{i}")
             for i, w in enumerate(windows)]
    lengths = [np.nan] * len(parts) if sizes is None else list(sizes)
    out = []
    for j, dtype in enumerate(dtypes):
        lead = () if leads is None else tuple(leads[j])
        blocks = [da.from_delayed(p[j], shape=lead + (n,), dtype=dtype,
                                  meta=np.empty((0,) * (len(lead) + 1), dtype))
                  for p, n in zip(parts, lengths, strict=True)]
        out.append(da.concatenate(blocks, axis=-1))
    return out


def map_parcels(func: Callable[..., np.ndarray], arrays: Sequence[Any], common: Any,
                n_rows: int) -> Any:
    """
    ``func(*chunks, common)`` over aligned 1-D chunks, each returning ``(n_rows, m)``
    float64; `common` is one graph key shared by every task (no copy per task).
    """
    import dask.array as da

    handle = shared(common, "raremin-shared")
    ref = arrays[0]
    return da.map_blocks(func, *arrays, handle, new_axis=0, chunks=((n_rows,), ref.chunks[0]),
                         dtype=np.float64, meta=np.empty((0, 0)))


def chunk_starts(chunks: Sequence[float]) -> list[int | None]:
    """Offset of each chunk along parcels, or None for every chunk when sizes are unknown."""
    if not known(chunks):
        return [None] * len(chunks)
    return [int(v) for v in np.concatenate([[0], np.cumsum(chunks)[:-1]])]


def chunk_delayed(x: Any) -> list[Any]:
    """One Delayed per chunk along the last axis (leading axes are one chunk)."""
    if x.ndim > 1 and any(len(c) > 1 for c in x.chunks[:-1]):
        x = x.rechunk({axis: -1 for axis in range(x.ndim - 1)})
    return list(x.to_delayed(optimize_graph=False).ravel())


def per_chunk(func: Callable[..., Any], args: Sequence[Any], n_chunks: int) -> list[Any]:
    """
    Delayed ``func(*args_i, i)`` for each chunk i: Dask array arguments give their chunk
    i (all chunked alike along the last axis), :func:`each_chunk` lists their item i,
    anything else (small: it is copied into every task) is passed whole.
    """
    import dask

    split: list[list[Any] | None] = []
    for a in args:
        if is_lazy(a):
            split.append(chunk_delayed(a))
        elif isinstance(a, _PerChunk):
            split.append(a.items)
        else:
            split.append(None)
    tasks = []
    for i in range(n_chunks):
        call = [a if s is None else s[i] for a, s in zip(args, split, strict=True)]
        tasks.append(dask.delayed(func, pure=True)(*call, i))
    return tasks


class _PerChunk:
    """A list whose item i goes to chunk i in :func:`per_chunk`."""

    def __init__(self, items: Sequence[Any]) -> None:
        self.items = list(items)


def each_chunk(items: Sequence[Any]) -> _PerChunk:
    """Mark a list for :func:`per_chunk`: item i goes to chunk i."""
    return _PerChunk(items)


def tree_reduce(parts: list[Any], combine: Callable[[list[Any]], Any]) -> Any:
    """Delayed tree reduction of `parts` by `combine` (at most TREE_WIDTH per task)."""
    import dask

    level = list(parts)
    if len(level) == 1:
        return dask.delayed(combine, pure=True)(level)
    while len(level) > 1:
        level = [dask.delayed(combine, pure=True)(level[i:i + TREE_WIDTH])
                 for i in range(0, len(level), TREE_WIDTH)]
    return level[0]


def add_all(parts: list[np.ndarray]) -> np.ndarray:
    """Elementwise sum of partial results."""
    total = np.array(parts[0], dtype=np.float64, copy=True)
    for p in parts[1:]:
        total += p
    return total


def compute(*objects: Any) -> tuple[Any, ...]:
    """``dask.compute``: every lazy object (also inside lists) in one pass."""
    import dask

    return tuple(dask.compute(*objects))


def persist(*objects: Any) -> tuple[Any, ...]:
    """``dask.persist`` (objects that are not lazy are returned as they are)."""
    import dask

    return tuple(dask.persist(*objects))


def delayed(func: Callable[..., Any], *args: Any) -> Any:
    """``dask.delayed(func, pure=True)(*args)``."""
    import dask

    return dask.delayed(func, pure=True)(*args)


def temporary_sibling(target: Path, overwrite: bool, suffix: str = "") -> Path:
    """
    The name of a temporary sibling of `target` (ending in `suffix`), after checking that
    `target` may be written: it does not exist (unless `overwrite`) and its folder does.
    """
    if target.exists() and not overwrite:
        raise InputError(f"{str(target)!r} exists; pass overwrite=True to replace it, or "
                         f"choose another path")
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"the folder {str(parent)!r} does not exist; create it first")
    stem = target.name[: len(target.name) - len(suffix)] if suffix else target.name
    return parent / f".{stem}.tmp-{uuid.uuid4().hex[:12]}{suffix}"


@contextlib.contextmanager
def atomic_directory(path: Any, overwrite: bool) -> Iterator[Path]:
    """
    A temporary sibling directory that becomes `path` only when the block succeeds.

    Readers see the whole output or nothing; on error the temporary directory is removed.
    """
    target = Path(path)
    tmp = temporary_sibling(target, overwrite)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:12]}"
        os.replace(target, old)
        os.replace(tmp, target)
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()
    else:
        os.replace(tmp, target)


def report_negatives(counts: Mapping[str, int], policy: Any, stacklevel: int) -> None:
    """Log, and warn about, the negative estimates set to zero (eager or lazy models)."""
    if policy != "zero" or not counts:
        return
    message = (f"{sum(counts.values())} negative estimate(s) set to zero "
               f"({', '.join(f'{g}: {c}' for g, c in counts.items())})")
    logging.getLogger("raremin.estimation").info(message)
    warnings.warn(message, UserWarning, stacklevel=stacklevel)


def report_resolved(attrs: Mapping[str, Any], lazy_keys: Sequence[str]) -> None:
    """Report what became known when a lazy model's attrs were computed."""
    if "negative_estimates" in lazy_keys:
        report_negatives(attrs["negative_estimates"], attrs.get("negative_policy"), 4)
