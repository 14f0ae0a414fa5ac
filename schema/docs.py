"""Generate docs/models.md (every model type, stimulus and parameter with its unit and default) from the
catalogue, so the documentation cannot drift from what the loader accepts.
Regenerate with ``python -m snnrun.schema.docs > docs/models.md``; a test checks the file is current."""

from __future__ import annotations

import sys

from . import catalogue as cat
from .units import DISPLAY_UNIT, EXAMPLES


def _rows(params, event: bool = False) -> list[str]:
    out = ["| parameter | dimension | default | meaning |", "|---|---|---|---|"]
    for name, p in params.items():
        default = p.default if p.default is not None else ("(end of run)" if p.optional else "required")
        kind = {"quantity_list": "list of ", "spike_times": "lists of "}.get(p.kind, "")
        unit = DISPLAY_UNIT[p.dimension] or "-"
        dimension = f"{kind}{p.dimension.value} ({unit})"
        if p.kind == "receptor":
            dimension = "receptor name"
        elif name == "weight" and event:
            dimension = "current, conductance or voltage (nA, nS, mV), as the target's synapses"
        out.append(f"| `{name}` | {dimension} | `{default}` | {p.doc} |")
    return out


def models_markdown() -> str:
    lines = ["# Model types, stimuli and parameters (spec language v1)", "",
             "Generated from `schema/catalogue.py` by `python -m snnrun.schema.docs`; do not edit by hand.",
             "Every value takes a quantity with a unit of the listed dimension, e.g. "
             + ", ".join(f"`{EXAMPLES[d]}`" for d in EXAMPLES if d.value != "dimensionless")
             + "; dimensionless values are bare numbers.", "", "## Neuron models and spike sources", ""]
    for name, model in cat.MODELS.items():
        lines += [f"### `{name}`", "", model.doc + ".", ""]
        if model.equations:
            lines += [f"Equations: `{model.equations}`", ""]
        if model.synapse:
            lines += [f"Weights onto this model are a {cat.SYNAPSE_WEIGHT_DIMENSION[model.synapse].value} "
                      f"(receptors `exc`, `inh`).", ""]
        lines += _rows(model.params) + [""]
        if model.state:
            recordable = ", ".join(f"`{v}` ({d.value})" for v, d in model.state.items())
            lines += [f"Recordable: `spikes`, {recordable}.", ""]
        if model.initial:
            initial = ", ".join(f"`{v}` = `{d}`" for v, d in model.initial.items())
            lines += [f"Initial values (defaults): {initial}.", ""]
    lines += ["## Stimuli (current injection; `poisson_input`: synaptic events onto a receptor)", ""]
    for name, stim in cat.STIMULI.items():
        lines += [f"### `{name}`", "", stim.doc + ".", ""] + _rows(stim.params, name in cat.EVENT_STIMULI) + [""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(models_markdown())
