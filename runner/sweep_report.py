"""The sweep report (``--compare`` on a sweep): ``report.json``, ``report.md`` and ``report.html`` in the
sweep folder, from its ``summary.parquet``.

Per point, population and backend it gives the rate and the CV of inter-spike intervals as the mean
and standard deviation across seeds; plots of each metric against each swept parameter per backend
(mean +- standard deviation across seeds) and, for a two-parameter grid, a heat map per backend.

Per point it also measures how far each backend is from the reference *relative to the seed spread*.
Every backend runs the same drawn instance for a given seed, so for seeds s = 1..S:

    D     = mean over s of |x_b,s - x_ref,s|            (backend against reference, same network)
    Delta = mean over pairs s < s' of |x_ref,s - x_ref,s'|  (two seeds of the network, on the reference)
    ratio = D / Delta

(x is the population's rate, or its CV). ``ratio > 1`` means the backend is farther from the reference
than another seed of the same network is on average: with ``compare.profile: seed_spread`` that is the
grading rule (agrees at ratio <= 0.5, close at <= 1, differs above). Delta is Gini's mean difference,
which needs no assumption on the shape of the spread and is usable with as few as 2 seeds; for a
normal spread of standard deviation sigma it is 2 sigma / sqrt(pi) = 1.13 sigma, so the rule is
``D > 1.13 sigma``. It needs at least two seeds; with Delta = 0 (the seed changes nothing) any
difference differs. With another profile (``network`` by default) each seed's rate and CV are graded
against that profile's ``rate`` and ``cv_isi`` limits, as ``snnrun compare`` grades one run, and the
ratio is reported.
"""

from __future__ import annotations

import json
import math
from html import escape
from itertools import combinations
from pathlib import Path
from typing import Optional

import numpy as np

from .compare import grading as g
from .schema.errors import ResultsError
from .sweep_summary import SWEEP_MANIFEST, read_sweep

REPORT_FORMAT = 1
SEED_SPREAD = "seed_spread"
#: seed_spread grades: ratio D / Delta at or below 0.5 agrees, at or below 1 is close, above differs
SEED_SPREAD_LIMITS = (0.5, 1.0)
METRICS = (("rate", "rate [Hz]", "Hz"), ("cv_isi", "cv_isi", ""))


def _stats(values: np.ndarray) -> dict:
    values = values[~np.isnan(values)]
    if not values.size:
        return {"mean": None, "std": None, "n": 0}
    return {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if values.size > 1 else None,
            "n": int(values.size)}


def seed_spread_ratio(ref: np.ndarray, other: np.ndarray) -> dict:
    """D, Delta and D / Delta (see module) of paired per-seed values; None entries where undefined."""
    pairs = ~(np.isnan(ref) | np.isnan(other))
    ref_ok = ref[~np.isnan(ref)]
    spread = (float(np.mean([abs(a - b) for a, b in combinations(ref_ok, 2)])) if ref_ok.size >= 2 else None)
    distance = float(np.mean(np.abs(other[pairs] - ref[pairs]))) if pairs.any() else None
    if spread is None or distance is None:
        ratio = None
    elif spread == 0.0:
        ratio = 0.0 if distance == 0.0 else math.inf
    else:
        ratio = distance / spread
    return {"distance": distance, "seed_spread": spread, "ratio": ratio}


def _profile(name: Optional[str], compare: dict, locate):
    chosen = name or compare.get("profile") or g.DEFAULT_PROFILE
    if chosen == SEED_SPREAD:
        return None
    return g.profile_for({k: v for k, v in compare.items() if k != "profile"}, chosen, locate=locate)


