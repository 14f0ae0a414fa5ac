"""Tests of the hardened spec YAML loader: YAML 1.1 traps, limits, positions, and fuzzing."""

from __future__ import annotations

import json
import math

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snnrun.schema.errors import SpecError
from snnrun.schema.yaml_loader import YamlDocument, load_yaml


def load(text: str, **limits) -> object:
    return load_yaml("spec.yaml", text=text, **limits).data


def problem(text: str, **limits):
    """The single problem load_yaml reports for ``text``."""
    with pytest.raises(SpecError) as info:
        load_yaml("spec.yaml", text=text, **limits)
    assert len(info.value.problems) == 1
    p = info.value.problems[0]
    assert p.file == "spec.yaml" and "\n" not in p.message
    return p


# --- scalars: YAML 1.2 core schema, not PyYAML's 1.1 -------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("1e-3", 0.001), ("1E3", 1000.0), ("-2.5e+2", -250.0), (".5", 0.5), ("1.", 1.0), ("+5", 5),
    ("-12", -12), ("0", 0), ("-0", 0), ("0o17", 15), ("0x1F", 31), ("3.0", 3.0),
    ("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False), ("FALSE", False),
    ("null", None), ("Null", None), ("NULL", None), ("~", None), ("", None),
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"), ("Yes", "Yes"),
    ("1:30", "1:30"), ("1_000", "1_000"), ("20 ms", "20 ms"), ("0b101", "0b101"), ("010.5", 10.5),
    ("'1e-3'", "1e-3"), ('"true"', "true"), ("'010'", "010"), ('"null"', "null"), ("'.inf'", ".inf"),
])
def test_plain_scalars_follow_the_yaml_1_2_core_schema(raw, expected):
    value = load(f"x: {raw}\n")["x"]
    assert value == expected and type(value) is type(expected)


def test_pyyaml_itself_gets_these_wrong():
    """Documents why the loader exists: PyYAML's 1.1 rules differ on exactly these values."""
    assert yaml.safe_load("a: 1e-3\nb: no\nc: 010\nd: 1:30") == {"a": "1e-3", "b": False, "c": 8, "d": 90}
    assert load("a: 1e-3\nb: no\nd: 1:30") == {"a": 0.001, "b": "no", "d": "1:30"}


def test_block_scalars_are_strings():
    assert load("a: |\n  010\n  1e3\nb: >-\n  true\n") == {"a": "010\n1e3\n", "b": "true"}


def test_keys_are_kept_as_written():
    data = load("no: 1\non: 2\nyes: 3\nn: 4\nOff: 5\n'1': 6\n")
    assert data == {"no": 1, "on": 2, "yes": 3, "n": 4, "Off": 5, "1": 6}


@pytest.mark.parametrize("raw, message", [
    ("010", "ambiguous number '010' (YAML 1.1 reads it as octal 8): write 10 or 0o10"),
    ("-007", "ambiguous number '-007' (YAML 1.1 reads it as octal -7): write -7"),
    ("09", "ambiguous number '09' (YAML 1.1 reads it as a string): write 9"),
    (".inf", "non-finite number '.inf'"), ("-.Inf", "non-finite number '-.Inf'"),
    (".NaN", "non-finite number '.NaN'"), ("1e999", "non-finite number '1e999'"),
    ("1" * 5000, "has too many digits"),
])
def test_ambiguous_and_non_finite_numbers_are_refused(raw, message):
    p = problem(f"neuron:\n  tau_m: {raw}\n")
    assert message in p.message
    assert (p.line, p.column, p.path) == (2, 10, ("neuron", "tau_m"))


# --- mapping keys -------------------------------------------------------------------------------------

def test_duplicate_key_points_at_the_second_one():
    p = problem("neuron:\n  tau_m: 10\n  v_th: -50\n  tau_m: 20\n")
    assert p.message == "duplicate key 'tau_m' (first at line 2)"
    assert (p.line, p.column, p.path) == (4, 3, ("neuron", "tau_m"))


