"""Song, Miller & Abbott (2000) on the reference engine: additive STDP with slightly stronger depression
makes 1000 Poisson inputs compete for one conductance LIF neuron, and the weights leave the middle of
[w_min, w_max] for both bounds.

The spec's 100 s take about a minute or two here, too long for the suite (benchmarks/song_miller_abbott.py
runs them: measured, the two outer tenths are the two fullest, 21.5 % and 17.1 % of the weights, against
10 % each at the start; Brian2's own example gives 28.3 % and 17.8 %). This test runs the first 20 s,
where the competition has visibly begun (measured: the lowest tenth 109 -> 162 weights, the middle six
tenths 606 -> 526, the highest tenth the second fullest), and checks that, with margins: the lowest
tenth gained 30 %, the middle six lost 8 %, and the two outer tenths are the two fullest.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SPECS, run_reference

from snnrun.instance import instantiate
from snnrun.schema.loader import load_spec


@pytest.mark.slow
def test_the_weights_move_to_both_bounds():
    spec = load_spec(SPECS / "song_miller_abbott.yaml", overrides={"simulation.duration": "20 s"})
    rule = spec.projections["plastic"].synapse.plasticity
    initial = instantiate(spec).projections["plastic"].weight
    output = run_reference(spec)
    final = output.final_weights["plastic"].values[-1]
    assert final.min() >= rule.w_min and final.max() <= rule.w_max
    before, after = (np.histogram((w - rule.w_min) / (rule.w_max - rule.w_min), bins=10, range=(0, 1))[0]
                     for w in (initial, final))
    assert after[0] >= 1.3 * before[0], (before, after)
    assert after[2:8].sum() <= 0.92 * before[2:8].sum(), (before, after)
    assert set(np.argsort(after)[-2:]) == {0, 9}, after
    assert 5 <= output.spikes["neuron"][0].size / 20 <= 60  # the neuron fires at a moderate rate


@pytest.mark.slow
def test_brian2_and_nengo_final_weights_match_the_reference(tmp_path):
    """The same drawn instance, 20 s, on brian2 (numpy code generation, no compilation) and nengo: each
    final weight histogram within a Kolmogorov-Smirnov distance of 0.05 of the reference's (issue 10's
    done-when; scipy's two-sample statistic, an implementation independent of snnrun's comparison).
    Measured (benchmarks/song_miller_abbott.py --duration 20 --backends brian2,nengo, cython): the same
    489 post spikes on all three, KS 0.001 for brian2 (one weight at a bound differing by 8e-16 of w_max
    changes the order of tied values) and 0 for nengo. The check is meaningful because the weights have
    left their drawn distribution by then (the lowest tenth holds 162 weights instead of 109)."""
    from scipy.stats import ks_2samp

    from snnrun.execute import execute

    spec = load_spec(SPECS / "song_miller_abbott.yaml",
                     overrides={"simulation.duration": "20 s", "simulation.options": {"brian2": {"codegen": "numpy"}}})
    initial = instantiate(spec).projections["plastic"].weight
    results = execute(spec, ["reference", "brian2", "nengo"], out=tmp_path, max_workers=2, timeout=1200).results
    final = {name: r.final_weights.sort_values("synapse")["weight"].to_numpy() for name, r in results.items()}
    assert final["reference"].size == initial.size == 1000
    assert ks_2samp(initial, final["reference"]).statistic > 0.05  # the weights did move
    for backend in ("brian2", "nengo"):
        assert ks_2samp(final["reference"], final[backend]).statistic <= 0.05, backend
