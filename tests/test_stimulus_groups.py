"""Per-neuron stimulus values (issue 14, item 4): ``amplitude: {values: [...], unit: nA}`` or a distribution
gives each target neuron its own value; the instance carries one stimulus per distinct value (a group),
which every backend runs like any stimulus."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import assert_same_spikes, run_reference
from snnrun import SpecError
from snnrun.adapters.registry import get_adapter
from snnrun.instance import instantiate
from snnrun.worker import run_isolated

CELLS = """snnrun: "1.0"
name: per_neuron
seed: 4
simulation: {{duration: 100 ms, dt: 0.1 ms{options}}}
populations:
  cells:
    size: 4
    model: {{type: lif_curr_exp, params: {{cm: 1 nF, tau_m: 20 ms, v_rest: -65 mV, v_reset: -65 mV,
                                          v_thresh: -50 mV, tau_refrac: 2 ms}}}}
stimuli:
{stimuli}
record:
  - {{population: cells, variable: spikes}}
"""
DC = "  bias: {type: dc, target: {population: cells, neurons: [3, 0, 1]}, amplitude: {values: [1.2, 0.8, 1.0], unit: nA}}"


def first_stamp(i_na: float) -> float:
    """Closed form: from v_reset = v_rest, T = tau_m ln((v_inf - v_reset) / (v_inf - v_thresh)) with
    v_inf = v_rest + i tau_m / cm; the first stamp is ceil(T / dt) dt (semantics.md)."""
    v_inf = -65e-3 + i_na * 1e-9 * 20e-3 / 1e-9
    t = 20e-3 * math.log((v_inf + 65e-3) / (v_inf + 50e-3))
    return math.ceil(t / 1e-4 - 1e-9) * 1e-4


def test_per_neuron_dc_amplitudes_follow_the_target_order(make_spec):
    spec = make_spec(CELLS.format(options="", stimuli=DC))
    inst = instantiate(spec)
    groups = {name: (s.neurons.tolist(), s.amplitudes[0]) for name, s in inst.stimuli.items()}
    assert groups == {"bias#0": ([0], pytest.approx(0.8e-9, rel=1e-15)), "bias#1": ([1], pytest.approx(1e-9, rel=1e-15)),
                      "bias#2": ([3], pytest.approx(1.2e-9, rel=1e-15))}
    ids, times = run_reference(spec).spikes["cells"]
    for neuron, amp in ((0, 0.8), (1, 1.0), (3, 1.2)):
        assert times[ids == neuron][0] == pytest.approx(first_stamp(amp), abs=1e-12), neuron
    assert not np.any(ids == 2)  # no stimulus, no spike


def test_distributions_draw_one_value_per_target_neuron(make_spec):
    text = CELLS.format(options="", stimuli="  bias: {type: dc, target: {population: cells}, amplitude: "
                                          "{distribution: uniform, low: 0.9 nA, high: 1.1 nA}}")
    a, b = instantiate(make_spec(text)), instantiate(make_spec(text))
    assert len(a.stimuli) == 4  # four neurons, four distinct draws
    assert sorted(int(n) for s in a.stimuli.values() for n in s.neurons) == [0, 1, 2, 3]
    assert all(0.9e-9 <= s.amplitudes[0] <= 1.1e-9 for s in a.stimuli.values())
    assert {k: s.amplitudes.tolist() for k, s in a.stimuli.items()} == {k: s.amplitudes.tolist()
                                                                        for k, s in b.stimuli.items()}


def test_noise_groups_share_one_sequence_scaled_by_their_mean_and_std(make_spec):
    text = CELLS.format(options="", stimuli="  n: {type: noise, target: {population: cells}, interval: 1 ms, "
                                          "mean: {values: [0, 0, 1, 1], unit: nA}, std: {values: [1, 1, 2, 2], unit: nA}}")
    inst = instantiate(make_spec(text))
    a, b = inst.stimuli["n#0"], inst.stimuli["n#1"]
    assert list(a.neurons) == [0, 1] and list(b.neurons) == [2, 3]
    np.testing.assert_allclose((a.amplitudes[:-1] - 0.0) / 1e-9, (b.amplitudes[:-1] - 1e-9) / 2e-9, rtol=1e-12)


def test_wrong_length_and_repeated_targets_are_problems(make_spec):
    bad = CELLS.format(options="", stimuli="  bias: {type: dc, target: {population: cells, neurons: [0, 0]}, "
                                         "amplitude: {values: [1, 2, 3], unit: nA}}")
    with pytest.raises(SpecError) as info:
        make_spec(bad)
    messages = [p.message for p in info.value.problems]
    assert "expected 2 values (one per target neuron), got 3" in messages
    assert "per-neuron stimulus values need distinct target neurons" in messages


@pytest.mark.parametrize("backend, options", [("nengo", ""), ("brian2", ", options: {brian2: {codegen: numpy}}")])
def test_backends_run_per_neuron_stimuli_like_the_reference(backend, options, make_spec):
    spec = make_spec(CELLS.format(options=options, stimuli=DC + "\n  wave: {type: sine, target: {population: cells, "
                                  "neurons: [2, 1]}, amplitude: {values: [0.9, 0.3], unit: nA}, frequency: 50 Hz, "
                                  "offset: {values: [0.5, 0.1], unit: nA}}"))
    assert_same_spikes(run_reference(spec), run_isolated(get_adapter(backend), instantiate(spec), timeout=300), backend)
