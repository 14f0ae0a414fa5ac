"""A sweep's tidy table, ``summary.parquet``: one row per point x seed x backend x population.

Columns, in order: ``point`` (its index), one column per swept parameter named with its SI unit
(``populations.exc.params.i_offset [A]``: the SI value; a parameter whose values are not single
quantities, such as distributions, holds the value as written), ``seed``, ``backend``, ``population``,
``status`` ("ok" or "failed"), ``size`` (neurons), ``spikes``, ``rate [Hz]`` (spikes per neuron per
second over the whole run), ``cv_isi`` (mean CV of inter-spike intervals over neurons with at least 3
spikes), ``expect_checks`` and ``expect_failed`` (the population's ``expect`` checks on that task),
``wall_time [s]`` (the backend's run), ``task`` (the task's folder under ``tasks/``) and ``error`` (why
a task failed). A failed task has a row per recorded population, with empty measurements.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

from .reader import read_folder
from .schema.errors import ResultsError
from .tasks import Task, TaskRecord

SUMMARY = "summary.parquet"
SWEEP_MANIFEST = "sweep.json"
MEASURES = ("size", "spikes", "rate [Hz]", "cv_isi", "expect_checks", "expect_failed", "wall_time [s]")


def _recorded(task: Task) -> list[str]:
    """Populations whose spikes the task records (the populations a backend reports)."""
    return list(dict.fromkeys(r.population for r in task.spec.record if r.variable == "spikes"))


def _parameter_values(spec, point) -> dict:
    out = {}
    for param, value, si in zip(spec.sweep.parameters, point.values, point.si):
        numeric = all(v is not None for v in param.si)
        out[param.column] = si if numeric else str(value)
    return out


def summary_rows(spec, tasks: Sequence[Task], tasks_dir: Path, records: Mapping[str, TaskRecord]) -> list[dict]:
    """The summary's rows: complete tasks from their folders, the others from their ``records``."""
    points = {p.index: p for p in spec.sweep.points}
    rows = []
    for task in tasks:
        head = {"point": task.point, **_parameter_values(spec, points[task.point]), "seed": task.seed,
                "backend": task.backend}
        record = records.get(task.key)
        folder = Path(tasks_dir) / task.folder
        if record is not None and record.status != "ok":
            for pop in _recorded(task):
                rows.append({**head, "population": pop, "status": "failed", **dict.fromkeys(MEASURES),
                             "task": task.folder, "error": record.error})
            continue
        results = read_folder(folder).results[task.backend]
        manifest = results.manifest
        checks: dict[str, list] = {}
        for check in manifest.get("expectations", []):
            population = task.spec.expect[check["index"]].population
            checks.setdefault(population, []).append(check["passed"])
        wall = manifest.get("wall_time", {}).get("backend_total")
        for pop, entry in manifest.get("populations", {}).items():
            outcomes = checks.get(pop, [])
            rows.append({**head, "population": pop, "status": "ok", "size": entry["size"],
                         "spikes": entry["spikes"], "rate [Hz]": entry["rate_hz"], "cv_isi": entry.get("cv_isi"),
                         "expect_checks": len(outcomes), "expect_failed": sum(not o for o in outcomes),
                         "wall_time [s]": wall, "task": task.folder, "error": ""})
    return rows


def write_summary(path: Path, rows: list[dict]) -> None:
    """``summary.parquet`` written whole under a temporary name and renamed into place."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    for column in ("size", "spikes", "expect_checks", "expect_failed"):
        if column in frame:
            frame[column] = frame[column].astype("Int64")  # integers that may be missing (failed tasks)
    for column in ("rate [Hz]", "cv_isi", "wall_time [s]"):
        if column in frame:
            frame[column] = frame[column].astype("float64")
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    frame.to_parquet(partial, index=False)
    os.replace(partial, path)


def read_sweep(path: str | os.PathLike):
    """A sweep's summary as a pandas DataFrame (see the module for its columns): ``path`` is the sweep
    folder (``results/<name>/<run id>``) or its ``summary.parquet``. ResultsError when the sweep has not
    finished (an interrupted sweep: run it again, and only its missing tasks run)."""
    import pandas as pd

    path = Path(path)
    file = path if path.suffix == ".parquet" else path / SUMMARY
    if not file.is_file():
        why = (" (the sweep has not finished: run it again to complete it)"
               if (file.parent / SWEEP_MANIFEST).is_file() else "")
        raise ResultsError(f"{file.parent}: not a complete snnrun sweep folder{why}: no {SUMMARY}")
    try:
        return pd.read_parquet(file)
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{file}: unreadable sweep summary: {exc}") from None
