"""Evaluate a spec's ``expect`` checks on one backend's spikes.

Metrics (SI): ``rate`` (Hz, spikes per neuron per second over the whole run), ``spike_count``,
``spike_times`` (s, one neuron, compared element by element), ``first_spike_time`` (s, earliest over
the selected neurons), ``cv_isi`` (mean over neurons with at least 3 spikes of std/mean of their ISIs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .schema.model import Expectation, Spec
from .schema.normalise import METRIC_DIMENSION
from .schema.units import format_quantity

_SLACK = 1e-9  # absolute slack on comparisons, for times and rates that come out of float arithmetic


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


def metric_value(exp: Expectation, spikes, spec: Spec):
    """The measured value of an expectation's metric (SI), or None when undefined (no spikes)."""
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


def evaluate(spec: Spec, spikes, backend: str) -> list[CheckResult]:
    """Every expectation that applies to ``backend``, evaluated; each result carries a one-line message."""
    out = []
    for exp in spec.expect:
        if exp.backends is not None and backend not in exp.backends:
            continue
        dim = METRIC_DIMENSION[exp.metric]
        value = metric_value(exp, spikes, spec)
        where = str(spec.problem(("expect", exp.index), "")).rstrip(": ")
        label = f"{where}: {backend}: {exp.population} {exp.metric}"
        tol = exp.tolerance + _SLACK
        if value is None:
            out.append(CheckResult(exp.index, False, None, f"{label} is undefined (too few spikes)"))
            continue
        if exp.between is not None:
            low, high = exp.between
            passed = low - _SLACK <= value <= high + _SLACK
            shown = f"{_show(value, dim)} {'within' if passed else 'not within'} [{_show(low, dim)}, {_show(high, dim)}]"
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
            if exp.metric == "spike_times":
                got = np.asarray(value, float)
                passed = got.size == 1 and abs(got[0] - exp.equals) <= tol
                shown = f"{_show(got, dim)} vs {_show(exp.equals, dim)}"
            else:
                passed = abs(float(value) - exp.equals) <= tol
                shown = f"{_show(value, dim)} {'equals' if passed else 'differs from'} {_show(exp.equals, dim)}" \
                        f"{' (tolerance ' + _show(exp.tolerance, dim) + ')' if exp.tolerance else ''}"
        out.append(CheckResult(exp.index, passed, value, f"{label} {shown}"))
    return out
