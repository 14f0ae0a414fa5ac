"""Evaluate a spec's ``expect`` checks on one backend's results.

Metrics (SI): ``rate`` (Hz, spikes per neuron per second over the whole run), ``spike_count``,
``spike_times`` (s, one neuron, compared element by element), ``first_spike_time`` (s, earliest over
the selected neurons), ``cv_isi`` (mean over neurons with at least 3 spikes of std/mean of their ISIs),
``value`` (a recorded state variable of one neuron at given sample times, the variable's unit),
``weight`` (final weights of a projection's synapses, the weight's unit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .schema import catalogue as cat
from .schema.model import Expectation, Spec
from .schema.observations import METRIC_DIMENSION
from .schema.units import format_quantity

_SLACK = 1e-9  # absolute slack on comparisons, for times and rates that come out of float arithmetic
_UNDEFINED = "undefined (too few spikes)"
_MISSING = {"weight": "not in the results (no final weights of these synapses)",
            "value": "not in the results (the variable is not sampled at these times)"}


@dataclass
class CheckResult:
    index: int
    passed: bool
    value: object
    message: str

    def as_dict(self) -> dict:
        value = self.value
        if isinstance(value, np.ndarray):
            value = value.tolist()
        return {"index": self.index, "passed": self.passed, "value": value, "message": self.message}


def _select(spikes, population: str, neurons, size: int):
    ids, times = spikes.get(population, (np.empty(0, np.int64), np.empty(0)))
    if neurons is None:
        return ids, times, size
    mask = np.isin(ids, np.asarray(neurons))
    return ids[mask], times[mask], len(neurons)


def _samples(traces, exp: Expectation, dt: float):
    """The recorded values of ``exp.variable`` of its neuron at ``exp.times`` (None if one is missing).
    ``traces`` maps (population, variable) to a Trace (times, neurons, values) or a results DataFrame."""
    trace = (traces or {}).get((exp.population, exp.variable))
    if trace is None:
        return None
    if hasattr(trace, "values") and hasattr(trace, "neurons"):
        times, columns, values = np.asarray(trace.times), list(np.asarray(trace.neurons)), np.asarray(trace.values)
    else:  # Results.traces: index time (s), one column per neuron
        times, columns, values = trace.index.to_numpy(), list(trace.columns), trace.to_numpy()
    if exp.neurons[0] not in columns:
        return None
    steps = np.rint(times / dt).astype(np.int64)
    wanted = np.rint(np.asarray(exp.times) / dt).astype(np.int64)
    rows = [np.flatnonzero(steps == k) for k in wanted]
    if any(r.size == 0 for r in rows):
        return None
    return values[[r[0] for r in rows], columns.index(exp.neurons[0])]


def _final_weights(final_weights, exp: Expectation):
    """Final weights of ``exp.synapses`` (all when None), from RunOutput.final_weights (projection ->
    WeightTrace) or Results.final_weights (a DataFrame)."""
    if hasattr(final_weights, "columns"):  # Results.final_weights: every projection in one table
        found = final_weights[final_weights["projection"] == exp.projection]
        found = found if len(found) else None
    else:
        found = (final_weights or {}).get(exp.projection)
    if found is None:
        return None
    if hasattr(found, "synapses"):
        synapses, values = np.asarray(found.synapses), np.asarray(found.values)[-1]
    else:  # Results.final_weights rows of this projection
        synapses, values = found["synapse"].to_numpy(), found["weight"].to_numpy()
    if exp.synapses is None:
        return values[np.argsort(synapses, kind="stable")]
    position = {int(s): j for j, s in enumerate(synapses)}
    if any(int(s) not in position for s in exp.synapses):
        return None
    return values[[position[int(s)] for s in exp.synapses]]


def metric_value(exp: Expectation, spikes, spec: Spec, traces=None, final_weights=None):
    """The measured value of an expectation's metric (SI), or None when undefined (no spikes, a sample
    or a synapse that is not in the results)."""
    if exp.metric == "weight":
        return _final_weights(final_weights, exp)
    if exp.metric == "value":
        return _samples(traces, exp, spec.simulation.dt)
    size = spec.populations[exp.population].size
    ids, times, n = _select(spikes, exp.population, exp.neurons, size)
    if exp.metric == "rate":
        return ids.size / (n * spec.simulation.duration) if n else 0.0
    if exp.metric == "spike_count":
        return int(ids.size)
    if exp.metric == "spike_times":
        return np.sort(times)
    if exp.metric == "first_spike_time":
        return float(times.min()) if times.size else None
    cvs = []
    for neuron in np.unique(ids):
        t = np.sort(times[ids == neuron])
        if t.size >= 3:
            isi = np.diff(t)
            cvs.append(isi.std() / isi.mean())
    return float(np.mean(cvs)) if cvs else None


def _show(value, dimension) -> str:
    if isinstance(value, np.ndarray) or isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_quantity(float(v), dimension) for v in value) + "]"
    return format_quantity(float(value), dimension)


def _dimension(exp: Expectation, spec: Spec):
    if exp.metric == "weight":
        post = spec.populations[spec.projections[exp.projection].post]
        return cat.SYNAPSE_WEIGHT_DIMENSION[cat.MODELS[post.model.type].synapse]
    if exp.metric == "value":
        return cat.MODELS[spec.populations[exp.population].model.type].state[exp.variable]
    return METRIC_DIMENSION[exp.metric]


def evaluate(spec: Spec, spikes, backend: str, traces=None, final_weights=None) -> list[CheckResult]:
    """Every expectation that applies to ``backend``, evaluated; each result carries a one-line message.
    ``traces`` and ``final_weights`` are the RunOutput's (or a Results' DataFrames), for the ``value``
    and ``weight`` metrics."""
    out = []
    for exp in spec.expect:
        if exp.backends is not None and backend not in exp.backends:
            continue
        dim = _dimension(exp, spec)
        value = metric_value(exp, spikes, spec, traces, final_weights)
        where = str(spec.problem(("expect", exp.index), "")).rstrip(": ")
        subject = f"{exp.projection} weight" if exp.metric == "weight" else \
            f"{exp.population} {exp.variable}" if exp.metric == "value" else f"{exp.population} {exp.metric}"
        label = f"{where}: {backend}: {subject}"
        # a tolerance in volts, siemens or amperes is far below 1e-9: the slack scales with it
        slack = _SLACK if exp.metric not in ("weight", "value") else _SLACK * exp.tolerance
        tol = exp.tolerance + slack
        if value is None:
            out.append(CheckResult(exp.index, False, None, f"{label} is {_MISSING.get(exp.metric, _UNDEFINED)}"))
            continue
        if exp.between is not None:
            low, high = exp.between
            arr = np.asarray(value, float)
            outside = (arr < low - slack) | (arr > high + slack)
            passed = not outside.any()
            bounds = f"[{_show(low, dim)}, {_show(high, dim)}]"
            if arr.ndim == 0:
                shown = f"{_show(value, dim)} {'within' if passed else 'not within'} {bounds}"
            elif passed:
                shown = f"all {arr.size} values within {bounds}"
            else:
                shown = (f"{int(outside.sum())} of {arr.size} values not within {bounds}, the first at position "
                         f"{int(np.flatnonzero(outside)[0])}: {_show(arr[outside][:5], dim)}")
        elif isinstance(exp.equals, tuple):
            expected = np.asarray(exp.equals, float)
            got = np.asarray(value, float)
            passed = got.shape == expected.shape and bool(np.all(np.abs(got - expected) <= tol))
            if got.shape != expected.shape:
                shown = f"has {got.size} values, expected {expected.size}: {_show(got[:10], dim)}"
            else:
                shown = f"{_show(got, dim)} {'equals' if passed else 'differs from'} {_show(expected, dim)} " \
                        f"(tolerance {_show(exp.tolerance, dim)})"
        else:
            if exp.metric in ("weight", "value"):
                got = np.asarray(value, float)
                passed = bool(np.all(np.abs(got - exp.equals) <= tol))
                shown = f"{_show(got[:10], dim)} {'equal' if passed else 'differ from'} {_show(exp.equals, dim)}" \
                        f" (tolerance {_show(exp.tolerance, dim)})"
            elif exp.metric == "spike_times":
                got = np.asarray(value, float)
                passed = got.size == 1 and abs(got[0] - exp.equals) <= tol
                shown = f"{_show(got, dim)} vs {_show(exp.equals, dim)}"
            else:
                passed = abs(float(value) - exp.equals) <= tol
                shown = f"{_show(value, dim)} {'equals' if passed else 'differs from'} {_show(exp.equals, dim)}" \
                        f"{' (tolerance ' + _show(exp.tolerance, dim) + ')' if exp.tolerance else ''}"
        out.append(CheckResult(exp.index, passed, value, f"{label} {shown}"))
    return out
