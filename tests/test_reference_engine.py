"""The reference engine's structure: groups are plug-ins behind one protocol (a new group class runs
without editing the engine), per-neuron parameters, every state variable recordable, derived initial
values, instability and parameter checks reported with the spec path."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from conftest import run_reference
from snnrun.adapters.reference import protocol
from snnrun.adapters.reference.adapter import ReferenceAdapter
from snnrun.adapters.reference.engine import Engine
from snnrun.instance import instantiate
from snnrun.schema import catalogue as cat
from snnrun.schema.errors import BackendError


class CountingGroup(protocol.NeuronGroup):
    """A dummy model: x counts the input weight received; a neuron spikes when x reaches ``limit``,
    then x <- 0. Nothing else: enough to see the engine drive it through the protocol."""

    n_channels = 1

    def __init__(self, params, initial, dt, integrator="standard"):
        self.n = len(params["limit"])
        self.limit = np.asarray(params["limit"], float)
        self.x = np.zeros(self.n)
        self.current = np.zeros(self.n)

    def integrate(self, k):
        self.x += self.current  # a stimulus (A) counts one per ampere and step

    def receive(self, inputs):
        self.x += inputs[0]

    def fire(self, k):
        spikes = np.flatnonzero(self.x >= self.limit)
        self.x[spikes] = 0.0
        return spikes

    def inject(self, neurons, deltas):
        np.add.at(self.current, neurons, deltas)

    def read(self, name, neurons):
        return self.x[neurons].copy()

    def weight_scale(self, receptor, post):
        return 0, 1.0


def test_a_new_group_class_runs_without_editing_the_engine(make_spec, monkeypatch):
    """Register a model type and its group class from outside; the engine delivers a source's spikes
    to it through a 2-step delay, applies its stimulus and records its state."""
    dummy = cat.ModelType("counting", "a counter", {"limit": cat.Param(cat.D, "3", "spikes needed")},
                          state={"x": cat.D}, synapse="voltage")
    monkeypatch.setitem(cat.MODELS, "counting", dummy)
    monkeypatch.setitem(protocol.GROUPS, "counting", CountingGroup)
    spec = make_spec("""
snnrun: "1.0"
name: plug
simulation: {duration: 3 ms, dt: 0.1 ms}
populations:
  src: {size: 1, model: {type: spike_array, params: {spike_times: [0.1 ms, 0.2 ms, 0.3 ms, 0.4 ms]}}}
  cell: {size: 2, model: {type: lif_curr_delta}}
projections:
  p: {pre: src, post: cell, connect: {rule: all_to_all}, synapse: {weight: 1 mV, delay: 0.2 ms}}
stimuli:
  s: {type: dc, target: {population: cell, neurons: [1]}, amplitude: 1 A, start: 2 ms}
record:
  - {population: cell, variable: spikes}
  - {population: cell, variable: v}
""".replace("1 A", "1000000000 nA"))
    inst = instantiate(spec)
    pop = inst.populations["cell"]
    pop.type, pop.params, pop.initial = "counting", {"limit": np.array([3e-3, 1e-3])}, {}
    inst.recordings = tuple(r if r.variable == "spikes" else dataclasses.replace(r, variable="x")
                            for r in inst.recordings)
    spikes, traces = Engine(inst).run()
    ids, times = spikes["cell"]
    # inputs of 1e-3 arrive at 0.3 ... 0.6 ms: neuron 1 (limit 1e-3) fires at each, neuron 0 at the third;
    # from step 20 the stimulus adds 1 per step to neuron 1 (it fires every step)
    stamps = {n: np.rint(times[ids == n] / 1e-4).astype(int).tolist() for n in (0, 1)}
    assert stamps[0] == [5]
    assert stamps[1] == [3, 4, 5, 6] + list(range(21, 31))
    assert traces[("cell", "x")].values.shape == (30, 2)


def _population(model: str, size: int, params: str = "", initial: str = "", extra: str = "",
                duration: str = "50 ms", dt: str = "0.1 ms", record: str = "") -> str:
    return f"""
