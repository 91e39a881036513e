"""Smoke runs of the benchmark scripts at tiny sizes, so they keep working.

The timings themselves are not tested (they are ratios printed by the scripts).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("script", "args", "expect"),
    [
        ("bench_analytic_grade_tonnage.py", ["--n", "50", "--cutoffs", "20", "--repeat", "1"],
         "ratio"),
        ("bench_grade_tonnage.py", ["--n", "20000", "--cutoffs", "20", "--repeat", "1"], "ratio"),
        ("bench_contained.py", ["--n", "20000", "--repeat", "1"], "ratio"),
        ("bench_declustering.py", ["--n", "2000", "--sizes", "5", "--offsets", "3"], "s"),
        ("bench_variogram.py", ["--n", "300", "--repeat", "1"], "ratio"),
        ("bench_kriging.py", ["--quick", "--repeat", "1"], "ratio"),
        ("bench_idw.py", ["--n-samples", "500", "--n-targets", "2000", "--repeat", "1"],
         "ratio"),
        ("bench_autovariogram.py", ["--quick", "--repeat", "1"], "ratio"),
        ("bench_assess.py", ["--block", "100", "--repeat", "1"], "ratio"),
        ("bench_neighbourhood.py", ["--quick", "--repeat", "1"], "x"),
        ("bench_domains.py", ["--quick", "--repeat", "1"], "ratio"),
        ("bench_import.py", ["--repeat", "1"], "ratio"),
        ("bench_dask.py", ["--quick"], "speed-up"),
        ("bench_simulation.py", ["--quick", "--repeat", "1"], "ratio"),
    ],
)
def test_benchmark_script_runs(script, args, expect):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert expect in proc.stdout


def test_bench_undiscovered_runs():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_undiscovered.py"),
                           "--n", "500", "--repeat", "1"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "ratio" in proc.stdout


def test_bench_geoeas_runs():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_geoeas.py"),
                           "--rows", "2000", "--repeat", "1"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "speed-up over the reader before" in proc.stdout
