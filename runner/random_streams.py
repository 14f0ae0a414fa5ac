"""One independent random stream per spec element, derived from the master seed and the element's path.

``stream(seed, "projections", "ee", "connect")`` is the same generator in every process and for every
backend, and adding an element (a population, a projection) never shifts another element's draws:
each stream's key is a hash of its own path, not a position in a shared sequence.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _path_key(parts: tuple[str, ...]) -> tuple[int, ...]:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))


def stream(seed: int, *path: str) -> np.random.Generator:
    """A numpy Generator (PCG64) for the element at ``path``, seeded from the spec's master seed."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=_path_key(path))))
