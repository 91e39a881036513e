"""The documentation site builds with warnings as errors, and documents every public name.

The build (Sphinx, numpydoc, pydata-sphinx-theme, MyST; ``pip install ".[docs]"``) runs
once per session into a temporary folder; the tests then read its HTML. The user guide's
Python examples are run here too, so that the prose cannot drift from the API.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import warnings
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = REPO_ROOT / "docs"
PACKAGES = ("raremin", "raremin.geostats", "raremin.undiscovered")
GUIDE_PAGES = sorted((DOCS / "guide").glob("*.md"))
#: The charts the gallery must draw (a PNG each), by what their code calls.
GALLERY_CALLS = ("plot_grade_tonnage(", "plot_blocks(", "plot_grade_tonnage_envelope(",
                 "statement.rounded()")


def _public_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        module = importlib.import_module(package)
        names += [f"{package}.{info.name}" for info in pkgutil.iter_modules(module.__path__)
                  if not info.name.startswith("_") and not info.ispkg]
    return names


MODULES = _public_modules()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the site once (warnings are errors); the HTML output folder."""
    pytest.importorskip("sphinx", reason="pip install '.[docs]' to build the documentation")
    pytest.importorskip("numpydoc", reason="pip install '.[docs]'")
    pytest.importorskip("myst_parser", reason="pip install '.[docs]'")
    pytest.importorskip("pydata_sphinx_theme", reason="pip install '.[docs]'")
    from sphinx.cmd.build import build_main

    out = tmp_path_factory.mktemp("docs_html")
    log = out.parent / "sphinx-warnings.txt"
    code = build_main(["-W", "--keep-going", "-b", "html", "-q", "-w", str(log),
                       str(DOCS), str(out)])
    problems = log.read_text(encoding="utf-8") if log.exists() else ""
    assert code == 0, f"sphinx-build failed (exit {code}):\n{problems}"
    assert not problems.strip(), problems
    return out


def _api_page(site: Path, module: str) -> Path:
    return site / "api" / "generated" / f"{module}.html"


def test_site_has_index_guide_and_api_pages(site: Path) -> None:
    for page in ("index.html", "api/index.html", "conventions.html", "validation.html",
                 "scale.html", "gallery/index.html"):
        assert (site / page).is_file(), page
    for path in GUIDE_PAGES:
        assert (site / "guide" / f"{path.stem}.html").is_file(), path.name
    missing = [m for m in MODULES if not _api_page(site, m).is_file()]
    assert not missing, f"modules without an API page: {missing}"
    index = re.sub(r"<[^>]+>", "", (site / "index.html").read_text(encoding="utf-8"))
    assert "sphinx-build -W -b html docs docs/_build/html" in index


def _anchors(site: Path) -> set[str]:
    ids: set[str] = set()
    for page in (site / "api" / "generated").glob("*.html"):
        ids |= set(re.findall(r'id="((?:module-)?raremin[\w.]*)"',
                              page.read_text(encoding="utf-8")))
    return ids


def _documented(anchor_ids: set[str], name: str, obj: object) -> bool:
    """Some API page documents `obj` under a module that exports it as `name`."""
    for anchor in anchor_ids:
        module_name, _, last = anchor.rpartition(".")
        if last != name:
            continue
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if getattr(module, name, None) is obj:
            return True
    return False


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_is_in_the_api_pages(site: Path, module_name: str) -> None:
    """Each name of the module's ``__all__`` is on its page and documented somewhere."""
    module = importlib.import_module(module_name)
    page = _api_page(site, module_name).read_text(encoding="utf-8")
    anchor_ids = _anchors(site)
    not_listed, not_documented = [], []
    for name in getattr(module, "__all__", ()):
        if name == "__version__":
            continue
        obj = getattr(module, name)
        if not re.search(rf"\b{re.escape(name)}\b", page):
            not_listed.append(name)
        if inspect.ismodule(obj):
            if f"module-{obj.__name__}" not in anchor_ids:
                not_documented.append(name)
        elif not _documented(anchor_ids, name, obj):
            not_documented.append(name)
    assert not not_listed, f"{module_name}: not on its API page: {not_listed}"
    assert not not_documented, f"{module_name}: documented nowhere: {not_documented}"


def test_gallery_images_are_drawn(site: Path) -> None:
    source = (DOCS / "gallery" / "index.rst").read_text(encoding="utf-8")
    for call in GALLERY_CALLS:
        assert call in source, call
    n_plots = source.count(".. plot::")
    images = sorted((site / "plot_directive" / "gallery").glob("*.png"))
    assert len(images) == n_plots >= len(GALLERY_CALLS)
    assert all(image.stat().st_size > 5_000 for image in images)
    html = (site / "gallery" / "index.html").read_text(encoding="utf-8")
    assert html.count("<img") >= n_plots


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", path.read_text(encoding="utf-8"), re.S | re.M)


@pytest.mark.parametrize("path", GUIDE_PAGES, ids=[p.stem for p in GUIDE_PAGES])
def test_guide_examples_run(path: Path, request: pytest.FixtureRequest,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Python example of a guide page runs, in order, from the repository root."""
    import matplotlib.pyplot as plt

    blocks = _python_blocks(path)
    assert blocks, f"{path.name} has no Python example"
    if any("RAREMIN_VALIDATION_DATA" in block or "copper_creek" in block for block in blocks):
        request.getfixturevalue("validation_dir")
    monkeypatch.chdir(REPO_ROOT)
    namespace: dict[str, object] = {"__name__": f"guide_{path.stem}"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for block in blocks:
                exec(compile(block, str(path), "exec"), namespace)  # noqa: S102
    finally:
        plt.close("all")
