"""PyNN on NEST (``pyNN.nest``): what differs from PyNN's standard way, and why.

- ``spike_precision="on_grid"``: PyNN's default is off-grid (``iaf_psc_exp_ps``); snnrun's contract is
  the grid, which NEST's ``iaf_psc_*`` implement with the same exact propagators and order of operations
  as the reference engine, so spike steps agree exactly.
- Synapses: one ``nest.Connect(pre_ids, post_ids, "one_to_one", {weight: array, delay: array})`` per
  projection on the populations' node ids (NEST's array connect). PyNN's FromListConnector makes one
  Connect per target neuron and takes 4.0 s for CUBA's 320k synapses, ArrayConnector 3.4 s, this 0.04 s.
  Weights are converted exactly as pyNN.nest does (its StaticSynapse translation, the cell type's
  ``receptor_scale``, negative inhibitory conductances). Past NEST's limit of 134,217,726 connections
  per virtual process and synapse model, copies of ``static_synapse`` take the rest (``_static_models``).
- Spike sources: native ``spike_generator`` nodes with the stamps as spike times, connected straight to
  the targets. PyNN's SpikeSourceArray puts a parrot neuron behind each generator and shifts the times
  back by min_delay, which fails for a stamp at ``dt`` (a spike at t = 0 is refused). A generator spike
  at ``t`` reaches its target at ``t + delay``: the reference's delivery rule (measured).
- Stimuli: native ``step_current_generator`` nodes. A generator's change at time T acts from step
  T/dt + 1 (its current travels with a one-step delay) and T must be > 0, so steps 0 and 1 are out of its
  reach: the amplitudes in force in steps 0 and 1 go into ``I_e`` instead (switched after step 0 if they
  differ), and the generators carry the rest relative to them. PyNN's StepCurrentSource shifts times by
  min_delay too but clamps the early ones, which would start a stimulus at t = 0 two steps late.
- Poisson input (``poisson_input``): one native ``poisson_generator`` per stimulus (per distinct NEST
  weight), connected to its targets with delay dt: NEST sends every target an independent train, several
  spikes per step allowed, drawn from NEST's generator seeded by the spec's seed. Its weight converts as a
  projection's; start and stop are moved two steps back so the events land in the reference's steps.
- Plastic projections (STDP, Tsodyks-Markram) are NEST's own synapse models through the same array
  connect, their sources ``spike_train_injector`` nodes, and their weights are read at stops of the run
  (nest_plasticity.py).
- The conductance, AdEx, Izhikevich and HH models are PyNN's cell types on NEST's iaf_cond_*, aeif_cond_*,
  izhikevich and hh_cond_exp_traub; their initial values are set natively in NEST's names and units
  (pyNN.nest 0.13 passes them unscaled), except hh_cond_exp_traub's g_ex/g_in, which NEST cannot set
  (check refuses other values than 0). What NEST integrates and the residuals: semantics.md.
- Synaptic currents are recorded with a native multimeter (PyNN 0.13 lists only ``v`` and spikes as
  recordable for IF_curr_*), and so is IF_curr_delta's ``v`` (pyNN.nest gives that cell type no
  variable_map, so PyNN can neither record nor initialise its V_m: the initial value is set natively too).
"""

from __future__ import annotations

import os

import numpy as np

from . import translation as tr
from .nest_plasticity import NestPlasticity, is_plastic
from .session import Session, amplitude_at, schedule


#: NEST model -> state variables that NEST's set_status does not take (they always start at 0):
#: hh_cond_exp_traub lists g_ex and g_in as recordables but refuses to set them (NEST 3.10, checked)
FIXED_INITIAL = {"hh_cond_exp_traub": ("g_ex", "g_in")}

#: static synapses per NEST synapse model before the next copy of ``static_synapse`` takes over: NEST's
#: limit of 134,217,726 per virtual process and model (checked on NEST 3.10), less room for the devices'
#: connections (recorders, generators), which use ``static_synapse`` too
MAX_PER_MODEL = 134_217_726 - 10_000_000


