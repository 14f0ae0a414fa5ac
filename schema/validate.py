"""Validate a spec mapping against the JSON Schema and turn every error into a one-line Problem.

jsonschema's own messages quote whole sub-documents and say "is not valid under any of the given
schemas"; users need the key that is wrong, where it is, and what was expected. Each error is rewritten
here from its validator keyword, and located through the positions the YAML loader recorded.
"""

from __future__ import annotations

import difflib
import functools
import json
from importlib import resources
from typing import Iterable, Mapping

import jsonschema

from .errors import Problem
from .units import QUANTITY_PATTERN

SCHEMA_FILE = "snnrun-spec-v1.schema.json"
_JSON_TYPE = {dict: "mapping", list: "list", str: "string", int: "integer", float: "number",
              bool: "boolean", type(None): "null"}
_VALUE_HINT = ("expected a quantity such as '20 ms', {values: [...], unit: ...} "
               "or {distribution: ..., ...}")


@functools.lru_cache(maxsize=1)
def schema() -> dict:
    """The published JSON Schema of spec language v1 (``schema/snnrun-spec-v1.schema.json``)."""
    return json.loads(resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(schema())


def _short(value: object, limit: int = 40) -> str:
    text = repr(value) if not isinstance(value, (dict, list)) else _JSON_TYPE[type(value)]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: object) -> str:
    return _JSON_TYPE.get(type(value), type(value).__name__)


class _Locator:
    def __init__(self, file: str, positions: Mapping, key_positions: Mapping):
        self.file, self.positions, self.key_positions = file, positions, key_positions

    def at(self, path: tuple, message: str, *, key: bool = False) -> Problem:
        table = self.key_positions if key and path in self.key_positions else self.positions
        probe = path
        while probe and probe not in table:
            probe = probe[:-1]
        line, column = table.get(probe, (1, 1))
        return Problem(self.file, line, column, path, message)


def _message(error: jsonschema.ValidationError, loc: _Locator) -> Iterable[Problem]:
    path = tuple(error.absolute_path)
    inst = error.instance
    kw = error.validator
    if kw == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extras = [k for k in inst if k not in error.schema.get("properties", {})]
        for key in extras:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else (
                f" (expected one of: {', '.join(allowed)})" if allowed else " (no keys allowed here)")
            yield loc.at(path + (key,), f"unknown key '{key}'{hint}", key=True)
        return
    if kw == "required":
        missing = [k for k in error.validator_value if k not in inst]
        for key in missing:
            yield loc.at(path, f"missing required key '{key}'", key=True)
        return
    if kw == "propertyNames":
        bad = inst
        for sub in error.context or []:
            bad = sub.instance
            break
        yield loc.at(path + (bad,), f"'{bad}' is not a valid name: use lower case letters, digits and _, "
                                    "starting with a letter", key=True)
        return
    if kw == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        yield loc.at(path, f"expected one of: {options}; got {_short(inst)}")
        return
    if kw == "const":
        yield loc.at(path, f"expected {error.validator_value!r}, got {_short(inst)}")
        return
    if kw == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        yield loc.at(path, f"expected a{'n' if expected[0] in 'aeiou' else ''} {expected}, "
                           f"got a {_kind(inst)} ({_short(inst)})")
        return
    if kw == "pattern":
        if error.validator_value == QUANTITY_PATTERN:
            yield loc.at(path, f"expected '<number> <unit>' such as '20 ms', got {_short(inst)}")
        elif error.validator_value.startswith("^[a-z]"):
            yield loc.at(path, f"'{inst}' is not a valid name: use lower case letters, digits and _, "
                               "starting with a letter")
        else:
            yield loc.at(path, f"{_short(inst)} does not have the expected form ({error.validator_value})")
        return
    if kw in ("anyOf", "oneOf"):
        yield from _alternatives(error, loc, path)
        return
    yield loc.at(path, _plain(error))


def _plain(error: jsonschema.ValidationError) -> str:
    kw, value, inst = error.validator, error.validator_value, error.instance
    plain = {
        "minimum": f"must be at least {value}, got {_short(inst)}",
        "maximum": f"must be at most {value}, got {_short(inst)}",
        "exclusiveMinimum": f"must be greater than {value}, got {_short(inst)}",
        "minItems": f"needs at least {value} item{'s' if value != 1 else ''}",
        "maxItems": f"allows at most {value} items",
        "minProperties": f"needs at least {value} entr{'ies' if value != 1 else 'y'}",
        "minLength": "must not be empty",
        "maxLength": f"must be at most {value} characters long",
    }
    return plain.get(kw, error.message if len(error.message) < 120 else error.message[:117] + "...")


def _alternatives(error: jsonschema.ValidationError, loc: _Locator, path: tuple) -> Iterable[Problem]:
    """anyOf/oneOf: say which alternatives exist, in words, instead of jsonschema's generic text."""
    options = error.validator_value
    requireds = [o.get("required") for o in options if isinstance(o, dict)]
    if all(r and len(r) == 1 for r in requireds):
        names = [r[0] for r in requireds]
        present = [n for n in names if isinstance(error.instance, dict) and n in error.instance]
        what = "exactly one" if error.validator == "oneOf" else "one"
        found = f" (found {', '.join(present)})" if present else ""
        yield loc.at(path, f"give {what} of: {', '.join(names)}{found}")
        return
    refs = {o.get("$ref", "").rsplit("/", 1)[-1] for o in options if isinstance(o, dict)}
    if refs & {"quantity"} and isinstance(error.instance, str):
        yield loc.at(path, f"expected '<number> <unit>' such as '20 ms', got {_short(error.instance)}")
        return
    if refs == {"name", "model"}:
        if isinstance(error.instance, dict):
            best = jsonschema.exceptions.best_match(
                [e for e in error.context or [] if e.validator != "type"]) if error.context else None
            if best is not None:
                yield from _message(best, loc)
                return
        yield loc.at(path, "expected the name of a model under models:, or {type: ..., params: ...}")
        return
    if "indices" in refs:
        yield loc.at(path, "expected a list of neuron indices, or {first: N}")
        return
    best = jsonschema.exceptions.best_match(error.context or []) if error.context else None
    if best is not None and tuple(best.absolute_path) != path:
        yield from _message(best, loc)
        return
    if "else" in error.schema_path:  # the scalar branch of the ``value`` definition
        yield loc.at(path, f"{_VALUE_HINT}; got a {_kind(error.instance)} ({_short(error.instance)})")
    elif refs <= {"", "quantity"}:
        yield loc.at(path, f"expected a number or a quantity such as '20 ms', got {_short(error.instance)}")
    else:
        yield loc.at(path, _plain(error))


def schema_problems(data: object, file: str, positions: Mapping, key_positions: Mapping) -> list[Problem]:
    """Every schema violation of ``data``, each as a located one-line Problem (empty when valid)."""
    loc = _Locator(file, positions, key_positions)
    problems: list[Problem] = []
    seen: set[tuple] = set()
    for error in _validator().iter_errors(data):
        for problem in _message(error, loc):
            key = (problem.path, problem.message)
            if key not in seen:
                seen.add(key)
                problems.append(problem)
    return problems
