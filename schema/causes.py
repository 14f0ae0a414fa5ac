"""Why a backend's results differ from the reference engine's, as data: one :class:`Cause` per backend and
model type, each quoting the section of ``schema/semantics.md`` that documents it.

The comparison report puts the cause next to every graded number ("pynn:neuron: Crank-Nicolson
integration, second order: v within 2e-6 relative after 50 ms ..."), so a reader sees whether a
difference is the documented residual of that backend or something new. ``tests/test_causes.py`` checks
that every (backend, model) pair an adapter's capabilities claim has a cause here, and that each cause's
``quote`` is text of its ``section`` in semantics.md: the table cannot drift from the documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

SEMANTICS = "schema/semantics.md"


@dataclass(frozen=True)
class Cause:
    """``text``: the mechanism; ``residual``: the measured size of what it leaves; ``section``: the heading
    in semantics.md (without the ``#``); ``quote``: words of that section that say it."""

    text: str
    residual: str
    section: str
    quote: str

    @property
    def anchor(self) -> str:
        """GitHub-style anchor of ``section``: ``'pynn (pynn:nest, ...)' -> 'pynn-pynnnest-...'``."""
        keep = "".join(c for c in self.section.lower() if c.isalnum() or c in " -_")
        return keep.replace(" ", "-")

    def as_dict(self) -> dict:
        return {"text": self.text, "residual": self.residual, "section": self.section,
                "link": f"{SEMANTICS}#{self.anchor}"}

    def line(self, backend: str) -> str:
        """One line for reports and failing checks."""
        return f"{backend}: {self.text}; expected: {self.residual} ({SEMANTICS}, \"{self.section}\")"


LIF = ("lif_curr_exp", "lif_curr_alpha", "lif_curr_delta")
NONLINEAR = ("lif_cond_exp", "lif_cond_alpha", "adex_cond_exp", "adex_cond_alpha", "izhikevich", "hh_cond_exp")
NIR = "norse and snntorch (through NIR)"
SOURCES = ("poisson", "inhomogeneous_poisson", "spike_array")
PYNN = "pynn (pynn:nest, pynn:neuron, pynn:brian2)"

_REFERENCE = Cause("the reference engine defines what a spec means (exact propagators on the grid)",
                   "nothing: it is the oracle", "Backends", "implements the rules above exactly")
_BRIAN2 = Cause("Brian2's sympy closed form instead of the reference's propagators, synaptic inputs added "
                "one at a time", "rounding: membrane within 4e-15 V, identical spike steps unless a crossing "
                "lies within about 1e-15 V of v_thresh", "brian2", "membrane traces within 4e-15 V of")
_BRIAN2_NONLINEAR = Cause("Brian2's rk4 with the exact stage conductances of the reference's scheme, in its own "
                          "arithmetic (sympy-reordered right-hand sides, SI units)", "rounding: v within 4.5e-16 V "
                          "(lif_cond, AdEx), 1.7e-13 V (Izhikevich), 2.1e-12 V (HH), identical spike steps",
                          "brian2", "identical spike steps everywhere; `v` within 4.5e-16 V")
_BRIAN2_SOURCES = Cause("the drawn stamps are replayed by a SpikeGeneratorGroup one step early, as Brian2 "
                        "stamps spikes at the start of a step", "none: identical stamps", "brian2",
                        "is given to the SpikeGeneratorGroup as the time")
_NENGO = Cause("ExactLIF in nengo's normalised units (an affine map of v), its own rounding",
               "rounding: |v - v_reference| <= 2.3e-16 V, identical spike stamps seen on every spec", "nengo",
               "|v - v_reference| <= 2.3e-16 V")
_NENGO_NUMERICS = Cause("the reference's own numerics functions, stepped by a nengo NeuronType per family",
                        "none measured: spike stamps and traces bit for bit equal (inputs arriving together are "
                        "summed in another order)", "nengo",
                        "Spike stamps and every trace bit for bit equal to the reference's")
_NENGO_SOURCES = Cause("the drawn stamps are replayed by a SpikeTrainSource process", "none: identical stamps",
                       "nengo", "outputs `1/dt` in nengo step `s` for a stamp `s dt`")
_NEST = Cause("NEST's grid models (iaf_psc_*) with the same exact propagators and order of operations",
              "rounding: traces within 5e-16 V, identical spike steps", PYNN, "traces within 5e-16 V and 2e-24 A")
_NEST_SOURCES = Cause("the drawn stamps are replayed by native spike_generators", "none: identical stamps", PYNN,
                      "gives sources as native `spike_generator`s with the stamps themselves")
_NEST_COND = Cause("NEST's iaf_cond_exp/iaf_cond_alpha integrate with GSL's adaptive rkf45 (absolute 1e-3 mV, nS) "
                   "instead of RK4", "v within 2e-10 V, identical spike steps on the lif_cond cases", PYNN,
                   "Identical spike steps on every lif_cond case, v within 2e-10 V")
_NEST_ADEX = Cause("NEST's aeif models reset inside the step at the crossing (the reference at the stamp), so w "
                   "misses the rest of the spike step's growth", "w 0.11 pA lower per spike: stamps one step early "
                   "after several spikes, rates within 0.11 %", PYNN, "**resets inside the step**")
_NEST_IZHIKEVICH = Cause("NEST's izhikevich is forward Euler (the reference's integrator euler reproduces it), "
                         "not RK4", "first order: 4 % fewer spikes on izhikevich_currents at dt 0.1 ms; identical "
                         "to the reference with integrator euler", PYNN,
                         "**the reference with `integrator: euler` gives NEST's spike steps exactly**")
_NEST_HH = Cause("NEST's hh_cond_exp_traub stamps a spike one step after its peak (V >= V_T + 30 mV and falling), "
                 "not at the upward -20 mV crossing", "stamps 1-2 steps late, the same counts; recurrent inputs "
                 "0.2 ms late", PYNN, "**and V fell during the step**")
_PYNN_BRIAN2 = Cause("Brian2's exact solver through PyNN, threshold v > v_thresh (the reference: >=)",
                     "rounding: traces within 2e-15 V, identical spike steps", PYNN, "traces within 2e-15 V")
_PYNN_BRIAN2_ALPHA = Cause("Brian2's closed form of the alpha current divides by the fourth power of "
                           "tau_syn - tau_m", "accuracy lost as tau_syn nears tau_m (3e-9 relative at 5 % apart; "
                           "check refuses closer)", PYNN, "for an alpha current it divides by the fourth power")
_PYNN_BRIAN2_SOURCES = Cause("the drawn stamps are replayed by a SpikeGeneratorGroup one step early",
                              "none: identical stamps", PYNN,
                              "hands source stamps to the SpikeGeneratorGroup at `stamp - dt`")
_NEURON_EXP = Cause("NEURON's Crank-Nicolson integration (second order, not exact), ExpISyn's step-held "
                    "current corrected through the weights", "v within 2e-6 relative after 50 ms: a threshold "
                    "crossing that close to a step boundary moves by one step; PSPs within 5e-6 relative", PYNN,
                    "*Crank-Nicolson is second order, not exact*")
_NEURON_ALPHA = Cause("NEURON's Crank-Nicolson integration with the alpha current taken at the middle of the "
                      "step", "about (dt/tau_syn)^2 e/12 relative per PSP (0.9 % at 0.5 ms), spikes one step "
                      "apart where a crossing is that close", PYNN, "*Alpha currents* are evaluated at the middle")
_NEURON_SOURCES = Cause("the drawn stamps are replayed as NetCon events, delays shortened by 1e-6 dt so that "
                        "every arrival is on its step", "none: identical stamps", PYNN,
                        "Delays are shortened by 1e-6 dt")

_NEURON_NONLINEAR_SECTION = "pynn:neuron: nonlinear models"
_NEURON_COND = Cause("NEURON's Crank-Nicolson integration (second order) of PyNN's conductance cells, ExpSyn's "
                     "step-held conductance corrected through the weights", "identical spike steps on the "
                     "conformance cases, v within 1.7e-7 V of the reference after a conductance PSP",
                     _NEURON_NONLINEAR_SECTION, "identical spike steps on every conformance case")
_NEURON_ADEX = Cause("NEURON's Crank-Nicolson integration of PyNN's AdExpIF", "identical steps under currents "
                     "and input spikes, a drift of 2 steps by the 8th spike at 1 nA", _NEURON_NONLINEAR_SECTION,
                     "at 1 nA a drift of 2 steps")
_NEURON_IZH = Cause("NEURON's Crank-Nicolson integration of PyNN's Izhikevich mechanism (u staggered half a "
                    "step)", "interspike intervals 0.3-1.4 % long at dt 0.1 ms", _NEURON_NONLINEAR_SECTION,
                    "interspike intervals 0.3-1.4 % long")
_NEURON_HH = Cause("NEURON's Crank-Nicolson integration of PyNN's hh_traub with exact rates, -20 mV crossing",
                   "interspike intervals 0.5-0.8 % long at dt 0.1 ms", _NEURON_NONLINEAR_SECTION, "intervals 0.5-0.8 % long")

_NIR_TORCH = Cause("forward Euler at dt in float32 through the framework's NIR import (current first, reset "
                   "to v_rest, threshold v > v_thresh)", "first order: spike times drift by O(dt); 98.8 % of the "
                   "spikes of specs/nir_lif.yaml within 1 ms, the first leaving the reference's step at 31 ms",
                   NIR, "Spike times drift by O(dt)")
_NIR_TORCH_SOURCES = Cause("the drawn stamps are fed as unit spikes on input channels, one per source neuron "
                           "and delay", "none: identical stamps", NIR, "a channel per source neuron and delay")

#: (backend, model type) -> Cause
CAUSES: dict[tuple[str, str], Cause] = {
    **{("reference", m): _REFERENCE for m in LIF + NONLINEAR + SOURCES},
    **{(b, m): _NIR_TORCH for b in ("norse", "snntorch") for m in ("lif_curr_exp", "lif_curr_delta")},
    **{(b, m): _NIR_TORCH_SOURCES for b in ("norse", "snntorch") for m in SOURCES},
    **{("brian2", m): _BRIAN2 for m in LIF}, **{("brian2", m): _BRIAN2_NONLINEAR for m in NONLINEAR},
    **{("brian2", m): _BRIAN2_SOURCES for m in SOURCES},
    **{("nengo", m): _NENGO for m in LIF}, **{("nengo", m): _NENGO_SOURCES for m in SOURCES},
    **{("nengo", m): _NENGO_NUMERICS for m in NONLINEAR},
    **{("pynn:nest", m): _NEST for m in LIF}, **{("pynn:nest", m): _NEST_SOURCES for m in SOURCES},
    ("pynn:nest", "lif_cond_exp"): _NEST_COND, ("pynn:nest", "lif_cond_alpha"): _NEST_COND,
    ("pynn:nest", "adex_cond_exp"): _NEST_ADEX, ("pynn:nest", "adex_cond_alpha"): _NEST_ADEX,
    ("pynn:nest", "izhikevich"): _NEST_IZHIKEVICH, ("pynn:nest", "hh_cond_exp"): _NEST_HH,
    ("pynn:brian2", "lif_curr_exp"): _PYNN_BRIAN2, ("pynn:brian2", "lif_curr_delta"): _PYNN_BRIAN2,
    ("pynn:brian2", "lif_curr_alpha"): _PYNN_BRIAN2_ALPHA,
    **{("pynn:brian2", m): _PYNN_BRIAN2_SOURCES for m in SOURCES},
    ("pynn:neuron", "lif_curr_exp"): _NEURON_EXP, ("pynn:neuron", "lif_curr_alpha"): _NEURON_ALPHA,
    **{("pynn:neuron", m): _NEURON_SOURCES for m in SOURCES},
    ("pynn:neuron", "lif_cond_exp"): _NEURON_COND, ("pynn:neuron", "lif_cond_alpha"): _NEURON_COND,
    ("pynn:neuron", "adex_cond_exp"): _NEURON_ADEX, ("pynn:neuron", "adex_cond_alpha"): _NEURON_ADEX,
    ("pynn:neuron", "izhikevich"): _NEURON_IZH, ("pynn:neuron", "hh_cond_exp"): _NEURON_HH,
}


def cause(backend: str, model: Optional[str]) -> Optional[Cause]:
    """The documented cause of ``backend``'s differences on a population of ``model`` (None: unknown)."""
    return CAUSES.get((backend, model)) if model else None


POISSON_INPUT = "Poisson input (`poisson_input`)"
_POISSON_DRAWS = Cause("each backend draws the events of the spec's Poisson inputs with its own generator, so "
                       "the runs are two draws of one network", "statistical agreement only: rates and CV within "
                       "the profile's limits, spike-level metrics as far apart as two draws", POISSON_INPUT,
                       "each backend draws the counts with its own generator")


def cause_with_poisson_input(backend: str, model: Optional[str]) -> Cause:
    """The cause of ``backend``'s differences in a spec with Poisson inputs: the independent draws, which
    outweigh any numerical residual; the model's own cause (if documented) follows as the lesser one."""
    beneath = cause(backend, model)
    if beneath is None or beneath is _REFERENCE:
        return _POISSON_DRAWS
    return Cause(f"{_POISSON_DRAWS.text}; beneath the draws: {beneath.text}", _POISSON_DRAWS.residual,
                 _POISSON_DRAWS.section, _POISSON_DRAWS.quote)
