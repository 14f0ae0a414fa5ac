"""The conformance suite: every case in specs/conformance/ on every installed backend.

Each case runs once on all the backends that can run it, each in a worker process of its own (NEST and
NEURON never enter the pytest process), two at a time. A backend passes a case when the case's
expectations (closed forms, or the reference engine's numbers) hold on it and when its results agree with
the reference engine's under its tolerance profile (the reference run with the backend's
``reference_overrides``, when it has them: tests/conformance_checks.py). Profiles, overrides and the
unsupported cases (strict xfails, with reasons) are in tests/conformance/config.yaml. The outcome of every (case, backend) that ran is
written to tests/conformance/results.json, from which the README's support matrix is generated
(``python -m snnrun.support_matrix --write``).
"""

from __future__ import annotations

import json

import pytest
import yaml
from conformance_checks import (ensemble_failures, failed_expectations, merge_overrides, oracle_spec_text,
                                perturbation, run_key)
from conftest import ROOT, SPECS
from snnrun.adapters.registry import get_adapter
from snnrun.compare import compare_run
from snnrun.execute import execute, installed
from snnrun.schema.errors import UnsupportedFeature
from snnrun.schema.loader import load_spec

CASES_DIR = SPECS / "conformance"
CONFIG = yaml.safe_load((ROOT / "tests" / "conformance" / "config.yaml").read_text())
RESULTS_FILE = ROOT / "tests" / "conformance" / "results.json"
CASES = sorted(p.stem for p in CASES_DIR.glob("*.yaml"))
BACKENDS = list(CONFIG["backends"])

_runs: dict[str, object] = {}
_ensembles: dict[str, list] = {}
_outcomes: dict[tuple[str, str], str] = {}


def _unsupported(case: str, backend: str):
    """The reason a case is a strict xfail on a backend: unsupported, or a known adapter bug."""
    for section in ("unsupported", "known_failures"):
        reason = (CONFIG.get(section) or {}).get(backend, {}).get(case)
        if reason:
            return reason
    return None


def _settings(case: str, backend: str) -> dict:
    settings = dict(CONFIG["backends"][backend])
    settings.update(((CONFIG.get("overrides") or {}).get(case) or {}).get(backend, {}))
    return settings


def _spec(case: str, reference_overrides=None):
    """The case's spec with every backend's spec_overrides, then ``reference_overrides``."""
    layers = [CONFIG["backends"][backend].get("spec_overrides", {}) for backend in BACKENDS]
    return load_spec(CASES_DIR / f"{case}.yaml", overrides=merge_overrides(*layers, reference_overrides))


def _params():
    for case in CASES:
        for backend in BACKENDS:
            reason = _unsupported(case, backend)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(case, backend, id=f"{case}-{backend}", marks=marks)


@pytest.fixture(scope="module")
def case_runs(tmp_path_factory):
    """case -> {backend: the RunOutcome holding its results and the reference it is measured against},
    for every installed backend that can run the case (run on first use). Backends with
    ``reference_overrides`` run in an extra run with the reference so configured (conformance_checks)."""
    out = tmp_path_factory.mktemp("conformance")

    def get(case: str):
        if case not in _runs:
            spec = _spec(case)
            backends = [b for b in BACKENDS if installed(b) and not get_adapter(b).check(spec)]
            groups: dict[str, list[str]] = {}
            for b in backends:
                groups.setdefault(run_key(_settings(case, b)), []).append(b)
            _runs[case] = {}
            for key, members in groups.items():
                run_spec = _spec(case, json.loads(key)) if key != "{}" else spec
                names = (["reference"] if "reference" not in members and "reference" in backends else []) + members
                outcome = execute(run_spec, names, out=out, keep_going=True, max_workers=2, timeout=300)
                _runs[case].update({b: outcome for b in members})
        return _runs[case]

    get.out = out
    yield get
    _write_results()


def _oracle_spec(case: str, hh_spike: str, out):
    """The case's spec with the expectations of the solve_ivp oracle under ``hh_spike`` (computed here,
    once per case, never taken from a backend's output)."""
    path = out / f"{case}.{hh_spike}.yaml"
    if not path.is_file():
        path.write_text(oracle_spec_text(CASES_DIR / f"{case}.yaml", hh_spike), encoding="utf-8")
    layers = [CONFIG["backends"][backend].get("spec_overrides", {}) for backend in BACKENDS]
    return load_spec(path, overrides=merge_overrides(*layers))


