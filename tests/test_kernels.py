"""The reference engine's compiled kernels (numba) against its numpy code: the very same spikes and
traces (bit for bit: the kernels do the same floating-point operations in the same order), on CUBA-like
networks and on every conformance case of the families the kernels cover; and the numpy fallback when
numba cannot be imported."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import assert_same_spikes
from snnrun.adapters.reference import kernels
from snnrun.adapters.reference.adapter import ReferenceAdapter
from snnrun.adapters.reference.engine import Engine
from snnrun.instance import instantiate
from snnrun.schema.errors import BackendError
from snnrun.schema.loader import load_spec

pytest.importorskip("numba")

REPO = Path(__file__).resolve().parent.parent
COVERED = ("lif_curr_exp", "lif_curr_alpha", "lif_curr_delta")


def _run(instance, kernel: str):
    engine = Engine(instance, "standard", kernel)
    assert engine.kernel == kernel
    spikes, traces = engine.run()
    return engine, spikes, traces


def _assert_identical(instance):
    """numba and numpy runs of one instance: identical spike ids and stamps, identical traces."""
    _, a_spikes, a_traces = _run(instance, "numpy")
    engine, b_spikes, b_traces = _run(instance, "numba")
    assert set(a_spikes) == set(b_spikes)
    for pop, (ids, times) in a_spikes.items():
        np.testing.assert_array_equal(b_spikes[pop][0], ids, err_msg=pop)
        np.testing.assert_array_equal(b_spikes[pop][1], times, err_msg=pop)
    assert set(a_traces) == set(b_traces)
    for key, trace in a_traces.items():
        np.testing.assert_array_equal(b_traces[key].values, trace.values, err_msg=str(key))
    return engine, a_spikes


CUBA_LIKE = """
snnrun: "1.0"
name: cuba_like
seed: 3
simulation: {{duration: 300 ms, dt: 0.1 ms}}
models:
  cell:
    type: {model}
    params: {{cm: 0.2 nF, tau_m: {tau_m}, v_rest: -49 mV, v_thresh: -50 mV, v_reset: -60 mV,
             tau_refrac: 5 ms{syn}}}
populations:
  exc: {{size: 800, model: cell, initial: {{v: {{distribution: uniform, low: -60 mV, high: -50 mV}}}}}}
  inh: {{size: 200, model: cell, initial: {{v: {{distribution: uniform, low: -60 mV, high: -50 mV}}}}}}
  drive: {{size: 50, model: {{type: poisson, params: {{rate: 20 Hz}}}}}}
projections:
  ee: {{pre: exc, post: exc, connect: {{rule: fixed_probability, p: 0.08}}, synapse: {{receptor: exc, weight: {we}, delay: {delay}}}}}
  ei: {{pre: exc, post: inh, connect: {{rule: fixed_indegree, n: 60}}, synapse: {{receptor: exc, weight: {we}, delay: 0.1 ms}}}}
  ie: {{pre: inh, post: exc, connect: {{rule: fixed_probability, p: 0.08}}, synapse: {{receptor: inh, weight: {wi}, delay: 0.1 ms}}}}
  ii: {{pre: inh, post: inh, connect: {{rule: fixed_outdegree, n: 15}}, synapse: {{receptor: inh, weight: {wi}, delay: 0.2 ms}}}}
  de: {{pre: drive, post: exc, connect: {{rule: fixed_probability, p: 0.1}}, synapse: {{receptor: exc, weight: {we}, delay: 0.5 ms}}}}
{extra}
stimuli:
  kick: {{type: dc, target: {{population: exc, neurons: [0, 5, 7]}}, amplitude: 0.3 nA, start: 50 ms, stop: 120 ms}}
record:
  - {{population: exc, variable: spikes}}
  - {{population: inh, variable: spikes}}
  - {{population: exc, variable: v, neurons: [0, 1, 2]}}
