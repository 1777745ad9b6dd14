"""Smoke test of ``bench/run.py``: every column computes the same function, peers are optional."""

import os
import sys
import types

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "bench"))

import run  # noqa: E402 - bench/run.py
from peers import common, load  # noqa: E402 - bench/peers


@pytest.fixture(scope="module")
def peers():
    for lib in ("keras", "flax", "equinox", "haiku"):
        pytest.importorskip(lib)
    modules, missing = run.load_peers()
    assert missing == {}
    return modules


@pytest.mark.keras
def test_every_peer_computes_the_floor_function(peers):
    # The LSTM is where frameworks differ most (gate order, projections, scan); bench/run.py
    # itself runs this check on all four models before it times anything.
    x = common.make_data("lstm", common.SCAN).x[:2]
    _, checked = run.check("lstm", peers, x)
    assert set(checked["params"]) == set(peers)
    assert checked["same_outputs_as_floor"] == ["jaxlayers_peer", "keras_peer"]


def _fake_peer(forward_offset=0.0, extra_params=0):
    floor, _ = load("floor")
    return types.SimpleNamespace(
        build=floor.build, set_weights=floor.set_weights,
        n_params=lambda m: floor.n_params(m) + extra_params,
        forward=lambda m, x: floor.forward(m, x) + forward_offset)


def test_check_rejects_a_peer_computing_another_function():
    floor, _ = load("floor")
    x = common.make_data("mlp", common.SCAN).x[:2]
    with pytest.raises(AssertionError, match="mlp: fake has 669707 parameters, the floor 669706"):
        run.check("mlp", {"floor": floor, "fake": _fake_peer(extra_params=1)}, x)
    with pytest.raises(AssertionError, match="mlp: fake differs from the floor"):
        run.check("mlp", {"floor": floor, "fake": _fake_peer(forward_offset=1e-2)}, x)
    _, checked = run.check("mlp", {"floor": floor, "fake": _fake_peer()}, x)
    assert checked["same_outputs_as_floor"] == ["fake"]


def test_a_missing_peer_is_reported_not_a_crash(monkeypatch):
    monkeypatch.setitem(sys.modules, "haiku", None)  # import haiku now raises ImportError
    monkeypatch.delitem(sys.modules, "peers.haiku_peer", raising=False)
    modules, missing = run.load_peers()
    assert modules["haiku_peer"] is None
    assert missing["haiku_peer"] == "not installed (haiku)"
    row = {"step_ms": {"median": 1.0, "iqr": 0.1}, "ratio": 1.0, "first_step_s": 1.0,
           "first_step_ratio": 1.0, "step_memory_bytes": None}
    results = {"train": {"mlp": {"floor": row}},
               "eager_us": {"raw JAX jit": {"median": 7.0, "ratio": 1.0}},
               "memory": {"process_peak_rss_bytes": 2**20}}
    table = run.format_table(results, missing)
    assert "| haiku | not installed (haiku) |" in table
    assert "| floor | 1.00 ±0.10 (1.00x) |" in table
