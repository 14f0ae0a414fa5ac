"""The nonlinear models on the reference engine against independent oracles (tests/oracles.py: the
models' equations written out again, integrated by scipy's solve_ivp at rtol 1e-10, with the grid
conventions of schema/semantics.md).

Tolerances, and why:
- spike stamps within one step of the oracle's: the oracle and the reference follow the same grid
  conventions, so they differ only by the reference's integration error (RK4: about 1e-9 relative at
  dt = 0.1 ms here); a crossing that close to a step boundary lands on either side of it, which moves
  that spike and the ones after it by one step, never more;
- firing rates (mean inter-spike interval of the second half of the run) within 0.5 % (the issue's
  target); with identical stamps they agree to rounding;
- conductance PSP peaks within 0.1 % (the issue's target), and the whole trace within 1e-4 of its
  peak (RK4's error with a conductance that changes within the step grows like (dt/tau_syn)^4 / 120:
  1e-4 at tau_syn = 0.3 ms, measured 1.2e-5; below 1e-9 at 5 ms).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import oracles
from conftest import run_reference
from snnrun.worker import strip_mpi_environment

DT_MS = 0.1

COBA_CELL = dict(cm=200.0, tau_m=20.0, v_rest=-60.0, v_thresh=-50.0, v_reset=-60.0, tau_refrac=5.0,
                 e_exc=0.0, e_inh=-80.0)
ADEX_CELL = dict(cm=281.0, tau_m=9.3667, v_rest=-70.6, v_thresh=-50.4, v_reset=-70.6, v_spike=-40.0,
                 delta_t=2.0, a=4.0, b=80.5, tau_w=144.0, tau_refrac=2.0, e_exc=0.0, e_inh=-80.0)
HH_CELL = dict(cm=200.0, g_leak=10.0, gbar_na=20000.0, gbar_k=6000.0, e_leak=-65.0, e_na=50.0, e_k=-90.0,
               v_offset=-63.0, e_exc=0.0, e_inh=-80.0, tau_e=0.2, tau_i=2.0)
# (a, b, c, d) of Izhikevich (2003), fig. 2: regular spiking, fast spiking, chattering, intrinsically bursting
IZHIKEVICH_CELLS = [(0.02, 0.2, -65.0, 8.0), (0.1, 0.2, -65.0, 2.0), (0.02, 0.2, -50.0, 2.0), (0.02, 0.2, -55.0, 4.0)]

# input trains onto every cell: exc spikes every 7 ms from 5 ms, inh every 11 ms from 9 ms (stamps)
EXC_TRAIN = [5.0 + 7 * j for j in range(40)]
INH_TRAIN = [9.0 + 11 * j for j in range(25)]


def _values(xs, unit):
    return f"{{values: [{', '.join(str(x) for x in xs)}], unit: {unit}}}"


def _spec(model: str, params: str, currents_na, duration_ms: float, initial: str = "", inputs: str = "",
          record: str = "", dt_ms: float = DT_MS) -> str:
    return f"""
snnrun: "1.0"
name: accuracy
simulation: {{duration: {duration_ms} ms, dt: {dt_ms} ms}}
populations:
  cell:
    size: {len(currents_na)}
    model: {{type: {model}, params: {{{params}}}}}
    params: {{i_offset: {_values(currents_na, 'nA')}}}
    {initial}
{inputs}
record:
  - {{population: cell, variable: spikes}}
{record}"""


def _inputs(exc_weight: str, inh_weight: str) -> str:
    exc = ", ".join(f"{t} ms" for t in EXC_TRAIN)
    inh = ", ".join(f"{t} ms" for t in INH_TRAIN)
    return f"""  src: {{size: 2, model: {{type: spike_array, params: {{spike_times: [[{exc}], [{inh}]]}}}}}}
