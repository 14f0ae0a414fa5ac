"""``snnrun plot RUN_DIR``: the figures of one run, of one backend or many, without comparing anything:
a raster per population (a panel per backend), population rates, recorded traces and the injected
currents, as PNG files and one self-contained HTML page (``plots/`` and ``plots.html`` in the run
folder, or under ``--out``).
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Optional

from .compare import plots
from .compare.report import unit_of, write_atomic
from .reader import latest_run, read_manifest, run_backends
from .results import STIMULI, Results
from .schema.errors import ResultsError

PAGE = "plots.html"
FOLDER = "plots"
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em auto;max-width:1140px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{font-size:1.02em;margin:1.2em 0 .3em}table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}
img{width:100%;max-width:1100px;margin:.3em 0;display:block}.small{color:#666;font-size:.85em}
"""


def _trains(res: Results, population: str, size: int) -> list:
    from .compare.metrics import split_trains

    frame = res.spikes
    rows = frame[frame["population"] == population]
    return split_trains(rows["neuron"].to_numpy(), rows["time"].to_numpy(), size)


def run_data(run_dir: Path, backends: Optional[list[str]] = None) -> tuple[plots.PlotData, dict, dict]:
    """The PlotData of a run folder (or of one backend folder), its manifest and its Results by backend."""
    manifest = read_manifest(run_dir)
    if "backend" in manifest:  # a backend folder: plot that backend alone
        results = {manifest["backend"]: Results(run_dir, manifest)}
        run_manifest = read_manifest(run_dir.parent) if (run_dir.parent / "manifest.json").is_file() else {}
        top = run_dir.parent
    else:
        results, run_manifest, top = run_backends(run_dir, manifest), manifest, run_dir
    if backends:
        unknown = [b for b in backends if b not in results]
        if unknown:
            raise ResultsError(f"{run_dir}: no results of backend {', '.join(unknown)} (has: {', '.join(results)})")
        results = {b: results[b] for b in backends}
    if not results:
        raise ResultsError(f"{run_dir}: the run has no successful backend")
    results = dict(sorted(results.items(), key=lambda item: item[0] != "reference"))  # the oracle first
    first = next(iter(results.values())).manifest
    try:
        duration, dt = float(first["duration"]), float(first["dt"])
        sizes = {pop: int(row["size"]) for r in results.values() for pop, row in r.populations.items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ResultsError(f"{run_dir}: damaged manifest ({type(exc).__name__}: {exc})") from None
    data = plots.PlotData(list(results), duration, dt, sizes)
    for name, res in results.items():
        for pop in res.populations:
            data.trains[(pop, name)] = _trains(res, pop, sizes[pop])
        for key, frame in res.traces.items():
            data.traces.setdefault(key, {})[name] = frame
    data.stimuli, data.stimulus_targets = read_stimuli(top, run_manifest)
    return data, run_manifest or manifest, results


def read_stimuli(run_dir: Path, manifest: dict):
    """The run's stimuli table (stimulus, population, time, amplitude) and targets, or (None, {})."""
    file = run_dir / STIMULI
    if not file.is_file():
        return None, {}
    import pandas as pd
    try:
        table = pd.read_parquet(file)
        table["stimulus"] = table["stimulus"].astype(str)
    except (OSError, ValueError, KeyError) as exc:
        raise ResultsError(f"{file}: damaged results file ({type(exc).__name__}: {exc})") from None
    return table, dict(manifest.get("stimuli") or {})


def figures(data: plots.PlotData) -> list[tuple[str, str, str]]:
    """(section heading, file stem, base64 PNG) of every figure of a run, in page order."""
    out = []
    for pop in data.sizes:
        if not any((pop, b) in data.trains for b in data.backends):
            continue
        out.append((f"Population {pop}: Spikes", f"raster_{pop}", plots.raster(data, pop)))
        out.append((f"Population {pop}: Population rate", f"rate_{pop}", plots.rates(data, pop)))
    for (pop, var) in data.traces:
        out.append((f"Population {pop}: Recorded {var}", f"trace_{pop}_{var}",
                    plots.traces(data, pop, var, unit_of(var))))
    drawn = plots.stimuli(data)
    if drawn is not None:
        out.append(("Injected currents", "stimuli", drawn))
    return out


def page(data: plots.PlotData, manifest: dict, run_dir: Path, drawn: list) -> str:
    """A self-contained HTML page (inline CSS, PNGs embedded) of a run's figures."""
    title = f"snnrun run: {manifest.get('spec_name', run_dir.name)}"
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>",
           f"<style>{CSS}</style></head><body>", f"<h1>{escape(title)}</h1>",
           f"<p class='small'>run {escape(str(manifest.get('run_id', '')))} &middot; seed "
           f"{escape(str(manifest.get('seed', '')))} &middot; {escape(str(run_dir))} &middot; duration "
           f"{data.duration * 1e3:g} ms, dt {data.dt * 1e3:g} ms &middot; backends "
           f"{escape(', '.join(data.backends))}</p>"]
    out.append("<table><tr><th class=l>population</th><th>neurons</th>" +
               "".join(f"<th>{escape(b)} spikes</th>" for b in data.backends) + "</tr>")
    for pop, size in data.sizes.items():
        counts = "".join(f"<td>{sum(t.size for t in data.trains[(pop, b)]) if (pop, b) in data.trains else '-'}</td>"
                         for b in data.backends)
        out.append(f"<tr><td class=l><code>{escape(pop)}</code></td><td>{size}</td>{counts}</tr>")
    out.append("</table>")
    section = None
    for heading, stem, png in drawn:
        top = heading.split(":")[0]
        if top != section:
            out.append(f"<h2>{escape(top)}</h2>")
            section = top
        if ":" in heading:
            out.append(f"<h3>{escape(heading.split(': ', 1)[1])}</h3>")
        out.append(f'<img alt="{escape(heading)}" src="data:image/png;base64,{png}">')
    out.append("</body></html>")
    return "\n".join(out)


def plot_run(run_dir: str | Path, out: Optional[str | Path] = None,
             backends: Optional[list[str]] = None) -> tuple[Path, list[Path]]:
    """Write the PNGs (``<out>/plots/*.png``) and ``<out>/plots.html`` of a run; ``out`` defaults to the
    run folder. A spec's results folder (``results/<spec>``) means its latest run. Returns (page, PNGs)."""
    run_dir = latest_run(Path(run_dir))
    data, manifest, _ = run_data(run_dir, backends)
    drawn = figures(data)
    target = Path(out) if out is not None else run_dir
    folder = target / FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for _, stem, png in drawn:
            path = folder / f"{stem}.png"
            path.write_bytes(base64.b64decode(png))
            files.append(path)
        html = target / PAGE
        write_atomic(html, page(data, manifest, run_dir, drawn))
    except OSError as exc:
        raise ResultsError(f"cannot write plots to '{target}': {exc.strerror or exc}") from None
    return html, files