def sweep_report(folder, profile: Optional[str] = None, reference: Optional[str] = None, spec=None) -> dict:
    """The sweep report of the sweep in ``folder`` (see module), as a JSON-ready dict."""
    folder = Path(folder)
    frame = read_sweep(folder)
    try:
        manifest = json.loads((folder / SWEEP_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{folder}: unreadable {SWEEP_MANIFEST}: {exc}") from None
    compare = dict(spec.compare or {}) if spec is not None else {}
    prof = _profile(profile, compare, spec.problem if spec is not None else None)
    backends = manifest["backends"]
    ref = g.reference_backend(compare, backends, reference)
    params = manifest["parameters"]
    report = {
        "format": REPORT_FORMAT, "kind": "sweep", "folder": str(folder), "spec_name": manifest["spec_name"],
        "reference": ref, "backends": backends, "seeds": manifest["seeds"],
        "parameters": [{"path": p["path"], "column": p["column"], "values": p["values"]} for p in params],
        "profile": ({"name": SEED_SPREAD, "limits": {"ratio": {"agree": SEED_SPREAD_LIMITS[0],
                                                               "close": SEED_SPREAD_LIMITS[1]}}}
                    if prof is None else {"name": prof.name, "limits": {
                        m: {"agree": prof.limit(m)[0], "close": prof.limit(m)[1]} for m in ("rate", "cv_isi")}}),
        "points": [], "failed_checks": {"differs": []}, "failures": [],
    }
    if ref not in backends:
        raise ResultsError(f"{folder}: the reference backend '{ref}' is not one of the sweep's backends "
                           f"({', '.join(backends)})")
    grades = []
    for point in manifest["points"]:
        rows = frame[frame["point"] == point["index"]]
        entry = {"index": point["index"], "values": point["values"], "populations": {}}
        for pop in dict.fromkeys(rows["population"]):
            at = rows[rows["population"] == pop]
            per = {b: at[at["backend"] == b].set_index("seed") for b in backends}
            seeds = sorted(set(at["seed"]))
            pop_entry = {}
            for backend in backends:
                data = per[backend].reindex(seeds)
                out = {name: _stats(data[column].to_numpy(float)) for name, column, _ in METRICS}
                if backend != ref:
                    out["vs_reference"] = _versus(per[ref].reindex(seeds), data, prof)
                    out["grade"] = g.worst(v["grade"] for v in out["vs_reference"].values())
                    grades.append(out["grade"])
                    for metric, v in out["vs_reference"].items():
                        if v["grade"] == g.DIFFERS:
                            line = (f"{backend} differs from {ref}: point {point['index']} "
                                    f"({_describe(point['values'])}): population {pop}: {_why(metric, v, prof)}")
                            report["failed_checks"]["differs"].append(line)
                            report["failures"].append(line)
                pop_entry[backend] = out
            entry["populations"][pop] = pop_entry
        report["points"].append(entry)
    report["grade"] = g.worst(grades)
    return report


def _versus(ref, other, prof) -> dict:
    """Per metric: the seed-spread ratio and the grade (by the ratio, or by the profile's limits)."""
    out = {}
    for name, column, _ in METRICS:
        a, b = ref[column].to_numpy(float), other[column].to_numpy(float)
        entry = seed_spread_ratio(a, b)
        if prof is None:
            entry["grade"] = g.grade(entry["ratio"], SEED_SPREAD_LIMITS)
        else:  # each seed graded as one run is, the worst seed counts
            if name == "rate":
                ca, cb = ref["spikes"].to_numpy(float), other["spikes"].to_numpy(float)
                errors = np.abs(cb - ca) / np.maximum(ca, 1.0)
            else:
                errors = np.where(np.isnan(a) & np.isnan(b), np.nan,
                                  np.where(np.isnan(a) | np.isnan(b), np.inf, np.abs(b - a)))
            errors = errors[~np.isnan(errors)]
            entry["error"] = float(errors.max()) if errors.size else None
            entry["grade"] = g.grade(entry["error"], prof.limit(name))
        out[name] = entry
    return out


def _describe(values: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in values.items()) or "the spec"


def _why(metric: str, entry: dict, prof) -> str:
    if prof is None:
        ratio = entry["ratio"]
        return (f"{metric}: mean |difference| {entry['distance']:.4g} is {ratio:.3g} x the seed-to-seed "
                f"spread {entry['seed_spread']:.4g} (profile seed_spread: > {SEED_SPREAD_LIMITS[1]:g})")
    return f"{metric} {entry['error']:.4g} > {prof.limit(metric)[1]:.4g} (profile {prof.name})"


def _num(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    return "inf" if value == math.inf else f"{value:.{digits}g}"


def _mean_std(stats: dict) -> str:
    if stats["mean"] is None:
        return "-"
    return _num(stats["mean"]) + (f" ± {_num(stats['std'], 2)}" if stats["std"] is not None else "")


def _table_rows(report: dict):
    """(point label, population, backend, rate, cv, ratio text, grade) for every table."""
    for point in report["points"]:
        label = _describe(point["values"])
        for pop, backends in point["populations"].items():
            for backend, entry in backends.items():
                vs = entry.get("vs_reference", {})
                ratio = " / ".join(_num(vs[m]["ratio"], 3) for m in ("rate", "cv_isi")) if vs else ""
                yield (label, pop, backend, _mean_std(entry["rate"]), _mean_std(entry["cv_isi"]), ratio,
                       entry.get("grade", "reference"))


HEAD = ("point", "population", "backend", "rate (Hz), mean ± std over seeds", "CV, mean ± std",
        "D / Delta (rate / CV)", "grade")


def markdown(report: dict) -> str:
    lines = [f"# Sweep report: {report['spec_name']}", "",
             f"Reference backend `{report['reference']}`, profile `{report['profile']['name']}`, "
             f"seeds {', '.join(map(str, report['seeds']))}; overall grade **{report['grade']}**.", "",
             "D / Delta: the mean difference from the reference over seeds, in units of the mean "
             "difference between two seeds on the reference (above 1: farther than another seed).", "",
             "| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    lines += ["| " + " | ".join(row) + " |" for row in _table_rows(report)]
    if report["failures"]:
        lines += ["", "## Differences", ""] + [f"- {line}" for line in report["failures"]]
    return "\n".join(lines) + "\n"


def html_page(report: dict, folder: Path) -> str:
    from .compare.html import CSS, badge

    figures = _figures(report, folder)
    rows = "".join("<tr>" + "".join(f'<td class="l">{escape(c)}</td>' for c in row[:3])
                   + "".join(f"<td>{escape(c)}</td>" for c in row[3:6])
                   + f"<td>{badge(row[6]) if row[6] != 'reference' else 'reference'}</td></tr>"
                   for row in _table_rows(report))
    fails = "".join(f"<li>{escape(line)}</li>" for line in report["failures"])
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>sweep {escape(report['spec_name'])}</title>"
            f"<style>{CSS}</style></head><body><h1>Sweep report: {escape(report['spec_name'])}</h1>"
            f"<p class='summary'>reference <code>{escape(report['reference'])}</code>, profile "
            f"<code>{escape(report['profile']['name'])}</code>, seeds {escape(', '.join(map(str, report['seeds'])))}: "
            f"{badge(report['grade'])}</p>"
            + (f"<ul class='fail'>{fails}</ul>" if fails else "")
            + "".join(f"<h2>{escape(title)}</h2><img alt='{escape(title)}' src='data:image/png;base64,{data}'>"
                      for title, data in figures)
            + "<h2>Per point</h2><p class='small'>D / Delta: mean |difference| from the reference over seeds "
              "divided by the mean |difference| between two seeds on the reference.</p>"
            + "<table><tr>" + "".join(f"<th class='l'>{escape(h)}</th>" for h in HEAD) + f"</tr>{rows}</table>"
            + "</body></html>\n")


def _figures(report: dict, folder: Path) -> list[tuple[str, str]]:
    """Each metric against each parameter per backend (mean +- std over seeds); heat maps for 2-D grids."""
    from .compare.plots import COLOURS, _png, _pyplot

    frame = read_sweep(folder)
    frame = frame[frame["status"] == "ok"]
    plt = _pyplot()
    out = []
    params = report["parameters"]
    for pop in dict.fromkeys(frame["population"]):
        rows = frame[frame["population"] == pop]
        for param in params:
            column = param["column"]
            numeric = rows[column].dtype.kind in "fi"
            for name, metric, unit in METRICS:
                fig, ax = plt.subplots(figsize=(6.5, 3.2))
                for i, backend in enumerate(report["backends"]):
                    at = rows[rows["backend"] == backend].groupby(column)[metric]
                    mean, std = at.mean(), at.std(ddof=1)
                    x = mean.index.to_numpy() if numeric else np.arange(len(mean))
                    ax.errorbar(x, mean.to_numpy(), yerr=std.fillna(0).to_numpy(), marker="o", capsize=3,
                                color=COLOURS[i % len(COLOURS)], label=backend)
                    if not numeric:
                        ax.set_xticks(x, [str(v)[:20] for v in mean.index], fontsize=6)
                ax.set_xlabel(column, fontsize=8)
                ax.set_ylabel(f"{name} ({unit})" if unit else name, fontsize=8)
                if len(params) > 1:
                    ax.set_title("mean over the other parameters' values and seeds", fontsize=8)
                ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
                ax.tick_params(labelsize=7)
                out.append((f"{pop}: {name} against {param['path']}", _png(fig)))
        if len(params) == 2 and all(rows[p["column"]].dtype.kind in "fi" for p in params):
            for backend in report["backends"]:
                grid = rows[rows["backend"] == backend].pivot_table(index=params[0]["column"],
                                                                    columns=params[1]["column"],
                                                                    values="rate [Hz]", aggfunc="mean")
                fig, ax = plt.subplots(figsize=(5.5, 4))
                image = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
                ax.set_yticks(range(len(grid.index)), [f"{v:.3g}" for v in grid.index], fontsize=7)
                ax.set_xticks(range(len(grid.columns)), [f"{v:.3g}" for v in grid.columns], fontsize=7)
                ax.set_ylabel(params[0]["column"], fontsize=8)
                ax.set_xlabel(params[1]["column"], fontsize=8)
                fig.colorbar(image, ax=ax, label="rate (Hz), mean over seeds")
                out.append((f"{pop}: rate on the grid, {backend}", _png(fig)))
    return out


def write_sweep_reports(report: dict, folder, html: bool = True) -> list[Path]:
    """report.md, report.html (unless ``html`` is False) and report.json (last) into the sweep folder."""
    from .compare.report import json_text, write_atomic

    folder = Path(folder)
    written = [folder / "report.md"]
    write_atomic(written[0], markdown(report))
    if html:
        written.append(folder / "report.html")
        write_atomic(written[-1], html_page(report, folder))
    written.append(folder / "report.json")
    write_atomic(written[-1], json_text(report))
    return written
