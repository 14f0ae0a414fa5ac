"""Package discovery only; all metadata lives in pyproject.toml.

The top-level folders schema/, adapters/ and runner/ are installed as snnrun.schema, snnrun.adapters and
snnrun itself (the design fixes the folder names; the import namespace must be snnrun only). Subpackages
are every folder below them that holds an __init__.py, so adding an adapter needs no packaging edit.
"""

from pathlib import Path

from setuptools import setup

ROOTS = {"snnrun": "runner", "snnrun.schema": "schema", "snnrun.adapters": "adapters"}


def packages() -> list[str]:
    found = []
    for name, folder in ROOTS.items():
        for init in sorted(Path(folder).rglob("__init__.py")):
            relative = init.parent.relative_to(folder).parts
            found.append(".".join((name, *relative)))
    return found


setup(packages=packages(), package_dir=ROOTS)
