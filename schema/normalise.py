"""Schema-valid mapping -> typed :class:`Spec` in SI units, with the checks a schema cannot express:
names that must exist, units against each parameter's dimension, weight dimension against the target's
synapse type, delays shorter than dt, value arrays of the wrong length, indices out of range, recording a
variable the model lacks. Every problem is collected and raised together."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from typing import Mapping, Optional

import numpy as np

from . import catalogue as cat
from . import plasticity as rules
from .connection_file import MAX_BYTES as MAX_CONNECTION_FILE_BYTES, Column, ConnectionTable
from .connection_file import FileError as ConnectionFileError, read_table as read_connection_table
from .errors import Problem, SpecError, echo, printable
from .files import FileProblem, read_bounded
from .model import (Connect, NeuronModel, Path, Population, Projection, Quantity, Values, Simulation, SourceMap,
                    Spec, Stimulus, Synapse, frozen_map)
from .observations import MAX_STEPS, RecordExpectMixin, suggest as _suggest
from .sweep import normalise_sweep
from .units import Dimension, format_quantity
from .values import number_or_quantity, parse_value, value_bounds

T, F, D = Dimension.TIME, Dimension.FREQUENCY, Dimension.DIMENSIONLESS
#: the keys each connection rule takes; any other key is an error, so a misplaced p or n never silently
#: does nothing
_COMMON_CONNECT_KEYS = {"rule", "allow_self", "multapses"}
_RULE_KEYS = {
    "all_to_all": _COMMON_CONNECT_KEYS, "one_to_one": {"rule"},
    "fixed_probability": _COMMON_CONNECT_KEYS | {"p"},
    "fixed_indegree": _COMMON_CONNECT_KEYS | {"n"}, "fixed_outdegree": _COMMON_CONNECT_KEYS | {"n"},
    "fixed_total": _COMMON_CONNECT_KEYS | {"n"},
    "from_list": {"rule", "pairs", "file"},
}
#: stimulus parameters that may differ per target neuron ({values: [...]} or a distribution); the schedule
#: (start, stop, times, interval) is one for the whole stimulus
PER_NEURON_STIMULUS_PARAMS = ("amplitude", "offset", "frequency", "phase", "mean", "std")


def _kind(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _get(data, path: Path):
    for part in path:
        data = data[part]
    return data


class _Normaliser(RecordExpectMixin):
    def __init__(self, data: Mapping, file: str, positions: Mapping, key_positions: Mapping, base_dir: str):
        self.data, self.file, self.base_dir = data, file, base_dir
        self.positions, self.key_positions = positions, key_positions
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.extra_hash = hashlib.sha256()

    def report(self, path: Path, message: str, key: bool = False) -> None:
        table = self.key_positions if key and tuple(path) in self.key_positions else self.positions
        probe = tuple(path)
        while probe and probe not in table:
            probe = probe[:-1]
        line, column = table.get(probe, (0, 0))
        problem = Problem(self.file, line, column, tuple(printable(p) if isinstance(p, str) else p
                                                         for p in path), message)
        if problem not in self.problems:  # a shared named model is checked once per population using it
            self.problems.append(problem)

    def warn(self, path: Path, message: str) -> None:
        line, column = self.positions.get(tuple(path), (0, 0))
        self.warnings.append(str(Problem(self.file, line, column, tuple(path), message)))

    # -- simulation -------------------------------------------------------------------------------
    def simulation(self) -> Simulation:
        raw = self.data["simulation"]
        dt = number_or_quantity(raw["dt"], T, ("simulation", "dt"), self.report)
        duration = number_or_quantity(raw["duration"], T, ("simulation", "duration"), self.report)
        if dt is not None and dt <= 0:
            self.report(("simulation", "dt"), "dt must be positive")
            dt = None
        if dt is not None and duration is not None:
            steps = duration / dt
            if duration <= 0:
                self.report(("simulation", "duration"), "duration must be positive")
            elif steps > MAX_STEPS:
                self.report(("simulation", "duration"), f"duration is {steps:.3g} steps of dt "
                                                        f"({format_quantity(dt, T)}); at most {MAX_STEPS:.0e}")
            elif abs(steps - round(steps)) > 1e-6 * max(1.0, steps):
                self.report(("simulation", "duration"), f"duration must be a whole number of steps of dt "
                                                        f"({format_quantity(dt, T)})")
        self.dt = dt or 1e-4
        self.dt_valid = dt is not None
        return Simulation(duration=duration or 0.0, dt=self.dt,
                          backends=tuple(raw.get("backends", ("reference",))),
                          options=frozen_map({k: frozen_map(v) for k, v in raw.get("options", {}).items()}))

    # -- models and populations -------------------------------------------------------------------
    def _params(self, mtype: cat.ModelType, given: Mapping, path: Path, size: int, into: dict) -> None:
        for name, raw in given.items():
            ppath = path + (name,)
            if name not in mtype.params:
                self.report(ppath, f"unknown parameter '{echo(name)}' for model type {mtype.name}"
                                   f"{_suggest(name, mtype.params)}", key=True)
                continue
            into[name] = self._param(mtype.params[name], raw, ppath, size)

    def _param(self, param: cat.Param, raw: object, path: Path, size: int):
        # only a population's params can hold a non-list here (the schema allows values, not lists, there)
        if param.kind in ("quantity_list", "spike_times") and not isinstance(raw, (list, str)) \
                or param.kind == "quantity_list" and isinstance(raw, str):
            what = "spike times" if param.kind == "spike_times" else f"{param.dimension.value} values"
            self.report(path, f"{path[-1]} is a list of {what}, got {_kind(raw)}: set it in the model's params "
                              "(a population's params override single values)")
            return None
        if param.kind == "quantity_list":
            values = [number_or_quantity(v, param.dimension, path + (i,), self.report) for i, v in enumerate(raw)]
            return tuple(values) if all(v is not None for v in values) else None
        if param.kind == "spike_times":
            return self._spike_times(raw, path, size)
        return parse_value(raw, param.dimension, path, self.report, size, "neurons")

    def _spike_times(self, raw, path: Path, size: int):
        single = isinstance(raw, str)  # one time for every neuron, as a population's override
        if single:
            raw = [raw]
        if raw and all(isinstance(r, list) for r in raw):
            if len(raw) != size:
                self.report(path, f"expected one list of spike times per neuron ({size}), got {len(raw)}")
                return None
            lists = [tuple(number_or_quantity(t, T, path + (i, j), self.report) for j, t in enumerate(row))
                     for i, row in enumerate(raw)]
        elif any(isinstance(r, list) for r in raw):
            self.report(path, "give either one list of times for every neuron, or one list per neuron")
            return None
        else:
            lists = [tuple(number_or_quantity(t, T, path + (j,), self.report) for j, t in enumerate(raw))]
        nested = bool(raw) and isinstance(raw[0], list)
        for i, row in enumerate(lists):
            if any(t is None for t in row):
                return None
            bad = [j for j, t in enumerate(row) if t <= 0]
            if bad:
                self.report(path + ((i, bad[0]) if nested else () if single else (bad[0],)),
                            f"spike times must be after 0 ms (the first step ends at dt), "
                            f"got {format_quantity(row[bad[0]], T)}")
                return None
        return tuple(lists) if len(lists) > 1 or (raw and isinstance(raw[0], list)) else lists[0]

    def model(self, raw: Mapping, path: Path, size: int) -> Optional[tuple[cat.ModelType, dict]]:
        mtype = cat.MODELS[raw["type"]]
        params: dict = {}
        for name, param in mtype.params.items():
            if param.default is not None:
                default = json.loads(param.default) if param.kind == "spike_times" else param.default
                params[name] = self._param(param, default, path + ("params", name), size)
        self._params(mtype, raw.get("params", {}), path + ("params",), size, params)
        return mtype, params

    def populations(self) -> dict[str, Population]:
        models = self.data.get("models", {})
        out = {}
        for name, raw in self.data["populations"].items():
            path = ("populations", name)
            size = raw["size"]
            if isinstance(raw["model"], str):
                if raw["model"] not in models:
                    self.report(path + ("model",), f"unknown model '{raw['model']}'{_suggest(raw['model'], models)}")
                    continue
                model_raw, model_path, model_name = models[raw["model"]], ("models", raw["model"]), raw["model"]
            else:
                model_raw, model_path, model_name = raw["model"], path + ("model",), None
            mtype, params = self.model(model_raw, model_path, size)
            self._params(mtype, raw.get("params", {}), path + ("params",), size, params)
            initial = self._initial(mtype, raw.get("initial", {}), params, path + ("initial",), size)
            # where each parameter was given: the population's override, else the (named or inline) model
            given = {k: model_path + ("params", k) for k in model_raw.get("params", {})}
            given.update({k: path + ("params", k) for k in raw.get("params", {})})
            self._check_model(mtype, params, given, path + ("model",))
            out[name] = Population(name, size, NeuronModel(mtype.name, frozen_map(params)), frozen_map(initial),
                                   model_name)
        return out

    def _initial(self, mtype: cat.ModelType, raw: Mapping, params: dict, path: Path, size: int) -> dict:
        if mtype.is_source and raw:
            self.report(path, f"{mtype.name} is a spike source: it has no state to initialise")
            return {}
        initial = {}
        for var, default in mtype.initial.items():
            if isinstance(default, cat.Derived):
                continue  # computed from the drawn initial values (snnrun.numerics.initial)
            initial[var] = params.get(default) if default in mtype.params else parse_value(
                default, mtype.state[var], path + (var,), self.report, size)
        for var, value in raw.items():
            if var not in mtype.initial:
                self.report(path + (var,), f"'{echo(var)}' is not a state variable of {mtype.name}"
                                           f"{_suggest(var, mtype.initial)}", key=True)
                continue
            initial[var] = parse_value(value, mtype.state[var], path + (var,), self.report, size, "neurons")
        return initial

    def _check_model(self, mtype: cat.ModelType, params: dict, given: Mapping[str, Path], model: Path) -> None:
        """Cross-parameter checks, each reported where the offending value was written (``given``)."""
        def where(*names: str) -> Path:
            return next((given[n] for n in names if n in given), model)

        def got(name: str) -> str:
            value = params[name]
            low = value_bounds(value)[0]
            if isinstance(value, Quantity):
                return f"got {format_quantity(low, value.dimension)}"
            if isinstance(value, Values):
                return f"got {format_quantity(low, value.dimension)} for some neuron"
            return "but the distribution can draw such values (give it a clip or truncate)"

        self._check_poisson_rate(mtype, params, where)
        for name in ("tau_m", "cm", "tau_syn_exc", "tau_syn_inh", "tau_w"):
            if name in params and params[name] is not None and value_bounds(params[name])[0] <= 0:
                self.report(where(name), f"{name} must be positive, {got(name)}")
        for name in ("tau_refrac", "rate"):
            if name in params and params[name] is not None and value_bounds(params[name])[0] < 0:
                self.report(where(name), f"{name} must not be negative, {got(name)}")
        # the reset must lie below the potential at which a spike is detected, or the neuron would spike
        # in every step: v_spike where the model has one (AdEx's v_thresh, the exponential term's
        # threshold, may lie below the reset), else v_thresh
        spike_at = "v_spike" if "v_spike" in mtype.params else "v_thresh"
        reset, thresh = params.get("v_reset"), params.get(spike_at)
        if isinstance(reset, Quantity) and isinstance(thresh, Quantity) and reset.value >= thresh.value:
            self.report(where("v_reset", spike_at), f"v_reset ({format_quantity(reset.value, reset.dimension)}) "
                                                    f"must be below {spike_at} "
                                                    f"({format_quantity(thresh.value, thresh.dimension)})")
        if mtype.name == "inhomogeneous_poisson" and params.get("times") and params.get("rates") is not None:
            if len(params["times"]) != len(params["rates"]):
                self.report(where("rates"), "times and rates need the same length")
            if list(params["times"]) != sorted(params["times"]):
                self.report(where("times"), "times must be in increasing order")
            if any(r < 0 for r in params["rates"]):
                self.report(where("rates"), "rates must not be negative")

    def _check_poisson_rate(self, mtype: cat.ModelType, params: dict, where) -> None:
        """A Poisson source draws at most one spike per step (probability rate * dt), so a rate above 1/dt
        would be clipped to 1/dt without a word, and a network driven at 20 kHz with dt = 0.1 ms would
        silently become another one (Brunel's external drive written as one source): refuse it."""
        if not self.dt_valid:
            return
        if mtype.name == "poisson" and params.get("rate") is not None:
            rate, name = value_bounds(params["rate"])[1], "rate"
        elif mtype.name == "inhomogeneous_poisson" and params.get("rates"):
            rate, name = max(params["rates"]), "rates"
        else:
            return
        if rate * self.dt > 1 + 1e-9:
            limit = format_quantity(1 / self.dt, F)
            what = (f"the distribution can draw rates above 1/dt = {limit} (give it a clip or truncate)" if rate == float("inf")
                    else f"{format_quantity(rate, F)} is above 1/dt = {limit}")
            self.report(where(name), f"{what}: a Poisson source spikes at most once per step of dt, so the rate "
                                     "would be clipped; use a smaller dt, or split the drive over several sources")

    # -- projections --------------------------------------------------------------------------------
    def projections(self, pops: Mapping[str, Population]) -> dict[str, Projection]:
        out = {}
        for name, raw in self.data.get("projections", {}).items():
            path = ("projections", name)
            ends = []
            for end in ("pre", "post"):
                if raw[end] not in self.data["populations"]:
                    self.report(path + (end,), f"unknown population '{raw[end]}'"
                                               f"{_suggest(raw[end], self.data['populations'])}")
                elif raw[end] in pops:
                    ends.append(pops[raw[end]])
            if len(ends) != 2:
                continue
            pre, post = ends
            mtype = cat.MODELS[post.model.type]
            if mtype.is_source:
                self.report(path + ("post",), f"population '{post.name}' is a spike source ({mtype.name}): "
                                              "it cannot receive synapses")
                continue
            connect = self._connect(raw["connect"], path + ("connect",), pre, post)
            if connect is None:
                continue
            synapse = self._synapse(raw["synapse"], path + ("synapse",), mtype, connect, pre, post)
            if synapse is not None:
                # a connection file's columns are in the synapse now (SI); the IR does not keep the file
                connect = dataclasses.replace(connect, weights=None, delays=None)
                out[name] = Projection(name, pre.name, post.name, connect, synapse)
        return out

    def _connect(self, raw: Mapping, path: Path, pre: Population, post: Population) -> Optional[Connect]:
        rule = raw["rule"]
        for key in raw:
            if key not in _RULE_KEYS[rule]:
                self.report(path + (key,), f"'{key}' does not apply to rule {rule} "
                                           f"(it takes: {', '.join(sorted(_RULE_KEYS[rule] - {'rule'}))})", key=True)
        same = pre.name == post.name
        allow_self = raw.get("allow_self", True)
        multapses = raw.get("multapses", False)
        n = raw.get("n")
        self_slots = 1 if same and not allow_self else 0
        limits = {"fixed_indegree": pre.size - self_slots, "fixed_outdegree": post.size - self_slots,
                  "fixed_total": pre.size * post.size - (pre.size if self_slots else 0)}
        if rule in limits and not multapses and n > limits[rule]:
            self.report(path + ("n",), f"n = {n} is more than the {limits[rule]} distinct partners available "
                                       "(set multapses: true to allow repeats)")
            return None
        if rule == "one_to_one" and pre.size != post.size:
            self.report(path + ("rule",), f"one_to_one needs equal sizes, got {pre.size} and {post.size}")
            return None
        pairs, weights, delays = (), None, None
        if rule == "from_list":
            if "file" in raw:
                table = self._pairs_file(raw["file"], path + ("file",))
                if table is None:
                    return None
                sources, targets = table.pre, table.post
                weights, delays = table.columns.get("weight"), table.columns.get("delay")
                outside = np.flatnonzero((sources >= pre.size) | (targets >= post.size))
                first = int(outside[0]) if outside.size else None
                where, row = path + ("file",), f"{raw['file']}:{(first or 0) + 2}: "
                pairs = tuple(zip(sources.tolist(), targets.tolist()))
            else:
                pairs = tuple(tuple(p) for p in raw["pairs"])
                first = next((i for i, (a, b) in enumerate(pairs) if a >= pre.size or b >= post.size), None)
                where, row = path + ("pairs", first), ""
            if first is not None:
                a, b = pairs[first]
                self.report(where, f"{row}pair ({a}, {b}) is out of range for sizes {pre.size} and {post.size}")
                return None
        return Connect(rule, p=raw.get("p"), n=n, allow_self=allow_self, multapses=multapses, pairs=pairs,
                       weights=weights, delays=delays)

    def _pairs_file(self, name: str, path: Path) -> Optional[ConnectionTable]:
        try:
            blob = read_bounded(os.path.join(self.base_dir, name), MAX_CONNECTION_FILE_BYTES)
        except FileProblem as exc:
            self.report(path, f"connection {exc}" if exc.too_large else
                        f"cannot read connection file '{name}': {exc.reason}")
            return None
        self.extra_hash.update(blob)
        try:
            return read_connection_table(blob, name)
        except ConnectionFileError as exc:
            self.report(path, str(exc))
            return None

    def _synapse(self, raw: Mapping, path: Path, mtype: cat.ModelType, connect: Connect,
                 pre: Population, post: Population) -> Optional[Synapse]:
        receptor = raw.get("receptor", "exc")
        dimension = cat.SYNAPSE_WEIGHT_DIMENSION[mtype.synapse]
        n_syn = {"one_to_one": pre.size, "from_list": len(connect.pairs),
                 "all_to_all": pre.size * post.size - (pre.size if pre.name == post.name
                                                       and not connect.allow_self else 0)}.get(connect.rule)
        weight = delay = None
        # values from a connection file are reported at connect.file, with the file's row and column
        file_path = path[:-1] + ("connect", "file")
        weight_path = file_path if connect.weights is not None and "weight" not in raw else path + ("weight",)
        delay_path = file_path if connect.delays is not None and "delay" not in raw else path + ("delay",)
        if connect.weights is not None:
            weight = self._file_values(connect.weights, dimension, file_path, "weight")
        if "weight" in raw:
            weight = parse_value(raw["weight"], dimension, path + ("weight",), self.report, n_syn, "synapses")
        elif connect.weights is None:
            self.report(path, f"missing required key 'weight' (a {dimension.value} for {mtype.name} targets)",
                        key=True)
        if connect.delays is not None:
            delay = self._file_values(connect.delays, T, file_path, "delay")
        if "delay" in raw:
            delay = parse_value(raw["delay"], T, path + ("delay",), self.report, n_syn, "synapses")
        elif connect.delays is None:
            delay = Quantity(self.dt, T)
        if delay is not None:
            low = value_bounds(delay)[0]
            if low < self.dt * (1 - 1e-9):
                shown = "can be" if low == float("-inf") else f"is {format_quantity(low, T)},"
                self.report(delay_path, f"delay {shown} shorter than dt ({format_quantity(self.dt, T)}); "
                                               "delays must be >= dt (give distributions a clip or truncate)")
        if weight is not None and mtype.synapse == "conductance" and value_bounds(weight)[0] < 0:
            self.report(weight_path, "conductance weights must not be negative "
                                            "(the receptor's reversal potential sets the sign)")
        plasticity = rules.stdp(raw["plasticity"], path + ("plasticity",), dimension, self.report) \
            if "plasticity" in raw else None
        short_term = rules.tsodyks_markram(raw["short_term"], path + ("short_term",), self.report) \
            if "short_term" in raw else None
        if weight is None or delay is None:
            return None
        if plasticity is not None:
            rules.check_initial_weights(plasticity, weight, dimension, weight_path, self.report)
        return Synapse(receptor, weight, delay, plasticity, short_term)

    def _file_values(self, column: Column, dimension: Dimension, path: Path, name: str) -> Optional[Values]:
        values = column.to_si(dimension, lambda row, message: self.report(
            path, f"{_get(self.data, path)}:{row}: {name}: {message}"))
        return None if values is None else Values(tuple(values.tolist()), dimension)

    # -- stimuli, recordings, expectations ----------------------------------------------------------
    def _neurons(self, raw, path: Path, size: int) -> Optional[tuple[int, ...]]:
        if raw is None:
            return None
        if isinstance(raw, dict):
            if raw["first"] > size:
                self.report(path, f"first: {raw['first']} is more than the population's {size} neurons")
                return None
            return tuple(range(raw["first"]))
        bad = [k for k, i in enumerate(raw) if i >= size]
        if bad:
            self.report(path + (bad[0],), f"neuron index {raw[bad[0]]} is out of range (population size {size}: "
                                          f"indices 0 to {size - 1})")
            return None
        return tuple(raw)

    def stimuli(self, pops: Mapping[str, Population]) -> dict[str, Stimulus]:
        out = {}
        for name, raw in self.data.get("stimuli", {}).items():
            path = ("stimuli", name)
            target = raw["target"]["population"]
            if target not in self.data["populations"]:
                self.report(path + ("target", "population"),
                            f"unknown population '{target}'{_suggest(target, self.data['populations'])}")
                continue
            if target not in pops:
                continue
            if cat.MODELS[pops[target].model.type].is_source:
                self.report(path + ("target", "population"), f"population '{target}' is a spike source: "
                                                             "it takes no current")
                continue
            neurons = self._neurons(raw["target"].get("neurons"), path + ("target", "neurons"), pops[target].size)
            n_targets = pops[target].size if neurons is None else len(neurons)
            stype = cat.STIMULI[raw["type"]]
            params = {}
            for key, param in stype.params.items():
                if key not in raw and param.default is None:
                    continue
                value = raw.get(key, param.default)
                if param.kind == "receptor":  # a name, checked by the schema (exc, inh)
                    params[key] = value
                elif isinstance(value, dict) and raw["type"] in cat.EVENT_STIMULI:
                    self.report(path + (key,), f"{key} is one quantity for every target neuron (a "
                                               f"{raw['type']} takes no per-neuron values)")
                elif key == "weight" and raw["type"] in cat.EVENT_STIMULI:
                    # an event's weight is in the target's synapse unit, as a projection's weight onto it
                    synapse = cat.MODELS[pops[target].model.type].synapse
                    params[key] = number_or_quantity(value, cat.SYNAPSE_WEIGHT_DIMENSION[synapse], path + (key,),
                                                     self.report)
                    if synapse == "conductance" and isinstance(params[key], (int, float)) and params[key] < 0:
                        self.report(path + (key,), "conductance weights must not be negative "
                                                   "(the receptor's reversal potential sets the sign)")
                elif key == "rate" and raw["type"] in cat.EVENT_STIMULI:
                    params[key] = number_or_quantity(value, param.dimension, path + (key,), self.report)
                    if isinstance(params[key], (int, float)) and params[key] < 0:
                        self.report(path + (key,), "rate must not be negative")
                elif param.kind == "quantity_list":
                    params[key] = self._param(param, value, path + (key,), 1)
                elif isinstance(value, dict) and key in PER_NEURON_STIMULUS_PARAMS:
                    # one value per target neuron (in target order), or a distribution drawn per neuron
                    params[key] = parse_value(value, param.dimension, path + (key,), self.report, n_targets,
                                              "target neurons")
                    if neurons is not None and len(set(neurons)) != len(neurons):
                        self.report(path + ("target", "neurons"), "per-neuron stimulus values need distinct "
                                                                  "target neurons")
                elif isinstance(value, dict):
                    self.report(path + (key,), f"{key} is one quantity for every target neuron (per-neuron "
                                               f"values are possible for {', '.join(PER_NEURON_STIMULUS_PARAMS)})")
                else:
                    params[key] = number_or_quantity(value, param.dimension, path + (key,), self.report)
            for key in raw:
                if key not in stype.params and key not in ("type", "target"):
                    self.report(path + (key,), f"'{key}' is not a parameter of a {stype.name} stimulus"
                                               f"{_suggest(key, stype.params)}", key=True)
            if raw["type"] == "step" and params.get("times") and params.get("amplitudes"):
                if len(params["times"]) != len(params["amplitudes"]):
                    self.report(path + ("amplitudes",), "times and amplitudes need the same length")
                elif list(params["times"]) != sorted(params["times"]):
                    self.report(path + ("times",), "times must be in increasing order")
            if params.get("start") is not None and params.get("stop") is not None \
                    and params["stop"] < params["start"]:
                self.report(path + ("stop",), "stop must not be before start")
            out[name] = Stimulus(name, raw["type"], target, neurons, frozen_map(params))
        return out



def spec_hash(data: Mapping, extra: bytes = b"") -> str:
    """SHA-256 of the validated mapping (formatting and comments do not matter) and any data files."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    digest.update(extra)
    return digest.hexdigest()


def normalise(data: Mapping, file: str, positions: Mapping, key_positions: Mapping, base_dir: str) -> Spec:
    """Build the typed Spec from a schema-valid mapping; raise SpecError with every semantic problem."""
    n = _Normaliser(data, file, positions, key_positions, base_dir)
    simulation = n.simulation()
    pops = n.populations()
    projs = n.projections(pops)
    stimuli = n.stimuli(pops)
    record = n.record(pops, projs)
    expect = n.expect(pops, projs, record)
    sweep = normalise_sweep(data, file, positions, key_positions, base_dir, n.problems, normalise)
    if n.problems:
        raise SpecError(n.problems)
    return Spec(
        version=data["snnrun"], name=data["name"], description=data.get("description", ""),
        seed=data.get("seed", 0), simulation=simulation, populations=frozen_map(pops),
        projections=frozen_map(projs), stimuli=frozen_map(stimuli), record=record, expect=expect,
        compare=frozen_map(data.get("compare", {})), sweep=sweep,
        source=SourceMap(file, frozen_map(positions)),
        spec_hash=spec_hash(data, n.extra_hash.digest()), raw=frozen_map(data),
        warnings=tuple(n.warnings), base_dir=base_dir,
    )
