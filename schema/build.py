"""Generate the published JSON Schema of spec language v1 from the model catalogue.

The committed file ``schema/snnrun-spec-v1.schema.json`` is this module's output; a test checks they
are equal, so the schema editors see and the checks snnrun runs cannot drift apart.
Regenerate with ``python -m snnrun.schema.build > schema/snnrun-spec-v1.schema.json``.

Per-type parameters use ``if``/``then`` rather than ``oneOf``: a validator then reports the one
relevant error (``unknown key tau_mm``) instead of "not valid under any of the given schemas".
"""

from __future__ import annotations

import json
import sys

from . import catalogue as cat
from .units import EXAMPLES, QUANTITY_PATTERN

NAME_PATTERN = "^[a-z][a-z0-9_]*$"
#: how a backend name is spelled (``reference``, ``pynn:nest``); which backends exist is not part of the
#: language: each registers itself (snnrun.adapters.registry), and ``snnrun check`` names unknown ones
BACKEND_PATTERN = "^[a-z][a-z0-9_]*(:[a-z][a-z0-9_]*)?$"
SCHEMA_ID = "https://snnrun.dev/schema/snnrun-spec-v1.schema.json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


def _closed(properties: dict, required: tuple[str, ...] = (), **extra) -> dict:
    out = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        out["required"] = list(required)
    out.update(extra)
    return out


def _param_schema(param: cat.Param) -> dict:
    default = f" Default: {param.default}." if param.default is not None else (
        "" if param.optional else " Required.")
    doc = f"{param.doc} ({param.dimension.value}, e.g. '{EXAMPLES[param.dimension]}').{default}"
    if param.kind == "receptor":
        return {"description": f"{param.doc}. Default: {param.default}.", "enum": list(cat.RECEPTORS)}
    if param.kind == "quantity_list":
        return {"description": doc, "type": "array", "items": _ref("quantity"), "maxItems": 1_000_000}
    if param.kind == "spike_times":
        return {"description": doc, "type": "array",
                "items": {"anyOf": [_ref("quantity"), {"type": "array", "items": _ref("quantity")}]}}
    return {"description": doc, **_ref("value")}


def _typed(kind_key: str, types: dict, params_key: str | None) -> dict:
    """Object with a ``type`` enum and, per type, a closed set of parameters (if/then per type)."""
    branches = []
    for name, entry in types.items():
        props = {p: _param_schema(spec) for p, spec in entry.params.items()}
        required = tuple(p for p, spec in entry.params.items() if spec.required)
        body = _closed(props, required)
        if params_key:
            then = {"properties": {params_key: body}}
            if required:
                then["required"] = [params_key]
        else:
            then = {"properties": props, "required": list(required)} if required else {"properties": props}
        branches.append({"if": {"properties": {kind_key: {"const": name}}, "required": [kind_key]},
                         "then": then})
    return {"allOf": branches}


