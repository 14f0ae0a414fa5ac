"""Comparison metrics against values computed by hand, grades against profile limits, and the two
spike-train distances against Elephant's implementations when Elephant is installed."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from snnrun.compare import grading as g
from snnrun.compare import metrics as m
from snnrun.schema.errors import Problem, SpecError


def a(*times):
    return np.array(times, dtype=float)


def test_split_trains_sorts_by_neuron_then_time():
    trains = m.split_trains([1, 0, 1, 0], [0.3, 0.2, 0.1, 0.4], 3)
    assert [t.tolist() for t in trains] == [[0.2, 0.4], [0.1, 0.3], []]


def test_coincidence_counts_one_to_one_matches_within_the_window():
    # 10 ms matches 10.5 ms (0.5 ms apart), 20 ms and 25 ms are 5 ms apart, 30 ms matches 30 ms: 2 of 3 pairs
    c = m.coincidence([a(0.010, 0.020, 0.030)], [a(0.0105, 0.025, 0.030)], window=0.001)
    assert c.fraction == pytest.approx(4 / 6)
    assert c.unmatched_a.tolist() == [0.020] and c.unmatched_b.tolist() == [0.025]
    # one spike cannot match two: 2 * 1 / (1 + 2)
    assert m.coincidence([a(0.010)], [a(0.0095, 0.0105)], 0.001).fraction == pytest.approx(2 / 3)
    assert m.coincidence([a(), a()], [a(), a()], 0.001).fraction == 1.0
    assert m.coincidence([a(0.01)], [a()], 0.001).fraction == 0.0


def test_coincidence_window_of_half_a_step_matches_the_same_stamp_computed_two_ways():
    dt = 1e-4
    x = np.arange(1, 50) * 10 * dt  # a spike every 10 steps
    y = np.arange(1, 50) * 1e-3  # the same stamps, other arithmetic (last-bit differences)
    assert not np.array_equal(x, y)
    assert m.coincidence([x], [y], 0.5 * dt).fraction == 1.0
    assert m.coincidence([x], [x + dt], 0.5 * dt).fraction == 0.0  # one step off: nothing matches
    assert m.coincidence([x], [x + dt], 1.5 * dt).fraction == 1.0


def test_van_rossum_by_hand():
    tau = 0.005
    assert m.van_rossum(a(0.01), a(), tau) == pytest.approx(1.0)  # a lone spike adds 1 to D^2
    # D^2 = 2 - 2 exp(-d/tau) = 1 for d = tau ln 2
    assert m.van_rossum(a(0.01), a(0.01 + tau * math.log(2)), tau) == pytest.approx(1.0)
    # two spikes d apart vs none: D^2 = 2 + 2 exp(-d/tau) = 3
    assert m.van_rossum(a(0.01, 0.01 + tau * math.log(2)), a(), tau) == pytest.approx(math.sqrt(3))
    assert m.van_rossum(a(0.01, 0.02), a(0.01, 0.02), tau) == 0.0


def test_victor_purpura_by_hand():
    assert m.victor_purpura(a(0.010), a(0.012), q=100.0) == pytest.approx(0.2)  # shift 2 ms at 100/s
    assert m.victor_purpura(a(0.010), a(0.040), q=100.0) == pytest.approx(2.0)  # delete + insert < 3
    assert m.victor_purpura(a(0.010, 0.020), a(0.011), q=100.0) == pytest.approx(1.1)  # shift 1 ms + delete
    assert m.victor_purpura(a(0.01, 0.02, 0.03), a(), q=100.0) == 3.0
    assert m.victor_purpura(a(0.01, 0.02), a(0.01, 0.02), q=100.0) == 0.0


def test_first_divergence_is_the_earliest_spike_that_differs():
    eps = 0.5e-4
    ref = [a(0.010, 0.020), a(0.005)]
    other = [a(0.010, 0.021), a(0.005, 0.003 + 0.027)]
    assert m.first_divergence(ref, other, eps) == pytest.approx(0.020)  # neuron 0: min(20, 21) ms
    assert m.first_divergence(ref, [a(0.010, 0.020), a(0.005, 0.015)], eps) == pytest.approx(0.015)  # extra spike
    assert m.first_divergence(ref, [t.copy() for t in ref], eps) is None


def test_counts_rates_and_cv():
    ref, other = [a(0.1, 0.2), a(0.3)], [a(0.1), a(0.1, 0.2, 0.3)]
    assert m.rate(ref, 2.0) == pytest.approx(3 / (2 * 2.0))
    assert m.relative_count_difference(ref, other) == pytest.approx(1 / 3)
    assert m.count_error(ref, other) == pytest.approx((1 + 2) / 3)
    # intervals 1, 1, 2: mean 4/3, std sqrt(2/9): CV = sqrt(2)/4
    assert m.cv_isi([a(0, 1, 2, 4)]) == pytest.approx(math.sqrt(2) / 4)
    assert m.cv_isi([a(0, 1)]) is None
    assert m.cv_isi([]) is None and m.cv_isi([a(), a()]) is None


def test_cv_isi_of_flat_spikes_is_the_per_neuron_definition():
    """The vectorised form against the definition written out neuron by neuron with numpy's std and mean,
    on unsorted random spikes where some neurons have 0-2 spikes (left out) and neuron ids are missing;
    1e-12 relative: only the order of the sums differs."""
    rng = np.random.default_rng(3)
    size = 200
    ids = rng.integers(0, size, 3000)
    ids[ids % 7 == 0] = 5  # many on one neuron, none on the other multiples of 7
    times = rng.uniform(0, 2.0, ids.size)
    by_hand = []
    for i in range(size):
        t = np.sort(times[ids == i])
        if t.size >= 3:
            isi = np.diff(t)
            by_hand.append(isi.std() / isi.mean())
    assert m.cv_isi_of(ids, times, size) == pytest.approx(np.mean(by_hand), rel=1e-12)
    assert m.cv_isi_of(np.array([0, 1, 1]), np.array([0.1, 0.2, 0.3]), 2) is None


def test_trace_errors_by_hand():
    dt = 1e-4
    t = np.array([0.0, dt])
    ref = np.array([[0.0, 1.0], [2.0, 3.0]])
    other = np.array([[0.0, 1.0], [2.0, 5.0]])
    e = m.trace_errors(t, ref, t + 1e-18, other, dt, limit=1.0)
    assert e.rmse == pytest.approx(1.0)  # sqrt((0 + 0 + 0 + 4) / 4)
    assert e.max_error == 2.0 and e.scale == 3.0 and e.max_relative == pytest.approx(2 / 3)
    assert e.first_exceeds == pytest.approx(dt)
    # only common samples are compared: a trace recorded at half the rate
    e = m.trace_errors(np.arange(4) * dt, np.arange(4.0)[:, None], np.arange(0, 4, 2) * dt,
                       np.array([[0.0], [2.5]]), dt)
    assert e.times.tolist() == pytest.approx([0.0, 2 * dt]) and e.max_error == pytest.approx(0.5)


@pytest.mark.parametrize("value,grade", [(0.0, "agrees"), (0.005, "agrees"), (0.0051, "close"),
                                         (0.02, "close"), (0.021, "differs"), (None, "n/a")])
def test_grades_against_agree_and_close_limits(value, grade):
    assert g.grade(value, (0.005, 0.02)) == grade


def test_reported_metrics_are_not_graded_and_worst_wins():
    assert g.grade(5.0, (None, None)) == "reported"
    assert g.worst(["agrees", "reported", "close", "n/a"]) == "close"
    assert g.worst(["reported", "n/a"]) == "n/a"


def test_profiles_grade_every_metric_or_say_they_report_it():
    for profile in g.PROFILES.values():
        assert set(profile.limits) == set(g.METRICS), profile.name
        for agree, close in profile.limits.values():
            assert (agree is None) == (close is None)
            assert agree is None or agree <= close
    assert g.PROFILES["exact"].window_for(1e-4) == pytest.approx(5e-5)


def test_spec_tolerances_override_the_profile():
    prof = g.profile_for({"profile": "single_neuron", "tolerances": {"rate": 0.1, "window": 0.002,
                                                                     "divergence": 0.5}})
    assert prof.name == "single_neuron" and prof.window == 0.002
    assert prof.limit("rate") == (0.005, 0.1)  # the close limit moves; agree stays the profile's
    assert prof.limit("divergence") == (0.5, 0.5)  # a reported metric becomes graded
    assert prof.sources["rate"] == "spec"
    assert g.profile_for({}).name == "network"
    assert g.profile_for({"profile": "network"}, name="exact").name == "exact"


def test_unknown_tolerance_is_a_located_spec_error():
    def locate(path, message):
        return Problem("s.yaml", 7, 3, path, message)
    with pytest.raises(SpecError, match=r"s.yaml:7:3: compare.tolerances.rates: unknown tolerance 'rates'"):
        g.profile_for({"tolerances": {"rates": 0.1}}, locate=locate)
    with pytest.raises(ValueError, match="unknown tolerance profile"):
        g.profile_for({}, name="loose")


def test_distances_equal_elephants():
    pq = pytest.importorskip("quantities")
    elephant = pytest.importorskip("elephant.spike_train_dissimilarity")
    neo = pytest.importorskip("neo")
    rng = np.random.default_rng(5)
    for _ in range(50):
        x = np.sort(rng.uniform(0, 1, rng.integers(0, 15)))
        y = np.sort(rng.uniform(0, 1, rng.integers(0, 15)))
        trains = [neo.SpikeTrain(x * pq.s, t_stop=1 * pq.s), neo.SpikeTrain(y * pq.s, t_stop=1 * pq.s)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vr = elephant.van_rossum_distance(trains, 0.02 * pq.s)[0, 1]
            vp = elephant.victor_purpura_distance(trains, 50 / pq.s)[0, 1]
        assert m.van_rossum(x, y, 0.02) == pytest.approx(vr, abs=1e-9)
        assert m.victor_purpura(x, y, 50.0) == pytest.approx(vp, abs=1e-9)