def test_duplicate_key_in_flow_mapping_inside_list():
    p = problem("record:\n  - {pop: exc, var: v, pop: inh}\n")
    assert (p.line, p.column, p.path) == (2, 24, ("record", 0, "pop"))
    assert "first at line 2" in p.message


@pytest.mark.parametrize("text, line, column", [
    ("a: 1\n1: x\n", 2, 1), ("true: x\n", 1, 1), ("null: x\n", 1, 1), ("~: x\n", 1, 1),
    ("010: x\n", 1, 1), ("1.5: x\n", 1, 1), ("? [a, b]\n: x\n", 1, 3), ("{a: 1}: x\n", 1, 1),
    ("a:\n  ? {b: 1}\n  : 2\n", 2, 5),
])
def test_non_string_keys_are_refused(text, line, column):
    p = problem(text)
    assert p.message.startswith("mapping keys must be names (strings)")
    assert (p.line, p.column) == (line, column)


def test_merge_keys_are_refused():
    p = problem("base: &b {tau_m: 10}\nexc:\n  <<: *b\n  size: 4\n")
    assert p.message == "merge keys ('<<') are not supported: use models: to share parameters"
    assert (p.line, p.column, p.path) == (3, 3, ("exc", "<<"))
    assert load("exc:\n  '<<': 1\n") == {"exc": {"<<": 1}}  # quoted: just an odd name


# --- tags -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, shown", [
    ("run: !!python/object/apply:os.system [echo hi]\n", "!!python/object/apply:os.system"),
    ("run: !!python/object:collections.OrderedDict {}\n", "!!python/object:collections.OrderedDict"),
    ("x: !!str 5\n", "!!str"), ("x: !!int '5'\n", "!!int"), ("x: !!binary aGVsbG8=\n", "!!binary"),
    ("x: !foo bar\n", "!foo"), ("x: ! bar\n", "!"), ("x: !!map {a: 1}\n", "!!map"),
    ("x: !!seq [1]\n", "!!seq"), ("x: !<tag:example.com,2000:a> 1\n", "tag:example.com,2000:a"),
    ("!!str x: 1\n", "!!str"), ("!!python/name:os.system\n", "!!python/name:os.system"),
    ("!!map {a: 1}\n", "!!map"), ("%TAG !e! tag:e.com,2000:\n---\nx: !e!a 1\n", "tag:e.com,2000:a"),
])
def test_every_explicit_tag_is_refused(text, shown):
    assert problem(text).message == f"YAML tags are not allowed ('{shown}')"


def test_tag_problem_has_the_node_path():
    p = problem("pops:\n  - size: 3\n  - size: !!float 3\n")
    assert (p.line, p.column, p.path) == (3, 11, ("pops", 1, "size"))


# --- aliases ----------------------------------------------------------------------------------------

def test_aliases_expand_to_independent_copies_with_positions():
    doc = load_yaml("s.yaml", text="base: &p {tau: 10, v: [1, 2]}\nexc: *p\ninh:\n  - *p\n")
    assert doc.data["exc"] == doc.data["inh"][0] == {"tau": 10, "v": [1, 2]}
    doc.data["exc"]["v"].append(3)
    assert doc.data["base"]["v"] == [1, 2] and doc.data["inh"][0]["v"] == [1, 2]
    assert doc.positions[("exc",)] == (2, 6)  # the alias itself
    assert doc.positions[("exc", "v", 1)] == (1, 27)  # inside: where the text is (the anchor)
    assert doc.key_positions[("inh", 0, "tau")] == (1, 11)


def test_alias_means_the_anchor_defined_before_it_even_if_redefined_later():
    assert load("a: &x 1\nb: &y [*x]\nc: &x 2\nd: *y\ne: *x\n")["d"] == [1]
    assert load("a: &x 1\nb: &y [*x]\nc: &x 2\nd: *y\ne: *x\n")["e"] == 2


