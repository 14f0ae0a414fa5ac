"""snnrun's error hierarchy and the exit code each kind of failure maps to.

Every error a user can cause derives from :class:`SnnrunError` and from the matching builtin (as nengo
does), so callers can catch either. The command line turns each into one line on stderr and exits with
its ``exit_code``; the traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Iterable, Sequence


class ExitCode(IntEnum):
    """Distinct process exit codes, documented in the README."""

    OK = 0
    USAGE = 2  # click/typer's own code for a bad command line
    INVALID_SPEC = 3
    UNSUPPORTED = 4
    BACKEND_FAILED = 5
    EXPECTATION_FAILED = 6
    RESULTS_ERROR = 7
    BACKENDS_DIFFER = 8  # --compare: a backend differs from the reference beyond the tolerance profile
    TASKS_FAILED = 9  # a sweep: some of its tasks failed (the others are complete and summarised)
    TOO_LARGE = 10  # the run would not fit this machine (memory or steps); --force runs it anyway (9: sweeps)
    INTERRUPTED = 130


class SnnrunError(Exception):
    """Base of every error snnrun raises on purpose."""

    exit_code: ExitCode = ExitCode.BACKEND_FAILED

    def lines(self) -> list[str]:
        """The one-line messages this error prints (several for a spec with several problems)."""
        return [str(self)]


#: longest piece of user text (a name, a value, a file name) a message repeats; longer text is cut in the
#: middle, so a 1 MB name still gives a short line that shows how it starts and ends
MAX_ECHO = 80
#: longest message of one problem
MAX_MESSAGE = 500


def printable(text: str) -> str:
    """``text`` with every non-printable character escaped (``\\n``, ``\\r``, ``\\u2028``, ``\\x85``...),
    so a problem stays on one line and cannot overwrite its own prefix on a terminal."""
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` cut to at most ``limit`` characters, keeping its start and end around ``...``."""
    if len(text) <= limit:
        return text
    head = (limit - 3) * 2 // 3
    return f"{text[:head]}...{text[len(text) - (limit - 3 - head):]}"


def echo(text: object, limit: int = MAX_ECHO) -> str:
    """User text as a message may repeat it: printable, one line, clipped (escaping first, so clipping
    cannot cut an escape in two)."""
    return clip(printable(str(text)), limit)


def one_line(text: object) -> str:
    """A message from elsewhere (a library's exception, a simulator's output) on one printable line: its
    line breaks become spaces, other non-printable characters escapes."""
    return printable(" ".join(re.split(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+\s*", str(text).strip())))


def format_path(path: Sequence[str | int]) -> str:
    """Render a spec path such as ``('projections', 'ee', 'synapse', 'weight')`` as dotted text.

    List indices are written in brackets: ``record[2].variable``. The empty path is ``<root>``.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + echo(part, 40)
    return out or "<root>"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec: where it is and what was expected.

    ``line`` and ``column`` are 1-based; 0 means unknown (for example a spec built in Python). However the
    parts were built, the rendered problem is one line of bounded length: user text in the file name,
    the path and the message is escaped and clipped here, in one place.
    """

    file: str
    line: int
    column: int
    path: tuple[str | int, ...]
    message: str

    def __str__(self) -> str:
        file = echo(self.file, 200)
        where = f"{file}:{self.line}:{self.column}" if self.line else file
        return f"{where}: {format_path(self.path)}: {clip(printable(self.message), MAX_MESSAGE)}"


class SpecError(SnnrunError, ValueError):
    """The spec is invalid: YAML, schema, units or meaning. Carries every problem found."""

    exit_code = ExitCode.INVALID_SPEC

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = sorted(
            problems, key=lambda p: (p.file, p.line or 10**9, p.column, format_path(p.path))
        )
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class UnsupportedFeature(SnnrunError, NotImplementedError):
    """A backend cannot run a spec element; ``problems`` names each element by spec path."""

    exit_code = ExitCode.UNSUPPORTED

    def __init__(self, backend: str, problems: Iterable[Problem]):
        self.backend = backend
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{p} (not supported by backend '{self.backend}')" for p in self.problems]


class BackendError(SnnrunError, RuntimeError):
    """A backend failed while building or running; names the backend and, where known, the element."""

    exit_code = ExitCode.BACKEND_FAILED

    def __init__(self, backend: str, message: str, path: Sequence[str | int] = ()):
        self.backend = backend
        self.detail = message
        self.path = tuple(path)
        where = f" at {format_path(path)}" if path else ""
        super().__init__(f"backend '{backend}'{where}: {message}")


class ExpectationFailed(SnnrunError, AssertionError):
    """One or more ``expect`` checks failed; each failing check is one line."""

    exit_code = ExitCode.EXPECTATION_FAILED

    def __init__(self, failures: Sequence[str]):
        self.failures = list(failures)
        super().__init__("\n".join(self.failures))

    def lines(self) -> list[str]:
        return list(self.failures)


class ResultsError(SnnrunError, OSError):
    """A results folder is missing, incomplete or unreadable."""

    exit_code = ExitCode.RESULTS_ERROR
