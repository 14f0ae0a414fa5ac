"""PyNN on Brian2 (``pyNN.brian2``): what differs from PyNN's standard way, and why.

- Synapses: the PyNN Projection is created with an empty FromListConnector (so PyNN builds its Brian2
  ``Synapses`` object with the right model and ``on_pre``), then filled with one vectorised
  ``Synapses.connect(i=pre, j=post)`` and whole-array weights and delays. PyNN's own connectors set each
  synapse's weight and delay in a Python loop, which is why PyNN on Brian2 takes minutes for CUBA.
- Time stamps: Brian2 stamps a spike with the start of the step in which the threshold was crossed,
  snnrun with its end: recorded spike times get + dt, and source spikes are handed to the
  SpikeGeneratorGroup at ``stamp - dt`` (a generator spike at t then travels exactly like a neuron spike
  Brian2 stamps t).
- Refractoriness: Brian2 counts the spike's own step into the refractory period (integration resumes
  round(tau_refrac/dt) steps after the spike step; snnrun: one step later), so PyNN gets
  ``(round(tau_refrac/dt) + 1) dt`` (this simulator's variant of the tables, translation.py).
- Voltage jumps (lif_curr_delta): Brian2 applies synaptic effects after the threshold test, so a jump
  could only trigger a spike one step later, and PyNN's ``v += weight`` also acts on refractory neurons.
  These projections are native ``Synapses`` whose pathway runs before the threshold test with one step
  less delay (a spike of step k is in the source's spike space until step k+1's threshold test, so it
  still arrives at the end of step k + delay steps), with ``v += weight * int(not_refractory)``: the
  reference's phase 2 and its discarding of jumps during the refractory period.
- Alpha currents: pyNN.brian2 0.13 integrates the inhibitory alpha current with tau_syn_E (its
  equations use ``tau_syn_e`` for ``ii`` and ``yi``); snnrun runs IF_curr_alpha with corrected equations.
- Stimuli are PyNN StepCurrentSources (a network operation at the start of each step): a change at
  step s acts from step s on, as in the reference engine.
- Code generation: Brian2's numpy target (no compiler, no cache to warm). CUBA: 8.7 s whole process,
  6.3 s of it simulating (measured); Brian2 solves the equations symbolically at the start of each
  run, which takes seconds for alpha currents (about 6 s measured).
"""

from __future__ import annotations

import numpy as np

from . import translation as tr
from .session import Session


#: relative distance from tau_m given to an exponential current's tau_syn equal to it (Brian2's closed
#: form is 0/0 there; its rounding error near the singularity is about 1e-16 / distance)
SINGULAR_SHIFT = 1e-7

#: alpha currents: Brian2's closed form divides by (tau_syn - tau_m)^4, so its error grows like
#: 1e-16 (tau_m / |tau_syn - tau_m|)^4 times a constant of about 100 (measured: 1% at 1e-3); below this
#: relative separation (error about 1e-9) the adapter refuses the population
ALPHA_MIN_SEPARATION = 0.05
#: the PyNN cell types whose currents pyNN.brian2 integrates as alpha kernels (the check above applies)
ALPHA_CELL_TYPES = frozenset({"IF_curr_alpha"})


