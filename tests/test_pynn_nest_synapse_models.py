"""pynn:nest past NEST's connection limit per synapse model (adapters/pynn/nest_session.py).

NEST 3 holds at most 134,217,726 connections per virtual process and synapse model; the full-scale
microcircuit (3e8 synapses) fails on one thread with 'Too many connections'. The adapter hands the
synapses beyond ``MAX_PER_MODEL`` to copies of ``static_synapse``. Asserted:
- the split itself (a stand-in for nest): every synapse in exactly one chunk, in order, no model over
  the limit, a new copy only when the current model is full;
- on the real NEST with the limit lowered so that specs/cuba_parallel.yaml needs many copies, the spike
  steps equal the reference engine's exactly (as they do without copies: the copies have identical
  dynamics, so any lost, duplicated or reweighted synapse would show as a different spike step).
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SPECS, run_reference
from snnrun.adapters.pynn import nest_session
from snnrun.execute import execute
from snnrun.instance import instantiate
from snnrun.schema.loader import load_spec


class _Nest:
    def __init__(self):
        self.copies = []

    def CopyModel(self, old, new):  # noqa: N802 (NEST's name)
        self.copies.append((old, new))


def _session(limit, monkeypatch):
    monkeypatch.setattr(nest_session, "MAX_PER_MODEL", limit)
    session = object.__new__(nest_session.NestSession)
    session.nest = _Nest()
    session._static_model, session._static_count, session._static_copies = "static_synapse", 0, 0
    return session


def test_synapses_beyond_the_limit_go_to_copies_of_static_synapse(monkeypatch):
    session = _session(10, monkeypatch)
    first = list(session._static_models(4))
    second = list(session._static_models(23))
    assert first == [("static_synapse", slice(0, 4))]
    assert second == [("static_synapse", slice(0, 6)), ("snnrun_static_synapse_1", slice(6, 16)),
                      ("snnrun_static_synapse_2", slice(16, 23))]
    assert session.nest.copies == [("static_synapse", "snnrun_static_synapse_1"),
                                   ("static_synapse", "snnrun_static_synapse_2")]
    # exactly full: the next synapse opens the next copy, not before
    assert list(session._static_models(3)) == [("snnrun_static_synapse_2", slice(0, 3))]
    assert list(session._static_models(1)) == [("snnrun_static_synapse_3", slice(0, 1))]


def test_small_networks_use_static_synapse_alone(monkeypatch):
    session = _session(nest_session.MAX_PER_MODEL, monkeypatch)
    assert list(session._static_models(320_000)) == [("static_synapse", slice(0, 320_000))]
    assert session.nest.copies == []


@pytest.mark.slow
def test_copies_on_the_real_nest_give_the_reference_spike_steps(tmp_path, monkeypatch):
    # execute runs NEST in a forked worker, which inherits the lowered limit
    monkeypatch.setattr(nest_session, "MAX_PER_MODEL", 1000)
    spec = load_spec(SPECS / "cuba_parallel.yaml")
    got = execute(spec, backend="pynn:nest", out=tmp_path).results["pynn:nest"].spikes
    reference = run_reference(spec)
    n_synapses = sum(p.size for p in instantiate(spec).projections.values())
    assert n_synapses > 10 * 1000, "the limit must force several copies"
    for pop in ("exc", "inh"):
        ids, times = reference.spikes[pop]
        assert ids.size > 50, "the network must be active for the comparison to mean anything"
        mine = got[got["population"] == pop].sort_values(["time", "neuron"])
        np.testing.assert_array_equal(np.rint(mine["time"].to_numpy() / 1e-4).astype(np.int64),
                                      np.rint(times / 1e-4).astype(np.int64), err_msg=pop)
        np.testing.assert_array_equal(mine["neuron"].to_numpy(), ids, err_msg=pop)
