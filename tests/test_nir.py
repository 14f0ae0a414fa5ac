"""NIR export and import: spec -> NIR -> spec gives the same instance and NIR -> spec -> NIR the same
graph, for every node type snnrun maps (CubaLIF, LIF, Input, Linear, Affine, Delay, Output), in both
spike conventions; what NIR cannot carry is refused with located one-line errors; graphs written by
snnTorch's and Norse's own exporters import and run on the reference engine.

Tolerance of the float comparisons: the mapping multiplies and divides by dt, tau_syn, tau_m and cm
(a handful of roundings at 1.1e-16 each), so the values that come back agree to 1e-14 relative; integer
arrays (pre, post, delay steps, spike steps) must be identical."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import SPECS, run_reference
from snnrun import ExitCode
from snnrun.instance import instantiate
from snnrun.instance_io import same_arrays
from snnrun.interop import nir_export, nir_import
from snnrun.interop import nir_mapping as nm
from snnrun.schema.loader import load_spec

import nir  # noqa: E402  (the nir extra is part of 'all': CI installs it, and a missing one fails here)

SNNRUN = str(Path(sys.executable).with_name("snnrun"))
RTOL = 1e-14

NETWORK = """
snnrun: "1.0"
name: mapped
seed: 7
simulation: {duration: 100 ms, dt: 0.1 ms}
populations:
  drive:
    size: 5
    model: {type: poisson, params: {rate: 80 Hz}}
  times:
    size: 2
    model: {type: spike_array, params: {spike_times: [[5 ms, 25 ms], [10 ms]]}}
  cells:
    size: 4
    model: {type: lif_curr_exp, params: {cm: 0.25 nF, v_rest: -65 mV, v_reset: -70 mV, v_thresh: -55 mV,
                                         tau_refrac: 0 ms, tau_syn_exc: 4 ms, tau_syn_inh: 4 ms, i_offset: 0.1 nA}}
    params: {tau_m: {distribution: uniform, low: 8 ms, high: 12 ms}}
    initial: {i_syn_exc: -0.1 nA}
  deltas:
    size: 3
    model: {type: lif_curr_delta, params: {tau_refrac: 0 ms, i_offset: 0.2 nA}}
projections:
  d2c:
    pre: drive
    post: cells
    connect: {rule: fixed_indegree, n: 3}
    synapse: {receptor: exc, weight: 0.6 nA, delay: {distribution: uniform, low: 1 ms, high: 3 ms}}
  t2c:
    pre: times
    post: cells
    connect: {rule: all_to_all}
    synapse: {receptor: inh, weight: -0.3 nA, delay: 1.5 ms}
  c2d:
    pre: cells
    post: deltas
    connect: {rule: fixed_probability, p: 0.5}
    synapse: {receptor: exc, weight: {distribution: normal, mean: 2 mV, std: 0.5 mV}, delay: 2 ms}
  recurrent:
    pre: deltas
    post: deltas
    connect: {rule: one_to_one}
    synapse: {receptor: inh, weight: -1 mV, delay: 0.1 ms}
record:
  - {population: cells, variable: spikes}
  - {population: deltas, variable: spikes}
