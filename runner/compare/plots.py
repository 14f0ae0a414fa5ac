"""The report's figures as base64 PNG (matplotlib, Agg backend, imported only when a report is drawn):
rasters side by side, population rates, overlaid traces, and divergence over time."""

from __future__ import annotations

import base64
import io

import numpy as np

MAX_RASTER_NEURONS = 100  # a raster of more neurons is a grey smear; the first 100 show the pattern
MAX_TRACE_NEURONS = 3
COLOURS = ("#222222", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _pyplot():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _png(fig) -> str:
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")



def _finish(fig, ax, ylabel: str, title: str, legend: bool = True) -> str:
    """The axes of every time plot alike (time in ms, small fonts, legend outside), as a PNG data URI."""
    ax.set_xlabel("time (ms)", fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=10)
    if legend:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.tick_params(labelsize=7)
    return _png(fig)

def _colour(backends, name):
    return COLOURS[list(backends).index(name) % len(COLOURS)]


def raster(comparison, population: str, backends: list[str]) -> str:
    plt = _pyplot()
    size = comparison.report["populations"][population]["size"]
    shown = min(size, MAX_RASTER_NEURONS)
    fig, axes = plt.subplots(1, len(backends), figsize=(3.2 * len(backends), 2.6), sharex=True, sharey=True,
                             squeeze=False)
    duration = _duration(comparison)
    for ax, name in zip(axes[0], backends):
        trains = comparison.trains.get((population, name), [])
        for i, t in enumerate(trains[:shown]):
            ax.plot(t * 1e3, np.full(t.size, i), "|", ms=3, color=_colour(backends, name))
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("time (ms)", fontsize=8)
        ax.set_xlim(0, duration * 1e3)
        ax.tick_params(labelsize=7)
    axes[0][0].set_ylabel(f"neuron (first {shown} of {size})" if shown < size else "neuron", fontsize=8)
    axes[0][0].set_ylim(-0.5, shown - 0.5)
    fig.suptitle(f"{population}: spikes", fontsize=10)
    return _png(fig)


def _duration(comparison) -> float:
    ref = comparison.report["reference"]
    return float(comparison.results[ref].manifest["duration"])


def _bins(duration: float, dt: float) -> np.ndarray:
    width = max(dt, duration / 100)
    return np.arange(0, duration + width * 0.5, width)


def rates(comparison, population: str, backends: list[str]) -> str:
    plt = _pyplot()
    ref = comparison.report["reference"]
    duration, dt = _duration(comparison), float(comparison.results[ref].manifest["dt"])
    edges = _bins(duration, dt)
    size = comparison.report["populations"][population]["size"]
    fig, ax = plt.subplots(figsize=(6.4, 2.4))
    for k, name in enumerate(backends):
        trains = comparison.trains.get((population, name), [])
        times = np.concatenate(trains) if trains else np.empty(0)
        hist, _ = np.histogram(times, edges)
        ax.stairs(hist / (size * np.diff(edges)), edges * 1e3, color=_colour(backends, name), label=name,
                  lw=2.2 if k == 0 else 1.2, linestyle="-" if k == 0 else "--")
    return _finish(fig, ax, "rate (Hz)", f"{population}: population rate ({(edges[1] - edges[0]) * 1e3:g} ms bins)")


def divergence(comparison, population: str, backends: list[str]) -> str:
    """Spikes without a partner within the coincidence window, per time bin, for each compared backend."""
    plt = _pyplot()
    ref = comparison.report["reference"]
    duration, dt = _duration(comparison), float(comparison.results[ref].manifest["dt"])
    edges = _bins(duration, dt)
    fig, ax = plt.subplots(figsize=(6.4, 2.4))
    for name in backends[1:]:
        lost = comparison.unmatched.get((population, name), np.empty(0))
        hist, _ = np.histogram(lost, edges)
        ax.stairs(hist, edges * 1e3, color=_colour(backends, name), label=name)
        first = comparison.report["populations"][population]["backends"].get(name, {}).get("first_divergence_s")
        if first is not None:
            ax.axvline(first * 1e3, color=_colour(backends, name), ls=":", lw=1)
    return _finish(fig, ax, "unmatched spikes",
                   f"{population}: spikes without a partner in {ref} (dotted: first divergence)")


def traces(comparison, population: str, variable: str, backends: list[str], unit: str) -> str:
    plt = _pyplot()
    ref = comparison.report["reference"]
    ref_trace = comparison.results[ref].traces[(population, variable)]
    neurons = list(ref_trace.columns[:MAX_TRACE_NEURONS])
    scale, prefix = (1e3, "m") if unit == "V" else (1e9, "n") if unit in ("A", "S") else (1.0, "")
    fig, axes = plt.subplots(len(neurons), 1, figsize=(6.4, 1.8 * len(neurons)), sharex=True, squeeze=False)
    for ax, neuron in zip(axes[:, 0], neurons):
        for k, name in enumerate(backends):
            frame = comparison.results[name].traces.get((population, variable))
            if frame is None or neuron not in frame.columns:
                continue
            ax.plot(frame.index.to_numpy() * 1e3, frame[neuron].to_numpy() * scale, color=_colour(backends, name),
                    lw=2.4 if k == 0 else 1.0, ls="-" if k == 0 else "--", alpha=0.6 if k == 0 else 1.0, label=name)
        ax.set_ylabel(f"{variable} #{neuron} ({prefix}{unit})", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[-1, 0].set_xlabel("time (ms)", fontsize=8)
    fig.suptitle(f"{population}.{variable}: traces overlaid", fontsize=10)
    return _png(fig)


def trace_error(comparison, population: str, variable: str, backends: list[str], unit: str) -> str:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 2.2))
    drawn = False
    for name in backends[1:]:
        errors = comparison.trace_errors.get((population, variable, name))
        if errors is None:
            continue
        floor = np.maximum(errors.error_over_time, 1e-18)  # exact zeros on a log axis
        ax.semilogy(errors.times * 1e3, floor, color=_colour(backends, name), label=name, lw=1)
        drawn = True
    return _finish(fig, ax, f"max |error| ({unit})",
                   f"{population}.{variable}: error against the reference over time", legend=drawn)
