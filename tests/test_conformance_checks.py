"""The conformance suite's slack and run grouping (tests/conformance_checks.py), on hand-made spike
lists: no simulator runs."""

from __future__ import annotations

import collections
from types import SimpleNamespace

import pandas as pd
import yaml
from conformance_checks import ensemble_failures, failed_expectations, merge_overrides, perturbation, run_key
from conftest import ROOT

SPEC = """
snnrun: "1.0"
name: slack
simulation: {duration: 100 ms, dt: 0.1 ms}
populations:
  cells: {size: 2, model: {type: lif_curr_exp}}
record:
  - {population: cells, variable: spikes}
expect:
  - {population: cells, metric: spike_count, equals: 4}
  - {population: cells, metric: spike_times, neurons: [0], equals: [10 ms, 20 ms, 50 ms], tolerance: 0.1 ms}
"""


def _results(times_0, times_1=(30e-3,)):
    rows = [(0, t) for t in times_0] + [(1, t) for t in times_1]
    spikes = pd.DataFrame({"population": ["cells"] * len(rows), "neuron": [n for n, _ in rows],
                           "time": [t for _, t in rows]})
    return SimpleNamespace(spikes=spikes, traces={}, final_weights=None)


def test_relative_time_slack_grows_with_the_expected_time(make_spec):
    spec = make_spec(SPEC)
    late = _results([10.5e-3, 21e-3, 52e-3])  # lags 0.5, 1, 2 ms: (lag - 0.1 ms)/t = 0.04, 0.045, 0.038
    assert len(failed_expectations(spec, late, "x", {})) == 1
    assert failed_expectations(spec, late, "x", {"time_slack_relative": 0.045}) == []
    failed = failed_expectations(spec, late, "x", {"time_slack_relative": 0.044})
    assert len(failed) == 1 and "spike 1 at 21 ms" in failed[0]


def test_spike_slack_compares_the_spikes_both_lists_have(make_spec):
    spec = make_spec(SPEC)
    short = _results([10e-3, 20e-3])  # the third spike lost: 3 spikes in all, 4 expected
    assert len(failed_expectations(spec, short, "x", {})) == 2
    assert len(failed_expectations(spec, short, "x", {"spike_slack": 1})) == 1  # the count still fails
    assert failed_expectations(spec, short, "x", {"spike_slack": 1, "count_slack": 0.25}) == []
    longer = _results([10e-3, 20e-3, 50e-3, 70e-3, 90e-3], [])
    assert "5 spikes, expected 3" in failed_expectations(spec, longer, "x", {"spike_slack": 1})[-1]
    moved = _results([10e-3, 25e-3])
    assert "spike 1 at 25 ms" in failed_expectations(spec, moved, "x", {"spike_slack": 1, "count_slack": 0.25})[0]


def test_a_late_spike_widens_only_its_own_tolerance(make_spec):
    spec = make_spec(SPEC)
    late = _results([10e-3, 20e-3, 62e-3])  # the last spike 12 ms late
    named = {"late_spikes": [{"population": "cells", "neuron": 0, "spike": 2, "slack": 0.012}]}
    assert failed_expectations(spec, late, "x", named) == []
    early = _results([13e-3, 20e-3, 62e-3])  # and the first 3 ms late: not covered
    assert "spike 0 at 13 ms" in failed_expectations(spec, early, "x", named)[0]
    other = {"late_spikes": [{"population": "cells", "neuron": 1, "spike": 2, "slack": 0.012}]}
    assert len(failed_expectations(spec, late, "x", other)) == 1


def test_perturbation_shifts_a_uniform_initial_v(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("populations:\n  exc: {initial: {v: {distribution: uniform, low: -70 mV, high: -55 mV}}}\n")
    assert perturbation(case, "exc", -0.01) == {"populations.exc.initial.v": {
        "distribution": "uniform", "low": "-70.01 mV", "high": "-55.01 mV"}}


def test_ensemble_keeps_what_every_member_meets(make_spec):
    """Counts within the members' range pass; an expectation a member breaks is dropped, one they all
    meet is kept (and the backend fails it here)."""
    spec = make_spec(SPEC)
    members = [_results([10e-3, 20e-3, 50e-3]), _results([10e-3, 20e-3, 50e-3], [30e-3, 40e-3])]
    assert ensemble_failures(spec, _results([10e-3, 20e-3, 50e-3]), "x", {}, members) == []
    too_many = ensemble_failures(spec, _results([10e-3, 20e-3, 50e-3], [1e-3, 2e-3, 3e-3]), "x", {}, members)
    assert len(too_many) == 1 and "outside the reference's 4-5" in too_many[0]
    moved = ensemble_failures(spec, _results([10e-3, 21e-3, 50e-3]), "x", {}, members)
    assert len(moved) == 1 and "spike_times" in moved[0]
    members.append(_results([10e-3, 21e-3, 50e-3]))  # a member moves that spike too: dropped
    assert ensemble_failures(spec, _results([10e-3, 21e-3, 50e-3]), "x", {}, members) == []


def test_ensemble_keeps_the_stamps_before_its_first_departure(make_spec):
    """A spike_times list a member departs from counts over the prefix every member keeps (here the
    first two stamps, the third moved in one member); counts=False leaves the spike count unjudged."""
    spec = make_spec(SPEC)
    members = [_results([10e-3, 20e-3, 50e-3]), _results([10e-3, 20e-3, 57e-3])]
    assert ensemble_failures(spec, _results([10e-3, 20.1e-3, 90e-3]), "x", {}, members) == []
    early = ensemble_failures(spec, _results([10e-3, 19.8e-3, 50e-3]), "x", {}, members)
    assert len(early) == 1 and "first 2: spike 1 at 19.8 ms" in early[0]
    assert ensemble_failures(spec, _results([10e-3, 19.8e-3, 50e-3]), "x", {"time_slack": 1e-4}, members) == []
    lost = ensemble_failures(spec, _results([10e-3]), "x", {}, members)
    assert any("only 1 spikes" in line for line in lost)
    many = _results([10e-3, 20e-3, 50e-3], [1e-3, 2e-3, 3e-3, 4e-3])
    assert len(ensemble_failures(spec, many, "x", {}, members)) == 1
    assert ensemble_failures(spec, many, "x", {}, members, counts=False) == []


def test_overrides_merge_nested_options_and_group_runs():
    brian2 = {"simulation.options": {"brian2": {"codegen": "numpy"}}}
    euler = {"simulation.options": {"reference": {"integrator": "euler"}}}
    assert merge_overrides(brian2, euler, None) == {
        "simulation.options": {"brian2": {"codegen": "numpy"}, "reference": {"integrator": "euler"}}}
    assert run_key({"profile": "exact"}) == run_key({}) != run_key({"reference_overrides": euler})


def test_config_has_no_duplicate_keys():
    """A case named twice under ``overrides`` silently drops the first entry (YAML keeps the last)."""
    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        keys = [loader.construct_object(k, deep=True) for k, _ in node.value]
        twice = [k for k, n in collections.Counter(keys).items() if n > 1]
        assert not twice, f"keys given twice at line {node.start_mark.line + 1}: {twice}"
        return loader.construct_mapping(node, deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    yaml.load((ROOT / "tests" / "conformance" / "config.yaml").read_text(), Strict)
