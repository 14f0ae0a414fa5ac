"""Draw explicit connectivity (pre, post index arrays) for every connection rule of the spec language.

All rules return arrays sorted by (pre, post) (``from_list``: in the list's order), so the same instance
gives the same synapse order to every backend (per-synapse weights and delays are drawn in that order).
Indices are int32 when both populations have fewer than 2**31 neurons, else int64: the drawn instance
is what every backend receives, and the drawing is laid out so that its transient memory stays a few
bytes per synapse (chunks of :data:`CHUNK` synapses), not the 30-40 of int64 index arithmetic. The
synapses are the very same as those of the earlier int64 drawing for every rule and seed
(tests/test_compact_instance.py): each random draw is the same call, or split into calls that consume
the stream identically (geometric gaps are one draw per value, with no buffer between calls).
"""

from __future__ import annotations

import numpy as np

from .schema.model import Connect


#: synapses handled per chunk of the compact drawing (8 MB of int64 temporaries)
CHUNK = 1 << 20


def index_type(*sizes: int):
    """int32 when every index into populations of these sizes fits, else int64."""
    return np.int32 if max(sizes, default=0) < 2**31 else np.int64


def _from_flat(flat: np.ndarray, n_post: int, itype, presorted: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(pre, post) of sorted flat cell indices ``pre * n_post + post`` (sorted in place unless presorted)."""
    if not presorted:
        flat.sort()
    pre, post = np.empty(flat.size, itype), np.empty(flat.size, itype)
    for a in range(0, flat.size, CHUNK):
        pre[a:a + CHUNK], post[a:a + CHUNK] = np.divmod(flat[a:a + CHUNK], n_post)
    return pre, post


def _skip_diagonal(flat: np.ndarray, n: int) -> np.ndarray:
    """Map indices into the n*(n-1) off-diagonal cells of an n x n matrix onto flat n*n indices."""
    row = flat // (n - 1)
    col = flat % (n - 1)
    col = col + (col >= row)
    return row * n + col


def _bernoulli_chunks(rng: np.random.Generator, total: int, p: float):
    """Sorted chunks of the indices of the cells in [0, total) that pass an independent Bernoulli(p)
    trial each (increasing across chunks).

    Drawn as geometric gaps between successes: exactly the same distribution as one trial per cell, in
    O(successes) time, already sorted (numpy's choice without replacement permutes the whole range once
    k exceeds total/50, 130 ms for CUBA). The gaps come in blocks of ``expected + 5 sd + 16`` draws, each
    drawn as calls of at most CHUNK values (the same values as one call).
    """
    if p <= 0 or total == 0:
        return
    if p >= 1:
        for a in range(0, total, CHUNK):
            yield np.arange(a, min(total, a + CHUNK), dtype=np.int64)
        return
    expected = total * p
    block = int(expected + 5 * np.sqrt(expected) + 16)
    last = -1
    while True:
        for a in range(0, block, CHUNK):
            idx = last + np.cumsum(rng.geometric(p, min(CHUNK, block - a)))
            if idx[-1] >= total:
                yield idx[idx < total]
                return
            yield idx
            last = int(idx[-1])


def _bernoulli_cells(rng: np.random.Generator, total: int, p: float) -> np.ndarray:
    """All of :func:`_bernoulli_chunks` in one int64 array."""
    chunks = list(_bernoulli_chunks(rng, total, p))
    return np.concatenate(chunks) if chunks else np.empty(0, np.int64)


class _Growing:
    """Two index arrays filled chunk by chunk, with room for ``capacity`` (grown if exceeded)."""

    def __init__(self, capacity: int, itype):
        self.pre, self.post, self.n = np.empty(capacity, itype), np.empty(capacity, itype), 0

    def add(self, pre: np.ndarray, post: np.ndarray) -> None:
        end = self.n + pre.size
        if end > self.pre.size:  # rare: more successes than expected + 5 sd
            grow = max(end, int(self.pre.size * 1.25))
            self.pre, self.post = (np.concatenate([a[:self.n], np.empty(grow - self.n, a.dtype)])
                                   for a in (self.pre, self.post))
        self.pre[self.n:end], self.post[self.n:end] = pre, post
        self.n = end

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self.pre[:self.n], self.post[:self.n]


def _fixed_probability(rng, n_pre: int, n_post: int, p: float, exclude_self: bool, itype):
    total = n_pre * (n_post - 1) if exclude_self else n_pre * n_post
    expected = total * min(max(p, 0.0), 1.0)
    out = _Growing(int(expected + 5 * np.sqrt(expected) + 16), itype)
    for flat in _bernoulli_chunks(rng, total, p):
        if exclude_self:
            flat = _skip_diagonal(flat, n_pre)
        out.add(*np.divmod(flat, n_post))
    return out.arrays()


def _distinct_flat(rng: np.random.Generator, total: int, k: int) -> np.ndarray:
    """k distinct integers in [0, total), every k-subset equally likely.

    Oversample with replacement, deduplicate, then keep a uniform random k of the distinct values (by
    symmetry the distinct set is a uniform subset of its size); cost O(k log k) instead of O(total).
    """
    if k == 0:
        return np.empty(0, np.int64)
    if k > total // 4:
        return np.sort(rng.choice(total, size=k, replace=False)).astype(np.int64)
    while True:
        drawn = np.unique(rng.integers(0, total, size=k + k // 8 + 32, dtype=np.int64))
        if drawn.size >= k:
            return np.sort(rng.choice(drawn, size=k, replace=False))


def _per_row(rng: np.random.Generator, rows: int, pool: int, n: int, same: bool, allow_self: bool,
             multapses: bool, itype) -> np.ndarray:
    """For each of ``rows`` neurons choose ``n`` partners out of ``pool`` (fixed in/out-degree): (rows, n)."""
    exclude_self = same and not allow_self
    size = pool - 1 if exclude_self else pool
    if multapses:
        # the same values as the int64 draw: bounded integers below 2**31 come from the same 32-bit stream
        partners = rng.integers(0, size, size=(rows, n), dtype=itype)
    elif rows * size <= 2_000_000:
        # argpartition of random keys picks n distinct partners per row in one vectorised call when the
        # matrix is small (at most 16 MB of float64 keys: peak memory stays per-synapse); otherwise one
        # choice per row (each O(n)), written straight into the compact array
        keys = rng.random((rows, size))
        partners = (np.argpartition(keys, n - 1, axis=1)[:, :n] if n else np.empty((rows, 0), np.int64)).astype(itype)
    else:
        partners = np.empty((rows, n), itype)
        if n:
            for r in range(rows):
                partners[r] = rng.choice(size, size=n, replace=False)
    if exclude_self:  # partner indices at or above the row's own index move up by one
        step = max(1, CHUNK // max(n, 1))
        for a in range(0, rows, step):
            block = partners[a:a + step]
            block += block >= np.arange(a, a + block.shape[0], dtype=itype)[:, None]
    return partners


def _sort_by_pre(partners: np.ndarray, n_pre: int, itype) -> tuple[np.ndarray, np.ndarray]:
    """(pre, post) sorted by pre then post from ``partners[post, j]`` (the pre neurons of each post).

    A stable counting sort by pre over the row-major order, chunk by chunk: the order of a stable
    lexsort by (pre, post) of the pairs, in memory of the output plus a chunk of temporaries."""
    rows, n = partners.shape
    flat = partners.reshape(-1)
    counts = np.zeros(n_pre, np.int64)
    for a in range(0, flat.size, CHUNK):
        counts += np.bincount(flat[a:a + CHUNK], minlength=n_pre)
    cursor = np.zeros(n_pre, np.int64)
    np.cumsum(counts[:-1], out=cursor[1:])
    pre = np.repeat(np.arange(n_pre, dtype=itype), counts)
    post = np.empty(flat.size, itype)
    for a in range(0, flat.size, CHUNK):
        chunk = flat[a:a + CHUNK]
        order = np.argsort(chunk, kind="stable")
        ordered = chunk[order]
        starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
        rank = np.arange(ordered.size) - np.repeat(starts, np.diff(np.append(starts, ordered.size)))
        post[cursor[ordered] + rank] = (a + order) // n
        cursor += np.bincount(chunk, minlength=n_pre)
    return pre, post


def draw_connectivity(connect: Connect, n_pre: int, n_post: int, same: bool,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return (pre, post) index arrays (int32 where they fit, :func:`index_type`) for a connection rule,
    sorted by pre then post (``from_list``: the list's order).

    ``same`` says whether pre and post are the same population (for ``allow_self``).
    """
    exclude_self = same and not connect.allow_self
    itype = index_type(n_pre, n_post)
    rule = connect.rule
    if rule == "one_to_one":
        idx = np.arange(n_pre, dtype=itype)
        if exclude_self:
            return idx[:0], idx[:0]
        return idx, idx.copy()
    if rule == "all_to_all":
        pre = np.repeat(np.arange(n_pre, dtype=itype), n_post)
        post = np.tile(np.arange(n_post, dtype=itype), n_pre)
        if exclude_self:
            keep = pre != post
            return pre[keep], post[keep]
        return pre, post
    if rule == "fixed_probability":
        return _fixed_probability(rng, n_pre, n_post, connect.p, exclude_self, itype)
    if rule == "fixed_total":
        total = n_pre * (n_post - 1) if exclude_self else n_pre * n_post
        if connect.multapses:
            flat = rng.integers(0, total, size=connect.n, dtype=np.int64)
        else:
            flat = _distinct_flat(rng, total, connect.n)
        flat.sort()
        if exclude_self:  # an increasing map: the order stays sorted
            for a in range(0, flat.size, CHUNK):
                flat[a:a + CHUNK] = _skip_diagonal(flat[a:a + CHUNK], n_pre)
        return _from_flat(flat, n_post, itype, presorted=True)
    if rule == "fixed_indegree":
        partners = _per_row(rng, n_post, n_pre, connect.n, same, connect.allow_self, connect.multapses, itype)
        return _sort_by_pre(partners, n_pre, itype)
    if rule == "fixed_outdegree":
        partners = _per_row(rng, n_pre, n_post, connect.n, same, connect.allow_self, connect.multapses, itype)
        partners.sort(axis=1)
        return np.repeat(np.arange(n_pre, dtype=itype), connect.n), partners.reshape(-1)
    if rule == "from_list":
        pairs = np.asarray(connect.pairs, dtype=np.int64).reshape(-1, 2)
        return pairs[:, 0].astype(itype), pairs[:, 1].astype(itype)
    raise ValueError(f"unknown connection rule {rule!r}")