"""


@pytest.fixture
def network(make_spec):
    return make_spec(NETWORK)


def _round_trip(spec, tmp_path: Path, spikes: str):
    instance = instantiate(spec)
    assert nir_export.check(spec, instance) == []
    graph = nir_export.to_nir(instance, nm.Conventions(instance.dt, spikes), meta={nm.META_SEED: spec.seed})
    nir.write(str(tmp_path / "net.nir"), graph)
    back = nir_import.import_nir(tmp_path / "net.nir", name=spec.name)
    path = back.write(tmp_path / "back" / "net.yaml")
    return instance, graph, load_spec(path)


@pytest.mark.parametrize("spikes", nm.SPIKES)
def test_spec_to_nir_to_spec_gives_the_same_instance(network, tmp_path, spikes):
    instance, graph, again = _round_trip(network, tmp_path, spikes)
    kinds = {type(n).__name__ for n in graph.nodes.values()}
    assert kinds == {"Input", "CubaLIF", "LIF", "Linear", "Affine", "Delay", "Output"}  # every mapped type
    redrawn = instantiate(again)
    assert same_arrays(instance, redrawn, rtol=RTOL, sources_as_trains=True) == []
    # a spike_array source comes back as itself; a poisson source as the spike_array of its drawn trains
    assert redrawn.populations["times"].type == "spike_array" and redrawn.populations["drive"].type == "spike_array"
    assert same_arrays(instance, redrawn, rtol=RTOL) == ["populations.drive.params ['rate', 'start'] != []",
                                                         "populations.drive.type: poisson != spike_array"]
    np.testing.assert_array_equal(run_reference(network).spikes["deltas"][1], run_reference(again).spikes["deltas"][1])


def _graph_fields(graph) -> dict:
    out = {}
    for name, node in graph.nodes.items():
        fields = {k: v for k, v in vars(node).items() if k not in ("input_type", "output_type", "metadata")}
        meta = {k: v for k, v in node.metadata.items() if k in (nm.META_SPIKE_TIMES, nm.META_SPIKE_INDPTR)}
        out[name] = (type(node).__name__, {**fields, **meta})
    return out


def _assert_same_graph(a, b):
    fa, fb = _graph_fields(a), _graph_fields(b)
    assert sorted(fa) == sorted(fb) and sorted(a.edges) == sorted(b.edges)
    for name in fa:
        assert fa[name][0] == fb[name][0], name
        assert sorted(fa[name][1]) == sorted(fb[name][1]), name
        for key, value in fa[name][1].items():
            np.testing.assert_allclose(np.asarray(fb[name][1][key], float), np.asarray(value, float), rtol=RTOL,
                                       atol=0, err_msg=f"{name}.{key}")


@pytest.mark.parametrize("spikes", nm.SPIKES)
def test_nir_to_spec_to_nir_gives_the_same_graph(tmp_path, spikes):
    """A graph built by hand, in snnrun's layout, with every mapped node type."""
    rng = np.random.default_rng(3)
    dt = 1e-4
    tau = np.array([0.01, 0.02, 0.015])
    cuba = nir.CubaLIF(tau_syn=np.full(3, 0.005), tau_mem=tau, r=tau / 2e-10, v_leak=np.full(3, -0.065),
                       v_threshold=np.full(3, -0.05), v_reset=np.full(3, -0.07), w_in=np.ones(3))
    lif = nir.LIF(tau=np.full(2, 0.02), r=np.full(2, 2e7), v_leak=np.full(2, -0.06), v_threshold=np.full(2, -0.05),
                  v_reset=np.full(2, -0.06))
    weights_in = np.where(rng.random((3, 4)) < 0.6, rng.uniform(1e-12, 4e-12, (3, 4)), 0.0)
    weights_ff = np.where(rng.random((2, 3)) < 0.8, rng.uniform(-2e-12, 2e-12, (2, 3)), 0.0)
    if spikes == "per_step":
        weights_in, weights_ff = weights_in / dt, weights_ff / dt
    times = np.array([0.002, 0.0051, 0.011, 0.0304])
    nodes = {
        "src": nir.Input(input_type={"input": np.array([4])},
                         metadata={nm.META_SPIKE_TIMES: times, nm.META_SPIKE_INDPTR: np.array([0, 1, 1, 3, 4])}),
        "syn": nir.Linear(weight=weights_in), "syn_delay": nir.Delay(delay=np.full(3, 0.0012)),
        "ff": nir.Affine(weight=weights_ff, bias=np.array([2e-11, 0.0])), "ff_delay": nir.Delay(delay=np.full(2, 0.0004)),
        "cuba": cuba, "cuba_output": nir.Output(output_type={"output": np.array([3])}),
        "lif": lif, "lif_output": nir.Output(output_type={"output": np.array([2])}),
    }
    edges = [("src", "syn"), ("syn", "syn_delay"), ("syn_delay", "cuba"), ("cuba", "cuba_output"),
             ("cuba", "ff"), ("ff", "ff_delay"), ("ff_delay", "lif"), ("lif", "lif_output")]
    graph = nir.NIRGraph(nodes=nodes, edges=edges)
    imported = nir_import.import_nir(graph, name="hand", dt=dt, duration=0.05, spikes=spikes)
    spec = load_spec(imported.write(tmp_path / "hand.yaml"))
    assert set(spec.populations) == {"src", "cuba", "lif"} and set(spec.projections) == {"syn", "ff"}
    assert spec.populations["cuba"].model.type == "lif_curr_exp" and spec.populations["lif"].model.type == "lif_curr_delta"
    again = nir_export.to_nir(instantiate(spec), nm.Conventions(dt, spikes))
    _assert_same_graph(graph, again)


def test_what_nir_cannot_carry_is_refused_with_located_errors(tmp_path):
    proc = subprocess.run([SNNRUN, "export", str(SPECS / "cuba.yaml"), "--to", "nir", "-o", str(tmp_path / "c.nir")],
                          capture_output=True, text=True)
    assert proc.returncode == ExitCode.UNSUPPORTED and not (tmp_path / "c.nir").exists()
    lines = proc.stderr.strip().splitlines()
    assert all(line.startswith(f"error: {SPECS / 'cuba.yaml'}:") and line.endswith("(NIR cannot carry it)")
               for line in lines), lines
    text = "\n".join(lines)
    assert "models.cuba_cell.params.tau_refrac: tau_refrac of 50 steps: NIR neurons have no refractory period" in text
    assert "tau_syn_inh differs from tau_syn_exc" in text and "populations.exc.initial.v: initial v" in text
    assert len(lines) == 4, "a model shared by two populations is reported once"
    stimuli = load_spec(SPECS / "stimuli_tour.yaml")
    messages = [p.message for p in nir_export.check(stimuli)]
    assert any("NIR has no current sources" in m for m in messages)
    alpha = load_spec(SPECS / "conformance" / "alpha_psc_trace.yaml")
    assert any("model type lif_curr_alpha: NIR has no node for it" in p.message for p in nir_export.check(alpha))


