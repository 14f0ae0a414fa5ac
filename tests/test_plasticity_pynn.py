"""STDP and Tsodyks-Markram on the pynn backends, through snnrun runs (worker processes, real simulators),
against the reference engine's weights and the closed forms of tests/plasticity_protocols.py.

Tolerances, and why:
- pynn:nest's stdp_synapse / stdp_nn_symm_synapse compute semantics.md's updates with the same operations
  in another order (w/Wmax, the shifted bound of w_min > 0): final and recorded weights agree with the
  reference to rounding (measured 8e-16 relative), asserted to 1e-9 relative (the issue's bar is 1e-6).
- The closed forms leave out pairs between repetitions 500 ms apart (at most 5e-13 of w_max, see
  plasticity_protocols.expected_weight): asserted to 1e-9 relative as well.
- Tsodyks-Markram (tsodyks2_synapse, u = U set): the synaptic current right after each arrival equals the
  closed form to rounding (the exponential current decays exactly on NEST), asserted to 1e-9 relative.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import plasticity_protocols as pp
from snnrun import read_results
from snnrun.adapters.pynn.adapter import PyNNBrian2Adapter, PyNNNestAdapter, PyNNNeuronAdapter
from snnrun.execute import execute
from snnrun.schema.loader import load_spec

RTOL = 1e-9


def _pair_rules():
    return {"additive": pp.rule("additive", "all_to_all", 1.0), "multiplicative": pp.rule("multiplicative", "all_to_all", 1.0)}


def _channels(rules):
    """Pairs at several intervals (zero included) and two delays, bounds reached on two channels."""
    out = []
    for proj in ("additive", "multiplicative"):
        for (interval, w0), delay in zip(((-20.0, 0.6), (-5.0, 0.6), (0.0, 0.6), (5.0, 0.5), (20.0, 0.5), (4.0, 0.9),
                                          (-4.0, 0.2)), (1.0, 2.3, 1.0, 2.3, 1.0, 2.3, 1.0)):
            out.append(pp.pair_channel(proj, rules[proj], interval, delay, w0))
    return out


RECORD = """  - {projection: additive, variable: weight, interval: 10 ms}
  - {projection: multiplicative, variable: weight, interval: 25 ms, synapses: [0, 3, 5]}
