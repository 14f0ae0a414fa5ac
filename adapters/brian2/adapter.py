"""The ``brian2`` backend: the drawn instance run by Brian2, in numpy, cython or cpp_standalone code.

Importing this module does not import Brian2 (``snnrun check`` and ``snnrun backends`` stay fast); it is
imported inside :meth:`Brian2Adapter.run`. Each run builds a fresh ``Network`` on a freshly chosen
device and leaves Brian2's process-wide state (device, codegen target preference) as it found it, so
runs can follow each other in one process or run in a forked worker.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from importlib import metadata
from typing import Optional

import numpy as np

from ...schema import catalogue as cat
from ...schema.model import Distribution, Quantity
from ...schema.errors import BackendError, SnnrunError
from ..base import Adapter, Capabilities, Progress, RunOutput
from ..translation import drawn_sources
from .models import MODELS
from .models import TRANSLATIONS as _NEURONS
from .pieces import UNITS

CODEGEN_TARGETS = ("numpy", "cython", "cpp_standalone")
DEFAULT_CODEGEN = "cython"

#: spec model type -> translation table: the composed neuron models and the replayed spike sources
TRANSLATIONS = {**_NEURONS, **drawn_sources("SpikeGeneratorGroup", UNITS)}

CAPABILITIES = Capabilities(
    models=frozenset(TRANSLATIONS),
    stimuli=frozenset(cat.STIMULI),
    recordables={m: frozenset(rule.source for rule in table.state) for m, table in _NEURONS.items()},
    # plastic Synapses with pre and post pathways (plasticity.py); a dendritic delay fraction only where
    # 2 f d is a whole number of steps for every synapse (Brian2.check)
    plasticity=frozenset({"stdp", "stdp:nearest", "stdp:multiplicative", "stdp:axonal_delay", "tsodyks_markram",
                          "stdp+tsodyks_markram"}),
    record_weights=True,
)


def _fraction_problem(proj, dt: float) -> Optional[str]:
    """Why Brian2 cannot split the delays of ``proj`` by its STDP rule's dendritic fraction ``f`` (None: it
    can): the post pathway's delay ``2 f d`` must be a whole number of steps (plasticity.py), which holds
    for every delay when ``2 f`` is a whole number, and otherwise only for delays given as values."""
    from .plasticity import post_delay_steps

    rule = proj.synapse.plasticity
    if rule is None or float(2 * rule.dendritic_delay_fraction).is_integer():
        return None
    delay = proj.synapse.delay
    values = (delay.value,) if isinstance(delay, Quantity) else getattr(delay, "values", None)
    if values is None and isinstance(delay, Distribution) and delay.name == "choice":
        values = delay.choices
    if values is None or proj.connect.delays is not None:
        return ("Brian2 puts delays on the grid, so 2 x dendritic_delay_fraction x delay must be a whole number "
                "of steps: with drawn or file delays use a fraction of 0, 0.5 or 1")
    for steps in np.rint(np.asarray(values, float) / dt):
        if post_delay_steps(rule.dendritic_delay_fraction, np.array([steps])) is None:
            return (f"Brian2 puts delays on the grid, so 2 x dendritic_delay_fraction x delay must be a whole "
                    f"number of steps ({2 * rule.dendritic_delay_fraction:g} x {steps:g} steps is not)")
    return None


def codegen_target(instance) -> str:
    """``simulation.options.brian2.codegen`` (validated by the schema), default cython."""
    return instance.backend_options("brian2").get("codegen", DEFAULT_CODEGEN)


def _poisson_problems(stim, spec) -> list[tuple[str, str]]:
    """What a Brian2 PoissonInput (plan.PoissonPlan) cannot express: it acts for the whole run on a
    subgroup, and adds to its variable even while a voltage-jump target is refractory."""
    out = []
    model = MODELS.get(spec.populations[stim.population].model.type)
    if model is not None and model.synapses.voltage_jump:
        out.append(("target", "not on voltage-jump models on brian2 (a PoissonInput would move v while the "
                              "neuron is refractory, which the reference discards)"))
    if stim.params.get("start") or stim.params.get("stop") is not None:
        out.append(("start", "start and stop are not wired on brian2 (a PoissonInput runs for the whole run)"))
    neurons = stim.neurons
    if neurons is not None and any(b - a != 1 for a, b in zip(neurons, neurons[1:])):
        out.append(("target", "the target neurons must be one contiguous ascending range on brian2 (a "
                              "PoissonInput acts on a subgroup)"))
    return out


class Brian2Adapter(Adapter):
    """Brian2 with the model equations of :mod:`.models`, fed the instance's explicit arrays."""

    name = "brian2"
    capabilities = CAPABILITIES
    translations = TRANSLATIONS
    isolate = True  # Brian2 keeps process-wide state (devices, preferences): run in a worker process

    def check(self, spec):
        problems = super().check(spec)
        for name, pop in spec.populations.items():
            model = MODELS.get(pop.model.type)
            if model is not None and model.membrane.check is not None:
                problems += [spec.problem(spec.parameter_path(name, param), message)
                             for param, message in model.membrane.check(pop.model.params)]
        for name, stim in spec.stimuli.items():
            if stim.type == "poisson_input":
                problems += [spec.problem(("stimuli", name, key), f"poisson_input: {message}")
                             for key, message in _poisson_problems(stim, spec)]
        for name, proj in spec.projections.items():
            message = _fraction_problem(proj, spec.simulation.dt)
            if message is not None:
                path = ("projections", name, "synapse", "plasticity", "dendritic_delay_fraction")
                problems.append(spec.problem(path, f"plasticity:stdp:axonal_delay: {message}"))
        return problems

    def versions(self) -> dict[str, str]:
        out = {}
        for dist in ("brian2", "numpy", "sympy", "cython"):
            try:
                out[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                pass
        return out

    def run(self, instance, progress: Optional[Progress] = None) -> RunOutput:
        target = codegen_target(instance)
        try:
            return self._run(instance, progress, target)
        except SnnrunError:
            raise
        except Exception as exc:
            from .build import BuildError
            if isinstance(exc, BuildError):
                raise BackendError(self.name, _message(exc.cause), exc.path) from exc
            raise BackendError(self.name, _message(exc)) from exc

    def _run(self, instance, progress, target: str) -> RunOutput:
        t0 = time.perf_counter()
        import brian2 as b2  # noqa: deferred on purpose (seconds of start-up)

        from .cache import cache_root, locked, structure_hash
        from .plan import make_plan

        plan = make_plan(instance)
        # Brian2 names code objects uniquely among the live objects; objects of an earlier run kept
        # alive by reference cycles would rename this run's code (``..._codeobject_1``), which changes
        # the generated files and makes cpp_standalone recompile a project it has already built
        gc.collect()
        t_prepare = time.perf_counter() - t0  # importing Brian2 (about 1 s) and planning
        seen = _WarningCollector()
        brian_logger = logging.getLogger("brian2")
        brian_logger.addHandler(seen)
        try:
            if target == "cpp_standalone":
                folder = cache_root() / structure_hash(plan, target)
                with locked(folder):
                    out = self._standalone(b2, plan, instance, folder, progress)
            else:
                out = self._runtime(b2, plan, instance, target, progress)
        finally:
            brian_logger.removeHandler(seen)
        spikes, traces, (weights, final_weights), timings = out
        if progress is not None:
            progress(instance.n_steps, instance.n_steps)
        versions = self.versions()
        versions["brian2-codegen"] = target
        return RunOutput(spikes, traces, weights, final_weights, timings={"prepare": t_prepare, **timings},
                         versions=versions,
                         warnings=list(plan.warnings) + seen.messages)

    def _runtime(self, b2, plan, instance, target, progress):
        from brian2.devices.device import get_device, runtime_device

        from .build import build_network, collect, collect_weights

        previous = b2.prefs.codegen.target
        b2.prefs.codegen.target = target
        if get_device() is not runtime_device:
            b2.set_device(runtime_device)
        try:
            t0 = time.perf_counter()
            built = build_network(b2, plan)
            t1 = time.perf_counter()
            report, period = None, 1.0
            heartbeat = Heartbeat(progress, instance.n_steps, COMPILING)
            if progress is not None:
                n = instance.n_steps

                def report(elapsed, completed, start, duration):  # Brian2's report signature
                    heartbeat.stop()  # the code is compiled: Brian2 reports the run itself from here
                    progress(min(n, int(round(float(completed) * n))), n)

            with heartbeat:  # Brian2 compiles its code objects inside run(), before its first report
                built.network.run(plan.n_steps * plan.dt * b2.second, report=report,
                                  report_period=period * b2.second, namespace={})
            t2 = time.perf_counter()
            spikes, traces = collect(plan, built, instance)
            weights = collect_weights(plan, built, instance)
            return spikes, traces, weights, {"build": t1 - t0, "run": t2 - t1}
        finally:
            b2.prefs.codegen.target = previous

    def _standalone(self, b2, plan, instance, folder, progress=None):
        from brian2.devices.device import all_devices, reset_device

        from .build import build_network, collect, collect_weights

        device = all_devices["cpp_standalone"]
        device.reinit()  # nothing left from an earlier standalone run in this process
        b2.set_device(device, build_on_run=False, directory=str(folder))
        try:
            t0 = time.perf_counter()
            built = build_network(b2, plan)
            built.network.run(plan.n_steps * plan.dt * b2.second, namespace={})
            t1 = time.perf_counter()
            with Heartbeat(progress, instance.n_steps, "compiling and running (compiled once, cached afterwards)"):
                device.build(directory=str(folder), compile=True, run=True, with_output=False, clean=False)
            t2 = time.perf_counter()
            spikes, traces = collect(plan, built, instance)
            weights = collect_weights(plan, built, instance)
            return spikes, traces, weights, {"build": t1 - t0, "compile_and_run": t2 - t1}
        finally:
            device.reinit()
            reset_device()


#: what the progress bar says while Brian2 generates and compiles code (a minute the first time for cython)
COMPILING = "compiling (cached afterwards)"


class Heartbeat:
    """While Brian2 compiles (no report of its own for up to a minute), tell the progress bar every
    0.25 s that the backend is alive and what it does, so the bar moves instead of sitting at 0 %.
    Stopped for good by :meth:`stop` (from Brian2's first report) or at the end of the ``with`` block."""

    def __init__(self, progress: Optional[Progress], total: int, note: str):
        self.progress, self.total, self.note = progress, total, note
        self.done = threading.Event()
        self.thread = None

    def __enter__(self):
        if self.progress is not None:
            self.thread = threading.Thread(target=self._beat, name="snnrun-brian2-heartbeat", daemon=True)
            self.thread.start()
        return self

    def _beat(self) -> None:
        while not self.done.is_set():
            self.progress(0, self.total, self.note)
            self.done.wait(0.25)

    def stop(self) -> None:
        self.done.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join()

    def __exit__(self, *exc) -> None:
        self.stop()


class _WarningCollector(logging.Handler):
    """Brian2's own warnings during a run (NaN values, clock mismatches...), for the run's manifest."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"brian2: {record.getMessage()}")


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    # Brian2 wraps errors in BrianObjectException("Error encountered with object ...") + the cause
    cause = exc.__cause__ or getattr(exc, "__context__", None)
    if type(exc).__name__ == "BrianObjectException" and cause is not None:
        return f"{type(cause).__name__}: {str(cause).strip().splitlines()[0] if str(cause).strip() else ''} ({first})"
    return f"{type(exc).__name__}: {first}"
