"""STDP on the reference engine against closed forms and an event-by-event oracle written here from
schema/semantics.md ("Plasticity"), never from the engine's code.

The protocol: each channel is one pre neuron (a spike_array) and one post neuron (lif_curr_delta) made
to spike at chosen stamps by a teacher spike_array one step earlier (a 30 mV jump through a delay of
one step: the post spikes in the step the jump arrives). The plastic synapse (at most 1 mV) never makes
the post neuron spike by itself, so every spike time is known in advance. A channel's synapse sees the
pair at the interval ``dt = t_post - t_pre + (2 f - 1) d`` (f the dendritic delay fraction).

Tolerance 1e-9 relative (the done-when of issue 10): the engine's arithmetic is exact up to rounding
(about 1e-15 relative per update); the closed forms neglect the pairs across repetitions, which are
500 ms apart and weigh at most a_plus exp(-475 ms / 20 ms) = 5e-13 relative.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run_reference

MS, MV = 1e-3, 1e-3
DT_MS = 0.1
TAU = 20.0  # ms, tau_plus and tau_minus (tau_minus differs in one rule, below)
REPEAT_MS, REPEATS = 500.0, 5
W_MIN, W_MAX = 0.1, 1.0  # mV
RTOL = 1e-9


def _times(values) -> str:
    return "[" + ", ".join(f"{v:.1f} ms" for v in values) + "]"


def stdp_spec(channels: list[dict], rules: dict[str, dict], duration_ms: float, record: str = "") -> str:
    """One pre, teacher and post neuron per channel; one plastic projection per rule (the channels that
    name it, in order); ``channels[i]``: pre and post stamps (ms), delay (ms), initial weight (mV)."""
    pre = ", ".join(_times(c["pre"]) for c in channels)
    teacher = ", ".join(_times([t - DT_MS for t in c["post"]]) for c in channels)
    projections = []
    for name, rule in rules.items():
        members = [i for i, c in enumerate(channels) if c["rule"] == name]
        if not members:
            continue
        pairs = ", ".join(f"[{i}, {i}]" for i in members)
        weights = ", ".join(str(channels[i]["w0"]) for i in members)
        delays = ", ".join(str(channels[i]["delay"]) for i in members)
        params = ", ".join(f"{k}: {v}" for k, v in rule.items())
        projections.append(f"""  {name}:
    pre: pre
    post: post
    connect: {{rule: from_list, pairs: [{pairs}]}}
    synapse:
      weight: {{values: [{weights}], unit: mV}}
      delay: {{values: [{delays}], unit: ms}}
      plasticity: {{rule: stdp, w_min: {W_MIN} mV, w_max: {W_MAX} mV, {params}}}""")
    n = len(channels)
    return f"""
snnrun: "1.0"
name: stdp_protocol
simulation: {{duration: {duration_ms} ms, dt: {DT_MS} ms}}
populations:
  pre: {{size: {n}, model: {{type: spike_array, params: {{spike_times: [{pre}]}}}}}}
  teacher: {{size: {n}, model: {{type: spike_array, params: {{spike_times: [{teacher}]}}}}}}
  post:
    size: {n}
    model: {{type: lif_curr_delta, params: {{tau_m: 10 ms, v_rest: -65 mV, v_reset: -65 mV, v_thresh: -50 mV,
                                          tau_refrac: 0 ms}}}}
