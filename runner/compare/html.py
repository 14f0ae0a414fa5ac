"""report.html: one self-contained page (inline CSS, plots embedded as base64 PNG, no scripts or links
to fetch), readable offline and attachable to an issue or a lab notebook."""

from __future__ import annotations

from html import escape

from . import plots
from .report import POPULATION_METRICS, limit_text, num, si, unit_of

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}code{font-size:.95em}
.grade{display:inline-block;padding:.05em .55em;border-radius:.8em;font-weight:600;font-size:.85em;color:#fff}
.agrees{background:#2e7d32}.close{background:#ef8f00}.differs{background:#c62828}.reported,.na{background:#9e9e9e}
.failed{background:#6a1b9a}.summary{font-size:1.05em;margin:.8em 0}ul.fail li{color:#b71c1c}
img{max-width:100%;margin:.4em 0;display:block}.small{color:#666;font-size:.85em}
"""


def badge(grade: str) -> str:
    css = {"n/a": "na"}.get(grade, grade)
    return f'<span class="grade {escape(css)}">{escape(grade)}</span>'


def _img(data: str, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _grade_matrix(report: dict) -> str:
    """Backends by population and trace, each cell the worst grade there (Brian2's feature table)."""
    columns = [(f"{pop}", p["backends"]) for pop, p in report["populations"].items()]
    columns += [(f"{key}", t["backends"]) for key, t in report["traces"].items()]
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
    backends = [ref] + [b for b in report["compared"]]
    title = f"snnrun comparison: {report['spec_name']}"
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>",
           f"<style>{CSS}</style></head><body>", f"<h1>{escape(title)}</h1>"]
    out.append(f"<p class='small'>run {escape(str(report['run_id']))} &middot; seed {escape(str(report['seed']))} "
               f"&middot; {escape(report['run_dir'])}</p>")
    out.append(f"<p class='summary'>Overall {badge(report['grade'])} against reference <code>{escape(ref)}</code>, "
               f"profile <code>{escape(prof['name'])}</code> ({escape(prof['description'])}); exit code "
               f"{report['exit_code']}.</p>")
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
                   "<th>grade</th></tr>")
        r = entry["reference"]
        out.append(f"<tr><td class=l><code>{escape(ref)}</code> (reference)</td><td>{r['spikes']}</td>"
                   f"<td>{si(r['rate_hz'], 'Hz')}</td><td>{num(r['cv_isi'])}</td><td></td><td></td><td></td>"
                   f"<td></td><td></td></tr>")
        for name, b in entry["backends"].items():
            first = si(b["first_divergence_s"], "s") if b["first_divergence_s"] is not None else "never"
            out.append(f"<tr><td class=l><code>{escape(name)}</code></td><td>{b['spikes']}</td>"
                       f"<td>{si(b['rate_hz'], 'Hz')}</td><td>{num(b['cv_isi'])}</td><td>{num(b['coincidence'])}</td>"
                       f"<td>{num(b['van_rossum_mean'])}</td><td>{num(b['victor_purpura_mean'])}</td>"
                       f"<td>{first}</td><td>{badge(b['grade'])}</td></tr>")
        out.append("</table>")
        if entry["backends"]:
            out.append("<table><tr><th class=l>graded error</th>" +
                       "".join(f"<th>{escape(k)}</th>" for k in POPULATION_METRICS) + "</tr>")
            for name, b in entry["backends"].items():
                out.append(f"<tr><td class=l><code>{escape(name)}</code></td>" + "".join(
                    f"<td>{num(b['metrics'][k]['value'], 3)} {badge(b['metrics'][k]['grade'])}</td>"
                    for k in POPULATION_METRICS) + "</tr>")
            out.append("</table>")
        shown = [b for b in backends if (pop, b) in comparison.trains]
        out.append(_img(plots.raster(comparison, pop, shown), f"raster of {pop}"))
        out.append(_img(plots.rates(comparison, pop, shown), f"population rate of {pop}"))
        if len(shown) > 1:
            out.append(_img(plots.divergence(comparison, pop, shown), f"divergence of {pop}"))
    if report["traces"]:
        out.append("<h2>Traces</h2>")
        for key, t in report["traces"].items():
            unit = unit_of(t["variable"])
            out.append(f"<h3><code>{escape(key)}</code></h3><table><tr><th class=l>backend</th><th>RMSE</th>"
                       "<th>max error</th><th>reference range</th><th>error first above 'agrees'</th>"
                       "<th>trace_rmse</th><th>trace_max</th><th>grade</th></tr>")
            for name, b in t["backends"].items():
                first = si(b["first_exceeds_s"], "s") if b["first_exceeds_s"] is not None else "never"
                cells = "".join(f"<td>{num(b['metrics'][k]['value'], 3)} {badge(b['metrics'][k]['grade'])}</td>"
                                for k in ("trace_rmse", "trace_max"))
                out.append(f"<tr><td class=l><code>{escape(name)}</code></td><td>{si(b['rmse'], unit)}</td>"
                           f"<td>{si(b['max_error'], unit)}</td><td>{si(b['scale'], unit)}</td><td>{first}</td>"
                           f"{cells}<td>{badge(b['grade'])}</td></tr>")
            out.append("</table>")
            shown = [b for b in backends if (t["population"], t["variable"]) in comparison.results[b].traces]
            out.append(_img(plots.traces(comparison, t["population"], t["variable"], shown, unit), f"traces {key}"))
            out.append(_img(plots.trace_error(comparison, t["population"], t["variable"], shown, unit),
                            f"trace error {key}"))
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
