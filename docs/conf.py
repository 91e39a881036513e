"""Sphinx configuration of the raremin documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` after
``pip install ".[docs]"``. Nothing is fetched from the network at build time (no
intersphinx), and the theme loads no remote assets and no analytics.

The API reference is written from the modules' ``__all__`` when the build starts
(:func:`write_api_pages`, into ``docs/api/generated/``, ignored by git): one page per
public module, each public name documented once, in the module that defines it, and
listed with a link on the pages of the modules and packages that re-export it.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("MPLBACKEND", "Agg")

from raremin._version import __version__  # noqa: E402

# -- Project -------------------------------------------------------------------------------
project = "raremin"
author = "raremin contributors"
copyright = "raremin contributors"  # noqa: A001
version = __version__
release = __version__

# -- General -------------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "examples", "**/.ipynb_checkpoints", ".gitignore"]
default_role = "py:obj"
nitpicky = False
# No intersphinx: nothing may be fetched at build time.

# -- autodoc / autosummary / numpydoc ------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "signature"
# Not preserve_defaults: it re-reads the source, which fails when a module is edited
# between import and build (pop from empty list).
autodoc_preserve_defaults = False
python_maximum_signature_line_length = 88
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True

# -- MyST (the Markdown pages) -------------------------------------------------------------
myst_enable_extensions = ["colon_fence"]  # no dollarmath: "$" in prose is money
myst_heading_anchors = 3

# -- The gallery (matplotlib's plot directive) ---------------------------------------------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 96)]
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\n"
plot_rcparams = {"figure.figsize": (7.0, 4.5), "figure.dpi": 96}

# -- HTML ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"raremin {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_end": ["theme-switcher"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path: list[str] = []
html_show_sourcelink = False
html_copy_source = False

# -- The API pages -------------------------------------------------------------------------
PACKAGES = ("raremin", "raremin.geostats", "raremin.undiscovered")
API_DIR = DOCS / "api" / "generated"


def public_modules() -> list[str]:
    """Every public module of raremin: the packages and their modules not named ``_*``."""
    names: list[str] = []
    for package in PACKAGES:
        names.append(package)
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(module.__path__):
            if not info.name.startswith("_") and not info.ispkg:
                names.append(f"{package}.{info.name}")
    return names


def public_names(module_name: str) -> list[str]:
    """The module's ``__all__`` (empty when it has none)."""
    return list(getattr(importlib.import_module(module_name), "__all__", ()))


def _assigns(module_name: str, name: str) -> bool:
    """Whether the module's source assigns `name` at top level (where data is defined)."""
    try:
        source = inspect.getsource(importlib.import_module(module_name))
    except (OSError, TypeError):
        return False
    return re.search(rf"^{re.escape(name)}\s*(:[^=\n]*)?=", source, re.M) is not None


def home_of(name: str, obj: object, modules: list[str], packages: tuple[str, ...]) -> str | None:
    """The public, non-package module that documents `obj` (exported as `name`), or None."""
    candidates = [
        m for m in modules
        if m not in packages and name in public_names(m)
        and getattr(importlib.import_module(m), name, None) is obj
    ]
    if inspect.isclass(obj) or inspect.isroutine(obj):
        defined = getattr(obj, "__module__", None)
        if defined in candidates:
            return defined
    for m in candidates:
        if _assigns(m, name):
            return m
    return candidates[0] if candidates else None


def _directive(obj: object) -> str:
    if inspect.isclass(obj):
        return "autoexception" if issubclass(obj, BaseException) else "autoclass"
    if inspect.isroutine(obj):
        return "autofunction"
    return "autodata"


def _relative(target: str, current: str) -> str:
    """`target` relative to the current module when inside it (autosummary asks for it)."""
    return target[len(current) + 1:] if target.startswith(current + ".") else target


def module_page(module_name: str, modules: list[str]) -> str:
    """The reST of one module's API page."""
    module = importlib.import_module(module_name)
    title = f"``{module_name}``"
    lines = [title, "=" * len(title), "", f".. automodule:: {module_name}", "   :no-members:",
             "", f".. currentmodule:: {module_name}", ""]
    own: list[tuple[str, object]] = []
    elsewhere: list[tuple[str, str]] = []
    submodules: list[str] = []
    for name in public_names(module_name):
        if name == "__version__":
            continue
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            submodules.append(obj.__name__)
            continue
        home = home_of(name, obj, modules, PACKAGES)
        if home is None or home == module_name:
            own.append((name, obj))
        else:
            elsewhere.append((name, home))
    if submodules:
        lines += ["Modules", "-------", "", ".. autosummary::", ""]
        lines += [f"   {_relative(m, module_name)}" for m in submodules] + [""]
    if elsewhere:
        heading = "Public names" if module_name in PACKAGES else "Also available here"
        lines += [heading, "-" * len(heading), ""]
        if module_name in PACKAGES:
            lines += [f"Importable as ``{module_name}.<name>``; documented in the module "
                      "that defines them.", ""]
        else:
            lines += ["Re-exported from the module that documents them.", ""]
        lines += [".. autosummary::", "   :nosignatures:", ""]
        lines += [f"   ~{_relative(f'{home}.{name}', module_name)}" for name, home in elsewhere]
        lines.append("")
    if own:
        lines += ["Summary", "-------", "", ".. autosummary::", "   :nosignatures:", ""]
        lines += [f"   {name}" for name, _ in own] + [""]
        lines += ["Reference", "---------", ""]
        for name, obj in own:
            directive = _directive(obj)
            lines.append(f".. {directive}:: {name}")
            if directive == "autoclass":
                lines.append("   :members:")
            elif directive == "autodata":
                lines.append("   :no-value:")
            lines.append("")
    return "\n".join(lines)


def write_api_pages(app: object = None) -> list[str]:
    """Write one page per public module into ``api/generated`` (only pages that changed)."""
    API_DIR.mkdir(parents=True, exist_ok=True)
    modules = public_modules()
    for module_name in modules:
        path = API_DIR / f"{module_name}.rst"
        text = module_page(module_name, modules)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for stale in API_DIR.glob("*.rst"):
        if stale.stem not in modules:
            stale.unlink()
    return modules


def setup(app):  # noqa: ANN001, ANN201 - Sphinx's hook
    app.connect("builder-inited", write_api_pages)
    return {"parallel_read_safe": True}
