"""Weights in the comparison: per plastic projection and backend, the final weights against the reference
backend's, graded; and the report's weight panel (histograms of the final weights, weights over time of
the recorded synapses).

Metrics (see :mod:`.grading`), over the synapses of one projection (both backends ran the same drawn
instance, so synapse ``i`` is the same synapse on both):

- ``weight_error``: the largest relative error of a synapse's final weight,
  ``max_i |w_b,i - w_a,i| / max(|w_a,i|, 1e-6 W)``, W the largest reference weight (a synapse clipped to
  0 on the reference is measured against W instead of 0); inf when the backends' synapses differ.
- ``weight_ks``: the Kolmogorov-Smirnov distance of the two final-weight distributions,
  ``sup_x |F_a(x) - F_b(x)|``, with both sets of weights on a grid of 1e-9 W first, so that rounding
  (which would make a single synapse's distribution differ entirely) does not count.
"""

from __future__ import annotations

from html import escape
import numpy as np

from . import grading as g

MAX_TIME_SYNAPSES = 8  # weight-over-time lines per backend
_FLOOR = 1e-6  # of the largest reference weight: the denominator of a synapse whose weight is (near) 0
_GRID = 1e-9  # of the largest reference weight: the resolution of the distributions' comparison


def relative_errors(ref: np.ndarray, other: np.ndarray) -> np.ndarray:
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    floor = _FLOOR * scale if scale > 0 else 1.0
    return np.abs(other - ref) / np.maximum(np.abs(ref), floor)


