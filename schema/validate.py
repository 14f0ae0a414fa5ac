"""Validate a spec mapping against the JSON Schema and turn every error into a one-line Problem.

jsonschema's own messages quote whole sub-documents and say "is not valid under any of the given
schemas"; users need the key that is wrong, where it is, and what was expected. Each error is rewritten
here from its validator keyword, and located through the positions the YAML loader recorded. A spec that
:mod:`.fast_check` finds valid never imports jsonschema (about 0.1 s of a run's start-up).
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from importlib import resources
from typing import Iterable, Mapping

from . import fast_check
from .errors import Problem, clip, echo, printable
from .units import QUANTITY_PATTERN

SCHEMA_FILE = "snnrun-spec-v1.schema.json"
_JSON_TYPE = {dict: "mapping", list: "list", str: "string", int: "integer", float: "number",
              bool: "boolean", type(None): "null"}
#: JSON Schema type names in the words of a YAML file
_TYPE_WORD = {"object": "mapping", "array": "list"}
#: words YAML 1.1 reads as booleans; the spec loader keeps them strings (YAML 1.2 core schema)
_YAML11_BOOLEANS = {**dict.fromkeys(("yes", "y", "on"), "true"), **dict.fromkeys(("no", "n", "off"), "false")}
#: the rule every name (population, projection, model, stimulus, spec name) follows; docs/spec-language.md
NAME_RULE = "use lower case letters, digits and _, starting with a letter"
_VALUE_HINT = ("expected a quantity such as '20 ms', {values: [...], unit: ...} "
               "or {distribution: ..., ...}")


@functools.lru_cache(maxsize=1)
def schema() -> dict:
    """The published JSON Schema of spec language v1 (``schema/snnrun-spec-v1.schema.json``)."""
    return json.loads(resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _strict_pattern(pattern: str) -> re.Pattern:
    """A schema pattern with the meaning ECMA 262 (JSON Schema's regex dialect) gives it: ``$`` only at
    the very end (Python's ``$`` also matches before a final newline, so a name ``"t\\n"`` would pass and
    become a results folder) and ASCII ``\\d``/``\\s``/``\\w`` (Python's match other scripts' digits)."""
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern), re.ASCII)


def _strict_search(pattern: str, string: str):
    """The ``pattern`` keyword's test, for fast_check: as :func:`_pattern` applies it."""
    return _strict_pattern(pattern).search(string)


def _pattern(validator, pattern, instance, schema_part):
    import jsonschema

    if validator.is_type(instance, "string") and not _strict_pattern(pattern).search(instance):
        yield jsonschema.ValidationError(f"{clip(repr(instance))} does not match {pattern!r}")


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    import jsonschema

    strict = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})
    return strict(schema())


def _short(value: object, limit: int = 40) -> str:
    if isinstance(value, (dict, list)):
        return _JSON_TYPE[type(value)]
    if isinstance(value, int) and value.bit_length() > 128:  # repr of a huge int is slow, or raises
        return f"a {value.bit_length()}-bit integer"
    return clip(repr(value), limit)


def _kind(value: object) -> str:
    return _JSON_TYPE.get(type(value), type(value).__name__)


def _a(word: str) -> str:
    """``word`` with its indefinite article: 'an integer', 'a string'."""
    return f"a{'n' if word[:1] in ('a', 'e', 'i', 'o', 'u') else ''} {word}"