def test_unknown_and_recursive_aliases_are_refused():
    assert "unknown alias '*x'" in problem("a: *x\n").message
    assert "unknown alias '*a'" in problem("a: &a [1, *a]\n").message


def _count_nodes(monkeypatch) -> list:
    """Record every node the builder builds (the loader's work, counted instead of timed)."""
    import snnrun.schema.yaml_loader as yl

    built = []
    node = yl._Builder.node
    monkeypatch.setattr(yl._Builder, "node", lambda self, ev, path, depth: built.append(path) or node(self, ev, path, depth))
    return built


def test_alias_bomb_fails_fast(monkeypatch):
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    built = _count_nodes(monkeypatch)
    p = problem("\n".join(lines) + "\n")
    assert p.message == "too many nodes after alias expansion (limit 200000): is this an alias bomb?"
    assert p.line >= 6
    # each alias is charged its whole expansion before it is replayed: the bomb (9^9 nodes) fails having
    # built about 10^5 of them, not the billions it asks for
    assert len(built) < 200_000


def test_node_limit_applies_without_aliases_too():
    assert load("a: [1, 2, 3]\n", max_nodes=5) == {"a": [1, 2, 3]}
    assert "limit 4" in problem("a: [1, 2, 3]\n", max_nodes=4).message


# --- limits -----------------------------------------------------------------------------------------

def nested(n: int) -> str:
    return "{a: " * n + "1" + "}" * n + "\n"


def test_depth_limit():
    assert load(nested(64))  # the root mapping is level 1
    p = problem(nested(65))
    assert p.message == "nesting deeper than 64 levels" and p.path == ("a",) * 64
    assert problem("a: {b: {c: 1}}\n", max_depth=2).path == ("a", "b")


@pytest.mark.parametrize("text", [
    "[" * 100_000, "a: " + "[" * 100_000, "a: " + "[" * 100_000 + "]" * 100_000, "- " * 100_000 + "x",
    "a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 3000)),
])
def test_deep_nesting_never_crashes_the_interpreter(text, monkeypatch):
    built = _count_nodes(monkeypatch)
    problem(text)
    assert len(built) <= 3000  # stopped at the depth limit (or the syntax error), not after 100 000 levels


def test_size_limit_on_files_and_text(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" + b"#" * (10 * 2**20))
    with pytest.raises(SpecError) as info:
        load_yaml(big)
    assert info.value.problems[0].message == "file is larger than 10 MiB"
    assert info.value.problems[0].file == str(big)
    assert problem("a: 12345\n", max_bytes=8).message == "file is larger than 8 bytes"
    assert problem("a: é\n", max_bytes=5).message == "file is larger than 5 bytes"  # bytes, not chars


def test_encoding(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_bytes("\ufeffname: café\n".encode())
    assert load_yaml(f).data == {"name": "café"}
    f.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(SpecError) as info:
        load_yaml(f)
    p = info.value.problems[0]
    assert p.message.startswith("not UTF-8 text:") and (p.line, p.column) == (2, 7)


def test_missing_file_and_control_characters(tmp_path):
    with pytest.raises(SpecError) as info:
        load_yaml(tmp_path / "nope.yaml")
    assert "cannot read the file" in info.value.problems[0].message
    p = problem("a: 1\nb: x\x00y\n")
    assert (p.line, p.column, p.message) == (2, 5, "character U+0000 is not allowed in YAML text")
    assert "U+D800" in problem("a: \ud800\n").message


# --- document shape and syntax errors ---------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "- a\n- b\n", "just text\n", "42\n",
                                  "[a: 1]\n"])
def test_spec_must_be_a_mapping(text):
    p = problem(text)
    assert (p.line, p.column, p.path, p.message) == (1, 1, (), "a spec must be a YAML mapping "
                                                                 "(key: value lines)")


def test_one_document_only():
    assert load("---\na: 1\n...\n") == {"a": 1}
    p = problem("a: 1\n---\nb: 2\n")
    assert (p.line, p.message) == (2, "only one YAML document per file")


