"""A run's results in the electrophysiology formats: NWB (``snnrun export RUN_DIR --to nwb -o DIR``, one
file per backend, pynwb) and Neo/NIX (``--to nix -o run.nix``, one Block with a Segment per backend).

NWB: spikes are a Units table (spike times in s, ascending; columns ``population`` and ``neuron``, the
portable index within the population, one row per neuron of every population whose spikes were
recorded, with or without spikes); each recorded trace is a TimeSeries in ``acquisition`` named
``<population>.<variable>`` (SI unit, regular sampling from t = 0, one column per recorded neuron, their
indices in the description); the spec is the file's ``source_script``, and the seed, spec hash, dt,
backend and versions are JSON in ``notes``.

NIX: per backend a Segment with one SpikeTrain per neuron (s, t_start 0, t_stop the duration;
annotations ``population``, ``neuron``, ``backend``) and one AnalogSignal per recorded trace (SI unit,
``array_annotations["neuron"]``); the Block's annotations hold the seed, spec hash and spec.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path

import numpy as np

from ..results import MANIFEST, Results
from ..schema.errors import ResultsError

#: the dimension a trace file records (its Parquet metadata) -> SI unit symbol
SI_UNIT = {"voltage": "V", "current": "A", "conductance": "S", "dimensionless": "dimensionless"}
NWB_UNIT = {"V": "volts", "A": "amperes", "S": "siemens", "dimensionless": "n.a."}


def _run(run_dir: str | os.PathLike) -> tuple[Path, dict, dict[str, Results], str | None]:
    run_dir = Path(run_dir)
    manifest_file = run_dir / MANIFEST
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ResultsError(f"{run_dir}: not a complete snnrun run folder (no readable {MANIFEST})") from None
    if "backends" not in manifest:
        raise ResultsError(f"{run_dir}: a backend folder; give the run folder above it")
    runs = {}
    for backend, entry in manifest["backends"].items():
        if entry.get("folder"):
            sub = run_dir / entry["folder"]
            runs[backend] = Results(sub, json.loads((sub / MANIFEST).read_text(encoding="utf-8")))
    if not runs:
        raise ResultsError(f"{run_dir}: the run has no successful backend")
    spec = run_dir / "spec.yaml"
    return run_dir, manifest, runs, spec.read_text(encoding="utf-8") if spec.is_file() else None


def _trace_unit(results: Results, population: str, variable: str) -> str:
    import pyarrow.parquet as pq

    meta = pq.read_schema(results.path / "traces" / f"{population}.{variable}.parquet").metadata or {}
    return SI_UNIT.get(meta.get(b"unit", b"dimensionless").decode(), "dimensionless")


def _trains(results: Results) -> dict[str, list[np.ndarray]]:
    """population -> one sorted array of spike times (s) per neuron."""
    frame = results.spikes
    out = {}
    for pop, info in results.populations.items():
        rows = frame[frame["population"] == pop]
        ids, times = rows["neuron"].to_numpy(), rows["time"].to_numpy()
        order = np.lexsort((times, ids))
        ids, times = ids[order], times[order]
        bounds = np.searchsorted(ids, np.arange(info["size"] + 1))
        out[pop] = [times[bounds[i]:bounds[i + 1]] for i in range(info["size"])]
    return out


def _created(manifest: dict) -> _dt.datetime:
    try:
        return _dt.datetime.strptime(manifest["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
    except (KeyError, ValueError):
        return _dt.datetime.now(_dt.timezone.utc)


def _provenance(manifest: dict, results: Results, backend: str) -> dict:
    m = results.manifest
    return {"snnrun_run": manifest.get("run_id"), "backend": backend, "spec_name": manifest.get("spec_name"),
            "spec_hash": m.get("spec_hash"), "spec_version": m.get("spec_version"), "seed": m.get("seed"),
            "dt_s": m.get("dt"), "duration_s": m.get("duration"), "snnrun_version": m.get("snnrun_version"),
            "simulator_versions": m.get("simulator_versions", {})}


def to_nwb(run_dir: str | os.PathLike, out: str | os.PathLike) -> list[Path]:
    """One NWB file per backend of the run, ``<out>/<backend>.nwb``; returns their paths."""
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.misc import Units

    run_dir, manifest, runs, spec_text = _run(run_dir)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for backend, results in runs.items():
        provenance = _provenance(manifest, results, backend)
        nwb = NWBFile(
            session_description=f"snnrun simulation of spec '{manifest.get('spec_name')}' on backend {backend}",
            identifier=f"snnrun-{manifest.get('run_id')}-{backend}", session_start_time=_created(manifest),
            experiment_description=f"spiking network simulated with snnrun {provenance['snnrun_version']} "
                                   f"(seed {provenance['seed']}, dt {provenance['dt_s']} s)",
            source_script=spec_text or "", source_script_file_name="spec.yaml",
            notes=json.dumps(provenance, sort_keys=True), keywords=["simulation", "spiking neural network", "snnrun"])
        # spike times are stamps on the dt grid, so no two differ by less than dt
        nwb.units = Units(name="units", resolution=float(results.manifest["dt"]),
                          description="simulated neurons: one row per neuron of every population whose spikes were "
                                      "recorded")
        nwb.add_unit_column("population", "the spec's population of the neuron")
        nwb.add_unit_column("neuron", "the neuron's index within its population (the same on every backend)")
        for pop, trains in _trains(results).items():
            for neuron, times in enumerate(trains):
                nwb.add_unit(spike_times=times, population=pop, neuron=neuron)
        for (pop, var), frame in results.traces.items():
            unit = _trace_unit(results, pop, var)
            times = frame.index.to_numpy()
            rate = 1.0 / (times[1] - times[0]) if times.size > 1 else 1.0 / float(results.manifest["dt"])
            nwb.add_acquisition(TimeSeries(
                name=f"{pop}.{var}", data=frame.to_numpy(), unit=NWB_UNIT[unit], rate=float(rate), starting_time=0.0,
                description=f"{var} of population {pop}, neurons {[int(c) for c in frame.columns]} (one column each)",
                comments=f"SI unit {unit}; sample k is the state at k / rate s"))
        path = out / f"{backend.replace(':', '-')}.nwb"
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwb)
        written.append(path)
    return written


def to_nix(run_dir: str | os.PathLike, out: str | os.PathLike) -> list[Path]:
    """One NIX file holding a Neo Block with one Segment per backend; returns its path."""
    import neo
    import quantities as pq
    from neo.io import NixIO

    run_dir, manifest, runs, spec_text = _run(run_dir)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()  # NixIO appends to an existing file
    block = neo.Block(name=str(manifest.get("spec_name")), description=f"snnrun run {manifest.get('run_id')}",
                      file_origin=str(run_dir), seed=manifest.get("seed"), spec_hash=manifest.get("spec_hash"),
                      spec=spec_text or "")
    for backend, results in runs.items():
        provenance = _provenance(manifest, results, backend)
        segment = neo.Segment(name=backend, description=json.dumps(provenance, sort_keys=True))
        duration = float(results.manifest["duration"])
        for pop, trains in _trains(results).items():
            for neuron, times in enumerate(trains):
                segment.spiketrains.append(neo.SpikeTrain(
                    times * pq.s, t_start=0.0 * pq.s, t_stop=duration * pq.s, name=f"{pop}[{neuron}]",
                    population=pop, neuron=neuron, backend=backend))
        for (pop, var), frame in results.traces.items():
            times = frame.index.to_numpy()
            period = times[1] - times[0] if times.size > 1 else float(results.manifest["dt"])
            unit = _trace_unit(results, pop, var)
            segment.analogsignals.append(neo.AnalogSignal(
                frame.to_numpy(), units=pq.dimensionless if unit == "dimensionless" else getattr(pq, unit),
                sampling_period=period * pq.s, t_start=0.0 * pq.s, name=f"{pop}.{var}",
                array_annotations={"neuron": np.asarray([int(c) for c in frame.columns])},
                population=pop, variable=var, backend=backend))
        block.segments.append(segment)
    with NixIO(str(out), mode="ow") as io:
        io.write_block(block)
    return [out]