snnrun: "1.0"
name: engine
simulation: {{duration: {duration}, dt: {dt}}}
populations:
  cell:
    size: {size}
    model: {{type: {model}}}
    params: {{{params}}}
    initial: {{{initial}}}
{extra}
record:
  - {{population: cell, variable: spikes}}
{record}"""


NEW_MODELS = ["lif_cond_exp", "lif_cond_alpha", "adex_cond_exp", "adex_cond_alpha", "izhikevich", "hh_cond_exp"]


@pytest.mark.parametrize("model", NEW_MODELS)
def test_every_state_variable_is_recorded_from_its_initial_value(make_spec, model):
    """Record every catalogue state variable: the sample at t = 0 is the initial value (SI), and the
    whole run stays finite."""
    mtype = cat.MODELS[model]
    record = "".join(f"  - {{population: cell, variable: {v}}}\n" for v in mtype.state)
    initial = {"v": "-61 mV", "g_exc": "3 nS", "g_inh": "4 nS", "w": "0.01 nA", "u": "-12", "m": "0.1", "h": "0.5", "n": "0.2"}
    text = ", ".join(f"{k}: {v}" for k, v in initial.items() if k in mtype.state)
    out = run_reference(make_spec(_population(model, 2, initial=text, record=record)))
    si = {"v": -0.061, "g_exc": 3e-9, "g_inh": 4e-9, "w": 1e-11, "u": -12.0, "m": 0.1, "h": 0.5, "n": 0.2}
    for var in mtype.state:
        trace = out.traces[("cell", var)]
        assert trace.values.shape == (500, 2)
        assert np.all(np.isfinite(trace.values))
        np.testing.assert_allclose(trace.values[0], si[var], rtol=1e-12)


def test_hh_gates_start_at_their_steady_state_unless_given(make_spec):
    """m, h, n default to alpha / (alpha + beta) at the initial v (Traub-Miles rates written out here);
    a gate given in ``initial`` keeps its value."""
    import oracles
    text = _population("hh_cond_exp", 2, initial="v: {values: [-65, -50], unit: mV}, h: 0.3",
                       record="  - {population: cell, variable: m}\n  - {population: cell, variable: h}\n"
                              "  - {population: cell, variable: n}\n", duration="1 ms")
    inst = instantiate(make_spec(text))
    for j, v in enumerate((-65.0, -50.0)):  # -50 mV is alpha_m's removable singularity (u = 13 mV)
        m, h, n = oracles.hh_steady_state(v, -63.0)
        assert inst.populations["cell"].initial["m"][j] == pytest.approx(m, rel=1e-12)
        assert inst.populations["cell"].initial["n"][j] == pytest.approx(n, rel=1e-12)
        assert inst.populations["cell"].initial["h"][j] == 0.3


def test_per_neuron_parameters_give_the_same_spikes_as_separate_runs(make_spec):
    """A group with per-neuron a, b, tau_w (AdEx) spikes as each neuron does alone (uniform scalars)."""
    values = [(2.0, 0.02, 100.0), (4.0, 0.08, 144.0), (8.0, 0.2, 300.0)]
    params = ("i_offset: 1 nA, a: {values: [2, 4, 8], unit: nS}, b: {values: [0.02, 0.08, 0.2], unit: nA}, "
              "tau_w: {values: [100, 144, 300], unit: ms}")
    together = run_reference(make_spec(_population("adex_cond_exp", 3, params, duration="300 ms")))
    ids, times = together.spikes["cell"]
    for n, (a, b, tau_w) in enumerate(values):
        alone = run_reference(make_spec(_population("adex_cond_exp", 1, f"i_offset: 1 nA, a: {a} nS, b: {b} nA, "
                                                                      f"tau_w: {tau_w} ms", duration="300 ms"),
                                        name=f"alone{n}.yaml"))
        assert alone.spikes["cell"][1].size > 3
        np.testing.assert_array_equal(times[ids == n], alone.spikes["cell"][1])


def test_unstable_integration_names_the_population(make_spec):
    """Forward Euler on HH at dt = 0.1 ms blows up during the first spike (the standard scheme's RK4
    substeps do not): a BackendError at populations.cell, not NaNs in the results."""
    text = _population("hh_cond_exp", 1, "i_offset: 1 nA").replace(
        "dt: 0.1 ms}", "dt: 0.1 ms, options: {reference: {integrator: euler}}}")
    with pytest.raises(BackendError, match="non-finite") as err:
        run_reference(make_spec(text))
    assert err.value.path == ("populations", "cell")
    assert run_reference(make_spec(text.replace("integrator: euler", "integrator: standard"))).spikes["cell"][0].size


@pytest.mark.parametrize("params,message", [
    ("delta_t: 0 mV", "delta_t must be positive"),
    ("delta_t: 0.01 mV, v_spike: 0 mV", "exponential term would overflow"),
])
def test_adex_parameters_the_exponential_cannot_take_are_refused(make_spec, params, message):
    problems = ReferenceAdapter().check(make_spec(_population("adex_cond_exp", 1, params)))
    assert len(problems) == 1 and message in problems[0].message
    assert problems[0].path[:3] == ("populations", "cell", "params")


def test_izhikevich_units_follow_pynn(make_spec):
    """v = -70 mV, u = -14 is a fixed point of the paper's equations with a = 0 (0.04 v^2 + 5 v + 140 - u
    = 0); 0.002 nA must then act as I = 2 mV/ms (1 nA is I = 1000) and a 1.5 mV weight as a 1.5 mV jump."""
    text = _population("izhikevich", 2, "a: 0, i_offset: {values: [0.002, 0], unit: nA}",
                       "v: -70 mV, u: -14", duration="1.5 ms", dt="0.01 ms",
                       record="  - {population: cell, variable: v, interval: 0.01 ms}\n")
    text = text.replace("record:", """  src: {size: 1, model: {type: spike_array, params: {spike_times: [0.5 ms]}}}
projections:
  p: {pre: src, post: cell, connect: {rule: all_to_all}, synapse: {weight: 1.5 mV, delay: 0.5 ms}}
record:""")
    v = run_reference(make_spec(text)).traces[("cell", "v")].values * 1e3
    # neuron 0: near the fixed point dv/dt = I - 0.6 dv (f'(-70 mV) = 0.08 v + 5 = -0.6 per ms), so after
    # 0.01 ms dv = I (1 - exp(-0.006)) / 0.6; the neglected 0.04 dv^2 is 1e-5 of it
    assert v[1, 0] - v[0, 0] == pytest.approx(2.0 * -math.expm1(-0.006) / 0.6, rel=1e-4)
    assert v[99, 1] == pytest.approx(-70.0, abs=1e-12) and v[100, 1] == pytest.approx(-68.5, abs=1e-12)


def test_izhikevich_2003_spec_is_what_its_generator_writes():
    """specs/izhikevich_2003.yaml is generated (its per-neuron values and 1000 noise stimuli have no
    compact form in the language): regenerate it with specs/make_izhikevich_2003.py, never edit it."""
    import subprocess
    import sys
    from conftest import SPECS
    text = subprocess.run([sys.executable, str(SPECS / "make_izhikevich_2003.py")], capture_output=True, text=True,
                          check=True).stdout
    assert text == (SPECS / "izhikevich_2003.yaml").read_text()
