"""The notebooks in notebooks/ run top to bottom and are committed without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL_NAME = "python3"
CELL_TIMEOUT_S = 600
#: Notebooks (name after the number) that read the reference data, and its folders they need.
NEEDS_REFERENCE_DATA = {"real_data": ("realdata",), "undiscovered": ("mapmark4", "ree")}

nbformat = pytest.importorskip(
    "nbformat", reason="nbformat is not installed: pip install '.[test]' to run the notebooks"
)


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _repo_files() -> set[Path]:
    """Entries at the top of the repository and in notebooks/."""
    return set(REPO_ROOT.iterdir()) | set(NOTEBOOK_DIR.iterdir())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_committed_clean(path: Path) -> None:
    """No outputs and no execution counts, so diffs stay small; the kernel is python3."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == KERNEL_NAME, (
        f"{path.name}: kernelspec name must be {KERNEL_NAME!r}"
    )
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} have outputs or execution counts; clear them "
        f"(jupyter nbconvert --clear-output --inplace {path.relative_to(REPO_ROOT)})"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Execute the notebook in a fresh kernel, in a temporary working directory."""
    nbclient = pytest.importorskip(
        "nbclient", reason="nbclient is not installed: pip install '.[test]' to run the notebooks"
    )
    pytest.importorskip(
        "ipykernel", reason="ipykernel is not installed: pip install '.[test]' to run the notebooks"
    )
    needs = NEEDS_REFERENCE_DATA.get(path.stem.split("_", 1)[-1])
    if needs is not None:
        folder = os.environ.get("RAREMIN_VALIDATION_DATA")
        if not folder or not all((Path(folder) / n).is_dir() for n in needs):
            pytest.skip("RAREMIN_VALIDATION_DATA is not set to the reference datasets folder")
        monkeypatch.setenv("RAREMIN_EXAMPLES", str(REPO_ROOT / "docs" / "examples"))
    # The kernel inherits this environment: make the source checkout importable in it,
    # and draw without a display.
    pythonpath = os.environ.get("PYTHONPATH")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(REPO_ROOT), *([pythonpath] if pythonpath else [])])
    )
    monkeypatch.setenv("MPLBACKEND", "Agg")

    nb = nbformat.read(path, as_version=4)
    before = _repo_files()
    client = nbclient.NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError at the first failing cell

    errors = [
        (i, output.get("ename"), output.get("evalue"))
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors, f"{path.name}: cells raised {errors}"
    created = sorted(str(p.relative_to(REPO_ROOT)) for p in _repo_files() - before)
    assert not created, f"{path.name} wrote into the repository: {created}"
