"""One results format for every backend, written atomically and read back with pandas in one line.

Layout of a run (``--out`` defaults to ``results/``)::

    <out>/<spec name>/<run id>/manifest.json        the run: spec hash, backends, status
    <out>/<spec name>/<run id>/spec.yaml            the spec text as run
    <out>/<spec name>/<run id>/stimuli.parquet      injected currents: stimulus, population, time (s), amplitude (A)
    <out>/<spec name>/<run id>/<backend>/spikes.parquet     population, neuron, time (s)
    <out>/<spec name>/<run id>/<backend>/traces/<population>.<variable>.parquet   time (s) + one column per neuron (SI)
    <out>/<spec name>/<run id>/<backend>/weights.parquet    recorded weights: projection, synapse, pre, post, time, weight
    <out>/<spec name>/<run id>/<backend>/final_weights.parquet   every plastic synapse at the end (same columns)
    <out>/<spec name>/<run id>/<backend>/manifest.json      provenance of that backend's run

The run folder is written under a hidden ``.<run id>.partial`` name and renamed into place only when
complete, so an interrupted run never leaves a folder that looks like a result. A partial folder records
its owner (host and process id); a later run in the same place removes partial folders whose owner is a
dead process on this host, or that are older than :data:`STALE_PARTIAL_DAYS` days (another host's run
that died). A folder that cannot be written (``--out`` is a file, read-only, the disk is full) is a
:class:`ResultsError` naming the folder, and no partial folder is left behind.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import secrets
import shutil
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Mapping

import numpy as np

from . import arrow_columns as arrow
from .adapters.base import RunOutput, Trace
from .schema.errors import ResultsError, clip, one_line
from .weight_tables import FINAL_WEIGHTS, WEIGHTS, read_weights, write_weights

MANIFEST = "manifest.json"
SPIKES = "spikes.parquet"
STIMULI = "stimuli.parquet"
FORMAT_VERSION = 1
#: who writes a partial folder: {"host", "pid", "started"}
OWNER = "owner.json"
#: a partial folder of another host (or without an owner) older than this is a dead run's leftover
STALE_PARTIAL_DAYS = 7


def new_run_id() -> str:
    """UTC time to the millisecond plus random hex: sortable, and unique across parallel array jobs."""
    now = time.time()
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f"{int(now % 1 * 1000):03d}Z-{secrets.token_hex(3)}"


def platform_info() -> dict:
    return {"python": platform.python_version(), "system": platform.system(), "release": platform.release(),
            "machine": platform.machine(), "cpus": os.cpu_count()}


def _write_json(path: Path, data: Mapping) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n", encoding="utf-8")


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_spikes(path: Path, spikes: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Spikes as one Parquet long table: population (dictionary-encoded), neuron (int64), time (s)."""
    import pyarrow.parquet as pq

    names = list(spikes)
    codes = np.concatenate([np.full(spikes[n][0].size, i, np.int32) for i, n in enumerate(names)]) \
        if names else np.empty(0, np.int32)
    neuron = np.concatenate([spikes[n][0] for n in names]) if names else np.empty(0, np.int64)
    times = np.concatenate([spikes[n][1] for n in names]) if names else np.empty(0)
    pq.write_table(arrow.table({"population": arrow.dictionary(codes, names),
                                "neuron": arrow.numeric(neuron, np.int64),
                                "time": arrow.numeric(times, np.float64)}), path)


def write_trace(path: Path, trace: Trace, unit: str) -> None:
    import pyarrow.parquet as pq

    columns = {"time": arrow.numeric(trace.times, np.float64)}
    for j, neuron in enumerate(trace.neurons):
        columns[str(int(neuron))] = arrow.numeric(trace.values[:, j], np.float64)
    pq.write_table(arrow.table(columns, {"unit": unit}), path)


def _weight_unit(spec, projection: str) -> str:
    """The SI unit of a projection's weights: its target model's synapse kind decides (A, S or V)."""
    from .instance_io import WEIGHT_UNIT
    from .schema import catalogue as cat

    post = spec.populations[spec.projections[projection].post]
    return WEIGHT_UNIT[cat.MODELS[post.model.type].synapse]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process (or a pid this platform cannot check): leave it
    return True