projections:
  drive:
    pre: teacher
    post: post
    connect: {{rule: one_to_one}}
    synapse: {{weight: 30 mV, delay: {DT_MS} ms}}
{chr(10).join(projections)}
record:
  - {{population: post, variable: spikes}}
{record}"""


def final_weights(output, rules) -> dict[str, np.ndarray]:
    return {name: output.final_weights[name].values[-1] / MV for name in rules if name in output.final_weights}


# -- closed forms ------------------------------------------------------------------------------------
def closed_form(w0: float, k: float, a: float, potentiate: bool, multiplicative: bool, n: int) -> float:
    """n equal updates of trace value k (mV): additive w +- a w_max k clipped once it reaches a bound
    (the updates go one way, so clipping each equals clipping the total); multiplicative: the distance
    to the bound shrinks by (1 - a k) per update, so w_max - (w_max - w0)(1 - a k)^n or
    w_min + (w0 - w_min)(1 - a k)^n."""
    if multiplicative:
        if potentiate:
            return W_MAX - (W_MAX - w0) * (1 - a * k) ** n
        return W_MIN + (w0 - W_MIN) * (1 - a * k) ** n
    if potentiate:
        return min(w0 + n * a * W_MAX * k, W_MAX)
    return max(w0 - n * a * W_MAX * k, W_MIN)


RULES = {}
for wd in ("additive", "multiplicative"):
    for pairing in ("all_to_all", "nearest"):
        for f in (0.0, 0.25, 0.5, 1.0):
            RULES[f"{wd[:3]}_{pairing[:3]}_{str(f).replace('.', '')}"] = {
                "tau_plus": "20 ms", "tau_minus": "20 ms", "a_plus": 0.05, "a_minus": 0.06,
                "weight_dependence": wd, "pairing": pairing, "dendritic_delay_fraction": f}


def _rule_of(name):
    r = RULES[name]
    return r["weight_dependence"] == "multiplicative", r["pairing"] == "nearest", r["dendritic_delay_fraction"]


def pair_channels():
    """Pairs at effective intervals of both signs and zero, with two delays (one giving a fractional
    2 f D for f = 0.25), two bounds reached by clipping; then the two three-spike patterns where the
    pairings differ (pre-pre-post, post-post-pre)."""
    channels = []
    for name in RULES:
        mult, nearest, f = _rule_of(name)
        for delay in (1.0, 0.5):
            shift = (2 * f - 1) * delay  # dt = t_post - t_pre + shift
            for interval, w0 in ((-30.0, 0.6), (-8.0, 0.6), (-0.3, 0.6), (0.0, 0.6), (0.3, 0.5), (5.0, 0.5),
                                 (25.0, 0.5), (4.0, 0.9), (-4.0, 0.2)):
                offset = round((interval - shift) / DT_MS) * DT_MS  # post stamps on the grid
                if interval == 0 and abs(offset + shift) > 1e-9:
                    continue  # 2 f d is not on the grid (f = 0.25, d = 0.5 ms): no zero interval
                pre = [50.0 + r * REPEAT_MS for r in range(REPEATS)]
                channels.append({"rule": name, "pre": pre, "post": [round(t + offset, 6) for t in pre],
                                 "delay": delay, "w0": w0, "kind": "pair", "interval": offset + shift})
        for kind in ("pre_pre_post", "post_post_pre"):
            base = [50.0 + r * REPEAT_MS for r in range(REPEATS)]
            shift = (2 * f - 1) * 1.0
            a, b, c = 0.0, 6.0, 10.0  # the spikes' effective times in a repetition
            if kind == "pre_pre_post":
                pre = sorted([t + a for t in base] + [t + b for t in base])
                post = [round(t + c - shift, 6) for t in base]
            else:
                post = sorted([round(t + a - shift, 6) for t in base] + [round(t + b - shift, 6) for t in base])
                pre = [t + c for t in base]
            channels.append({"rule": name, "pre": pre, "post": post, "delay": 1.0, "w0": 0.5, "kind": kind})
    return channels


def expected(channel) -> float:
    mult, nearest, _f = _rule_of(channel["rule"])
    a_plus, a_minus = RULES[channel["rule"]]["a_plus"], RULES[channel["rule"]]["a_minus"]
    w0 = channel["w0"]
    if channel["kind"] == "pair":
        dt = channel["interval"]
        if abs(dt) < 1e-9:  # a pair at zero interval counts for nothing
            return w0
        k = math.exp(-abs(dt) / TAU)
        return closed_form(w0, k, a_plus if dt > 0 else a_minus, dt > 0, mult, REPEATS)
    # the last spike pairs with the two before it (10 and 4 ms earlier), or only with the nearer one
    k = math.exp(-4.0 / TAU) + (0.0 if nearest else math.exp(-10.0 / TAU))
    potentiate = channel["kind"] == "pre_pre_post"
    return closed_form(w0, k, a_plus if potentiate else a_minus, potentiate, mult, REPEATS)


@pytest.fixture(scope="module")
def pair_run(tmp_path_factory):
    from snnrun.schema.loader import load_spec
    channels = pair_channels()
    path = tmp_path_factory.mktemp("stdp") / "pairs.yaml"
    path.write_text(stdp_spec(channels, RULES, REPEATS * REPEAT_MS + 20))
    output = run_reference(load_spec(path))
    return channels, output


def test_post_neurons_spike_exactly_at_the_protocol_stamps(pair_run):
    channels, output = pair_run
    ids, times = output.spikes["post"]
    for i, c in enumerate(channels):
        np.testing.assert_allclose(np.sort(times[ids == i]) / MS, sorted(c["post"]), atol=1e-9)


def test_pair_protocol_final_weights_match_the_closed_forms(pair_run):
    channels, output = pair_run
    got = final_weights(output, RULES)
    index = {name: 0 for name in RULES}
    checked = set()
    for c in channels:
        w = got[c["rule"]][index[c["rule"]]]
        index[c["rule"]] += 1
        want = expected(c)
        assert w == pytest.approx(want, rel=RTOL), (c["rule"], c["kind"], c.get("interval"), c["delay"], w, want)
        checked.add((c["kind"], np.sign(round(c.get("interval", 0.0), 9))))
        if want in (W_MIN, W_MAX):
            assert w == want, "a clipped weight sits exactly on its bound"
    # every sign of interval, the zero interval and both multi-spike patterns were covered
    assert {("pair", -1.0), ("pair", 0.0), ("pair", 1.0), ("pre_pre_post", 0.0), ("post_post_pre", 0.0)} <= checked


def test_clipping_and_both_weight_dependences_really_move_the_weight(pair_run):
    """The cases are not trivial: additive and multiplicative give different weights, and the clipped
    channels reach their bounds (so the tolerance above checks something)."""
    channels, output = pair_run
    got = final_weights(output, RULES)
    assert got["add_all_10"][7] == W_MAX and got["add_all_10"][8] == W_MIN
    assert abs(got["add_all_10"][5] - got["mul_all_10"][5]) > 1e-3
    assert abs(got["add_all_10"][5] - 0.5) > 0.05


# -- event-by-event oracle ---------------------------------------------------------------------------
def oracle_weight(pre_ms, post_ms, delay_ms, f, w0, rule, until_ms) -> float:
    """The synapse's weight from the semantics: arrivals at t_pre + (1 - f) d and t_post + f d, in time
    order, a pre before a post at the same time; each pairs with the strictly earlier arrivals of the
    other side (all of them, or the latest); each update clipped. The weight at ``until_ms`` as sampled
    is the synapse's at until - f d: pre arrivals up to then, post arrivals before then."""
    mult = rule["weight_dependence"] == "multiplicative"
    nearest = rule["pairing"] == "nearest"
    tau_p, tau_m = float(rule["tau_plus"].split()[0]), float(rule["tau_minus"].split()[0])
    a_p, a_m = rule["a_plus"], rule["a_minus"]
    limit = until_ms - f * delay_ms
    events = [(t + (1 - f) * delay_ms, 0) for t in pre_ms] + [(t + f * delay_ms, 1) for t in post_ms]
    events = sorted(e for e in events if e[0] < limit or (e[1] == 0 and e[0] <= limit + 1e-9))
    seen_pre, seen_post, w = [], [], w0
    for t, kind in events:
        others = [s for s in (seen_pre if kind else seen_post) if s < t - 1e-9]
        if nearest:
            others = others[-1:]
        tau = tau_p if kind else tau_m
        k = sum(math.exp(-(t - s) / tau) for s in others)
        if kind:  # post: potentiation
            w = w + (a_p * (W_MAX - w) if mult else a_p * W_MAX) * k
            seen_post.append(t)
        else:
            w = w - (a_m * (w - W_MIN) if mult else a_m * W_MAX) * k
            seen_pre.append(t)
        w = min(max(w, W_MIN), W_MAX)
    return w


