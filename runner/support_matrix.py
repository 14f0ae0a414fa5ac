"""The README's support matrix, generated: features by backend from each adapter's declared
:class:`~snnrun.adapters.base.Capabilities`, and conformance outcomes by case and backend from the
conformance suite's results file (tests/conformance/results.json) and its configuration (the reasons for
strict xfails). Nothing in the table is typed by hand; a test checks the README holds what this prints.

    python -m snnrun.support_matrix            # print the Markdown
    python -m snnrun.support_matrix --write    # replace the README's section between the markers
    python -m snnrun.support_matrix --check    # exit 1 if the README's section is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional

from .adapters.registry import get_adapter, known_backends
from .schema import catalogue as cat

START, END = "<!-- support-matrix:start -->", "<!-- support-matrix:end -->"
CONFIG = Path("tests/conformance/config.yaml")
RESULTS = Path("tests/conformance/results.json")
YES, NO = "yes", "no"
#: plasticity features (Capabilities.plasticity, Stdp.features()) -> row label
PLASTICITY_FEATURES = {"stdp": "plasticity `stdp` (additive, all-to-all, dendritic delay)",
                       "stdp:nearest": "STDP `pairing: nearest`",
                       "stdp:multiplicative": "STDP `weight_dependence: multiplicative`",
                       "stdp:axonal_delay": "STDP `dendritic_delay_fraction` below 1",
                       "tsodyks_markram": "short-term `tsodyks_markram`",
                       "stdp+tsodyks_markram": "STDP and `tsodyks_markram` on one synapse"}
#: constraints an adapter may declare among its reasons (key -> row label)
CONSTRAINTS = {"initial:i_syn": "initial synaptic current other than 0",
               "weight_sign": "weights of either sign onto one receptor"}


class _Notes:
    """Footnotes: each distinct reason once, numbered in order of first use."""

    def __init__(self):
        self.texts: list[str] = []

    def ref(self, text: str) -> str:
        if text not in self.texts:
            self.texts.append(text)
        return f"[{self.texts.index(text) + 1}]"


def _capabilities() -> dict:
    return {name: get_adapter(name).capabilities for name in known_backends()}


def feature_rows(caps: dict, notes: _Notes) -> list[tuple[str, list[str]]]:
    """(feature label, one cell per backend) for every feature of the spec language."""
    rows = []

    def cell(ok: bool, c, key: str) -> str:
        return YES if ok else f"{NO} {notes.ref(c.reason(key))}"

    for model in cat.MODELS:
        kind = "source" if cat.MODELS[model].is_source else "model"
        rows.append((f"{kind} `{model}`", [cell(model in c.models, c, model) for c in caps.values()]))
    for stim in cat.STIMULI:
        rows.append((f"stimulus `{stim}`", [cell(stim in c.stimuli, c, stim) for c in caps.values()]))
    for rule in cat.CONNECTION_RULES:
        rows.append((f"connection `{rule}`", [cell(rule in c.connection_rules, c, rule) for c in caps.values()]))
    rows.append(("delay: one value", [YES for _ in caps]))
    for form in ("per-synapse values", "distribution"):
        rows.append((f"delay: {form}", [cell(c.heterogeneous_delays, c, "heterogeneous_delays") for c in caps.values()]))
    variables = sorted({v for m in cat.MODELS.values() for v in m.state})
    for var in variables:
        cells = []
        for c in caps.values():
            models = [m for m in c.models if var in cat.MODELS[m].state]
            ok = bool(models) and all(var in c.recordables.get(m, ()) for m in models)
            cells.append(YES if ok else f"{NO} {notes.ref(c.reason('record:' + var))}" if models else "-")
        if any(c != "-" for c in cells):  # variables of models no backend runs yet: nothing to say
            rows.append((f"record `{var}`", cells))
    rows.append(("record weights", [cell(c.record_weights, c, "record:weight") for c in caps.values()]))
    for feature, label in PLASTICITY_FEATURES.items():
        base = "tsodyks_markram" if feature == "tsodyks_markram" else "stdp"
        prefix = "short_term:" if base == "tsodyks_markram" else "plasticity:"
        # a backend without the rule at all gives the rule's reason for each of its variants
        rows.append((label, [cell(feature in c.plasticity, c, prefix + (feature if base in c.plasticity else base))
                             for c in caps.values()]))
    for key, label in CONSTRAINTS.items():
        rows.append((label, [cell(key not in c.reasons, c, key) for c in caps.values()]))
    return rows


def conformance_rows(backends: list[str], config: dict, results: dict, notes: _Notes):
    cases = sorted({case for per in results.values() for case in per})
    rows = []
    for case in cases:
        cells = []
        for backend in backends:
            outcome = results.get(backend, {}).get(case)
            reason = None
            for section in ("unsupported", "known_failures"):
                reason = reason or (config.get(section) or {}).get(backend, {}).get(case)
            if outcome is None:
                cells.append("-")
            elif outcome in ("xfail", "xpass") and reason:
                cells.append(f"{outcome} {notes.ref(reason)}")
            else:
                cells.append(outcome)
        rows.append((f"`{case}`", cells))
    totals = []
    for backend in backends:
        outcomes = list(results.get(backend, {}).values())
        totals.append(f"{outcomes.count('pass')}/{len(outcomes)}" if outcomes else "-")
    return rows, totals


def _table(header: list[str], rows) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join([label, *cells]) + " |" for label, cells in rows]
    return out


def render(root: Path = Path(".")) -> str:
    """The Markdown between the README's markers (without them)."""
    import yaml

    caps = _capabilities()
    backends = list(caps)
    header = ["feature", *[f"`{b}`" for b in backends]]
    notes = _Notes()
    out = ["Generated by `python -m snnrun.support_matrix --write` from the adapters' declared capabilities and",
           "the conformance suite's last results (`tests/conformance/results.json`); do not edit by hand.", ""]
    out += _table(header, feature_rows(caps, notes))
    config_file, results_file = root / CONFIG, root / RESULTS
    config = yaml.safe_load(config_file.read_text()) if config_file.is_file() else {}
    results = json.loads(results_file.read_text()) if results_file.is_file() else {}
    if results:
        rows, totals = conformance_rows(backends, config, results, notes)
        out += ["", "Conformance cases (`specs/conformance/`, `pytest tests/test_conformance.py`): pass, or a strict "
                "xfail with its reason.", ""]
        out += _table(["case", *[f"`{b}`" for b in backends]], rows + [("**passed**", totals)])
    out += [""] + [f"[{i + 1}] {text}  " for i, text in enumerate(notes.texts)]
    return "\n".join(out).rstrip() + "\n"


def section(readme: str) -> Optional[str]:
    """The README's current text between the markers, or None without markers."""
    if START not in readme or END not in readme:
        return None
    return readme.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def replace_section(readme: str, body: str) -> str:
    head, rest = readme.split(START, 1)
    tail = rest.split(END, 1)[1]
    return f"{head}{START}\n{body}{END}{tail}"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snnrun.support_matrix", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="the source tree (README.md, tests/)")
    parser.add_argument("--write", action="store_true", help="write the table into README.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md's table is stale")
    args = parser.parse_args(argv)
    body = render(args.root)
    readme_file = args.root / "README.md"
    if not (args.write or args.check):
        sys.stdout.write(body)
        return 0
    readme = readme_file.read_text(encoding="utf-8")
    if section(readme) is None:
        print(f"{readme_file}: no {START} ... {END} markers", file=sys.stderr)
        return 1
    if args.check:
        stale = section(readme) != body
        if stale:
            print(f"{readme_file}: the support matrix is stale; run python -m snnrun.support_matrix --write",
                  file=sys.stderr)
        return int(stale)
    readme_file.write_text(replace_section(readme, body), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
