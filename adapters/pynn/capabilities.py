"""What pyNN.nest, pyNN.neuron and pyNN.brian2 can run through snnrun, as data (no simulator import).

Every spec feature absent from a simulator's :class:`~snnrun.adapters.base.Capabilities` is unsupported,
and ``reasons`` says why, so ``snnrun check`` can print it next to the spec path. The facts behind the
entries were measured with PyNN 0.13.0, NEST 3.10.0, NEURON 9.0.2 and Brian2 2.9.0 (see semantics.md).
"""

from __future__ import annotations

from types import MappingProxyType

from ...schema import catalogue as cat
from ..base import Capabilities

SOURCES = frozenset({"poisson", "inhomogeneous_poisson", "spike_array"})
CURRENT_LIF = frozenset({"lif_curr_exp", "lif_curr_alpha"})

#: the conductance, AdEx, Izhikevich and HH models: pynn:nest and pynn:neuron run them (semantics.md,
#: "pynn:nest: the nonlinear models", "pynn:neuron: nonlinear models"); pynn:brian2 refuses each (below)
NONLINEAR = frozenset({"lif_cond_exp", "lif_cond_alpha", "adex_cond_exp", "adex_cond_alpha", "izhikevich",
                       "hh_cond_exp"})

#: pynn:nest runs STDP and Tsodyks-Markram through NEST's own synapse models (nest_plasticity.py)
_NEST_PLASTICITY = frozenset({"stdp", "stdp:multiplicative", "tsodyks_markram"})
_NEST_PLASTICITY_REASONS = {
    "plasticity:stdp:nearest": "NEST's stdp_nn_symm_synapse pairs nearest neighbours as semantics.md does, but "
                               "starts its last pre spike time at 0: post spikes before a synapse's first pre "
                               "spike pair with a phantom pre spike at t = 0 (measured on stdp_pairing_triplets: "
                               "0.261526 mV where the rule gives 0.254381 mV); the reference engine runs it",
    "plasticity:stdp:axonal_delay": "NEST counts the whole delay as dendritic (stdp_synapse pairs t_post + d "
                                    "with t_pre): only dendritic_delay_fraction 1 (axonal delays exist only in "
                                    "an open NEST pull request, nest#2989); the reference engine and "
                                    "pynn:neuron run other fractions",
    "plasticity:stdp+tsodyks_markram": "no NEST synapse model combines STDP and Tsodyks-Markram on one synapse",
    "stdp:tau_minus": "tau_minus is a parameter of NEST's post neuron, not of the synapse: every STDP "
                      "projection onto one population must have the same tau_minus",
    "stdp:multapses": "the adapter reads NEST's plastic weights back by (pre, post) node pair, so two STDP "
                      "synapses between one pair of neurons cannot be told apart",
    "stdp:a_plus_zero": "NEST's stdp_synapse scales depression by alpha * lambda with lambda the "
                        "potentiation step: a_plus 0 with a_minus > 0 cannot be expressed",
}


def _recordables(models) -> dict[str, frozenset[str]]:
    return {m: frozenset(cat.MODELS[m].state) for m in models if m not in SOURCES}


#: the six nonlinear models run on NEST's iaf_cond_exp, iaf_cond_alpha, aeif_cond_exp, aeif_cond_alpha,
#: izhikevich and hh_cond_exp_traub (nest_session.py; integrators and spike rules in semantics.md)
_NEST_MODELS = CURRENT_LIF | {"lif_curr_delta"} | NONLINEAR | SOURCES
NEST = Capabilities(
    models=frozenset(_NEST_MODELS),
    stimuli=frozenset(cat.STIMULI),
    recordables=_recordables(_NEST_MODELS),
    plasticity=_NEST_PLASTICITY,
    record_weights=True,
    reasons=MappingProxyType({
        **_NEST_PLASTICITY_REASONS,
        "initial:i_syn": "synaptic currents always start at 0: NEST refuses to set I_syn_ex/I_syn_in",
        "initial:g_hh": "hh_cond_exp's conductances always start at 0 on NEST: hh_cond_exp_traub records g_ex "
                        "and g_in but refuses to set them",
        "weight_sign": "NEST's iaf_psc_exp/iaf_psc_alpha route a current input by the sign of its weight "
                       "(>= 0 excitatory, < 0 inhibitory), PyNN's convention: weights onto receptor "
                       "'exc' must be >= 0 and onto 'inh' <= 0",
    }),
)

#: pynn:neuron runs STDP and Tsodyks-Markram through PyNN's NMODL weight adjusters (neuron_plasticity.py)
_NEURON_PLASTICITY = frozenset({"stdp", "stdp:multiplicative", "stdp:axonal_delay", "tsodyks_markram"})
_NEURON_PLASTICITY_REASONS = {
    "plasticity:stdp:nearest": "pyNN.neuron has no nearest-pairing weight adjuster (StdwaSA, StdwaSoft and "
                               "StdwaGuetig pair all to all); the reference engine runs it",
    "plasticity:stdp+tsodyks_markram": "pyNN.neuron's weight adjusters each own the NetCon's weight: STDP and "
                                       "Tsodyks-Markram cannot act on one synapse",
}

