"""Is a document valid under a JSON Schema? A yes/no answer without jsonschema, for the keywords snnrun's
schemas use, so that a valid spec does not pay jsonschema's import (about 0.1 s of a command-line run,
much of it attrs, referencing and the format checkers, for a check that takes a few milliseconds).

It only ever answers "valid" when the document is valid (Draft 2020-12 semantics, as
``jsonschema.Draft202012Validator`` applies them); every other answer means "ask jsonschema", which then
finds and words the errors (:mod:`.validate`). So it declines, answering False, for a schema keyword it
does not implement, a ``$ref`` outside ``#/$defs/``, a value of a type JSON has not (the YAML loader gives
none, but a caller might) and a ``uniqueItems`` list it cannot compare by hashing. tests/test_fast_check.py
checks its verdicts against jsonschema's on every spec of the repository and on mutated ones.
"""

from __future__ import annotations

import re
from typing import Callable

#: keywords that never fail a document
_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples",
                          "deprecated", "readOnly", "writeOnly", "then", "else"})  # then/else: evaluated by "if"
#: the Python types of JSON values (exact types: a subclass makes the check decline)
_JSON_TYPES = (dict, list, str, int, float, bool, type(None))


class _Decline(Exception):
    """The document or schema uses something this check does not implement: jsonschema decides."""


def is_valid(instance, schema: dict, search: Callable[[str, str], object] | None = None) -> bool:
    """True only when ``instance`` is valid under ``schema``; False when it is not, or when this check
    cannot tell. ``search(pattern, string)`` decides the ``pattern`` keyword (default: ``re.search``, as
    jsonschema's own)."""
    try:
        return _plain_json(instance) and _Check(schema, search or _re_search).valid(instance, schema)
    except (_Decline, RecursionError):
        return False


def _plain_json(instance) -> bool:
    """Every value of exactly a JSON type and every key a str (so the checks below, which test exact
    types, see what jsonschema's isinstance tests see); False otherwise."""
    stack = [instance]
    while stack:
        x = stack.pop()
        kind = type(x)
        if kind is dict:
            if not all(type(k) is str for k in x):
                return False
            stack.extend(x.values())
        elif kind is list:
            stack.extend(x)
        elif kind not in _JSON_TYPES:
            return False
    return True


def _re_search(pattern: str, string: str):
    return re.search(pattern, string)


def _is_number(x) -> bool:
    return type(x) in (int, float)


def _is_type(x, name: str) -> bool:
    kind = type(x)
    if kind not in _JSON_TYPES:
        raise _Decline(f"a value of type {kind.__name__}")
    if name == "object":
        return kind is dict
    if name == "array":
        return kind is list
    if name == "string":
        return kind is str
    if name == "integer":  # draft 6 on: a float with no fractional part is an integer
        return kind is int or (kind is float and x.is_integer())
    if name == "number":
        return kind in (int, float)
    if name == "boolean":
        return kind is bool
    if name == "null":
        return x is None
    raise _Decline(f"type {name!r}")


def _equal(a, b) -> bool:
    """jsonschema's equality: True and 1 differ, 1 and 1.0 do not, lists and mappings element-wise."""
    if a is b:
        return True
    if type(a) is str or type(b) is str:
        return a == b
    if type(a) is list and type(b) is list:
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if type(a) is dict and type(b) is dict:
        return len(a) == len(b) and all(k in b and _equal(v, b[k]) for k, v in a.items())
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    return a == b


