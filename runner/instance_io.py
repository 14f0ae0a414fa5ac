"""The drawn network instance as data: what every backend receives, written as Parquet tables and read
back with :func:`read_instance` (``snnrun instance SPEC --out DIR``, ``snnrun SPEC --save-instance``).

Layout (every value SI; each table's unit in its Parquet metadata under ``unit``/``units``)::

    DIR/instance.json                    name, seed, spec hash, dt, duration, steps; every population,
                                         projection (with its plasticity rules) and stimulus with its
                                         sizes and units; warnings
    DIR/spec.yaml                        the spec text, when it came from a file
    DIR/connections/<projection>.parquet pre, post (int64), weight (A, S or V), delay (s), delay_steps
    DIR/neurons/<population>.parquet     neuron, then one column per parameter and per initial value
                                         (``initial:<variable>``)
    DIR/sources/<population>.parquet     neuron, time (s), step: the source's spike stamps
    DIR/stimuli/<stimulus>.parquet       step, time (s), amplitude (A): the piecewise-constant schedule
    (instance.json's ``poisson_inputs``: each poisson_input's parameters; its events are not drawn here)

Only the instance's explicit arrays are written (pre, post, weight, delay_steps, params, initial, source
trains, stimuli), so the format does not depend on how the instance object itself is organised.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from .instance import (NetworkInstance, PopulationInstance, ProjectionInstance, SpikeTrains,
                       StimulusInstance)
from .schema import catalogue as cat
from .schema.errors import ResultsError
from .schema.model import Stdp, TsodyksMarkram

FORMAT = "snnrun-instance"
FORMAT_VERSION = 1
MANIFEST = "instance.json"
WEIGHT_UNIT = {"current": "A", "conductance": "S", "voltage": "V"}


def _table(columns: Mapping[str, np.ndarray], units: Mapping[str, str]):
    import pyarrow as pa

    table = pa.table({k: pa.array(v) for k, v in columns.items()})
    return table.replace_schema_metadata({"units": json.dumps(dict(units), sort_keys=True)})


def rules_as_data(proj: ProjectionInstance) -> dict:
    """A projection's plasticity rules for the manifest: ``plasticity`` and ``short_term`` as their
    fields (SI values), only those it has."""
    return {key: dataclasses.asdict(rule) for key in ("plasticity", "short_term")
            if (rule := getattr(proj, key)) is not None}


def rules_from_data(entry: Mapping) -> dict:
    return {key: cls(**entry[key]) for key, cls in (("plasticity", Stdp), ("short_term", TsodyksMarkram))
            if entry.get(key) is not None}


def _write(path: Path, columns: Mapping[str, np.ndarray], units: Mapping[str, str]) -> None:
    import pyarrow.parquet as pq

    pq.write_table(_table(columns, units), path)


def _param_unit(model: cat.ModelType, name: str) -> str:
    return model.params[name].dimension.value if name in model.params else model.state[name].value


def write_instance(instance: NetworkInstance, out: str | os.PathLike, spec_text: str | None = None,
                   meta: Mapping | None = None) -> Path:
    """Write ``instance`` into the folder ``out`` (created; written under a hidden ``.partial`` name and
    renamed into place, so an interrupted write never looks complete). ``meta`` adds (or overrides)
    manifest entries such as the spec's name and seed. Returns the folder."""
    final = Path(out)
    if final.exists() and any(final.iterdir()):
        raise ResultsError(f"{final}: exists and is not empty; give a new folder for the instance")
    partial = final.parent / f".{final.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        for sub in ("connections", "neurons", "sources", "stimuli"):
            (partial / sub).mkdir(parents=True)
        manifest = _write_tables(instance, partial)
        manifest.update(meta or {})
        if spec_text is not None:
            (partial / "spec.yaml").write_text(spec_text, encoding="utf-8")
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if final.exists():
            final.rmdir()
        os.rename(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def _write_tables(instance: NetworkInstance, folder: Path) -> dict:
    dt = instance.dt
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "dt": dt, "n_steps": instance.n_steps,
                "duration": instance.n_steps * dt, "populations": {}, "projections": {}, "stimuli": {},
                "warnings": list(instance.warnings)}
    for key in ("name", "seed", "spec_hash"):
        if hasattr(instance, key):
            manifest[key] = getattr(instance, key)
    for name, pop in instance.populations.items():
        model = cat.MODELS[pop.type]
        columns = {"neuron": np.arange(pop.size, dtype=np.int64)}
        units = {"neuron": ""}
        for pname, values in pop.params.items():
            columns[pname], units[pname] = np.asarray(values, np.float64), _param_unit(model, pname)
        for var, values in pop.initial.items():
            columns[f"initial:{var}"], units[f"initial:{var}"] = np.asarray(values, np.float64), model.state[var].value
        _write(folder / "neurons" / f"{name}.parquet", columns, units)
        entry = {"type": pop.type, "size": pop.size, "params": sorted(pop.params), "initial": sorted(pop.initial)}
        if pop.spikes is not None:
            ids = pop.spikes.neuron_ids()
            _write(folder / "sources" / f"{name}.parquet",
                   {"neuron": ids.astype(np.int64), "time": pop.spikes.steps * dt, "step": pop.spikes.steps},
                   {"neuron": "", "time": "s", "step": ""})
            entry["spikes"] = int(pop.spikes.steps.size)
        manifest["populations"][name] = entry
    for name, proj in instance.projections.items():
        unit = WEIGHT_UNIT[proj.kind]
        _write(folder / "connections" / f"{name}.parquet",
               {"pre": proj.pre.astype(np.int64), "post": proj.post.astype(np.int64),
                "weight": proj.weight.astype(np.float64), "delay": proj.delay_steps * dt,
                "delay_steps": proj.delay_steps.astype(np.int64)},
               {"pre": "", "post": "", "weight": unit, "delay": "s", "delay_steps": ""})
        manifest["projections"][name] = {"pre": proj.pre_population, "post": proj.post_population,
                                         "receptor": proj.receptor, "kind": proj.kind, "weight_unit": unit,
                                         "synapses": proj.size, **rules_as_data(proj)}
    for name, stim in instance.stimuli.items():
        _write(folder / "stimuli" / f"{name}.parquet",
               {"step": stim.change_steps.astype(np.int64), "time": stim.change_steps * dt,
                "amplitude": stim.amplitudes.astype(np.float64)}, {"step": "", "time": "s", "amplitude": "A"})
        manifest["stimuli"][name] = {"type": stim.type, "population": stim.population,
                                     "neurons": [int(i) for i in stim.neurons]}
    # parameters only: each backend draws a Poisson input's events itself (schema/semantics.md)
    for name, pin in instance.poisson_inputs.items():
        manifest.setdefault("poisson_inputs", {})[name] = {
            "population": pin.population, "neurons": [int(i) for i in pin.neurons], "receptor": pin.receptor,
            "rate": pin.rate, "weight": pin.weight, "weight_unit": WEIGHT_UNIT[
                cat.MODELS[instance.populations[pin.population].type].synapse],
            "start_step": pin.start_step, "stop_step": pin.stop_step}
    return manifest


