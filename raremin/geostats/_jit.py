"""
Compiled kernels and when to use them (private).

The neighbour selection and the kriging solve each exist twice: as kernels that numba
compiles (fast, on every core) and as numpy twins with the same contract (the tests hold
the two equal). Compiling costs seconds to tens of seconds the first time on a machine;
numba then caches the machine code on disk and a later process loads it in a fraction of
a second. A small job on a fresh install would spend far longer compiling than working,
so each family of kernels (a :class:`Tier`) decides, call by call, which twin runs:

- kernels already loaded in this process: compiled;
- kernels in numba's disk cache: loaded, then compiled. A look at the cache folder next
  to the module (no numba import) decides at the first call; once the numpy twin has run
  for ``CHECK_AFTER_S`` seconds numba itself is asked (caches elsewhere: a read-only
  install, ``NUMBA_CACHE_DIR``);
- otherwise the numpy twin runs, and its time is counted; once it reaches the family's
  compile time, the kernels are compiled and used from then on. Like renting skis until
  the rent paid equals the price: a cold start costs at most about twice the better of
  the two choices made in hindsight, and a small job never waits for the compiler.

The environment variable ``RAREMIN_KERNELS`` overrides the choice: ``compiled`` (always
the compiled kernels; compile at first use), ``numpy`` (never: numba is not imported) or
``auto`` (the default, as above). Results do not depend on the choice beyond the last
bits of floating point (the kriging solve; the selection is identical).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import InputError, RareminError

__all__: list[str] = []

_logger = logging.getLogger("raremin.geostats")

#: The environment variable that chooses the kernels, and its values.
ENV = "RAREMIN_KERNELS"
MODES = ("auto", "compiled", "numpy")

#: Seconds of numpy work after which numba's own cache lookup is worth its import.
CHECK_AFTER_S = 2.0


def mode() -> str:
    """The kernel choice from ``RAREMIN_KERNELS`` (default ``auto``), validated."""
    value = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if value not in MODES:
        raise InputError(
            f"{ENV}={os.environ[ENV]!r} is not a kernel choice; set it to one of "
            f"{', '.join(MODES)} (or unset it for auto)"
        )
    return value


def import_numba(purpose: str) -> Any:
    """Import numba, or raise a RareminError saying what needs it and how to install it."""
    try:
        import numba
    except ImportError as err:  # pragma: no cover - numba is a dependency
        raise RareminError(
            f"{purpose} needs numba, which could not be imported ({err}); install it with "
            f"'pip install numba', or set {ENV}=numpy to use the numpy kernels"
        ) from None
    return numba


def _in_tree_cache(func: Callable[..., Any]) -> bool:
    """
    Whether numba's cache folder next to `func`'s source holds an index file of it.

    A look at one file name (no numba import): numba names the index of a function
    ``<module file stem>.<qualified name>-<first line>.py<version>.nbi`` in
    ``__pycache__`` (with ``<`` and ``>`` left out of the name). The index may be stale;
    numba then compiles when asked to load, which the caller counts as a compilation.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):  # numba keeps its cache there instead
        return False
    try:
        source = Path(sys.modules[func.__module__].__file__ or "")
        qualname = func.__qualname__.replace("<", "").replace(">", "")
        name = (f"{source.stem}.{qualname}-{func.__code__.co_firstlineno}"
                f".py{sys.version_info[0]}{sys.version_info[1]}.nbi")
        return (source.parent / "__pycache__" / name).is_file()
    except (KeyError, AttributeError, TypeError):
        return False


def _numba_cache(func: Callable[..., Any]) -> bool:
    """
    Whether numba's cache (wherever numba keeps it) holds a fresh compilation of `func`.

    Reads the cache's index, which numba empties when the source file or numba's version
    changed. Any failure (another numba layout) answers False: the numpy twin then runs
    until the compile time is paid, which is slower but right.
    """
    try:
        from numba.core.caching import FunctionCache

        return bool(FunctionCache(func)._cache_file._load_index())
    except Exception:  # noqa: BLE001 - a lookup that fails only means "compile"
        return False


class Tier:
    """
    When one family of kernels moves from its numpy twins to its compiled form.

    Parameters
    ----------
    name : str
        What the kernels do (for the log).
    compile_s : float
        Seconds that compiling the family takes on a fresh install (measured; the numpy
        twins run for as long before the kernels are compiled).
    functions : callable
        Returns the Python functions that numba compiles (for the cache lookups).
    """

    def __init__(
        self, name: str, compile_s: float, functions: Callable[[], Sequence[Callable[..., Any]]]
    ) -> None:
        self.name = name
        self.compile_s = float(compile_s)
        self._functions = functions
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every decision (a new process starts so; tests use it)."""
        self.numpy_s = 0.0
        self.ready = False  # the compiled kernels are (to be) used from now on
        self._looked = False  # the in-tree cache folder was looked at
        self._asked = False  # numba's cache was asked

    def compiled(self) -> bool:
        """Whether the next call runs the compiled kernels (see the module docstring)."""
        choice = mode()
        if choice != "auto":
            return choice == "compiled"
        with self._lock:
            if self.ready:
                return True
            functions = self._functions()
            if not self._looked:
                self._looked = True
                if all(_in_tree_cache(f) for f in functions):
                    self._ask(functions)
            if not self.ready and not self._asked and self.numpy_s >= CHECK_AFTER_S:
                self._ask(functions)
            if not self.ready and self.numpy_s >= self.compile_s:
                _logger.info(
                    "%s: %.1f s of numpy kernels so far; compiling the numba kernels "
                    "(about %.0f s, once per machine)", self.name, self.numpy_s,
                    self.compile_s,
                )
                self.ready = True
            return self.ready

    def _ask(self, functions: Sequence[Callable[..., Any]]) -> None:
        self._asked = True
        if all(_numba_cache(f) for f in functions):
            _logger.debug("%s: compiled kernels found in numba's cache", self.name)
            self.ready = True

    @contextmanager
    def numpy_time(self) -> Iterator[None]:
        """Count the time of a call of the numpy twins."""
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            with self._lock:
                self.numpy_s += elapsed
