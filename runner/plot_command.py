"""The ``snnrun plot RUN_DIR`` command (registered in :mod:`snnrun.cli`); the drawing is :mod:`snnrun.plot`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def plot_command(
    run_dir: Path = typer.Argument(..., help="a run folder (results/<spec>/<run id>), one backend's folder in it, "
                                   "or a spec's results folder (results/<spec>) for its latest run",
                                   show_default=False),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="folder for plots.html and plots/*.png "
                                       "(default: the run folder)"),
    backend: Optional[List[str]] = typer.Option(None, "--backend", "-b", help="only these backends (repeatable)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="print nothing but errors"),
    debug: bool = typer.Option(False, "--debug", help="show tracebacks"),
) -> None:
    """Draw a run: raster, population rate and recorded traces of every population, and the injected
    currents, as PNGs and one self-contained HTML page (plots.html)."""
    from .cli import _fail, _out_of_memory, _stderr
    from .plot import plot_run
    from .reader import latest_run
    from .schema.errors import SnnrunError

    latest = latest_run(run_dir)
    if latest != run_dir and not quiet:
        _stderr().print(f"plotting the latest run: {latest}", markup=False, soft_wrap=True)
    try:
        page, files = plot_run(latest, out, backend or None)
    except MemoryError:
        _out_of_memory(debug, "drawing the plots")
    except SnnrunError as error:
        _fail(error, debug)
    if not quiet:
        print(f"plots: {page} ({len(files)} figures in {files[0].parent if files else page.parent})")
