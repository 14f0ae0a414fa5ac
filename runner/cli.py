"""The ``snnrun`` command line: ``snnrun SPEC`` runs a spec; ``validate``, ``check``, ``backends`` and
``schema`` are subcommands. Errors are one line each with a distinct exit code (see README); the
traceback is shown only with ``--debug``."""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

from . import sweep_cli
from .run_summary import print_summary
from .schema.errors import ExitCode, ExpectationFailed, SnnrunError, one_line, printable

SUBCOMMANDS = ("run", "compare", "validate", "check", "backends", "schema", "plot", "instance", "export", "import")


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
        console.print(f"error: {one_line(line)}", markup=False, soft_wrap=True)
    raise typer.Exit(int(error.exit_code))


def _out_of_memory(debug: bool, doing: str) -> None:
    """A MemoryError that escaped every estimate: one line and exit code 10, not a traceback."""
    from .estimate import TooLarge
    _fail(TooLarge(f"out of memory while {doing} (MemoryError): the run does not fit this machine; "
                   "make the network smaller or the run shorter"), debug)


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
        self.notes: dict[str, str] = {}  # backend -> what it is doing now ("compiling (cached afterwards)")

    def factory(self, backend: str):
        if not self.enabled:
            return None

        def update(done: int, total: int, note: str = "") -> None:
            state = self.states.get(backend, ("running", 0, 0))[0]
            self.states[backend] = (state, done, total)
            self.notes[backend] = note
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
            from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)
            # the two clocks say what they are: "elapsed 0:00:12  left 0:00:30"; no "0%" while compiling
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                                console=_stderr(), transient=True, auto_refresh=False)
            self.bar.start()
        for name, (state, done, total) in self.states.items():
            note = self.notes.get(name, "") if state == "running" else ""
            label = f"{name:<12} {note or state:<8}"
            total = None if note else total  # a pulsing bar: busy, with no fraction to show
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
        console.print(f"error: {one_line(line)}", markup=False, soft_wrap=True)
    raise typer.Exit(int(codes[0]))


def _backends_at_once(spec, names, jobs: Optional[int]) -> list[str]:
    """The backends that may run at the same time (each holds its own copy of the network): as many as
    run at once, the most memory-hungry per synapse first (runner/estimate.py)."""
    import os
    from .adapters.registry import known_backends
    from .estimate import synapse_bytes

    names = list(known_backends()) if "all" in names else sorted(set(names) or {"reference"})
    names.sort(key=lambda b: -synapse_bytes(spec, b))
    return names[:max(1, min(len(names), jobs or os.cpu_count() or 1))]


def _compare_and_report(run_dir: Path, profile, reference, spec, html: bool, quiet: bool):
    from .compare import REPORT_FILES, compare_run, write_reports

    comparison = compare_run(run_dir, profile=profile, reference=reference, spec=spec)
    earlier = _earlier_report(run_dir) if (run_dir / REPORT_FILES[0]).is_file() else None
    paths = write_reports(comparison, html=html)
    if earlier and not quiet:  # never replace a report silently
        _stderr().print(f"replaced the earlier report ({earlier})", markup=False, soft_wrap=True)
    _print_comparison(comparison, [p for p in paths if p.suffix != ".json"], quiet)
    return comparison


def _earlier_report(run_dir: Path) -> str:
    import json

    try:
        report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime((run_dir / "report.json").stat().st_mtime))
        return f"profile {report['profile']['name']}, reference {report['reference']}, written {when}"
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable"


