"""Song, Miller & Abbott (2000), specs/song_miller_abbott.yaml: additive STDP with slightly stronger
depression makes 1000 Poisson inputs compete for one conductance LIF neuron, and the weights leave the
middle of [w_min, w_max] for both bounds.

The spec runs 1000 s (Song et al.'s a_plus 0.005 needs that long to converge; 5-20 min here), too long
for the suite: its bimodality (over 25 % of the weights in each outer tenth) is measured by
``snnrun run specs/song_miller_abbott.yaml -b reference -b pynn:nest -b pynn:neuron --compare`` and
benchmarks/song_miller_abbott_table.py (the spec's header has the numbers). A short run cannot test
that, so these tests check what a short run can:
- after 40 s the competition has begun, in both directions (the reference engine);
- brian2 and nengo follow the reference synapse by synapse on the same drawn instance (20 s: they
  perform the same arithmetic, so agreement is exact up to rounding, a check that needs no learning
  to have converged);
- pynn:neuron's final weights within a Kolmogorov-Smirnov distance of 0.05 of the reference's after
  40 s (issue 10's bar), when the weights have moved further than that from their drawn values
  (pynn:nest's: tests/test_pynn_nest_models.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SPECS, run_reference

from snnrun.instance import instantiate
from snnrun.schema.loader import load_spec


def _tenths(weights, rule) -> np.ndarray:
    return np.histogram((weights - rule.w_min) / (rule.w_max - rule.w_min), bins=10, range=(0, 1))[0]


@pytest.mark.slow
def test_by_40_s_the_weights_move_to_both_bounds():
    """40 s (10-20 s here): the lowest tenth of [w_min, w_max] gains at least 25 % and the highest at least
    10 %, the middle six tenths lose at least 5 %, and the two outer tenths are the two fullest. Measured:
    109 -> 156, 108 -> 132 and 607 -> 544 weights (at 20 s the highest tenth has not grown yet: 108 ->
    106; at 60 s 188 and 134). The margins leave room for any change of the engine that keeps the rule."""
    spec = load_spec(SPECS / "song_miller_abbott.yaml", overrides={"simulation.duration": "40 s"})
    rule = spec.projections["plastic"].synapse.plasticity
    initial = instantiate(spec).projections["plastic"].weight
    output = run_reference(spec)
    final = output.final_weights["plastic"].values[-1]
    assert final.min() >= rule.w_min and final.max() <= rule.w_max
    before, after = _tenths(initial, rule), _tenths(final, rule)
    assert after[0] >= 1.25 * before[0], (before, after)
    assert after[9] >= 1.10 * before[9], (before, after)
    assert after[2:8].sum() <= 0.95 * before[2:8].sum(), (before, after)
    assert set(np.argsort(after)[-2:]) == {0, 9}, after
    assert 5 <= output.spikes["neuron"][0].size / 40 <= 60  # the neuron fires at a moderate rate


@pytest.mark.slow
def test_brian2_and_nengo_follow_the_reference_synapse_by_synapse(tmp_path):
    """The same drawn instance, 20 s, on brian2 (numpy code generation, no compilation) and nengo: the
    reference's post spikes exactly, and every final weight within 1e-12 of w_max of the reference's.
    Both perform the reference's arithmetic (semantics.md, "brian2" and "nengo"), so only the order of
    roundings differs: measured (the 100 s spec of a_plus 0.01) the same post spikes and weights within
    1.6e-15 of w_max for brian2, identical weights for nengo; the tolerance leaves 1e-16 per update for
    the ~10^4 updates of a synapse. A weight that moved by a single potentiation (a_plus w_max = 1e-12 S)
    differs by more."""
    from snnrun.execute import execute

    spec = load_spec(SPECS / "song_miller_abbott.yaml",
                     overrides={"simulation.duration": "20 s", "simulation.options": {"brian2": {"codegen": "numpy"}}})
    rule = spec.projections["plastic"].synapse.plasticity
    initial = instantiate(spec).projections["plastic"].weight
    results = execute(spec, ["reference", "brian2", "nengo"], out=tmp_path, max_workers=2, timeout=1200).results
    final = {name: r.final_weights.sort_values("synapse")["weight"].to_numpy() for name, r in results.items()}
    post = {name: r.spikes.query("population == 'neuron'")["time"].to_numpy() for name, r in results.items()}
    assert final["reference"].size == initial.size == 1000
    assert np.abs(final["reference"] - initial).max() > 0.1 * rule.w_max  # the weights did move
    for backend in ("brian2", "nengo"):
        np.testing.assert_array_equal(post[backend], post["reference"], err_msg=backend)
        np.testing.assert_allclose(final[backend], final["reference"], rtol=0, atol=1e-12 * rule.w_max,
                                   err_msg=backend)


@pytest.mark.slow
def test_pynn_neuron_final_weights_match_the_reference_after_40_s(tmp_path):
    """The same drawn instance, 40 s (about 20 s for each backend here, both at once): pynn:neuron's final
    weight histogram within a Kolmogorov-Smirnov distance of 0.05 of the reference's (issue 10's bar;
    scipy's two-sample statistic, independent of snnrun's comparison), and within half the distance the
    reference's weights moved from their drawn values (0.067 by 40 s), so that a backend learning at half
    the rate fails. Measured: 0.018. The post spike trains part within the first second (chaos), and
    pynn:neuron fires 4.5 % more (1082 against 1035 spikes): NEURON's weight adjuster pairs a pre and a
    post spike that reach it together (semantics.md, "Plasticity on the pynn backends"), which the
    reference with that pairing nearly reproduces (measured: 1094 spikes)."""
    from scipy.stats import ks_2samp

    from snnrun.execute import execute

    spec = load_spec(SPECS / "song_miller_abbott.yaml", overrides={"simulation.duration": "40 s"})
    initial = instantiate(spec).projections["plastic"].weight
    results = execute(spec, ["reference", "pynn:neuron"], out=tmp_path, max_workers=2, timeout=1200).results
    final = {name: r.final_weights.sort_values("synapse")["weight"].to_numpy() for name, r in results.items()}
    assert final["reference"].size == final["pynn:neuron"].size == initial.size == 1000
    moved = ks_2samp(initial, final["reference"]).statistic
    assert moved > 0.06, moved
    distance = ks_2samp(final["reference"], final["pynn:neuron"]).statistic
    assert distance <= min(0.05, moved / 2), (distance, moved)
