"""
Reading a 1,000,000 x 5 Geo-EAS (GSLIB) file.

Writes the file into a temporary folder, then times, in one run and interleaved:

- ``raremin.read_geoeas`` (header by lines, data block in one pass of pandas' C parser);
- ``_reader_before``: the line-by-line reader raremin had before (kept below as the
  comparison peer; target: the new reader at least 5x faster);
- plain ``pandas.read_csv`` of the same data block (``skiprows``, no checks): the bound.

Peak memory (max RSS above the RSS after imports) is measured for each reader in a fresh
interpreter, so one reader's peak does not hide another's.

Run: ``python benchmarks/bench_geoeas.py [--rows 1000000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import best_of_interleaved, max_rss_mb

from raremin.errors import InputError
from raremin.io import read_geoeas, write_geoeas

NAMES = ["easting_m", "northing_m", "elevation_m", "treo_ppm", "density_t_m3"]


def _reader_before(path, *, missing=None):
    """raremin.read_geoeas as it was before (line by line), kept as the comparison peer."""
    path = Path(path)
    codes = np.empty(0) if missing is None else np.atleast_1d(np.asarray(missing, float))
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        lines = handle.read().splitlines()
    if len(lines) < 2:
        raise InputError(f"{path}: needs a title line and a column count")
    title = lines[0].strip()
    count_text = lines[1].split()
    try:
        ncol = int(count_text[0]) if count_text else -1
    except ValueError:
        ncol = -1
    if ncol < 1:
        raise InputError(f"{path}, line 2: expected the number of columns; got {lines[1]!r}")
    if len(lines) < 2 + ncol:
        raise InputError(f"{path}: line 2 announces {ncol} column(s), fewer name lines follow")
    names = [line.strip() for line in lines[2:2 + ncol]]
    first = 2 + ncol
    rows: list[list[str]] = []
    for number, line in enumerate(lines[first:], start=first + 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != ncol:
            raise InputError(f"{path}, line {number}: expected {ncol} values")
        rows.append(fields)
    data = np.array(rows, dtype=float).reshape(len(rows), ncol)
    if codes.size:
        data[np.isin(data, codes)] = np.nan
    frame = pd.DataFrame(data, columns=names)
    frame.attrs["title"] = title
    return frame


def _plain_pandas(path):
    """The bound: pandas' C parser on the data block, no header handling or checks."""
    return pd.read_csv(path, sep=r"\s+", header=None, names=NAMES, skiprows=2 + len(NAMES),
                       engine="c", dtype=np.float64)


READERS = {
    "raremin.read_geoeas": lambda path: read_geoeas(path, missing=-999.0),
    "reader before (by lines)": lambda path: _reader_before(path, missing=-999.0),
    "pandas.read_csv (bound)": _plain_pandas,
}


def _make_file(folder: Path, rows: int) -> Path:
    rng = np.random.default_rng(13)
    frame = pd.DataFrame({
        "easting_m": np.round(rng.uniform(500_000, 510_000, rows), 2),
        "northing_m": np.round(rng.uniform(7_000_000, 7_010_000, rows), 2),
        "elevation_m": np.round(rng.uniform(-300, 400, rows), 2),
        "treo_ppm": np.round(rng.lognormal(7.0, 1.0, rows), 1),
        "density_t_m3": np.round(rng.normal(2.7, 0.1, rows), 3),
    })
    frame.loc[rng.random(rows) < 0.01, "treo_ppm"] = np.nan  # written as -999
    return write_geoeas(frame, folder / "samples.dat", title=f"{rows} synthetic samples")


def _high_water_mb() -> float:
    """
    Peak RSS of this process image, MB.

    Linux's ``ru_maxrss`` survives ``exec``, so a child started by a big parent would
    report the parent's peak; ``VmHWM`` in ``/proc/self/status`` starts afresh.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    return max_rss_mb()


def _peak_in_child(name: str, path: Path) -> float:
    """Max RSS growth (MB) of one read in a fresh interpreter."""
    proc = subprocess.run([sys.executable, __file__, "--memory-of", name, str(path)],
                          capture_output=True, text=True, check=True)
    return float(proc.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rows", type=int, default=1_000_000, help="data rows of the file")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-of", nargs=2, metavar=("READER", "PATH"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.memory_of:  # child process: one read, print the RSS growth
        name, path = args.memory_of
        before = _high_water_mb()
        READERS[name](Path(path))
        print(f"{_high_water_mb() - before:.1f}")
        return

    with tempfile.TemporaryDirectory() as folder:
        path = _make_file(Path(folder), args.rows)
        size_mb = path.stat().st_size / 1024**2
        ours = READERS["raremin.read_geoeas"](path)
        before = READERS["reader before (by lines)"](path)
        bound = _plain_pandas(path)
        pd.testing.assert_frame_equal(ours, before, check_exact=True)
        np.testing.assert_array_equal(np.isnan(ours.to_numpy()), bound.to_numpy() == -999.0)

        times = best_of_interleaved({name: (lambda f=f: f(path)) for name, f in READERS.items()},
                                    args.repeat)
        peaks = {name: _peak_in_child(name, path) for name in READERS}

    t_ours = times["raremin.read_geoeas"]
    print(f"Geo-EAS read, {args.rows:,} rows x {len(NAMES)} columns ({size_mb:.1f} MB), "
          f"best of {args.repeat}")
    for name, seconds in times.items():
        print(f"  {name:26s}: {seconds:8.3f} s   peak memory +{peaks[name]:7.1f} MB")
    speedup = times["reader before (by lines)"] / t_ours
    print(f"  speed-up over the reader before: {speedup:5.1f}x "
          f"(target >= 5x: {'met' if speedup >= 5 else 'NOT met'})")
    print(f"  ratio to plain pandas.read_csv : {t_ours / times['pandas.read_csv (bound)']:5.2f}x")


if __name__ == "__main__":
    main()