def ks_distance(a: np.ndarray, b: np.ndarray, resolution: float = 0.0) -> float:
    """Two-sample Kolmogorov-Smirnov statistic of ``a`` and ``b`` (values rounded to ``resolution``)."""
    if a.size == 0 or b.size == 0:
        return 0.0 if a.size == b.size else 1.0
    if resolution > 0:
        a, b = np.rint(a / resolution), np.rint(b / resolution)
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / a.size
    fb = np.searchsorted(b, grid, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def _by_synapse(frame, projection: str) -> tuple[np.ndarray, np.ndarray]:
    rows = frame[frame["projection"] == projection]
    order = np.argsort(rows["synapse"].to_numpy(), kind="stable")
    return rows["synapse"].to_numpy()[order], rows["weight"].to_numpy()[order]


def compare(comparison, prof: g.Profile, ref: str, cause_of) -> None:
    """Fill ``report["weights"]``: per projection with final weights on the reference, its summary and
    each compared backend's metrics and grade (``cause_of(backend)`` the documented cause)."""
    report, results = comparison.report, comparison.results
    final = results[ref].final_weights
    report["weights"] = {}
    for projection in sorted(set(final["projection"])):
        syn_a, w_a = _by_synapse(final, projection)
        entry = {"synapses": int(syn_a.size), "unit": units(results[ref]).get(projection, ""),
                 "reference": _summary(w_a), "backends": {}}
        for name, res in results.items():
            if name == ref or projection not in set(res.final_weights["projection"]):
                continue
            syn_b, w_b = _by_synapse(res.final_weights, projection)
            same = syn_a.size == syn_b.size and np.array_equal(syn_a, syn_b)
            errors = relative_errors(w_a, w_b) if same else np.full(1, np.inf)
            scale = float(np.max(np.abs(w_a))) if w_a.size else 0.0
            ks = ks_distance(w_a, w_b, _GRID * scale)
            metrics = {"weight_error": _metric(float(errors.max()) if errors.size else 0.0, prof, "weight_error"),
                       "weight_ks": _metric(ks, prof, "weight_ks")}
            entry["backends"][name] = {
                **_summary(w_b), "max_relative_error": float(errors.max()) if errors.size else 0.0,
                "median_relative_error": float(np.median(errors)) if errors.size else 0.0, "ks": ks,
                "metrics": metrics, "grade": g.worst(m["grade"] for m in metrics.values()), "cause": cause_of(name)}
        report["weights"][projection] = entry


def units(results) -> dict[str, str]:
    """projection -> SI unit of its weights, from a backend's weights tables (their metadata)."""
    import json

    import pyarrow.parquet as pq

    from ..weight_tables import FINAL_WEIGHTS, WEIGHTS

    out = {}
    for name in (WEIGHTS, FINAL_WEIGHTS):
        path = results.path / name
        if path.is_file():
            meta = pq.read_schema(path).metadata or {}
            out.update(json.loads(meta.get(b"units", b"{}")))
    return out


def _metric(value, profile: g.Profile, name: str) -> dict:
    limits = profile.limit(name)
    return {"value": value, "grade": g.grade(value, limits), "agree": limits[0], "close": limits[1]}


def _summary(w: np.ndarray) -> dict:
    if not w.size:
        return {"mean": None, "min": None, "max": None}
    return {"mean": float(w.mean()), "min": float(w.min()), "max": float(w.max())}


# -- reports --------------------------------------------------------------------------------------------
def markdown(report: dict) -> list[str]:
    from .report import num, si, why

    entries = report.get("weights") or {}
    if not entries:
        return []
    out = ["## Weights (final weights of the plastic projections)", "",
           "| projection | backend | synapses | mean | min | max | largest relative error | KS distance | "
           "weight_error | weight_ks | grade | why (schema/semantics.md) |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for projection, e in entries.items():
        unit, r = e["unit"], e["reference"]
        out.append(f"| `{projection}` | `{report['reference']}` (reference) | {e['synapses']} | {si(r['mean'], unit)} | "
                   f"{si(r['min'], unit)} | {si(r['max'], unit)} | | | | | | |")
        for name, b in e["backends"].items():
            cells = " | ".join(f"{num(b['metrics'][k]['value'], 3)} ({b['metrics'][k]['grade']})"
                               for k in ("weight_error", "weight_ks"))
            out.append(f"| `{projection}` | `{name}` | {e['synapses']} | {si(b['mean'], unit)} | {si(b['min'], unit)} | "
                       f"{si(b['max'], unit)} | {num(b['max_relative_error'])} | {num(b['ks'])} | {cells} | "
                       f"**{b['grade']}** | {why(b.get('cause'))} |")
    return out + [""]


def html(comparison) -> str:
    from .html import _img, _why, badge
    from .report import num, si

    report = comparison.report
    entries = report.get("weights") or {}
    recorded = _recorded(comparison)
    if not entries and not recorded:
        return ""
    out = ["<h2>Weights</h2>"]
    for projection in sorted(set(entries) | set(recorded)):
        e = entries.get(projection)
        out.append(f"<h3>Projection <code>{escape(projection)}</code></h3>")
        if e is not None:
            unit, r = e["unit"], e["reference"]
            out.append("<table><tr><th class=l>backend</th><th>synapses</th><th>mean</th><th>min</th><th>max</th>"
                       "<th>largest relative error</th><th>KS distance</th><th>weight_error</th><th>weight_ks</th>"
                       "<th>grade</th><th class=l>why (schema/semantics.md)</th></tr>")
            out.append(f"<tr><td class=l><code>{escape(report['reference'])}</code> (reference)</td>"
                       f"<td>{e['synapses']}</td><td>{si(r['mean'], unit)}</td><td>{si(r['min'], unit)}</td>"
                       f"<td>{si(r['max'], unit)}</td><td></td><td></td><td></td><td></td><td></td><td></td></tr>")
            for name, b in e["backends"].items():
                cells = "".join(f"<td>{num(b['metrics'][k]['value'], 3)} {badge(b['metrics'][k]['grade'])}</td>"
                                for k in ("weight_error", "weight_ks"))
                out.append(f"<tr><td class=l><code>{escape(name)}</code></td><td>{e['synapses']}</td>"
                           f"<td>{si(b['mean'], unit)}</td><td>{si(b['min'], unit)}</td><td>{si(b['max'], unit)}</td>"
                           f"<td>{num(b['max_relative_error'])}</td><td>{num(b['ks'])}</td>{cells}"
                           f"<td>{badge(b['grade'])}</td><td class=why>{_why(b.get('cause'))}</td></tr>")
            out.append("</table>")
            out.append("<h3>Final weights</h3>" + _img(histogram(comparison, projection, unit),
                                                         f"final weight histogram of {projection}"))
        if projection in recorded:
            unit = e["unit"] if e is not None else units(next(iter(comparison.results.values()))).get(projection, "")
            out.append("<h3>Recorded weights over time</h3>" + _img(
                over_time(comparison, projection, recorded[projection], unit), f"weights over time of {projection}"))
    return "".join(out)


def _recorded(comparison) -> dict[str, dict]:
    """projection -> backend -> its rows of weights.parquet (in the reference-first display order)."""
    out: dict[str, dict] = {}
    for name in _backends(comparison):
        res = comparison.results.get(name)
        if res is None:
            continue
        frame = res.weights
        for projection, rows in frame.groupby("projection", observed=True) if len(frame) else ():
            out.setdefault(str(projection), {})[name] = rows
    return out


def _backends(comparison) -> list[str]:
    ref = comparison.report["reference"]
    return [ref] + [b for b in comparison.report.get("compared", []) if b != ref]


def histogram(comparison, projection: str, unit: str) -> str:
    """The final weights of every backend as overlaid step histograms on common bins, with the drawn
    (initial) weights in grey when the instance is at hand."""
    from .plots import _colour, _figure, _legend, _png, _scale

    backends = _backends(comparison)
    finals = {b: _by_synapse(comparison.results[b].final_weights, projection)[1] for b in backends
              if b in comparison.results and projection in set(comparison.results[b].final_weights["projection"])}
    instance = getattr(comparison, "instance", None)
    initial = None
    if instance is not None and projection in instance.projections:
        initial = np.asarray(instance.projections[projection].weight, float)
    values = np.concatenate(list(finals.values()) + ([initial] if initial is not None else []))
    low, high = float(values.min()), float(values.max())
    if not high > low:
        low, high = low - 0.5 * abs(low or 1.0), high + 0.5 * abs(high or 1.0)
    scale, prefix = _scale(unit)
    bins = np.linspace(low, high, 41) * scale
    fig, axes = _figure(2.8)
    ax = axes[0, 0]
    if initial is not None:
        ax.hist(initial * scale, bins=bins, histtype="stepfilled", color="#bbbbbb", alpha=0.6, label="initial (drawn)")
    for k, (name, w) in enumerate(finals.items()):
        ax.hist(w * scale, bins=bins, histtype="step", lw=2.4 if k == 0 else 1.2, ls="-" if k == 0 else "--",
                color=_colour(backends, name), label=f"{name} (final)")
    ax.set_xlabel(f"weight ({prefix}{unit})")
    ax.set_ylabel("synapses")
    _legend(ax)
    return _png(fig)


def over_time(comparison, projection: str, frames: dict, unit: str) -> str:
    """The first :data:`MAX_TIME_SYNAPSES` recorded synapses' weights over time, every backend overlaid
    (the reference solid and wide, the others dashed), one colour per backend; each line ends at the
    synapse's final weight when the backend saved it."""
    from .plots import _colour, _figure, _legend, _png, _scale, _time_axis

    backends = list(frames)
    first = frames[backends[0]]
    synapses = list(np.unique(first["synapse"].to_numpy())[:MAX_TIME_SYNAPSES])
    scale, prefix = _scale(unit)
    fig, axes = _figure(3.0)
    ax = axes[0, 0]
    for k, name in enumerate(backends):
        rows = frames[name]
        final = comparison.results[name].final_weights  # the end of the run, after the last sample
        final = final[(final["projection"] == projection) & final["synapse"].isin(synapses)]
        if len(final):
            import pandas as pd
            rows = pd.concat([rows, final]).sort_values(["synapse", "time"], kind="stable")
        for j, synapse in enumerate(synapses):
            one = rows[rows["synapse"] == synapse]
            ax.plot(one["time"].to_numpy() * 1e3, one["weight"].to_numpy() * scale, color=_colour(backends, name),
                    lw=2.4 if k == 0 else 1.1, ls="-" if k == 0 else "--", alpha=0.55 if k == 0 and len(backends) > 1
                    else 1.0, label=name if j == 0 else None)
    ax.set_ylabel(f"weight ({prefix}{unit})")
    ax.set_title(f"synapses {', '.join(str(int(s)) for s in synapses)}"
                 f"{' (the first ' + str(MAX_TIME_SYNAPSES) + ')' if len(synapses) == MAX_TIME_SYNAPSES else ''}",
                 loc="left")
    manifest = comparison.results[backends[0]].manifest
    _time_axis(ax, float(manifest["duration"]))
    _legend(ax)
    return _png(fig)
