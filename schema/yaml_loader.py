"""A hardened YAML loader for spec files: plain data, exact positions, and none of YAML 1.1's traps.

PyYAML implements YAML 1.1, whose implicit typing surprises people writing parameters by hand:
``no``/``off``/``y`` become booleans (a population called ``no`` turns into ``False``), ``1e-3`` stays a
*string* (1.1 demands a dot in floats), ``010`` is octal 8, ``1:30`` is sexagesimal 90, and ``<<`` merges
mappings silently. Tags (``!!python/object/apply:...``) can build arbitrary objects, and aliases can
expand exponentially ("billion laughs"). So this module uses PyYAML (libyaml when available) only as a
*parser*: it reads the event stream and builds plain dicts, lists and scalars itself, resolving plain
scalars by the YAML 1.2 core schema, refusing tags, merge keys, duplicate keys, ambiguous octals and
non-finite numbers and integers of more than :data:`MAX_DIGITS` digits, and bounding size, nesting
depth and alias expansion (in nodes and in characters: one long scalar aliased many times would
multiply the work of every later stage).

Why events and not ``yaml.compose``: libyaml's composer recurses in C and crashes the interpreter on deep
nesting (``[`` repeated 100 000 times is a segfault, not a RecursionError), composed nodes no longer say
whether a tag was written explicitly (``!!str foo`` looks like ``foo``), and resolving every scalar
through PyYAML's Python resolver makes composing 3x slower than parsing. Events carry everything needed:
marks, explicit tags, the plain/quoted style, anchors and aliases.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

import yaml
from yaml.events import (AliasEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent,
                         ScalarEvent, SequenceEndEvent, SequenceStartEvent, StreamEndEvent)

from .errors import Problem, SpecError, echo
from .files import FileProblem, read_bounded, size_text

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

NOT_A_MAPPING = "a spec must be a YAML mapping (key: value lines)"
# YAML 1.2 core schema words; everything else that is not a number stays a string (yes/no/on/off too).
_WORDS = {"": None, "~": None, "null": None, "Null": None, "NULL": None,
          "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
#: longest integer a spec may write (decimal digits, or the same magnitude in hex or octal): no count, size or
#: seed needs more, and Python refuses str() of an int beyond 4300 digits, so every later message about
#: a longer one would raise instead of reporting
MAX_DIGITS = 100
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NUMBER = re.compile(r"""(?P<int>[-+]?[0-9]+) | (?P<oct>0o[0-7]+) | (?P<hex>0x[0-9a-fA-F]+)
    | (?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)
    | (?P<nonfinite>[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))""", re.X)
# Characters YAML forbids in a stream (C0/C1 controls, surrogates, U+FFFE/FFFF); found here so the
# message can name the character and its line instead of a reader error.
_BAD_CHAR = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class YamlDocument:
    """A loaded spec: plain data plus 1-based (line, column) of every value and every mapping key."""

    data: object
    positions: dict[tuple, tuple[int, int]]
    key_positions: dict[tuple, tuple[int, int]]
    file: str


class _BadScalar(Exception):
    """A plain scalar that must not be read silently; the message says what to write instead."""


def _short(raw: str) -> str:
    return raw if len(raw) <= 40 else raw[:37] + "..."


def _resolve(raw: str) -> object:
    """Type a plain (unquoted, untagged) scalar by the YAML 1.2 core schema, refusing the 1.1 traps."""
    if raw in _WORDS:
        return _WORDS[raw]
    if raw[0] not in "0123456789+-.":
        return raw  # the fast path: names, units, model ids
    m = _NUMBER.fullmatch(raw)
    if m is None:
        return raw  # '1:30', '20 ms', '1_000', '0b101' are strings in YAML 1.2
    kind, digits = m.lastgroup, raw.lstrip("+-")
    if kind in ("int", "oct", "hex") and len(digits) > MAX_DIGITS + 2:
        raise _BadScalar(f"number '{_short(raw)}' has too many digits (integers have at most {MAX_DIGITS})")
    try:
        if kind == "int" and len(digits) > 1 and digits[0] == "0":
            # YAML 1.1 (PyYAML and many other tools) reads 010 as 8 and 09 as a string: refuse to guess.
            sign, plain = raw[0].replace("+", "") if raw[0] in "+-" else "", digits.lstrip("0") or "0"
            read = "a string" if digits.strip("01234567") else f"octal {sign}{int(digits, 8)}"
            fix = f" or 0o{plain}" if not sign and read != "a string" else ""
            raise _BadScalar(f"ambiguous number '{_short(raw)}' (YAML 1.1 reads it as {read}): "
                             f"write {sign}{plain}{fix}")
        if kind in ("int", "oct", "hex"):
            value = int(raw) if kind == "int" else int(raw[2:], 8 if kind == "oct" else 16)
            if abs(value) >= 10**MAX_DIGITS:
                raise _BadScalar(f"number '{_short(raw)}' has too many digits (integers have at most "
                                 f"{MAX_DIGITS})")
            return value
        if kind == "float" and math.isfinite(value := float(raw)):
            return value
    except ValueError:  # Python refuses int <-> str beyond 4300 digits
        raise _BadScalar(f"number '{_short(raw)}' has too many digits") from None
    raise _BadScalar(f"non-finite number '{_short(raw)}' is not allowed: write a finite value")


def _tag_text(tag: str) -> str:
    return "!!" + tag[18:] if tag.startswith("tag:yaml.org,2002:") else tag


class _Builder:
    """Builds plain Python data from parser events (one document), with positions and limits.

    An alias is expanded by replaying the recorded events of its anchored node, so each path gets a
    fresh object (no shared dicts that a later in-place edit would change twice) and its own positions.
    Events are recorded only inside anchored nodes. Each anchor remembers its node count and the
    characters of its scalars, so an alias is charged for its whole expansion *before* it is replayed:
    an alias bomb fails in microseconds, whether it is wide (many nodes) or long (one 8 MiB scalar
    aliased 50 000 times, which would cost every later stage 400 GiB of text).
    """

    def __init__(self, file, get_event, max_nodes, max_depth, max_chars, text=""):
        self.file, self.get, self.max_nodes, self.max_depth = file, get_event, max_nodes, max_depth
        self.text = text  # for locating syntax errors
        self.max_chars = max_chars
        self.nodes, self.recording = 0, 0  # nodes built so far; anchored nodes currently open
        self.chars = 0  # characters of the scalars (values and keys) built so far
        self.positions: dict = {}
        self.key_positions: dict = {}
        self.anchors: dict = {}  # name -> (start, end, node count, characters): a slice of self.rec
        self.alias_spans: dict = {}  # id(recorded alias event) -> the span it meant where it was written
        self.rec: list = []
        self.replay: list = []  # iterators over recorded events, innermost last

    def fail(self, where, path, message) -> SpecError:
        line, col = (where.line + 1, where.column + 1) if hasattr(where, "line") else where
        return SpecError([Problem(self.file, line, col, tuple(path), message)])

    def syntax(self, e: yaml.YAMLError, path) -> SpecError:
        """One line from libyaml's problem and context, never its multi-line snippet, placed at the line
        at fault where libyaml's own mark points past it (a forgotten ':' or an unclosed bracket)."""
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None) or (1, 1)
        problem = getattr(e, "problem", None) or getattr(e, "reason", None) or "unreadable text"
        context = getattr(e, "context", None)
        message = " ".join(f"{problem}{f' ({context})' if context else ''}".split())
        found = self.located(e, mark, problem, context)
        if found is not None:
            mark, message = found
        return self.fail(mark, path, f"YAML syntax error: {message}")

    def located(self, e, mark, problem: str, context: str | None):
        """(mark, message) for the syntax errors whose libyaml mark is not where the mistake is."""
        lines = self.text.split("\n")
        context_mark = getattr(e, "context_mark", None)
        at = (mark.line, mark.column) if hasattr(mark, "line") else None
        if at and at[0] < len(lines) and lines[at[0]][at[1]:at[1] + 1] == "\t" or "tab character" in problem:
            return mark, "a tab character: YAML indents with spaces only (and a tab cannot start a value)"
        if problem == "could not find expected ':'" and context_mark is not None:
            line = lines[context_mark.line].strip() if context_mark.line < len(lines) else ""
            return context_mark, f"'{echo(line, 40)}' has no ':' after its key (write 'key: value')"
        if problem.startswith("mapping values are not allowed") and at:
            # "size 2" followed by "model: x" reads as one plain scalar "size 2 model" that then meets ':'
            before = next((i for i in range(at[0] - 1, -1, -1)
                           if lines[i].strip() and not lines[i].lstrip().startswith("#")), None)
            if before is not None and ":" not in lines[before] and not lines[before].lstrip().startswith("-"):
                return (before + 1, len(lines[before]) - len(lines[before].lstrip()) + 1), (
                    f"'{echo(lines[before].strip(), 40)}' has no ':' after its key (write 'key: value')")
        if problem.startswith("did not find expected ',' or") and context_mark is not None:
            bracket = "{" if problem.endswith("'}'") else "["
            return context_mark, (f"the '{bracket}' here is not closed (libyaml: {problem} at line "
                                  f"{mark.line + 1}, column {mark.column + 1})")
        return None

    def next(self):
        if self.replay:
            return next(self.replay[-1])
        ev = self.get()
        if self.recording:
            self.rec.append(ev)
        return ev

    def charge(self, n, ev, path, chars=0):
        self.nodes += n
        self.chars += chars
        if self.nodes > self.max_nodes:
            raise self.fail(ev.start_mark, path, f"too many nodes after alias expansion "
                            f"(limit {self.max_nodes}): is this an alias bomb?")
        if self.chars > self.max_chars:
            raise self.fail(ev.start_mark, path, f"the text is larger than {size_text(self.max_chars)} after "
                            "alias expansion: is this an alias bomb?")

    def node(self, ev, path, depth):
        m = ev.start_mark
        if type(ev) is AliasEvent:  # replay the anchored node, charging its node count up front
            span = self.alias_spans[id(ev)] if self.replay else self.anchors.get(ev.anchor)
            if span is None:
                raise self.fail(m, path, f"unknown alias '*{ev.anchor}': an alias must come after its "
                                f"anchor '&{ev.anchor}', outside the anchored value")
            if not self.replay:
                if self.recording:  # a later replay must see what it meant here (anchors can be redefined)
                    self.alias_spans[id(ev)] = span
                self.charge(span[2], ev, path, span[3])
            self.replay.append(iter(self.rec[span[0]:span[1]]))
            value = self.node(next(self.replay[-1]), path, depth)
            self.replay.pop()
            self.positions[path] = (m.line + 1, m.column + 1)  # where the alias is, not its anchor
            return value
        self.positions[path] = (m.line + 1, m.column + 1)
        if ev.tag is not None:
            raise self.fail(m, path, f"YAML tags are not allowed ('{_tag_text(ev.tag)}')")
        anchor = None if self.replay else ev.anchor
        if not self.replay:
            self.charge(1, ev, path, len(ev.value) if type(ev) is ScalarEvent else 0)
            if anchor is not None:
                if not self.recording:
                    self.rec.append(ev)
                self.recording += 1
                start, before = len(self.rec) - 1, self.nodes - 1
                chars_before = self.chars - (len(ev.value) if type(ev) is ScalarEvent else 0)
        t = type(ev)
        if t is ScalarEvent:
            try:
                value = _resolve(ev.value) if ev.implicit[0] else ev.value
            except _BadScalar as e:
                raise self.fail(m, path, str(e)) from None
        elif depth >= self.max_depth:
            raise self.fail(m, path, f"nesting deeper than {self.max_depth} levels")
        else:
            value = (self.mapping if t is MappingStartEvent else self.sequence)(path, depth + 1)
        if anchor is not None:
            self.recording -= 1
            self.anchors[anchor] = (start, len(self.rec), self.nodes - before, self.chars - chars_before)
        return value

    def sequence(self, path, depth):
        out: list = []
        # While no anchor is open and no alias replays, events come straight from the parser (fast).
        nxt = self.next if self.replay or self.recording else self.get
        try:
            while type(ev := nxt()) is not SequenceEndEvent:
                out.append(self.node(ev, path + (len(out),), depth))
        except yaml.YAMLError as e:
            raise self.syntax(e, path) from None
        return out

    def mapping(self, path, depth):
        out: dict = {}
        nxt = self.next if self.replay or self.recording else self.get
        try:
            while type(kev := nxt()) is not MappingEndEvent:
                key = kev.value if type(kev) is ScalarEvent else None
                if not (key and key[0] in _NAME_START and key not in _WORDS and kev.tag is None
                        and kev.anchor is None):
                    key = self.key(kev, path)  # the slow path: anything but a plain name
                kpath, m = path + (key,), kev.start_mark
                if not self.replay:
                    self.chars += len(key)
                if key in out:
                    raise self.fail(m, kpath, f"duplicate key '{_short(key)}' "
                                    f"(first at line {self.key_positions[kpath][0]})")
                self.key_positions[kpath] = (m.line + 1, m.column + 1)
                out[key] = self.node(nxt(), kpath, depth)
        except yaml.YAMLError as e:
            raise self.syntax(e, path) from None
        return out

    def key(self, ev, path) -> str:
        """A mapping key: a name, kept as written (a key 'no' is the string 'no', not False)."""
        m = ev.start_mark
        if type(ev) is AliasEvent or ev.anchor is not None:
            raise self.fail(m, path, "anchors and aliases ('&', '*') are not allowed on mapping keys")
        if type(ev) is not ScalarEvent:
            raise self.fail(m, path, "mapping keys must be names (strings), not lists or mappings")
        if ev.tag is not None:
            raise self.fail(m, path, f"YAML tags are not allowed ('{_tag_text(ev.tag)}')")
        raw = ev.value
        if not ev.implicit[0]:
            return raw  # quoted: always a string
        if raw == "<<":
            raise self.fail(m, path + ("<<",), "merge keys ('<<') are not supported: use models: to "
                            "share parameters")
        try:
            value = _resolve(raw)
        except _BadScalar:
            value = None
        if type(value) is not str:
            raise self.fail(m, path, f"mapping keys must be names (strings): '{_short(raw)}' reads as "
                            f"{'null' if value is None else type(value).__name__}; quote it or rename it")
        return raw

    def document(self):
        try:
            self.next()  # StreamStartEvent
            ev = self.next()  # DocumentStartEvent, or StreamEndEvent when there is no document
            ev = ev if type(ev) is StreamEndEvent else self.next()
            if type(ev) is not MappingStartEvent and getattr(ev, "tag", None) is None:
                # at the list or text written instead (after any comments); an empty file at 1:1
                written = type(ev) is SequenceStartEvent or type(ev) is ScalarEvent and ev.value
                raise self.fail(ev.start_mark if written else (1, 1), (), NOT_A_MAPPING)
            data = self.node(ev, (), 0)
            self.next()  # DocumentEndEvent
            ev = self.next()
        except yaml.YAMLError as e:
            raise self.syntax(e, ()) from None
        if type(ev) is DocumentStartEvent:
            raise self.fail(ev.start_mark, (), "only one YAML document per file")
        return data


