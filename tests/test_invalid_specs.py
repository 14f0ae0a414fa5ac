"""The invalid-spec corpus: every file in tests/invalid/ has one deliberate mistake, and its header says
what the loader must report, one ``# expect: LINE:COL: PATH: MESSAGE`` line per problem (MESSAGE may be a
distinctive part of the message). Checked in-process through ``load_spec`` and through the real command
line, which must exit 3 with one ``error: `` line per problem, no traceback and no results.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from snnrun.schema.errors import ExitCode, SpecError, format_path
from snnrun.schema.loader import load_spec

INVALID = Path(__file__).resolve().parent / "invalid"
CORPUS = sorted(INVALID.glob("*.yaml"))
SNNRUN = Path(sys.executable).with_name("snnrun")
EXPECT = re.compile(r"^# expect: (\d+):(\d+): (\S+): (.+)$")


def expectations(path: Path) -> list[tuple[int, int, str, str]]:
    """The ``# expect:`` lines of a corpus file's leading comment block, as (line, col, path, message)."""
    out = []
    for text in path.read_text(encoding="utf-8").splitlines():
        if not text.startswith("#"):
            break
        if text.startswith("# expect:"):
            m = EXPECT.match(text)
            assert m, f"{path.name}: malformed expect line {text!r}"
            out.append((int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)))
    return out


def test_corpus_is_complete():
    assert len(CORPUS) >= 36
    for path in CORPUS:
        assert expectations(path), f"{path.name} has no '# expect:' line"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_loader_reports_exactly_the_expected_problems(path):
    with pytest.raises(SpecError) as info:
        load_spec(path)
    problems = info.value.problems
    lines = [str(p) for p in problems]
    file = str(path)
    for line, col, where, message in expectations(path):
        expected = f"{file}:{line}:{col}: {where}: "
        assert any(text.startswith(expected) and message in text[len(expected):] for text in lines), (
            f"expected a problem {line}:{col}: {where}: ...{message}...; got:\n" + "\n".join(lines))
    assert len(problems) == len(expectations(path)), "unexpected extra problems:\n" + "\n".join(lines)
    for p in problems:
        assert p.file == file and p.line >= 1 and p.column >= 1 and p.message.strip()
        assert "\n" not in str(p)
        assert str(p) == f"{p.file}:{p.line}:{p.column}: {format_path(p.path)}: {p.message}"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_command_line_exits_3_with_one_line_per_problem(path, tmp_path):
    out = tmp_path / "results"
    proc = subprocess.run([str(SNNRUN), str(path), "--out", str(out)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == ExitCode.INVALID_SPEC, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == len(expectations(path)), proc.stderr
    for text in lines:
        assert text.startswith("error: ") and str(path) in text, text
    for line, col, where, message in expectations(path):
        expected = f"error: {path}:{line}:{col}: {where}: "
        assert any(t.startswith(expected) and message in t for t in lines), proc.stderr
    assert not out.exists() or not any(out.iterdir())
