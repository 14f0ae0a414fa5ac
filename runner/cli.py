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

from .schema.errors import ExitCode, ExpectationFailed, SnnrunError

SUBCOMMANDS = ("run", "validate", "check", "backends", "schema")


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
    """A rich progress bar on stderr, shown only for runs longer than a second on a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.started = time.perf_counter()

    def factory(self, backend: str):
        if not self.enabled:
            return None
        task = {"id": None}

        def update(done: int, total: int) -> None:
            if self.bar is None:
                if time.perf_counter() - self.started < 1.0:
                    return
                from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
                self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                                    TimeRemainingColumn(), console=_stderr(), transient=True)
                self.bar.start()
            if task["id"] is None:
                task["id"] = self.bar.add_task(backend, total=total)
            self.bar.update(task["id"], completed=done)

        return update

    def close(self):
        if self.bar is not None:
            self.bar.stop()


def _print_summary(results, run_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    per_backend = results if isinstance(results, dict) else {results.backend: results}
    table = Table(title=None, show_edge=False, header_style="bold")
    for column in ("backend", "population", "neurons", "spikes", "rate (Hz)"):
        table.add_column(column, justify="left" if column in ("backend", "population") else "right")
    for backend, res in per_backend.items():
        for pop, row in res.populations.items():
            table.add_row(backend, pop, str(row["size"]), str(row["spikes"]), f"{row['rate_hz']:.3f}")
    console = Console(highlight=False)
    console.print(table)
    for res in per_backend.values():
        for check in res.expectations:
            mark = "[green]pass[/green]" if check["passed"] else "[red]FAIL[/red]"
            console.print(f"expect {mark} {check['message']}", markup=True, soft_wrap=True)
    console.print(f"results: {run_dir}", markup=False, soft_wrap=True)


@app.command("run")
def run_command(
    spec: Path = typer.Argument(..., help="spec file (YAML)", show_default=False),
    backend: Optional[List[str]] = typer.Option(None, "--backend", "-b", help="backend to run (repeatable); "
                                                "default: the spec's simulation.backends"),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="results folder"),
    seed: Optional[int] = typer.Option(None, "--seed", help="override the spec's seed"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="print only the results folder"),
    debug: bool = typer.Option(False, "--debug", help="show tracebacks"),
) -> None:
    """Run SPEC and write its results (spikes, traces, manifest) under --out."""
    from .execute import run

    progress = _Progress(enabled=sys.stderr.isatty() and not quiet)
    try:
        results = run(spec, backend=backend or None, out=out, seed=seed, progress=progress.factory)
    except SnnrunError as error:
        progress.close()
        _fail(error, debug)
    except KeyboardInterrupt:
        progress.close()
        _stderr().print("interrupted: no results were written", markup=False)
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    progress.close()
    first = next(iter(results.values())) if isinstance(results, dict) else results
    run_dir = first.path.parent
    if quiet:
        print(run_dir)
    else:
        _print_summary(results, run_dir)
    failed = [c["message"] for r in ([results] if not isinstance(results, dict) else results.values())
              for c in r.expectations if not c["passed"]]
    if failed:
        _fail(ExpectationFailed(failed), debug)


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

    from .adapters.registry import get_adapter, known_backends

    table = Table(show_edge=False, header_style="bold")
    for column in ("backend", "status", "versions", "model types", "stimuli"):
        table.add_column(column)
    for name in known_backends():
        try:
            adapter = get_adapter(name)
        except SnnrunError as error:
            table.add_row(name, "unavailable", escape(str(error)), "", "")
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