class _Locator:
    def __init__(self, file: str, positions: Mapping, key_positions: Mapping):
        self.file, self.positions, self.key_positions = file, positions, key_positions

    def at(self, path: tuple, message: str, *, key: bool = False) -> Problem:
        table = self.key_positions if key and path in self.key_positions else self.positions
        probe = path
        while probe and probe not in table:
            probe = probe[:-1]
        line, column = table.get(probe, (1, 1))
        shown = tuple(printable(p) if isinstance(p, str) else p for p in path)
        return Problem(self.file, line, column, shown, message)


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
            yield loc.at(path + (key,), f"unknown key '{echo(key)}'{hint}", key=True)
        return
    if kw == "required":
        missing = [k for k in error.validator_value if k not in inst]
        # required by an if/then on the kind of the mapping: say which kind needs it
        kind = next((k for k in ("rule", "distribution", "type") if isinstance(inst.get(k), str)), None)
        needs = f" ({kind} {inst[kind]} needs it)" if kind and "then" in error.schema_path else ""
        for key in missing:
            yield loc.at(path, f"missing required key '{key}'{needs}", key=True)
        return
    if kw == "propertyNames":
        bad = inst
        for sub in error.context or []:
            bad = sub.instance
            break
        yield loc.at(path + (bad,), f"'{echo(bad)}' is not a valid name: {NAME_RULE}", key=True)
        return
    if kw == "enum":
        options = [str(v) for v in error.validator_value]
        close = difflib.get_close_matches(inst, options, n=1) if isinstance(inst, str) else []
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        yield loc.at(path, f"expected one of: {', '.join(options)}; got {_short(inst)}{hint}")
        return
    if kw == "const":
        yield loc.at(path, f"expected {error.validator_value!r}, got {_short(inst)}")
        return
    if kw == "type":
        expected = error.validator_value
        expected = [expected] if isinstance(expected, str) else expected
        expected = " or ".join(_TYPE_WORD.get(t, t) for t in expected)
        got = f"got {_a(_kind(inst))} ({_short(inst)})"
        if error.schema.get("pattern") == QUANTITY_PATTERN:  # a quantity given as a bare number, list...
            yield loc.at(path, f"expected '<number> <unit>' such as '20 ms', {got}")
        elif expected == "boolean" and isinstance(inst, str) and inst.lower() in _YAML11_BOOLEANS:
            yield loc.at(path, f"expected a boolean, got the string '{inst}' (in spec files only true and "
                               f"false are booleans): write {_YAML11_BOOLEANS[inst.lower()]}")
        else:
            yield loc.at(path, f"expected {_a(expected)}, {got}")
        return
    if kw == "pattern":
        if error.validator_value == QUANTITY_PATTERN:
            yield loc.at(path, f"expected '<number> <unit>' such as '20 ms', got {_short(inst)}")
        elif error.validator_value.startswith("^[a-z]"):
            # from propertyNames the wrong name is a key of the mapping at ``path``: point at that key
            is_key = "propertyNames" in error.schema_path
            yield loc.at(path + (inst,) if is_key else path, f"'{echo(inst)}' is not a valid name: {NAME_RULE}", key=is_key)
        elif path == ("snnrun",):
            yield loc.at(path, f"expected a language version such as \"1.0\", got {_short(inst)}")
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
            # a mapping is meant as an inline model: report why that branch failed, not the name branch
            inline = [i for i, o in enumerate(options) if o.get("$ref", "").endswith("/model")]
            import jsonschema

            best = jsonschema.exceptions.best_match(
                [e for e in error.context or [] if e.relative_schema_path[0] in inline]) if error.context else None
            if best is not None:
                yield from _message(best, loc)
                return
        yield loc.at(path, "expected the name of a model under models:, or {type: ..., params: ...}")
        return
    # an error inside the value (a bad list item...) means the value's shape matched that alternative
    deeper = [e for e in error.context or [] if len(e.absolute_path) > len(path)]
    if deeper:
        import jsonschema

        yield from _message(jsonschema.exceptions.best_match(deeper), loc)
        return
    if "indices" in refs:
        yield loc.at(path, "expected a list of neuron indices, or {first: N}")
        return
    lists = any(isinstance(o, dict) and o.get("type") == "array" for o in options)
    if refs == {"quantity", ""} and lists:  # a quantity or a list of quantities (spike_times)
        yield loc.at(path, f"expected '<number> <unit>' such as '20 ms', or a list of them; "
                           f"got {_a(_kind(error.instance))} ({_short(error.instance)})")
        return
    if refs == {"number_or_quantity", ""} and lists:  # a number/quantity or a list of them (equals)
        yield loc.at(path, f"expected a number, a quantity such as '20 ms', or a list of them; "
                           f"got {_a(_kind(error.instance))} ({_short(error.instance)})")
        return
    if "else" in error.schema_path:  # the scalar branch of the ``value`` definition
        yield loc.at(path, f"{_VALUE_HINT}; got a {_kind(error.instance)} ({_short(error.instance)})")
    elif refs <= {"", "quantity"}:
        yield loc.at(path, f"expected a number or a quantity such as '20 ms', got {_short(error.instance)}")
    else:
        yield loc.at(path, _plain(error))


def _name_fix(name: str) -> str:
    """A valid name close to ``name`` (``'Exc' -> 'exc'``), or '' when there is no obvious one."""
    if "\\" in name:  # shown with escapes (a line break...): no obvious fix
        return ""
    fixed = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    return fixed if re.fullmatch(r"[a-z][a-z0-9_]{0,63}", fixed) else ""


def _one_per_name(problems: list[Problem]) -> list[Problem]:
    """An invalid name once, where it is defined (a mapping key), not again at every reference to it:
    two upper-case population names used in projections, records and expectations gave 17 lines."""
    by_name: dict[str, list[Problem]] = {}
    for p in problems:
        if p.message.endswith(NAME_RULE) and p.message.startswith("'"):
            by_name.setdefault(p.message[1:p.message.index("' is not a valid name")], []).append(p)
    out = []
    for p in problems:
        name = p.message[1:p.message.index("' is not a valid name")] if p.message.endswith(NAME_RULE) \
            and p.message.startswith("'") else None
        if name is None:
            out.append(p)
            continue
        group = by_name[name]
        keep = next((q for q in group if q.path and q.path[-1] == name), group[0])
        if p is not keep:
            continue
        fix = _name_fix(name)
        more = len(group) - 1
        refs = f"; also used at {more} reference{'s' if more != 1 else ''} to it, not repeated" if more else ""
        out.append(Problem(p.file, p.line, p.column, p.path,
                           f"{p.message}{f' (write {fix!r})' if fix and fix != name else ''}{refs}"))
    return out


def schema_problems(data: object, file: str, positions: Mapping, key_positions: Mapping) -> list[Problem]:
    """Every schema violation of ``data``, each as a located one-line Problem (empty when valid)."""
    if fast_check.is_valid(data, schema(), _strict_search):
        return []
    loc = _Locator(file, positions, key_positions)
    problems: list[Problem] = []
    seen: set[tuple] = set()
    for error in _validator().iter_errors(data):
        for problem in _message(error, loc):
            key = (problem.path, problem.message)
            if key not in seen:
                seen.add(key)
                problems.append(problem)
    return _one_per_name(problems)
