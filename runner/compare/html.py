"""report.html: one self-contained page (inline CSS, plots embedded as base64 PNG, no scripts or links
to fetch), readable offline and attachable to an issue or a lab notebook."""

from __future__ import annotations

from html import escape

from . import plots
from .report import POPULATION_METRICS, limit_text, num, si, unit_of

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1140px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}code{font-size:.95em}
.grade{display:inline-block;padding:.05em .55em;border-radius:.8em;font-weight:600;font-size:.85em;color:#fff}
.agrees{background:#2e7d32}.close{background:#ef8f00}.differs{background:#c62828}.reported,.na{background:#9e9e9e}
.failed{background:#6a1b9a}.summary{font-size:1.05em;margin:.8em 0}ul.fail li{color:#b71c1c}
img{width:100%;max-width:1100px;margin:.4em 0;display:block}.small{color:#666;font-size:.85em}
td.why{text-align:left;font-size:.92em;color:#333;max-width:34em}h3{font-size:1.02em;margin:1.2em 0 .3em}
"""


def badge(grade: str) -> str:
    css = {"n/a": "na"}.get(grade, grade)
    return f'<span class="grade {escape(css)}">{escape(grade)}</span>'


def _img(data: str, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _why(cause: dict) -> str:
    """The documented cause of a backend's differences, with a link to its section of semantics.md."""
    if not cause:
        return ""
    where = (f' <a href="{escape(cause["link"])}">{escape(cause["section"])}</a>' if cause.get("link") else "")
    return f"{escape(cause['text'])}; expected: {escape(cause['residual'])}.{where}"


def plot_data(comparison) -> plots.PlotData:
    """The figures' view of a comparison: the reference first, then the compared backends."""
    from ..plot import read_stimuli

    report = comparison.report
    ref = report["reference"]
    backends = [ref] + [b for b in report["compared"]]
    manifest = comparison.results[ref].manifest
    data = plots.PlotData(backends, float(manifest["duration"]), float(manifest["dt"]),
                          {pop: entry["size"] for pop, entry in report["populations"].items()},
                          dict(comparison.trains))
    for name in backends:
        for key, frame in comparison.results[name].traces.items():
            data.traces.setdefault(key, {})[name] = frame
    from ..reader import read_manifest
    data.stimuli, data.stimulus_targets = read_stimuli(comparison.run_dir, read_manifest(comparison.run_dir))
    return data


def _grade_matrix(report: dict) -> str:
    """Backends by population and trace, each cell the worst grade there (Brian2's feature table)."""
    columns = [(f"{pop}", p["backends"]) for pop, p in report["populations"].items()]
    columns += [(f"{key}", t["backends"]) for key, t in report["traces"].items()]
    columns += [(f"{key} weights", w["backends"]) for key, w in report.get("weights", {}).items()]
    if not report["compared"] or not columns:
        return ""
    head = "".join(f"<th><code>{escape(name)}</code></th>" for name, _ in columns)
    rows = []
    for backend in report["compared"]:
        cells = "".join(f"<td>{badge(entries[backend]['grade']) if backend in entries else '-'}</td>"
                        for _, entries in columns)
        rows.append(f"<tr><td class=l><code>{escape(backend)}</code></td>{cells}</tr>")
    return ("<h2>Grades</h2><table><tr><th class=l>backend</th>" + head + "</tr>" + "".join(rows) +
            "</table>")


def html_page(comparison) -> str:
    report = comparison.report
    ref, prof = report["reference"], report["profile"]
    data = plot_data(comparison)
    title = f"snnrun comparison: {report['spec_name']}"
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>",
           f"<style>{CSS}</style></head><body>", f"<h1>{escape(title)}</h1>"]
    out.append(f"<p class='small'>run {escape(str(report['run_id']))} &middot; seed {escape(str(report['seed']))} "
               f"&middot; {escape(report['run_dir'])}</p>")
    out.append(f"<p class='summary'>Overall {badge(report['grade'])} against reference <code>{escape(ref)}</code>, "
               f"profile <code>{escape(prof['name'])}</code> ({escape(prof['description'])}); exit code "
               f"{report['exit_code']}.</p>")
    if report.get("stochastic_inputs"):
        out.append("<p>Agreement is <b>statistical</b>: the stimuli " + ", ".join(
            f"<code>{escape(n)}</code>" for n in report["stochastic_inputs"]) + " are Poisson inputs each backend "
            "draws with its own generator, so spike-level metrics are reported only.</p>")
    out.append("<h2>Backends</h2><table><tr><th class=l>backend</th><th class=l>role</th><th>status</th>"
               "<th>grade</th><th class=l>versions</th><th>wall time</th></tr>")
    for name, info in report["backends"].items():
        status = badge("failed") + " " + escape(info.get("error", "")) if info["status"] != "ok" else "ok"
        versions = ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items())
        grade = badge(info["grade"]) if "grade" in info else ""
        out.append(f"<tr><td class=l><code>{escape(name)}</code></td><td class=l>{info['role']}</td>"
                   f"<td class=l>{status}</td><td>{grade}</td><td class=l>{escape(versions)}</td>"
                   f"<td>{si(info.get('wall_time_s'), 's')}</td></tr>")
    out.append("</table>")
    out.append(_grade_matrix(report))
    if report["failures"]:
        out.append("<h2>Failing checks</h2><ul class=fail>" +
                   "".join(f"<li>{escape(line)}</li>" for line in report["failures"]) + "</ul>")
    for pop, entry in report["populations"].items():
        out.append(f"<h2>Population <code>{escape(pop)}</code> ({entry['size']} neurons)</h2>")
        out.append("<table><tr><th class=l>backend</th><th>spikes</th><th>rate</th><th>CV ISI</th>"
                   "<th>coincidence</th><th>van Rossum</th><th>Victor-Purpura</th><th>first divergence</th>"
                   "<th>grade</th><th class=l>why (schema/semantics.md)</th></tr>")
        r = entry["reference"]
        out.append(f"<tr><td class=l><code>{escape(ref)}</code> (reference)</td><td>{r['spikes']}</td>"
                   f"<td>{si(r['rate_hz'], 'Hz')}</td><td>{num(r['cv_isi'])}</td><td></td><td></td><td></td>"
                   f"<td></td><td></td><td></td></tr>")
        for name, b in entry["backends"].items():
            first = si(b["first_divergence_s"], "s") if b["first_divergence_s"] is not None else "never"
            out.append(f"<tr><td class=l><code>{escape(name)}</code></td><td>{b['spikes']}</td>"
                       f"<td>{si(b['rate_hz'], 'Hz')}</td><td>{num(b['cv_isi'])}</td><td>{num(b['coincidence'])}</td>"
                       f"<td>{num(b['van_rossum_mean'])}</td><td>{num(b['victor_purpura_mean'])}</td>"
                       f"<td>{first}</td><td>{badge(b['grade'])}</td><td class=why>{_why(b.get('cause'))}</td></tr>")
        out.append("</table>")
        if entry["backends"]:
            out.append("<table><tr><th class=l>graded error</th>" +
                       "".join(f"<th>{escape(k)}</th>" for k in POPULATION_METRICS) + "</tr>")
            for name, b in entry["backends"].items():
                out.append(f"<tr><td class=l><code>{escape(name)}</code></td>" + "".join(
                    f"<td>{num(b['metrics'][k]['value'], 3)} {badge(b['metrics'][k]['grade'])}</td>"
                    for k in POPULATION_METRICS) + "</tr>")
            out.append("</table>")
        out.append("<h3>Spikes</h3>" + _img(plots.raster(data, pop), f"raster of {pop}"))
        out.append("<h3>Population rate</h3>" + _img(plots.rates(data, pop), f"population rate of {pop}"))
        if entry["backends"]:
            unmatched = {b: comparison.unmatched.get((pop, b)) for b in entry["backends"]}
            first = {b: e["first_divergence_s"] for b, e in entry["backends"].items()}
            drawn = plots.divergence(data, pop, unmatched, first, ref)
            out.append("<h3>Spikes without a partner</h3>" + (
                _img(drawn, f"divergence of {pop}") if drawn else
                f"<p>Every spike of every backend has a partner in <code>{escape(ref)}</code> within the "
                f"coincidence window ({si(prof['window_s'], 's')}): nothing to plot.</p>"))
    if report["traces"]:
        out.append("<h2>Traces</h2>")
        for key, t in report["traces"].items():
            unit = unit_of(t["variable"])
            out.append(f"<h3><code>{escape(key)}</code></h3><table><tr><th class=l>backend</th><th>RMSE</th>"
                       "<th>max error</th><th>reference range</th><th>error first above 'agrees'</th>"
                       "<th>trace_rmse</th><th>trace_max</th><th>grade</th><th class=l>why (schema/semantics.md)"
                       "</th></tr>")
            for name, b in t["backends"].items():
                first = si(b["first_exceeds_s"], "s") if b["first_exceeds_s"] is not None else "never"
                cells = "".join(f"<td>{num(b['metrics'][k]['value'], 3)} {badge(b['metrics'][k]['grade'])}</td>"
                                for k in ("trace_rmse", "trace_max"))
                out.append(f"<tr><td class=l><code>{escape(name)}</code></td><td>{si(b['rmse'], unit)}</td>"
                           f"<td>{si(b['max_error'], unit)}</td><td>{si(b['scale'], unit)}</td><td>{first}</td>"
                           f"{cells}<td>{badge(b['grade'])}</td><td class=why>{_why(b.get('cause'))}</td></tr>")
            out.append("</table>")
            out.append(_img(plots.traces(data, t["population"], t["variable"], unit), f"traces {key}"))
            errors = {b: comparison.trace_errors[(t["population"], t["variable"], b)] for b in t["backends"]
                      if (t["population"], t["variable"], b) in comparison.trace_errors}
            drawn = plots.trace_error(data, errors, unit)
            if drawn:
                out.append(_img(drawn, f"trace error {key}"))
    from . import weights
    out.append(weights.html(comparison))
    stimulus_figure = plots.stimuli(data)
    if stimulus_figure:
        out.append("<h2>Injected currents</h2>" + _img(stimulus_figure, "injected currents"))
    if any(report["expectations"].values()):
        out.append("<h2>Expectations</h2><ul>")
        for name, checks in report["expectations"].items():
            for c in checks:
                mark = '<span class="grade agrees">pass</span>' if c["passed"] else \
                    '<span class="grade differs">FAIL</span>'
                out.append(f"<li>{mark} {escape(c['message'])}</li>")
        out.append("</ul>")
    from . import causes, connectivity
    out += [causes.html(report), connectivity.html(comparison)]
    out.append("<h2>Tolerance profile</h2><table><tr><th class=l>metric</th><th class=l>limits</th>"
               "<th class=l>from</th></tr>")
    for metric, limits in prof["limits"].items():
        out.append(f"<tr><td class=l><code>{escape(metric)}</code></td><td class=l>{escape(limit_text(limits))}</td>"
                   f"<td class=l>{escape(limits['source'])}</td></tr>")
    out.append(f"</table><p class=small>Coincidence window {si(prof['window_s'], 's')}; van Rossum and "
               f"Victor-Purpura time scale {si(prof['tau_s'], 's')}. A metric at or below its 'agrees' limit agrees, "
               "at or below its 'close' limit is close, above it differs.</p></body></html>")
    return "\n".join(out)
