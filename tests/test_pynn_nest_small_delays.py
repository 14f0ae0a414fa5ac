"""Regression (issue 14, item 2): on pynn:nest, when every delay of a spec is below 1 ms, recording the
spikes of a spike_array source, or v of a lif_curr_delta neuron, failed with ``BadDelay: Default delay of
'static_synapse' must be between min_delay 0.1 and max_delay 0.1`` (exit 5): the recorder's and the
multimeter's connections took static_synapse's default delay of 1 ms. The smallest case of the issue,
run on pynn:nest in a worker and checked against the reference engine."""

from __future__ import annotations

import numpy as np

from conftest import assert_same_spikes, run_reference
from snnrun.adapters.registry import get_adapter
from snnrun.instance import instantiate
from snnrun.worker import run_isolated

SMALLEST = """
snnrun: "1.0"
name: small_delays
simulation: {duration: 20 ms, dt: 0.1 ms}
populations:
  src: {size: 2, model: {type: spike_array, params: {spike_times: [[1 ms, 5 ms], [2 ms]]}}}
  cells: {size: 2, model: {type: lif_curr_delta}}
projections:
  p: {pre: src, post: cells, connect: {rule: one_to_one}, synapse: {weight: 20 mV, delay: 0.1 ms}}
record:
  - {population: src, variable: spikes}
  - {population: cells, variable: spikes}
  - {population: cells, variable: v}
"""


def test_every_delay_below_1_ms_records_source_spikes_and_delta_v_on_nest(make_spec):
    spec = make_spec(SMALLEST)
    ref = run_reference(spec)
    out = run_isolated(get_adapter("pynn:nest"), instantiate(spec), timeout=300)
    assert_same_spikes(ref, out, "pynn:nest")
    assert out.spikes["cells"][0].size == 3  # each 20 mV jump from rest (15 mV below threshold) fires
    ref_v, nest_v = ref.traces[("cells", "v")], out.traces[("cells", "v")]
    # the same exact integration on the grid: equal to rounding (semantics.md, pynn:nest)
    np.testing.assert_allclose(nest_v.values, ref_v.values, rtol=0, atol=1e-12)