@pytest.mark.parametrize("text, line, column, path, words", [
    # at the bracket that is not closed, not at the next line where libyaml notices
    ("a: 1\nb: [1, 2\nc: 3\n", 2, 4, ("b",), "the '[' here is not closed"),
    # at the line whose key lacks its ':', not where libyaml gives up
    ("a: 1\nsimulation\n  dt: 1 ms\n", 2, 1, (), "'simulation' has no ':' after its key"),
    ("p:\n  size 2\n  model: x\n", 2, 3, (), "'size 2' has no ':' after its key"),
    ("a: b: c\n", 1, 5, (), "mapping values are not allowed"),
    ("pop:\n  size: 1\n model: x\n", 3, 2, (), "did not find expected key"),
    ("a: 1\n\tb: 2\n", 2, 1, (), "a tab character: YAML indents with spaces only"),
    ("a: 'x\n", 2, 1, (), "end of stream"),
    ("a:\n  b: [1, @x]\n", 2, 10, ("a", "b"), "cannot start any token"),
])
def test_syntax_errors_have_position_and_one_line(text, line, column, path, words):
    p = problem(text)
    assert p.message.startswith("YAML syntax error: ")
    assert words in p.message or not yaml.__with_libyaml__  # PyYAML's pure parser words it differently
    assert (p.line, p.column, p.path) == (line, column, path)


# --- positions --------------------------------------------------------------------------------------

SPEC = """\
snnrun: 1
populations:
  exc:
    size: 80
    params: {tau_m: 20 ms, v_th: -50 mV}
record:
  - exc
  - pop: inh
    var: v
"""


def test_positions_of_values_and_keys():
    doc = load_yaml("s.yaml", text=SPEC)
    assert isinstance(doc, YamlDocument) and doc.file == "s.yaml"
    assert doc.data["populations"]["exc"]["params"] == {"tau_m": "20 ms", "v_th": "-50 mV"}
    pos, keys = doc.positions, doc.key_positions
    assert pos[()] == (1, 1)
    assert pos[("populations", "exc", "size")] == (4, 11)
    assert keys[("populations", "exc", "size")] == (4, 5)
    assert pos[("populations", "exc", "params", "v_th")] == (5, 34)
    assert keys[("populations", "exc", "params", "v_th")] == (5, 28)
    assert pos[("record",)] == (7, 3) and pos[("record", 0)] == (7, 5) and pos[("record", 1)] == (8, 5)
    assert pos[("record", 1, "var")] == (9, 10) and keys[("record", 1, "var")] == (9, 5)
    assert ("record", 0) not in keys


def test_every_node_has_a_position():
    doc = load_yaml("s.yaml", text=SPEC)
    assert set(doc.positions) == set(paths(doc.data))
    assert set(doc.key_positions) == {p for p in paths(doc.data) if p and isinstance(p[-1], str)}


def paths(value, prefix=()):
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        yield from paths(v, prefix + (k,))


class _Counting:
    """Wraps a compiled pattern and counts its fullmatch calls (the loader's per-scalar regex work)."""

    def __init__(self, pattern):
        self.pattern, self.calls = pattern, 0

    def fullmatch(self, text):
        self.calls += 1
        return self.pattern.fullmatch(text)


def test_300_kb_spec_costs_one_regex_per_number_like_scalar_and_no_slow_key(monkeypatch):
    """The loader's work, counted instead of timed (a timed assertion failed at 0.143 s under load): plain
    names take the fast path (no key resolution, no regex), and only scalars that start like a number
    (digit, sign or dot) are matched against the number pattern, once each."""
    import snnrun.schema.yaml_loader as yl

    lines = ["snnrun: 1", "populations:"]
    i = 0
    while sum(map(len, lines)) < 300_000:
        lines += [f"  exc_{i}:", "    size: 400", "    model: lif_cond_exp", "    params:",
                  "      tau_m: 20 ms", "      v_thresh: -50 mV", "      tau_refrac: 2.0",
                  f"    record: [spikes, v]  # population {i}"]
        i += 1
    number = _Counting(yl._NUMBER)
    monkeypatch.setattr(yl, "_NUMBER", number)
    slow_keys = []
    key = yl._Builder.key
    monkeypatch.setattr(yl._Builder, "key", lambda self, ev, path: slow_keys.append(path) or key(self, ev, path))
    doc = load_yaml("big.yaml", text="\n".join(lines) + "\n")
    assert len(doc.data["populations"]) == i
    # per population: 400, 20 ms, -50 mV and 2.0 start like numbers; plus the version 1
    assert number.calls == 4 * i + 1
    assert slow_keys == []