"""


@pytest.fixture(scope="module")
def nest_stdp_run(tmp_path_factory):
    rules = _pair_rules()
    channels = _channels(rules)
    folder = tmp_path_factory.mktemp("pynn_stdp")
    text = pp.stdp_spec(channels, rules, pp.REPEATS * pp.REPEAT_MS + 20, name="pynn_stdp")
    path = folder / "pynn_stdp.yaml"
    path.write_text(text.replace("record:\n", "record:\n" + RECORD), encoding="utf-8")
    outcome = execute(load_spec(path), ["reference", "pynn:nest"], out=folder / "out", timeout=300)
    return channels, rules, read_results(outcome.run_dir)


def _final(results, backend, proj):
    frame = results[backend].final_weights
    return frame[frame["projection"] == proj].sort_values("synapse")["weight"].to_numpy() * 1e3  # mV


def test_pynn_nest_final_weights_equal_the_reference_and_the_closed_forms(nest_stdp_run):
    channels, rules, results = nest_stdp_run
    for proj in ("additive", "multiplicative"):
        mine = [c for c in channels if c["rule"] == proj]
        expected = np.array([pp.expected_weight(c, rules[proj]) for c in mine])
        nest, ref = _final(results, "pynn:nest", proj), _final(results, "reference", proj)
        np.testing.assert_allclose(ref, expected, rtol=RTOL, err_msg=proj)
        np.testing.assert_allclose(nest, ref, rtol=RTOL, err_msg=proj)
        # the protocol moves weights both ways and into both bounds, so the check has teeth
        assert expected.min() == pp.W_MIN and expected.max() == pp.W_MAX if proj == "additive" else True
        assert np.ptp(expected) > 0.3


def test_pynn_nest_refuses_nearest_pairing_for_its_phantom_pre_spike():
    """stdp_nn_symm_synapse starts its last pre spike time at 0. Measured before refusing it: the
    stdp_pairing_triplets case's post-post-pre channel gave 0.261526 mV against the closed form's
    0.254381 mV, i.e. + a_plus w_max (e^-50/20 + e^-56/20) for the two posts (seen at 50 and 56 ms)
    before the first pre spike; so pynn:nest refuses nearest pairing."""
    spec = load_spec(pp_case("stdp_pairing_triplets"))
    (problem,) = [p for p in PyNNNestAdapter().check(spec) if p.path[-1] == "plasticity"]
    assert problem.path[1] == "nearest" and "phantom pre spike at t = 0" in problem.message
    assert 0.254381 + 0.05 * (math.exp(-50 / 20) + math.exp(-56 / 20)) == pytest.approx(0.261526, abs=1e-6)


def test_pynn_nest_recorded_weights_equal_the_reference(nest_stdp_run):
    """Samples every 10 ms (all synapses) and 25 ms (three): semantics.md's sample at t includes the pre
    spikes stamped <= t - d and the post spikes stamped < t - 2d, which NEST alone does not give (it
    defers potentiation to the next pre spike); the delays of 1 and 2.3 ms make the windows differ."""
    _, _, results = nest_stdp_run
    ref, nest = results["reference"].weights, results["pynn:nest"].weights
    key = ["projection", "synapse", "time"]
    merged = pd.merge(ref, nest, on=key, suffixes=("_ref", "_nest"), how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(merged) == 252 * 7 + 101 * 3  # 2.52 s: 252 samples of 7 synapses, 101 of 3
    np.testing.assert_allclose(merged["weight_nest"], merged["weight_ref"], rtol=RTOL)
    # the samples move: weights change during the run, between pre spikes too (deferred potentiation)
    additive = merged[merged["projection"] == "additive"]
    assert additive.groupby("synapse")["weight_ref"].nunique().min() > 2


@pytest.fixture(scope="module")
def nest_tm_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pynn_tm")
    spec = load_spec(pp_case("tsodyks_markram_current"))
    outcome = execute(spec, ["reference", "pynn:nest"], out=folder, timeout=300)
    return read_results(outcome.run_dir)


def pp_case(name):
    from conftest import SPECS

    return SPECS / "conformance" / f"{name}.yaml"


def test_pynn_nest_tsodyks_markram_amplitudes_equal_the_closed_forms(nest_tm_run):
    """Depressing (U 0.5, tau_rec 800 ms) and facilitating (U 0.1, tau_rec 100 ms, tau_facil 1 s) 20 Hz
    trains onto exponential currents (tau_syn 5 ms): the current right after each arrival (21 + 50 k ms)."""
    for backend in ("reference", "pynn:nest"):
        values = nest_tm_run[backend].traces[("cells", "i_syn_exc")][[0, 1]].to_numpy()
        rows = np.rint((21 + 50 * np.arange(8)) / 0.1).astype(int)
        for j, (big_u, tau_rec, tau_facil) in enumerate([(0.5, 800.0, 0.0), (0.1, 100.0, 1000.0)]):
            amps = (pp.tm_depressing(0.5, big_u, tau_rec, 50.0, 8) if tau_facil == 0 else
                    pp.tm_facilitating(0.5, big_u, tau_rec, tau_facil, 50.0, 8))
            expected = np.array(pp.summed(amps, 50.0, 5.0)) * 1e-9  # nA -> A
            np.testing.assert_allclose(values[rows, j], expected, rtol=RTOL, err_msg=f"{backend} synapse {j}")
            assert values[rows[0], j] == pytest.approx(big_u * 0.5e-9, rel=RTOL)  # the first amplitude is U w


def test_pynn_brian2_refuses_the_rules_with_reasons_and_neuron_nearest_pairing():
    spec = load_spec(pp_case("stdp_additive_pairs"))
    tm = load_spec(pp_case("tsodyks_markram_current"))
    brian2 = PyNNBrian2Adapter()
    (stdp,) = [p.message for p in brian2.check(spec) if p.path[-1] == "plasticity"]
    short = [p.message for p in brian2.check(tm) if p.path[-1] == "short_term"]  # one per projection
    assert len(short) == 2 and all("broken" in m for m in short)
    assert "dendritic_delay_fraction 0" in stdp and "multiplicative" in stdp
    triplets = load_spec(pp_case("stdp_pairing_triplets"))
    (nearest,) = [p for p in PyNNNeuronAdapter().check(triplets) if p.path[-1] == "plasticity"]
    assert nearest.path[1] == "nearest" and "nearest-pairing" in nearest.message


# -- pynn:neuron: no lif_curr_delta there, so the post neurons are exponential-current cells -------------
def current_stdp_spec(channels: list[dict], rules: dict, name: str) -> str:
    """The protocol of plasticity_protocols.stdp_spec onto lif_curr_exp post neurons (weights in nA): the
    teacher's 100 nA kick through tau_syn 0.1 ms arrives one step before the post stamp and makes the
    neuron spike at the end of the next step, so the teacher spikes two steps before each post stamp."""
    shifted = [{**c, "post": [round(t - pp.DT_MS, 6) for t in c["post"]]} for c in channels]
    text = pp.stdp_spec(shifted, rules, pp.REPEATS * pp.REPEAT_MS + 20, name=name)
    text = text.replace("unit: mV}", "unit: nA}").replace(f"w_min: {pp.W_MIN} mV, w_max: {pp.W_MAX} mV",
                                                            f"w_min: {pp.W_MIN} nA, w_max: {pp.W_MAX} nA")
    text = text.replace("weight: 30 mV", "weight: 100 nA")
    text = text.replace("type: lif_curr_delta, params: {tau_m: 10 ms,",
                        "type: lif_curr_exp, params: {tau_syn_exc: 0.1 ms, cm: 0.1 nF, tau_m: 10 ms,")
    # the kick's current outlasts the spike's step: 2 ms of refractoriness keep it to one spike
    return text.replace("tau_refrac: 0 ms", "tau_refrac: 2 ms")


NEURON_RULES = {"additive": pp.rule("additive", "all_to_all", 1.0),
                "multiplicative": pp.rule("multiplicative", "all_to_all", 1.0),
                "axonal": pp.rule("additive", "all_to_all", 0.0), "split": pp.rule("multiplicative", "all_to_all", 0.5)}
#: the intervals of the pair channels; the last, 0 ms, is where NEURON departs from semantics.md
NEURON_INTERVALS = ((-20.0, 0.6), (-5.0, 0.6), (5.0, 0.5), (20.0, 0.5), (4.0, 0.9), (-4.0, 0.2), (0.0, 0.6))
#: NEURON's weight adjusters see the pre spike 2e-6 dt before, and the post spike 1e-6 dt after, their
#: shifted-frame times (neuron_plasticity.py): intervals off by 1e-7 ms over tau 20 ms, 1e-8 relative in
#: the weights (measured 1e-8); asserted to 1e-7 relative, the issue's bar being 1e-6
NEURON_RTOL = 1e-7


@pytest.fixture(scope="module")
def neuron_stdp_run(tmp_path_factory):
    channels = [pp.pair_channel(proj, r, interval, 1.5 if proj in ("axonal", "split") else 1.0, w0)
                for proj, r in NEURON_RULES.items() for interval, w0 in NEURON_INTERVALS]
    folder = tmp_path_factory.mktemp("pynn_neuron_stdp")
    text = current_stdp_spec(channels, NEURON_RULES, "pynn_neuron_stdp")
    record = """  - {projection: additive, variable: weight, interval: 10 ms}
  - {projection: split, variable: weight, interval: 20 ms, synapses: [1, 2]}
