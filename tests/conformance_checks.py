"""Helpers of the conformance suite (tests/test_conformance.py): the spec a backend's run uses, which
backends share a run, and a case's expectations with a backend's measured slack.

A backend whose settings in tests/conformance/config.yaml have ``reference_overrides`` (spec overrides,
e.g. ``{simulation.options: {reference: {integrator: euler}}}``) runs with the reference engine in a run
of its own, on the spec with those overrides: one ``execute`` draws one instance for both, so the backend
is measured against the reference configured as stated, on the same network. Every other backend shares
the case's main run with the plain reference.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Mapping

import numpy as np

from snnrun.expect import evaluate, metric_value

TIME_METRICS = ("spike_times", "first_spike_time")
SLACK_KEYS = ("time_slack", "time_slack_relative", "count_slack", "spike_slack", "late_spikes")


def merge_overrides(*layers: Mapping) -> dict:
    """Dotted-path spec overrides of several layers in one: mapping values of the same path are merged
    recursively (``simulation.options`` of brian2's codegen and of the reference's integrator), anything
    else is replaced by the later layer."""
    def merge(a, b):
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            return {**a, **{k: merge(a[k], v) if k in a else v for k, v in b.items()}}
        return b
    out: dict = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            out[key] = merge(out[key], value) if key in out else value
    return out


def run_key(settings: Mapping) -> str:
    """Backends with equal keys share a run: their reference overrides, canonically written."""
    return json.dumps(settings.get("reference_overrides") or {}, sort_keys=True)


def failed_expectations(spec, results, backend: str, settings: Mapping) -> list[str]:
    """Messages of the case's expectations that fail on ``backend``'s results, with the backend's slack:

    - ``time_slack`` (s) and ``time_slack_relative`` (a fraction of the expected time) widen the
      tolerance of spike times: an integration error that lengthens intervals grows with the time;
    - ``count_slack`` (relative to the expected count) widens spike counts;
    - ``spike_slack`` (spikes): a neuron's spike_times list may have that many spikes more or fewer,
      and is then compared over the spikes both lists have (first to last);
    - ``late_spikes``: single named spikes whose own time tolerance is widened, each
      ``{population, neuron, spike (index in the neuron's list), slack (s)}``: for a spike whose time
      a measured cause makes sensitive far beyond the others' (stated in the config).
    """
    spikes = _spikes(results)
    spec = _with_slack(spec, settings)
    spike_slack = int(settings.get("spike_slack", 0))
    relative = float(settings.get("time_slack_relative", 0.0))
    late = settings.get("late_spikes") or []
    own = [e for e in spec.expect if e.metric == "spike_times" and (spike_slack or relative or late)
           and isinstance(e.equals, tuple)]
    rest = dataclasses.replace(spec, expect=tuple(e for e in spec.expect if e not in own))
    failed = [c.message for c in evaluate(rest, spikes, backend, results.traces, results.final_weights)
              if not c.passed]
    for e in own:
        if e.backends is not None and backend not in e.backends:
            continue
        got = np.asarray(metric_value(e, spikes, spec), float)
        expected = np.asarray(e.equals, float)
        where = f"expect[{e.index}]: {backend}: {e.population} spike_times of {list(e.neurons or ())}"
        if abs(got.size - expected.size) > spike_slack:
            failed.append(f"{where}: {got.size} spikes, expected {expected.size} (spike_slack {spike_slack})")
            continue
        k = min(got.size, expected.size)
        tol = e.tolerance + relative * expected[:k] + 1e-12
        for x in late:
            if x["population"] == e.population and (x["neuron"],) == tuple(e.neurons or ()) and x["spike"] < k:
                tol[x["spike"]] += float(x["slack"])
        bad = np.flatnonzero(np.abs(got[:k] - expected[:k]) > tol)
        if bad.size:
            i = bad[0]
            failed.append(f"{where}: spike {i} at {got[i] * 1e3:.4g} ms, expected {expected[i] * 1e3:.4g} ms "
                          f"(tolerance {tol[i] * 1e3:.3g} ms); {bad.size} of {k} outside")
    return failed


def _with_slack(spec, settings: Mapping):
    """The spec with its expectations' absolute tolerances widened by ``time_slack`` and ``count_slack``."""
    time_slack = float(settings.get("time_slack", 0.0))
    count_slack = float(settings.get("count_slack", 0.0))

    def widen(e):
        if e.metric in TIME_METRICS and time_slack:
            return dataclasses.replace(e, tolerance=e.tolerance + time_slack)
        if e.metric == "spike_count" and count_slack and isinstance(e.equals, (int, float)):
            return dataclasses.replace(e, tolerance=e.tolerance + count_slack * abs(e.equals))
        return e
    return dataclasses.replace(spec, expect=tuple(widen(e) for e in spec.expect))


def _spikes(results) -> dict:
    frame = results.spikes
    return {pop: (rows["neuron"].to_numpy(), rows["time"].to_numpy())
            for pop, rows in frame.groupby("population", observed=True)}


def oracle_spec_text(case_file, hh_spike: str) -> str:
    """The case's text with its ``expect:`` block recomputed by the solve_ivp oracle under another HH
    spike rule (tests/conformance/oracle_expectations.py; about 20 s for a 15-cell network)."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parent / "conformance" / "oracle_expectations.py"
    spec = importlib.util.spec_from_file_location("oracle_expectations", path)
    module = importlib.util.module_from_spec(spec)
    import sys
    sys.modules.setdefault("oracle_expectations", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    lines = module.expectations(Path(case_file), hh_spike)
    text = Path(case_file).read_text(encoding="utf-8").splitlines()
    head = text[:next((i for i, line in enumerate(text) if line.startswith("expect:")), len(text))]
    return "\n".join(head + lines) + "\n"


# -- chaotic cases: the reference's own spread over tiny perturbations of the initial state ----------------
def perturbation(case_file, population: str, shift_mv: float) -> dict:
    """A spec override that shifts every initial v of ``population`` by ``shift_mv`` (mV): a uniform
    distribution's bounds (numpy draws low + (high - low) u, so every drawn value moves alike) or a
    fixed value (mV)."""
    import yaml
    v = yaml.safe_load(open(case_file, encoding="utf-8"))["populations"][population]["initial"]["v"]

    def moved(text):
        number, unit = str(text).split()
        assert unit == "mV", f"{case_file}: initial v of {population} in {unit}, expected mV"
        return f"{float(number) + shift_mv:.9g} mV"
    if isinstance(v, Mapping):
        assert v.get("distribution") == "uniform", f"{case_file}: only uniform initial v is perturbed"
        v = {**v, "low": moved(v["low"]), "high": moved(v["high"])}
    else:
        v = moved(v)
    return {f"populations.{population}.initial.v": v}


def ensemble_failures(spec, results, backend: str, settings: Mapping, members: list,
                      counts: bool = True) -> list[str]:
    """The case's expectations for a chaotic case, judged by the reference's own spread over ``members``
    (its Results with the initial state perturbed, the unperturbed run among them):

    - a population's spike count must lie within the members' range of that count (skipped with
      ``counts=False``, where a longer run's population rates judge the counts instead);
    - every other expectation counts only when all members meet it (one that a few uV of initial v
      break tests the realisation, not the model), and then must hold with the backend's slack;
    - a one-neuron ``spike_times`` list that not every member meets counts over its prefix that every
      member meets (the stamps before the ensemble's first departure), which the backend's first stamps
      must meet with its slack.
    """
    failed = []
    robust = []
    for e in spec.expect:
        if e.metric == "spike_count" and e.neurons is None:
            if not counts:
                continue
            counts = [int((m.spikes.population == e.population).sum()) for m in members]
            got = int((results.spikes.population == e.population).sum())
            if not min(counts) <= got <= max(counts):
                failed.append(f"expect[{e.index}]: {backend}: {e.population} has {got} spikes, outside the "
                              f"reference's {min(counts)}-{max(counts)} over its {len(members)} runs, perturbed and not")
            continue
        one = dataclasses.replace(spec, expect=(e,))
        if all(not failed_expectations(one, m, "reference", {}) for m in members):
            robust.append(e)
        elif e.metric == "spike_times" and isinstance(e.equals, tuple) and len(e.neurons or ()) == 1:
            k = min(_agreeing_prefix(e, m, spec) for m in members)
            if k:
                failed += _prefix_failures(e, k, results, backend, spec, settings)
    return failed + failed_expectations(dataclasses.replace(spec, expect=tuple(robust)), results, backend, settings)


def _agreeing_prefix(e, results, spec) -> int:
    """How many of ``e``'s expected stamps (from the first) ``results`` meet within ``e.tolerance``."""
    got = np.asarray(metric_value(e, _spikes(results), spec), float)
    expected = np.asarray(e.equals, float)
    k = min(got.size, expected.size)
    off = np.flatnonzero(np.abs(got[:k] - expected[:k]) > e.tolerance + 1e-12)
    return int(off[0]) if off.size else k


def _prefix_failures(e, k: int, results, backend: str, spec, settings: Mapping) -> list[str]:
    """``e``'s first ``k`` stamps against ``backend``'s first ``k``, with its time slack."""
    got = np.asarray(metric_value(e, _spikes(results), spec), float)
    expected = np.asarray(e.equals, float)[:k]
    tol = (e.tolerance + float(settings.get("time_slack", 0.0))
           + float(settings.get("time_slack_relative", 0.0)) * expected + 1e-12)
    where = f"expect[{e.index}]: {backend}: {e.population} spike_times of {list(e.neurons)}, first {k}"
    if got.size < k:
        return [f"{where}: only {got.size} spikes"]
    bad = np.flatnonzero(np.abs(got[:k] - expected) > tol)
    if bad.size:
        i = bad[0]
        return [f"{where}: spike {i} at {got[i] * 1e3:.4g} ms, expected {expected[i] * 1e3:.4g} ms "
                f"(tolerance {tol[i] * 1e3:.3g} ms)"]
    return []
