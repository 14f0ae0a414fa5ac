"""Compare the backends of one run folder against its reference backend: metrics, grades, failing checks.

:func:`compare_run` reads a committed run (``snnrun compare RUN_DIR`` and ``--compare`` use it), so a
report can be made again later from saved results with another profile. The result is a
:class:`Comparison`: ``report`` is the JSON-ready summary (report.json), the other fields keep the data
the plots need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

import numpy as np

from ..reader import read_folder
from ..results import Results
from ..schema.errors import ExitCode, Problem, ResultsError
from ..schema.causes import cause as cause_of, cause_with_poisson_input
from . import grading as g
from . import metrics as m

REPORT_FORMAT = 1


@dataclass
class Comparison:
    report: dict
    run_dir: Path
    results: dict[str, Results] = field(default_factory=dict)
    trains: dict[tuple[str, str], list] = field(default_factory=dict)  # (population, backend) -> trains
    unmatched: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # spike times (s) of both sides
    trace_errors: dict[tuple[str, str, str], m.TraceErrors] = field(default_factory=dict)  # (pop, var, backend)
    instance: object = None  # the drawn network every backend ran (connectivity.load_instance), or None
    models: dict[str, str] = field(default_factory=dict)  # population -> model type

    @property
    def stochastic(self) -> bool:
        """The spec has inputs each backend draws itself (``report["stochastic_inputs"]``)."""
        return bool(self.report["stochastic_inputs"])

    @property
    def exit_code(self) -> int:
        return int(self.report["exit_code"])

    @property
    def failures(self) -> list[str]:
        return list(self.report["failures"])


def _spec_settings(run_dir: Path, spec):
    """The spec's ``compare`` mapping, a Problem locator and each population's model type: from the Spec
    when given, else from the spec.yaml saved in the run (read as YAML only: its data files may not be
    beside it)."""
    if spec is not None:
        return dict(spec.compare or {}), spec.problem, {n: p.model.type for n, p in spec.populations.items()}
    path = run_dir / "spec.yaml"
    if not path.is_file():
        return {}, None, {}
    from ..schema.yaml_loader import load_yaml
    doc = load_yaml(str(path))
    data = doc.data if isinstance(doc.data, dict) else {}

    def locate(where, message):
        line, column = doc.positions.get(tuple(where), (0, 0))
        return Problem(str(path), line, column, tuple(where), message)

    return dict(data.get("compare", {}) or {}), locate, _model_types(data)


#: stimulus types each backend draws itself (not part of the drawn instance): backends given one agree
#: statistically, never spike for spike (schema/semantics.md, "Poisson input")
STOCHASTIC_STIMULI = ("poisson_input",)
#: metrics that pair spikes, neurons, traces or single weights: meaningless between independent draws
SPIKE_LEVEL = ("count_error", "unmatched", "van_rossum", "victor_purpura", "divergence", "trace_rmse",
               "trace_max", "weight_error")


def stochastic_inputs(spec) -> list[str]:
    """Names of the stimuli of ``spec`` (a Spec or the spec's YAML mapping) that every backend draws
    with its own generator."""
    if spec is None:
        return []
    if isinstance(spec, dict):
        stimuli = spec.get("stimuli") or {}
        return sorted(n for n, st in stimuli.items() if isinstance(st, dict) and st.get("type") in STOCHASTIC_STIMULI)
    return sorted(n for n, st in spec.stimuli.items() if st.type in STOCHASTIC_STIMULI)


def statistical(profile: g.Profile) -> g.Profile:
    """``profile`` with every spike-level metric reported, not graded: the backends' inputs are
    independent draws, so only population statistics (rates, CV, weight distributions) can agree, and
    those no closer than two draws of a network do: at least the ``network`` profile's limits."""
    from dataclasses import replace
    network = g.PROFILES["network"].limits

    def wider(key, limits):
        if key in SPIKE_LEVEL:
            return (None, None)
        floor = network.get(key, (None, None))
        return tuple(None if a is None else (a if b is None else max(a, b)) for a, b in zip(limits, floor))

    limits = {k: wider(k, v) for k, v in profile.limits.items()}
    return replace(profile, limits=limits, description=profile.description + "; spike-level metrics reported "
                   "only: the spec's Poisson inputs are drawn by each backend, so agreement is statistical")


def _spec_stochastic(run_dir: Path, spec) -> list[str]:
    if spec is not None:
        return stochastic_inputs(spec)
    path = run_dir / "spec.yaml"
    if not path.is_file():
        return []
    from ..schema.yaml_loader import load_yaml
    data = load_yaml(str(path)).data
    return stochastic_inputs(data if isinstance(data, dict) else None)


def _model_types(data: dict) -> dict[str, str]:
    """population -> model type, from a spec mapping (a model is a name under models: or inline)."""
    models = data.get("models") or {}
    out = {}
    for name, pop in (data.get("populations") or {}).items():
        model = pop.get("model") if isinstance(pop, dict) else None
        model = models.get(model) if isinstance(model, str) else model
        if isinstance(model, dict) and isinstance(model.get("type"), str):
            out[name] = model["type"]
    return out


def load_run(run_dir: Path) -> tuple[dict, dict[str, Results]]:
    folder = read_folder(run_dir)
    if folder.backend is not None:
        raise ResultsError(f"{run_dir}: a backend folder; give the run folder above it")
    return folder.manifest, folder.results


def _trains_of(res: Results, population: str, size: int) -> list:
    frame = res.spikes
    rows = frame[frame["population"] == population]
    return m.split_trains(rows["neuron"].to_numpy(), rows["time"].to_numpy(), size)


def _metric(value, profile: g.Profile, name: str) -> dict:
    limits = profile.limit(name)
    return {"value": value, "grade": g.grade(value, limits), "agree": limits[0], "close": limits[1]}


def _describe(name: str, entry: dict) -> str:
    value = entry["value"]
    close = entry["close"] if entry["close"] is not None else entry["agree"]
    shown = "inf" if value == float("inf") else f"{value:.4g}"
    return f"{name} {shown} > {close:.4g}"


def compare_run(run_dir, profile: Optional[str] = None, reference: Optional[str] = None, spec=None,
                tolerances: Optional[Mapping[str, float]] = None) -> Comparison:
    """Compare every backend of the run in ``run_dir`` with the reference backend (see module)."""
    run_dir = Path(run_dir)
    try:
        return _compare_run(run_dir, profile, reference, spec, tolerances)
    except (KeyError, TypeError, AttributeError) as exc:  # a manifest that lacks or garbles a field
        raise ResultsError(f"{run_dir}: damaged results folder: a manifest lacks or garbles "
                           f"{type(exc).__name__} {exc}; run the spec again") from None


def _compare_run(run_dir: Path, profile, reference, spec, tolerances) -> Comparison:
    manifest, results = load_run(run_dir)
    compare_settings, locate, models = _spec_settings(run_dir, spec)
    prof = g.profile_for(compare_settings, profile, tolerances, locate)
    stochastic = _spec_stochastic(run_dir, spec)
    if stochastic:
        prof = statistical(prof)
    statuses = manifest["backends"]
    ref = g.reference_backend(compare_settings, statuses, reference)
    report = {
        "format": REPORT_FORMAT, "run_id": manifest.get("run_id"), "spec_name": manifest.get("spec_name"),
        "spec_hash": manifest.get("spec_hash"), "seed": manifest.get("seed"), "run_dir": str(run_dir),
        "reference": ref,
        "profile": {"name": prof.name, "description": prof.description, "window_s": None, "tau_s": prof.tau,
                    "limits": {k: {"agree": a, "close": c, "source": prof.sources.get(k, "profile")}
                               for k, (a, c) in prof.limits.items()}},
        # "statistical" when backends draw inputs of their own (stochastic_inputs), else "same instance"
        "agreement": "statistical" if stochastic else "same instance", "stochastic_inputs": stochastic,
        "backends": {}, "compared": [], "populations": {}, "traces": {}, "weights": {}, "expectations": {},
        "failures": [],
        "failed_checks": {"backend_failed": [], "expectation_failed": [], "differs": []},
    }
    comparison = Comparison(report, run_dir, results, models=models)
    ordered = sorted(statuses, key=lambda name: name != ref)  # the reference first, then the run's order
    for name in ordered:
        entry = statuses[name]
        info = {"status": entry.get("status", "ok")}
        if info["status"] != "ok":
            info["error"] = entry.get("error", "")
            _fail(report, "backend_failed", f"backend '{name}' failed: {entry.get('error', '')}")
        elif name in results:
            man = results[name].manifest
            info.update({"versions": man.get("simulator_versions", {}),
                         "wall_time_s": man.get("wall_time", {}).get("backend_total"),
                         "warnings": len(man.get("warnings", []))})
        info["role"] = "reference" if name == ref else "compared"
        report["backends"][name] = info
    for name, res in results.items():
        checks = res.expectations
        report["expectations"][name] = [{"passed": c["passed"], "message": c["message"]} for c in checks]
        for c in checks:
            if not c["passed"]:
                _fail(report, "expectation_failed", c["message"])
    if ref not in results:
        why = "failed" if ref in statuses else "was not run"
        _fail(report, "backend_failed", f"the reference backend '{ref}' {why}: nothing to compare against")
        report["error"] = f"reference backend '{ref}' {why}"
    else:
        _compare_all(comparison, prof, ref)
    from . import causes, connectivity  # the report's explanations and the drawn network
    report["causes"] = causes.backend_causes(report["compared"])
    comparison.instance = connectivity.load_instance(run_dir, spec)
    report["connectivity"] = connectivity.summary(comparison.instance) if comparison.instance is not None else {}
    grades = [b.get("grade", g.NOT_AVAILABLE) for b in report["backends"].values()]
    report["grade"] = g.worst(grades)
    checks = report["failed_checks"]
    report["exit_code"] = int(ExitCode.BACKEND_FAILED if checks["backend_failed"] else
                              ExitCode.EXPECTATION_FAILED if checks["expectation_failed"] else
                              ExitCode.BACKENDS_DIFFER if checks["differs"] else ExitCode.OK)
    return comparison


def _cause(backend: str, model: Optional[str], stochastic: bool = False) -> dict:
    """The documented cause of ``backend``'s differences for ``model`` (schema/causes.py), as report data;
    ``stochastic``: the spec has Poisson inputs, whose independent draws are the cause that dominates."""
    found = cause_with_poisson_input(backend, model) if stochastic else cause_of(backend, model)
    if found is None:
        return {"text": f"no documented cause for {backend} on {model or 'this model'}", "residual": "unknown",
                "section": "", "link": ""}
    return found.as_dict()


def _why(cause: dict) -> str:
    return f"; documented: {cause['text']}, expected {cause['residual']}" if cause.get("section") else ""


def _fail(report: dict, kind: str, message: str) -> None:
    report["failed_checks"][kind].append(message)
    report["failures"].append(message)


def _compare_all(comparison: Comparison, prof: g.Profile, ref: str) -> None:
    report, results = comparison.report, comparison.results
    ref_res = results[ref]
    dt, duration = float(ref_res.manifest["dt"]), float(ref_res.manifest["duration"])
    window = prof.window_for(dt)
    report["profile"]["window_s"] = window
    for pop, summary in ref_res.populations.items():
        size = int(summary["size"])
        a = _trains_of(ref_res, pop, size)
        comparison.trains[(pop, ref)] = a
        entry = {"size": size, "reference": {"spikes": int(summary["spikes"]), "rate_hz": m.rate(a, duration),
                                             "cv_isi": m.cv_isi(a)}, "backends": {}}
        report["populations"][pop] = entry
        for name, res in results.items():
            if name == ref or pop not in res.populations:
                continue
            b = _trains_of(res, pop, size)
            comparison.trains[(pop, name)] = b
            entry["backends"][name] = _compare_population(comparison, pop, name, a, b, prof, window, duration, dt)
            entry["backends"][name]["cause"] = _cause(name, comparison.models.get(pop), comparison.stochastic)
    for (pop, var), ref_trace in ref_res.traces.items():
        key = f"{pop}.{var}"
        entry = {"population": pop, "variable": var, "neurons": [int(c) for c in ref_trace.columns],
                 "backends": {}}
        for name, res in results.items():
            if name == ref or (pop, var) not in res.traces:
                continue
            trace = res.traces[(pop, var)]
            cols = [c for c in ref_trace.columns if c in trace.columns]
            agree = prof.limit("trace_max")[0]
            errors = m.trace_errors(ref_trace.index.to_numpy(), ref_trace[cols].to_numpy(),
                                    trace.index.to_numpy(), trace[cols].to_numpy(), dt)
            if errors is None:
                continue
            if agree is not None:  # first time the error leaves the "agrees" band
                over = np.flatnonzero(errors.error_over_time > agree * errors.scale)
                errors.first_exceeds = float(errors.times[over[0]]) if over.size else None
            comparison.trace_errors[(pop, var, name)] = errors
            metrics = {"trace_rmse": _metric(errors.rmse_relative, prof, "trace_rmse"),
                       "trace_max": _metric(errors.max_relative, prof, "trace_max")}
            entry["backends"][name] = {"rmse": errors.rmse, "max_error": errors.max_error, "scale": errors.scale,
                                       "first_exceeds_s": errors.first_exceeds, "metrics": metrics,
                                       "grade": g.worst(x["grade"] for x in metrics.values()),
                                       "cause": _cause(name, comparison.models.get(pop), comparison.stochastic)}
        if entry["backends"]:
            report["traces"][key] = entry
    from . import weights
    weights.compare(comparison, prof, ref, lambda name: _cause(name, None, comparison.stochastic))
    for name, info in report["backends"].items():
        if name == ref or info["status"] != "ok":
            continue
        report["compared"].append(name)
        parts = [p["backends"][name] for p in report["populations"].values() if name in p["backends"]]
        parts += [t["backends"][name] for t in report["traces"].values() if name in t["backends"]]
        parts += [w["backends"][name] for w in report["weights"].values() if name in w["backends"]]
        info["grade"] = g.worst(p["grade"] for p in parts)
        # one failing line per population or trace, its metrics together and then the documented cause
        for what, entries in [("population", report["populations"]), ("trace", report["traces"]),
                              ("weights of projection", report["weights"])]:
            for key, p in entries.items():
                entry = p["backends"].get(name, {})
                over = [_describe(metric, value) for metric, value in entry.get("metrics", {}).items()
                        if value["grade"] == g.DIFFERS]
                if over:
                    _fail(report, "differs", f"{name} differs from {ref}: {what} {key}: {', '.join(over)} "
                                              f"(profile {prof.name}){_why(entry['cause'])}")


def _compare_population(comparison, pop, name, a, b, prof, window, duration, dt) -> dict:
    coinc = m.coincidence(a, b, window)
    comparison.unmatched[(pop, name)] = np.sort(np.concatenate([coinc.unmatched_a, coinc.unmatched_b]))
    total = int(m.counts(a).sum() + m.counts(b).sum())
    vr = [m.van_rossum(x, y, prof.tau) for x, y in zip(a, b)]
    vp = [m.victor_purpura(x, y, 1.0 / prof.tau) for x, y in zip(a, b)]
    divergence = m.first_divergence(a, b, 0.5 * dt)
    cv_a, cv_b = m.cv_isi(a), m.cv_isi(b)
    cv_error = None if cv_a is None and cv_b is None else (
        float("inf") if cv_a is None or cv_b is None else abs(cv_b - cv_a))
    metrics = {
        "rate": _metric(m.relative_count_difference(a, b), prof, "rate"),
        "cv_isi": _metric(cv_error, prof, "cv_isi"),
        "count_error": _metric(m.count_error(a, b), prof, "count_error"),
        "unmatched": _metric(1.0 - coinc.fraction, prof, "unmatched"),
        "van_rossum": _metric(float(np.sum(np.square(vr)) / max(total, 1)), prof, "van_rossum"),
        "victor_purpura": _metric(float(np.sum(vp) / max(total, 1)), prof, "victor_purpura"),
        "divergence": _metric(0.0 if divergence is None else (duration - divergence) / duration, prof, "divergence"),
    }
    return {"spikes": int(m.counts(b).sum()), "rate_hz": m.rate(b, duration), "cv_isi": cv_b,
            "coincidence": coinc.fraction, "van_rossum_mean": float(np.mean(vr)) if vr else 0.0,
            "victor_purpura_mean": float(np.mean(vp)) if vp else 0.0, "first_divergence_s": divergence,
            "metrics": metrics, "grade": g.worst(x["grade"] for x in metrics.values())}
