"""``load_spec``: file -> hardened YAML -> version check and migration -> JSON Schema -> typed Spec.

Each stage collects every problem it can before raising one :class:`SpecError`, so a user fixes a file
in one pass instead of one error per run.
"""

from __future__ import annotations

import copy
import os
import re
from typing import Any, Callable, Mapping

from .errors import Problem, SpecError
from .model import Spec
from .normalise import normalise
from .validate import schema_problems
from .yaml_loader import load_yaml

#: language version written by this snnrun, and the majors it reads
CURRENT_VERSION = "1.0"
SUPPORTED_MAJORS = (1,)
#: migrations from an older version of the language to the next one: version -> (next, function).
#: Version 1.0 is the first published version, so there is nothing to migrate yet.
MIGRATIONS: dict[str, tuple[str, Callable[[dict], dict]]] = {}

_VERSION = re.compile(r"([0-9]+)\.([0-9]+)")  # fullmatch: "1.0\n" is not a version


def _check_version(data: Mapping, file: str, positions: Mapping) -> list[Problem]:
    if "snnrun" not in data:
        return []  # the schema reports the missing key
    raw = data["snnrun"]
    line, column = positions.get(("snnrun",), (1, 1))
    where = (file, line, column, ("snnrun",))
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return [Problem(*where, f"write the version as a quoted string: snnrun: \"{raw}\"")]
    match = _VERSION.fullmatch(raw) if isinstance(raw, str) else None
    if not match:
        return []  # the schema reports the form
    major, minor = int(match.group(1)), int(match.group(2))
    current_minor = int(CURRENT_VERSION.split(".")[1])
    supported = ", ".join(f"{m}.0 to {m}.{current_minor}" if current_minor else f"{m}.0" for m in SUPPORTED_MAJORS)
    if major not in SUPPORTED_MAJORS or (major == SUPPORTED_MAJORS[-1] and minor > current_minor):
        return [Problem(*where, f"spec language version '{raw}' is not supported by this snnrun "
                                f"(supported: {supported})")]
    return []


def migrate(data: dict) -> dict:
    """Bring an older spec mapping up to :data:`CURRENT_VERSION`, one registered step at a time."""
    version = data.get("snnrun")
    while isinstance(version, str) and version in MIGRATIONS:  # another type: the schema reports it
        version, step = MIGRATIONS[version]
        data = step(copy.deepcopy(data))
        data["snnrun"] = version
    return data


def load_spec(path: str | os.PathLike, *, text: str | None = None,
              overrides: Mapping[str, Any] | None = None) -> Spec:
    """Load, validate and normalise a spec file into a typed, frozen :class:`Spec` (SI units).

    ``text`` parses the given YAML instead of reading ``path`` (which still names the file in
    messages and anchors relative paths). ``overrides`` maps dotted spec paths to replacement values
    (``{"seed": 3, "populations.exc.params.i_offset": "0.1 nA"}``), applied before validation.
    Raises :class:`SpecError` listing every problem, each as ``file:line:col: path: message``.
    """
    file = os.fspath(path)
    doc = load_yaml(file, text=text)
    data = doc.data
    problems = _check_version(data, file, doc.positions)
    if problems:
        raise SpecError(problems)
    data = migrate(data)
    if overrides:
        data = apply_overrides(data, overrides, file)
    problems = schema_problems(data, file, doc.positions, doc.key_positions)
    if problems:
        raise SpecError(problems)
    base_dir = os.path.dirname(os.path.abspath(file)) if text is None else os.getcwd()
    return normalise(data, file, doc.positions, doc.key_positions, base_dir)


def apply_overrides(data: dict, overrides: Mapping[str, Any], file: str) -> dict:
    """Return a copy of ``data`` with dotted-path overrides set (used by ``--seed`` and sweeps)."""
    data = copy.deepcopy(data)
    for dotted, value in overrides.items():
        keys = dotted.split(".")
        node = data
        for key in keys[:-1]:
            if not isinstance(node, dict) or key not in node:
                raise SpecError([Problem(file, 0, 0, tuple(keys), f"override path '{dotted}' does not exist "
                                                                   "in the spec")])
            node = node[key]
        if not isinstance(node, dict):
            raise SpecError([Problem(file, 0, 0, tuple(keys), f"override path '{dotted}' is not a key")])
        node[keys[-1]] = value
    return data
