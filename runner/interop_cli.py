"""The interoperability commands of the ``snnrun`` command line, registered by :func:`register`:

- ``snnrun instance SPEC --out DIR``: the drawn network every backend receives, as Parquet tables;
- ``snnrun export SPEC --to nir -o net.nir``: the drawn network as a NIR graph;
- ``snnrun export RUN_DIR --to nwb|nix -o OUT``: a run's results as NWB files or a Neo/NIX file;
- ``snnrun import net.nir -o spec.yaml --dt 0.1 ms``: a NIR graph as a spec.

Errors are one line each with the exit codes of the README; tracebacks only with ``--debug``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .schema.errors import SnnrunError


def _quantity(text: Optional[str], dimension: str, option: str) -> Optional[float]:
    """An SI value from a quantity such as ``0.1 ms`` (None stays None)."""
    if text is None:
        return None
    from .schema.units import Dimension, UnitError, expect_dimension

    try:
        return expect_dimension(text, Dimension(dimension))
    except UnitError as exc:
        raise typer.BadParameter(f"{text!r}: {exc}", param_hint=option) from None


def _spec_text(spec) -> Optional[str]:
    source = spec.source.file
    return Path(source).read_text(encoding="utf-8", errors="replace") if source and Path(source).is_file() else None


def instance_command(
    spec: Path = typer.Argument(..., help="spec file (YAML)", show_default=False),
    out: Path = typer.Option(..., "--out", "-o", help="folder to write (must not exist, or be empty)"),
    seed: Optional[int] = typer.Option(None, "--seed", help="override the spec's seed"),
    debug: bool = typer.Option(False, "--debug", help="show tracebacks"),
) -> None:
    """Write the network instance SPEC draws (what every backend receives) as Parquet tables under --out."""
    from .cli import _fail
    from .instance import instantiate
    from .instance_io import write_instance
    from .schema.loader import load_spec

    try:
        loaded = load_spec(spec, overrides={"seed": seed} if seed is not None else None)
        folder = write_instance(instantiate(loaded), out, _spec_text(loaded),
                                {"name": loaded.name, "seed": loaded.seed, "spec_hash": loaded.spec_hash})
    except SnnrunError as error:
        _fail(error, debug)
    synapses = sum(p["synapses"] for p in _manifest(folder)["projections"].values())
    print(f"instance: {folder} ({len(loaded.populations)} populations, {synapses} synapses)")


def _manifest(folder: Path) -> dict:
    import json
    return json.loads((folder / "instance.json").read_text(encoding="utf-8"))


def export_command(
    source: Path = typer.Argument(..., help="a spec (--to nir) or a run folder (--to nwb, --to nix)",
                                  show_default=False),
    to: str = typer.Option(..., "--to", help="nir (a spec's drawn network), nwb or nix (a run's results)"),
    out: Path = typer.Option(..., "--out", "-o", help="file to write (nir, nix), or folder (nwb: one file "
                                                      "per backend)"),
    spikes: str = typer.Option("per_step", "--spikes", help="nir: how a spike is read, per_step (1 for one "
                               "step of dt: Norse, snnTorch) or dirac (NIR's equations)"),
    debug: bool = typer.Option(False, "--debug", help="show tracebacks"),
) -> None:
    """Export a spec's drawn network to NIR, or a run's results to NWB or Neo/NIX."""
    from .cli import _fail

    try:
        if to == "nir":
            written = _export_nir(source, out, spikes)
        elif to in ("nwb", "nix"):
            from .interop import results_export
            written = (results_export.to_nwb if to == "nwb" else results_export.to_nix)(source, out)
        else:
            raise typer.BadParameter(f"{to!r}: expected nir, nwb or nix", param_hint="--to")
    except SnnrunError as error:
        _fail(error, debug)
    for path in written:
        print(f"wrote {path}")


def _export_nir(spec_path: Path, out: Path, spikes: str) -> list[Path]:
    from .instance import instantiate
    from .interop import nir_export
    from .interop import nir_mapping as nm
    from .schema.loader import load_spec

    if spikes not in nm.SPIKES:
        raise typer.BadParameter(f"{spikes!r}: expected per_step or dirac", param_hint="--spikes")
    spec = load_spec(spec_path)
    instance = instantiate(spec)
    problems = nir_export.check(spec, instance)
    if problems:
        raise nir_export.NotExportable("nir", problems)
    import nir

    graph = nir_export.to_nir(instance, nm.Conventions(instance.dt, spikes),
                              meta={nm.META_SEED: spec.seed, nm.META_NAME: spec.name})
    out.parent.mkdir(parents=True, exist_ok=True)
    nir.write(str(out), graph)
    return [out]


def import_command(
    graph: Path = typer.Argument(..., help="a NIR file", show_default=False),
    out: Path = typer.Option(..., "--out", "-o", help="spec file to write (its from_list CSV files go beside it)"),
    dt: Optional[str] = typer.Option(None, "--dt", help="time step, e.g. '0.1 ms' (default: the graph's "
                                     "snnrun metadata; NIR fixes none)"),
    duration: Optional[str] = typer.Option(None, "--duration", help="simulated time, e.g. '1 s' (default: the "
                                           "graph's snnrun metadata)"),
    spikes: Optional[str] = typer.Option(None, "--spikes", help="per_step or dirac (default: the graph's "
                                         "snnrun metadata, else per_step)"),
    input_rate: Optional[str] = typer.Option(None, "--input-rate", help="Input nodes without stored spike "
                                             "trains become Poisson sources of this rate, e.g. '20 Hz'"),
    debug: bool = typer.Option(False, "--debug", help="show tracebacks"),
) -> None:
    """Write a spec from a NIR graph (units and conventions: docs/interop.md)."""
    from rich.console import Console

    from .cli import _fail
    from .interop.nir_import import import_nir
    from .schema.loader import load_spec

    try:
        imported = import_nir(graph, name=out.stem, dt=_quantity(dt, "time", "--dt"),
                              duration=_quantity(duration, "time", "--duration"), spikes=spikes,
                              input_rate=_quantity(input_rate, "frequency", "--input-rate"))
        path = imported.write(out)
        loaded = load_spec(path)  # what import writes must validate: a failure here is snnrun's bug
    except SnnrunError as error:
        _fail(error, debug)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for warning in imported.warnings:
        console.print(f"warning: {warning}", markup=False)
    print(f"{path}: valid (snnrun {loaded.version}, {len(loaded.populations)} populations, "
          f"{len(loaded.projections)} projections)")


def register(app: typer.Typer) -> None:
    """Add the interoperability commands to the ``snnrun`` application."""
    app.command("instance")(instance_command)
    app.command("export")(export_command)
    app.command("import")(import_command)