def remove_stale_partials(parent: Path, now: float | None = None) -> list[Path]:
    """Delete the hidden ``.<run id>.partial`` folders under ``parent`` left by runs that died: owned by a
    process of this host that no longer exists, or older than :data:`STALE_PARTIAL_DAYS` days. Returns
    the folders removed; folders that cannot be inspected or removed are left alone."""
    now = time.time() if now is None else now
    host, removed = socket.gethostname(), []
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(".") and p.name.endswith(".partial")]
    except OSError:
        return removed
    for folder in candidates:
        try:
            owner = json.loads((folder / OWNER).read_text(encoding="utf-8"))
            dead = owner.get("host") == host and not _alive(int(owner["pid"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            dead = False  # no owner (killed before writing it) or unreadable: go by age only
        try:
            old = now - folder.stat().st_mtime > STALE_PARTIAL_DAYS * 86400
        except OSError:
            continue
        if dead or old:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextmanager
def _writing(where: Path):
    """OSError while writing results -> a one-line ResultsError that names the folder and the reason."""
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            reason = "no space left on the device"
        raise ResultsError(f"cannot write results to '{where}': {reason}"
                           f"{f' ({exc.filename})' if exc.filename and str(exc.filename) != str(where) else ''}") \
            from None


class RunWriter:
    """Collects one run (one or more backends) in a hidden folder; :meth:`commit` renames it into place."""

    def __init__(self, out: str | os.PathLike, spec, spec_text: str | None, run_id: str | None = None,
                 folder: str | os.PathLike | None = None):
        """The run goes to ``<out>/<spec name>/<run_id>`` (default: a new :func:`new_run_id`), or to
        ``folder`` when given (a sweep's task); either must not exist yet or be an empty folder (one a
        pipeline tool made for its output: os.rename replaces an empty folder)."""
        self.spec = spec
        self.final = Path(folder) if folder is not None else Path(out) / spec.name / (run_id or new_run_id())
        self.run_id = self.final.name
        self.out = Path(out) if folder is None else self.final.parent  # named in write errors
        parent = self.final.parent
        if self.final.exists() and not (self.final.is_dir() and not any(self.final.iterdir())):
            raise ResultsError(f"{self.final} already exists: remove it, or give another run id")
        # a random part: an interrupted writer of the same folder may have left its .partial behind
        self.partial = parent / f".{self.run_id}.{secrets.token_hex(3)}.partial"
        self.backends: dict[str, dict] = {}
        self.stimuli: dict[str, dict] = {}
        with self._writing():
            parent.mkdir(parents=True, exist_ok=True)
            remove_stale_partials(parent)
            self.partial.mkdir()
            _write_json(self.partial / OWNER, {"host": socket.gethostname(), "pid": os.getpid(),
                                               "started": time.time()})
            if spec_text is not None:
                (self.partial / "spec.yaml").write_text(spec_text, encoding="utf-8")

    @contextmanager
    def _writing(self):
        try:
            with _writing(self.out):
                yield
        except ResultsError:
            self.abort()
            raise

    def add(self, backend: str, output: RunOutput, manifest: dict) -> None:
        with self._writing():
            self._add(backend, output, manifest)

    def _add(self, backend: str, output: RunOutput, manifest: dict) -> None:
        from .schema import catalogue as cat

        folder = self.partial / backend.replace(":", "-")
        folder.mkdir()
        write_spikes(folder / SPIKES, output.spikes)
        if output.traces:
            (folder / "traces").mkdir()
            for (pop, var), trace in output.traces.items():
                mtype = cat.MODELS[self.spec.populations[pop].model.type]
                unit = mtype.state[var].value
                write_trace(folder / "traces" / f"{pop}.{var}.parquet", trace, unit)
        units = {name: _weight_unit(self.spec, name) for name in {**output.weights, **output.final_weights}}
        if output.weights:
            write_weights(folder / WEIGHTS, output.weights, units)
        if output.final_weights:
            write_weights(folder / FINAL_WEIGHTS, output.final_weights, units)
        _write_json(folder / MANIFEST, manifest)
        self.backends[backend] = {"folder": folder.name, "status": manifest.get("status", "ok")}

    def add_stimuli(self, stimuli: Mapping) -> None:
        """The injected currents every backend received (one schedule per stimulus, drawn once): a long
        table of changes (stimulus, population, time of the change in s, amplitude in A from then on) and,
        in the run's manifest, each stimulus' target neurons."""
        self.stimuli = {name: {"population": st.population, "type": st.type,
                               "neurons": np.asarray(st.neurons).tolist()} for name, st in stimuli.items()}
        if not stimuli:
            return
        import pyarrow.parquet as pq

        names = list(stimuli)
        rows = [np.full(stimuli[n].change_steps.size, i, np.int32) for i, n in enumerate(names)]
        table = arrow.table({
            "stimulus": arrow.dictionary(np.concatenate(rows), names),
            "population": arrow.strings([stimuli[n].population for n in names
                                         for _ in range(stimuli[n].change_steps.size)]),
            "time": arrow.numeric(np.concatenate([stimuli[n].change_steps * self.spec.simulation.dt for n in names]),
                                  np.float64),
            "amplitude": arrow.numeric(np.concatenate([np.asarray(stimuli[n].amplitudes, float) for n in names]))})
        with self._writing():
            pq.write_table(table, self.partial / STIMULI)

    def add_failure(self, backend: str, message: str) -> None:
        self.backends[backend] = {"folder": None, "status": "failed", "error": message}

    def commit(self) -> Path:
        spec = self.spec
        with self._writing():
            _write_json(self.partial / MANIFEST, {
                "format": FORMAT_VERSION, "run_id": self.run_id, "spec_name": spec.name,
                "spec_hash": spec.spec_hash, "spec_version": spec.version, "seed": spec.seed,
                "backends": self.backends, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "stimuli": self.stimuli, "duration": spec.simulation.duration, "dt": spec.simulation.dt,
            })
            (self.partial / OWNER).unlink()
            os.rename(self.partial, self.final)
        return self.final

    def abort(self) -> None:
        shutil.rmtree(self.partial, ignore_errors=True)


class Results:
    """One backend's results. ``spikes`` is a pandas DataFrame (population, neuron, time in s);
    ``traces`` maps (population, variable) to a DataFrame indexed by time (s), one column per neuron;
    ``weights`` (the recorded weights) and ``final_weights`` (every synapse of every plastic projection
    at the end of the run) are DataFrames with columns projection, synapse, pre, post, time (s), weight
    (SI), empty when the run has none."""

    def __init__(self, path: Path, manifest: dict, output: RunOutput | None = None):
        self.path = Path(path)
        self.manifest = manifest
        self.backend = manifest.get("backend", "")
        self._output = output
        self._spikes = None
        self._traces = None
        self._weights: dict[str, object] = {}

    def __repr__(self) -> str:
        return f"Results(backend={self.backend!r}, path='{self.path}')"

    @property
    def spikes(self):
        if self._spikes is None:
            import pandas as pd
            with _reading(self.path / SPIKES):
                frame = pd.read_parquet(self.path / SPIKES)
                if list(frame.columns) != ["population", "neuron", "time"]:
                    raise ValueError(f"columns {list(frame.columns)} instead of population, neuron, time")
                frame["population"] = frame["population"].astype(str)
            self._spikes = frame
        return self._spikes

    @property
    def traces(self) -> dict:
        if self._traces is None:
            import pandas as pd
            traces = {}
            folder = self.path / "traces"
            for file in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
                with _reading(file):
                    pop, var = file.stem.split(".", 1)
                    frame = pd.read_parquet(file).set_index("time")
                    frame.columns = [int(c) for c in frame.columns]
                traces[(pop, var)] = frame
            self._traces = traces
        return self._traces

    @property
    def weights(self):
        return self._weight_table(WEIGHTS)

    @property
    def final_weights(self):
        return self._weight_table(FINAL_WEIGHTS)

    def _weight_table(self, name: str):
        if name not in self._weights:
            import pandas as pd
            from .weight_tables import COLUMNS
            with _reading(self.path / name):
                frame = read_weights(self.path / name)
            self._weights[name] = frame if frame is not None else pd.DataFrame({c: [] for c in COLUMNS})
        return self._weights[name]

    @property
    def populations(self) -> dict:
        """Per population: size, spike count and mean rate (Hz), as the manifest records them."""
        return self.manifest.get("populations", {})

    @property
    def expectations(self) -> list:
        return self.manifest.get("expectations", [])


@contextmanager
def _reading(file: Path):
    """A results file that is missing, truncated or not what snnrun writes -> one-line ResultsError."""
    try:
        yield
    except (OSError, ValueError, KeyError, TypeError) as exc:  # pyarrow's errors derive from these
        raise ResultsError(f"{file}: damaged results file ({type(exc).__name__}: {clip(one_line(exc), 200)}); "
                           "run the spec again") from None


def read_results(run_dir: str | os.PathLike):
    """Read a run folder: a :class:`Results` when it holds one backend, else a dict backend -> Results.

    A backend folder itself may be given too. Raises :class:`ResultsError` for a folder that is not a
    complete run (an interrupted run's ``.partial`` folder, for instance).
    """
    from .reader import read_folder

    folder = read_folder(run_dir)
    if folder.backend is None and not folder.results:
        raise ResultsError(f"{folder.path}: the run has no successful backend")
    runs = folder.results
    return next(iter(runs.values())) if len(runs) == 1 else runs