def test_dense_trains_follow_the_event_oracle(tmp_path):
    """Random trains at about 40 Hz on both sides (the traces overlap, pairs tie at equal arrival times,
    weights hit both bounds), on the grid, for every rule; a different tau_minus for one rule."""
    from snnrun.schema.loader import load_spec
    rng = np.random.default_rng(5)
    rules = {name: dict(r) for name, r in RULES.items() if name.endswith(("_00", "_025", "_10"))}
    rules["add_all_10"]["tau_minus"] = "35 ms"
    channels = []
    for name, rule in rules.items():
        for _ in range(3):
            pre = np.unique(rng.integers(10, 3000, 24)) * 0.1 + 5.0
            post = np.unique(rng.integers(10, 3000, 24)) * 0.1 + 5.0
            delay = float(rng.choice([0.5, 1.0, 1.5]))
            f = rule["dendritic_delay_fraction"]
            # ties: post spikes whose arrival equals a pre arrival, where the grid allows it
            tie = (1 - 2 * f) * delay
            if abs(tie * 10 - round(tie * 10)) < 1e-9:
                post = np.unique(np.concatenate([post, pre[::6] + tie]))
                post = post[post >= 1.0]
            channels.append({"rule": name, "pre": np.round(pre, 6).tolist(), "post": np.round(post, 6).tolist(),
                             "delay": delay, "w0": float(rng.uniform(0.3, 0.8))})
    path = tmp_path / "dense.yaml"
    path.write_text(stdp_spec(channels, rules, 320.0))
    got = final_weights(run_reference(load_spec(path)), rules)
    index = {name: 0 for name in rules}
    moved = 0
    for c in channels:
        w = got[c["rule"]][index[c["rule"]]]
        index[c["rule"]] += 1
        rule = rules[c["rule"]]
        want = oracle_weight(c["pre"], c["post"], c["delay"], rule["dendritic_delay_fraction"], c["w0"], rule, 320.0)
        assert w == pytest.approx(want, rel=RTOL), (c["rule"], w, want)
        moved += abs(want - c["w0"]) > 0.05
    assert moved >= len(channels) // 2  # the trains change the weights, so the comparison means something
