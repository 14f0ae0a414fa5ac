"""The open backend registry: every backend (snnrun's own included) registers through the
``snnrun.backends`` entry point group with the declaration its adapter owns; `check` validates a spec's
backend options against the declaration's schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SPECS
from snnrun import ExitCode
from snnrun.adapters import registry
from snnrun.adapters.base import BackendDeclaration
from snnrun.schema.errors import UnsupportedFeature
from snnrun.schema.loader import load_spec
from snnrun.schema.validate import schema

SNNRUN = [str(Path(sys.executable).with_name("snnrun"))]
SPEC = SPECS / "conformance" / "lif_exp_dc.yaml"


def test_snnruns_own_backends_are_registered_through_the_entry_point_group():
    import importlib.metadata

    points = {ep.name: ep for ep in importlib.metadata.entry_points(group=registry.ENTRY_POINT_GROUP)
              if ep.dist.name == "snnrun"}
    assert {"reference", "brian2", "nengo", "pynn:nest", "pynn:neuron", "pynn:brian2"} <= set(points)
    for name, point in points.items():
        declaration = point.load()
        assert isinstance(declaration, BackendDeclaration) and declaration.name == name
        assert registry.get_adapter(name).name == name, "the adapter class names the backend it is registered as"
    assert registry.known_backends()[0] == "reference"


def test_the_schema_holds_no_list_of_backends():
    """Backend names are spelled by a pattern, not enumerated: a new backend needs no new schema."""
    def enums(node):
        if isinstance(node, dict):
            yield from ([node["enum"]] if "enum" in node else [])
            for value in node.values():
                yield from enums(value)
        elif isinstance(node, list):
            for value in node:
                yield from enums(value)

    assert not [e for e in enums(schema()) if {"reference", "nengo", "pynn:nest"} & set(map(str, e))]
    spec = load_spec(SPEC, overrides={"simulation.backends": ["some_sim:variant"],
                                      "simulation.options": {"some_sim:variant": {"anything": 1}}})
    assert spec.simulation.backends == ("some_sim:variant",)


def _problems(backend: str, options: dict) -> list[str]:
    spec = load_spec(SPEC, overrides={"simulation.options": options})
    return [str(p) for p in registry.get_adapter(backend).check(spec)]


def test_check_validates_options_against_the_declaration():
    assert _problems("brian2", {"brian2": {"codegen": "numpy"}}) == []
    bad = _problems("brian2", {"brian2": {"codegen": "fortran"}})
    assert len(bad) == 1 and "simulation.options.brian2.codegen" in bad[0] and "'fortran' is not one of" in bad[0]
    unknown = _problems("reference", {"reference": {"threads": 2}})
    assert len(unknown) == 1 and "Additional properties are not allowed ('threads'" in unknown[0]
    # options of other backends are theirs to validate
    assert _problems("reference", {"brian2": {"codegen": "fortran"}}) == []


def test_pynn_threads_are_validated_taken_by_nest_and_refused_above_one_elsewhere_with_the_reason():
    assert _problems("pynn:nest", {"pynn:nest": {"threads": 1}}) == []
    assert _problems("pynn:nest", {"pynn:nest": {"threads": 4}}) == []  # NEST's local_num_threads
    (wrong_type,) = _problems("pynn:nest", {"pynn:nest": {"threads": "two"}})
    assert "simulation.options.pynn:nest.threads" in wrong_type and "is not of type 'integer'" in wrong_type
    for backend in ("pynn:neuron", "pynn:brian2"):
        (refused,) = _problems(backend, {backend: {"threads": 4}})
        assert f"simulation.options.{backend}.threads: threads 4: {backend} runs with 1 thread" in refused


def test_check_on_the_command_line_refuses_bad_options_with_exit_code_4(tmp_path):
    text = SPEC.read_text().replace("simulation: {duration: 200 ms, dt: 0.1 ms}",
                                    "simulation: {duration: 200 ms, dt: 0.1 ms, options: {pynn:neuron: {threads: 2}}}")
    spec = tmp_path / "threads.yaml"
    spec.write_text(text)
    proc = subprocess.run([*SNNRUN, "check", str(spec), "-b", "pynn:neuron"], capture_output=True, text=True)
    assert proc.returncode == ExitCode.UNSUPPORTED, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"error: {spec}:") and "simulation.options.pynn:neuron.threads: threads 2" in line


def test_unknown_backend_names_are_refused_with_the_registered_ones():
    with pytest.raises(registry.UnknownBackend, match="unknown backend 'mysim' \\(registered: reference, "):
        registry.get_adapter("mysim")


FAKE_MODULE = '''
from snnrun.adapters.base import BackendDeclaration
from snnrun.adapters.reference.adapter import ReferenceAdapter


class TwinAdapter(ReferenceAdapter):
    """The reference engine under another name: a backend that lives outside snnrun."""

    name = "twin"

    def check(self, spec):
        problems = super().check(spec)
        if self.options(spec).get("mode") == "unsupported":
            problems.append(spec.problem(("simulation", "options", "twin", "mode"), "mode unsupported: twin cannot"))
        return problems


BACKEND = BackendDeclaration(name="twin", adapter="twin_backend:TwinAdapter", requires=("json",),
                             extra="twin-backend",
                             options={"type": "object", "additionalProperties": False,
                                      "properties": {"mode": {"enum": ["fast", "unsupported"]}}})
'''


@pytest.fixture
def twin_distribution(tmp_path):
    """A tiny installed distribution (a module and its .dist-info with an entry point) on PYTHONPATH:
    what `pip install twin-backend` would leave in site-packages."""
    site = tmp_path / "site"
    info = site / "twin_backend-0.1.dist-info"
    info.mkdir(parents=True)
    (site / "twin_backend.py").write_text(FAKE_MODULE)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: twin-backend\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[snnrun.backends]\ntwin = twin_backend:BACKEND\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return env


def test_a_backend_of_another_distribution_registers_through_the_entry_point(twin_distribution, tmp_path):
    env = twin_distribution
    listed = subprocess.run([*SNNRUN, "backends"], capture_output=True, text=True, env={**env, "COLUMNS": "200"})
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[:3] == ["twin", "│", "installed"] for line in listed.stdout.splitlines()), listed.stdout
    run = subprocess.run([*SNNRUN, str(SPEC), "-b", "reference", "-b", "twin", "--compare", "--profile", "exact",
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    run_dir = Path(run.stdout.split("results: ", 1)[1].splitlines()[0])
    report = json.loads((run_dir / "report.json").read_text())
    assert report["backends"]["twin"]["grade"] == "agrees"
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.read_text().replace("dt: 0.1 ms}", "dt: 0.1 ms, options: {twin: {mode: slow}}}", 1))
    refused = subprocess.run([*SNNRUN, "check", str(bad), "-b", "twin"], capture_output=True, text=True, env=env)
    assert refused.returncode == ExitCode.UNSUPPORTED
    assert "simulation.options.twin.mode: 'slow' is not one of ['fast', 'unsupported'] (options of backend twin)" \
        in refused.stderr
    bad.write_text(SPEC.read_text().replace("dt: 0.1 ms}", "dt: 0.1 ms, options: {twin: {mode: unsupported}}}", 1))
    refused = subprocess.run([*SNNRUN, "check", str(bad), "-b", "twin"], capture_output=True, text=True, env=env)
    assert refused.returncode == ExitCode.UNSUPPORTED and "mode unsupported: twin cannot" in refused.stderr


def test_a_broken_plug_in_is_skipped_with_a_warning(tmp_path):
    site = tmp_path / "site"
    info = site / "broken-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[snnrun.backends]\nbroken = no_such_module:BACKEND\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = "from snnrun.adapters import registry; print(','.join(registry.known_backends()))"
    proc = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "broken" not in proc.stdout.split(",") and "reference" in proc.stdout
    assert "backend entry point 'broken' (no_such_module:BACKEND) does not load" in proc.stderr


def test_unsupported_feature_lists_every_problem():
    spec = load_spec(SPEC, overrides={"simulation.options": {"pynn:neuron": {"threads": 3}}})
    from snnrun.execute import check_backends
    with pytest.raises(UnsupportedFeature) as info:
        check_backends(spec, ["pynn:neuron"])
    assert "threads 3" in str(info.value)
