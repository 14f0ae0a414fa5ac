"""The command line of sweeps: ``--seeds``, ``--dask``, ``--run-id``, ``--keep-going/--fail-fast`` and
``--retries`` of ``snnrun SPEC``, and the sweep run itself (one progress bar, failed tasks one line
each, exit code 9 when some tasks failed). ``snnrun.cli`` declares the options with these objects and
hands a spec with a sweep (or ``--seeds``) to :func:`run_sweep_command`."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Optional

import typer

from .schema.errors import ExitCode, ExpectationFailed, SnnrunError

SEEDS = typer.Option(None, "--seeds", help="run the spec (every point of its sweep) once per seed: "
                     "1-10, 1,2,5 or 1-3,7; makes a seed ensemble of any spec")
DASK = typer.Option(None, "--dask", help="run a sweep's tasks on Dask: 'local' starts a LocalCluster of "
                    "--jobs workers, tcp://host:port uses a running scheduler (default: local processes)")
RUN_ID = typer.Option(None, "--run-id", help="name the run folder <out>/<spec name>/RUN_ID (default: a new "
                      "time-stamped id; for a sweep, a hash of its content); a sweep's folder is resumed")
KEEP_GOING = typer.Option(True, "--keep-going/--fail-fast", help="sweeps: run every task whatever fails "
                          "(default), or stop at the first failed task")
RETRIES = typer.Option(0, "--retries", min=0, help="--dask: how many times Dask reruns a failed task")


def wants_sweep(spec, seeds: Optional[str], dask: Optional[str], retries: int, compare: bool,
                profile: Optional[str]) -> bool:
    """True when the run is a sweep (the spec has one, or ``--seeds``); refuses sweep-only options and
    the ``seed_spread`` profile on a single run (BadParameter: exit 2)."""
    if seeds is not None or spec.sweep is not None:
        return True
    if dask is not None or retries:
        raise typer.BadParameter("--dask and --retries run a sweep's tasks: give the spec a sweep: block "
                                 "or --seeds")
    chosen = profile or dict(spec.compare or {}).get("profile")
    if compare and chosen == "seed_spread":
        raise typer.BadParameter("the seed_spread profile grades a sweep over seeds against the spread "
                                 "between seeds: run with --seeds (for example --seeds 1-5)")
    return False


class _SweepProgress:
    """One bar for the whole sweep on stderr (tasks done of all, elapsed, remaining), on a terminal only."""

    def __init__(self, enabled: bool):
        self.enabled, self.bar, self.task = enabled, None, None

    def __call__(self, done: int, total: int, failed: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)
            from .cli import _stderr
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TimeRemainingColumn(), console=_stderr(), transient=True,
                                auto_refresh=False)
            self.bar.start()
            self.task = self.bar.add_task("tasks", total=total, completed=done)
        label = f"tasks ({failed} failed)" if failed else "tasks"
        self.bar.update(self.task, completed=done, description=label)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def run_sweep_command(spec, *, backend, out: Path, seeds: Optional[str], dask: Optional[str], jobs: Optional[int],
                      run_id: Optional[str], keep_going: bool, retries: int, timeout: Optional[float],
                      compare: bool, profile: Optional[str], quiet: bool, debug: bool) -> None:
    """Run ``spec``'s sweep from the command line; exits through typer with the sweep's exit code."""
    from .cli import _fail, _stderr
    from .schema.sweep import parse_seeds
    from .sweep import SweepFailed, run_sweep

    try:
        seed_list = parse_seeds(seeds) if seeds is not None else None
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    bar = _SweepProgress(enabled=sys.stderr.isatty() and not quiet)
    started = time.perf_counter()

    def on_start(executor: str, to_run: int, complete: int) -> None:
        if not quiet:
            _stderr().print(f"sweep: {to_run + complete} tasks, {complete} already complete, {to_run} to run "
                            f"on {executor}", markup=False, soft_wrap=True)

    failures: list[str] = []
    try:
        outcome = run_sweep(spec, backend=backend or None, out=out, seeds=seed_list, jobs=jobs, dask=dask,
                            run_id=run_id, keep_going=keep_going, timeout=timeout, retries=retries,
                            progress=bar, on_start=on_start)
    except SweepFailed as error:  # --fail-fast: the first failure stopped the sweep
        bar.close()
        _fail(error, debug)
    except (SnnrunError, ValueError) as error:
        bar.close()
        if not isinstance(error, SnnrunError):
            raise typer.BadParameter(str(error)) from None
        _fail(error, debug)
    except KeyboardInterrupt:
        bar.close()
        _stderr().print("interrupted: every finished task is kept; run the same command again to run the "
                        "others", markup=False)
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    bar.close()
    failures = outcome.failures
    summary = outcome.summary()
    lines = {ExitCode.TASKS_FAILED: failures, ExitCode.EXPECTATION_FAILED: _failed_checks(outcome),
             ExitCode.BACKENDS_DIFFER: []}
    if compare:
        from .sweep_report import sweep_report, write_sweep_reports
        try:
            report = sweep_report(outcome.folder, profile=profile, spec=spec)
        except SnnrunError as error:
            _fail(error, debug)
        paths = write_sweep_reports(report, outcome.folder)
        lines[ExitCode.BACKENDS_DIFFER] = report["failed_checks"]["differs"]
    if quiet:
        print(outcome.folder)
    else:
        from rich.console import Console
        console = Console(highlight=False)
        ok = int((summary.drop_duplicates("task")["status"] == "ok").sum())
        console.print(f"sweep: {len(outcome.tasks)} tasks, {ok} ok, {len(failures)} failed, "
                      f"{outcome.ran} run now in {time.perf_counter() - started:.1f} s", markup=False)
        for name, reason in outcome.skipped.items():
            _stderr().print(f"skipped {name}: {reason}", markup=False, soft_wrap=True)
        if compare:
            for path in paths:
                if path.suffix != ".json":
                    console.print(f"report: {path}", markup=False, soft_wrap=True)
        console.print(f"summary: {outcome.summary_path}", markup=False, soft_wrap=True)
    _finish(lines, debug)


def _failed_checks(outcome) -> list[str]:
    """Every failed ``expect`` check of the sweep's tasks, one line each, naming the task."""
    from .reader import read_folder
    from .tasks import is_complete

    lines = []
    tasks_dir = outcome.folder / "tasks"
    for task in outcome.tasks:
        if not is_complete(tasks_dir, task):
            continue
        manifest = read_folder(tasks_dir / task.folder).results[task.backend].manifest
        lines += [f"{task.label}: {c['message']}" for c in manifest.get("expectations", []) if not c["passed"]]
    return lines


def _finish(lines_by_code: dict, debug: bool) -> None:
    """Print every failing line and exit with the most severe code: failed tasks (9), then failed
    expectations (6), then backends that differ (8)."""
    from .cli import _stderr

    order = (ExitCode.TASKS_FAILED, ExitCode.EXPECTATION_FAILED, ExitCode.BACKENDS_DIFFER)
    codes = [code for code in order if lines_by_code.get(code)]
    if not codes:
        return
    lines = [line for code in codes for line in lines_by_code[code]]
    if debug:
        raise ExpectationFailed(lines)
    console = _stderr()
    for line in lines:
        console.print(f"error: {line}", markup=False, soft_wrap=True)
    raise typer.Exit(int(codes[0]))
