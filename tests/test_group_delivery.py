"""The reference engine's group-wide delivery (Engine._mergeable_groups): the static synapses of a group
of several populations go through one CsrDelivery per target group instead of one per population. It
must add the same weights to the same ring cells in the same order, so spikes and traces are compared
bit for bit with the per-population delivery on the same instance (the oracle here is the engine's own
per-population path, which tests/test_numerics.py checks against the definition of delivery)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from snnrun.adapters.reference.engine import Engine
from snnrun.instance import instantiate
from snnrun.schema.loader import load_spec
from test_kernels import CUBA_LIKE, VARIANTS

REPO = Path(__file__).resolve().parent.parent


def _run(instance, merge: bool, monkeypatch):
    with monkeypatch.context() as m:
        if not merge:
            m.setattr(Engine, "_mergeable_groups", lambda self, grouped: set())
        engine = Engine(instance, "standard", "numpy")
        spikes, traces = engine.run()
    return engine, spikes, traces


def _assert_same(instance, monkeypatch):
    plain, a_spikes, a_traces = _run(instance, False, monkeypatch)
    merged, b_spikes, b_traces = _run(instance, True, monkeypatch)
    assert not plain.group_deliveries
    for pop, (ids, times) in a_spikes.items():
        np.testing.assert_array_equal(b_spikes[pop][0], ids, err_msg=pop)
        np.testing.assert_array_equal(b_spikes[pop][1], times, err_msg=pop)
    for key, trace in a_traces.items():
        np.testing.assert_array_equal(b_traces[key].values, trace.values, err_msg=str(key))
    return merged, sum(ids.size for ids, _ in a_spikes.values())


def test_cuba_merges_and_gives_the_per_population_spikes(monkeypatch):
    """specs/cuba.yaml (400 ms): exc and inh form one group with one uniform delay, so one delivery
    carries both populations' synapses, and the spikes are the per-population path's."""
    instance = instantiate(load_spec(REPO / "specs" / "cuba.yaml"))
    instance.n_steps = 4000
    engine, n_spikes = _assert_same(instance, monkeypatch)
    assert list(engine.group_deliveries) == ["lif_curr_exp"] and not engine.deliveries
    assert n_spikes > 5000


def test_distributed_delays_merge_into_the_per_synapse_delivery(make_spec, monkeypatch):
    """Every projection with distributed delays: merged (the per-synapse delay path either way)."""
    text = CUBA_LIKE.format(**dict(VARIANTS["exp"], delay="{distribution: uniform, low: 0.1 ms, high: 3 ms}"))
    for fixed in ("delay: 0.1 ms", "delay: 0.2 ms"):
        text = text.replace(fixed, "delay: {distribution: uniform, low: 0.1 ms, high: 2 ms}")
    engine, n_spikes = _assert_same(instantiate(make_spec(text)), monkeypatch)
    assert "lif_curr_exp" in engine.group_deliveries and engine.group_deliveries["lif_curr_exp"][0][1].delay is not None
    assert n_spikes > 500


def test_uniform_delays_that_differ_keep_one_delivery_per_population(make_spec, monkeypatch):
    """ie at 0.1 ms and ii at 0.2 ms: merged, inh's synapses would lose the fast uniform-delay delivery,
    so inh (and with it the group) keeps per-population deliveries; the spikes are the same anyway."""
    engine, _ = _assert_same(instantiate(make_spec(CUBA_LIKE.format(**VARIANTS["exp"]))), monkeypatch)
    assert not engine.group_deliveries and {"exc", "inh"} <= set(engine.deliveries)


def test_the_compiled_kernel_keeps_its_own_deliveries():
    pytest.importorskip("numba")
    instance = instantiate(load_spec(REPO / "specs" / "cuba.yaml"))
    instance.n_steps = 10
    assert not Engine(instance, "standard", "numba").group_deliveries
