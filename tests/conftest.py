"""Shared helpers: build specs from YAML text, run them on the reference engine in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from snnrun.adapters.reference.adapter import ReferenceAdapter
from snnrun.instance import instantiate
from snnrun.schema.loader import load_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


def spec_from_text(text: str, tmp_path: Path, name: str = "spec.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_spec(path)


def run_reference(spec):
    """Draw the instance and run it on the reference engine; return the RunOutput."""
    return ReferenceAdapter().run(instantiate(spec))


@pytest.fixture
def make_spec(tmp_path):
    def make(text: str, name: str = "spec.yaml"):
        return spec_from_text(text, tmp_path, name)
    return make


from snnrun.adapters.reference.adapter import ReferenceAdapter as _Reference  # noqa: E402


class WorkerReference(_Reference):
    """The reference engine run in a worker process under another name: a second backend for tests of
    multi-backend runs (registered through monkeypatch on snnrun.adapters.registry.ADAPTERS)."""

    name = "pynn:nest"
    isolate = True
