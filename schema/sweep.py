"""The typed ``sweep:`` block: which spec values vary, over which seeds, and every point validated.

```yaml
sweep:
  mode: grid                  # grid (every combination, the default) | zip (the i-th value of each)
  seeds: [1, 2, 3]            # optional: every point once per seed (default: the spec's seed)
  parameters:                 # dotted spec path -> the values it takes, written as in the spec
    projections.ie.synapse.weight: [-60 pA, -90 pA]
    populations.exc.params.i_offset: [0 nA, 0.1 nA]
```

A point is the spec with one value per parameter put in place. Every point is validated as a whole spec
(schema, units and dimensions, ranges, cross-parameter rules) before anything runs, and each problem is
reported at the value in the sweep that caused it (``file:line:col`` of that value, path
``sweep.parameters.<path>[i]``), all problems at once. A path must name a place that exists in the spec;
a population's or a model's ``params`` and ``initial``, and ``simulation.options``, may be absent (the
value then replaces the default).
"""

from __future__ import annotations

import copy
import difflib
import itertools
import re
from dataclasses import dataclass
from typing import Callable, Mapping, Optional

from .errors import Problem, SpecError
from .model import FrozenMap, Path, Spec
from .units import UNITS, UnitError, parse_quantity

#: at most this many points x seeds: a typo in a grid (a thousand values) should not start a week of work
MAX_TASKS = 100_000
#: spec paths a sweep cannot vary, and why
NOT_SWEPT = {
    ("snnrun",): "the language version is not a parameter",
    ("name",): "the name names the results folder, it is not a parameter",
    ("seed",): "vary the seed with sweep.seeds (or --seeds on the command line)",
    ("sweep",): "a sweep cannot sweep itself",
    ("simulation", "backends"): "the backends are chosen for the whole sweep (--backend); every point "
                                "runs on each of them",
}
#: containers a sweep value may create when the spec does not write them: (pattern of the path to the
#: container, with "*" for any name)
CREATABLE = (("populations", "*", "params"), ("populations", "*", "initial"), ("models", "*", "params"),
             ("populations", "*", "model", "params"), ("simulation", "options"), ("simulation", "options", "*"))
_COMPONENT = re.compile(r"^(?:[a-z][a-z0-9_]*(?::[a-z0-9_]+)?|[0-9]+)$")
#: the SI symbol of each dimension (the unit of a summary column); dimensionless values have none
SI_SYMBOL = {dim: symbol for symbol, (dim, factor) in UNITS.items() if factor == 1.0}


@dataclass(frozen=True)
class SweepParameter:
    """One swept spec value: ``path`` as written (dotted), ``keys`` its parts (list indices as int),
    ``values`` as written in the spec (quantity strings, numbers, mappings), ``si`` the SI value of each
    (None where a value is not one quantity, e.g. a distribution) and ``unit`` their SI unit symbol
    ("" for dimensionless numbers or values that are not quantities)."""

    path: str
    keys: Path
    values: tuple
    si: tuple[Optional[float], ...]
    unit: str

    @property
    def column(self) -> str:
        """The name of this parameter's column in a sweep summary: ``path [unit]``."""
        return f"{self.path} [{self.unit}]" if self.unit else self.path