"""
    path = folder / "spec.yaml"
    path.write_text(text.replace("record:\n", "record:\n" + record), encoding="utf-8")
    outcome = execute(load_spec(path), ["reference", "pynn:neuron"], out=folder / "out", timeout=300)
    return channels, read_results(outcome.run_dir)


def test_pynn_neuron_final_weights_equal_the_reference_and_the_closed_forms(neuron_stdp_run):
    """Additive and multiplicative, dendritic fractions 1, 0 and 0.5 (the shifted frame), bounds reached;
    a pair seen at dt = 0 potentiates on NEURON (its adjusters pair equal times) by a_plus w_max per pair,
    where semantics.md leaves the weight alone."""
    channels, results = neuron_stdp_run
    spikes = {b: results[b].spikes for b in ("reference", "pynn:neuron")}
    pd.testing.assert_frame_equal(spikes["reference"], spikes["pynn:neuron"])  # the protocol's spike times hold
    for proj, rule_ in NEURON_RULES.items():
        mine = [c for c in channels if c["rule"] == proj]
        expected = np.array([pp.expected_weight(c, rule_) for c in mine])
        got = _final(results, "pynn:neuron", proj) * 1e-3 / 1e-9  # nA
        ref = _final(results, "reference", proj) * 1e-3 / 1e-9
        np.testing.assert_allclose(ref, expected, rtol=RTOL, err_msg=proj)
        np.testing.assert_allclose(got[:-1], ref[:-1], rtol=NEURON_RTOL, err_msg=proj)
        w0 = mine[-1]["w0"]
        tie = (pp.W_MAX - (pp.W_MAX - w0) * (1 - rule_["a_plus"]) ** pp.REPEATS
               if rule_["weight_dependence"] == "multiplicative" else w0 + pp.REPEATS * rule_["a_plus"] * pp.W_MAX)
        assert ref[-1] == pytest.approx(w0, rel=RTOL) and got[-1] == pytest.approx(tie, rel=NEURON_RTOL), proj


def test_pynn_neuron_recorded_weights_equal_the_reference(neuron_stdp_run):
    _, results = neuron_stdp_run
    ref, got = results["reference"].weights, results["pynn:neuron"].weights
    merged = pd.merge(ref, got, on=["projection", "synapse", "time"], suffixes=("_ref", "_nrn"))
    assert len(merged) == len(ref) == len(got) == 252 * 7 + 126 * 2
    zero = (merged["projection"] == "additive") & (merged["synapse"] == 6)  # the dt = 0 channel
    np.testing.assert_allclose(merged["weight_nrn"][~zero], merged["weight_ref"][~zero], rtol=NEURON_RTOL)
    assert merged[merged["projection"] == "split"].groupby("synapse")["weight_ref"].nunique().min() > 2


def test_pynn_neuron_tsodyks_markram_amplitudes_equal_the_closed_forms(tmp_path):
    outcome = execute(load_spec(pp_case("tsodyks_markram_current")), ["reference", "pynn:neuron"], out=tmp_path,
                      timeout=300)
    values = read_results(outcome.run_dir)["pynn:neuron"].traces[("cells", "i_syn_exc")][[0, 1]].to_numpy()
    rows = np.rint((21 + 50 * np.arange(8)) / 0.1).astype(int)
    for j, (big_u, tau_rec, tau_facil) in enumerate([(0.5, 800.0, 0.0), (0.1, 100.0, 1000.0)]):
        amps = (pp.tm_depressing(0.5, big_u, tau_rec, 50.0, 8) if tau_facil == 0 else
                pp.tm_facilitating(0.5, big_u, tau_rec, tau_facil, 50.0, 8))
        expected = np.array(pp.summed(amps, 50.0, 5.0)) * 1e-9
        # NEURON's current decays exactly (cnexp); the drive factor is divided out again: measured 4.4e-12
        np.testing.assert_allclose(values[rows, j], expected, rtol=1e-7, err_msg=f"synapse {j}")


# -- a network on pynn:nest: plastic synapses from neurons and sources, many of them --------------------------
NETWORK = """
snnrun: "1.0"
name: pynn_stdp_network
seed: 3
simulation: {duration: 500 ms, dt: 0.1 ms}
models:
  cell:
    type: lif_curr_exp
    params: {cm: 0.2 nF, tau_m: 20 ms, v_rest: -49 mV, v_thresh: -50 mV, v_reset: -60 mV, tau_refrac: 5 ms,
             tau_syn_exc: 5 ms}
