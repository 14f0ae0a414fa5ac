"""The reference engine's ``hh_spike: nest_peak`` rule (NEST's hh_cond_exp_traub: v >= v_offset + 30 mV
and v fell during the step, then 2 ms without detection) against the solve_ivp oracle with that rule
applied to its grid samples. Without NEST: tests/test_pynn_nest_models.py compares with NEST itself.

The peak's sample is far more sensitive to the integrator than the -20 mV crossing on the upstroke: v
changes by well under a step's worth near the peak, so RK4's 0.3 mV error at the peak (0.05 ms
substeps, measured at 1 nA) moves 29 of these 98 peak stamps by a step, while with 0.005 ms substeps v
is within 1e-5 mV of the oracle and every stamp is the oracle's (both measured).
"""

from __future__ import annotations

import numpy as np
import oracles
import pytest
from snnrun.execute import execute

DT_MS = 0.1
N_STEPS = 4000
CURRENTS_NA = [0.2, 0.5, 1.0]
V_OFFSET = -63.0
HH = dict(cm=200.0, g_leak=10.0, gbar_na=20000.0, gbar_k=6000.0, e_leak=-65.0, e_na=50.0, e_k=-90.0,
          v_offset=V_OFFSET, e_exc=0.0, e_inh=-80.0, tau_e=0.2, tau_i=2.0)
SPEC = f"""
snnrun: "1.0"
name: hh_nest_peak
simulation: {{duration: {N_STEPS * DT_MS} ms, dt: {DT_MS} ms, options: {{reference: OPTIONS}}}}
populations:
  hh: {{size: 3, model: {{type: hh_cond_exp}}, params: {{i_offset: {{values: {CURRENTS_NA}, unit: nA}}}}}}
record:
  - {{population: hh, variable: spikes}}
"""


def _peak_oracle(i_pa: float) -> np.ndarray:
    """Stamps (steps) of NEST's rule on the oracle's state at every grid time."""
    y0 = [-65.0, *oracles.hh_steady_state(-65.0, V_OFFSET), 0.0, 0.0]
    neuron = oracles.Neuron(oracles.hh(HH), y0, DT_MS, np.inf, kind="crossing", currents={0: i_pa},
                            method=oracles.STIFF_METHOD)
    stamps, dead, v_old = [], 0, neuron.y[0]
    for k in range(1, N_STEPS + 1):
        neuron.advance(k)
        v = neuron.y[0]
        if dead:
            dead -= 1
        elif v >= V_OFFSET + 30.0 and v < v_old:
            stamps.append(k)
            dead = 20  # t_ref 2 ms
        v_old = v
    return np.asarray(stamps)


def _stamps(make_spec, tmp_path, options: str) -> list[np.ndarray]:
    spec = make_spec(SPEC.replace("OPTIONS", options))
    frame = execute(spec, ["reference"], out=tmp_path).results["reference"].spikes
    return [np.rint(frame[frame.neuron == n].time.to_numpy() / (DT_MS * 1e-3)).astype(int) for n in range(3)]


@pytest.fixture(scope="module")
def peak_oracle():
    return [_peak_oracle(i * 1e3) for i in CURRENTS_NA]


def test_nest_peak_with_fine_substeps_gives_the_oracle_peak_stamps(make_spec, tmp_path, peak_oracle):
    mine = _stamps(make_spec, tmp_path, "{hh_spike: nest_peak, hh_max_substep_ms: 0.005}")
    for i_na, got, expected in zip(CURRENTS_NA, mine, peak_oracle):
        assert expected.size >= 15
        np.testing.assert_array_equal(got, expected, err_msg=f"{i_na} nA")


def test_nest_peak_at_the_default_substep_moves_peaks_by_at_most_a_step(make_spec, tmp_path, peak_oracle):
    mine = _stamps(make_spec, tmp_path, "{hh_spike: nest_peak}")
    moved = 0
    for got, expected in zip(mine, peak_oracle):
        assert got.size == expected.size
        assert np.all(np.abs(got - expected) <= 1)
        moved += int(np.count_nonzero(got != expected))
    assert moved > 0, "the default substep moved no peak: the fine-substep test above tests nothing new"


def test_default_rule_is_the_crossing(make_spec, tmp_path):
    """Without the option the stamps are the -20 mV crossings, 1-4 steps before NEST's peak stamps."""
    crossing = _stamps(make_spec, tmp_path, "{}")
    peak = _stamps(make_spec, tmp_path, "{hh_spike: nest_peak, hh_max_substep_ms: 0.005}")
    for c, p in zip(crossing, peak):
        assert c.size == p.size and np.all((p - c >= 1) & (p - c <= 4))