"""

EXP = dict(model="lif_curr_exp", syn=", tau_syn_exc: 5 ms, tau_syn_inh: 10 ms", we="16.2 pA", wi="-90 pA")
VARIANTS = {
    # CUBA's own family and parameters, a stimulus on three neurons (the per-neuron drive kernel from 50 ms)
    "exp": dict(EXP, tau_m="20 ms", delay="0.1 ms", extra=""),
    # per-neuron tau_m (the per-neuron kernel throughout), distributed delays
    "exp_per_neuron": dict(EXP, tau_m="{distribution: uniform, low: 15 ms, high: 25 ms}",
                           delay="{distribution: uniform, low: 0.1 ms, high: 3 ms}", extra=""),
    # a second projection from exc onto exc through the same receptor: the engine keeps CsrDelivery's
    # order of additions there, and a from_list projection in unsorted order
    "exp_shared_targets": dict(EXP, tau_m="20 ms", delay="0.1 ms", extra=(
        "  ee2: {pre: exc, post: exc, connect: {rule: fixed_probability, p: 0.02}, "
        "synapse: {receptor: exc, weight: 30 pA, delay: 0.3 ms}}\n"
        "  fl: {pre: inh, post: exc, connect: {rule: from_list, pairs: [[5, 1], [2, 0], [5, 0], [0, 3]]}, "
        "synapse: {receptor: inh, weight: -50 pA, delay: 0.4 ms}}")),
    "alpha": dict(model="lif_curr_alpha", syn=", tau_syn_exc: 2 ms, tau_syn_inh: 4 ms", we="30 pA", wi="-120 pA",
                  tau_m="20 ms", delay="0.1 ms", extra=""),
    "delta": dict(model="lif_curr_delta", syn="", we="0.5 mV", wi="-2 mV", tau_m="20 ms", delay="0.1 ms",
                  extra=""),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_numba_and_numpy_give_identical_spikes_on_cuba_like_networks(make_spec, variant):
    spec = make_spec(CUBA_LIKE.format(**VARIANTS[variant]))
    engine, spikes = _assert_identical(instantiate(spec))
    n_spikes = sum(ids.size for ids, _ in spikes.values())
    assert n_spikes > 500, n_spikes  # a network that is active, so the comparison means something
    assert all(s is not g for s, g in zip(engine.steppers.values(), engine.groups.values()))
    compiled = [d for outs in engine.deliveries.values() for _, d in outs if isinstance(d, kernels.CompiledDelivery)]
    assert compiled
    if variant == "exp_shared_targets":  # exc -> the group: two parts onto exc through exc: CsrDelivery kept
        assert not any(isinstance(d, kernels.CompiledDelivery) for _, d in engine.deliveries["exc"])


def test_cuba_is_identical_on_both_kernels():
    """specs/cuba.yaml, the benchmark, shortened to 400 ms."""
    spec = load_spec(REPO / "specs" / "cuba.yaml")
    inst = instantiate(spec)
    inst.n_steps = 4000
    _assert_identical(inst)


def _covered_cases():
    for path in sorted((REPO / "specs" / "conformance").glob("*.yaml")):
        spec = load_spec(path)
        types = {p.model.type for p in spec.populations.values()}
        if types & set(COVERED):
            yield pytest.param(path, id=path.stem)


@pytest.mark.parametrize("path", list(_covered_cases()))
def test_conformance_cases_of_covered_families_are_identical(path):
    _assert_identical(instantiate(load_spec(path)))


@pytest.mark.parametrize("kernel,compiled", [("numpy", False), ("numba", True)])
def test_adapter_reads_the_kernel_option(make_spec, kernel, compiled):
    text = CUBA_LIKE.format(**VARIANTS["exp"]).replace(
        "simulation: {duration: 300 ms, dt: 0.1 ms}",
        f"simulation: {{duration: 50 ms, dt: 0.1 ms, options: {{reference: {{kernel: {kernel}}}}}}}")
    out = ReferenceAdapter().run(instantiate(make_spec(text)))
    assert ("numba" in out.versions) == compiled


def test_auto_compiles_only_networks_that_repay_numbas_start_up(make_spec, monkeypatch):
    inst = instantiate(make_spec(CUBA_LIKE.format(**VARIANTS["exp"])))  # 1000 neurons, 3000 steps
    work = kernels.work(1000, inst.n_steps, sum(p.size for p in inst.projections.values()), inst.duration)
    assert work < kernels.AUTO_MIN_WORK
    assert Engine(inst, "standard", "auto").kernel == "numpy"
    assert Engine(inst, "standard", "numba").kernel == "numba"
    monkeypatch.setattr(kernels, "AUTO_MIN_WORK", work)
    assert Engine(inst, "standard", "auto").kernel == "numba"
    # CUBA (4000 neurons, 1 s, 320k synapses) stays below; the 10 % microcircuit is far above
    assert kernels.work(4000, 10000, 320_000, 1.0) < 1e8 < kernels.work(7716, 10000, 29_888_097, 1.0)


@pytest.fixture
def numba_hidden(monkeypatch):
    """numba cannot be imported (as where it is not installed)."""
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "numba" or name.startswith("numba.") or name.endswith("numba_kernels"):
            raise ImportError(f"No module named {name!r} (hidden by the test)")
        return real_import(name, *args, **kwargs)

    for mod in [m for m in sys.modules if m == "numba" or m.startswith("numba.") or m.endswith("numba_kernels")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.delattr("snnrun.adapters.reference.numba_kernels", raising=False)


def test_numpy_fallback_when_numba_is_missing(make_spec, numba_hidden):
    inst = instantiate(make_spec(CUBA_LIKE.format(**VARIANTS["exp"])))
    engine = Engine(inst, "standard", "auto")
    assert engine.kernel == "numpy"
    assert all(s is g for s, g in zip(engine.steppers.values(), engine.groups.values()))
    spikes, _ = engine.run()
    assert sum(ids.size for ids, _ in spikes.values()) > 500
    with pytest.raises(BackendError, match="numba is not installed"):
        Engine(inst, "standard", "numba")


def test_fallback_spikes_equal_the_compiled_ones(make_spec, monkeypatch):
    """The same spikes from a run with numba hidden as from the compiled run (the fallback is the same
    code path as kernel: numpy)."""
    inst = instantiate(make_spec(CUBA_LIKE.format(**VARIANTS["alpha"])))
    monkeypatch.setattr(kernels, "AUTO_MIN_WORK", 0.0)  # auto compiles even this small network
    compiled = ReferenceAdapter().run(inst)
    monkeypatch.setattr(kernels, "_numba_kernels", lambda: None)
    fallback = ReferenceAdapter().run(inst)
    assert "numba" in compiled.versions and "numba" not in fallback.versions
    assert_same_spikes(compiled, fallback, "the numpy fallback")


def test_a_second_process_loads_the_kernels_from_the_cache():
    """cache=True: after one process has compiled CUBA's kernels, another one loads them (numba's own
    counters: cache hits, no misses), so a warm run pays no compile time."""
    script = (
        "import json\n"
        "from snnrun.schema.loader import load_spec\n"
        "from snnrun.instance import instantiate\n"
        "from snnrun.adapters.reference.engine import Engine\n"
        "from snnrun.adapters.reference import numba_kernels as nk\n"
        f"inst = instantiate(load_spec({str(REPO / 'specs' / 'cuba.yaml')!r}))\n"
        "inst.n_steps = 20\n"
        "Engine(inst, 'standard', 'numba').run()\n"
        "stats = [f.stats for f in (nk.lif_exp_step, nk.deliver)]\n"
        "print(json.dumps([[sum(s.cache_hits.values()), sum(s.cache_misses.values())] for s in stats]))\n")
    import json
    import subprocess

    runs = [json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                      cwd=REPO).stdout.strip().splitlines()[-1]) for _ in range(2)]
    # the second process: every kernel it called came from the cache
    assert all(hits >= 1 and misses == 0 for hits, misses in runs[1]), runs
