"""report.json and report.md from a :class:`~.analysis.Comparison`, and the helpers both reports and the
HTML page share (number formatting, the tables' rows)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from . import grading as g

POPULATION_METRICS = ("rate", "cv_isi", "count_error", "unmatched", "van_rossum", "victor_purpura", "divergence")
TRACE_METRICS = ("trace_rmse", "trace_max")
UNIT_OF_VARIABLE = {"v": "V", "i": "A", "g": "S", "w": "A"}
_PREFIXES = ((1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "u"), (1e-3, "m"), (1.0, ""))


def si(value, unit: str) -> str:
    """``si(0.0123, 'V') == '12.3 mV'``; '-' for None."""
    if value is None:
        return "-"
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}"
    scale, prefix = 1.0, ""
    for factor, p in _PREFIXES:
        if abs(value) >= factor * 0.9995:
            scale, prefix = factor, p
    if abs(value) < 1e-15:
        scale, prefix = 1e-15, "f"
    return f"{value / scale:.4g} {prefix}{unit}"


def num(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return f"{value:.{digits}g}"


def unit_of(variable: str) -> str:
    return UNIT_OF_VARIABLE.get(variable.split("_")[0], "")


def why(cause) -> str:
    """A cause (schema/causes.py) in one table cell: mechanism, expected residual, section link."""
    if not cause:
        return ""
    link = f" ([{cause['section']}]({cause['link']}))" if cause.get("link") else ""
    return f"{cause['text']}; expected: {cause['residual']}{link}".replace("|", "\\|")


def limit_text(limits: dict) -> str:
    agree, close = limits["agree"], limits["close"]
    if agree is None and close is None:
        return "reported only"
    return f"agrees <= {num(agree)}, close <= {num(close)}"


def _clean(value):
    """JSON has no inf or nan: write them as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so a report file is either whole or absent."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def json_text(report: dict) -> str:
    return json.dumps(_clean(report), indent=2, sort_keys=True, allow_nan=False) + "\n"


def markdown(report: dict) -> str:
    ref, prof = report["reference"], report["profile"]
    out = [f"# Comparison of `{report['spec_name']}`, run {report['run_id']}", ""]
    out.append(f"Reference backend: `{ref}`. Profile: `{prof['name']}` ({prof['description']}); "
               f"coincidence window {si(prof['window_s'], 's')}, distance time scale {si(prof['tau_s'], 's')}.")
    out.append("")
    if report.get("stochastic_inputs"):
        out.append(f"Agreement is **statistical**: the stimuli {', '.join(f'`{n}`' for n in report['stochastic_inputs'])} "
                   "are Poisson inputs each backend draws with its own generator, so no spike-level agreement is "
                   "expected and spike-level metrics are reported only.")
        out.append("")
    out.append(f"**Overall: {report['grade']}** (exit code {report['exit_code']}). "
               f"Compared: {', '.join(f'`{b}`' for b in report['compared']) or 'none'}.")
    out.append("")
    out += ["## Backends", "", "| backend | role | status | grade | versions | wall time |", "|---|---|---|---|---|---|"]
    for name, info in report["backends"].items():
        versions = ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items())
        status = info["status"] + (f": {info['error']}" if info.get("error") else "")
        out.append(f"| `{name}` | {info['role']} | {status} | {info.get('grade', '-')} | {versions} | "
                   f"{si(info.get('wall_time_s'), 's')} |")
    out.append("")
    columns = [(pop, p["backends"]) for pop, p in report["populations"].items()]
    columns += [(key, t["backends"]) for key, t in report["traces"].items()]
    columns += [(f"{key} weights", w["backends"]) for key, w in report.get("weights", {}).items()]
    if report["compared"] and columns:
        out += ["## Grades", "", "| backend | " + " | ".join(f"`{name}`" for name, _ in columns) + " |",
                "|---|" + "---|" * len(columns)]
        for backend in report["compared"]:
            out.append(f"| `{backend}` | " + " | ".join(entries[backend]["grade"] if backend in entries else "-"
                                                        for _, entries in columns) + " |")
        out.append("")
    if report["failures"]:
        out += ["## Failing checks", ""] + [f"- {line}" for line in report["failures"]] + [""]
    for pop, entry in report["populations"].items():
        out += [f"## Population `{pop}` ({entry['size']} neurons)", ""]
        out += ["| backend | spikes | rate | CV ISI | coincidence | van Rossum (mean) | Victor-Purpura (mean) "
                "| first divergence | grade | why (schema/semantics.md) |", "|---|---|---|---|---|---|---|---|---|---|"]
        r = entry["reference"]
        out.append(f"| `{ref}` (reference) | {r['spikes']} | {si(r['rate_hz'], 'Hz')} | {num(r['cv_isi'])} "
                   f"| | | | | | |")
        for name, b in entry["backends"].items():
            out.append(f"| `{name}` | {b['spikes']} | {si(b['rate_hz'], 'Hz')} | {num(b['cv_isi'])} | "
                       f"{num(b['coincidence'])} | {num(b['van_rossum_mean'])} | {num(b['victor_purpura_mean'])} | "
                       f"{si(b['first_divergence_s'], 's') if b['first_divergence_s'] is not None else 'never'} | "
                       f"**{b['grade']}** | {why(b.get('cause'))} |")
        if entry["backends"]:
            out += ["", "| backend | " + " | ".join(POPULATION_METRICS) + " |",
                    "|---|" + "---|" * len(POPULATION_METRICS)]
            for name, b in entry["backends"].items():
                cells = [f"{num(b['metrics'][k]['value'], 3)} ({b['metrics'][k]['grade']})" for k in POPULATION_METRICS]
                out.append(f"| `{name}` | " + " | ".join(cells) + " |")
        out.append("")
    if report["traces"]:
        out += ["## Traces", "", "| trace | backend | RMSE | max error | reference range | error first above "
                "'agrees' | trace_rmse | trace_max | grade | why (schema/semantics.md) |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for key, t in report["traces"].items():
            unit = unit_of(t["variable"])
            for name, b in t["backends"].items():
                first = si(b["first_exceeds_s"], "s") if b["first_exceeds_s"] is not None else "never"
                out.append(f"| `{key}` | `{name}` | {si(b['rmse'], unit)} | {si(b['max_error'], unit)} | "
                           f"{si(b['scale'], unit)} | {first} | "
                           f"{num(b['metrics']['trace_rmse']['value'], 3)} ({b['metrics']['trace_rmse']['grade']}) | "
                           f"{num(b['metrics']['trace_max']['value'], 3)} ({b['metrics']['trace_max']['grade']}) | "
                           f"**{b['grade']}** | {why(b.get('cause'))} |")
        out.append("")
    if any(report["expectations"].values()):
        out += ["## Expectations", ""]
        for name, checks in report["expectations"].items():
            for c in checks:
                out.append(f"- {'pass' if c['passed'] else '**FAIL**'}: {c['message']}")
        out.append("")
    from . import causes, connectivity, weights
    out += weights.markdown(report) + causes.markdown(report) + connectivity.markdown(report)
    out += ["## Tolerances", "", "| metric | limits | from |", "|---|---|---|"]
    for metric, limits in prof["limits"].items():
        out.append(f"| `{metric}` | {limit_text(limits)} | {limits['source']} |")
    out += ["", "Grades: a metric at or below its 'agrees' limit agrees, at or below its 'close' limit is close, "
            "above it differs; 'reported' metrics are not graded by this profile. See the README, "
            "\"Comparing backends\".", ""]
    return "\n".join(out)


def grade_order(grade: str) -> int:
    return g.ORDER.get(grade, 0)
