"""The package type-checks: mypy on raremin/ finds no error (settings in setup.cfg)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_the_package_ships_its_type_marker():
    assert (REPO_ROOT / "raremin" / "py.typed").is_file()


def test_mypy_finds_no_error(tmp_path):
    pytest.importorskip("mypy", reason="mypy is not installed: pip install '.[test]'")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO_ROOT / "setup.cfg"),
         "--cache-dir", str(tmp_path / "cache"), str(REPO_ROOT / "raremin")],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout
