"""``truncate: [low, high]`` on a distribution: values outside are redrawn, so the values follow the
distribution truncated to [low, high] (PyNN's ``normal_clipped``, NEST's ``redraw``), unlike ``clip``,
which puts the outside mass on the bounds.

Oracles are closed forms written here: the truncated normal's mean and variance (with alpha, beta the
standardised bounds, phi and Phi the standard normal's density and CDF, Z = Phi(beta) - Phi(alpha)):
mean = mu + sigma (phi(alpha) - phi(beta)) / Z, var = sigma^2 [1 + (alpha phi(alpha) - beta phi(beta)) / Z
- ((phi(alpha) - phi(beta)) / Z)^2]. With 200,000 draws the sample mean's standard error is
sd / sqrt(n) = 0.0022 sd, so 5 standard errors (1.1 % of sd) is the tolerance: a clipped draw's mean
misses it by far (checked below), a correct one fails it with probability below 1e-6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from snnrun.instance import draw_value, instantiate
from snnrun.schema.loader import load_spec
from snnrun.schema.values import truncated_mass

N = 200_000


def _phi(x):
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _cdf(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _truncated_normal_moments(mu, sigma, low, high):
    a, b = (low - mu) / sigma, (high - mu) / sigma
    z = _cdf(b) - _cdf(a)
    d = (_phi(a) - _phi(b)) / z
    return mu + sigma * d, sigma ** 2 * (1 + (a * _phi(a) - b * _phi(b)) / z - d * d)


def _spec(value: str, tmp_path, size: int = N):
    text = f"""snnrun: "1.0"
name: truncated
simulation: {{duration: 1 ms, dt: 0.1 ms}}
populations:
  src: {{size: {size}, model: {{type: spike_array, params: {{spike_times: [0.5 ms]}}}}}}
  cell: {{size: {size}, model: {{type: lif_curr_exp}}}}
projections:
  p: {{pre: src, post: cell, connect: {{rule: one_to_one}}, synapse: {{weight: 1 pA, delay: {value}}}}}
"""
    path = tmp_path / "t.yaml"
    path.write_text(text)
    return load_spec(path)


def test_truncated_normal_delays_follow_the_truncated_distribution(tmp_path):
    # the microcircuit's inhibitory delays: mean 0.75 ms, sd 0.375 ms, [0.1 ms, 7.5 ms] (4 % below 0.1 ms)
    spec = _spec("{distribution: normal, mean: 0.75 ms, std: 0.375 ms, truncate: [0.1 ms, 7.5 ms]}", tmp_path)
    value = spec.projections["p"].synapse.delay
    assert value.truncate == pytest.approx((1e-4, 7.5e-3)) and value.clip is None
    rng = np.random.default_rng(1)
    drawn = draw_value(value, N, rng)
    assert drawn.min() >= 1e-4 and drawn.max() <= 7.5e-3
    mean, var = _truncated_normal_moments(0.75e-3, 0.375e-3, 1e-4, 7.5e-3)
    sd = math.sqrt(var)
    assert abs(drawn.mean() - mean) < 5 * sd / math.sqrt(N)
    assert drawn.std() == pytest.approx(sd, rel=0.01)
    # no mass on the bound, unlike clip (4.2 % of the draws would sit at exactly 0.1 ms)
    assert np.count_nonzero(drawn == 1e-4) == 0
    clipped = np.clip(np.random.default_rng(1).normal(0.75e-3, 0.375e-3, N), 1e-4, 7.5e-3)
    assert abs(clipped.mean() - mean) > 5 * sd / math.sqrt(N)
    # the drawn instance takes them (in steps, rounded) and is deterministic
    a, b = instantiate(spec), instantiate(spec)
    steps = a.projections["p"].delay_steps
    assert np.array_equal(steps, b.projections["p"].delay_steps) and steps.min() >= 1


def test_truncate_on_the_other_distributions_keeps_values_inside():
    rng = np.random.default_rng(2)
    from snnrun.schema.model import Distribution
    from snnrun.schema.units import Dimension
    dim = next(iter(Dimension))
    for value, mass in ((Distribution("uniform", {"low": 0.0, "high": 4.0}, dim, truncate=(1.0, 2.0)), 0.25),
                        (Distribution("lognormal", {"mu": 0.0, "sigma": 1.0}, dim, truncate=(1.0, math.inf)), 0.5),
                        (Distribution("choice", {}, dim, truncate=(2.0, 3.0), choices=(1.0, 2.0, 3.0, 4.0)), 0.5)):
        drawn = draw_value(value, 20_000, rng)
        assert drawn.min() >= value.truncate[0] and drawn.max() <= value.truncate[1], value.name
        assert truncated_mass(value) == pytest.approx(mass), value.name


@pytest.mark.parametrize("value, message", [
    ("{distribution: normal, mean: 1 ms, std: 0.1 ms, truncate: [2 ms, 3 ms]}", "keeps 7.6e-24 of the distribution"),
    ("{distribution: normal, mean: 1 ms, std: 0.1 ms, clip: [0.1 ms, 2 ms], truncate: [0.1 ms, 2 ms]}",
     "give clip (values outside go to the bounds) or truncate"),
    ("{distribution: normal, mean: 1 ms, std: 0.1 ms, truncate: [2 ms, 1 ms]}", "truncate needs [low, high]"),
])
def test_bad_truncations_are_one_line_errors_at_their_path(value, message, tmp_path):
    from snnrun.schema.errors import SpecError
    with pytest.raises(SpecError) as info:
        _spec(value, tmp_path, size=2)
    text = str(info.value)
    assert message in text and "projections.p.synapse.delay.truncate" in text and "\n" not in text.strip()
