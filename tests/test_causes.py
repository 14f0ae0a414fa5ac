"""The report says why (issue 14, item 6): every (backend, model) pair an adapter's capabilities claim has
a documented cause in schema/causes.py, every cause quotes its section of schema/semantics.md (so the
table cannot drift from the documentation), and a real comparison carries the cause of every backend and
population, next to every graded difference, in report.json, report.md and report.html."""

from __future__ import annotations

import json
import re
from html import escape

import pytest

from conftest import ROOT, SPECS
from snnrun.adapters.registry import get_adapter, known_backends
from snnrun.schema.causes import CAUSES, SEMANTICS


def _sections() -> dict[str, str]:
    """Heading text -> the section's text up to the next heading, whitespace collapsed."""
    out, current = {}, None
    for line in (ROOT / SEMANTICS).read_text(encoding="utf-8").splitlines():
        heading = re.match(r"#+ (.*)", line)
        if heading:
            current = heading.group(1).strip()
            out[current] = ""
        elif current is not None:
            out[current] += " " + line
    return {k: " ".join(v.split()) for k, v in out.items()}


@pytest.mark.parametrize("backend", known_backends())
def test_every_model_a_backend_claims_has_a_documented_cause(backend):
    claimed = get_adapter(backend).capabilities.models
    assert claimed and sorted(m for m in claimed if (backend, m) not in CAUSES) == []


def test_every_cause_quotes_its_section_of_semantics():
    from snnrun.schema.causes import cause_with_poisson_input
    sections = _sections()
    with_poisson = {("poisson_input", "any"): cause_with_poisson_input("reference", "lif_curr_exp"),
                    ("poisson_input", "nest"): cause_with_poisson_input("pynn:nest", "lif_curr_exp")}
    for (backend, model), cause in {**CAUSES, **with_poisson}.items():
        assert cause.section in sections, f"{backend}/{model}: no section '{cause.section}' in {SEMANTICS}"
        assert cause.quote in sections[cause.section], f"{backend}/{model}: '{cause.quote}' not in '{cause.section}'"
        assert cause.as_dict()["link"] == f"{SEMANTICS}#{cause.anchor}" and " " not in cause.anchor


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """compare_small (exp and alpha neurons, a Poisson source) on the reference engine, nengo and
    pynn:neuron, compared under the exact profile: NEURON's Crank-Nicolson makes pynn:neuron differ."""
    from snnrun.compare import compare_run, write_reports
    from snnrun.execute import execute
    folder = tmp_path_factory.mktemp("causes")
    spec = folder / "compare_small.yaml"  # the source recorded too, for its cause
    spec.write_text((SPECS / "compare_small.yaml").read_text().replace(
        "record:\n", "record:\n  - {population: drive, variable: spikes}\n", 1))
    outcome = execute(spec, ["reference", "nengo", "pynn:neuron"], out=folder, keep_going=True)
    assert not outcome.failures, outcome.failures
    comparison = compare_run(outcome.run_dir, profile="exact")
    write_reports(comparison)
    return outcome.run_dir, comparison


def test_every_backend_and_population_has_its_cause_in_the_report(compared):
    run_dir, _ = compared
    report = json.loads((run_dir / "report.json").read_text())
    md, html = (run_dir / "report.md").read_text(), (run_dir / "report.html").read_text()
    assert set(report["backends"]) == {"reference", "nengo", "pynn:neuron"}
    models = {"drive": "poisson", "exc": "lif_curr_exp", "inh": "lif_curr_alpha"}
    for pop, model in models.items():
        entry = report["populations"][pop]
        assert set(entry["backends"]) == {"nengo", "pynn:neuron"}, pop
        for backend, b in entry["backends"].items():
            expected = CAUSES[(backend, model)]
            assert b["cause"]["text"] == expected.text and b["cause"]["residual"] == expected.residual
            assert f"## Population `{pop}`" in md and f"Population <code>{escape(pop)}</code>" in html
    for t in report["traces"].values():
        for backend, b in t["backends"].items():
            assert b["cause"]["text"] == CAUSES[(backend, models[t["population"]])].text


def test_every_graded_difference_carries_its_cause(compared):
    run_dir, comparison = compared
    report = comparison.report
    md, html = (run_dir / "report.md").read_text(), (run_dir / "report.html").read_text()
    differing = [(pop, b) for pop, e in report["populations"].items() for b, x in e["backends"].items()
                 if x["grade"] != "agrees"]
    assert ("exc", "pynn:neuron") in differing and ("inh", "pynn:neuron") in differing
    for pop, backend in differing:
        cause = report["populations"][pop]["backends"][backend]["cause"]
        row = next(line for line in md.splitlines() if line.startswith(f"| `{backend}` | ")
                   and cause["text"] in line and md.index(line) > md.index(f"## Population `{pop}`"))
        assert cause["residual"] in row and cause["link"] in row
        assert escape(cause["text"]) in html and escape(cause["residual"]) in html
    # one failing line per differing population or trace, each ending with its documented cause
    assert report["failed_checks"]["differs"]
    for line in report["failed_checks"]["differs"]:
        assert line.startswith("pynn:neuron differs from reference: ")
        assert "; documented: NEURON's Crank-Nicolson integration" in line