def test_export_and_import_on_the_command_line(tmp_path):
    spec = SPECS / "nir_lif.yaml"
    out = subprocess.run([SNNRUN, "export", str(spec), "--to", "nir", "-o", str(tmp_path / "lif.nir")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    back = subprocess.run([SNNRUN, "import", str(tmp_path / "lif.nir"), "-o", str(tmp_path / "lif.yaml"),
                           "--dt", "0.1 ms"], capture_output=True, text=True)
    assert back.returncode == 0, back.stderr
    assert back.stdout.startswith(f"{tmp_path / 'lif.yaml'}: valid (snnrun 1.0, 2 populations, 1 projections)")
    original = load_spec(spec)
    assert same_arrays(instantiate(original), instantiate(load_spec(tmp_path / "lif.yaml")), rtol=RTOL,
                       sources_as_trains=True) == []
    refused = subprocess.run([SNNRUN, "import", str(tmp_path / "lif.nir"), "-o", str(tmp_path / "x.yaml"),
                              "--dt", "0.1 mV"], capture_output=True, text=True)
    assert refused.returncode == ExitCode.USAGE and "0.1 mV" in refused.stderr


FRAMEWORK_EXPORT = {
    "snntorch": """
        import torch, snntorch as snn, nir
        from snntorch.export_nir import export_to_nir
        torch.manual_seed(0)
        full = lambda n, x: torch.full((n,), x)  # per-neuron values: the exporter writes their shapes
        net = torch.nn.Sequential(torch.nn.Linear(6, 4), snn.Leaky(beta=full(4, 0.95), threshold=full(4, 1.0), init_hidden=True),
                                  torch.nn.Linear(4, 3), snn.Synaptic(alpha=full(3, 0.9), beta=full(3, 0.95),
                                                                      threshold=full(3, 1.0), init_hidden=True, output=True))
        with torch.no_grad():
            net[0].weight.uniform_(0.5, 1.0); net[2].weight.uniform_(0.5, 1.0)
        nir.write(PATH, export_to_nir(net, torch.zeros(6)))
    """,
    "norse": """
        import torch, nir, norse.torch as norse
        torch.manual_seed(0)
        net = norse.SequentialState(torch.nn.Linear(6, 4, bias=False),
                                    norse.LIFBoxCell(norse.LIFBoxParameters(tau_mem_inv=torch.full((4,), 50.0),
                                                                            v_th=torch.ones(4), v_leak=torch.zeros(4))))
        with torch.no_grad():
            net[0].weight.uniform_(0.5, 1.0)
        nir.write(PATH, norse.to_nir(net, torch.zeros(6), dt=1e-4))
    """,
}


@pytest.mark.parametrize("framework", sorted(FRAMEWORK_EXPORT))
def test_a_graph_from_the_frameworks_own_exporter_imports_and_runs_on_the_reference(framework, tmp_path):
    path = tmp_path / f"{framework}.nir"
    code = textwrap.dedent(FRAMEWORK_EXPORT[framework]).replace("PATH", repr(str(path)))
    made = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    graph = nir.read(str(path))
    imported = nir_import.import_nir(graph, name=framework, dt=1e-4, duration=0.2, input_rate=200.0)
    spec = load_spec(imported.write(tmp_path / f"{framework}.yaml"))
    neurons = {name: pop for name, pop in spec.populations.items() if pop.model.type != "poisson"}
    assert len(neurons) == (2 if framework == "snntorch" else 1)
    # the numbers are the graph's, read in the gauge k = 1: tau_m = tau, cm = tau / r, v_rest = v_leak
    node = next(n for n in graph.nodes.values() if type(n).__name__ == "LIF")
    pop = instantiate(spec).populations[next(n for n, p in neurons.items() if p.model.type == "lif_curr_delta")]
    np.testing.assert_allclose(pop.params["tau_m"], np.asarray(node.tau, float).ravel(), rtol=1e-7)
    np.testing.assert_allclose(pop.params["cm"], (np.asarray(node.tau, float) / np.asarray(node.r, float)).ravel(), rtol=1e-7)
    np.testing.assert_allclose(pop.params["v_thresh"], np.asarray(node.v_threshold, float).ravel(), rtol=1e-7)
    output = run_reference(spec)
    assert sum(output.spikes[name][0].size for name in neurons) > 0, "the imported network runs and spikes"