class _Check:
    def __init__(self, root: dict, search):
        self.defs = root.get("$defs", {})
        self.search = search

    def valid(self, x, s) -> bool:
        if s is True:
            return True
        if s is False:
            return False
        if type(s) is not dict:
            raise _Decline("a schema that is not a mapping")
        for key, value in s.items():
            check = _KEYWORDS.get(key)
            if check is None:
                if key in _ANNOTATIONS:
                    continue
                raise _Decline(f"keyword {key!r}")
            if not check(self, x, value, s):
                return False
        return True

    # -- keywords: (self, instance, keyword value, whole schema) -> passes ----------------------------
    def ref(self, x, ref, s):
        name = ref[len("#/$defs/"):] if type(ref) is str and ref.startswith("#/$defs/") else None
        if name is None or "/" in name or "~" in name or "%" in name or name not in self.defs:
            raise _Decline(f"$ref {ref!r}")
        return self.valid(x, self.defs[name])

    def type_(self, x, types, s):
        return any(_is_type(x, t) for t in ([types] if type(types) is str else types))

    def properties(self, x, props, s):
        return type(x) is not dict or all(self.valid(x[k], sub) for k, sub in props.items() if k in x)

    def additional(self, x, sub, s):
        if "patternProperties" in s:
            raise _Decline("patternProperties")
        if type(x) is not dict:
            return True
        props = s.get("properties", {})
        return all(self.valid(v, sub) for k, v in x.items() if k not in props)

    def required(self, x, keys, s):
        return type(x) is not dict or all(k in x for k in keys)

    def property_names(self, x, sub, s):
        return type(x) is not dict or all(self.valid(k, sub) for k in x)

    def min_properties(self, x, n, s):
        return type(x) is not dict or len(x) >= n

    def if_(self, x, sub, s):
        if self.valid(x, sub):
            return "then" not in s or self.valid(x, s["then"])
        return "else" not in s or self.valid(x, s["else"])

    def const(self, x, value, s):
        _is_type(x, "null")  # declines on a non-JSON value
        return _equal(x, value)

    def enum(self, x, values, s):
        _is_type(x, "null")
        return any(_equal(x, v) for v in values)

    def items(self, x, sub, s):
        if "prefixItems" in s:
            raise _Decline("prefixItems")
        return type(x) is not list or all(self.valid(v, sub) for v in x)

    def min_items(self, x, n, s):
        return type(x) is not list or len(x) >= n

    def max_items(self, x, n, s):
        return type(x) is not list or len(x) <= n

    def unique_items(self, x, unique, s):
        if not unique or type(x) is not list or len(x) < 2:
            return True
        if not all(type(v) in (str, int, float) for v in x):  # bool, lists, mappings: jsonschema decides
            raise _Decline("uniqueItems of values that do not hash as JSON compares them")
        return len(set(x)) == len(x)

    def minimum(self, x, bound, s):
        return not _is_number(x) or not x < bound

    def maximum(self, x, bound, s):
        return not _is_number(x) or not x > bound

    def min_length(self, x, n, s):
        return type(x) is not str or len(x) >= n

    def max_length(self, x, n, s):
        return type(x) is not str or len(x) <= n

    def pattern(self, x, pattern, s):
        return type(x) is not str or self.search(pattern, x) is not None

    def any_of(self, x, subs, s):
        return any(self.valid(x, sub) for sub in subs)

    def all_of(self, x, subs, s):
        return all(self.valid(x, sub) for sub in subs)

    def one_of(self, x, subs, s):
        return sum(1 for sub in subs if self.valid(x, sub)) == 1


_KEYWORDS = {"$ref": _Check.ref, "type": _Check.type_, "properties": _Check.properties,
             "additionalProperties": _Check.additional, "required": _Check.required,
             "propertyNames": _Check.property_names, "minProperties": _Check.min_properties, "if": _Check.if_,
             "const": _Check.const, "enum": _Check.enum, "items": _Check.items, "minItems": _Check.min_items,
             "maxItems": _Check.max_items, "uniqueItems": _Check.unique_items, "minimum": _Check.minimum,
             "maximum": _Check.maximum, "minLength": _Check.min_length, "maxLength": _Check.max_length,
             "pattern": _Check.pattern, "anyOf": _Check.any_of, "allOf": _Check.all_of, "oneOf": _Check.one_of}
