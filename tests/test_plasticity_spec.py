"""Plasticity in the language: the typed rules of the IR (SI values, defaults), the problems the loader
reports (one line each, located), capability checks of the backends that do not run the rules, and the
rules in a saved instance."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import SPECS

from snnrun.adapters.base import Capabilities
from snnrun.adapters.registry import get_adapter, known_backends
from snnrun.instance import instantiate
from snnrun.schema.errors import SpecError
from snnrun.schema.loader import load_spec
from snnrun.schema.model import Stdp, TsodyksMarkram

BASE = """
snnrun: "1.0"
name: rules
simulation: {{duration: 10 ms, dt: 0.1 ms}}
populations:
  src: {{size: 4, model: {{type: poisson, params: {{rate: 10 Hz}}}}}}
  cells: {{size: 3, model: {{type: lif_cond_exp}}}}
projections:
  p:
    pre: src
    post: cells
    connect: {{rule: all_to_all}}
    synapse:
      weight: {weight}
      delay: 1 ms
{rules}
record:
{record}
{expect}"""
STDP = "      plasticity: {{rule: stdp, tau_plus: 20 ms, tau_minus: 30 ms, a_plus: 0.01, a_minus: 0.012, {extra}}}"
TM = "      short_term: {rule: tsodyks_markram, u: 0.2, tau_rec: 0.5 s}"


def spec_text(weight="1 nS", rules=None, record="  - {population: cells, variable: spikes}", expect="") -> str:
    rules = STDP.format(extra="w_max: 2 nS") if rules is None else rules
    return BASE.format(weight=weight, rules=rules, record=record, expect=expect)


def problems(make_spec, text) -> list[str]:
    with pytest.raises(SpecError) as info:
        make_spec(text)
    return [str(p) for p in info.value.problems]


def test_rules_are_typed_frozen_and_in_si_units(make_spec):
    spec = make_spec(spec_text(rules=STDP.format(extra="w_max: 2 nS") + "\n" + TM))
    rule = spec.projections["p"].synapse.plasticity
    assert rule == Stdp(tau_plus=0.02, tau_minus=0.03, a_plus=0.01, a_minus=0.012, w_max=2e-9, w_min=0.0,
                        weight_dependence="additive", pairing="all_to_all", dendritic_delay_fraction=1.0)
    assert spec.projections["p"].synapse.short_term == TsodyksMarkram(u=0.2, tau_rec=0.5, tau_facil=0.0)
    with pytest.raises(AttributeError):
        rule.a_plus = 1.0  # frozen
    assert rule.features() == ("stdp",)
    assert Stdp(0.02, 0.02, 0.01, 0.01, 1.0, pairing="nearest", weight_dependence="multiplicative",
                dendritic_delay_fraction=0.0).features() == ("stdp", "stdp:nearest", "stdp:multiplicative",
                                                             "stdp:axonal_delay")
    instance = instantiate(spec)
    assert instance.projections["p"].plasticity is rule
    assert pickle.loads(pickle.dumps(instance)).projections["p"].short_term == spec.projections["p"].synapse.short_term


@pytest.mark.parametrize("rules,weight,expected", [
    (STDP.format(extra="w_max: 2 mV"), "1 nS", "plasticity.w_max: expected a conductance (e.g. '6 nS'), got '2 mV' (a voltage)"),
    (STDP.format(extra="w_min: -1 nS, w_max: 2 nS"), "1 nS", "w_min must be >= 0"),
    (STDP.format(extra="w_min: 2 nS, w_max: 1 nS"), "1.5 nS", "w_max (1 nS) must be above w_min (2 nS)"),
    (STDP.format(extra="w_max: 2 nS").replace("tau_plus: 20 ms", "tau_plus: 0 ms"), "1 nS", "tau_plus: must be positive"),
    (STDP.format(extra="w_max: 2 nS"), "3 nS", "weight: the weights lie in [3 nS, 3 nS], outside the plasticity rule's"),
    (STDP.format(extra="w_max: 2 nS"), "{distribution: normal, mean: 1 nS, std: 0.1 nS}", "can lie outside"),
    (STDP.format(extra="w_max: 2 nS, dendritic_delay_fraction: 1.5"), "1 nS", "dendritic_delay_fraction"),
    ("      short_term: {rule: tsodyks_markram, u: 0.2, tau_rec: 0 s}", "1 nS", "tau_rec: must be positive"),
    ("      short_term: {rule: tsodyks_markram, u: 0.2, tau_rec: 1 s, tau_facil: -1 ms}", "1 nS", "tau_facil: must be >= 0"),
])
def test_bad_rules_are_one_located_line_each(make_spec, rules, weight, expected):
    found = problems(make_spec, spec_text(weight=weight, rules=rules))
    assert any(expected in p for p in found), found
    assert all(p.count("\n") == 0 and p.split(":")[1].isdigit() for p in found)  # file:line:col: path: ...


def test_recorded_and_expected_synapses_are_checked(make_spec, tmp_path):
    record = "  - {projection: p, variable: weight, interval: 1 ms, synapses: [0, 12]}"
    spec = make_spec(spec_text(record=record))
    with pytest.raises(SpecError, match=r"record\[0\]\.synapses: synapse index 12 is out of range: projection p "
                                        r"has 12 synapses \(indices 0 to 11\)"):
        instantiate(spec)
    found = problems(make_spec, spec_text(expect="expect:\n  - {projection: q, metric: weight, equals: 1 nS}"))
    assert any("expect[0].projection: unknown projection 'q'" in p for p in found), found
    found = problems(make_spec, spec_text(expect="expect:\n  - {projection: p, metric: rate, equals: 1 Hz}"))
    assert any("a projection's check is metric: weight" in p for p in found), found
    found = problems(make_spec, spec_text(expect="expect:\n  - {projection: p, metric: weight, synapses: [0, 1], "
                                                 "equals: [1 nS], tolerance: 1 pS}"))
    assert any("1 values for 2 synapses" in p for p in found), found
    found = problems(make_spec, spec_text(expect="expect:\n  - {population: cells, metric: value, variable: v, "
                                                 "neurons: [0], times: [1 ms], equals: [-65 mV]}"))
    assert any("v of cells neuron 0 is not recorded" in p for p in found), found


def test_backends_without_the_rules_refuse_them_with_reasons(make_spec):
    """Each backend runs what its capabilities claim and refuses the rest at the rule's own path, with
    the reason it declares (never the generic "not implemented" fallback)."""
    spec = make_spec(spec_text(rules=STDP.format(extra="w_max: 2 nS") + "\n" + TM,
                               record="  - {projection: p, variable: weight}"))
    assert get_adapter("reference").check(spec) == []
    synapse = ("projections", "p", "synapse")
    for name in known_backends():
        caps = get_adapter(name).capabilities
        found = {tuple(p.path): p.message for p in get_adapter(name).check(spec)}
        rule_problems = {path: msg for path, msg in found.items() if path[:3] == synapse}
        if {"stdp", "tsodyks_markram", "stdp+tsodyks_markram"} <= caps.plasticity:
            assert rule_problems == {}, name
        elif {"stdp", "tsodyks_markram"} <= caps.plasticity:
            # both rules, but not on one synapse (pynn:nest, pynn:neuron): refused as the combination
            (message,) = rule_problems.values()
            assert message.startswith("plasticity:stdp+tsodyks_markram: "), (name, message)
        else:
            assert found[synapse + ("plasticity",)].startswith("plasticity:stdp: "), name
            assert found[synapse + ("short_term",)].startswith("short_term:tsodyks_markram: "), name
        for message in rule_problems.values():
            assert not message.endswith(": not implemented"), (name, message)
        assert (("record", 0) in found) != caps.record_weights, name


def test_a_backend_with_stdp_but_not_a_variant_names_the_variant(make_spec):
    """Capabilities hold features: a backend with plain STDP refuses nearest pairing with that reason,
    and both rules on one synapse need their own feature."""
    from snnrun.adapters.base import _rule_problems
    spec = make_spec(spec_text(rules=STDP.format(extra="w_max: 2 nS, pairing: nearest") + "\n" + TM))
    caps = Capabilities(models=frozenset(), stimuli=frozenset(), plasticity=frozenset({"stdp", "tsodyks_markram"}),
                        reasons={"plasticity:stdp:nearest": "nearest pairing needs stdp_nn_symm_synapse"})
    found = _rule_problems(spec, ("projections", "p", "synapse"), spec.projections["p"].synapse, caps)
    assert [p.message for p in found] == ["plasticity:stdp:nearest: nearest pairing needs stdp_nn_symm_synapse"]
    spec = make_spec(spec_text(rules=STDP.format(extra="w_max: 2 nS") + "\n" + TM), name="both.yaml")
    found = _rule_problems(spec, ("projections", "p", "synapse"), spec.projections["p"].synapse, caps)
    assert [p.message for p in found] == ["plasticity:stdp+tsodyks_markram: not implemented"]


def test_the_saved_instance_keeps_the_rules(tmp_path):
    from snnrun.instance_io import read_instance, same_arrays, write_instance
    spec = load_spec(SPECS / "tsodyks_markram.yaml")
    instance = instantiate(spec)
    write_instance(instance, tmp_path / "inst")
    saved = read_instance(tmp_path / "inst")
    assert saved.projections["facilitating"].short_term == TsodyksMarkram(u=0.1, tau_rec=0.1, tau_facil=1.0)
    assert same_arrays(instance, saved) == []
    spec = load_spec(SPECS / "stdp_pairs.yaml")
    instance = instantiate(spec)
    write_instance(instance, tmp_path / "pairs")
    assert read_instance(tmp_path / "pairs").projections["plastic"].plasticity == spec.projections["plastic"].synapse.plasticity
    assert np.all(instance.projections["plastic"].weight == 0.5e-3)


def test_the_plasticity_conformance_cases_are_the_generators_output():
    """specs/conformance/stdp_*.yaml and tsodyks_markram_*.yaml come from tests/conformance/plasticity_cases.py
    (expectations from closed forms); regenerate them with its --write, never edit them."""
    import sys
    sys.path.insert(0, str(SPECS.parent / "tests" / "conformance"))
    import plasticity_cases
    for name, text in plasticity_cases.all_cases().items():
        assert (SPECS / "conformance" / f"{name}.yaml").read_text(encoding="utf-8") == text, name
