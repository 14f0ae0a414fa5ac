"""Cross-backend comparison: metrics, tolerance profiles and grades, and the reports (JSON, Markdown,
self-contained HTML with plots) written into a run folder.

``write_reports(compare_run(run_dir))`` is what ``snnrun compare RUN_DIR`` and ``snnrun SPEC --compare`` do.
"""

from __future__ import annotations

from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .analysis import Comparison

REPORT_FILES = ("report.json", "report.md", "report.html")

__all__ = ["PROFILES", "REPORT_FILES", "Comparison", "Profile", "compare_run", "grade", "write_reports"]


def write_reports(comparison: Comparison, html: bool = True) -> list[Path]:
    """Write report.md, report.html (unless ``html`` is False) and report.json into the run folder, each
    atomically; report.json last, so its presence means the reports are complete. Returns the paths."""
    from .report import json_text, markdown, write_atomic

    folder = comparison.run_dir
    written = []
    write_atomic(folder / "report.md", markdown(comparison.report))
    written.append(folder / "report.md")
    if html:
        from .html import html_page
        write_atomic(folder / "report.html", html_page(comparison))
        written.append(folder / "report.html")
    write_atomic(folder / "report.json", json_text(comparison.report))
    written.append(folder / "report.json")
    return written


def __getattr__(name: str):
    # imported on first use: a plain run imports compare.metrics for its manifest's CV of the intervals,
    # and the analysis and grading modules would add 13 ms to its start-up
    if name in ("Comparison", "compare_run"):
        from . import analysis
        return getattr(analysis, name)
    if name in ("PROFILES", "Profile", "grade"):
        from . import grading
        return getattr(grading, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