class Brian2Session(Session):
    module = "pyNN.brian2"
    initial_synaptic_currents = True  # ie/ii are ordinary Brian2 state variables
    tables = tr.TRANSLATIONS["pynn:brian2"]  # with Brian2's refractory period (one step more)

    def setup(self) -> None:
        import brian2

        self.brian2 = brian2
        brian2.prefs.codegen.target = "numpy"
        brian2.BrianLogger.log_level_warn()  # not Brian2's INFO lines about the integration method
        delays = [int(p.delay_steps.max()) for p in self.inst.projections.values() if p.size]
        self.sim.setup(timestep=self.dt_ms, min_delay=self.dt_ms, max_delay=max(delays, default=1) * self.dt_ms)

    def neuron_params(self, pop):
        params = super().neuron_params(pop)
        # Brian2's exact solution divides by tau_syn - tau_m: where they are equal it is 0/0, so tau_syn
        # moves 1e-7 (relative) away from tau_m (rounding of the closed form: about 1e-16/1e-7). Alpha
        # currents divide by its fourth power; check() refuses them near tau_m (ALPHA_MIN_SEPARATION).
        for key in ("tau_syn_exc", "tau_syn_inh"):
            if key not in params:
                continue
            tau_m, tau_s = np.broadcast_arrays(params["tau_m"], params[key])
            if self.tables[pop.type].target in ALPHA_CELL_TYPES:
                if np.any(np.abs(tau_s - tau_m) < ALPHA_MIN_SEPARATION * tau_m):
                    raise ValueError(f"{key} within {ALPHA_MIN_SEPARATION:g} (relative) of tau_m: pyNN.brian2's "
                                     "closed-form alpha update loses its accuracy there")
                continue
            close = np.abs(tau_s - tau_m) <= SINGULAR_SHIFT * tau_m
            if close.any():
                params[key] = np.where(close, tau_m * (1 + SINGULAR_SHIFT), tau_s)
                self.warnings.append(
                    f"populations.{pop.name}: {key} equals tau_m for {int(close.sum())} neuron(s); pyNN.brian2's "
                    f"exact solution is singular there, so {key} was made {SINGULAR_SHIFT:g} (relative) larger")
        return params

    def source_times_ms(self, pop):
        indptr, steps = pop.spikes.indptr, pop.spikes.steps
        ms = np.round((steps - 1) * self.dt_ms, 9)  # Brian2 time of the step that ends at the stamp
        return [ms[indptr[i]:indptr[i + 1]] for i in range(pop.size)]

    def cell_type_class(self, table):
        if table.target != "IF_curr_alpha":
            return super().cell_type_class(table)
        # pyNN.brian2 0.13 integrates ii and yi with tau_syn_e: the same cell type with corrected equations
        from pyNN.brian2.standardmodels import cells

        return type("IF_curr_alpha", (cells.IF_curr_alpha,), {"eqs": cells.leaky_iaf + self.brian2.Equations("""
            die/dt = (2.7182818284590451*ye-ie)/tau_syn_e : amp
            dye/dt = -ye/tau_syn_e                        : amp
            dii/dt = (2.7182818284590451*yi-ii)/tau_syn_i : amp
            dyi/dt = -yi/tau_syn_i                        : amp
            i_syn = ie + ii                               : amp
            tau_syn_e                                     : second
            tau_syn_i                                     : second
        """)})

    def brian2_group(self, name: str):
        return self.cells[name].brian2_group

    def connect(self, proj) -> None:
        b2 = self.brian2
        if proj.kind == "voltage":
            synapses = b2.Synapses(self.brian2_group(proj.pre_population), self.brian2_group(proj.post_population),
                                   model="weight : volt", on_pre="v_post += weight * int(not_refractory_post)",
                                   clock=self.sim.simulator.state.network.clock)
            synapses.pre.when = "before_thresholds"
            delay_steps = proj.delay_steps - 1
            self.sim.simulator.state.network.add(synapses)
            keep = synapses
        else:
            pre, post = self.cells[proj.pre_population], self.cells[proj.post_population]
            keep = self.sim.Projection(pre, post, self.sim.FromListConnector([]), self.sim.StaticSynapse(),
                                       receptor_type=tr.RECEPTORS[proj.receptor])
            synapses = keep._brian2_synapses[0][0]
            delay_steps = proj.delay_steps
        synapses.connect(i=proj.pre, j=proj.post)
        # PyNN's weight units (nA, uS, mV) are Brian2 unit names as well
        rule = self.tables[self.inst.populations[proj.post_population].type].weights[proj.receptor]
        unit = getattr(b2, rule.unit)
        synapses.weight = self.pynn_weights(proj) * unit
        synapses.delay = delay_steps * self.dt_ms * b2.ms
        self.projections = getattr(self, "projections", [])
        self.projections.append(keep)

    def stamps(self, ids, times_ms):
        # Brian2 records the start of the step in which the threshold was crossed
        return super().stamps(ids, np.asarray(times_ms, float) + self.dt_ms)

    def record_state(self, name, variable, neurons, every):
        """A native StateMonitor at the *start* of every ``every``-th step: the state at t = j every dt
        after the previous step's synaptic input and reset, and the initial value at t = 0. (PyNN's own
        monitor samples at the step's end and prepends the initial value, so with an interval above dt
        its sample labelled t holds the state at t - interval + dt; it lists only v as recordable.)"""
        celltype = self.cells[name].celltype
        table = self.tables[self.inst.populations[name].type]
        pynn_name = table.state_rule(variable).target
        native = celltype.state_variable_translations[pynn_name]["translated_name"]
        monitor = self.brian2.StateMonitor(self.cells[name].brian2_group, native, record=np.asarray(neurons),
                                           when="start", dt=every * self.dt_ms * self.brian2.ms)
        self.sim.simulator.state.network.add(monitor)
        unit = table.units.si(table.state_rule(variable).unit)
        return monitor, native, unit

    def read_state(self, name, variable, neurons, handle):
        monitor, native, unit = handle
        # Brian2 values carry units; dividing by the SI value of PyNN's unit gives PyNN units
        return np.asarray(getattr(monitor, native + "_"), float).T / unit
