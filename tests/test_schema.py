"""The published JSON Schema, the model catalogue and the unit table agree with each other."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest

from conftest import ROOT, SPECS
from snnrun.numerics.initial import DERIVED
from snnrun.schema import catalogue as cat
from snnrun.schema.units import Dimension, UnitError, expect_dimension, format_quantity, parse_quantity
from snnrun.schema.yaml_loader import load_yaml


def test_schema_is_valid_draft_2020_12():
    schema = json.loads((ROOT / "schema" / "snnrun-spec-v1.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")


@pytest.mark.parametrize("spec", sorted(SPECS.glob("**/*.yaml")), ids=lambda p: p.name)
def test_example_specs_are_schema_valid(spec):
    schema = json.loads((ROOT / "schema" / "snnrun-spec-v1.schema.json").read_text())
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(load_yaml(spec).data))
    assert errors == []


@pytest.mark.parametrize("model", sorted(cat.MODELS))
def test_every_default_has_the_dimension_its_parameter_needs(model):
    for name, param in cat.MODELS[model].params.items():
        if param.default is None or param.kind != "value":
            continue
        expect_dimension(param.default, param.dimension)  # raises on a mismatch
    for var, default in cat.MODELS[model].initial.items():
        if isinstance(default, cat.Derived):  # computed by the model, which must say how
            assert var in DERIVED[model]({k: np.zeros(1) for k in cat.MODELS[model].params}, {"v": np.zeros(1)})
            continue
        if default not in cat.MODELS[model].params:
            expect_dimension(default, cat.MODELS[model].state[var])


def test_every_model_type_and_stimulus_is_in_the_schema():
    schema = json.loads((ROOT / "schema" / "snnrun-spec-v1.schema.json").read_text())
    assert set(schema["$defs"]["model"]["properties"]["type"]["enum"]) == set(cat.MODELS)
    assert set(schema["$defs"]["stimulus"]["properties"]["type"]["enum"]) == set(cat.STIMULI)


@pytest.mark.parametrize("text,value,dim", [
    ("20 ms", 0.02, Dimension.TIME), ("-65 mV", -0.065, Dimension.VOLTAGE), ("16.2 pA", 16.2e-12, Dimension.CURRENT),
    ("0.2 nF", 2e-10, Dimension.CAPACITANCE), ("6 nS", 6e-9, Dimension.CONDUCTANCE), ("10 Hz", 10.0, Dimension.FREQUENCY),
    ("1e-3 s", 1e-3, Dimension.TIME), ("5 µA", 5e-6, Dimension.CURRENT), (0.5, 0.5, Dimension.DIMENSIONLESS),
])
def test_quantities(text, value, dim):
    parsed, found = parse_quantity(text)
    assert found is dim and parsed == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text", ["9**9**9 ms", "20", "ms", "20 mss", "1e999 ms", "x" * 100, True, None, "20 m s"])
def test_malformed_quantities_are_refused(text):
    with pytest.raises(UnitError):
        expect_dimension(text, Dimension.TIME)


def test_wrong_dimension_names_both():
    with pytest.raises(UnitError, match=r"expected a time .*got '20 mV' \(a voltage\)"):
        expect_dimension("20 mV", Dimension.TIME)
    assert format_quantity(0.02, Dimension.TIME) == "20 ms"


def test_models_doc_is_generated_from_the_catalogue():
    from snnrun.schema.docs import models_markdown
    assert (ROOT / "docs" / "models.md").read_text() == models_markdown()
