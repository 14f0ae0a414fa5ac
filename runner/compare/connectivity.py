"""The drawn network in the comparison report: per projection, in-degree and weight histograms and
their summary. The instance comes from the run's ``instance/`` folder (``--save-instance``), else it is
drawn again from the spec (the same spec and seed draw the same network)."""

from __future__ import annotations

from html import escape
from pathlib import Path

import numpy as np

UNIT = {"current": "A", "conductance": "S", "voltage": "V"}


def load_instance(run_dir: Path, spec=None):
    """The run's drawn instance (saved, or drawn again from ``spec``, or from the spec.yaml the run
    saved), or None when none can be had (the spec's data files are elsewhere, for instance)."""
    from ..instance_io import read_instance
    from ..schema.errors import SnnrunError

    if (run_dir / "instance").is_dir():
        try:
            return read_instance(run_dir / "instance")
        except SnnrunError:
            return None
    try:
        if spec is None:
            from ..schema.loader import load_spec
            spec = load_spec(run_dir / "spec.yaml")
        from ..instance import instantiate
        return instantiate(spec)
    except (SnnrunError, OSError):
        return None


def summary(instance) -> dict:
    """projection -> synapses, in-degree (min, mean, max over the post population) and weight
    (min, mean, max, SI unit)."""
    out = {}
    for name, proj in instance.projections.items():
        post = instance.populations[proj.post_population]
        degree = np.bincount(proj.post, minlength=post.size)
        w = proj.weight
        out[name] = {"synapses": int(proj.size), "pre": proj.pre_population, "post": proj.post_population,
                     "in_degree": {"min": int(degree.min()) if degree.size else 0,
                                   "mean": float(degree.mean()) if degree.size else 0.0,
                                   "max": int(degree.max()) if degree.size else 0},
                     "weight": {"min": float(w.min()) if w.size else None, "mean": float(w.mean()) if w.size else None,
                                "max": float(w.max()) if w.size else None, "unit": UNIT[proj.kind]}}
    return out


def markdown(report: dict) -> list[str]:
    from .report import si

    rows = report.get("connectivity") or {}
    if not rows:
        return []
    out = ["## Connectivity (the drawn instance every backend ran)", "",
           "| projection | pre -> post | synapses | in-degree min / mean / max | weight min / mean / max |",
           "|---|---|---|---|---|"]
    for name, r in rows.items():
        d, w = r["in_degree"], r["weight"]
        weights = " / ".join(si(w[k], w["unit"]) for k in ("min", "mean", "max")) if w["min"] is not None else "-"
        out.append(f"| `{name}` | {r['pre']} -> {r['post']} | {r['synapses']} | {d['min']} / {d['mean']:.4g} / "
                   f"{d['max']} | {weights} |")
    return out + [""]


def histograms(instance, name: str) -> str:
    """One projection's in-degree and weight histograms side by side, as a base64 PNG."""
    from .plots import _png, _pyplot

    plt = _pyplot()
    proj = instance.projections[name]
    degree = np.bincount(proj.post, minlength=instance.populations[proj.post_population].size)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 2.4))
    left.hist(degree, bins=np.arange(degree.max() + 2) - 0.5 if degree.size and degree.max() < 60 else 30,
              color="#1f77b4")
    left.set_xlabel(f"in-degree (synapses onto a {proj.post_population} neuron)", fontsize=8)
    left.set_ylabel("neurons", fontsize=8)
    right.hist(proj.weight, bins=30, color="#d62728")
    right.set_xlabel(f"weight ({UNIT[proj.kind]})", fontsize=8)
    right.set_ylabel("synapses", fontsize=8)
    for ax in (left, right):
        ax.tick_params(labelsize=7)
    fig.suptitle(f"projection {name}: {proj.pre_population} -> {proj.post_population}", fontsize=10)
    return _png(fig)


def html(comparison) -> str:
    from .html import _img

    rows = comparison.report.get("connectivity") or {}
    instance = getattr(comparison, "instance", None)
    if not rows or instance is None:
        return ""
    parts = ["<h2>Connectivity (the drawn instance every backend ran)</h2>"]
    for name in rows:
        if instance.projections[name].size:
            parts.append(_img(histograms(instance, name), f"in-degree and weight histograms of {escape(name)}"))
    return "".join(parts)