projections:
  e: {{pre: src, post: cell, connect: {{rule: from_list, pairs: [[0, 0], [0, 1], [0, 2]]}},
      synapse: {{receptor: exc, weight: {exc_weight}, delay: 1 ms}}}}
  i: {{pre: src, post: cell, connect: {{rule: from_list, pairs: [[1, 0], [1, 1], [1, 2]]}},
      synapse: {{receptor: inh, weight: {inh_weight}, delay: 1 ms}}}}"""


def _arrivals(n_state: int, index_e: int, index_i: int, w_e: float, w_i: float) -> dict[int, np.ndarray]:
    """Arrival steps (stamp + 1 ms delay) -> state jump, for the input trains."""
    out: dict[int, np.ndarray] = {}
    for times, index, w in ((EXC_TRAIN, index_e, w_e), (INH_TRAIN, index_i, w_i)):
        for t in times:
            s = round(t / DT_MS) + round(1.0 / DT_MS)
            out.setdefault(s, np.zeros(n_state))[index] += w
    return out


def _steps(out, n: int) -> list[np.ndarray]:
    return _steps_dt(out, n, DT_MS)


def _steps_dt(out, n: int, dt_ms: float) -> list[np.ndarray]:
    """Spike stamps of each cell as step numbers."""
    ids, times = out.spikes["cell"]
    return [np.rint(times[ids == i] / (dt_ms * 1e-3)).astype(int) for i in range(n)]


def _assert_first_ten_within_one_step(mine: np.ndarray, oracle: list[int], label: str) -> None:
    assert len(oracle) >= 10, f"{label}: the oracle has only {len(oracle)} spikes; lengthen the case"
    assert mine.size >= 10, f"{label}: {mine.size} spikes, the oracle {len(oracle)}"
    diff = mine[:10] - np.asarray(oracle[:10])
    assert np.all(np.abs(diff) <= 1), f"{label}: stamps (steps) {mine[:10]} vs oracle {oracle[:10]}"


def _steady_rate(steps, first_step: int) -> float:
    """Firing rate (1/step) from the mean interval of the spikes stamped after ``first_step``."""
    late = np.asarray(steps)[np.asarray(steps) > first_step]
    assert late.size >= 5, f"only {late.size} spikes in the second half: a weak f-I point"
    return (late.size - 1) / (late[-1] - late[0])


def _assert_rate_within_half_a_percent(mine, oracle, n_steps: int, label: str) -> None:
    assert _steady_rate(mine, n_steps // 2) == pytest.approx(_steady_rate(oracle, n_steps // 2), rel=5e-3), label


def _reset_v(v_reset: float):
    def reset(y):
        y = np.array(y, float)
        y[0] = v_reset
        return y
    return reset


def _lif_cond_neuron(p, i_pa: float, alpha: bool, y0, jumps=None) -> oracles.Neuron:
    return oracles.Neuron(oracles.lif_cond(p, alpha), y0, DT_MS, p["v_thresh"], reset=_reset_v(p["v_reset"]),
                          refractory_steps=round(p["tau_refrac"] / DT_MS), currents={0: i_pa}, jumps=jumps or {})


def _adex_neuron(p, i_pa: float, alpha: bool, y0, jumps=None) -> oracles.Neuron:
    def reset(y):
        y = np.array(y, float)
        y[0], y[1] = p["v_reset"], y[1] + p["b"]
        return y
    return oracles.Neuron(oracles.adex(p, alpha), y0, DT_MS, p["v_spike"], reset=reset,
                          refractory_steps=round(p["tau_refrac"] / DT_MS), currents={0: i_pa}, jumps=jumps or {})


def _izhikevich_neuron(cell, i_pa: float) -> oracles.Neuron:
    a, b, c, d = cell
    return oracles.Neuron(oracles.izhikevich(a, b), [-65.0, b * -65.0], DT_MS, 30.0,
                          reset=lambda y: np.array([c, y[1] + d]), currents={0: i_pa})


def _hh_neuron(i_pa: float) -> oracles.Neuron:
    y0 = [-65.0, *oracles.hh_steady_state(-65.0, -63.0), 0.0, 0.0]
    return oracles.Neuron(oracles.hh(HH_CELL), y0, DT_MS, -20.0, kind="crossing", currents={0: i_pa},
                          method=oracles.STIFF_METHOD)


COBA_PARAMS = ("cm: 0.2 nF, tau_m: 20 ms, v_rest: -60 mV, v_thresh: -50 mV, v_reset: -60 mV, tau_refrac: 5 ms, "
               "e_rev_exc: 0 mV, e_rev_inh: -80 mV")


@pytest.mark.parametrize("model", ["lif_cond_exp", "lif_cond_alpha"])
def test_lif_cond_first_ten_spikes(make_spec, model):
    """dc (0.2, 0.3, 0.6 nA) plus exc (3 nS) and inh (6 nS) input trains, starting from g_exc = 20 nS
    and g_inh = 40 nS: the conductance kinetics shape every interval."""
    alpha = model.endswith("alpha")
    taus = (2.0, 5.0) if alpha else (5.0, 10.0)
    currents = [0.2, 0.3, 0.6]
    spec = make_spec(_spec(model, f"{COBA_PARAMS}, tau_syn_exc: {taus[0]} ms, tau_syn_inh: {taus[1]} ms", currents,
                           500.0, "initial: {g_exc: 20 nS, g_inh: 40 nS}", _inputs("3 nS", "6 nS")))
    steps = _steps(run_reference(spec), len(currents))
    p = {**COBA_CELL, "tau_e": taus[0], "tau_i": taus[1]}
    for n, i_na in enumerate(currents):
        if alpha:  # the alpha drive y jumps by w e / tau (nS/ms), g starts at its initial value
            y0, jumps = [-60.0, 20.0, 40.0, 0.0, 0.0], _arrivals(5, 3, 4, 3.0 * np.e / taus[0], 6.0 * np.e / taus[1])
        else:
            y0, jumps = [-60.0, 20.0, 40.0], _arrivals(3, 1, 2, 3.0, 6.0)
        oracle = oracles.run_neuron(_lif_cond_neuron(p, i_na * 1e3, alpha, y0, jumps), 5000)
        _assert_first_ten_within_one_step(steps[n], oracle, f"{model} {i_na} nA")


@pytest.mark.parametrize("model", ["adex_cond_exp", "adex_cond_alpha"])
def test_adex_first_ten_spikes(make_spec, model):
    """dc (1.0, 1.5, 2.5 nA) plus exc (5 nS) and inh (10 nS) input trains on the default (Brette &
    Gerstner 2005) cell: adaptation lengthens the intervals, the exponential term times each spike."""
    alpha = model.endswith("alpha")
    taus = (2.0, 5.0) if alpha else (5.0, 5.0)
    currents = [1.0, 1.5, 2.5]
    spec = make_spec(_spec(model, f"tau_refrac: 2 ms, tau_syn_exc: {taus[0]} ms, tau_syn_inh: {taus[1]} ms",
                           currents, 800.0, "initial: {g_exc: 10 nS}", _inputs("5 nS", "10 nS")))
    steps = _steps(run_reference(spec), len(currents))
    p = {**ADEX_CELL, "tau_e": taus[0], "tau_i": taus[1]}
    for n, i_na in enumerate(currents):
        if alpha:
            y0, jumps = [-70.6, 0.0, 10.0, 0.0, 0.0, 0.0], _arrivals(6, 4, 5, 5.0 * np.e / taus[0], 10.0 * np.e / taus[1])
        else:
            y0, jumps = [-70.6, 0.0, 10.0, 0.0], _arrivals(4, 2, 3, 5.0, 10.0)
        oracle = oracles.run_neuron(_adex_neuron(p, i_na * 1e3, alpha, y0, jumps), 8000)
        _assert_first_ten_within_one_step(steps[n], oracle, f"{model} {i_na} nA")


def _izhikevich_spec(cells, currents_na, duration_ms: float, dt_ms: float = DT_MS, options: str = "") -> str:
    a, b, c, d = (list(x) for x in zip(*cells))
    return f"""
