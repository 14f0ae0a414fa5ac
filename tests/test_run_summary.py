"""The run summary on stdout (runner/run_summary.py): plain aligned text off a terminal, rich tables on
one, the same rows either way, and ``results: FOLDER`` as the last line (scripts parse it)."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

from snnrun.run_summary import check_label, plain_table, print_summary

MESSAGE = "spec.yaml:35:5: expect[0]: reference: exc rate 5.857 Hz outside [6 Hz, 9 Hz]"


def _results():
    pops = {"exc": {"size": 3200, "spikes": 18743, "rate_hz": 5.8571}, "inh": {"size": 800, "spikes": 4518,
                                                                               "rate_hz": 5.6475}}
    checks = [{"index": 0, "message": MESSAGE, "passed": False},
              {"index": 1, "message": "spec.yaml:36:5: expect[1]: reference: inh rate ok", "passed": True}]
    return {"reference": SimpleNamespace(populations=pops, expectations=checks)}


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_summary_off_a_terminal():
    out = io.StringIO()
    print_summary(_results(), "runs/x", {"brian2": "it crashed"}, stream=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["backend", "population", "neurons", "spikes", "rate", "(Hz)"]
    assert lines[2].split() == ["reference", "exc", "3200", "18743", "5.857"]
    assert lines[3].split() == ["reference", "inh", "800", "4518", "5.647"]  # 5.6475 rounds half to even
    assert lines[4].split() == ["brian2", "failed"]
    assert "expect[0] (line 35): exc rate  FAIL" in lines and "expect[1] (line 36): inh rate  pass" in lines
    assert f"expect FAIL {MESSAGE}" in lines
    assert lines[-1] == "results: runs/x"
    text = out.getvalue()
    assert "\x1b[" not in text and "━" not in text and all(line == line.rstrip() for line in lines)
    # numbers right-aligned: the rate column ends at the same place on every population row
    assert len({len(line) for line in lines[2:4]}) == 1


def test_rich_tables_on_a_terminal(capsys):
    print_summary(_results(), "runs/x", {}, stream=_Terminal())
    text = capsys.readouterr().out
    assert "━" in text and "reference" in text and "FAIL" in text
    assert re.sub(r"\x1b\[[0-9;]*m", "", text).rstrip().splitlines()[-1] == "results: runs/x"


def test_plain_table_alignment():
    lines = plain_table([("name", True), ("n", False)], [("a", "1"), ("long name", "100")])
    assert lines == ["name         n", "---------  ---", "a            1", "long name  100"]


def test_check_label():
    assert check_label(MESSAGE, 0) == "expect[0] (line 35): exc rate"
    assert check_label("something else", 3) == "expect[3]"