populations:
  drive: {size: 200, model: {type: poisson, params: {rate: 20 Hz}}}
  exc: {size: 100, model: cell, initial: {v: {distribution: uniform, low: -60 mV, high: -50 mV}}}
  obs: {size: 50, model: cell, initial: {v: {distribution: uniform, low: -60 mV, high: -50 mV}}}
projections:
  drive_exc: {pre: drive, post: exc, connect: {rule: fixed_indegree, n: 20}, synapse: {weight: 40 pA, delay: 2 ms}}
  drive_obs: {pre: drive, post: obs, connect: {rule: fixed_indegree, n: 20}, synapse: {weight: 40 pA, delay: 1 ms}}
  ee:
    pre: exc
    post: exc
    connect: {rule: fixed_probability, p: 0.1}
    synapse: {weight: 20 pA, delay: {distribution: uniform, low: 0.1 ms, high: 2 ms}}
  from_drive:
    pre: drive
    post: obs
    connect: {rule: fixed_probability, p: 0.1}
    synapse:
      weight: {distribution: uniform, low: 1.5 fA, high: 3 fA}
      delay: {distribution: choice, values: [0.5, 1, 1.5], unit: ms}
      plasticity: {rule: stdp, tau_plus: 20 ms, tau_minus: 15 ms, a_plus: 0.02, a_minus: 0.021,
                   w_min: 1 fA, w_max: 4 fA}
  from_exc:
    pre: exc
    post: obs
    connect: {rule: fixed_probability, p: 0.2}
    synapse:
      weight: 2 fA
      delay: {distribution: uniform, low: 0.1 ms, high: 2 ms}
      plasticity: {rule: stdp, tau_plus: 20 ms, tau_minus: 15 ms, a_plus: 0.01, a_minus: 0.012,
                   w_min: 0 fA, w_max: 4 fA}