@dataclass
class SavedInstance:
    """A network instance read back from disk: the same arrays every backend received.

    ``populations``, ``projections`` and ``stimuli`` hold the instance's own types (SI arrays);
    ``manifest`` is ``instance.json``; ``spec_text`` the spec as run, when it was saved."""

    path: Path
    manifest: dict
    dt: float
    n_steps: int
    populations: dict[str, PopulationInstance] = field(default_factory=dict)
    projections: dict[str, ProjectionInstance] = field(default_factory=dict)
    stimuli: dict[str, StimulusInstance] = field(default_factory=dict)
    spec_text: str | None = None

    def connections(self, projection: str):
        """One projection's synapses as a pandas DataFrame: pre, post, weight (SI), delay (s), delay_steps."""
        import pandas as pd
        return pd.read_parquet(self.path / "connections" / f"{projection}.parquet")

    def in_degrees(self, projection: str) -> np.ndarray:
        """Synapses onto each neuron of the projection's post population (int64, one per neuron)."""
        proj = self.projections[projection]
        return np.bincount(proj.post, minlength=self.populations[proj.post_population].size)

    def out_degrees(self, projection: str) -> np.ndarray:
        """Synapses from each neuron of the projection's pre population (int64, one per neuron)."""
        proj = self.projections[projection]
        return np.bincount(proj.pre, minlength=self.populations[proj.pre_population].size)


def _read_table(path: Path):
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: unreadable instance table: {exc}") from None


