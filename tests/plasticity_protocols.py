"""The plasticity protocols of the tests and conformance cases, and their closed forms, written from
schema/semantics.md ("Plasticity", "Short-term plasticity") and never from snnrun's code.

STDP protocol: each channel is one pre neuron (a spike_array) and one post neuron (lif_curr_delta) made
to spike at chosen stamps by a teacher spike_array one step earlier (a 30 mV jump through a delay of one
step: the post neuron spikes in the step the jump arrives). The plastic synapse (at most 1 mV) never
makes the post neuron spike by itself, so every spike time is known in advance. A channel's synapse sees
the pair at the interval ``dt = t_post - t_pre + (2 f - 1) d`` (f the dendritic delay fraction).

Units: ms and mV for STDP (weights in mV, voltage jumps), the spec's own units for Tsodyks-Markram.
"""

from __future__ import annotations

import math

DT_MS = 0.1
W_MIN, W_MAX = 0.1, 1.0  # mV
REPEAT_MS, REPEATS = 500.0, 5
TAU_MS = 20.0


def _times(values) -> str:
    return "[" + ", ".join(f"{v:.1f} ms" for v in values) + "]"


def stdp_spec(channels: list[dict], rules: dict[str, dict], duration_ms: float, name: str = "stdp_protocol",
              header: str = "", expect: str = "") -> str:
    """One pre, teacher and post neuron per channel; one plastic projection per rule (the channels that
    name it, in order); ``channels[i]``: ``pre`` and ``post`` stamps (ms), ``delay`` (ms), ``w0`` (mV)."""
    pre = ", ".join(_times(c["pre"]) for c in channels)
    teacher = ", ".join(_times([t - DT_MS for t in c["post"]]) for c in channels)
    projections = []
    for proj, rule in rules.items():
        members = [i for i, c in enumerate(channels) if c["rule"] == proj]
        if not members:
            continue
        pairs = ", ".join(f"[{i}, {i}]" for i in members)
        weights = ", ".join(str(channels[i]["w0"]) for i in members)
        delays = ", ".join(str(channels[i]["delay"]) for i in members)
        params = ", ".join(f"{k}: {v}" for k, v in rule.items())
        projections.append(f"""  {proj}:
    pre: pre
    post: post
    connect: {{rule: from_list, pairs: [{pairs}]}}
    synapse:
      weight: {{values: [{weights}], unit: mV}}
      delay: {{values: [{delays}], unit: ms}}
      plasticity: {{rule: stdp, w_min: {W_MIN} mV, w_max: {W_MAX} mV, {params}}}""")
    n = len(channels)
    return f"""{header}snnrun: "1.0"
name: {name}
simulation: {{duration: {duration_ms:g} ms, dt: {DT_MS} ms}}
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
{expect}"""


def rule(weight_dependence: str, pairing: str, fraction: float, a_plus: float = 0.05, a_minus: float = 0.06) -> dict:
    return {"tau_plus": f"{TAU_MS:g} ms", "tau_minus": f"{TAU_MS:g} ms", "a_plus": a_plus, "a_minus": a_minus,
            "weight_dependence": weight_dependence, "pairing": pairing, "dendritic_delay_fraction": fraction}


def repeated_updates(w0: float, k: float, a: float, potentiate: bool, multiplicative: bool, n: int) -> float:
    """n equal updates with trace value k (mV): additive ``w +- a w_max k`` clipped once a bound is reached
    (the updates go one way, so clipping each equals clipping the total); multiplicative: the distance to
    the bound shrinks by (1 - a k) per update: ``w_max - (w_max - w0)(1 - a k)^n`` or
    ``w_min + (w0 - w_min)(1 - a k)^n``."""
    if multiplicative:
        if potentiate:
            return W_MAX - (W_MAX - w0) * (1 - a * k) ** n
        return W_MIN + (w0 - W_MIN) * (1 - a * k) ** n
    if potentiate:
        return min(w0 + n * a * W_MAX * k, W_MAX)
    return max(w0 - n * a * W_MAX * k, W_MIN)


