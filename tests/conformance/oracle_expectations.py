"""Expectations of the nonlinear models' conformance cases, from the solve_ivp oracles of
tests/oracles.py (the models' equations written out independently of snnrun, at rtol 1e-10), never from
the reference engine's output.

    python tests/conformance/oracle_expectations.py specs/conformance/izhikevich_*.yaml          # print
    python tests/conformance/oracle_expectations.py --write specs/conformance/izhikevich_*.yaml  # rewrite
    python tests/conformance/oracle_expectations.py --hh-spike nest_peak specs/conformance/hh_*.yaml

``--hh-spike nest_peak`` gives the expectations under NEST's hh_cond_exp_traub spike rule instead of the
-20 mV crossing (PeakNeuron: the rule applied to the oracle's state at every grid time), for comparing
pynn:nest with the network that rule makes (tests/test_conformance.py, ``oracle_hh_spike``).

The case's network is drawn by snnrun (instantiate: the same connectivity, parameters, initial values,
source stamps and stimulus schedules every backend gets); its dynamics are the oracle's: every neuron
is integrated on its own between grid events, window by window of the shortest recurrent delay (a spike
can only reach another neuron a full delay later). The spec's ``expect:`` block (the last block of
the file) lists, per population, the spike count and, for the neurons named in the comment line
``# oracle: spike_times <population> <neuron> ...``, every spike stamp with a tolerance of one step.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import oracles  # noqa: E402
from snnrun.instance import instantiate  # noqa: E402
from snnrun.schema.loader import load_spec  # noqa: E402

MV, MS, NS, PF, PA = 1e3, 1e3, 1e9, 1e12, 1e12
_ALPHA_INDEX = {"lif_cond_alpha": (3, 4), "adex_cond_alpha": (4, 5)}
_G_INDEX = {"lif_cond_exp": (1, 2), "lif_cond_alpha": (1, 2), "adex_cond_exp": (2, 3), "adex_cond_alpha": (2, 3),
            "hh_cond_exp": (4, 5)}


@dataclass
class PeakNeuron(oracles.Neuron):
    """An HH oracle neuron with NEST's hh_cond_exp_traub rule: a spike stamped at grid time k when, outside
    a dead time, v(k) >= v_offset + 30 mV and v(k) < v(k - 1); then ``dead_steps`` steps without
    detection (t_ref, 2 ms). Integrated grid step by grid step (no event function)."""

    peak_level: float = 0.0
    dead_steps: int = 20
    dead: int = 0

    def advance(self, to_step: int) -> None:
        while self.step < to_step:
            v_old = self.y[0]
            super().advance(self.step + 1)
            if self.dead:
                self.dead -= 1
            elif self.y[0] >= self.peak_level and self.y[0] < v_old:
                self.spikes.append(self.step)
                self.dead = self.dead_steps


def _cell(model: str, p: dict, j: int, initial: dict, dt_ms: float, currents: dict, hh_spike: str = "crossing"):
    """The oracle neuron j of a population: its right-hand side, initial state and reset."""
    q = {k: float(np.asarray(v)[j]) for k, v in p.items()}
    y0 = {k: float(v[j]) for k, v in initial.items()}
    ref = round(q.get("tau_refrac", 0.0) / (dt_ms / MS))
    if model in ("lif_cond_exp", "lif_cond_alpha", "adex_cond_exp", "adex_cond_alpha"):
        alpha = model.endswith("alpha")
        c = dict(cm=q["cm"] * PF, tau_m=q["tau_m"] * MS, v_rest=q["v_rest"] * MV, v_reset=q["v_reset"] * MV,
                 e_exc=q["e_rev_exc"] * MV, e_inh=q["e_rev_inh"] * MV, tau_e=q["tau_syn_exc"] * MS,
                 tau_i=q["tau_syn_inh"] * MS, v_thresh=q["v_thresh"] * MV)
        g = [y0["g_exc"] * NS, y0["g_inh"] * NS] + ([0.0, 0.0] if alpha else [])
        if model.startswith("lif"):
            def reset(y, v_reset=c["v_reset"]):
                y = np.array(y, float)
                y[0] = v_reset
                return y
            return oracles.Neuron(oracles.lif_cond(c, alpha), [y0["v"] * MV] + g, dt_ms, c["v_thresh"], reset=reset,
                                  refractory_steps=ref, currents=currents)
        c.update(v_spike=q["v_spike"] * MV, delta_t=q["delta_t"] * MV, a=q["a"] * NS, b=q["b"] * PA,
                 tau_w=q["tau_w"] * MS)

        def reset(y, c=c):
            y = np.array(y, float)
            y[0], y[1] = c["v_reset"], y[1] + c["b"]
            return y
        return oracles.Neuron(oracles.adex(c, alpha), [y0["v"] * MV, y0["w"] * PA] + g, dt_ms, c["v_spike"],
                              reset=reset, refractory_steps=ref, currents=currents)
    if model == "izhikevich":
        a, b, cc, d = q["a"], q["b"], q["c"] * MV, q["d"]
        return oracles.Neuron(oracles.izhikevich(a, b), [y0["v"] * MV, y0["u"]], dt_ms, 30.0,
                              reset=lambda y: np.array([cc, y[1] + d]), currents=currents)
    if model == "hh_cond_exp":
        c = dict(cm=q["cm"] * PF, g_leak=q["g_leak"] * NS, gbar_na=q["gbar_na"] * NS, gbar_k=q["gbar_k"] * NS,
                 e_leak=q["e_rev_leak"] * MV, e_na=q["e_rev_na"] * MV, e_k=q["e_rev_k"] * MV,
                 v_offset=q["v_offset"] * MV, e_exc=q["e_rev_exc"] * MV, e_inh=q["e_rev_inh"] * MV,
                 tau_e=q["tau_syn_exc"] * MS, tau_i=q["tau_syn_inh"] * MS)
        state = [y0["v"] * MV, y0["m"], y0["h"], y0["n"], y0["g_exc"] * NS, y0["g_inh"] * NS]
        if hh_spike == "nest_peak":
            return PeakNeuron(oracles.hh(c), state, dt_ms, math.inf, kind="crossing", currents=currents,
                              method=oracles.STIFF_METHOD, peak_level=c["v_offset"] + 30.0,
                              dead_steps=round(2.0 / dt_ms))
        return oracles.Neuron(oracles.hh(c), state, dt_ms, -20.0, kind="crossing", currents=currents,
                              method=oracles.STIFF_METHOD)
    raise ValueError(f"no oracle for {model}")


def _jump(model: str, p: dict, post: int, receptor: str, weight: float, n_state: int) -> np.ndarray:
    """What a spike of weight ``weight`` (SI) adds to the oracle state of neuron ``post``."""
    jump = np.zeros(n_state)
    if model == "izhikevich":
        jump[0] = weight * MV
        return jump
    channel = 0 if receptor == "exc" else 1
    if model in _ALPHA_INDEX:
        tau = float(np.asarray(p["tau_syn_" + receptor])[post]) * MS
        jump[_ALPHA_INDEX[model][channel]] = weight * NS * math.e / tau
    else:
        jump[_G_INDEX[model][channel]] = weight * NS
    return jump


def _currents(inst, pop, j: int) -> dict[int, float]:
    """Injected current (pA) of neuron j of ``pop`` from each change step on: i_offset plus stimuli."""
    base = float(np.asarray(pop.params["i_offset"])[j]) * PA
    changes = {0: base}
    stims = [s for s in inst.stimuli.values() if s.population == pop.name and j in set(s.neurons.tolist())]
    steps = sorted({max(0, int(k)) for s in stims for k in s.change_steps if k < inst.n_steps})
    for k in steps:
        total = base
        for s in stims:
            active = [a for c, a in zip(s.change_steps, s.amplitudes) if c <= k]
            total += (active[-1] if active else 0.0) * PA
        changes[k] = total
    return changes


def oracle_stamps(path: Path, hh_spike: str = "crossing") -> tuple[object, dict[str, list[list[int]]]]:
    """(spec, population -> per neuron the oracle's spike stamps as step numbers)."""
    spec = load_spec(path)
    inst = instantiate(spec)
    dt_ms = inst.dt * MS
    neurons = {name: [_cell(pop.type, pop.params, j, pop.initial, dt_ms, _currents(inst, pop, j), hh_spike)
                      for j in range(pop.size)]
               for name, pop in inst.populations.items() if not pop.model.is_source}
    out_syn: dict[str, list] = {}
    recurrent = []
    for proj in inst.projections.values():
        post_pop = inst.populations[proj.post_population]
        table = [(proj.post_population, int(j), _jump(post_pop.type, post_pop.params, int(j), proj.receptor, float(w),
                                                     neurons[proj.post_population][int(j)].y.size), int(d))
                 for j, w, d in zip(proj.post, proj.weight, proj.delay_steps)]
        by_pre: dict[int, list] = {}
        for i, entry in zip(proj.pre, table):
            by_pre.setdefault(int(i), []).append(entry)
        out_syn.setdefault(proj.pre_population, []).append(by_pre)
        if proj.pre_population in neurons:
            recurrent.append(int(proj.delay_steps.min()))
        else:  # a source: its arrivals are known from the start
            src = inst.populations[proj.pre_population].spikes
            for i, stamp in zip(src.neuron_ids(), src.steps):
                for post_pop, j, jump, d in by_pre.get(int(i), ()):
                    neurons[post_pop][j].add_jump(int(stamp) + d, jump)
    window = min(recurrent) if recurrent else inst.n_steps
    seen = {name: [0] * len(cells) for name, cells in neurons.items()}
    for start in range(0, inst.n_steps, window):
        end = min(start + window, inst.n_steps)
        for name, cells in neurons.items():
            for cell in cells:
                cell.advance(end)
        for name, cells in neurons.items():
            for i, cell in enumerate(cells):
                new, seen[name][i] = cell.spikes[seen[name][i]:], len(cell.spikes)
                for stamp in new:
                    for by_pre in out_syn.get(name, ()):
                        for post_pop, j, jump, d in by_pre.get(i, ()):
                            if stamp + d <= inst.n_steps:
                                neurons[post_pop][j].add_jump(stamp + d, jump)
    return spec, {name: [[s for s in c.spikes if s <= inst.n_steps] for c in cells] for name, cells in neurons.items()}


def _ms(steps, dt_ms: float) -> str:
    return ", ".join(f"{round(s * dt_ms, 6):g} ms" for s in steps)


def expectations(path: Path, hh_spike: str = "crossing") -> list[str]:
    """The ``expect:`` block of a case, as YAML lines."""
    spec, stamps = oracle_stamps(path, hh_spike)
    dt_ms = spec.simulation.dt * MS
    wanted: list[tuple[str, int]] = []
    for line in path.read_text().splitlines():
        if line.startswith("# oracle: spike_times"):
            words = line.split()[3:]
            wanted += [(words[0], int(n)) for n in words[1:]]
    rule = "" if hh_spike == "crossing" else f", hh spike rule {hh_spike}"
    lines = [f"expect:  # from tests/conformance/oracle_expectations.py (solve_ivp oracle{rule}); one step of tolerance"]
    for pop, cells in stamps.items():
        lines.append(f"  - {{population: {pop}, metric: spike_count, equals: {sum(len(c) for c in cells)}}}")
    for pop, n in wanted:
        s = stamps[pop][n]
        if s:
            lines.append(f"  - {{population: {pop}, metric: spike_times, neurons: [{n}], equals: [{_ms(s, dt_ms)}],"
                         f" tolerance: {dt_ms:g} ms}}")
        else:
            lines.append(f"  - {{population: {pop}, metric: spike_count, neurons: [{n}], equals: 0}}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace each case's expect: block")
    parser.add_argument("--hh-spike", choices=["crossing", "nest_peak"], default="crossing",
                        help="HH spike rule (default: the -20 mV crossing of semantics.md)")
    parser.add_argument("cases", nargs="+", type=Path)
    args = parser.parse_args()
    for path in args.cases:
        lines = expectations(path, args.hh_spike)
        if args.write:
            text = path.read_text().splitlines()
            head = text[:next((i for i, ln in enumerate(text) if ln.startswith("expect:")), len(text))]
            path.write_text("\n".join(head + lines) + "\n")
        print(f"# {path}\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
