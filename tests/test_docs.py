"""Every public function, class and method has a numpydoc docstring with a runnable example."""

from __future__ import annotations

import importlib
import inspect

import pytest

import raremin

MODULES = [
    "raremin",
    "raremin.analytes",
    "raremin.assays",
    "raremin.chemistry",
    "raremin.classification",
    "raremin.config",
    "raremin.datasets",
    "raremin.deposit",
    "raremin.domains",
    "raremin.distributions",
    "raremin.drillholes",
    "raremin.economics",
    "raremin.errors",
    "raremin.estimation",
    "raremin.export",
    "raremin.geostats",
    "raremin.geostats.anamorphosis",
    "raremin.geostats.autovariogram",
    "raremin.geostats.base",
    "raremin.geostats.crossval",
    "raremin.geostats.declustering",
    "raremin.geostats.kriging",
    "raremin.geostats.models",
    "raremin.geostats.variogram",
    "raremin.geostats.idw",
    "raremin.geostats.neighbourhood",
    "raremin.geostats.simulation",
    "raremin.geostats.support",
    "raremin.grid",
    "raremin.io",
    "raremin.periodic",
    "raremin.plotting",
    "raremin.preparation",
    "raremin.readers",
    "raremin.realisations",
    "raremin.reporting",
    "raremin.tonnage",
    "raremin.uncertainty",
    "raremin.undiscovered",
    "raremin.undiscovered.count",
    "raremin.undiscovered.grades",
    "raremin.undiscovered.project",
    "raremin.undiscovered.ree",
    "raremin.undiscovered.tonnage",
    "raremin.undiscovered.totals",
    "raremin.units",
    "raremin.workflow",
]


def _public_objects():
    seen = set()
    for name in MODULES:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if not getattr(obj, "__module__", "").startswith("raremin") or id(obj) in seen:
                continue
            seen.add(id(obj))
            yield f"{obj.__module__}.{obj.__qualname__}", obj
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                for meth_name, meth in vars(obj).items():
                    if meth_name.startswith("_"):
                        continue
                    func = meth.fget if isinstance(meth, property) else meth
                    if isinstance(func, (classmethod, staticmethod)):
                        func = func.__func__
                    if inspect.isfunction(func) and not isinstance(meth, property):
                        yield f"{obj.__module__}.{obj.__qualname__}.{meth_name}", func


PUBLIC = list(_public_objects())


def test_the_api_is_large_enough_to_mean_something():
    assert len(PUBLIC) > 150
    assert set(raremin.__all__) >= {"assess", "grade_tonnage", "Lognormal", "BlockModel"}


@pytest.mark.parametrize(("name", "obj"), PUBLIC, ids=[n for n, _ in PUBLIC])
def test_docstring_has_a_runnable_example(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"{name} has no docstring"
    assert "Examples\n--------" in doc, f"{name} has no Examples section"
    assert ">>> " in doc, f"{name} has no doctest example"
