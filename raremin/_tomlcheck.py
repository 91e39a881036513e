"""
Checked TOML files: the helpers that read a file and check its tables key by key.

Shared by the project file of :mod:`raremin.config` and the regional assessment file of
:mod:`raremin.undiscovered.project`. Every check raises
:class:`~raremin.errors.ProjectError` with one line naming the key, the value and what is
allowed; :func:`read` names the file too.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from .errors import ProjectError

_ENV = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def read(path: str | os.PathLike[str], what: str, hint: str) -> dict[str, Any]:
    """The TOML file at `path` as a dict; `what` names it and `hint` says how to get one."""
    given = Path(path)
    if not given.is_file():
        raise ProjectError(f"{given}: no such {what} ({hint})")
    try:
        with given.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise ProjectError(f"{given}: not valid TOML: {err}") from None
    except UnicodeDecodeError as err:
        raise ProjectError(f"{given}: not UTF-8 text ({err}); save it as UTF-8") from None


def show(value: Any) -> str:
    """A value as it would be written in TOML, cut to 60 characters."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = '"' + value.replace('"', '\\"') + '"'
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, list):
        text = "[" + ", ".join(show(v) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def dotted(prefix: str, *names: Any) -> str:
    """A dotted key path: `prefix` as it is, then `names` quoted unless bare TOML keys."""
    parts = [prefix] if prefix else []
    parts += [n if isinstance(n, str) and _BARE.match(n) else f'"{n}"' for n in names]
    return ".".join(parts)


def bad(key: str, value: Any, allowed: str) -> ProjectError:
    return ProjectError(f"{key} = {show(value)} is not valid: {allowed}")


def wrap(key: str, err: Exception) -> ProjectError:
    return ProjectError(f"{key}: " + " ".join(str(err).split()))


def check_table(value: Any, key: str, allowed: Any) -> dict[str, Any]:
    """Check a table and its keys (unknown key: the closest allowed one)."""
    where = f"[{key}]" if key else "the file"
    if not isinstance(value, dict):
        raise bad(key, value, f"expected a table ({where})")
    allowed = list(allowed)
    for name in value:
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            what = "section" if not key else "key"
            raise ProjectError(f"unknown {what} {dotted(key, name) if key else f'[{name}]'}; "
                               f"{hint}Allowed {what}s in {where}: {', '.join(sorted(allowed))}")
    return value


def string(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad(key, value, "expected a non-empty text in quotes")
    return value.strip()


def choice(options: Any) -> Callable[[Any, str], str]:
    def check(value: Any, key: str) -> str:
        if not isinstance(value, str) or value.strip().lower() not in options:
            raise bad(key, value, "use one of " + ", ".join(f'"{o}"' for o in options))
        return value.strip().lower()
    return check


def number(value: Any, key: str, *, low: float = -math.inf, strict: bool = False,
            high: float = math.inf) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok:
        value = float(value)
        ok = math.isfinite(value) and (value > low if strict else value >= low) and value <= high
    if not ok:
        bound = (f" > {low:g}" if strict else f" >= {low:g}") if low > -math.inf else ""
        bound += f" and <= {high:g}" if high < math.inf else ""
        raise bad(key, value, f"expected a number{bound}")
    return value


def positive(value: Any, key: str) -> float:
    return number(value, key, low=0.0, strict=True)


def integer(minimum: int) -> Callable[[Any, str], int]:
    def check(value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise bad(key, value, f"expected a whole number >= {minimum}")
        return int(value)
    return check


def boolean(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise bad(key, value, "expected true or false")
    return value


def numbers(value: Any, key: str, *, sizes: tuple[int, ...] = (), low: float = -math.inf,
             strict: bool = False, scalar: bool = False) -> list[float]:
    """A list of numbers (or one number when `scalar`), of one of `sizes` when given."""
    if scalar and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    sized = " or ".join(map(str, sizes))
    what = (f"a list of {sized} numbers" if sizes else "a list of numbers") + (
        " (or one number)" if scalar else "")
    if not isinstance(value, list) or (sizes and len(value) not in sizes):
        raise bad(key, value, f"expected {what}")
    return [number(v, f"{key}[{i + 1}]", low=low, strict=strict) for i, v in enumerate(value)]


def check_keys(table: dict[str, Any], section: str,
                spec: Mapping[str, tuple[Callable[[Any, str], Any], Any]]) -> dict[str, Any]:
    """Check the keys of one section against `spec` (key -> (check, default))."""
    check_table(table, section, spec)
    return {name: (check(table[name], dotted(section, name)) if name in table else default)
            for name, (check, default) in spec.items()}


class Paths:
    """Paths relative to the project folder, with environment variables expanded."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(self, value: Any, key: str, *, exists: bool = True) -> Path:
        text = string(value, key)

        def expand(match: re.Match[str]) -> str:
            name = match.group(1) if match.group(1) is not None else match.group(2)
            if not name or name not in os.environ:
                raise ProjectError(f"{key} = {show(value)}: the environment variable "
                                   f"{name!r} is not set; set it or write the path out")
            return os.environ[name]

        path = Path(_ENV.sub(expand, text)).expanduser()
        path = path if path.is_absolute() else self.folder / path
        if exists and not path.is_file():
            state = "is a folder, not a file" if path.is_dir() else "does not exist"
            raise ProjectError(f"{key} = {show(value)}: {path} {state}; paths are relative "
                               f"to the project file's folder ({self.folder})")
        return path