@app.command("run")
def run_command(
    spec: Path = typer.Argument(..., help="spec file (YAML)", show_default=False),
    backend: Optional[List[str]] = typer.Option(None, "--backend", "-b", help="backend to run (repeatable), or "
                                                "'all' for every installed backend that can run SPEC; "
                                                "default: the spec's simulation.backends"),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="results folder"),
    seed: Optional[int] = typer.Option(None, "--seed", help="override the spec's seed", min=0, max=2**63 - 1),
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
    mpi: Optional[int] = typer.Option(None, "--mpi", help="run the backend on N MPI processes under mpirun "
                                      "(pynn:neuron; rank 0 gathers the results)", min=1, metavar="N"),
    force: bool = typer.Option(False, "--force", help="run even when the estimate says the run does not fit "
                               "this machine (memory) or takes more than 10^9 steps"),
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
        if mpi is not None and sweep_cli.wants_sweep(loaded, seeds, dask, retries, compare, profile):
            raise typer.BadParameter("--mpi runs one network on several processes, not a sweep's tasks "
                                     "(a sweep runs its tasks in parallel itself: --jobs, --dask)")
        if sweep_cli.wants_sweep(loaded, seeds, dask, retries, compare, profile):
            return sweep_cli.run_sweep_command(loaded, backend=backend, out=out, seeds=seeds, dask=dask, jobs=jobs,
                                               run_id=run_id, keep_going=keep_going, retries=retries,
                                               timeout=timeout, compare=compare, profile=profile, quiet=quiet,
                                               debug=debug)
        if compare:  # a bad profile or compare.tolerances is reported before anything runs
            from .compare.grading import profile_for
            profile_for(loaded.compare, profile, locate=loaded.problem)
        if not force:  # before anything is drawn: refuse what cannot fit this machine
            from .estimate import check_fits
            check_fits(loaded, _backends_at_once(loaded, backend or list(loaded.simulation.backends), jobs))
        outcome = execute(loaded, backend=backend or None, out=out, progress=progress.factory,
                          keep_going=True, timeout=timeout, max_workers=jobs, status=status, run_id=run_id,
                          save_instance=save_instance, mpi=mpi)
    except MemoryError as error:
        progress.close()
        if isinstance(error, SnnrunError):
            _fail(error, debug)
        _out_of_memory(debug, "drawing the network or writing its results")
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
        print_summary(outcome.results, run_dir, outcome.failures)
    lines = {ExitCode.BACKEND_FAILED: [f"backend '{name}' failed: {text}" for name, text in outcome.failures.items()],
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
    run_dir: Path = typer.Argument(..., help="a run folder (results/<spec>/<run id>), or a spec's results "
                                   "folder (results/<spec>) for its latest run", show_default=False),
    profile: Optional[str] = typer.Option(None, "--profile", help="tolerance profile: exact, single_neuron "
                                          "or network (default: the spec's compare.profile, else network)"),
    reference: Optional[str] = typer.Option(None, "--reference", help="backend the others are measured "
                                            "against (default: the spec's compare.reference, else reference)"),
    html: bool = typer.Option(True, "--html/--no-html", help="also write report.html (needs matplotlib)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="print nothing but errors"),
    debug: bool = typer.Option(False, "--debug", help="show tracebacks"),
) -> None:
    """Compare the backends of a saved run; write report.json, report.md and report.html into it."""
    from .reader import latest_run

    latest = latest_run(run_dir)
    if latest != run_dir and not quiet:
        _stderr().print(f"comparing the latest run: {latest}", markup=False, soft_wrap=True)
    try:
        comparison = _compare_and_report(latest, profile, reference, None, html, quiet)
    except MemoryError:
        _out_of_memory(debug, "comparing the run")
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
    print(f"{spec}: valid (snnrun {loaded.version}, {_plural(len(loaded.populations), 'population')}, "
          f"{_plural(len(loaded.projections), 'projection')})")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@app.command("check")
def check_command(spec: Path = typer.Argument(..., show_default=False),
                  backend: List[str] = typer.Option(["reference"], "--backend", "-b", help="backend (repeatable), "
                                                    "or 'all' for every backend"),
                  debug: bool = typer.Option(False, "--debug", help="show tracebacks")) -> None:
    """List every element of SPEC a backend cannot run, with its spec path."""
    from .adapters.registry import known_backends
    from .execute import check_backends
    from .schema.errors import UnsupportedFeature
    from .schema.loader import load_spec

    names = list(dict.fromkeys(n for b in backend for n in (known_backends() if b == "all" else [b])))
    try:
        loaded = load_spec(spec)
        if "all" not in backend:
            check_backends(loaded, names)
            print(f"{spec}: supported by {', '.join(names)}")
            return
    except SnnrunError as error:
        _fail(error, debug)
    # all: one verdict per backend, every unsupported element listed; exit 4 if none can run it
    supported, problems = [], []
    for name in names:
        try:
            check_backends(loaded, [name])
            supported.append(name)
        except SnnrunError as error:
            problems += error.lines() if isinstance(error, UnsupportedFeature) else [f"{name}: {error}"]
    for line in problems:
        _stderr().print(f"error: {printable(line)}", markup=False, soft_wrap=True)
    print(f"{spec}: supported by {', '.join(supported) or 'no backend'}")
    if not supported:
        raise typer.Exit(int(ExitCode.UNSUPPORTED))


@app.command("backends")
def backends_command() -> None:
    """List the backends, whether each is installed, its versions and what it supports."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from .adapters.registry import declaration, get_adapter, known_backends

    table = Table(show_edge=False, header_style="bold")
    for column in ("backend", "status", "versions", "model types", "stimuli"):
        table.add_column(column, overflow="fold")  # wrap, never cut a name with an ellipsis
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
    # off a terminal (a pipe, a file, CI logs) rich assumes 80 columns: give the table the width it needs
    Console(highlight=False, width=None if sys.stdout.isatty() else 200).print(table)


from .plot_command import plot_command  # noqa: E402 (a subcommand in its own module)

app.command("plot")(plot_command)


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


def _click_exceptions():
    try:  # typer >= 0.20 vendors click
        from typer._click import exceptions
    except ImportError:  # pragma: no cover - older typer with click installed
        from click import exceptions
    return exceptions


def main(argv: Optional[List[str]] = None) -> None:
    """Console-script entry point. A bad command line is one ``error:`` line and exit code 2, like every
    other error (typer would draw a box around it, click would add a usage block)."""
    exceptions = _click_exceptions()
    try:
        code = app(args=argv, standalone_mode=False)
    except exceptions.NoArgsIsHelpError as error:
        error.show()
        code = ExitCode.USAGE
    except exceptions.UsageError as error:
        command = error.ctx.command_path if error.ctx is not None else "snnrun"
        _stderr().print(f"error: {printable(error.format_message())} (see '{command} --help')", markup=False,
                        soft_wrap=True)
        code = error.exit_code
    except exceptions.ClickException as error:
        _stderr().print(f"error: {printable(error.format_message())}", markup=False, soft_wrap=True)
        code = error.exit_code
    except exceptions.Abort:
        _stderr().print("interrupted", markup=False)
        code = ExitCode.INTERRUPTED
    if argv is None:
        # the process ends here: a frozen heap spares the interpreter's final garbage collections a walk
        # over every object numpy, pyarrow and rich made (about 40 ms of a one-second CUBA run, measured);
        # atexit handlers, file flushing and the finalisers of objects freed by reference count run as
        # before. Only the console script: a caller of main(argv) keeps its process's collector
        gc.freeze()
    sys.exit(int(code or 0))
