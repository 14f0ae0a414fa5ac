"""The typed spec and the drawn instance are picklable and self-contained, so any executor (fork,
spawn, a Dask worker) can ship them; FrozenMap keeps dict equality and a hash that agrees with it."""

from __future__ import annotations

import copy
import multiprocessing
import pickle
from pathlib import Path

import numpy as np
import pytest

from snnrun import instantiate, load_spec
from snnrun.adapters.registry import get_adapter
from snnrun.schema.model import FrozenMap

SPECS = Path(__file__).resolve().parent.parent / "specs"
ALL_SPECS = sorted(SPECS.glob("*.yaml")) + sorted((SPECS / "conformance").glob("*.yaml"))


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: p.stem)
def test_every_example_spec_pickles_to_an_equal_spec_with_the_same_hash(path):
    spec = load_spec(path)
    back = pickle.loads(pickle.dumps(spec))
    assert back == spec and hash(back) == hash(spec)
    assert copy.deepcopy(spec) == spec
    assert load_spec(path) == spec and hash(load_spec(path)) == hash(spec)  # a second load is equal


def test_frozen_map_is_read_only_and_compares_like_a_dict():
    a = FrozenMap({"x": 1, "y": {"z": [1, 2]}})
    b = FrozenMap({"y": {"z": [1, 2]}, "x": 1})
    assert a == b and hash(a) == hash(b)  # order does not matter, nested lists hash
    assert a == {"x": 1, "y": {"z": [1, 2]}}
    assert a != FrozenMap({"x": 2, "y": {"z": [1, 2]}})
    with pytest.raises(TypeError):
        a["x"] = 2  # no item assignment
    source = {"k": 1}
    c = FrozenMap(source)
    source["k"] = 2  # a private copy: changing the source does not change the map
    assert c["k"] == 1
    assert pickle.loads(pickle.dumps(a)) == a


def _run_shipped(blob: bytes) -> dict:
    instance = pickle.loads(blob)
    return {k: (ids.tolist(), times.tolist()) for k, (ids, times) in get_adapter("reference").run(instance).spikes.items()}


def test_an_instance_shipped_alone_to_a_spawned_process_runs_to_the_same_spikes():
    """A spawned process has none of this process' state: what it needs is in the pickled instance."""
    spec = load_spec(SPECS / "poisson_population.yaml")
    instance = instantiate(spec)
    assert not hasattr(instance, "spec")
    assert (instance.name, instance.seed, instance.dt) == (spec.name, spec.seed, spec.simulation.dt)
    here = get_adapter("reference").run(instance).spikes
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        there = pool.apply(_run_shipped, (pickle.dumps(instance),))
    assert set(there) == set(here)
    for pop, (ids, times) in here.items():
        np.testing.assert_array_equal(np.asarray(there[pop][0]), ids)
        np.testing.assert_array_equal(np.asarray(there[pop][1]), times)
