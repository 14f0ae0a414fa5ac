"""The figures of the comparison report and of ``snnrun plot``, as base64 PNG (matplotlib, Agg backend,
imported only when a figure is drawn): rasters (one panel per backend), population rates, overlaid
traces, trace errors, spikes without a partner, injected currents.

Every figure is drawn from a :class:`PlotData`, so a comparison and a single run share the code. Figures
are as wide as the page (11 in at 100 dpi: 1100 px), fonts 9-11 pt at that size, neuron axes in whole
numbers, and no figure-wide title above panel titles (the page's headings say what a figure shows).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

MAX_RASTER_NEURONS = 100  # a raster of more neurons is a grey smear; the first 100 show the pattern
MAX_TRACE_NEURONS = 3
MAX_STIMULUS_LINES = 8  # per population; more (per-neuron values) are summarised by their range
WIDTH = 11.0  # inches, at DPI: the page's width
DPI = 100
RASTER_COLUMNS = 3
COLOURS = ("#222222", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


@dataclass
class PlotData:
    """What the figures need from one run: ``backends`` in display order (a comparison's reference
    first), ``trains[(population, backend)]`` one spike-time array (s) per neuron, ``traces[(population,
    variable)][backend]`` a DataFrame (index time in s, one column per neuron, SI), ``stimuli`` the run's
    stimuli table (stimulus, population, time, amplitude) or None, ``duration`` and ``dt`` in s."""

    backends: list[str]
    duration: float
    dt: float
    sizes: dict[str, int]
    trains: dict[tuple[str, str], list] = field(default_factory=dict)
    traces: dict[tuple[str, str], dict] = field(default_factory=dict)
    stimuli: Optional[object] = None
    stimulus_targets: dict[str, dict] = field(default_factory=dict)


def _pyplot():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "xtick.labelsize": 9,
                         "ytick.labelsize": 9, "legend.fontsize": 9})
    return plt


def _png(fig) -> str:
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(height: float, rows: int = 1, cols: int = 1, **kw):
    plt = _pyplot()
    return plt.subplots(rows, cols, figsize=(WIDTH, height), squeeze=False, layout="constrained", **kw)


def _time_axis(ax, duration: float) -> None:
    ax.set_xlabel("time (ms)")
    ax.set_xlim(0, duration * 1e3)


def _legend(ax) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), borderaxespad=0, frameon=False)


def _colour(backends, name):
    return COLOURS[list(backends).index(name) % len(COLOURS)]


def _integer_ticks(axis) -> None:
    from matplotlib.ticker import MaxNLocator
    axis.set_major_locator(MaxNLocator(integer=True, nbins=6))


def raster(data: PlotData, population: str, backends: Optional[list[str]] = None) -> str:
    """Spikes of ``population``, one panel per backend, at most :data:`RASTER_COLUMNS` panels a row."""
    backends = [b for b in (backends or data.backends) if (population, b) in data.trains]
    size = data.sizes[population]
    shown = min(size, MAX_RASTER_NEURONS)
    cols = 2 if len(backends) == 4 else min(RASTER_COLUMNS, max(1, len(backends)))  # 2 x 2, not 3 + 1
    rows = -(-max(1, len(backends)) // cols)
    height = max(2.2, min(4.0, 1.2 + 0.05 * shown))
    fig, axes = _figure(height * rows, rows, cols, sharex=True, sharey=True)
    marker = max(2.0, min(8.0, 300.0 / max(shown, 1)))
    for k, ax in enumerate(axes.flat):
        if k >= len(backends):
            ax.set_visible(False)
            continue
        name = backends[k]
        trains = data.trains[(population, name)][:shown]
        ids = np.concatenate([np.full(t.size, i) for i, t in enumerate(trains)]) if trains else np.empty(0)
        times = np.concatenate(trains) if trains else np.empty(0)
        ax.plot(times * 1e3, ids, "|", ms=marker, mew=1.0, color=_colour(data.backends, name))
        ax.set_title(f"{name} ({times.size} spikes{' of the first ' + str(shown) + ' neurons' if shown < size else ''})")
        _time_axis(ax, data.duration)
        if k + cols < len(backends):  # a panel below shares this time axis
            ax.set_xlabel("")
        ax.set_ylim(-0.5, shown - 0.5)
        _integer_ticks(ax.yaxis)
        if k % cols == 0:
            ax.set_ylabel("neuron")
    return _png(fig)


def _bins(duration: float, dt: float) -> np.ndarray:
    width = max(dt, duration / 100)
    return np.arange(0, duration + width * 0.5, width)


def rates(data: PlotData, population: str, backends: Optional[list[str]] = None) -> str:
    """Population rate in bins of 1 % of the run (at least dt), every backend overlaid."""
    backends = [b for b in (backends or data.backends) if (population, b) in data.trains]
    edges = _bins(data.duration, data.dt)
    size = data.sizes[population]
    fig, axes = _figure(2.8)
    ax = axes[0, 0]
    for k, name in enumerate(backends):
        trains = data.trains[(population, name)]
        times = np.concatenate(trains) if trains else np.empty(0)
        hist, _ = np.histogram(times, edges)
        ax.stairs(hist / (size * np.diff(edges)), edges * 1e3, color=_colour(data.backends, name), label=name,
                  lw=2.4 if k == 0 else 1.3, linestyle="-" if k == 0 else "--")
    ax.set_title(f"population rate, {(edges[1] - edges[0]) * 1e3:g} ms bins")
    ax.set_ylabel("rate (Hz)")
    _time_axis(ax, data.duration)
    _legend(ax)
    return _png(fig)


def divergence(data: PlotData, population: str, unmatched: dict, first: dict, reference: str) -> Optional[str]:
    """Spikes without a partner (within the coincidence window) per time bin, per compared backend, with
    the first divergence dotted; None when every spike of every backend has its partner (a flat line at
    0 says nothing: the report says it in words instead)."""
    lost = {name: times for name, times in unmatched.items() if np.size(times)}
    if not lost:
        return None
    edges = _bins(data.duration, data.dt)
    fig, axes = _figure(2.6)
    ax = axes[0, 0]
    for name, times in lost.items():
        hist, _ = np.histogram(times, edges)
        ax.stairs(hist, edges * 1e3, color=_colour(data.backends, name), label=name, lw=1.3)
        if first.get(name) is not None:
            ax.axvline(first[name] * 1e3, color=_colour(data.backends, name), ls=":", lw=1.2)
    ax.set_title(f"spikes without a partner in {reference}, {(edges[1] - edges[0]) * 1e3:g} ms bins "
                 "(dotted: first divergence)")
    ax.set_ylabel("unmatched spikes")
    _integer_ticks(ax.yaxis)
    ax.set_ylim(bottom=0)
    _time_axis(ax, data.duration)
    _legend(ax)
    return _png(fig)


def _scale(unit: str) -> tuple[float, str]:
    return (1e3, "m") if unit == "V" else (1e9, "n") if unit in ("A", "S") else (1.0, "")


def traces(data: PlotData, population: str, variable: str, unit: str,
           backends: Optional[list[str]] = None) -> str:
    """The first :data:`MAX_TRACE_NEURONS` recorded neurons, one panel each, every backend overlaid."""
    frames = data.traces.get((population, variable), {})
    backends = [b for b in (backends or data.backends) if b in frames]
    first = frames[backends[0]]
    neurons = list(first.columns[:MAX_TRACE_NEURONS])
    scale, prefix = _scale(unit)
    fig, axes = _figure(1.9 * len(neurons) + 0.5, len(neurons), 1, sharex=True)
    for ax, neuron in zip(axes[:, 0], neurons):
        for k, name in enumerate(backends):
            frame = frames[name]
            if neuron not in frame.columns:
                continue
            ax.plot(frame.index.to_numpy() * 1e3, frame[neuron].to_numpy() * scale, color=_colour(data.backends, name),
                    lw=2.4 if k == 0 else 1.1, ls="-" if k == 0 else "--", alpha=0.55 if k == 0 and len(backends) > 1
                    else 1.0, label=name)
        ax.set_ylabel(f"{variable} ({prefix}{unit})")
        ax.set_title(f"neuron {neuron}", loc="left")
    _legend(axes[0, 0])
    _time_axis(axes[-1, 0], data.duration)
    return _png(fig)


def trace_error(data: PlotData, errors: dict, unit: str) -> Optional[str]:
    """|error| against the reference over time (log scale), per compared backend; None without one."""
    if not errors:
        return None
    fig, axes = _figure(2.6)
    ax = axes[0, 0]
    for name, err in errors.items():
        floor = np.maximum(err.error_over_time, 1e-18)  # exact zeros on a log axis
        ax.semilogy(err.times * 1e3, floor, color=_colour(data.backends, name), label=name, lw=1.1)
    ax.set_title("largest |error| over the recorded neurons, against the reference")
    ax.set_ylabel(f"|error| ({unit})")
    _time_axis(ax, data.duration)
    _legend(ax)
    return _png(fig)


def stimuli(data: PlotData) -> Optional[str]:
    """The injected currents, one panel per population: each stimulus' current (nA) over time, with its
    targets; stimuli with per-neuron values (``name#k`` groups) are drawn group by group, at most
    :data:`MAX_STIMULUS_LINES` per panel. None when the run injected nothing."""
    table = data.stimuli
    if table is None or len(table) == 0:
        return None
    populations = list(dict.fromkeys(table["population"]))
    fig, axes = _figure(2.3 * len(populations) + 0.4, len(populations), 1, sharex=True)
    end = data.duration * 1e3
    for ax, pop in zip(axes[:, 0], populations):
        rows = table[table["population"] == pop]
        names = list(dict.fromkeys(rows["stimulus"]))
        for k, name in enumerate(names[:MAX_STIMULUS_LINES]):
            part = rows[rows["stimulus"] == name]
            inside = part["time"].to_numpy() * 1e3 < end  # a change at the end itself draws nothing
            t = np.append(part["time"].to_numpy()[inside] * 1e3, end)
            amps = part["amplitude"].to_numpy()[inside] * 1e9
            neurons = data.stimulus_targets.get(name, {}).get("neurons")
            who = (f" (neuron{'s' if len(neurons) > 1 else ''} {_ranges(neurons)})"
                   if neurons is not None and len(neurons) < data.sizes.get(pop, 0) else "")
            ax.stairs(amps, np.clip(t, 0, end), baseline=None, lw=1.4, color=COLOURS[(k + 1) % len(COLOURS)],
                      label=f"{name}{who}")
        if len(names) > MAX_STIMULUS_LINES:
            ax.text(0.99, 0.95, f"{len(names) - MAX_STIMULUS_LINES} more groups not drawn", ha="right", va="top",
                    transform=ax.transAxes, fontsize=9)
        ax.set_title(f"population {pop}", loc="left")
        ax.set_ylabel("current (nA)")
        _legend(ax)
    _time_axis(axes[-1, 0], data.duration)
    return _png(fig)


def _ranges(neurons, limit: int = 6) -> str:
    """``[0, 1, 2, 5] -> '0-2, 5'``, cut after ``limit`` ranges."""
    out, start, prev = [], None, None
    for n in sorted(neurons):
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}-{prev}" if prev > start else f"{start}")
            start = prev = n
    if start is not None:
        out.append(f"{start}-{prev}" if prev > start else f"{start}")
    return ", ".join(out[:limit]) + (", ..." if len(out) > limit else "")
