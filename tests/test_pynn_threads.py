"""pynn:nest with several NEST threads (``simulation.options.pynn:nest.threads``), on the real NEST.

What is asserted, and why (semantics.md, "pynn", threads):
- the thread count reaches NEST (the manifest's ``parallel.threads`` is read back from NEST's kernel);
- two runs with the same thread count give identical spikes and traces (NEST's update and delivery
  order is fixed for a fixed count, and snnrun draws every random number itself);
- with 2 threads the spike steps equal the reference engine's (an independent implementation): the
  thread split loses or duplicates no synapse, source or recording. Threads may reorder the additions of
  three or more inputs reaching one neuron in one step (a rounding-level difference, measured 3.5e-17 V
  on a synchronous network); on specs/cuba_parallel.yaml nothing differs (measured 0 V), so v is
  asserted to 1e-12 V against the 1-thread run, the bound used for exact backends elsewhere.
Each run goes through ``execute``, which runs NEST in a forked worker of its own.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SPECS, run_reference
from snnrun.execute import execute
from snnrun.schema.loader import load_spec

SPEC = SPECS / "cuba_parallel.yaml"

pytestmark = pytest.mark.slow


def _run_nest(threads: int, out):
    spec = load_spec(SPEC, overrides={"simulation.options": {"pynn:nest": {"threads": threads}}})
    return execute(spec, backend="pynn:nest", out=out).results["pynn:nest"]


def _spike_table(results):
    return results.spikes.sort_values(["population", "time", "neuron"]).reset_index(drop=True)


def test_two_runs_with_two_threads_are_identical_and_the_manifest_says_two(tmp_path):
    first, second = _run_nest(2, tmp_path / "a"), _run_nest(2, tmp_path / "b")
    assert first.manifest["parallel"] == {"threads": 2} == second.manifest["parallel"]
    a, b = _spike_table(first), _spike_table(second)
    assert len(a) > 500, "the network must be active for the comparison to mean anything"
    assert a.equals(b)
    np.testing.assert_array_equal(first.traces[("exc", "v")].values, second.traces[("exc", "v")].values)


def test_two_threads_give_the_reference_engines_spikes_and_the_one_thread_trace(tmp_path):
    two, one = _run_nest(2, tmp_path / "two"), _run_nest(1, tmp_path / "one")
    assert one.manifest["parallel"] == {"threads": 1}
    reference = run_reference(load_spec(SPEC))
    for pop in ("exc", "inh"):
        ids, times = reference.spikes[pop]
        got = _spike_table(two)
        got = got[got["population"] == pop]
        # both stamp at the step's end: compare steps, exactly
        np.testing.assert_array_equal(np.rint(got["time"].to_numpy() / 1e-4).astype(np.int64),
                                      np.rint(times / 1e-4).astype(np.int64), err_msg=pop)
        np.testing.assert_array_equal(got["neuron"].to_numpy(), ids, err_msg=pop)
    np.testing.assert_allclose(two.traces[("exc", "v")].values, one.traces[("exc", "v")].values, rtol=0, atol=1e-12)
