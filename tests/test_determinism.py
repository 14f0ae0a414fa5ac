"""The same spec and seed give the same instance and the same spikes, in this process and in others;
each element draws from its own stream, so adding an element does not reshuffle the others' draws."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np

from conftest import SPECS, run_reference
from snnrun.instance import instantiate
from snnrun.schema.loader import load_spec

FINGERPRINT = """
import hashlib, sys
import numpy as np
from snnrun.schema.loader import load_spec
from snnrun.instance import instantiate
from snnrun.adapters.reference.adapter import ReferenceAdapter
spec = load_spec(sys.argv[1])
out = ReferenceAdapter().run(instantiate(spec))
h = hashlib.sha256()
for name in sorted(out.spikes):
    ids, times = out.spikes[name]
    h.update(name.encode()); h.update(ids.tobytes()); h.update(times.tobytes())
print(h.hexdigest())
"""


def _fingerprint(output) -> str:
    h = hashlib.sha256()
    for name in sorted(output.spikes):
        ids, times = output.spikes[name]
        h.update(name.encode())
        h.update(ids.tobytes())
        h.update(times.tobytes())
    return h.hexdigest()


def test_same_spikes_twice_and_in_two_processes():
    spec_path = SPECS / "poisson_population.yaml"
    here = {_fingerprint(run_reference(load_spec(spec_path))) for _ in range(2)}
    assert len(here) == 1
    others = {subprocess.run([sys.executable, "-c", FINGERPRINT, str(spec_path)], capture_output=True, text=True,
                             check=True).stdout.strip() for _ in range(2)}
    assert others == here


def test_cuba_instance_is_identical_across_draws():
    a, b = (instantiate(load_spec(SPECS / "cuba.yaml")) for _ in range(2))
    for name in a.projections:
        np.testing.assert_array_equal(a.projections[name].pre, b.projections[name].pre)
        np.testing.assert_array_equal(a.projections[name].post, b.projections[name].post)
    np.testing.assert_array_equal(a.populations["exc"].initial["v"], b.populations["exc"].initial["v"])


def test_another_seed_gives_another_instance(make_spec):
    text = (SPECS / "poisson_population.yaml").read_text()
    a = instantiate(make_spec(text, "a.yaml"))
    b = instantiate(make_spec(text.replace("seed: 7", "seed: 8"), "b.yaml"))
    assert not np.array_equal(a.populations["drive"].spikes.steps, b.populations["drive"].spikes.steps)


def test_adding_a_population_does_not_reshuffle_other_draws(make_spec):
    text = (SPECS / "poisson_population.yaml").read_text()
    extra = text.replace("populations:\n", "populations:\n  aaa_first:\n    size: 50\n"
                                          "    model: {type: poisson, params: {rate: 5 Hz}}\n", 1)
    a = instantiate(make_spec(text, "a.yaml"))
    b = instantiate(make_spec(extra, "b.yaml"))
    assert "aaa_first" in b.populations
    np.testing.assert_array_equal(a.populations["drive"].spikes.steps, b.populations["drive"].spikes.steps)
    np.testing.assert_array_equal(a.projections["input"].pre, b.projections["input"].pre)
    np.testing.assert_array_equal(a.projections["input"].weight, b.projections["input"].weight)
    np.testing.assert_array_equal(a.populations["cells"].initial["v"], b.populations["cells"].initial["v"])
