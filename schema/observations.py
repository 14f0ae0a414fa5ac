"""The ``record`` and ``expect`` blocks of a schema-valid spec -> typed :class:`Recording` and
:class:`Expectation` entries (SI units), with the checks a schema cannot express: names that must exist,
variables the model has, sampling intervals that are whole steps of dt, bounds in the metric's dimension
(Hz for rates, s for times, the weight's unit for weights). A mixin of the normaliser: problems go through
its ``report(path, message)``, so every problem of a spec is listed at once."""

from __future__ import annotations

import difflib
from typing import Mapping, Optional

from . import catalogue as cat
from . import plasticity as rules
from .model import Expectation, Path, Population, Projection, Recording
from .units import Dimension, format_quantity
from .values import number_or_quantity

T, F, D = Dimension.TIME, Dimension.FREQUENCY, Dimension.DIMENSIONLESS
#: more time steps than any run could take; also keeps duration / dt finite (round() of inf raises)
MAX_STEPS = 1e15
#: the dimension of each expectation metric's bounds
METRIC_DIMENSION = {"rate": F, "spike_count": D, "cv_isi": D, "spike_times": T, "first_spike_time": T}


def suggest(name: str, known) -> str:
    """``" (did you mean 'x'?)"`` for a misspelt name, else the names defined."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (defined: {', '.join(known)})" if known else " (none defined)"


class RecordExpectMixin:
    """``record`` and ``expect`` of :class:`snnrun.schema.normalise._Normaliser` (which provides ``data``,
    ``dt`` in s, ``report`` and ``_neurons``)."""

    def _population(self, raw: Mapping, path: Path, pops: Mapping[str, Population]) -> Optional[str]:
        """The entry's population, or None: reported when the spec has no such population, silently when
        it exists but was refused earlier (its own problem is already listed)."""
        name = raw["population"]
        if name not in self.data["populations"]:
            self.report(path + ("population",), f"unknown population '{name}'"
                                                f"{suggest(name, self.data['populations'])}")
            return None
        return name if name in pops else None

    def record(self, pops: Mapping[str, Population], projs: Mapping[str, Projection]) -> tuple[Recording, ...]:
        raw_list = self.data.get("record")
        if raw_list is None:
            return tuple(Recording("spikes", population=p) for p in pops)
        out = []
        for i, raw in enumerate(raw_list):
            path = ("record", i)
            interval = None
            if "interval" in raw:
                interval = number_or_quantity(raw["interval"], T, path + ("interval",), self.report)
                if interval is not None:
                    steps = interval / self.dt
                    if steps < 1 - 1e-9 or steps > MAX_STEPS or abs(steps - round(steps)) > 1e-6 * steps:
                        self.report(path + ("interval",), "interval must be a whole number of steps of dt "
                                                          f"({format_quantity(self.dt, T)})")
            if "projection" in raw:
                name = raw["projection"]
                if name not in self.data.get("projections", {}):
                    self.report(path + ("projection",), f"unknown projection '{name}'"
                                                        f"{suggest(name, self.data.get('projections', {}))}")
                elif raw["variable"] != "weight":
                    self.report(path + ("variable",), "a projection records 'weight'")
                else:
                    chosen = raw.get("synapses")
                    synapses = tuple(range(chosen["first"])) if isinstance(chosen, dict) else \
                        None if chosen is None else tuple(chosen)  # checked against the drawn projection
                    out.append(Recording("weight", projection=name, interval=interval, synapses=synapses, index=i))
                continue
            name = self._population(raw, path, pops)
            if name is None:
                continue
            mtype = cat.MODELS[pops[name].model.type]
            variable = raw["variable"]
            if variable != "spikes" and variable not in mtype.state:
                known = ["spikes", *mtype.state]
                self.report(path + ("variable",), f"{mtype.name} has no variable '{variable}' "
                                                  f"(recordable: {', '.join(known)})")
                continue
            neurons = self._neurons(raw.get("neurons"), path + ("neurons",), pops[name].size)
            out.append(Recording(variable, population=name, neurons=neurons,
                                 interval=interval if variable != "spikes" else None, index=i))
        return tuple(out)

    def expect(self, pops: Mapping[str, Population], projs: Mapping[str, Projection],
               record: tuple[Recording, ...]) -> tuple[Expectation, ...]:
        out = []
        for i, raw in enumerate(self.data.get("expect", [])):
            path = ("expect", i)
            if "projection" in raw:
                out.append(self._weight_expectation(i, raw, path, pops, projs))
                continue
            name = self._population(raw, path, pops)
            if name is None:
                continue
            metric = raw["metric"]
            if metric == "weight":
                self.report(path + ("metric",), "metric weight checks a projection: give projection: <name>")
                continue
            neurons = self._neurons(raw.get("neurons"), path + ("neurons",), pops[name].size)
            dim = METRIC_DIMENSION.get(metric)
            variable = times = None
            if metric == "value":
                variable, times, dim = self._value_expectation(raw, path, pops[name], neurons, record)
                if dim is None:
                    continue
            elif "variable" in raw or "times" in raw:
                self.report(path + ("variable" if "variable" in raw else "times",),
                            f"'{'variable' if 'variable' in raw else 'times'}' belongs to metric value")
            if metric == "spike_times" and (neurons is None or len(neurons) != 1):
                self.report(path + ("neurons",), "spike_times compares one neuron: give neurons: [index]")
            between, equals, tolerance = self._bounds(raw, dim, path)
            out.append(Expectation(i, name, metric, neurons, between, equals, tolerance,
                                   tuple(raw["backends"]) if "backends" in raw else None,
                                   variable=variable, times=times))
        return tuple(e for e in out if e is not None)

    def _bounds(self, raw: Mapping, dim: Dimension, path: Path):
        """An expectation's (between, equals, tolerance), SI, in the metric's dimension."""
        between = equals = None
        if "between" in raw:
            between = tuple(number_or_quantity(v, dim, path + ("between", j), self.report)
                            for j, v in enumerate(raw["between"]))
            if None not in between and between[0] > between[1]:
                self.report(path + ("between",), "between needs [low, high] with low <= high")
        if "equals" in raw:
            eq = raw["equals"]
            if isinstance(eq, list):
                equals = tuple(number_or_quantity(v, dim, path + ("equals", j), self.report)
                               for j, v in enumerate(eq))
            else:
                equals = number_or_quantity(eq, dim, path + ("equals",), self.report)
        tolerance = number_or_quantity(raw.get("tolerance", 0), dim if "tolerance" in raw else D,
                                       path + ("tolerance",), self.report)
        return between, equals, tolerance or 0.0

    def _value_expectation(self, raw: Mapping, path: Path, pop: Population, neurons, record):
        """(variable, sample times in s, the variable's dimension) of a ``value`` check, or Nones after
        reporting: one neuron, a state variable of its model that ``record`` samples for it, and times."""
        mtype = cat.MODELS[pop.model.type]
        variable = raw.get("variable")
        if variable is None or "times" not in raw:
            self.report(path, "metric value needs variable: <state variable> and times: [...]")
            return None, None, None
        if variable not in mtype.state:
            self.report(path + ("variable",), f"{mtype.name} has no variable '{variable}' "
                                              f"(recordable: {', '.join(mtype.state)})")
            return None, None, None
        if neurons is None or len(neurons) != 1:
            self.report(path + ("neurons",), "value checks one neuron: give neurons: [index]")
            return None, None, None
        if not any(r.population == pop.name and r.variable == variable and (r.neurons is None or neurons[0] in r.neurons)
                   for r in record):
            self.report(path + ("variable",), f"{variable} of {pop.name} neuron {neurons[0]} is not recorded: "
                                              "add it to record")
        times = tuple(number_or_quantity(v, T, path + ("times", j), self.report) for j, v in enumerate(raw["times"]))
        if isinstance(raw.get("equals"), list) and len(raw["equals"]) != len(times):
            self.report(path + ("equals",), f"{len(raw['equals'])} values for {len(times)} times")
        return variable, (None if None in times else times), mtype.state[variable]

    def _weight_expectation(self, i: int, raw: Mapping, path: Path, pops, projs) -> Optional[Expectation]:
        name = raw["projection"]
        dimension = None
        if name not in self.data.get("projections", {}):
            self.report(path + ("projection",), f"unknown projection '{name}'"
                                                f"{suggest(name, self.data.get('projections', {}))}")
        elif raw["metric"] != "weight":
            self.report(path + ("metric",), "a projection's check is metric: weight (its final weights)")
        elif name in projs:
            post = pops[projs[name].post]
            dimension = cat.SYNAPSE_WEIGHT_DIMENSION[cat.MODELS[post.model.type].synapse]
        return rules.weight_expectation(i, raw, path, dimension, self.report, self._bounds)