# --- property-based ---------------------------------------------------------------------------------

VALID = """\
snnrun: 1
name: "demo net"
populations:
  exc: {size: 80, model: lif, params: {tau_m: 20 ms, v_th: -50.0, refr: 2e-3}}
  inh: &inh
    size: 20
    model: lif
projections:
  - {pre: exc, post: inh, weight: 0.5, delay: '1 ms'}
  - pre: inh
    post: exc
    params: *inh
run: {duration: 100 ms, seed: 0x2A, record: [spikes, v, ~, true]}
"""


def check_only_spec_errors(text=None, path=None):
    try:
        doc = load_yaml(path or "fuzz.yaml", text=text)
    except SpecError as e:
        for p in e.problems:
            assert p.line >= 1 and p.column >= 1, p  # within size limits every problem has a place
            assert "\n" not in p.message
        return
    assert isinstance(doc.data, dict)
    assert set(doc.positions) == set(paths(doc.data))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.text())
def test_arbitrary_text_raises_only_spec_error(text):
    check_only_spec_errors(text=text)


YAML_BITS = list(":-[]{},#&*!|>'\"%@`?\t\n ") + ["\n  ", ": ", "- ", "&a ", "*a", "!!str ", "<<: ",
                                                  "---\n", "010", ".inf", "\ufeff", "\x00", "\udc80"]


@st.composite
def mutated_spec(draw):
    text = VALID
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "dup_line", "drop_line"]))
        if op == "insert":
            text = text[:at] + draw(st.sampled_from(YAML_BITS) | st.text(max_size=3)) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)):]
        elif op == "replace":
            text = text[:at] + draw(st.sampled_from(YAML_BITS)) + text[at + 1:]
        else:
            lines = text.split("\n")
            i = at % len(lines)
            lines[i:i + 1] = [lines[i]] * 2 if op == "dup_line" else []
            text = "\n".join(lines)
    return text


@settings(max_examples=150, deadline=None, derandomize=True)
@given(mutated_spec())
def test_mutated_spec_raises_only_spec_error(text):
    check_only_spec_errors(text=text)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_bytes_raise_only_spec_error(tmp_path, data):
    raw = bytearray(VALID.encode())
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at:at + data.draw(st.integers(0, 2))] = data.draw(st.binary(min_size=0, max_size=3))
    f = tmp_path / "fuzz.yaml"
    f.write_bytes(bytes(raw))
    check_only_spec_errors(path=f)


# Characters a YAML stream may hold raw (json.dumps(ensure_ascii=False) writes them unescaped).
json_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Zl", "Zp"),
                                  exclude_characters="\x85\ufeff"), max_size=12)
json_leaf = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
             | json_text)
json_tree = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(json_text, inner, max_size=4), max_leaves=20)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.dictionaries(json_text, json_tree, max_size=5))
def test_json_is_read_exactly(data):
    """JSON is YAML 1.2: the loader must give back exactly what json.dumps wrote (PyYAML does not)."""
    doc = load_yaml("j.yaml", text=json.dumps(data, ensure_ascii=False))
    assert json.dumps(doc.data) == json.dumps(data)  # same types too: 1 vs 1.0 vs true
    assert all(not isinstance(v, float) or math.isfinite(v) for v in leaves(doc.data))
    assert set(doc.positions) == set(paths(doc.data))


def leaves(value):
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for v in value:
            yield from leaves(v)
    else:
        yield value
