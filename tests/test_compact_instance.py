"""The compact drawn instance: int32 indices, delays in the smallest integer type, one value stored once
for uniform weights and delays, drawn in chunks. The oracle is the earlier int64 drawing kept verbatim
in tests/legacy_connectivity.py (and the earlier weight and delay formulas, written out here): the same
seed must give the very same synapses, weights and delays."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import legacy_connectivity as legacy
from snnrun import connectivity
from snnrun.instance import draw_value, instantiate
from snnrun.random_streams import stream
from snnrun.schema.model import Connect

CASES = [
    ("fixed_probability", dict(p=0.05), 300, 200, False),
    ("fixed_probability", dict(p=0.05, allow_self=False), 300, 300, True),
    ("fixed_probability", dict(p=0.5), 100, 80, False),  # p >= 1/3: numpy's geometric draws by search
    ("fixed_probability", dict(p=1.0, allow_self=False), 30, 30, True),
    ("fixed_total", dict(n=5000, multapses=True), 200, 150, False),
    ("fixed_total", dict(n=5000, multapses=True, allow_self=False), 200, 200, True),
    ("fixed_total", dict(n=3000), 200, 150, False),
    ("fixed_total", dict(n=3000, allow_self=False), 100, 100, True),
    ("fixed_indegree", dict(n=20), 300, 200, False),
    ("fixed_indegree", dict(n=20, allow_self=False), 300, 300, True),
    ("fixed_indegree", dict(n=20, multapses=True, allow_self=False), 300, 300, True),
    ("fixed_indegree", dict(n=30), 2000, 1200, False),  # rows x pool > 2e6: one choice per row
    ("fixed_indegree", dict(n=30, allow_self=False), 1500, 1500, True),
    ("fixed_outdegree", dict(n=25), 200, 300, False),
    ("fixed_outdegree", dict(n=25, allow_self=False, multapses=True), 300, 300, True),
    ("fixed_outdegree", dict(n=10), 1500, 1500, False),
    ("all_to_all", dict(allow_self=False), 40, 40, True),
    ("one_to_one", dict(), 40, 40, False),
    ("from_list", dict(pairs=((3, 1), (0, 2), (3, 0), (1, 1))), 4, 3, False),
]


@pytest.mark.parametrize("chunk", [connectivity.CHUNK, 777])  # 777: many chunk boundaries
@pytest.mark.parametrize("rule,kwargs,n_pre,n_post,same", CASES)
def test_compact_drawing_gives_the_earlier_synapses(monkeypatch, chunk, rule, kwargs, n_pre, n_post, same):
    monkeypatch.setattr(connectivity, "CHUNK", chunk)
    connect = Connect(rule, **kwargs)
    pre, post = connectivity.draw_connectivity(connect, n_pre, n_post, same, np.random.default_rng(11))
    old_pre, old_post = legacy.draw_connectivity(connect, n_pre, n_post, same, np.random.default_rng(11))
    assert pre.dtype == np.int32 and post.dtype == np.int32
    assert pre.size > 0
    np.testing.assert_array_equal(pre, old_pre)
    np.testing.assert_array_equal(post, old_post)


def test_int64_indices_only_where_int32_does_not_fit():
    assert connectivity.index_type(2**31 - 1, 10) == np.int32
    assert connectivity.index_type(10, 2**31) == np.int64


SPEC = """
snnrun: "1.0"
name: compact
seed: 5
simulation: {duration: 10 ms, dt: 0.1 ms}
populations:
  a: {size: 300, model: {type: lif_curr_exp}}
  b: {size: 200, model: {type: lif_curr_exp}}
projections:
  uniform: {pre: a, post: b, connect: {rule: fixed_indegree, n: 30}, synapse: {weight: 20 pA, delay: 1.5 ms}}
  drawn: {pre: b, post: a, connect: {rule: fixed_probability, p: 0.1},
          synapse: {receptor: inh, weight: {distribution: normal, mean: -50 pA, std: 5 pA},
                    delay: {distribution: normal, mean: 8 ms, std: 4 ms, clip: [0.1 ms, 30 ms]}}}
  chosen: {pre: a, post: a, connect: {rule: fixed_total, n: 4000, multapses: true},
           synapse: {weight: {distribution: uniform, low: 1 pA, high: 5 pA},
                     delay: {distribution: choice, values: [0.1 ms, 0.5 ms, 2 ms]}}}
"""


def test_weights_and_delays_are_the_earlier_values_in_compact_types(make_spec, monkeypatch):
    monkeypatch.setattr("snnrun.instance._CHUNK", 333)  # several chunks per projection
    spec = make_spec(SPEC)
    inst = instantiate(spec)
    for name, proj in inst.projections.items():
        syn = spec.projections[name].synapse
        n = proj.size
        # the earlier formulas: one draw of n values, delays rounded to steps, at least one
        weight = draw_value(syn.weight, n, stream(spec.seed, "projections", name, "weight"))
        delay = draw_value(syn.delay, n, stream(spec.seed, "projections", name, "delay"))
        steps = np.maximum(1, np.rint(delay / inst.dt)).astype(np.int64)
        np.testing.assert_array_equal(proj.weight, weight, err_msg=name)
        np.testing.assert_array_equal(proj.delay_steps, steps, err_msg=name)
    uniform, drawn, chosen = (inst.projections[k] for k in ("uniform", "drawn", "chosen"))
    # one value stored once: a broadcast, no memory per synapse, read-only
    assert uniform.weight.strides == (0,) and uniform.delay_steps.strides == (0,)
    assert not uniform.weight.flags.writeable
    assert uniform.delay_steps.dtype == np.int8 and int(uniform.delay_steps[0]) == 15
    assert drawn.delay_steps.dtype == np.int16 and drawn.delay_steps.max() > 127  # up to 300 steps
    assert chosen.delay_steps.dtype == np.int8
    assert drawn.weight.dtype == np.float64 and drawn.weight.strides == (8,)


def test_pickled_instance_keeps_uniform_arrays_compact(make_spec):
    inst = instantiate(make_spec(SPEC))
    blob = pickle.dumps(inst)
    back = pickle.loads(blob)
    uniform = back.projections["uniform"]
    assert uniform.weight.strides == (0,) and uniform.weight.size == inst.projections["uniform"].size
    np.testing.assert_array_equal(uniform.weight, inst.projections["uniform"].weight)
    np.testing.assert_array_equal(back.projections["drawn"].delay_steps, inst.projections["drawn"].delay_steps)
    # the uniform projection's 6000 synapses add no 8-byte weights and delays to the pickle
    full = sum(p.size * 20 for p in inst.projections.values())  # 2 x int32 + float64 + int64 per synapse
    assert len(blob) < full