record:
  - {population: exc, variable: spikes}
  - {population: obs, variable: spikes}
  - {projection: from_exc, variable: weight, interval: 50 ms, synapses: {first: 40}}
"""


def test_pynn_nest_plastic_synapses_in_a_network_equal_the_reference(tmp_path):
    """Plastic synapses from Poisson sources (spike_train_injector nodes) and from neurons (their spikes
    recorded natively), heterogeneous delays, w_min > 0 on one projection, additive: the reference's
    spikes and weights. The plastic weights are femtoamperes, so that they do not change spike times:
    where a post spike and a pre spike reach a synapse together NEST potentiates before the pre spike
    transmits (semantics.md, "pynn"), which changes that PSP and, in a network with weights that matter,
    the spike trains from then on (measured: this network with pA plastic weights diverged after 45 ms).
    The additive updates commute, so the weights still agree; this run has such ties."""
    path = tmp_path / "network.yaml"
    path.write_text(NETWORK, encoding="utf-8")
    outcome = execute(load_spec(path), ["reference", "pynn:nest"], out=tmp_path / "out", timeout=300)
    results = read_results(outcome.run_dir)
    ref, nest = results["reference"], results["pynn:nest"]
    assert len(ref.spikes) > 1000  # the network is active
    order = ["population", "time", "neuron"]  # the backends list the populations in different orders
    pd.testing.assert_frame_equal(nest.spikes.astype({"population": str}).sort_values(order, ignore_index=True),
                                  ref.spikes.astype({"population": str}).sort_values(order, ignore_index=True))
    inst, trains, posts = _network_spikes(path, ref)
    edge = 0
    for frame in ("final_weights", "weights"):
        a, b = getattr(ref, frame), getattr(nest, frame)
        assert len(a) == len(b) and len(a) > 0
        np.testing.assert_array_equal(a[["projection", "synapse", "time"]].to_numpy(),
                                      b[["projection", "synapse", "time"]].to_numpy())
        # a sample at t whose last pre spike (stamped t - d) met a post spike stamped t - 2d: NEST has
        # applied that post spike's potentiation, semantics.md's sample not yet (it comes after the pre)
        tie = np.array([_edge_tie(inst, trains, posts, row) for row in a.itertuples()])
        edge += int(tie.sum())
        np.testing.assert_allclose(b["weight"][~tie], a["weight"][~tie], rtol=RTOL, err_msg=frame)
        assert (b["weight"][tie] > a["weight"][tie]).all()
    assert edge <= 3  # measured: 1 (a final weight)
    for name in ("from_drive", "from_exc"):  # the rules acted: weights moved by 5% of 2 fA on average
        final = ref.final_weights[ref.final_weights["projection"] == name].sort_values("synapse")
        assert np.mean(np.abs(final["weight"].to_numpy() - inst.projections[name].weight)) > 1e-16, name
    assert _ties(inst, trains, posts) > 0


def _network_spikes(path, ref):
    """The drawn instance, every pre population's stamps (steps) by neuron, the obs spikes as (neuron,
    step) pairs."""
    from snnrun.instance import instantiate

    inst = instantiate(load_spec(path))
    obs = ref.spikes[ref.spikes["population"] == "obs"]
    posts = set(zip(obs["neuron"].tolist(), np.rint(obs["time"] / 1e-4).astype(int).tolist()))
    src = inst.populations["drive"].spikes
    trains = {"drive": {i: src.steps[src.indptr[i]:src.indptr[i + 1]] for i in range(inst.populations["drive"].size)},
              "exc": {}}
    exc = ref.spikes[ref.spikes["population"] == "exc"]
    for i, group in exc.groupby("neuron"):
        trains["exc"][int(i)] = np.rint(group["time"].to_numpy() / 1e-4).astype(int)
    return inst, trains, posts


def _edge_tie(inst, trains, posts, row) -> bool:
    proj = inst.projections[row.projection]
    d, t = int(proj.delay_steps[row.synapse]), int(round(row.time / 1e-4))
    return (t - d) in set(trains[proj.pre_population].get(int(row.pre), ())) and (int(row.post), t - 2 * d) in posts


def _ties(inst, trains, posts) -> int:
    """Pairs seen at the same time at a plastic synapse onto obs (a post spike stamped t_pre - d)."""
    count = 0
    for name in ("from_drive", "from_exc"):
        proj = inst.projections[name]
        for i, j, d in zip(proj.pre, proj.post, proj.delay_steps):
            count += sum((int(j), int(s - d)) in posts for s in trains[proj.pre_population].get(int(i), ()))
    return count


def test_pynn_nest_check_refuses_what_nest_cannot_express(make_spec):
    """tau_minus is a parameter of NEST's post neuron (one value per population), depression is
    alpha * lambda (no a_plus of 0 with depression), weights are read back by neuron pair (no
    multapses), whole-delay dendritic only, and no synapse model with STDP and Tsodyks-Markram together;
    pynn:neuron runs all but the last."""
    spec = make_spec("""
