"""Read a committed results folder back: the one reader behind :func:`snnrun.read_results`, the
comparison (:func:`snnrun.compare.compare_run`) and sweeps (every task of a sweep is a run folder).

A folder is complete only when its ``manifest.json`` is there and readable (it is written last, and the
folder renamed into place); anything else is a :class:`ResultsError` naming the folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .results import MANIFEST, Results
from .schema.errors import ResultsError, clip, one_line


@dataclass
class RunFolder:
    """A committed folder: a run (``backend`` None; ``results`` holds each successful backend) or one
    backend's folder (``backend`` its name; ``results`` holds just it). ``manifest`` is the folder's own."""

    path: Path
    manifest: dict
    results: dict[str, Results] = field(default_factory=dict)
    backend: Optional[str] = None


def read_manifest(folder: str | os.PathLike) -> dict:
    """The ``manifest.json`` of ``folder``; ResultsError when it is missing (an interrupted run's
    ``.partial`` folder, for instance) or unreadable."""
    path = Path(folder)
    manifest_file = path / MANIFEST
    if not manifest_file.is_file():
        hint = (" (an interrupted run)" if path.name.endswith(".partial") else
                " (a sweep: read it with snnrun.read_sweep)" if (path / "sweep.json").is_file() else "")
        raise ResultsError(f"{path}: not a complete snnrun results folder{hint}: no {MANIFEST}")
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{manifest_file}: unreadable manifest: {clip(one_line(exc), 200)}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("backends", {}), dict):
        raise ResultsError(f"{manifest_file}: damaged manifest: not what snnrun writes")
    return manifest


def read_folder(folder: str | os.PathLike) -> RunFolder:
    """Read a run folder or a backend folder (see :class:`RunFolder`)."""
    path = Path(folder)
    manifest = read_manifest(path)
    if "backend" in manifest:
        return RunFolder(path, manifest, {manifest["backend"]: Results(path, manifest)}, manifest["backend"])
    return RunFolder(path, manifest, run_backends(path, manifest))


def run_backends(run_dir: Path, manifest: dict) -> dict[str, Results]:
    """The Results of every backend of a run that has a folder, each with its own manifest (a folder
    name that is not a plain name, e.g. ``../x``, marks a damaged manifest)."""
    runs = {}
    for backend, entry in manifest.get("backends", {}).items():
        folder = entry.get("folder") if isinstance(entry, dict) else None
        if folder:
            if not isinstance(folder, str) or Path(folder).name != folder:
                raise ResultsError(f"{run_dir / MANIFEST}: damaged manifest: backend folder {folder!r}")
            runs[backend] = Results(run_dir / folder, read_manifest(run_dir / folder))
    return runs


def latest_run(folder: Path) -> Path:
    """``folder`` itself when it is a run; for a spec's results folder (``results/<spec name>``), its
    newest complete run (run ids sort by time)."""
    if (folder / MANIFEST).is_file() or folder.name.endswith(".partial"):
        return folder
    try:
        runs = sorted(p for p in folder.iterdir() if not p.name.startswith(".") and (p / MANIFEST).is_file())
    except OSError:
        return folder
    return runs[-1] if runs else folder
