"""The ``snnrun`` command line: ``snnrun SPEC`` runs a spec; ``validate``, ``check``, ``backends`` and
``schema`` are subcommands. Errors are one line each with a distinct exit code (see README); the
traceback is shown only with ``--debug``."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

from . import sweep_cli
from .schema.errors import ExitCode, ExpectationFailed, SnnrunError

SUBCOMMANDS = ("run", "compare", "validate", "check", "backends", "schema", "instance", "export", "import")


class _DefaultRun(TyperGroup):
    """Treat ``snnrun SPEC ...`` as ``snnrun run SPEC ...`` when the first word is not a subcommand."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_DefaultRun, add_completion=False, pretty_exceptions_enable=False,
                  no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]},
                  help="Run one spiking-network spec on several simulators and measure how far they agree.")


def _stderr():
    from rich.console import Console
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(error: SnnrunError, debug: bool) -> None:
    if debug:
        raise error
    console = _stderr()
    for line in error.lines():
        console.print(f"error: {line}", markup=False)
    raise typer.Exit(int(error.exit_code))


class _Progress:
    """Per-backend progress on stderr (a rich bar per backend with its state: queued, running, done,
    failed), shown only on a terminal and only once a run has taken more than a second. Refreshed from
    the calling thread (no refresh thread: worker processes are forked while it runs)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.started = time.perf_counter()
        self.last_refresh = 0.0
        self.tasks: dict[str, object] = {}
        self.states: dict[str, tuple[str, int, int]] = {}  # backend -> (state, done, total)

    def factory(self, backend: str):
        if not self.enabled:
            return None

        def update(done: int, total: int) -> None:
            state = self.states.get(backend, ("running", 0, 0))[0]
            self.states[backend] = (state, done, total)
            self._show(backend)

        return update

    def status(self, backend: str, state: str, detail: str) -> None:
        if state == "skipped":
            return
        _, done, total = self.states.get(backend, ("", 0, 0))
        if state == "done" and total:
            done = total
        self.states[backend] = (state, done, total)
        if self.enabled:
            self._show(backend, force=state in ("done", "failed"))

    def _show(self, backend: str, force: bool = False) -> None:
        if self.bar is None:
            if time.perf_counter() - self.started < 1.0:
                return
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                                TimeElapsedColumn(), TimeRemainingColumn(), console=_stderr(), transient=True,
                                auto_refresh=False)
            self.bar.start()
        for name, (state, done, total) in self.states.items():
            label = f"{name:<12} {state:<8}"
            if name not in self.tasks:  # the clock of a queued backend starts when it runs
                self.tasks[name] = self.bar.add_task(label, total=total or None, start=state != "queued")
            task = self.tasks[name]
            info = next(t for t in self.bar.tasks if t.id == task)
            if state != "queued" and info.start_time is None:
                self.bar.start_task(task)
            if state in ("done", "failed") and info.stop_time is None:
                self.bar.stop_task(task)
            self.bar.update(task, description=label, completed=done, total=total or None)
        now = time.perf_counter()
        if force or now - self.last_refresh > 0.1:
            self.last_refresh = now
            self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _print_summary(results, run_dir: Path, failures: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=None, show_edge=False, header_style="bold")
    for column in ("backend", "population", "neurons", "spikes", "rate (Hz)"):
        table.add_column(column, justify="left" if column in ("backend", "population") else "right")
    for backend, res in results.items():
        for pop, row in res.populations.items():
            table.add_row(backend, pop, str(row["size"]), str(row["spikes"]), f"{row['rate_hz']:.3f}")
    for backend in failures:
        table.add_row(backend, "[red]failed[/red]", "", "", "")
    console = Console(highlight=False)
    console.print(table)
    for res in results.values():
        for check in res.expectations:
            mark = "[green]pass[/green]" if check["passed"] else "[red]FAIL[/red]"
            console.print(f"expect {mark} ", end="", markup=True)
            console.print(check["message"], markup=False, soft_wrap=True)
    console.print(f"results: {run_dir}", markup=False, soft_wrap=True)


def _print_comparison(comparison, paths, quiet: bool) -> None:
    if quiet:
        return
    from rich.console import Console

    report = comparison.report
    console = Console(highlight=False)
    colour = {"agrees": "green", "close": "yellow", "differs": "red"}
    for name, info in report["backends"].items():
        if name == report["reference"] or "grade" not in info:
            continue
        grade = info["grade"]
        console.print(f"compare [{colour.get(grade, 'white')}]{grade}[/] ", end="", markup=True)
        console.print(f"{name} vs {report['reference']} (profile {report['profile']['name']})", markup=False)
    for path in paths:
        console.print(f"report: {path}", markup=False, soft_wrap=True)


def _finish(lines_by_code: dict, debug: bool) -> None:
    """Print every failing check (one per line) and exit with the most severe code: a failed backend
    (5), then a failed expectation (6), then backends that differ (8)."""
    codes = [code for code in (ExitCode.BACKEND_FAILED, ExitCode.EXPECTATION_FAILED, ExitCode.BACKENDS_DIFFER)
             if lines_by_code.get(code)]
    if not codes:
        return
    lines = [line for code in codes for line in lines_by_code[code]]
    if debug:
        raise ExpectationFailed(lines)
    console = _stderr()
    for line in lines:
        console.print(f"error: {line}", markup=False)
    raise typer.Exit(int(codes[0]))


def _compare_and_report(run_dir: Path, profile, reference, spec, html: bool, quiet: bool):
    from .compare import compare_run, write_reports

    comparison = compare_run(run_dir, profile=profile, reference=reference, spec=spec)
    paths = write_reports(comparison, html=html)
    _print_comparison(comparison, [p for p in paths if p.suffix != ".json"], quiet)
    return comparison


@app.command("run")
def run_command(
    spec: Path = typer.Argument(..., help="spec file (YAML)", show_default=False),
    backend: Optional[List[str]] = typer.Option(None, "--backend", "-b", help="backend to run (repeatable), or "
                                                "'all' for every installed backend that can run SPEC; "
                                                "default: the spec's simulation.backends"),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="results folder"),
    seed: Optional[int] = typer.Option(None, "--seed", help="override the spec's seed"),
    compare: bool = typer.Option(False, "--compare", "-c", help="compare the backends and write report.json, "
                                 "report.md and report.html into the run folder"),
    profile: Optional[str] = typer.Option(None, "--profile", help="tolerance profile for --compare: exact, "
                                          "single_neuron or network (default: the spec's compare.profile, "
                                          "else network)"),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="seconds each backend may run before it "
                                            "is stopped and reported as failed", min=0.001),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="backends run at once (default: the number "
                                       "of CPUs)", min=1),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="print only the results folder"),
    save_instance: bool = typer.Option(False, "--save-instance", help="keep the drawn network (connectivity, "
                                       "parameters, source trains) in the run folder's instance/"),
    debug: bool = typer.Option(False, "--debug", help="show tracebacks"),
    seeds: Optional[str] = sweep_cli.SEEDS, dask: Optional[str] = sweep_cli.DASK,
    run_id: Optional[str] = sweep_cli.RUN_ID, keep_going: bool = sweep_cli.KEEP_GOING,
    retries: int = sweep_cli.RETRIES,
) -> None:
    """Run SPEC on one or more backends and write the results (spikes, traces, manifests) under --out;
    a spec with a sweep (or --seeds) runs every task of the sweep (see docs/pipelines.md)."""
    from .execute import execute
    from .schema.loader import load_spec

    progress = _Progress(enabled=sys.stderr.isatty() and not quiet)
    skipped: list[str] = []

    def status(name: str, state: str, detail: str) -> None:
        if state == "skipped":
            skipped.append(f"skipped {name}: {detail}")
        progress.status(name, state, detail)

    try:
        loaded = load_spec(spec, overrides={"seed": seed} if seed is not None else None)
        if sweep_cli.wants_sweep(loaded, seeds, dask, retries, compare, profile):
            return sweep_cli.run_sweep_command(loaded, backend=backend, out=out, seeds=seeds, dask=dask, jobs=jobs,
                                               run_id=run_id, keep_going=keep_going, retries=retries,
                                               timeout=timeout, compare=compare, profile=profile, quiet=quiet,
                                               debug=debug)
        if compare:  # a bad profile or compare.tolerances is reported before anything runs
            from .compare.grading import profile_for
            profile_for(loaded.compare, profile, locate=loaded.problem)
        outcome = execute(loaded, backend=backend or None, out=out, progress=progress.factory,
                          keep_going=True, timeout=timeout, max_workers=jobs, status=status, run_id=run_id,
                          save_instance=save_instance)
    except (SnnrunError, ValueError) as error:
        progress.close()
        if not isinstance(error, SnnrunError):
            raise typer.BadParameter(str(error)) from None
        _fail(error, debug)
    except KeyboardInterrupt:
        progress.close()
        _stderr().print("interrupted: no results were written", markup=False)
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    progress.close()
    if not quiet:
        for line in skipped:
            _stderr().print(line, markup=False, soft_wrap=True)
    run_dir = outcome.run_dir
    if quiet:
        print(run_dir)
    else:
        _print_summary(outcome.results, run_dir, outcome.failures)
    lines = {ExitCode.BACKEND_FAILED: list(outcome.failures.values()),
             ExitCode.EXPECTATION_FAILED: [c["message"] for r in outcome.results.values()
                                           for c in r.expectations if not c["passed"]]}
    if compare:
        try:
            comparison = _compare_and_report(run_dir, profile, None, loaded, True, quiet)
        except SnnrunError as error:
            _fail(error, debug)
        checks = comparison.report["failed_checks"]
        lines[ExitCode.BACKENDS_DIFFER] = checks["differs"]
        lines[ExitCode.BACKEND_FAILED] += [line for line in checks["backend_failed"] if line.startswith("the reference")]
    _finish(lines, debug)


@app.command("compare")
def compare_command(
    run_dir: Path = typer.Argument(..., help="a run folder (results/<spec>/<run id>)", show_default=False),
    profile: Optional[str] = typer.Option(None, "--profile", help="tolerance profile: exact, single_neuron "
                                          "or network (default: the spec's compare.profile, else network)"),
    reference: Optional[str] = typer.Option(None, "--reference", help="backend the others are measured "
                                            "against (default: the spec's compare.reference, else reference)"),
    html: bool = typer.Option(True, "--html/--no-html", help="also write report.html (needs matplotlib)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="print nothing but errors"),
    debug: bool = typer.Option(False, "--debug", help="show tracebacks"),
) -> None:
    """Compare the backends of a saved run; write report.json, report.md and report.html into it."""
    try:
        comparison = _compare_and_report(run_dir, profile, reference, None, html, quiet)
    except SnnrunError as error:
        _fail(error, debug)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    checks = comparison.report["failed_checks"]
    _finish({ExitCode.BACKEND_FAILED: checks["backend_failed"], ExitCode.EXPECTATION_FAILED: checks["expectation_failed"],
             ExitCode.BACKENDS_DIFFER: checks["differs"]}, debug)


@app.command("validate")
def validate_command(spec: Path = typer.Argument(..., show_default=False),
                     debug: bool = typer.Option(False, "--debug", help="show tracebacks")) -> None:
    """Check SPEC against the schema and the spec language's rules; print every problem."""
    from .schema.loader import load_spec

    try:
        loaded = load_spec(spec)
    except SnnrunError as error:
        _fail(error, debug)
    for warning in loaded.warnings:
        _stderr().print(f"warning: {warning}", markup=False)
    print(f"{spec}: valid (snnrun {loaded.version}, {len(loaded.populations)} populations, "
          f"{len(loaded.projections)} projections)")