snnrun: "1.0"
name: nest_limits
simulation: {duration: 10 ms, dt: 0.1 ms}
populations:
  src: {size: 2, model: {type: spike_array, params: {spike_times: [[1 ms], [2 ms]]}}}
  cells: {size: 2, model: {type: lif_curr_exp}}
projections:
  a:
    pre: src
    post: cells
    connect: {rule: one_to_one}
    synapse:
      weight: 0.1 nA
      plasticity: {rule: stdp, tau_plus: 20 ms, tau_minus: 20 ms, a_plus: 0.01, a_minus: 0.01, w_max: 1 nA}
  b:
    pre: src
    post: cells
    connect: {rule: fixed_indegree, n: 2, multapses: true}
    synapse:
      weight: 0.1 nA
      plasticity: {rule: stdp, tau_plus: 20 ms, tau_minus: 30 ms, a_plus: 0, a_minus: 0.01, w_max: 1 nA}
  c:
    pre: src
    post: cells
    connect: {rule: one_to_one}
    synapse:
      weight: 0.1 nA
      plasticity: {rule: stdp, tau_plus: 20 ms, tau_minus: 20 ms, a_plus: 0.01, a_minus: 0.01, w_max: 1 nA,
                   dendritic_delay_fraction: 0.5}
      short_term: {rule: tsodyks_markram, u: 0.5, tau_rec: 100 ms}
""")
    nest = {p.path: p.message for p in PyNNNestAdapter().check(spec)}
    base = ("projections", "b", "synapse", "plasticity")
    assert "tau_minus differs from projection a's" in nest[base + ("tau_minus",)]
    assert "a_plus 0" in nest[base + ("a_plus",)]
    assert "dendritic" in nest[("projections", "c", "synapse", "plasticity")]
    assert "cannot be told apart" in nest[("projections", "b", "connect", "multapses")]
    assert len(nest) == 4  # c's two rules together are reported once its fraction is fixed
    neuron = {p.path for p in PyNNNeuronAdapter().check(spec)}
    assert neuron == {("projections", "c", "synapse", "short_term")}  # STDP with Tsodyks-Markram