@dataclass(frozen=True)
class SweepPoint:
    """One combination: ``values[k]`` (as written) and ``si[k]`` of parameter k, ``index`` its number."""

    index: int
    values: tuple
    si: tuple[Optional[float], ...]


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: ``mode`` grid or zip, ``seeds`` (empty: the spec's own seed), the parameters
    and every point, in order (grid: the last parameter varies fastest)."""

    mode: str
    seeds: tuple[int, ...]
    parameters: tuple[SweepParameter, ...]
    points: tuple[SweepPoint, ...]

    def seeds_for(self, spec_seed: int) -> tuple[int, ...]:
        """The seeds each point runs with: the sweep's, else the spec's."""
        return self.seeds or (spec_seed,)

    def overrides(self, point: SweepPoint) -> dict[Path, object]:
        """Spec path -> value (as written, thawed into plain dicts and lists) of ``point``."""
        return {p.keys: thaw(v) for p, v in zip(self.parameters, point.values)}

    def describe(self, point: SweepPoint) -> str:
        """``path = value, ...`` of a point, for messages."""
        return ", ".join(f"{p.path} = {_shown(v)}" for p, v in zip(self.parameters, point.values))


def freeze(value):
    """A hashable, read-only copy of a YAML value: mappings become FrozenMaps, lists tuples."""
    if isinstance(value, Mapping):
        return FrozenMap({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value):
    """The plain YAML form (dicts and lists) of a frozen value, as the schema validator expects."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value


def _shown(value) -> str:
    text = repr(thaw(value)) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."


def _si(values: list) -> tuple[tuple[Optional[float], ...], str]:
    """SI values and their common unit symbol; values that are not quantities give None."""
    out, dims = [], set()
    for value in values:
        try:
            si, dim = parse_quantity(value)
        except UnitError:
            out.append(None)
            continue
        out.append(si)
        dims.add(dim)
    unit = SI_SYMBOL.get(next(iter(dims)), "") if len(dims) == 1 else ""
    return tuple(out), unit


def _matches(keys: Path, pattern: tuple) -> bool:
    return len(keys) == len(pattern) and all(p == "*" or p == k for k, p in zip(keys, pattern))


def parse_path(dotted: str) -> Optional[Path]:
    """``"record.0.interval"`` -> ``("record", 0, "interval")``; None when it is not a spec path."""
    parts = dotted.split(".")
    if not all(_COMPONENT.match(p) for p in parts):
        return None
    return tuple(int(p) if p.isdigit() else p for p in parts)


class _Checker:
    """Collects the sweep's problems, each located in the spec file."""

    def __init__(self, file: str, positions: Mapping, key_positions: Mapping):
        self.file, self.positions, self.key_positions = file, positions, key_positions
        self.problems: list[Problem] = []

    def at(self, path: Path, message: str, key: bool = False) -> None:
        table = self.key_positions if key and path in self.key_positions else self.positions
        line, column = table.get(path, (0, 0))
        problem = Problem(self.file, line, column, path, message)
        if problem not in self.problems:
            self.problems.append(problem)


def _check_path(data: Mapping, keys: Path, where: Path, check: _Checker) -> bool:
    """True when ``keys`` names a place in ``data`` a value can go (see module); else report why."""
    if keys[:1] == ("sweep",) or keys in NOT_SWEPT:
        check.at(where, f"{'.'.join(map(str, keys))} cannot be swept: {NOT_SWEPT.get(keys, NOT_SWEPT[('sweep',)])}",
                 key=True)
        return False
    node: object = data
    for depth, key in enumerate(keys[:-1]):
        prefix = keys[:depth + 1]
        shown = ".".join(map(str, prefix))
        if isinstance(node, list):
            if not isinstance(key, int) or key >= len(node):
                check.at(where, f"{shown}: {'.'.join(map(str, prefix[:-1]))} is a list of {len(node)}; "
                                "give an index from 0", key=True)
                return False
            node = node[key]
        elif isinstance(node, dict):
            if key not in node:
                if any(_matches(prefix, pattern) for pattern in CREATABLE):
                    return True  # absent: the swept value replaces a default
                known = [str(k) for k in node] + [p[-1] for p in CREATABLE
                                                  if _matches(prefix[:-1] + (p[-1],), p)]
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else (
                    f" (it has: {', '.join(known)})" if known else "")
                check.at(where, f"{shown} does not exist in the spec{hint}", key=True)
                return False
            node = node[key]
        else:
            check.at(where, f"{shown} is a value, not a mapping or list: nothing inside it can be swept", key=True)
            return False
    if isinstance(node, list) and not (isinstance(keys[-1], int) and keys[-1] < len(node)):
        check.at(where, f"{'.'.join(map(str, keys))}: the list has {len(node)} elements; give an index from 0",
                 key=True)
        return False
    if not isinstance(node, (dict, list)):
        check.at(where, f"{'.'.join(map(str, keys[:-1]))} is a value, not a mapping: nothing inside it can be "
                        "swept", key=True)
        return False
    return True


def apply_point(data: Mapping, overrides: Mapping[Path, object], seed: Optional[int] = None) -> dict:
    """A deep copy of the spec mapping ``data`` without its sweep, each override in place (containers
    a path needs are created) and ``seed`` set (when given)."""
    out = copy.deepcopy({k: v for k, v in thaw(data).items() if k != "sweep"})
    for keys, value in overrides.items():
        node = out
        for key in keys[:-1]:
            node = node[key] if isinstance(node, list) else node.setdefault(key, {})
        node[keys[-1]] = copy.deepcopy(value)
    if seed is not None:
        out["seed"] = seed
    return out


def point_positions(positions: Mapping, key_positions: Mapping, sweep: Sweep,
                    point: SweepPoint) -> tuple[dict, dict]:
    """Positions of a point's mapping: each swept value is found where the sweep wrote it (so a problem
    in it, or an error a backend reports about it, points at the sweep), containers it created at the
    sweep's key."""
    pos, keys_at = dict(positions), dict(key_positions)
    for j, (param, value) in enumerate(zip(sweep.parameters, point.values)):
        index = param.values.index(value)
        source = ("sweep", "parameters", param.path, index)
        key_source = ("sweep", "parameters", param.path)
        for table in (pos, keys_at):
            for path in [p for p in table if p[:len(param.keys)] == param.keys]:
                del table[path]
        for path, where in positions.items():
            if path[:len(source)] == source:
                pos[param.keys + path[len(source):]] = where
        for path, where in key_positions.items():
            if path[:len(source)] == source and len(path) > len(source):
                keys_at[param.keys + path[len(source):]] = where
        at_key = key_positions.get(key_source, positions.get(key_source, (0, 0)))
        keys_at[param.keys] = at_key
        for depth in range(1, len(param.keys)):
            prefix = param.keys[:depth]
            pos.setdefault(prefix, at_key)
    return pos, keys_at


def _points(mode: str, params: list[SweepParameter]) -> list[SweepPoint]:
    if not params:
        return [SweepPoint(0, (), ())]
    if mode == "zip":
        combos = zip(*[range(len(p.values)) for p in params])
    else:
        combos = itertools.product(*[range(len(p.values)) for p in params])
    return [SweepPoint(i, tuple(p.values[k] for p, k in zip(params, combo)),
                       tuple(p.si[k] for p, k in zip(params, combo))) for i, combo in enumerate(combos)]


Normalise = Callable[..., Spec]


def normalise_sweep(data: Mapping, file: str, positions: Mapping, key_positions: Mapping, base_dir: str,
                    problems: list[Problem], normalise: Normalise) -> Optional[Sweep]:
    """The typed Sweep of ``data["sweep"]`` (None without one), every point validated by ``normalise``
    (the spec normaliser) and the schema. Problems are appended to ``problems``; a point's problem that
    the spec itself has too (``problems`` already holds it) is not repeated."""
    raw = data.get("sweep")
    if raw is None:
        return None
    check = _Checker(file, positions, key_positions)
    mode = raw.get("mode", "grid")
    seeds = tuple(raw.get("seeds", ()))
    params: list[SweepParameter] = []
    for dotted, values in raw.get("parameters", {}).items():
        where = ("sweep", "parameters", dotted)
        keys = parse_path(dotted)
        if keys is None:
            check.at(where, f"'{dotted}' is not a spec path: names joined by dots, list elements by their "
                            "index, such as populations.exc.params.i_offset or record.0.interval", key=True)
            continue
        if not _check_path(data, keys, where, check):
            continue
        frozen = tuple(freeze(v) for v in values)
        repeated = [i for i, v in enumerate(frozen) if frozen.index(v) != i]
        if repeated:
            check.at(where + (repeated[0],), f"{_shown(frozen[repeated[0]])} is already value "
                                             f"{frozen.index(frozen[repeated[0]])} of this parameter")
            continue
        si, unit = _si(list(values))
        params.append(SweepParameter(dotted, keys, frozen, si, unit))
    if mode == "zip" and params:
        lengths = {len(p.values) for p in params}
        if len(lengths) > 1:
            first = len(params[0].values)
            for p in params[1:]:
                if len(p.values) != first:
                    check.at(("sweep", "parameters", p.path), f"zip sweeps need lists of one length: "
                                                              f"{params[0].path} has {first} values, this has "
                                                              f"{len(p.values)}", key=True)
    problems.extend(check.problems)
    if check.problems and (mode == "zip" or not params):
        return None
    # with a wrong path or two, the points of the other parameters are still checked (all problems at once)
    points = _points(mode, params)
    n_tasks = len(points) * max(1, len(seeds))
    if n_tasks > MAX_TASKS:
        problems.append(Problem(file, *positions.get(("sweep",), (0, 0)), ("sweep",),
                                f"{n_tasks} points x seeds per backend; at most {MAX_TASKS}"))
        return None
    sweep = Sweep(mode, seeds, tuple(params), tuple(points))
    problems.extend(_point_problems(data, file, positions, key_positions, base_dir, sweep, problems, normalise))
    return None if check.problems else sweep


def _point_problems(data, file, positions, key_positions, base_dir, sweep: Sweep, known: list[Problem],
                    normalise: Normalise) -> list[Problem]:
    """Validate every point as a whole spec; locate each problem at the sweep value behind it."""
    from .validate import schema_problems

    seen = {(p.path, p.message, p.line, p.column) for p in known}
    found: dict[tuple, list] = {}  # (path, message, line, column) -> [problem, first point, count]
    key_at = {key_positions.get(("sweep", "parameters", p.path)): p for p in sweep.parameters}
    for point in sweep.points:
        point_data = apply_point(data, sweep.overrides(point))
        pos, keys_at = point_positions(positions, key_positions, sweep, point)
        got = schema_problems(point_data, file, pos, keys_at)
        if not got:
            try:
                normalise(point_data, file, pos, keys_at, base_dir)
            except SpecError as error:
                got = error.problems
        for problem in got:
            problem = _relocate(problem, sweep, point, key_at)
            key = (problem.path, problem.message, problem.line, problem.column)
            if key in seen:
                continue
            if key in found:
                found[key][2] += 1
            else:
                found[key] = [problem, point, 1]
    out = []
    for problem, point, count in found.values():
        if problem.path[:2] != ("sweep", "parameters"):  # not at a swept value: say which point
            more = f", and {count - 1} more point{'s' if count > 2 else ''}" if count > 1 else ""
            problem = Problem(problem.file, problem.line, problem.column, problem.path,
                              f"{problem.message} (at sweep point {point.index}: {sweep.describe(point)}{more})")
        out.append(problem)
    return out


def _relocate(problem: Problem, sweep: Sweep, point: SweepPoint, key_at: Mapping) -> Problem:
    """A point's problem under a swept path gets that value's sweep path (``sweep.parameters.<path>[i]``);
    one located at a parameter's key (the path itself is wrong for this spec) gets the key's path."""
    at = (problem.line, problem.column)
    if problem.line and at in key_at:
        param = key_at[at]
        return Problem(problem.file, problem.line, problem.column, ("sweep", "parameters", param.path),
                       problem.message)
    for param, value in zip(sweep.parameters, point.values):
        n = len(param.keys)
        if tuple(problem.path[:n]) == param.keys:
            path = ("sweep", "parameters", param.path, param.values.index(value)) + tuple(problem.path[n:])
            return Problem(problem.file, problem.line, problem.column, path, problem.message)
    return problem


def point_spec(spec: Spec, point: SweepPoint, seed: int) -> Spec:
    """The Spec of one point of ``spec``'s sweep, run with ``seed`` (validated when ``spec`` was loaded)."""
    from .normalise import normalise

    sweep = spec.sweep
    data = apply_point(spec.raw, sweep.overrides(point), seed)
    pos, _ = point_positions(spec.source.positions, {}, sweep, point)
    return normalise(data, spec.source.file, pos, {}, spec.base_dir)


def with_seeds(spec: Spec, seeds: tuple[int, ...]) -> Spec:
    """``spec`` as a seed ensemble over ``seeds`` (its sweep's seeds replaced, or a sweep of seeds only)."""
    import dataclasses

    sweep = spec.sweep or Sweep("grid", (), (), (SweepPoint(0, (), ()),))
    return dataclasses.replace(spec, sweep=dataclasses.replace(sweep, seeds=tuple(seeds)))


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"1-10"`` -> 1..10, ``"1,2,5"`` -> (1, 2, 5), ``"1-3,7"`` -> (1, 2, 3, 7); ValueError otherwise."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not match:
            raise ValueError(f"--seeds: expected seeds such as 1-10 or 1,2,5, got '{text}'")
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
        if high < low:
            raise ValueError(f"--seeds: the range {part} is empty (write low-high)")
        if high - low >= MAX_TASKS:
            raise ValueError(f"--seeds: {part} is more than {MAX_TASKS} seeds")
        seeds.extend(range(low, high + 1))
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds: a seed is given twice in '{text}'")
    return tuple(seeds)