@app.command("check")
def check_command(spec: Path = typer.Argument(..., show_default=False),
                  backend: List[str] = typer.Option(["reference"], "--backend", "-b", help="backend (repeatable)"),
                  debug: bool = typer.Option(False, "--debug", help="show tracebacks")) -> None:
    """List every element of SPEC a backend cannot run, with its spec path."""
    from .execute import check_backends
    from .schema.loader import load_spec

    try:
        loaded = load_spec(spec)
        check_backends(loaded, backend)
    except SnnrunError as error:
        _fail(error, debug)
    print(f"{spec}: supported by {', '.join(backend)}")


@app.command("backends")
def backends_command() -> None:
    """List the backends, whether each is installed, its versions and what it supports."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from .adapters.registry import declaration, get_adapter, known_backends

    table = Table(show_edge=False, header_style="bold")
    for column in ("backend", "status", "versions", "model types", "stimuli"):
        table.add_column(column)
    for name in known_backends():
        try:
            adapter = get_adapter(name)
        except SnnrunError as error:
            table.add_row(name, "unavailable", escape(str(error)), "", "")
            continue
        decl = declaration(name)
        if not decl.installed():
            status = f"not installed (needs {', '.join(decl.missing())}: {decl.install_hint()})"
            table.add_row(name, escape(status), "", "", "")
            continue
        versions = ", ".join(f"{k} {v}" for k, v in adapter.versions().items())
        caps = adapter.capabilities
        table.add_row(name, "installed", versions, ", ".join(sorted(caps.models)), ", ".join(sorted(caps.stimuli)))
    Console(highlight=False).print(table)


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the spec language (for editors: yaml-language-server and the like)."""
    from .schema.validate import schema
    import json

    print(json.dumps(schema(), indent=2, sort_keys=True))


from .interop_cli import register as _register_interop  # noqa: E402  (instance, export, import)

_register_interop(app)


def _version_callback(value: bool) -> None:
    if value:
        from . import __version__
        print(f"snnrun {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                       help="print the version and exit")) -> None:
    """Run one spiking-network spec on several simulators and measure how far they agree."""


def main() -> None:
    """Console-script entry point."""
    app()
