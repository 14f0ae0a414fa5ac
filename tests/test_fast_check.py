"""schema/fast_check.py against jsonschema, the oracle it stands in for: it may say "valid" only where
jsonschema does (a false "valid" would let a bad spec run), and it must say it for the repository's
valid specs (else the fast path would never be taken and the run would pay jsonschema's import)."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT
from snnrun.schema import fast_check, validate
from snnrun.schema.yaml_loader import load_yaml

SCHEMA = validate.schema()
STRICT = validate._validator()  # jsonschema with the spec language's strict pattern, as load_spec uses


def _documents():
    out = []
    for path in sorted(ROOT.glob("specs/*.yaml")) + sorted((ROOT / "tests").rglob("*.yaml")):
        try:
            out.append((path, load_yaml(path).data))
        except Exception:  # noqa: BLE001 - files that are not YAML mappings are the loader's tests
            continue
    return out


DOCUMENTS = _documents()


def _fast(data) -> bool:
    return fast_check.is_valid(data, SCHEMA, validate._strict_search)


def test_verdicts_on_every_spec_of_the_repository_are_jsonschemas():
    assert len(DOCUMENTS) > 40
    for path, data in DOCUMENTS:
        assert _fast(data) == STRICT.is_valid(data), path


# values a mutation puts somewhere: each JSON type, booleans next to 0 and 1, quantities, names
_VALUES = [None, True, False, 0, 1, 1.0, -1, 0.5, 1e300, "", "x", "5 ms", "-60 mV", "exc", "Exc", "a\n", [],
           [1], ["exc"], {}, {"x": 1}, {"distribution": "uniform"}]


def _mutate(data, rng: random.Random):
    """A copy of ``data`` with one mapping entry or list element deleted, replaced or added."""
    doc = copy.deepcopy(data)
    node, parents = doc, []
    while isinstance(node, (dict, list)) and node and rng.random() < 0.75:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        parents.append((node, key))
        node = node[key]
    if not parents:
        return doc
    parent, key = parents[-1]
    what = rng.random()
    if what < 0.3:
        del parent[key]
    elif what < 0.8 or isinstance(parent, list):
        parent[key] = copy.deepcopy(rng.choice(_VALUES))
    else:
        parent[rng.choice(["extra", "size", "type", "unit", "p", "weight", "x_1"])] = copy.deepcopy(rng.choice(_VALUES))
    return doc


@pytest.mark.parametrize("name", ["cuba.yaml", "coba.yaml", "stdp_pairs.yaml", "sweep_fi.yaml"])
def test_verdicts_on_mutated_specs_are_jsonschemas(name):
    """1500 mutants per spec (deterministic): every verdict equals jsonschema's; both kinds occur."""
    path = ROOT / "specs" / name
    if not path.is_file():
        pytest.skip(f"no {name}")
    base = load_yaml(path).data
    rng = random.Random(name)
    seen = set()
    for _ in range(1500):
        doc = _mutate(base, rng)
        want = STRICT.is_valid(doc)
        assert _fast(doc) == want, doc
        seen.add(want)
    assert seen == {True, False}


def test_json_semantics_of_the_keywords():
    """Where Python and JSON Schema disagree, jsonschema's (Draft 2020-12) answers."""
    schema = {"properties": {"n": {"type": "integer", "minimum": 0}, "c": {"const": 1},
                             "u": {"type": "array", "uniqueItems": True}}}
    for doc in ({"n": 1.0}, {"n": True}, {"c": True}, {"c": 1.0}, {"u": [1, 1.0]}, {"u": ["1", 1]},
                {"n": -0.5}, {"n": float("nan")}, {"n": float("inf")}):
        assert fast_check.is_valid(doc, schema) == jsonschema.Draft202012Validator(schema).is_valid(doc), doc


def test_it_declines_what_it_does_not_implement():
    """Unknown keywords, foreign $refs and non-JSON values: False (jsonschema then decides)."""
    assert not fast_check.is_valid(1, {"exclusiveMinimum": 0})
    assert not fast_check.is_valid(1, {"$ref": "https://example.org/x.json"})
    assert not fast_check.is_valid({"a": Path("x")}, {})
    assert not fast_check.is_valid({1: "a"}, {})
    assert fast_check.is_valid({"a": 1}, {"description": "only annotations"})
