"""Tests of raremin.geostats._jit: which twin of a kernel runs, and when it changes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from raremin.errors import InputError
from raremin.geostats import _jit, _system, neighbourhood
from raremin.geostats.kriging import Kriging
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood


def plain(x):  # a function numba has never compiled
    return x


@pytest.fixture
def auto(monkeypatch):
    monkeypatch.setenv(_jit.ENV, "auto")
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)


@pytest.mark.parametrize(("value", "expected"), [
    ("auto", "auto"), ("compiled", "compiled"), ("numpy", "numpy"), (" NumPy ", "numpy"),
    ("", "auto"),
])
def test_the_choice_comes_from_the_environment(value, expected, monkeypatch) -> None:
    monkeypatch.setenv(_jit.ENV, value)
    assert _jit.mode() == expected


def test_a_bad_choice_names_the_value_and_the_choices(monkeypatch) -> None:
    monkeypatch.setenv(_jit.ENV, "fast")
    with pytest.raises(InputError, match=r"RAREMIN_KERNELS='fast'.*auto, compiled, numpy"):
        _jit.mode()


@pytest.mark.parametrize(("value", "compiled"), [("compiled", True), ("numpy", False)])
def test_a_forced_choice_holds_whatever_the_time(value, compiled, monkeypatch) -> None:
    monkeypatch.setenv(_jit.ENV, value)
    tier = _jit.Tier("test", 0.0, lambda: (plain,))
    tier.numpy_s = 1e9
    assert tier.compiled() is compiled


def test_auto_runs_the_twin_until_it_has_cost_the_compile_time(auto, caplog) -> None:
    tier = _jit.Tier("test kernels", 5.0, lambda: (plain,))
    assert tier.compiled() is False
    tier.numpy_s = 4.9  # as numpy_time counts it
    assert tier.compiled() is False and tier._asked  # numba's cache asked once, past 2 s
    with caplog.at_level(logging.INFO, logger="raremin.geostats"):
        tier.numpy_s = 5.0
        assert tier.compiled() is True
    assert "test kernels: 5.0 s of numpy kernels so far; compiling" in caplog.text
    tier.numpy_s = 0.0
    assert tier.compiled() is True  # for good
    tier.reset()
    assert tier.compiled() is False


def test_numpy_time_counts_the_calls_even_when_they_raise() -> None:
    tier = _jit.Tier("test", 5.0, lambda: (plain,))
    with tier.numpy_time():
        sum(range(10_000))
    with pytest.raises(ZeroDivisionError), tier.numpy_time():
        1 / 0  # noqa: B018
    assert 0.0 < tier.numpy_s < 1.0


@pytest.mark.skipif(bool(os.environ.get("NUMBA_CACHE_DIR")), reason="cache kept elsewhere")
def test_kernels_in_numba_s_cache_are_used_at_once(auto) -> None:
    neighbourhood._kernel("greedy"), neighbourhood._kernel("merge")  # compiled and cached
    _system.kernel(True)
    for func in (neighbourhood._greedy_rows, neighbourhood._merge_fetched,
                 _system._kernel_functions(_system._fingerprint())[0]):
        assert _jit._in_tree_cache(func) and _jit._numba_cache(func)
    assert not _jit._in_tree_cache(plain) and not _jit._numba_cache(plain)
    for tier in (neighbourhood._TIER, _system._TIERS[True]):
        fresh = _jit.Tier("fresh", 100.0, tier._functions)
        assert fresh.compiled() is True and fresh.numpy_s == 0.0


def kriging_job():
    rng = np.random.default_rng(7)
    samples = rng.uniform(0, 100, (300, 3)) * [1, 1, 0.3]
    values = np.column_stack([rng.lognormal(0, 0.5, 300), rng.normal(5, 1, 300)])
    holes = np.arange(300) // 10
    model = VariogramModel(0.1, [Structure("spherical", 0.6, (60.0, 40.0, 10.0), (30, 0, 0)),
                                 Structure("exponential", 0.3, 80.0)])
    search = Neighbourhood(16, ranges=(60.0, 40.0, 10.0), angles=(30, 0, 0),
                           max_per_octant=3, radius=1.0, min_samples=2)
    targets = np.concatenate([rng.uniform(-10, 110, (700, 3)) * [1, 1, 0.3],
                              [[500.0, 500.0, 0.0], [-300.0, 50.0, 10.0]]])  # not estimated
    return samples, values, holes, model, search, targets


@pytest.mark.parametrize("kind", ["ordinary", "simple"])
@pytest.mark.parametrize("block", [None, (10.0, 10.0, 3.0)])
def test_the_numpy_twins_give_the_kernels_numbers(kind, block, monkeypatch) -> None:
    samples, values, holes, model, search, targets = kriging_job()
    runs = {}
    for choice in ("compiled", "numpy"):
        monkeypatch.setenv(_jit.ENV, choice)
        krig = Kriging(model, neighbourhood=search, kind=kind,
                       mean=[1.0, 5.0] if kind == "simple" else None,
                       block_size=block, max_per_hole=3)
        runs[choice] = krig.fit(samples, values, holes=holes).predict(
            targets, return_diagnostics=True)
    (a, da), (b, db) = runs["compiled"], runs["numpy"]
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
    assert np.isnan(a).any() and np.array_equal(np.isnan(a), np.isnan(b))
    for key in da:
        np.testing.assert_allclose(db[key], da[key], rtol=1e-12, atol=1e-12, err_msg=key)


def test_a_small_job_on_a_fresh_install_neither_imports_nor_compiles(tmp_path) -> None:
    # An empty numba cache (NUMBA_CACHE_DIR) stands for a fresh install.
    script = textwrap.dedent("""
        import json, sys
        sys.path.insert(0, sys.argv[1])
        from test_jit import kriging_job
        from raremin.geostats.kriging import Kriging
        samples, values, holes, model, search, targets = kriging_job()
        est = Kriging(model, neighbourhood=search, max_per_hole=3).fit(
            samples, values, holes=holes).predict(targets)
        print(json.dumps({"numba": "numba" in sys.modules, "est": est.tolist()}))
    """)
    env = dict(os.environ, RAREMIN_KERNELS="auto", NUMBA_CACHE_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", script, os.path.dirname(__file__)],
                          capture_output=True, text=True, env=env, timeout=120, check=True)
    out = json.loads(proc.stdout)
    assert out["numba"] is False and not any(tmp_path.iterdir())
    samples, values, holes, model, search, targets = kriging_job()
    expected = Kriging(model, neighbourhood=search, max_per_hole=3).fit(
        samples, values, holes=holes).predict(targets)
    np.testing.assert_allclose(np.array(out["est"], dtype=float), expected, rtol=1e-12,
                               atol=1e-12)
