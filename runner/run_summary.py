"""The summary `snnrun SPEC` prints on stdout after a run: one row per backend and population (neurons,
spikes, rate), one row per ``expect`` check with a column per backend, the failing checks' messages, and
the results folder on the last line (``results: PATH``, which scripts parse).

On a terminal the tables are rich tables (bold headers, coloured pass/FAIL). Anywhere else (a pipe, a
file, a SLURM or CI log) they are plain aligned text: the same rows and columns without box drawing or
colour codes, which greps and diffs cleanly, and costs no rich import and rendering (about 40 ms of a
one-second CUBA run, measured).
"""

from __future__ import annotations

import sys
from pathlib import Path

#: the population table's columns and whether each is left-aligned (text) or right-aligned (numbers)
POPULATION_COLUMNS = (("backend", True), ("population", True), ("neurons", False), ("spikes", False),
                      ("rate (Hz)", False))


def population_rows(results) -> list[tuple[str, ...]]:
    """(backend, population, neurons, spikes, rate in Hz with 3 decimals) per backend and population."""
    return [(backend, pop, str(row["size"]), str(row["spikes"]), f"{row['rate_hz']:.3f}")
            for backend, res in results.items() for pop, row in res.populations.items()]


def expectation_rows(results) -> list[tuple[str, dict[str, bool]]]:
    """(label, backend -> passed) per expect check, in the spec's order."""
    rows: dict[int, dict] = {}
    for backend, res in results.items():
        for check in res.expectations:
            row = rows.setdefault(check.get("index", len(rows)), {"where": check["message"], "cells": {}})
            row["cells"][backend] = check["passed"]
    return [(check_label(row["where"], index), row["cells"]) for index, row in sorted(rows.items())]


def failed_messages(results) -> list[str]:
    return [f"expect FAIL {check['message']}" for res in results.values() for check in res.expectations
            if not check["passed"]]


def check_label(message: str, index: int) -> str:
    """``'spec.yaml:35:5: expect[0]: reference: exc rate ...'`` -> ``'expect[0] (line 35): exc rate'``."""
    parts = message.split(": ", 3)
    if len(parts) == 4 and parts[1].startswith("expect["):
        line = parts[0].rsplit(":", 2)[-2] if parts[0].count(":") >= 2 else ""
        what = " ".join(parts[3].split()[:2])
        return f"{parts[1]}{f' (line {line})' if line else ''}: {what}"
    return f"expect[{index}]"


def plain_table(columns, rows) -> list[str]:
    """Lines of a text table: ``columns`` are (header, left-aligned?), two spaces between columns, a
    dashed rule under the header, no trailing spaces."""
    widths = [max([len(header)] + [len(row[i]) for row in rows]) for i, (header, _) in enumerate(columns)]

    def line(cells):
        return "  ".join(cell.ljust(w) if left else cell.rjust(w)
                         for cell, w, (_, left) in zip(cells, widths, columns)).rstrip()
    return [line([h for h, _ in columns]), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def print_summary(results, run_dir: Path, failures, stream=None) -> None:
    """Print the summary of a run to ``stream`` (stdout): rich tables on a terminal, plain text elsewhere."""
    stream = stream or sys.stdout
    if stream.isatty():
        _print_rich(results, run_dir, failures)
        return
    failed = [(backend, "failed", "", "", "") for backend in failures]
    lines = plain_table(POPULATION_COLUMNS, population_rows(results) + failed)
    checks = expectation_rows(results)
    if checks:
        columns = [("expect", True)] + [(backend, True) for backend in results]
        cells = [(label, *("" if b not in passed else "pass" if passed[b] else "FAIL" for b in results))
                 for label, passed in checks]
        lines += ["", *plain_table(columns, cells)]
    lines += failed_messages(results)
    lines.append(f"results: {run_dir}")
    stream.write("\n".join(lines) + "\n")


def _print_rich(results, run_dir: Path, failures) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    table = Table(title=None, show_edge=False, header_style="bold")
    for column, left in POPULATION_COLUMNS:
        table.add_column(column, justify="left" if left else "right")
    for row in population_rows(results):
        table.add_row(*(escape(cell) for cell in row))
    for backend in failures:
        table.add_row(escape(backend), "[red]failed[/red]", "", "", "")
    console.print(table)
    checks = expectation_rows(results)
    if checks:
        table = Table(show_edge=False, header_style="bold")
        table.add_column("expect", justify="left")
        for backend in results:
            table.add_column(backend, justify="center")
        for label, passed in checks:
            table.add_row(escape(label), *("" if b not in passed else "[green]pass[/green]" if passed[b]
                                           else "[red]FAIL[/red]" for b in results))
        console.print(table)
    for message in failed_messages(results):
        console.print(message, markup=False, soft_wrap=True)
    console.print(f"results: {run_dir}", markup=False, soft_wrap=True)
