"""The shared translation type (snnrun.adapters.translation) and the coverage every adapter owes it:
every parameter and state variable of every catalogue model is translated or declared unsupported with
a reason, per adapter, and a test fails when the catalogue grows without a decision."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from snnrun.adapters.registry import get_adapter, known_backends
from snnrun.adapters.translation import SI, Rule, Translation, Units, Weight, rename, undecided
from snnrun.schema import catalogue as cat
from snnrun.schema.units import Dimension

UNITS = Units.of_symbols("test", ("ms", "mV", "nA", "nF"), {"1": (1.0, Dimension.DIMENSIONLESS),
                                                             "1/A": (1.0, None)})


# -- the type ----------------------------------------------------------------------------------------------
def test_scales_come_from_the_declared_units():
    assert UNITS.si("ms") == 1e-3 and UNITS.si("nA") == 1e-9 and UNITS.dimension("nF") == Dimension.CAPACITANCE
    rule = rename("tau_m", "tau_m", "ms")
    assert rule.apply(UNITS, {"tau_m": np.array([0.02])})[0] == pytest.approx(20.0)
    assert rule.unapply(UNITS, np.array([20.0]))[0] == pytest.approx(0.02)
    # a unit of SI value 1 leaves the value as it is, dtype included (an integer step count stays one)
    steps = Rule("steps", "1", ("tau_refrac", "dt"), forward=lambda t, dt: np.rint(t / dt).astype(np.int64))
    out = steps.apply(UNITS, {"tau_refrac": np.array([2e-3]), "dt": 1e-4})
    assert out.dtype == np.int64 and out.tolist() == [20]


def test_computed_rules_and_their_reverse():
    """PyNN's g_leak = cm / tau_m as a callable in SI, expressed in the declared unit (uS), and back."""
    units = Units.of_symbols("test", ("uS", "nF", "ms"))
    g_leak = Rule("g_leak", "uS", ("tau_m", "cm"), forward=lambda tau_m, cm: cm / tau_m,
                  reverse=lambda g, cm: cm / g, doc="g_leak = cm / tau_m")
    values = {"tau_m": np.array([0.02, 0.01]), "cm": np.array([1e-9, 0.2e-9])}
    g = g_leak.apply(units, values)
    np.testing.assert_allclose(g, [0.05, 0.02], rtol=1e-15)  # 1 nF / 20 ms = 50 nS = 0.05 uS
    np.testing.assert_allclose(g_leak.unapply(units, g, values), values["tau_m"], rtol=1e-15)
    with pytest.raises(ValueError, match="no reverse"):
        Rule("gain", "1/A", ("cm", "tau_m"), forward=lambda cm, tau_m: tau_m / cm).unapply(UNITS, 1.0, values)


def test_malformed_tables_are_refused():
    with pytest.raises(ValueError, match="exactly one input"):
        Rule("x", "ms", ("a", "b"))
    with pytest.raises(ValueError, match="same target"):
        Translation("m", "M", UNITS, params=(rename("a", "x", "ms"), rename("b", "x", "ms")))
    with pytest.raises(ValueError, match="unknown to test"):
        Translation("m", "M", UNITS, params=(rename("a", "x", "furlong"),))


def test_weights_are_converted_then_scaled_per_post_neuron():
    weight = Weight("y", "nA", ("tau_syn_exc",), factor=lambda tau: np.e / tau)
    table = Translation("lif_curr_alpha", "M", UNITS, weights={"exc": weight})
    tau = np.array([1e-3, 2e-3])
    out = table.weight_values("exc", np.array([1e-9, 1e-9, 2e-9]), np.array([0, 1, 1]), {"tau_syn_exc": tau})
    np.testing.assert_allclose(out, [np.e / 1e-3, np.e / 2e-3, 2 * np.e / 2e-3], rtol=1e-15)


def test_undecided_names_every_gap():
    mtype = cat.MODELS["lif_curr_exp"]
    lif = ("cm", "tau_m", "v_rest", "v_thresh", "v_reset", "tau_refrac")  # i_offset and tau_syn_* left out
    table = Translation(
        "lif_curr_exp", "M", SI,
        params=tuple(rename(p, p, {"cm": "F"}.get(p, "s" if p.startswith("tau") else "V")) for p in lif)
        + (rename("tau_syn_exc", "tau_e", "V"),),  # wrong dimension
        state=(Rule("x", "1", ("v", "v_reset"), forward=lambda v, r: v - r),),  # no way back
        unsupported={"tau_syn_inh": "no second receptor", "bogus": "not a name of the model"},
        weights={"exc": Weight("w", "A")})
    problems = table.undecided(mtype)
    assert "parameter i_offset: neither translated nor declared unsupported" in problems
    assert "state variable i_syn_exc: neither translated nor declared unsupported" in problems
    assert "state variable v: its rule x has no reverse" in problems
    assert "bogus: not a parameter or state variable of lif_curr_exp" in problems
    assert "tau_syn_exc -> tau_e: unit V is not a time" in problems
    assert "weights onto inh: not translated" in problems
    assert len(problems) == 7, problems  # and i_syn_inh


# -- every adapter, every catalogue model ------------------------------------------------------------------
@pytest.mark.parametrize("backend", known_backends())
def test_every_catalogue_name_is_decided_on_every_adapter(backend):
    """Claimed models: every parameter and state variable translated, nothing unsupported, every
    recordable readable back. Unclaimed ones: an explicit reason, and a complete table if one exists."""
    adapter = get_adapter(backend)
    assert undecided(adapter.capabilities, adapter.translations) == []


GROWN_CATALOGUE = """
import dataclasses, json
from snnrun.schema import catalogue as cat
from snnrun.schema.units import Dimension
# the catalogue grows before any adapter is imported, as an edit of catalogue.py would make it
exp, poisson = cat.MODELS["lif_curr_exp"], cat.MODELS["poisson"]
cat.MODELS["lif_curr_new"] = dataclasses.replace(exp, name="lif_curr_new")
cat.MODELS["lif_curr_exp"] = dataclasses.replace(
    exp, params={**exp.params, "v_extra": cat.Param(Dimension.VOLTAGE, "0 mV", "new")},
    state={**exp.state, "w_extra": Dimension.CURRENT})
cat.MODELS["poisson"] = dataclasses.replace(
    poisson, params={**poisson.params, "jitter": cat.Param(Dimension.TIME, "0 ms", "new")})
from snnrun.adapters.registry import get_adapter, known_backends
from snnrun.adapters.translation import undecided
out = {}
for name in known_backends():
    adapter = get_adapter(name)
    out[name] = undecided(adapter.capabilities, adapter.translations)
print(json.dumps(out))
"""


def test_a_grown_catalogue_fails_without_a_decision():
    """A model, a parameter, a state variable and a source parameter added to the catalogue with no
    decision in any adapter: every adapter reports each (in a fresh process, so the adapters' tables
    and capabilities are built from the grown catalogue, as after a real edit)."""
    result = subprocess.run([sys.executable, "-c", GROWN_CATALOGUE], capture_output=True, text=True, check=True)
    found = json.loads(result.stdout)
    assert set(found) == set(known_backends())
    for backend, problems in found.items():
        assert "lif_curr_new: neither implemented nor declared unsupported with a reason" in problems, backend
        assert "lif_curr_exp: parameter v_extra: neither translated nor declared unsupported" in problems, backend
        assert "lif_curr_exp: state variable w_extra: neither translated nor declared unsupported" in problems, backend
        assert "poisson: parameter jitter: neither translated nor declared unsupported" in problems, backend
