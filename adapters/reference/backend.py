"""The reference engine's declaration in the backend registry (entry point ``snnrun.backends``)."""

from ..base import BackendDeclaration

BACKEND = BackendDeclaration(
    name="reference",
    adapter="snnrun.adapters.reference.adapter:ReferenceAdapter",
    options={"type": "object", "additionalProperties": False, "properties": {
        "integrator": {"enum": ["standard", "euler"],
                       "description": "standard: the schemes of schema/semantics.md (exact propagators, RK4 "
                                      "with exact conductances); euler: forward Euler on every state variable "
                                      "(NEST's izhikevich update for izhikevich)"},
        "hh_spike": {"enum": ["crossing", "nest_peak"],
                     "description": "hh_cond_exp's spike rule. crossing (default): the upward -20 mV crossing of "
                                    "schema/semantics.md; nest_peak: NEST's hh_cond_exp_traub rule (v >= v_offset "
                                    "+ 30 mV and v fell during the step, then 2 ms without detection), for "
                                    "comparing with NEST"},
        "hh_max_substep_ms": {"type": "number", "exclusiveMinimum": 0,
                              "description": "hh_cond_exp's longest RK4 substep in ms (default 0.05); NEST's "
                                             "peak stamps need 0.005 (schema/semantics.md)"},
        "kernel": {"enum": ["auto", "numba", "numpy"],
                   "description": "auto (default): compiled numba kernels where numba is installed "
                                  "(pip install 'snnrun[fast]'), the network repays numba's start-up "
                                  "(1e8 neuron updates and synaptic events) and a kernel covers the "
                                  "model (current-based LIF, static synapses), numpy elsewhere; numba: the same, but an error when "
                                  "numba is missing; numpy: numpy only. Identical spikes either way"}}},
    description="snnrun's built-in engine: exact propagators and RK4, defines what a spec means",
)
