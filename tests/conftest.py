"""Shared helpers: build specs from YAML text, run them on the reference engine in-process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from snnrun.adapters.reference.adapter import ReferenceAdapter
from snnrun.instance import instantiate
from snnrun.schema.loader import load_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


def spec_from_text(text: str, tmp_path: Path, name: str = "spec.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_spec(path)


def run_reference(spec):
    """Draw the instance and run it on the reference engine; return the RunOutput."""
    return ReferenceAdapter().run(instantiate(spec))


def assert_same_spikes(ref, other, backend: str = "the backend"):
    """Two RunOutputs hold exactly the same spikes: same populations, neuron ids and stamps (the very same
    floats, (step + 1) dt on both sides), in snnrun's dtypes (int64 ids, float64 seconds)."""
    assert set(ref.spikes) == set(other.spikes)
    for pop, (ids, times) in ref.spikes.items():
        o_ids, o_times = other.spikes[pop]
        assert o_ids.dtype == np.int64 and o_times.dtype == np.float64, pop
        assert o_ids.size == ids.size, f"{pop}: {o_ids.size} spikes on {backend}, {ids.size} on the reference"
        np.testing.assert_array_equal(o_ids, ids, err_msg=f"{pop}: neuron ids differ")
        np.testing.assert_array_equal(o_times, times, err_msg=f"{pop}: spike stamps differ")


def lif_spec(current_na, dt_ms: float = 0.1, tau_refrac_ms: float = 2.0, duration: str = "1 s",
             record_v: bool = False) -> str:
    """Isolated lif_curr_exp neurons (cm 1 nF, tau_m 20 ms, rest = reset -65 mV, threshold -50 mV, so a
    rheobase of 0.75 nA), one per constant current in nA; optionally v recorded every step."""
    values = ", ".join(str(c) for c in current_na)
    record = (f"record:\n  - {{population: cells, variable: spikes}}\n"
              f"  - {{population: cells, variable: v, interval: {dt_ms} ms}}\n") if record_v else ""
    return f"""
snnrun: "1.0"
name: fi
simulation: {{duration: {duration}, dt: {dt_ms} ms}}
populations:
  cells:
    size: {len(current_na)}
    model:
      type: lif_curr_exp
      params: {{cm: 1 nF, tau_m: 20 ms, v_rest: -65 mV, v_reset: -65 mV, v_thresh: -50 mV,
               tau_refrac: {tau_refrac_ms} ms}}
    params: {{i_offset: {{values: [{values}], unit: nA}}}}
{record}"""


def psp_spec(model: str, weight: str, tau_syn_ms: float, receptor: str = "exc", delay: str = "1 ms",
             spike_times: str = "[10 ms]") -> str:
    """One cell (cm 0.25 nF, tau_m 20 ms, rest -70 mV, threshold 0 mV: never fires) receiving the spikes
    of one spike_array source through one synapse; spikes of both, v and the synaptic current recorded
    every step (dt 0.1 ms, 100 ms)."""
    syn = f", tau_syn_exc: {tau_syn_ms} ms, tau_syn_inh: {tau_syn_ms} ms" if model != "lif_curr_delta" else ""
    record_i = (f"  - {{population: cell, variable: i_syn_{receptor}, interval: 0.1 ms}}\n"
                if model != "lif_curr_delta" else "")
    return f"""
snnrun: "1.0"
name: psp
simulation: {{duration: 100 ms, dt: 0.1 ms}}
populations:
  src:
    size: 1
    model: {{type: spike_array, params: {{spike_times: {spike_times}}}}}
  cell:
    size: 1
    model:
      type: {model}
      params: {{cm: 0.25 nF, tau_m: 20 ms, v_rest: -70 mV, v_reset: -70 mV, v_thresh: 0 mV{syn}}}
projections:
  input: {{pre: src, post: cell, connect: {{rule: all_to_all}},
           synapse: {{receptor: {receptor}, weight: {weight}, delay: {delay}}}}}
record:
  - {{population: cell, variable: spikes}}
  - {{population: src, variable: spikes}}
  - {{population: cell, variable: v, interval: 0.1 ms}}
{record_i}"""


@pytest.fixture
def make_spec(tmp_path):
    def make(text: str, name: str = "spec.yaml"):
        return spec_from_text(text, tmp_path, name)
    return make


from snnrun.adapters.reference.adapter import ReferenceAdapter as _Reference  # noqa: E402


class WorkerReference(_Reference):
    """The reference engine run in a worker process under another name: a second backend for tests of
    multi-backend runs (registered through monkeypatch on snnrun.adapters.registry.ADAPTERS)."""

    name = "pynn:nest"
    isolate = True
