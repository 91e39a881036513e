"""The package itself: lazy public names and what ``import raremin`` loads."""

from __future__ import annotations

import subprocess
import sys

import pytest

import raremin

HEAVY = ("scipy", "matplotlib", "numba", "dask", "geopandas", "pyproj", "trimesh", "pandas")


def test_import_loads_none_of_the_heavy_libraries():
    code = (
        "import sys, raremin; "
        f"print(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_first_use_loads_only_the_module_needed():
    code = (
        "import sys, raremin; raremin.convert_grade; "
        "print('raremin.units' in sys.modules, 'raremin.geostats' in sys.modules, "
        "'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False", "False"]


@pytest.mark.parametrize("name", raremin.__all__)
def test_every_public_name_resolves_to_its_module(name):
    obj = getattr(raremin, name)
    assert name in dir(raremin)
    module = raremin._MODULE_OF.get(name)
    if module is not None:
        assert obj is getattr(sys.modules[f"raremin.{module}"], name)


def test_star_import_gives_the_public_names():
    namespace: dict = {}
    exec("from raremin import *", namespace)
    assert set(raremin.__all__) <= set(namespace)
    assert namespace["Kriging"].__name__ == "Kriging"


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Krigging'"):
        raremin.Krigging  # noqa: B018
    assert not hasattr(raremin, "_private_thing")


def test_names_are_unique_across_modules():
    names = [n for names in raremin._EXPORTS.values() for n in names]
    assert len(names) == len(set(names))
