"""One run of a drawn NetworkInstance on one PyNN simulator module, in snnrun's conventions.

:class:`Session` holds what every PyNN backend does the same way (setup, populations of standard cell
types with per-neuron parameter arrays, initial values, recording through PyNN and reading it back from
neo, unit conversion to SI, ``end()``); the simulator modules (``nest.py``, ``neuron.py``, ``brian2.py``)
override the hooks where a simulator needs its own way: spike sources, handing the synapses over,
stimuli, synaptic-current traces. This module imports no simulator; :meth:`Session.run` imports the
PyNN module it is given, so it must run in a process of its own (one PyNN run per process: PyNN's
``setup()/end()`` and the simulators' kernels are process-wide state).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
import os
import sys
import tempfile
import time
import warnings
from typing import Optional

import numpy as np

from ..base import Progress, RunOutput, Trace
from . import translation as tr

#: warnings PyNN's own calls trigger in the simulators (deprecated NEST calls inside PyNN, optional
#: extensions and MPI support that snnrun does not use); nothing a user of snnrun can act on
QUIET_WARNINGS = (
    r"\s*Provided for backward compatibility only",
    r"\s*(SetStatus|GetStatus)\(\) is deprecated",
    r"\s*mpi4py not available",
    r"\s*Cannot find nest-config",
)

#: progress is reported this many times per run (the simulation advances in that many chunks)
PROGRESS_CHUNKS = 20


def schedule(stim, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """A stimulus' piecewise-constant current as (change steps, amplitudes in A) with strictly
    increasing steps in ``[0, n_steps)``; the current is 0 before the first step.

    Built exactly as the reference engine applies a schedule: each entry adds ``amplitude - previous``
    from its step on (negative steps count as step 0), so the same floating-point sums result."""
    deltas: dict[int, float] = {}
    previous = 0.0
    for step, amp in zip(stim.change_steps, stim.amplitudes):
        step, amp = max(int(step), 0), float(amp)
        if step < n_steps and amp != previous:
            deltas[step] = deltas.get(step, 0.0) + (amp - previous)
        previous = amp
    steps = np.asarray(sorted(deltas), np.int64)
    return steps, np.cumsum([deltas[s] for s in steps]).astype(float)


@contextlib.contextmanager
def captured_output(into: list[str], backend: str):
    """Collect what is written to file descriptors 1 and 2 meanwhile (simulators print from C++, below
    Python's sys.stdout) and append it to ``into`` as one warning; nothing reaches the terminal."""
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        saved = [os.dup(1), os.dup(2)]
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            text = sink.read().decode("utf-8", errors="replace").strip()
            if text:
                into.append(f"{backend}: printed at start-up: {text}")


def amplitude_at(steps: np.ndarray, amps: np.ndarray, step: int) -> float:
    """The current (A) a schedule from :func:`schedule` injects in ``step``."""
    i = int(np.searchsorted(steps, step, side="right")) - 1
    return float(amps[i]) if i >= 0 else 0.0


class Session:
    """Build, run and read back one instance on ``module`` (``pyNN.nest``, ...). ``where`` is the spec
    path of the element being built, so a simulator exception can name it."""

    module = ""
    #: the simulator can start synaptic currents elsewhere than 0 (PyNN's isyn_exc/isyn_inh initial values)
    initial_synaptic_currents = False
    #: model type -> translation table (a simulator's session names its variant, translation.py)
    tables = tr.TABLES

    def __init__(self, backend: str, instance):
        self.backend = backend
        self.inst = instance
        self.dt_ms = float(tr.time_to_pynn(instance.dt))
        self.n_steps = instance.n_steps
        self.where: tuple = ()
        self.warnings: list[str] = []
        self.cells: dict = {}  # population name -> PyNN Population (neurons, and sources if PyNN's)
        self.sim = None
        self.parallel: dict[str, int] = {}  # threads / MPI ranks the simulator reports (the manifest's)

    # -- the run ---------------------------------------------------------------------------------
    def run(self, progress: Optional[Progress] = None) -> RunOutput:
        # warnings of the simulators go into the manifest (output.warnings), not onto the user's terminal
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for pattern in QUIET_WARNINGS:
                warnings.filterwarnings("ignore", message=pattern)
            try:
                return self._run(progress)
            finally:
                self.warnings.extend(f"{self.backend}: {w.category.__name__}: {w.message}" for w in caught)

    def _run(self, progress: Optional[Progress]) -> RunOutput:
        t0 = time.perf_counter()
        self.where = ("simulation",)
        # PyNN logs a warning for each default initial value a simulator cannot take (NEST's I_syn_*,
        # always 0 here); snnrun reports its own warnings
        logging.getLogger("PyNN").setLevel(logging.ERROR)
        with captured_output(self.warnings, self.backend):  # what the C++ side prints at start-up
            self.sim = self.import_module()
            self.setup()
        t_setup = time.perf_counter()
        for name, pop in self.inst.populations.items():
            self.where = ("populations", name)
            if pop.spikes is None:
                self.cells[name] = self.create_population(pop)
            else:
                self.create_source(pop)
        t_pops = time.perf_counter()
        for name, proj in self.inst.projections.items():
            self.where = ("projections", name)
            if proj.size:
                self.connect(proj)
        t_conn = time.perf_counter()
        for name, stim in self.inst.stimuli.items():
            self.where = ("stimuli", name)
            self.inject(stim)
        for name, pin in self.inst.poisson_inputs.items():  # check() admits them where inject_poisson exists
            self.where = ("stimuli", name)
            self.inject_poisson(pin)
        self.setup_recording()
        t_build = time.perf_counter()
        self.where = ("simulation",)
        self.simulate(progress)
        t_run = time.perf_counter()
        self.where = ("record",)
        spikes, traces = self.collect()
        weights, final_weights = self.collect_weights()
        self.end()
        t_end = time.perf_counter()
        timings = {"build": t_build - t0, "run": t_run - t_build, "collect": t_end - t_run,
                   "build_setup": t_setup - t0, "build_populations": t_pops - t_setup,
                   "build_connect": t_conn - t_pops}
        return RunOutput(spikes, traces, weights=weights, final_weights=final_weights, timings=timings,
                         warnings=self.warnings, parallel=self.parallel)

    # -- hooks with PyNN's standard behaviour ------------------------------------------------------
    def import_module(self):
        return importlib.import_module(self.module)

    def setup(self) -> None:
        raise NotImplementedError

    def create_population(self, pop):
        """A PyNN Population of the model's standard cell type, parameters and initial values set."""
        table = self.tables[pop.type]
        params = table.forward(self.neuron_params(pop), self.inst.dt)
        celltype = self.cell_type_class(table)(**{k: _compact(v) for k, v in params.items()})
        cells = self.sim.Population(pop.size, celltype, label=pop.name)
        initial = {}
        for var, value in pop.initial.items():
            if var.startswith("i_syn") and not self.initial_synaptic_currents:
                continue  # always 0 (check() refuses other values): the simulator cannot set them
            pynn_name, pynn_value = table.state_forward(var, value)
            initial[pynn_name] = _compact(pynn_value)
        if initial:
            self.initialize(cells, initial)
        return cells

    def initialize(self, cells, initial: dict) -> None:
        """Set initial values (PyNN names and units)."""
        cells.initialize(**initial)

    def cell_type_class(self, table):
        """The PyNN standard cell type class the table names."""
        return getattr(self.sim, table.target)

    def neuron_params(self, pop) -> dict[str, np.ndarray]:
        """The SI parameter arrays the table translates for PyNN (a simulator may fold stimuli into
        i_offset)."""
        return {k: np.broadcast_to(v, pop.size) for k, v in pop.params.items()}

    def create_source(self, pop) -> None:
        """A SpikeSourceArray replaying the instance's stamps (ms)."""
        from pyNN.parameters import Sequence

        trains = self.source_times_ms(pop)
        if all(np.array_equal(t, trains[0]) for t in trains[1:]):
            # one Sequence for every neuron: pyNN.brian2 cannot build a one-neuron source from a list
            spike_times = Sequence(trains[0])
        else:
            spike_times = [Sequence(t) for t in trains]
        cells = self.sim.Population(pop.size, self.sim.SpikeSourceArray(spike_times=spike_times), label=pop.name)
        self.cells[pop.name] = cells

    def source_times_ms(self, pop) -> list[np.ndarray]:
        """Per source neuron, its stamps in ms (``steps * dt``; rounded so that they sit on the grid)."""
        indptr, steps = pop.spikes.indptr, pop.spikes.steps
        ms = np.round(steps * self.dt_ms, 9)
        return [ms[indptr[i]:indptr[i + 1]] for i in range(pop.size)]

    def connect(self, proj) -> None:
        raise NotImplementedError

    def pynn_weights(self, proj, values=None) -> np.ndarray:
        """A projection's weights in PyNN's units (and any factor of the simulator's table), per synapse;
        ``values`` (SI, per synapse) instead of the drawn weights converts other values the same way."""
        post = self.inst.populations[proj.post_population]
        params = {k: np.broadcast_to(v, post.size) for k, v in post.params.items()}
        weight = proj.weight if values is None else values
        return self.tables[post.type].weight_values(proj.receptor, weight, proj.post, params, self.inst.dt)

    def inject_poisson(self, pin) -> None:
        """A ``poisson_input`` stimulus (runner.instance.PoissonInputInstance); only simulators that
        declare it in their capabilities override this."""
        raise NotImplementedError(f"{self.module} does not run poisson_input stimuli")

    def inject(self, stim) -> None:
        """A stimulus as a PyNN StepCurrentSource on the instance's grid schedule (pyNN.neuron and
        pyNN.brian2 apply it without a lag; NEST's session overrides this for its one-step device lag)."""
        steps, amps = schedule(stim, self.n_steps)
        if steps.size == 0:
            return
        source = self.sim.StepCurrentSource(times=np.round(steps * self.dt_ms, 9),
                                            amplitudes=tr.current_to_pynn(amps))
        source.inject_into(self.cells[stim.population][np.unique(stim.neurons)])

    def setup_recording(self) -> None:
        """Spikes of every recorded population; state variables through PyNN (``record_state``)."""
        self.spike_pops = {r.population for r in self.inst.recordings if r.variable == "spikes"}
        for name in self.spike_pops:
            self.where = ("record",)
            self.record_spikes(name)
        by_pop: dict[str, list] = {}
        for i, rec in enumerate(self.inst.recordings):
            if rec.variable != "spikes" and rec.population is not None:
                by_pop.setdefault(rec.population, []).append((i, rec))
        self.probes = []
        for name, recs in by_pop.items():
            # PyNN samples every variable of a population at one interval: use the gcd, subsample later
            everies = [max(1, int(round((rec.interval or self.inst.dt) / self.inst.dt))) for _, rec in recs]
            base = math.gcd(*everies)
            for (i, rec), every in zip(recs, everies):
                self.where = ("record", i)
                neurons = (np.arange(self.inst.populations[name].size) if rec.neurons is None
                           else np.asarray(rec.neurons, np.int64))
                handle = self.record_state(name, rec.variable, neurons, base)
                self.probes.append((rec, neurons, every, base, handle))

    def record_spikes(self, name: str) -> None:
        self.cells[name].record("spikes")

    def record_state(self, name: str, variable: str, neurons: np.ndarray, every: int):
        """Start recording ``variable`` of ``neurons`` every ``every`` steps; return a handle for
        :meth:`read_state`. The standard way: PyNN's record() on a PopulationView."""
        pynn_name = self.tables[self.inst.populations[name].type].state_rule(variable).target
        # PyNN views hold (and sort) the index array they are given: hand them a sorted copy
        self.cells[name][np.unique(neurons)].record(pynn_name, sampling_interval=every * self.dt_ms)
        return pynn_name

    def simulate(self, progress: Optional[Progress], start_step: int = 0) -> None:
        """Advance from ``start_step`` to the end, in chunks when progress is reported. Targets are
        absolute step counts, so chunking adds no floating-point drift to the simulated time."""
        chunks = PROGRESS_CHUNKS if progress is not None else 1
        targets = {self.n_steps * k // chunks for k in range(1, chunks + 1)}
        stops = self.stops()
        done = start_step
        for target in sorted(targets | stops):
            if target in stops:  # the simulator's own clock decides whether there is anything left to run
                self.sim.run_until(round(target * self.dt_ms, 9))
                self.at_stop(target)
            if target in targets and target > done:
                self.sim.run_until(round(target * self.dt_ms, 9))
                done = target
                if progress is not None:
                    progress(done, self.n_steps)

    def stops(self) -> set[int]:
        """Steps (in PyNN's time) where the run must stop to read state, e.g. plastic weights; none by
        default."""
        return set()

    def at_stop(self, step: int) -> None:
        """Called when the run stands at one of :meth:`stops`."""

    def end(self) -> None:
        self.sim.end()

    # -- reading results back ----------------------------------------------------------------------
    def collect(self):
        spikes = {name: self.read_spikes(name) for name in self.spike_pops}
        traces = {}
        for rec, neurons, every, base, handle in self.probes:
            values_pynn = self.read_state(rec.population, rec.variable, neurons, handle)
            # samples at t = 0, every dt, 2 every dt, ... strictly before the end (semantics.md)
            n_samples = -(-self.n_steps // every)
            step = every // base
            values_pynn = values_pynn[::step][:n_samples]
            table = self.tables[self.inst.populations[rec.population].type]
            values = table.state_reverse(rec.variable, values_pynn)
            times = np.arange(values.shape[0]) * every * self.inst.dt
            traces[(rec.population, rec.variable)] = Trace(times, neurons, values)
        return spikes, traces

    def collect_weights(self) -> tuple[dict, dict]:
        """(recorded weights, final weights of the plastic projections) as WeightTraces; none by default
        (a simulator session with plastic synapses overrides this)."""
        return {}, {}

    def read_spikes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(neuron ids, stamps in s) from PyNN's neo spike trains, sorted by time then neuron.

        Read as neo's multiplexed arrays (PyNN IDs, times): building one neo SpikeTrain per neuron and
        rescaling each costs 1-2 s for CUBA's 4000 neurons, the arrays almost nothing."""
        cells = self.cells[name]
        trains = cells.get_data("spikes").segments[0].spiketrains
        pynn_ids, times = trains.multiplexed
        pynn_ids = np.asarray(pynn_ids, np.int64)
        ids = cells.id_to_index(pynn_ids) if pynn_ids.size else pynn_ids
        times_ms = np.asarray(times.rescale("ms").magnitude, float) if pynn_ids.size else np.empty(0)
        return self.stamps(np.asarray(ids, np.int64), times_ms)

    def stamps(self, ids: np.ndarray, times_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Spike times (ms, end-of-step stamps) -> (ids, seconds on the grid), sorted by time, neuron."""
        steps = np.rint(times_ms / self.dt_ms).astype(np.int64)
        # pyNN.nest simulates one min_delay past the end; a stamp there is outside the run
        keep = steps <= self.n_steps
        ids, steps = ids[keep], steps[keep]
        order = np.lexsort((ids, steps))
        return ids[order].astype(np.int64), steps[order] * self.inst.dt

    def read_state(self, name: str, variable: str, neurons: np.ndarray, handle) -> np.ndarray:
        """Samples (t = 0, every, 2 every, ... ; neurons) in PyNN units of one recorded variable."""
        view = self.cells[name][np.unique(neurons)]
        signal = view.get_data(handle).segments[0].filter(name=handle)[0]
        values = np.asarray(signal.magnitude, float)
        columns = np.asarray(signal.array_annotations["channel_index"], np.int64)
        order = np.searchsorted(columns, neurons, sorter=np.argsort(columns))
        return values[:, np.argsort(columns)[order]]


def _compact(values: np.ndarray):
    """A scalar when every neuron has the same value (PyNN then sets it once), else the array."""
    arr = np.asarray(values, float)
    if arr.size and np.all(arr == arr.flat[0]):
        return float(arr.flat[0])
    return arr