def pair_channel(proj: str, rule_: dict, interval: float, delay: float, w0: float):
    """A channel of REPEATS pairs at the effective interval ``interval`` (ms), or None when the post stamps
    cannot be on the grid at that interval (2 f d off the grid)."""
    shift = (2 * rule_["dendritic_delay_fraction"] - 1) * delay  # dt = t_post - t_pre + shift
    offset = round((interval - shift) / DT_MS) * DT_MS
    if abs(offset + shift - interval) > 1e-9 and interval == 0:
        return None
    pre = [50.0 + r * REPEAT_MS for r in range(REPEATS)]
    return {"rule": proj, "pre": pre, "post": [round(t + offset, 6) for t in pre], "delay": delay, "w0": w0,
            "kind": "pair", "interval": offset + shift}


def triplet_channel(proj: str, rule_: dict, kind: str, w0: float = 0.5, delay: float = 1.0) -> dict:
    """REPEATS times: pre, pre, post (``pre_pre_post``) or post, post, pre at effective times 0, 6 and
    10 ms: the last spike pairs with both earlier ones (all_to_all) or with the one 4 ms before (nearest)."""
    base = [50.0 + r * REPEAT_MS for r in range(REPEATS)]
    shift = (2 * rule_["dendritic_delay_fraction"] - 1) * delay
    if kind == "pre_pre_post":
        pre = sorted([t for t in base] + [t + 6.0 for t in base])
        post = [round(t + 10.0 - shift, 6) for t in base]
    else:
        post = sorted([round(t - shift, 6) for t in base] + [round(t + 6.0 - shift, 6) for t in base])
        pre = [t + 10.0 for t in base]
    return {"rule": proj, "pre": pre, "post": post, "delay": delay, "w0": w0, "kind": kind}


def expected_weight(channel: dict, rule_: dict) -> float:
    """The final weight (mV) of a pair or triplet channel. The pairs of neighbouring repetitions, 500 ms
    apart, are left out: they weigh at most a exp(-475 ms / 20 ms) = 5e-13 of w_max."""
    mult = rule_["weight_dependence"] == "multiplicative"
    nearest = rule_["pairing"] == "nearest"
    w0 = channel["w0"]
    if channel["kind"] == "pair":
        dt = channel["interval"]
        if abs(dt) < 1e-9:  # a pair at zero interval counts for nothing
            return w0
        return repeated_updates(w0, math.exp(-abs(dt) / TAU_MS), rule_["a_plus"] if dt > 0 else rule_["a_minus"],
                                dt > 0, mult, REPEATS)
    k = math.exp(-4.0 / TAU_MS) + (0.0 if nearest else math.exp(-10.0 / TAU_MS))
    potentiate = channel["kind"] == "pre_pre_post"
    return repeated_updates(w0, k, rule_["a_plus"] if potentiate else rule_["a_minus"], potentiate, mult, REPEATS)


# -- Tsodyks-Markram --------------------------------------------------------------------------------------
def tm_depressing(w: float, big_u: float, tau_rec: float, isi: float, n: int) -> list[float]:
    """tau_facil = 0: u = U at every spike and x_{k+1} = 1 - e + (1 - U) e x_k, e = exp(-isi/tau_rec), so
    x_k = x* + (1 - x*) q^(k-1) with q = (1 - U) e, x* = (1 - e) / (1 - q); amplitudes U x_k w."""
    e = math.exp(-isi / tau_rec)
    q = (1 - big_u) * e
    x_star = (1 - e) / (1 - q)
    return [big_u * w * (x_star + (1 - x_star) * q ** k) for k in range(n)]


def tm_facilitating(w: float, big_u: float, tau_rec: float, tau_facil: float, isi: float, n: int) -> list[float]:
    """u_k = U (1 - r^k) / (1 - r), r = (1 - U) exp(-isi/tau_facil) (the geometric sum of u's recursion);
    x from its recursion x_{k+1} = 1 + (x_k - x_k u_k - 1) exp(-isi/tau_rec), x_1 = 1; amplitudes u_k x_k w."""
    r = (1 - big_u) * math.exp(-isi / tau_facil)
    e = math.exp(-isi / tau_rec)
    out, x = [], 1.0
    for k in range(1, n + 1):
        u = big_u * (1 - r ** k) / (1 - r)
        out.append(u * x * w)
        x = 1 + (x - x * u - 1) * e
    return out


def summed(amplitudes: list[float], isi: float, tau_syn: float) -> list[float]:
    """The exponential synaptic state right after each arrival: the amplitudes so far, decayed."""
    return [sum(a * math.exp(-(n - j) * isi / tau_syn) for j, a in enumerate(amplitudes[:n + 1]))
            for n in range(len(amplitudes))]