class NestSession(Session):
    module = "pyNN.nest"
    tables = tr.TRANSLATIONS["pynn:nest"]

    def import_module(self):
        # pyNN.nest builds optional C++ extensions with cmake on import whenever nest-config is on PATH (an
        # activated venv puts it there); with a pip NEST the build fails and pyNN prints 15 lines of cmake
        # errors on every run. snnrun uses none of the extensions: hide nest-config during the import.
        path = os.environ.get("PATH", "")
        os.environ["PATH"] = os.pathsep.join(d for d in path.split(os.pathsep)
                                             if not os.path.isfile(os.path.join(d, "nest-config")))
        try:
            return super().import_module()
        finally:
            os.environ["PATH"] = path

    def setup(self) -> None:
        import nest

        self.nest = nest
        delays = [int(p.delay_steps.max()) for p in self.inst.projections.values() if p.size]
        max_delay_ms = max(delays, default=1) * self.dt_ms
        # min_delay = dt keeps NEST's communication interval at one step, the only setting where every
        # delay the spec allows (>= dt) is representable
        # threads: NEST's local_num_threads (simulation.options.pynn:nest.threads); each thread owns
        # every n-th neuron and its incoming synapses, so the summation order of inputs, and with it
        # the last bit of a membrane potential, can depend on the count (semantics.md, "threads")
        threads = int(self.inst.backend_options(self.backend).get("threads", 1))
        self.sim.setup(timestep=self.dt_ms, min_delay=self.dt_ms, max_delay=max_delay_ms,
                       spike_precision="on_grid", threads=threads, verbosity="error",
                       rng_seed=int(self.inst.seed) % (2 ** 31 - 1) or 1)
        self.parallel = {"threads": int(nest.GetKernelStatus("local_num_threads"))}  # as NEST runs it
        self.generators: dict[str, object] = {}  # source population -> NodeCollection of spike_generators
        self.ids: dict[str, np.ndarray] = {}
        self.plastic = NestPlasticity(self)
        self._static_model, self._static_count, self._static_copies = "static_synapse", 0, 0
        self._plan_stimuli()

    # -- stimuli: steps 0 and 1 through I_e, the rest through generators ------------------------------
    def _plan_stimuli(self) -> None:
        """Per population, the stimulus current (A) of steps 0 and 1 per neuron; per stimulus, its
        schedule relative to step 1."""
        self.first_steps: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.plans = {}
        for name, stim in self.inst.stimuli.items():
            size = self.inst.populations[stim.population].size
            e0, e1 = self.first_steps.setdefault(stim.population, (np.zeros(size), np.zeros(size)))
            steps, amps = schedule(stim, self.n_steps)
            a0, a1 = amplitude_at(steps, amps, 0), amplitude_at(steps, amps, 1)
            np.add.at(e0, stim.neurons, a0)
            np.add.at(e1, stim.neurons, a1)
            later = steps >= 2
            self.plans[name] = (steps[later], amps[later] - a1)

    def neuron_params(self, pop):
        params = super().neuron_params(pop)
        if pop.name in self.first_steps:
            params["i_offset"] = params["i_offset"] + self.first_steps[pop.name][0]
        return params

    def inject(self, stim) -> None:
        steps, amps = self.plans[stim.name]
        if steps.size == 0:
            return
        # the amplitude at time T acts from step T/dt + 1 (the device's one-step delivery delay)
        times = np.round((steps - 1) * self.dt_ms, 9)
        values = self.sim.StepCurrentSource.translations["amplitudes"]["forward_transform"](
            amplitudes=tr.current_to_pynn(amps))
        gen = self.nest.Create("step_current_generator", params={
            "amplitude_times": times.tolist(), "amplitude_values": np.asarray(values, float).tolist()})
        targets = self.node_ids(stim.population)[np.unique(stim.neurons)]
        self.nest.Connect(gen, self.nest.NodeCollection(targets.tolist()), syn_spec={"delay": self.dt_ms})

    def inject_poisson(self, pin) -> None:
        from types import SimpleNamespace

        kind = self.inst.populations[pin.population].model.synapse
        targets = self.node_ids(pin.population)[pin.neurons]
        as_projection = SimpleNamespace(post_population=pin.population, receptor=pin.receptor, kind=kind,
                                        post=np.asarray(pin.neurons, np.int64),
                                        weight=np.full(len(pin.neurons), pin.weight))
        weights = self.native_weights(as_projection)
        # events of steps start_step .. stop_step - 1: a generator's spike reaches its targets one step
        # of delay later, so start and stop go two steps back (measured: the first and the last step in
        # which i_syn jumps are the reference's); the first two steps are out of reach, as for the
        # current generators
        params = {"rate": float(pin.rate), "start": max(0.0, round((pin.start_step - 2) * self.dt_ms, 9)),
                  "stop": max(0.0, round((pin.stop_step - 2) * self.dt_ms, 9))}
        for value in np.unique(weights):
            chosen = targets[weights == value]
            gen = self.nest.Create("poisson_generator", params=params)
            self.nest.Connect(gen, self.nest.NodeCollection(np.unique(chosen).tolist()),
                              syn_spec={"weight": float(value), "delay": self.dt_ms})

    def simulate(self, progress) -> None:
        switch = {name: (e0, e1) for name, (e0, e1) in self.first_steps.items() if np.any(e0 != e1)}
        if not switch or self.n_steps < 2:
            super().simulate(progress)
            return
        # Step 0 alone, then I_e takes step 1's stimulus current. PyNN's first run() simulates one
        # min_delay past the time asked for (so that NEST hands over all recorded data); marking the
        # state as running makes this first call advance exactly one step, and the next run_until()
        # then adds that extra min_delay itself, so the run ends where an unsplit one would.
        self.sim.simulator.state.running = True
        self.sim.run(self.dt_ms)
        for name, (e0, e1) in switch.items():
            changed = np.flatnonzero(e0 != e1)
            base = np.broadcast_to(self.inst.populations[name].params["i_offset"], e0.shape)
            self.cells[name][changed].set(i_offset=tr.current_to_pynn(base[changed] + e1[changed]))
        super().simulate(progress, start_step=1)

    def initialize(self, cells, initial: dict) -> None:
        super().initialize(cells, initial)  # PyNN keeps them for the t = 0 sample of its recordings
        # Every value is then set natively in NEST's name and unit: pyNN.nest 0.13 hands initial values
        # to NEST unscaled (populations.py, _set_initial_value_array ignores scale_factors), so g_exc
        # 20 nS became g_ex 0.02 nS and w 0.1 nA w 0.1 pA (measured); and its IF_curr_delta has no
        # variable_map, so PyNN tries to set NEST's "v" and drops the value with a warning.
        variable_map = getattr(cells.celltype, "variable_map", None) or {"v": "V_m"}
        scales = getattr(cells.celltype, "scale_factors", None) or {}
        fixed = FIXED_INITIAL.get(cells.celltype.nest_name["on_grid"], ())
        native = {}
        for name, value in initial.items():
            values = np.broadcast_to(np.asarray(value, float), cells.size) / scales.get(name, 1.0)
            if variable_map[name] in fixed:
                if np.any(values != 0):  # check() refuses these specs (capabilities "initial:g_hh")
                    raise ValueError(f"NEST cannot set {variable_map[name]} of {cells.celltype.nest_name['on_grid']}")
                continue
            native[variable_map[name]] = values.tolist()
        cells.node_collection.set(**native)

    # -- sources and synapses --------------------------------------------------------------------------
    def create_source(self, pop) -> None:
        # devices connect through static synapses only: a source with plastic projections replays its
        # stamps with spike_train_injector nodes (nest_plasticity.py)
        plastic = any(is_plastic(p) and p.pre_population == pop.name for p in self.inst.projections.values())
        gens = self.nest.Create("spike_train_injector" if plastic else "spike_generator", pop.size,
                                params={"precise_times": False, "allow_offgrid_times": False})
        gens.set([{"spike_times": t.tolist()} for t in self.source_times_ms(pop)])
        self.generators[pop.name] = gens

    def node_ids(self, name: str) -> np.ndarray:
        """NEST node ids of a population's neurons (or of its spike generators), by neuron index."""
        if name not in self.ids:
            nodes = self.generators[name] if name in self.generators else self.cells[name].node_collection
            self.ids[name] = np.asarray(nodes.tolist(), np.int64)
        return self.ids[name]

    def native_weights(self, proj, values=None) -> np.ndarray:
        """NEST weights (pA, nS or mV) exactly as pyNN.nest converts PyNN weights (nA, uS or mV); of
        ``values`` (SI, per synapse) instead of the drawn weights if given."""
        weight = self.pynn_weights(proj, values)
        forward = self.sim.StaticSynapse.translations["weight"]["forward_transform"]
        weight = forward(weight=weight) if callable(forward) else weight
        celltype = self.cells[proj.post_population].celltype
        weight = weight * getattr(celltype, "receptor_scale", 1.0)
        if proj.kind == "conductance" and proj.receptor == "inh":
            weight = -weight  # NEST wants inhibitory conductances negative; PyNN's are positive
        return np.asarray(weight, float)

    def connect(self, proj) -> None:
        if is_plastic(proj):
            self.plastic.connect(proj)
            return
        pre = self.node_ids(proj.pre_population)[proj.pre]
        post = self.node_ids(proj.post_population)[proj.post]
        delay = np.round(proj.delay_steps * self.dt_ms, 9)
        weight = self.native_weights(proj)
        for model, chunk in self._static_models(pre.size):
            self.nest.Connect(pre[chunk], post[chunk], "one_to_one",
                              {"synapse_model": model, "weight": weight[chunk], "delay": delay[chunk]})

    def _static_models(self, n: int):
        """(synapse model, slice) for the next ``n`` static synapses. NEST 3 holds at most 134,217,726
        connections per virtual process and synapse model (a 27-bit index; the full-scale microcircuit's
        3e8 on one thread fail with 'Too many connections'): ``static_synapse`` takes them until a total of
        MAX_PER_MODEL, then copies of it (``nest.CopyModel``, identical dynamics) take the rest. Counting
        the total, not per virtual process, is conservative; small networks use ``static_synapse`` alone."""
        done = 0
        while done < n:
            room = MAX_PER_MODEL - self._static_count
            if room <= 0:
                self._static_copies += 1
                self._static_model = f"snnrun_static_synapse_{self._static_copies}"
                self.nest.CopyModel("static_synapse", self._static_model)
                self._static_count, room = 0, MAX_PER_MODEL
            take = min(room, n - done)
            yield self._static_model, slice(done, done + take)
            self._static_count += take
            done += take

    def stops(self) -> set[int]:
        return self.plastic.stops()

    def at_stop(self, step: int) -> None:
        self.plastic.at_stop(step)

    def collect_weights(self):
        return self.plastic.weights()

    # -- recording ---------------------------------------------------------------------------------
    def record_spikes(self, name: str) -> None:
        if name in self.generators:
            self.source_recorders = getattr(self, "source_recorders", {})
            recorder = self.nest.Create("spike_recorder")
            # the delay given explicitly: static_synapse's default (1 ms) is outside [min_delay, max_delay]
            # when every delay of the spec is below 1 ms (BadDelay); a recorder stamps the spike time anyway
            self.nest.Connect(self.generators[name], recorder, syn_spec={"delay": self.dt_ms})
            self.source_recorders[name] = recorder
        else:
            super().record_spikes(name)

    def read_spikes(self, name: str):
        if name not in self.generators:
            return super().read_spikes(name)
        events = self.source_recorders[name].events
        ids = np.searchsorted(self.node_ids(name), np.asarray(events["senders"], np.int64))
        return self.stamps(ids, np.asarray(events["times"], float))

    def record_state(self, name, variable, neurons, every):
        celltype = self.cells[name].celltype
        variable_map = getattr(celltype, "variable_map", None)
        if variable == "v" and variable_map is not None:
            return super().record_state(name, variable, neurons, every)
        # a native multimeter: for the synaptic currents (not recordable through PyNN 0.13), and for v
        # of IF_curr_delta (pyNN.nest gives it no variable_map, so PyNN asks NEST for "v" and fails)
        pynn_name = self.tables[self.inst.populations[name].type].state_rule(variable).target
        if variable_map is None:
            nest_name, scale = {"v": "V_m"}[pynn_name], 1.0
        else:
            nest_name, scale = variable_map[pynn_name], celltype.scale_factors[pynn_name]
        meter = self.nest.Create("multimeter", params={"record_from": [nest_name],
                                                       "interval": every * self.dt_ms})
        self.nest.Connect(meter, self.nest.NodeCollection(self.node_ids(name)[np.unique(neurons)].tolist()),
                          syn_spec={"delay": self.dt_ms})  # not the default 1 ms: see record_spikes
        return ("multimeter", meter, nest_name, scale, every)

    def read_state(self, name, variable, neurons, handle):
        if not isinstance(handle, tuple):
            return super().read_state(name, variable, neurons, handle)
        _, meter, nest_name, scale, every = handle
        events = meter.events
        n_samples = -(-self.n_steps // every)
        # the multimeter samples at every dt, 2 every dt, ...; the sample at t = 0 is the initial value
        # (0 for synaptic currents: they cannot start elsewhere on NEST)
        values = np.zeros((n_samples, neurons.size))
        pop = self.inst.populations[name]
        if variable in pop.initial:
            initial = np.broadcast_to(pop.initial[variable], pop.size)[neurons]
            values[0] = self.tables[pop.type].state_forward(variable, initial)[1]
        rows = np.rint(np.asarray(events["times"]) / (every * self.dt_ms)).astype(np.int64)
        gids = self.node_ids(name)[neurons]
        order = np.argsort(gids)
        cols = order[np.searchsorted(gids[order], np.asarray(events["senders"], np.int64))]
        keep = rows < n_samples
        values[rows[keep], cols[keep]] = np.asarray(events[nest_name], float)[keep] * scale
        return values
