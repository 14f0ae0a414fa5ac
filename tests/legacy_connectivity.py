"""The connectivity drawing of snnrun before the compact form (commit ee4869a), kept verbatim as the oracle
of tests/test_compact_instance.py: the compact drawing must give the very same synapses for every rule.

All rules return int64 arrays sorted by (pre, post), so the same instance gives the same synapse order
to every backend (per-synapse weights and delays are drawn in that order).
"""

from __future__ import annotations

import numpy as np

from snnrun.schema.model import Connect  # noqa: F401


def _from_flat(flat: np.ndarray, n_post: int) -> tuple[np.ndarray, np.ndarray]:
    flat = np.sort(flat)
    return flat // n_post, flat % n_post


def _skip_diagonal(flat: np.ndarray, n: int) -> np.ndarray:
    """Map indices into the n*(n-1) off-diagonal cells of an n x n matrix onto flat n*n indices."""
    row = flat // (n - 1)
    col = flat % (n - 1)
    col = col + (col >= row)
    return row * n + col


def _bernoulli_cells(rng: np.random.Generator, total: int, p: float) -> np.ndarray:
    """Sorted indices of the cells in [0, total) that pass an independent Bernoulli(p) trial each.

    Drawn as geometric gaps between successes: exactly the same distribution as one trial per cell, in
    O(successes) time and memory, already sorted (numpy's choice without replacement permutes the
    whole range once k exceeds total/50, 130 ms for CUBA).
    """
    if p <= 0 or total == 0:
        return np.empty(0, np.int64)
    if p >= 1:
        return np.arange(total, dtype=np.int64)
    expected = total * p
    chunk = int(expected + 5 * np.sqrt(expected) + 16)
    pieces, last = [], -1
    while True:
        idx = last + np.cumsum(rng.geometric(p, chunk))
        if idx[-1] >= total:
            pieces.append(idx[idx < total])
            return np.concatenate(pieces)
        pieces.append(idx)
        last = int(idx[-1])


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
             multapses: bool) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``rows`` neurons choose ``n`` partners out of ``pool`` (fixed in/out-degree)."""
    exclude_self = same and not allow_self
    row_idx = np.repeat(np.arange(rows, dtype=np.int64), n)
    if multapses:
        size = pool - 1 if exclude_self else pool
        partners = rng.integers(0, size, size=(rows, n), dtype=np.int64)
    else:
        size = pool - 1 if exclude_self else pool
        # argpartition of random keys picks n distinct partners per row in one vectorised call when the
        # matrix is small; otherwise loop over rows (each choice is O(n)).
        if rows * size <= 2_000_000:  # at most 16 MB of float64 keys: peak memory stays per-synapse
            keys = rng.random((rows, size))
            partners = np.argpartition(keys, n - 1, axis=1)[:, :n] if n else np.empty((rows, 0), np.int64)
        else:
            partners = np.stack([rng.choice(size, size=n, replace=False) for _ in range(rows)]) \
                if n else np.empty((rows, 0), np.int64)
    partners = partners.astype(np.int64)
    if exclude_self:
        partners = partners + (partners >= np.arange(rows)[:, None])
    return row_idx, partners.ravel()


def draw_connectivity(connect: Connect, n_pre: int, n_post: int, same: bool,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return (pre, post) index arrays for a connection rule, sorted by pre then post.

    ``same`` says whether pre and post are the same population (for ``allow_self``).
    """
    exclude_self = same and not connect.allow_self
    rule = connect.rule
    if rule == "one_to_one":
        idx = np.arange(n_pre, dtype=np.int64)
        if exclude_self:
            return idx[:0], idx[:0]
        return idx, idx.copy()
    if rule == "all_to_all":
        pre = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
        post = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
        if exclude_self:
            keep = pre != post
            return pre[keep], post[keep]
        return pre, post
    if rule in ("fixed_probability", "fixed_total"):
        total = n_pre * (n_post - 1) if exclude_self else n_pre * n_post
        if rule == "fixed_probability":
            flat = _bernoulli_cells(rng, total, connect.p)
        elif connect.multapses:
            flat = rng.integers(0, total, size=connect.n, dtype=np.int64)
        else:
            flat = _distinct_flat(rng, total, connect.n)
        if exclude_self:
            flat = _skip_diagonal(flat, n_pre)
        return _from_flat(flat, n_post)
    if rule == "fixed_indegree":
        post, pre = _per_row(rng, n_post, n_pre, connect.n, same, connect.allow_self, connect.multapses)
        order = np.lexsort((post, pre))
        return pre[order], post[order]
    if rule == "fixed_outdegree":
        pre, post = _per_row(rng, n_pre, n_post, connect.n, same, connect.allow_self, connect.multapses)
        order = np.lexsort((post, pre))
        return pre[order], post[order]
    if rule == "from_list":
        pairs = np.asarray(connect.pairs, dtype=np.int64).reshape(-1, 2)
        return pairs[:, 0].copy(), pairs[:, 1].copy()
    raise ValueError(f"unknown connection rule {rule!r}")