snnrun: "1.0"
name: izhikevich
simulation: {{duration: {duration_ms} ms, dt: {dt_ms} ms{options}}}
populations:
  cell:
    size: {len(cells)}
    model: {{type: izhikevich}}
    params: {{a: {{values: {a}}}, b: {{values: {b}}}, c: {_values(c, 'mV')}, d: {{values: {d}}},
              i_offset: {_values(currents_na, 'nA')}}}
    initial: {{v: -65 mV, u: {{values: {[bb * -65.0 for bb in b]}}}}}
record:
  - {{population: cell, variable: spikes}}
"""


def test_izhikevich_first_ten_spikes_and_rates(make_spec):
    """The four firing types of Izhikevich (2003) fig. 2 at I = 10 (i_offset 0.01 nA), regular spiking at
    I = 20 and fast spiking at I = 20 and 40, dt 0.1 ms, 600 ms: first ten stamps, steady rates.
    (Fast spiking near its rheobase, I = 5, is left out: its 22 ms intervals pass a saddle-node ghost
    that turns a 1e-4 relative timing error into stamps 3 steps apart by the tenth spike, at every dt
    from 0.1 to 0.01 ms and in either direction; its rate still agrees within 0.5 %.)"""
    cells = IZHIKEVICH_CELLS + [IZHIKEVICH_CELLS[0], IZHIKEVICH_CELLS[1], IZHIKEVICH_CELLS[1]]
    currents = [0.01] * 4 + [0.02, 0.02, 0.04]
    steps = _steps(run_reference(make_spec(_izhikevich_spec(cells, currents, 600.0))), len(cells))
    for n, (cell, i_na) in enumerate(zip(cells, currents)):
        oracle = oracles.run_neuron(_izhikevich_neuron(cell, i_na * 1e3), 6000)
        _assert_first_ten_within_one_step(steps[n], oracle, f"izhikevich {cell} {i_na} nA")
        _assert_rate_within_half_a_percent(steps[n], oracle, 6000, f"izhikevich {cell} {i_na} nA")


def test_hh_first_ten_spikes_and_rates_at_dt_0_1_ms(make_spec):
    """PyNN's HH_cond_exp defaults (Brette et al. 2007's COBAHH cell, e_rev_leak -65 mV) under dc, at
    dt 0.1 ms, where RK4 runs on two substeps (one step would be unstable); gates start at their steady
    state at -65 mV; spikes are upward crossings of -20 mV. 400 ms: first ten stamps, steady rates."""
    currents = [0.2, 0.5, 1.0]
    steps = _steps(run_reference(make_spec(_spec("hh_cond_exp", "", currents, 400.0))), 3)
    for n, i_na in enumerate(currents):
        oracle = oracles.run_neuron(_hh_neuron(i_na * 1e3), 4000)
        _assert_first_ten_within_one_step(steps[n], oracle, f"hh_cond_exp {i_na} nA")
        _assert_rate_within_half_a_percent(steps[n], oracle, 4000, f"hh_cond_exp {i_na} nA")


@pytest.mark.parametrize("model", ["lif_cond_exp", "adex_cond_exp"])
def test_fi_rates_within_half_a_percent(make_spec, model):
    """Steady firing rates under dc (second half of a 1 s run) against the oracle's, within 0.5 %.
    The alpha variants share these membranes (under dc without input their conductances stay 0);
    Izhikevich and HH rates are checked with their first spikes above."""
    if model == "lif_cond_exp":
        currents = [0.12, 0.2, 0.4, 0.8, 1.6]
        text = _spec(model, COBA_PARAMS, currents, 1000.0)
        p = {**COBA_CELL, "tau_e": 5.0, "tau_i": 10.0}
        neurons = [_lif_cond_neuron(p, i * 1e3, False, [-60.0, 0.0, 0.0]) for i in currents]
    else:
        currents = [0.8, 1.2, 2.0, 3.0]
        text = _spec(model, "tau_refrac: 2 ms", currents, 1000.0)
        p = {**ADEX_CELL, "tau_e": 5.0, "tau_i": 5.0}
        neurons = [_adex_neuron(p, i * 1e3, False, [-70.6, 0.0, 0.0, 0.0]) for i in currents]
    steps = _steps(run_reference(make_spec(text)), len(currents))
    for n, neuron in enumerate(neurons):
        _assert_rate_within_half_a_percent(steps[n], oracles.run_neuron(neuron, 10000), 10000, f"{model} {currents[n]} nA")


@pytest.mark.parametrize("model,tau_ms,receptor", [("lif_cond_exp", 5.0, "exc"), ("lif_cond_exp", 10.0, "inh"),
                                                    ("lif_cond_alpha", 0.3, "exc"), ("lif_cond_alpha", 2.0, "inh")])
def test_conductance_psp_peak(make_spec, model, tau_ms, receptor):
    """One 10 nS input at rest (-65 mV, so both receptors drive the membrane): the sampled trace against
    the oracle's at the same times, and its peak against the oracle's continuous peak (which includes
    the grid's sampling error, about (dt/2)^2 / (tau_m tau_syn), below 1e-4)."""
    text = f"""
snnrun: "1.0"
name: psp
simulation: {{duration: 60 ms, dt: {DT_MS} ms}}
populations:
  src: {{size: 1, model: {{type: spike_array, params: {{spike_times: [10 ms]}}}}}}
  cell:
    size: 1
    model: {{type: {model}, params: {{cm: 0.2 nF, tau_m: 20 ms, v_rest: -65 mV, v_thresh: 0 mV,
                                     tau_syn_exc: {tau_ms} ms, tau_syn_inh: {tau_ms} ms, e_rev_exc: 0 mV, e_rev_inh: -80 mV}}}}
projections:
  in: {{pre: src, post: cell, connect: {{rule: all_to_all}}, synapse: {{receptor: {receptor}, weight: 10 nS, delay: 1 ms}}}}
record:
  - {{population: cell, variable: v, interval: {DT_MS} ms}}
"""
    trace = run_reference(make_spec(text)).traces[("cell", "v")]
    t_ms, v_mv = trace.times * 1e3, trace.values[:, 0] * 1e3
    alpha = model.endswith("alpha")
    p = {**COBA_CELL, "v_rest": -65.0, "tau_e": tau_ms, "tau_i": tau_ms}
    rhs = oracles.lif_cond(p, alpha)(0.0)
    index = 1 if receptor == "exc" else 2
    y0 = np.zeros(5 if alpha else 3)
    y0[0] = -65.0
    y0[index + (2 if alpha else 0)] = 10.0 * (np.e / tau_ms if alpha else 1.0)
    after = t_ms >= 11.0 - 1e-9
    expected, sol = oracles.dense_trace(rhs, y0, 11.0, t_ms[-1], t_ms[after])
    deflection = v_mv - (-65.0)
    np.testing.assert_array_equal(deflection[~after], 0.0)
    scale = np.abs(expected + 65.0).max()
    # RK4's local error grows like (dt / tau_syn)^4 / 120 of the conductance: 1e-4 at tau_syn 0.3 ms
    # (measured 1.2e-5 of the peak), below 1e-9 at 5 ms
    np.testing.assert_allclose(v_mv[after], expected, rtol=0, atol=1e-4 * scale)
    fine = np.linspace(11.0, t_ms[-1], 200001)
    peak = (sol.sol(fine)[0] + 65.0)[np.argmax(np.abs(sol.sol(fine)[0] + 65.0))]
    mine = deflection[np.argmax(np.abs(deflection))]
    assert mine == pytest.approx(peak, rel=1e-3)


NEST_SCRIPT = Path(__file__).parent / "native" / "izhikevich_nest.py"


@pytest.mark.parametrize("dt_ms", [0.1, 0.5])
def test_izhikevich_euler_option_gives_nest_spike_steps(make_spec, dt_ms):
    """integrator: euler against NEST's izhikevich (forward Euler, consistent_integration) run natively
    in a subprocess: the four firing types under i_offset (NEST's I_e), voltage jumps from a spike
    source onto two of them, and a dc stimulus from 50 to 150 ms (NEST: a step_current_generator whose
    changes come one step early, since a device's current reaches the neuron a step later). The same
    spike steps, exactly: both compute the same forward-Euler recurrence in the same order."""
    cells = IZHIKEVICH_CELLS
    currents = [0.01, 0.005, 0.01, 0.008]
    text = _izhikevich_spec(cells, currents, 400.0, dt_ms, options=", options: {reference: {integrator: euler}}")
    text = text.replace("record:", f"""  src: {{size: 1, model: {{type: spike_array, params: {{spike_times: [20 ms, 21 ms, 200 ms]}}}}}}
projections:
  jumps: {{pre: src, post: cell, connect: {{rule: from_list, pairs: [[0, 1], [0, 3]]}},
          synapse: {{receptor: exc, weight: 8 mV, delay: 1 ms}}}}
stimuli:
  pulse: {{type: dc, target: {{population: cell, neurons: [1, 2]}}, amplitude: 0.004 nA, start: 50 ms, stop: 150 ms}}
record:""")
    steps = _steps_dt(run_reference(make_spec(text)), len(cells), dt_ms)
    case = {"dt": dt_ms, "duration": 400.0,
            "cells": [{"a": a, "b": b, "c": c, "d": d, "I_e": i * 1e3, "V_m": -65.0, "U_m": b * -65.0}
                      for (a, b, c, d), i in zip(cells, currents)],
            "inputs": [{"times": [20.0, 21.0, 200.0], "weight": 8.0, "delay": 1.0, "targets": [1, 3]}],
            "currents": [{"times": [round(50.0 - dt_ms, 9), round(150.0 - dt_ms, 9)], "amplitudes": [4.0, 0.0],
                          "targets": [1, 2]}]}
    env = dict(os.environ)
    strip_mpi_environment(env)
    proc = subprocess.run([sys.executable, str(NEST_SCRIPT)], input=json.dumps(case), capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    nest = json.loads(proc.stdout.strip().splitlines()[-1])
    senders, times = np.asarray(nest["senders"]), np.asarray(nest["times"])
    for n in range(len(cells)):
        expected = np.rint(np.sort(times[senders == n]) / dt_ms).astype(int)
        assert expected.size >= 5, f"cell {n}: NEST gave only {expected.size} spikes"
        np.testing.assert_array_equal(steps[n], expected, err_msg=f"cell {n} {cells[n]}")


def test_euler_option_on_lif_is_the_forward_euler_recurrence(make_spec):
    """lif_curr_exp under dc with integrator: euler: u_k = u_inf (1 - (1 - dt/tau_m)^k) from rest, so the
    first stamp is the first k with u_k >= v_thresh - v_rest (closed form), and the period adds the
    refractory steps. The standard integrator gives the exact crossing instead (test_accuracy.py)."""
    spec = make_spec(f"""
snnrun: "1.0"
name: euler
simulation: {{duration: 500 ms, dt: 0.1 ms, options: {{reference: {{integrator: euler}}}}}}
populations:
  cell:
    size: 3
    model: {{type: lif_curr_exp, params: {{cm: 1 nF, tau_m: 20 ms, v_rest: -65 mV, v_reset: -65 mV, v_thresh: -50 mV,
                                          tau_refrac: 2 ms}}}}
    params: {{i_offset: {_values([0.8, 1.0, 2.0], 'nA')}}}
record:
  - {{population: cell, variable: spikes}}
""")
    steps = _steps(run_reference(spec), 3)
    for n, i_na in enumerate([0.8, 1.0, 2.0]):
        u_inf, theta, q = i_na * 1e-9 * 0.02 / 1e-9, 0.015, 1 - 0.1 / 20
        k = int(np.ceil(np.log(1 - theta / u_inf) / np.log(q)))
        if u_inf * (1 - q ** (k - 1)) >= theta:  # guard the rounding of the logarithms
            k -= 1
        expected = k + np.arange(steps[n].size) * (k + 20)
        assert steps[n].size == 1 + (5000 - k) // (k + 20)
        np.testing.assert_array_equal(steps[n], expected)


def test_euler_option_on_lif_cond_steps_every_variable(make_spec):
    """lif_cond_exp with integrator: euler is forward Euler on v and on both conductances (written out
    here): the recorded v equals the recurrence to rounding (1e-12 mV over 300 steps)."""
    spec = make_spec(f"""
snnrun: "1.0"
name: euler_cond
simulation: {{duration: 30 ms, dt: 0.1 ms, options: {{reference: {{integrator: euler}}}}}}
populations:
  cell:
    size: 1
    model: {{type: lif_cond_exp, params: {{{COBA_PARAMS}, tau_syn_exc: 5 ms, tau_syn_inh: 10 ms}}}}
    params: {{i_offset: 0.1 nA, v_thresh: 0 mV}}
    initial: {{g_exc: 20 nS, g_inh: 30 nS}}
record:
  - {{population: cell, variable: v, interval: 0.1 ms}}
""")
    v_ref = run_reference(spec).traces[("cell", "v")].values[:, 0] * 1e3
    h, v, ge, gi, out = 0.1, -60.0, 20.0, 30.0, []
    for _ in range(300):
        out.append(v)
        v, ge, gi = (v + h * (10.0 * (-60.0 - v) + ge * (0.0 - v) + gi * (-80.0 - v) + 100.0) / 200.0,
                     ge - h * ge / 5.0, gi - h * gi / 10.0)
    np.testing.assert_allclose(v_ref, out, rtol=0, atol=1e-12)