def build_schema() -> dict:
    """Return the JSON Schema (draft 2020-12) of spec language version 1 as a dict."""
    model_types = sorted(cat.MODELS)
    defs = {
        "name": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 64,
                 "description": "a name: lower case letter, then lower case letters, digits or _"},
        "quantity": {"type": "string", "pattern": QUANTITY_PATTERN, "maxLength": 64,
                     "description": "a number and a unit, e.g. '20 ms', '-65 mV', '0.5 nA', '6 nS', '10 Hz'"},
        "number_or_quantity": {"anyOf": [{"type": "number"}, _ref("quantity")]},
        "indices": {"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": 10_000_000},
        "value": {
            "description": "a quantity (same for every element), {values: [...], unit: ...} (one per "
                           "element) or {distribution: ..., ...} (drawn per element from the seed)",
            "if": {"type": "object"},
            "then": {"if": {"required": ["distribution"]}, "then": _ref("distribution"),
                     "else": _ref("values")},
            "else": {"anyOf": [{"type": "number"}, _ref("quantity")]},
        },
        "values": _closed({"values": {"type": "array", "items": {"type": "number"}, "maxItems": 10_000_000},
                           "unit": {"type": "string", "maxLength": 16}}, ("values",)),
        "distribution": {
            **_closed({
                "distribution": {"enum": list(cat.DISTRIBUTIONS)},
                "low": _ref("number_or_quantity"), "high": _ref("number_or_quantity"),
                "mean": _ref("number_or_quantity"), "std": _ref("number_or_quantity"),
                "mu": {"type": "number"}, "sigma": {"type": "number", "minimum": 0},
                "values": {"type": "array", "items": _ref("number_or_quantity"), "minItems": 1},
                "unit": {"type": "string", "maxLength": 16},
                "clip": {"type": "array", "items": _ref("number_or_quantity"), "minItems": 2, "maxItems": 2},
                "truncate": {"type": "array", "items": _ref("number_or_quantity"), "minItems": 2, "maxItems": 2},
            }, ("distribution",)),
            "allOf": [
                {"if": {"properties": {"distribution": {"const": "uniform"}}},
                 "then": {"required": ["low", "high"]}},
                {"if": {"properties": {"distribution": {"const": "normal"}}},
                 "then": {"required": ["mean", "std"]}},
                {"if": {"properties": {"distribution": {"const": "lognormal"}}},
                 "then": {"required": ["mu", "sigma", "unit"]}},
                {"if": {"properties": {"distribution": {"const": "choice"}}},
                 "then": {"required": ["values"]}},
            ],
        },
        "model": {
            **_closed({"type": {"enum": model_types,
                                "description": "; ".join(f"{m}: {cat.MODELS[m].doc}" for m in model_types)},
                       "params": {"type": "object"}}, ("type",)),
            **_typed("type", cat.MODELS, "params"),
        },
        "population": _closed({
            "size": {"type": "integer", "minimum": 1, "maximum": 100_000_000},
            "model": {"anyOf": [_ref("name"), _ref("model")],
                      "description": "the name of an entry of models:, or an inline {type: ..., params: ...}"},
            "params": {"type": "object", "additionalProperties": _ref("value"),
                       "description": "overrides of single parameters of the model"},
            "initial": {"type": "object", "additionalProperties": _ref("value"),
                        "description": "initial values of state variables (default: v = v_rest)"},
            "description": {"type": "string"},
        }, ("size", "model")),
        "connect": {
            **_closed({
                "rule": {"enum": list(cat.CONNECTION_RULES)},
                "p": {"type": "number", "minimum": 0, "maximum": 1},
                "n": {"type": "integer", "minimum": 0},
                "allow_self": {"type": "boolean"},
                "multapses": {"type": "boolean"},
                "pairs": {"type": "array", "maxItems": 10_000_000,
                          "items": {"type": "array", "items": {"type": "integer", "minimum": 0},
                                    "minItems": 2, "maxItems": 2}},
                "file": {"type": "string", "minLength": 1},
            }, ("rule",)),
            "allOf": [
                {"if": {"properties": {"rule": {"const": "fixed_probability"}}}, "then": {"required": ["p"]}},
                *({"if": {"properties": {"rule": {"const": r}}}, "then": {"required": ["n"]}}
                  for r in ("fixed_indegree", "fixed_outdegree", "fixed_total")),
                {"if": {"properties": {"rule": {"const": "from_list"}}},
                 "then": {"oneOf": [{"required": ["pairs"]}, {"required": ["file"]}]}},
            ],
        },
        "plasticity": _closed({
            "rule": {"enum": ["stdp"], "description": "pair-based STDP (schema/semantics.md, \"Plasticity\")"},
            "tau_plus": {**_ref("quantity"), "description": "time constant of potentiation (time)"},
            "tau_minus": {**_ref("quantity"), "description": "time constant of depression (time)"},
            "a_plus": {"type": "number", "minimum": 0,
                       "description": "potentiation step, a fraction of w_max (additive) or of w_max - w"},
            "a_minus": {"type": "number", "minimum": 0,
                        "description": "depression step, a fraction of w_max (additive) or of w - w_min"},
            "w_min": {**_ref("quantity"), "description": "lower bound of the weight, >= 0. Default: 0"},
            "w_max": {**_ref("quantity"), "description": "upper bound of the weight"},
            "weight_dependence": {"enum": ["additive", "multiplicative"], "description": "Default: additive"},
            "pairing": {"enum": ["all_to_all", "nearest"], "description": "which spike pairs count: every pair, "
                        "or each spike with the latest earlier spike of the other side. Default: all_to_all"},
            "dendritic_delay_fraction": {"type": "number", "minimum": 0, "maximum": 1,
                                         "description": "the part of the delay between the synapse and the post "
                                                        "neuron (the rest is axonal). Default: 1 (NEST, PyNN)"},
        }, ("rule", "tau_plus", "tau_minus", "a_plus", "a_minus", "w_max")),
        "short_term": _closed({
            "rule": {"enum": ["tsodyks_markram"], "description": "Tsodyks-Markram depression and facilitation "
                     "as NEST's tsodyks2_synapse (schema/semantics.md, \"Short-term plasticity\")"},
            "u": {"type": "number", "minimum": 0, "maximum": 1,
                  "description": "U: release probability of a rested synapse (the first spike transmits U w)"},
            "tau_rec": {**_ref("quantity"), "description": "recovery time constant of the resources (time)"},
            "tau_facil": {**_ref("quantity"), "description": "facilitation time constant (time); 0: none. "
                                                            "Default: 0 ms"},
        }, ("rule", "u", "tau_rec")),
        "synapse": _closed({
            "receptor": {"enum": list(cat.RECEPTORS)},
            "weight": {**_ref("value"), "description": "current (curr_exp/alpha targets), conductance "
                       "(cond_* targets) or voltage jump (curr_delta targets); inhibitory currents negative"},
            "delay": {**_ref("value"), "description": "transmission delay, >= dt (default: dt)"},
            "plasticity": _ref("plasticity"),
            "short_term": _ref("short_term"),
        }),
        "projection": _closed({
            "pre": _ref("name"), "post": _ref("name"),
            "connect": _ref("connect"), "synapse": _ref("synapse"),
            "description": {"type": "string"},
        }, ("pre", "post", "connect", "synapse")),
        "target": _closed({"population": _ref("name"), "neurons": _ref("indices")}, ("population",)),
        "stimulus": {
            **_closed({"type": {"enum": sorted(cat.STIMULI)}, "target": _ref("target"),
                       **{p: _param_schema(s) for t in cat.STIMULI.values() for p, s in t.params.items()}},
                      ("type", "target")),
            **_typed("type", cat.STIMULI, None),
        },
        "selection": {"anyOf": [_ref("indices"),
                                _closed({"first": {"type": "integer", "minimum": 1}}, ("first",))]},
        "recording": {
            **_closed({
                "population": _ref("name"), "projection": _ref("name"),
                "variable": {"type": "string", "pattern": NAME_PATTERN},
                "neurons": _ref("selection"), "synapses": _ref("selection"),
                "interval": _ref("quantity"),
            }, ("variable",)),
            "oneOf": [{"required": ["population"]}, {"required": ["projection"]}],
        },
        "expectation": {
            **_closed({
                "population": _ref("name"), "projection": _ref("name"),
                "metric": {"enum": list(cat.EXPECT_METRICS)},
                "neurons": _ref("indices"), "synapses": _ref("selection"),
                "variable": {"type": "string", "pattern": NAME_PATTERN,
                             "description": "metric value: the recorded state variable"},
                "times": {"type": "array", "items": _ref("quantity"), "minItems": 1,
                          "description": "metric value: the sample times checked"},
                "between": {"type": "array", "items": _ref("number_or_quantity"), "minItems": 2, "maxItems": 2},
                "equals": {"anyOf": [_ref("number_or_quantity"),
                                     {"type": "array", "items": _ref("number_or_quantity")}]},
                "tolerance": _ref("number_or_quantity"),
                "backends": {"type": "array", "items": _ref("backend")},
            }, ("metric",)),
            "allOf": [{"oneOf": [{"required": ["between"]}, {"required": ["equals"]}]},
                      {"oneOf": [{"required": ["population"]}, {"required": ["projection"]}]}],
        },
        "backend": {"type": "string", "pattern": BACKEND_PATTERN, "maxLength": 64,
                    "description": "a backend name, e.g. 'reference' or 'pynn:nest' (snnrun backends lists them)"},
        # each backend's options are validated against the schema its declaration owns, by snnrun check
        "backend_options": {"type": "object", "propertyNames": _ref("backend"),
                            "additionalProperties": {"type": "object"}},
    }
    top = _closed({
        "snnrun": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+$",
                   "description": "spec language version, e.g. '1.0'"},
        "name": _ref("name"),
        "description": {"type": "string"},
        "seed": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
        "simulation": _closed({
            "duration": _ref("quantity"), "dt": _ref("quantity"),
            "backends": {"type": "array", "items": _ref("backend"), "minItems": 1},
            "options": _ref("backend_options"),
        }, ("duration", "dt")),
        "models": {"type": "object", "propertyNames": _ref("name"), "additionalProperties": _ref("model")},
        "populations": {"type": "object", "propertyNames": _ref("name"), "minProperties": 1,
                        "additionalProperties": _ref("population")},
        "projections": {"type": "object", "propertyNames": _ref("name"),
                        "additionalProperties": _ref("projection")},
        "stimuli": {"type": "object", "propertyNames": _ref("name"), "additionalProperties": _ref("stimulus")},
        "record": {"type": "array", "items": _ref("recording")},
        "expect": {"type": "array", "items": _ref("expectation")},
        "compare": _closed({
            "reference": _ref("backend"),
            "profile": {"enum": ["exact", "single_neuron", "network", "seed_spread"]},
            "tolerances": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
        }),
        "sweep": _closed({
            "mode": {"enum": ["grid", "zip"], "description": "grid: every combination of the parameters' "
                     "values (default); zip: the i-th value of every parameter together"},
            "seeds": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
                      "minItems": 1, "uniqueItems": True,
                      "description": "run every point once per seed (default: the spec's seed)"},
            "parameters": {"type": "object", "additionalProperties": {"type": "array", "minItems": 1},
                           "description": "dotted spec path (e.g. populations.exc.params.i_offset) -> the "
                                          "values it takes, each written as the spec writes that value"},
        }, description="run the spec over a grid (or zip) of parameter values and seeds; every point is "
                       "validated before anything runs"),
    }, ("snnrun", "name", "simulation", "populations"))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "snnrun spec, language version 1",
        **top,
        "$defs": defs,
    }


def schema_text() -> str:
    """The schema as the committed file holds it (sorted keys, two-space indent, final newline)."""
    return json.dumps(build_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
