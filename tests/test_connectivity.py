"""Connection rules: exact invariants (degrees, self-connections, multapses, ranges) and, for the random
rules, statistics within bounds derived from their distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from snnrun.connectivity import _bernoulli_cells, _distinct_flat, draw_connectivity
from snnrun.schema.model import Connect


def rng(seed=0):
    return np.random.default_rng(seed)


def pairs(pre, post):
    return set(zip(pre.tolist(), post.tolist()))


def test_all_to_all_and_self():
    pre, post = draw_connectivity(Connect("all_to_all"), 4, 4, same=True, rng=rng())
    assert len(pre) == 16
    pre, post = draw_connectivity(Connect("all_to_all", allow_self=False), 4, 4, same=True, rng=rng())
    assert len(pre) == 12 and not np.any(pre == post)


def test_one_to_one():
    pre, post = draw_connectivity(Connect("one_to_one"), 5, 5, same=False, rng=rng())
    np.testing.assert_array_equal(pre, post)


@pytest.mark.parametrize("allow_self", [True, False])
def test_fixed_probability_count_and_no_duplicates(allow_self):
    n, p = 1000, 0.05
    pre, post = draw_connectivity(Connect("fixed_probability", p=p, allow_self=allow_self), n, n, True, rng(1))
    cells = n * n - (0 if allow_self else n)
    mean, sd = cells * p, math.sqrt(cells * p * (1 - p))
    assert abs(len(pre) - mean) < 5 * sd  # Binomial count: a 5-sigma bound fails with probability < 1e-6
    assert len(pairs(pre, post)) == len(pre)
    assert allow_self or not np.any(pre == post)
    assert np.all(np.diff(pre * n + post) > 0)  # sorted by (pre, post)


def test_fixed_probability_is_uniform_over_cells():
    counts = np.zeros((20, 20))
    for seed in range(200):
        pre, post = draw_connectivity(Connect("fixed_probability", p=0.1), 20, 20, False, rng(seed))
        np.add.at(counts, (pre, post), 1)
    # each cell: Binomial(200, 0.1), mean 20, sd 4.24; chi-square over 400 cells (399 dof, sd ~28)
    chi2 = ((counts - 20) ** 2 / (200 * 0.1 * 0.9)).sum()
    assert abs(chi2 - 399) < 6 * math.sqrt(2 * 399)


@pytest.mark.parametrize("rule,axis", [("fixed_indegree", "post"), ("fixed_outdegree", "pre")])
@pytest.mark.parametrize("allow_self,multapses", [(True, False), (False, False), (True, True)])
def test_fixed_degree(rule, axis, allow_self, multapses):
    n, k = 50, 10
    pre, post = draw_connectivity(Connect(rule, n=k, allow_self=allow_self, multapses=multapses), n, n, True, rng(3))
    counted = post if axis == "post" else pre
    assert np.all(np.bincount(counted, minlength=n) == k)
    if not allow_self:
        assert not np.any(pre == post)
    if not multapses:
        assert len(pairs(pre, post)) == len(pre)


def test_fixed_total_distinct_and_multapses():
    pre, post = draw_connectivity(Connect("fixed_total", n=500), 30, 40, False, rng(4))
    assert len(pre) == 500 and len(pairs(pre, post)) == 500
    assert pre.max() < 30 and post.max() < 40
    pre, post = draw_connectivity(Connect("fixed_total", n=2000, multapses=True), 10, 10, False, rng(4))
    assert len(pre) == 2000 and len(pairs(pre, post)) <= 100


def test_from_list_keeps_order():
    connect = Connect("from_list", pairs=((3, 1), (0, 2), (3, 1)))
    pre, post = draw_connectivity(connect, 4, 4, False, rng())
    assert pre.tolist() == [3, 0, 3] and post.tolist() == [1, 2, 1]


def test_sampling_helpers_edge_cases():
    assert _bernoulli_cells(rng(), 100, 0.0).size == 0
    np.testing.assert_array_equal(_bernoulli_cells(rng(), 7, 1.0), np.arange(7))
    drawn = _distinct_flat(rng(), 10**9, 1000)
    assert drawn.size == 1000 and np.unique(drawn).size == 1000 and drawn.max() < 10**9
    dense = _distinct_flat(rng(), 100, 90)
    assert np.unique(dense).size == 90