def read_instance(path: str | os.PathLike) -> SavedInstance:
    """Read a folder written by ``snnrun instance`` or ``--save-instance`` (a run folder holding an
    ``instance/`` subfolder may be given too). Raises :class:`ResultsError` if it is not one."""
    folder = Path(path)
    if not (folder / MANIFEST).is_file() and (folder / "instance" / MANIFEST).is_file():
        folder = folder / "instance"
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{folder}: not an snnrun instance folder ({MANIFEST}: {exc})") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version", 0) > FORMAT_VERSION:
        raise ResultsError(f"{folder}: not an snnrun instance of format version <= {FORMAT_VERSION}")
    saved = SavedInstance(folder, manifest, float(manifest["dt"]), int(manifest["n_steps"]))
    for name, entry in manifest["populations"].items():
        table = _read_table(folder / "neurons" / f"{name}.parquet")
        params = {p: table.column(p).to_numpy() for p in entry["params"]}
        initial = {v: table.column(f"initial:{v}").to_numpy() for v in entry["initial"]}
        pop = PopulationInstance(name=name, type=entry["type"], size=int(entry["size"]), params=params, initial=initial)
        if "spikes" in entry:
            spikes = _read_table(folder / "sources" / f"{name}.parquet")
            ids, steps = spikes.column("neuron").to_numpy(), spikes.column("step").to_numpy()
            order = np.lexsort((steps, ids))
            counts = np.bincount(ids, minlength=pop.size)
            pop.spikes = SpikeTrains(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), steps[order])
        saved.populations[name] = pop
    for name, entry in manifest["projections"].items():
        table = _read_table(folder / "connections" / f"{name}.parquet")
        col = lambda c: table.column(c).to_numpy()  # noqa: E731
        saved.projections[name] = ProjectionInstance(
            name=name, pre_population=entry["pre"], post_population=entry["post"], receptor=entry["receptor"],
            kind=entry["kind"], pre=col("pre"), post=col("post"), weight=col("weight"), delay_steps=col("delay_steps"),
            **rules_from_data(entry))
    for name, entry in manifest["stimuli"].items():
        table = _read_table(folder / "stimuli" / f"{name}.parquet")
        saved.stimuli[name] = StimulusInstance(
            name=name, type=entry["type"], population=entry["population"],
            neurons=np.asarray(entry["neurons"], np.int64), change_steps=table.column("step").to_numpy(),
            amplitudes=table.column("amplitude").to_numpy())
    if (folder / "spec.yaml").is_file():
        saved.spec_text = (folder / "spec.yaml").read_text(encoding="utf-8")
    return saved


def same_arrays(a, b, rtol: float = 0.0, sources_as_trains: bool = False) -> list[str]:
    """Where two instances (NetworkInstance or SavedInstance) differ in their explicit arrays: one line
    per difference, empty when they hold the same network. Synapses are compared as a set (sorted by
    pre, post, delay); float arrays within ``rtol`` (relative; 0: the very same floats). With
    ``sources_as_trains`` a spike source counts as equal when it emits the same trains, whatever its type."""
    out = []

    def differ(x, y) -> bool:
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape:
            return True
        return not (np.array_equal(x, y) if rtol == 0 or x.dtype.kind in "iub" else np.allclose(x, y, rtol=rtol, atol=0))

    def keys(kind: str, x: dict, y: dict) -> set:
        if set(x) != set(y):
            out.append(f"{kind} {sorted(x)} != {sorted(y)}")
        return set(x) & set(y)

    for name in keys("populations", a.populations, b.populations):
        pa_, pb = a.populations[name], b.populations[name]
        if pa_.size != pb.size:
            out.append(f"populations.{name}.size: {pa_.size} != {pb.size}")
            continue
        source = pa_.spikes is not None and pb.spikes is not None
        if not (source and sources_as_trains):
            if pa_.type != pb.type:
                out.append(f"populations.{name}.type: {pa_.type} != {pb.type}")
            for group in ("params", "initial"):
                ga, gb = getattr(pa_, group), getattr(pb, group)
                out += [f"populations.{name}.{group}.{k}" for k in keys(f"populations.{name}.{group}", ga, gb)
                        if differ(ga[k], gb[k])]
        sa, sb = pa_.spikes, pb.spikes
        if (sa is None) != (sb is None) or (sa is not None and (differ(sa.indptr, sb.indptr) or differ(sa.steps, sb.steps))):
            out.append(f"populations.{name}.spikes")
    for name in keys("projections", a.projections, b.projections):
        qa, qb = a.projections[name], b.projections[name]
        out += [f"projections.{name}.{what}" for what in ("pre_population", "post_population", "receptor", "kind",
                                                          "plasticity", "short_term")
                if getattr(qa, what) != getattr(qb, what)]
        oa, ob = (np.lexsort((q.delay_steps, q.post, q.pre)) for q in (qa, qb))
        out += [f"projections.{name}.{what}" for what in ("pre", "post", "delay_steps", "weight")
                if differ(getattr(qa, what)[oa], getattr(qb, what)[ob])]
    for name in keys("stimuli", a.stimuli, b.stimuli):
        out += [f"stimuli.{name}.{what}" for what in ("neurons", "change_steps", "amplitudes")
                if differ(getattr(a.stimuli[name], what), getattr(b.stimuli[name], what))]
    return sorted(out)
