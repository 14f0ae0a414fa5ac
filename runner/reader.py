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
from .schema.errors import ResultsError


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
        raise ResultsError(f"{manifest_file}: unreadable manifest: {exc}") from None
    if not isinstance(manifest, dict):
        raise ResultsError(f"{manifest_file}: unreadable manifest: not a JSON object")
    return manifest


def read_folder(folder: str | os.PathLike) -> RunFolder:
    """Read a run folder or a backend folder (see :class:`RunFolder`)."""
    path = Path(folder)
    manifest = read_manifest(path)
    if "backend" in manifest:
        return RunFolder(path, manifest, {manifest["backend"]: Results(path, manifest)}, manifest["backend"])
    results = {}
    for name, entry in manifest.get("backends", {}).items():
        if entry.get("folder"):
            sub = path / entry["folder"]
            results[name] = Results(sub, read_manifest(sub))
    return RunFolder(path, manifest, results)