def _read(file: str, text: str | None, max_bytes: int) -> str:
    """The spec's text: a regular file bounded in size, UTF-8 (BOM allowed), only characters YAML permits.

    File-level problems are placed at 1:1, so every problem has the same ``file:line:col:`` form.
    """
    def fail(message, line=1, col=1):
        return SpecError([Problem(file, line, col, (), message)])

    if text is None:
        try:
            raw = read_bounded(file, max_bytes)
        except FileProblem as e:
            raise fail(str(e)) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            col = len(raw[raw.rfind(b"\n", 0, e.start) + 1:e.start].decode("utf-8", "replace")) + 1
            raise fail(f"not UTF-8 text: {e.reason} (byte 0x{raw[e.start]:02x}); save the file as UTF-8",
                       raw.count(b"\n", 0, e.start) + 1, col) from None
    elif len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise fail(f"file is larger than {size_text(max_bytes)}")
    text = text[1:] if text.startswith("\ufeff") else text
    if bad := _BAD_CHAR.search(text):
        at = bad.start()
        raise fail(f"character U+{ord(bad.group()):04X} is not allowed in YAML text",
                   text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at))
    return text


def load_yaml(source: str | os.PathLike, *, text: str | None = None, max_bytes: int = 10 * 2**20,
              max_nodes: int = 200_000, max_depth: int = 64, max_chars: int | None = None) -> YamlDocument:
    """Load one spec file (or ``text``, reported under the name ``source``) into plain data.

    ``max_chars`` bounds the characters of all scalars after alias expansion (default: twice
    ``max_bytes``). Every failure is a :class:`SpecError` whose single problem has a position and a
    one-line message.
    """
    file = os.fspath(source)
    file = file if isinstance(file, str) else os.fsdecode(file)
    text = _read(file, text, max_bytes)
    loader = _Loader(text)
    builder = _Builder(file, loader.get_event, max_nodes, max_depth,
                       2 * max_bytes if max_chars is None else max_chars, text)
    try:
        data = builder.document()
    except RecursionError:  # only with a max_depth far above Python's recursion limit
        raise SpecError([Problem(file, 1, 1, (), f"nesting too deep to load (max_depth={max_depth})")])
    finally:
        loader.dispose()
    return YamlDocument(data, builder.positions, builder.key_positions, file)
