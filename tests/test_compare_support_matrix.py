"""The README's support matrix is the generated one: features from the adapters' declared capabilities,
conformance outcomes from tests/conformance/results.json (so it cannot be typed by hand)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT
from snnrun import support_matrix


def test_readme_holds_the_generated_support_matrix():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert support_matrix.section(readme) is not None, "README.md lacks the support-matrix markers"
    assert support_matrix.section(readme) == support_matrix.render(ROOT), \
        "stale support matrix: run python -m snnrun.support_matrix --write"


def test_the_matrix_follows_capabilities_and_results():
    body = support_matrix.render(ROOT)
    header = next(line for line in body.splitlines() if line.startswith("| feature |"))
    row = next(line for line in body.splitlines() if line.startswith("| model `lif_curr_delta` |"))
    cells = dict(zip([c.strip(" |") for c in header.split(" | ")], [c.strip(" |") for c in row.split(" | ")]))
    assert cells["`pynn:neuron`"].startswith("no [") and cells["`pynn:nest`"] == "yes"  # no IF_curr_delta on NEURON
    assert "IF_curr_delta" in body
    assert "| `lif_exp_dc` | pass |" in body and "**passed**" in body


def test_check_flags_a_stale_readme(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (tmp_path / "README.md").write_text(support_matrix.replace_section(readme, "typed by hand\n"))
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    cmd = [sys.executable, "-m", "snnrun.support_matrix", "--root", str(tmp_path)]
    assert subprocess.run([*cmd, "--check"], capture_output=True).returncode == 1
    assert subprocess.run([*cmd, "--write"]).returncode == 0
    assert subprocess.run([*cmd, "--check"]).returncode == 0
    assert support_matrix.section((tmp_path / "README.md").read_text()) == support_matrix.render(ROOT)
