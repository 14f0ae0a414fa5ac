"""Tsodyks-Markram synapses on the reference engine: the amplitudes of a regular train against the
model's closed forms (plasticity_protocols.py, from schema/semantics.md, "Short-term plasticity"; NEST's tsodyks2_synapse), written
here, for a depressing and a facilitating synapse onto current and conductance targets; and STDP and
Tsodyks-Markram on one synapse.

An amplitude is read from the recorded synaptic state, exact on both sides: an input arriving at the end
of a step adds A to i_syn (or g) after its exact decay, so A = s(t_a) - s(t_a - dt) exp(-dt / tau_syn).
Tolerance 1e-9 relative (issue 10's done-when); rounding in the trace and in the subtraction is about
1e-15 relative to the largest synaptic value, here at most a few times the amplitude.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run_reference
from plasticity_protocols import tm_depressing, tm_facilitating

RTOL = 1e-9
DT = 1e-4
N_SPIKES, ISI_MS, FIRST_MS, DELAY_MS = 8, 50.0, 20.0, 1.0
TAU_SYN_MS = 5.0


def train_spec(model: str, weight: str, u: float, tau_rec: str, tau_facil: str) -> str:
    times = ", ".join(f"{FIRST_MS + i * ISI_MS} ms" for i in range(N_SPIKES))
    variable = "g_exc" if "cond" in model else "i_syn_exc"
    return f"""
snnrun: "1.0"
name: tm_train
simulation: {{duration: {FIRST_MS + N_SPIKES * ISI_MS} ms, dt: 0.1 ms}}
populations:
  src: {{size: 1, model: {{type: spike_array, params: {{spike_times: [{times}]}}}}}}
  cell:
    size: 1
    model: {{type: {model}, params: {{v_rest: -70 mV, v_reset: -70 mV, v_thresh: 0 mV, tau_syn_exc: {TAU_SYN_MS} ms}}}}
projections:
  syn:
    pre: src
    post: cell
    connect: {{rule: all_to_all}}
    synapse:
      weight: {weight}
      delay: {DELAY_MS} ms
      short_term: {{rule: tsodyks_markram, u: {u}, tau_rec: {tau_rec}, tau_facil: {tau_facil}}}
record:
  - {{population: cell, variable: {variable}, interval: 0.1 ms}}
"""


def amplitudes(trace, arrivals_s: np.ndarray) -> np.ndarray:
    steps = np.rint(trace.times / DT).astype(np.int64)
    values = trace.values[:, 0]
    at = np.searchsorted(steps, np.rint(arrivals_s / DT).astype(np.int64))
    return values[at] - values[at - 1] * math.exp(-DT / (TAU_SYN_MS * 1e-3))


CASES = [
    # model, weight (SI), spec weight, U, tau_rec, tau_facil
    ("lif_curr_exp", 0.5e-9, "0.5 nA", 0.5, 800.0, 0.0),
    ("lif_curr_exp", 0.5e-9, "0.5 nA", 0.1, 100.0, 1000.0),
    ("lif_cond_exp", 6e-9, "6 nS", 0.5, 800.0, 0.0),
    ("lif_cond_exp", 6e-9, "6 nS", 0.1, 100.0, 1000.0),
]


@pytest.mark.parametrize("model,w,weight,big_u,tau_rec,tau_facil", CASES,
                         ids=[f"{c[0]}-{'facilitating' if c[5] else 'depressing'}" for c in CASES])
def test_regular_train_amplitudes_match_the_closed_forms(make_spec, model, w, weight, big_u, tau_rec, tau_facil):
    spec = make_spec(train_spec(model, weight, big_u, f"{tau_rec} ms", f"{tau_facil} ms"))
    output = run_reference(spec)
    variable = "g_exc" if "cond" in model else "i_syn_exc"
    arrivals = (FIRST_MS + DELAY_MS + np.arange(N_SPIKES) * ISI_MS) * 1e-3
    got = amplitudes(output.traces[("cell", variable)], arrivals)
    want = tm_depressing(w, big_u, tau_rec, ISI_MS, N_SPIKES) if tau_facil == 0 else \
        tm_facilitating(w, big_u, tau_rec, tau_facil, ISI_MS, N_SPIKES)
    np.testing.assert_allclose(got, want, rtol=RTOL)
    assert got[0] == pytest.approx(big_u * w, rel=RTOL)  # the stated initial state: x = 1, u = U
    # depressing: the train shrinks; facilitating: the second spike is larger than the first
    assert (got[-1] < 0.5 * got[0]) if tau_facil == 0 else (got[1] > 1.3 * got[0])


COMBINED = """
snnrun: "1.0"
name: stdp_tm
simulation: {duration: 200 ms, dt: 0.1 ms}
populations:
  src: {size: 1, model: {type: spike_array, params: {spike_times: [[20 ms, 70 ms, 120 ms]]}}}
  teacher: {size: 1, model: {type: spike_array, params: {spike_times: [[49.9 ms]]}}}
  cell:
    size: 1
    model: {type: lif_curr_delta, params: {tau_m: 10 ms, v_rest: -65 mV, v_reset: -65 mV, v_thresh: -50 mV,
                                          tau_refrac: 0 ms}}
projections:
  drive: {pre: teacher, post: cell, connect: {rule: all_to_all}, synapse: {weight: 30 mV, delay: 0.1 ms}}
  syn:
    pre: src
    post: cell
    connect: {rule: all_to_all}
    synapse:
      weight: 1 mV
      delay: 1 ms
      plasticity: {rule: stdp, tau_plus: 20 ms, tau_minus: 20 ms, a_plus: 0.1, a_minus: 0.2, w_max: 2 mV}
      short_term: {rule: tsodyks_markram, u: 0.5, tau_rec: 100 ms}
record:
  - {population: cell, variable: v, interval: 0.1 ms}
"""


def test_stdp_and_tsodyks_markram_on_one_synapse_transmit_x_u_w(make_spec):
    """Pre spikes at 20, 70, 120 ms, one post spike at 50 ms (f = 1, d = 1 ms: it reaches the synapse at
    51 ms). The first spike transmits U w0; the post spike potentiates (pre 31 ms earlier) and the second
    pre depresses (post 19 ms earlier), then transmits x u w with the new w; the third depresses again."""
    output = run_reference(make_spec(COMBINED))
    trace = output.traces[("cell", "v")]
    steps = np.rint(trace.times / DT).astype(np.int64)
    u = trace.values[:, 0] + 0.065
    decay = math.exp(-DT / 0.01)
    got = []
    for t_ms in (21.0, 71.0, 121.0):  # arrivals: v jumps by the amplitude at the end of that step
        k = np.searchsorted(steps, round(t_ms * 10))
        got.append((u[k] - u[k - 1] * decay) * 1e3)
    w = 1.0 + 0.1 * 2.0 * math.exp(-31.0 / 20)  # mV, potentiation at 51 ms by the pre at 20 ms
    w2 = w - 0.2 * 2.0 * math.exp(-19.0 / 20)  # depression at 70 ms
    w3 = w2 - 0.2 * 2.0 * math.exp(-69.0 / 20)  # at 120 ms, the same post spike 69 ms earlier
    e = math.exp(-50.0 / 100)
    x2 = 1 + (1 - 0.5 - 1) * e
    x3 = 1 + (x2 - x2 * 0.5 - 1) * e
    np.testing.assert_allclose(got, [0.5 * 1.0, x2 * 0.5 * w2, x3 * 0.5 * w3], rtol=1e-9)
    assert output.final_weights["syn"].values[-1, 0] * 1e3 == pytest.approx(w3, rel=1e-9)