#: pyNN.neuron's nonlinear cell types, brought to semantics.md by neuron_cells.py
_NEURON_MODELS = CURRENT_LIF | NONLINEAR | SOURCES
NEURON = Capabilities(
    models=frozenset(_NEURON_MODELS),
    stimuli=frozenset(cat.CURRENT_STIMULI),
    recordables=_recordables(_NEURON_MODELS),
    plasticity=_NEURON_PLASTICITY,
    record_weights=True,
    reasons=MappingProxyType({
        **_NEURON_PLASTICITY_REASONS,
        "lif_curr_delta": "pyNN.neuron 0.13 has no IF_curr_delta (PyNN declares it ModelNotAvailable)",
        "poisson_input": "not wired on pynn:neuron (a NetStim per neuron would give at most one event per "
                         "step per NetStim); the reference engine, pynn:nest and brian2 run it",
        "initial:i_syn": "synaptic currents always start at 0: NEURON's ExpISyn/AlphaISyn set them to 0 "
                         "at initialisation",
    }),
)

#: pyNN.brian2 0.13's nonlinear cell types, checked in pyNN/brian2/cells.py and by running them (PyNN 0.13.0,
#: Brian2 2.9.0): each departs from semantics.md in a way PyNN gives no handle on; the brian2 backend runs
#: all six to the contract
_BRIAN2_EULER = ("pyNN.brian2 0.13 leaves the integration method to Brian2's automatic choice among "
                 "('exact', 'euler', 'heun') (pyNN/brian2/cells.py:64), which takes forward Euler for {cell} "
                 "(checked), not RK4 with exact conductances (semantics.md); use the brian2 backend")
_BRIAN2_ADEX = ("pyNN.brian2 0.13's {cell} (AdaptiveNeuronGroup, pyNN/brian2/cells.py:131-144) fires at "
                "v > v_thresh + 5 delta_T and ignores v_spike, takes v_thresh, delta_T, v_reset, b and tau_refrac "
                "of neuron 0 for every neuron, and integrates with rk2 without bounding the exponential term "
                "(checked); use the brian2 backend")
_BRIAN2_NONLINEAR = {
    "lif_cond_exp": _BRIAN2_EULER.format(cell="IF_cond_exp"),
    "lif_cond_alpha": _BRIAN2_EULER.format(cell="IF_cond_alpha"),
    "adex_cond_exp": _BRIAN2_ADEX.format(cell="EIF_cond_exp_isfa_ista"),
    "adex_cond_alpha": _BRIAN2_ADEX.format(cell="EIF_cond_alpha_isfa_ista"),
    "izhikevich": "pyNN.brian2 0.13's Izhikevich (IzhikevichNeuronGroup, pyNN/brian2/cells.py:235-245) resets "
                  "every neuron with c and d of neuron 0 and is integrated with forward Euler without the bound "
                  "V = min(v, 30 mV) (checked); use the brian2 backend",
    "hh_cond_exp": "pyNN.brian2 0.13's HH_cond_exp (BiophysicalNeuronGroup, pyNN/brian2/cells.py:108-115) fires "
                   "whenever v > -40 mV with no refractoriness, i.e. a spike every step above -40 mV (1066 spikes "
                   "in 100 ms at 1 nA, dt 0.01 ms, checked), and is integrated with forward Euler; use the brian2 "
                   "backend",
}

#: pyNN.brian2 0.13's plasticity (pyNN/brian2/standardmodels/synapses.py, simulator-traps.md B and C);
#: the brian2 backend runs the rules to the contract
_BRIAN2_PLASTICITY_REASONS = {
    "plasticity:stdp": "pyNN.brian2 0.13's STDPMechanism accepts only dendritic_delay_fraction 0 (PyNN#803; "
                       "snnrun's default is 1), runs 'multiplicative' as additive (its equations are hard-coded, "
                       "synapses.py:90-143) and lets a pre and a post spike of the same step potentiate; use the "
                       "brian2 backend",
    "short_term:tsodyks_markram": "pyNN.brian2 0.13's TsodyksMarkramSynapse is broken (dz/dt = z/tau_rec leaves "
                                  "z at 0 and u = min(u, U) removes facilitation: amplitudes 1, 0.90, 0.91 where "
                                  "NEST gives 1, 1.71, 2.08; tau_facil 0 raises ZeroDivisionError); use the brian2 "
                                  "backend",
    "record:weight": "pyNN.brian2 runs no plasticity rule through snnrun, so its weights are static; use the "
                     "brian2 backend",
}

_BRIAN2_MODELS = CURRENT_LIF | {"lif_curr_delta"} | SOURCES
BRIAN2 = Capabilities(
    models=frozenset(_BRIAN2_MODELS),
    stimuli=frozenset(cat.CURRENT_STIMULI),
    recordables=_recordables(_BRIAN2_MODELS),
    reasons=MappingProxyType({
        **_BRIAN2_NONLINEAR,
        **_BRIAN2_PLASTICITY_REASONS,
        "poisson_input": "not wired on pynn:brian2 (PyNN's SpikeSourcePoisson emits at most one spike per "
                         "step); the brian2 backend runs it with Brian2's PoissonInput",
        "tau_refrac:heterogeneous": "pyNN.brian2 takes one refractory period per population (Brian2's "
                                    "refractory argument), so every neuron's tau_refrac must round to the "
                                    "same number of steps",
        "alpha:tau_syn_near_tau_m": "Brian2's closed-form update of an alpha current divides by "
                                    "(tau_syn - tau_m)^4 and loses its accuracy as they meet (1% at 0.1% "
                                    "apart, measured); give tau_syn at least 5% away from tau_m",
    }),
)