def _ensemble(case: str, how, outcome, out) -> list:
    """The reference's Results on ``case`` with the initial v of ``how["population"]`` shifted by each
    of ``how["shifts_uv"]`` (uV), and the unperturbed run (the same drawn network: only v0 moves); then
    one run per spec override in ``how["members"]`` (a model perturbed as the config states)."""
    key = json.dumps([case, how], sort_keys=True)
    if key not in _ensembles:
        members = [outcome.results["reference"]]
        for shift in how["shifts_uv"]:
            spec = _spec(case, perturbation(CASES_DIR / f"{case}.yaml", how["population"], shift * 1e-3))
            members.append(execute(spec, ["reference"], out=out).results["reference"])
        for override in how.get("members", ()):
            members.append(execute(_spec(case, override), ["reference"], out=out).results["reference"])
        _ensembles[key] = members
    return _ensembles[key]


def _long_run(case: str, backend: str, duration: str, out):
    """The case lengthened to ``duration``, run on the reference and ``backend`` (one drawn instance):
    a chaotic case's population statistics, which a short run's few spikes cannot settle."""
    spec = _spec(case, {"simulation.duration": duration})
    return execute(spec, ["reference", backend], out=out, keep_going=True, max_workers=2, timeout=600)


@pytest.mark.parametrize("case,backend", list(_params()))
def test_case_on_backend(case, backend, case_runs):
    if not installed(backend):
        pytest.skip(f"{backend} is not installed")
    try:
        _check(case, backend, case_runs)
    except pytest.skip.Exception:
        raise
    except BaseException:
        _outcomes[(case, backend)] = "xfail" if _unsupported(case, backend) else "fail"
        raise
    _outcomes[(case, backend)] = "xpass" if _unsupported(case, backend) else "pass"


def _check(case: str, backend: str, case_runs) -> None:
    spec = _spec(case)
    problems = get_adapter(backend).check(spec)
    if problems:
        raise UnsupportedFeature(backend, problems)
    outcome = case_runs(case)[backend]
    assert backend not in outcome.failures, outcome.failures.get(backend)
    assert backend in outcome.results
    settings = _settings(case, backend)
    if settings.get("oracle_hh_spike"):
        spec = _oracle_spec(case, settings["oracle_hh_spike"], case_runs.out)
    long_run = settings.get("long_run")
    if "ensemble" in settings:
        failed = ensemble_failures(spec, outcome.results[backend], backend, settings,
                                   _ensemble(case, settings["ensemble"], outcome, case_runs.out),
                                   counts=not long_run)
    else:
        failed = failed_expectations(spec, outcome.results[backend], backend, settings)
    assert not failed, "\n".join(failed)
    if backend == "reference":
        return
    assert "reference" in outcome.results, "the reference engine failed on this case"
    if long_run:
        outcome = _long_run(case, backend, long_run["duration"], case_runs.out)
        assert backend not in outcome.failures, outcome.failures.get(backend)
    comparison = compare_run(outcome.run_dir, profile=settings["profile"], reference="reference",
                             tolerances=settings.get("tolerances"))
    differs = [line for line in comparison.report["failed_checks"]["differs"] if line.startswith(f"{backend} ")]
    assert not differs, "\n".join(differs)


def _write_results() -> None:
    """Merge this session's outcomes into results.json (only the pairs that ran; rewritten only when
    something changed, so a passing CI run leaves the tree clean)."""
    if not _outcomes:
        return
    old = json.loads(RESULTS_FILE.read_text()) if RESULTS_FILE.is_file() else {}
    new = json.loads(json.dumps(old))
    for (case, backend), outcome in _outcomes.items():
        new.setdefault(backend, {})[case] = outcome
    new = {b: dict(sorted(new[b].items())) for b in sorted(new)}
    if new != old:
        RESULTS_FILE.write_text(json.dumps(new, indent=2) + "\n", encoding="utf-8")
