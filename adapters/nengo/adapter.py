"""The nengo backend: runs a NetworkInstance on nengo's reference simulator at the spec's dt.

Importing this module does not import nengo (``snnrun check`` and ``snnrun backends`` stay fast);
:meth:`NengoAdapter.run` does. How the spec's rules map onto nengo (the affine map to nengo's
normalised LIF, the one-step lags of nengo's signal graph, delays) is written in schema/semantics.md
under "nengo"; the unit map itself is data in translation.py, one family per model family.
"""

from __future__ import annotations

import importlib.metadata
import time
import warnings

import numpy as np

from ...schema import catalogue as cat
from ...schema.errors import BackendError
from ..base import Adapter, Capabilities, RunOutput, Trace
from ..weights import merge_samples, static_samples, weight_trace
from .translation import FAMILIES, TRANSLATIONS

CAPABILITIES = Capabilities(
    models=frozenset(TRANSLATIONS),
    stimuli=frozenset(cat.CURRENT_STIMULI),
    recordables={m: frozenset(rule.source for rule in TRANSLATIONS[m].state) for m in FAMILIES},
    heterogeneous_delays=True,
    # the reference engine's plastic delivery (snnrun.numerics.plastic_delivery) inside a transform
    # (plastic.py): every rule, pairing, weight dependence and delay fraction, both rules on one synapse
    plasticity=frozenset({"stdp", "stdp:nearest", "stdp:multiplicative", "stdp:axonal_delay", "tsodyks_markram",
                          "stdp+tsodyks_markram"}),
    record_weights=True,
    reasons={"poisson_input": "not wired on nengo: its stimuli are current Processes into the neurons, and a "
                              "per-neuron Poisson count onto a synapse's input would need a Process feeding each "
                              "receptor's filter; the reference engine, pynn:nest and brian2 run it"},
)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


class NengoAdapter(Adapter):
    """Nengo's reference simulator at neuron level: Ensembles used through ``.neurons`` with an exact
    LIF NeuronType, delayed sparse transforms, exact current synapses, Process sources and stimuli."""

    name = "nengo"
    capabilities = CAPABILITIES
    translations = TRANSLATIONS
    progress_every = 500  # steps between progress callbacks (a chunk of sim.run_steps)

    def versions(self) -> dict[str, str]:
        return {k: v for k, v in {"nengo": _version("nengo"), "numpy": _version("numpy"),
                                  "scipy": _version("scipy")}.items() if v}

    def check(self, spec):
        """The capabilities' check, plus: ``integrator: euler`` on a family that takes only its own
        scheme (the current-based LIF's exact propagators), and AdEx parameters the scheme cannot run."""
        problems = super().check(spec)
        integrator = self.options(spec).get("integrator", "standard")
        for name, pop in spec.populations.items():
            family = FAMILIES.get(pop.model.type)
            if family is None:
                continue
            if integrator not in family.integrators:
                problems.append(spec.problem(("simulation", "options", self.name, "integrator"),
                                             f"integrator {integrator}: {pop.model.type} (population {name}) "
                                             f"takes only {family.scheme} on nengo"))
            problems += [spec.problem(spec.parameter_path(name, param), message)
                         for param, message in family.parameter_problems(pop.model.params)]
        return problems

    def run(self, instance, progress=None) -> RunOutput:
        try:
            import nengo
            from .models import UnstableIntegration
            from .network import BuildCursor, build_network
        except ImportError as exc:
            raise BackendError("nengo", f"nengo cannot be imported ({exc}); install snnrun[nengo]") from exc
        where = BuildCursor()
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                t0 = time.perf_counter()
                built = build_network(instance, where)
                where.path = ()
                # nengo's optimizer merges operators in an order that depends on object identity, so
                # several inputs into one population were summed in a different order from run to run
                # (last-bit changes of v); unoptimised, the build order is kept and runs repeat bit for
                # bit, for about 8 us per CUBA step
                sim = nengo.Simulator(built.network, dt=instance.dt, progress_bar=False, optimize=False)
                t1 = time.perf_counter()
                # as the reference engine: a state gone non-finite is reported (UnstableIntegration), not
                # warned about step by step
                with sim, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    done = 0
                    while done < instance.n_steps:
                        chunk = min(self.progress_every, instance.n_steps - done)
                        sim.run_steps(chunk, progress_bar=False)
                        done += chunk
                        if progress is not None:
                            progress(done, instance.n_steps)
                    t2 = time.perf_counter()
                    spikes, traces, weights, final_weights = self._collect(instance, built, sim)
        except UnstableIntegration as exc:
            raise BackendError("nengo", str(exc), ("populations", exc.population)) from exc
        except nengo.exceptions.NengoException as exc:
            raise BackendError("nengo", f"{type(exc).__name__}: {exc}", where.path) from exc
        except (ValueError, TypeError, FloatingPointError, MemoryError) as exc:
            raise BackendError("nengo", f"{type(exc).__name__}: {exc}", where.path) from exc
        t3 = time.perf_counter()
        messages = [f"nengo: {w.category.__name__}: {w.message}" for w in caught]
        return RunOutput(spikes, traces, weights, final_weights,
                         timings={"build": t1 - t0, "run": t2 - t1, "collect": t3 - t2},
                         versions=self.versions(), warnings=messages)

    @staticmethod
    def _collect(instance, built, sim):
        """Spikes and traces in snnrun's conventions: SI, stamps n dt, grid t = 0, interval, ... < duration."""
        dt = instance.dt
        spikes = {}
        weights, final_weights = NengoAdapter._weights(instance, built)
        for pop, log in built.spike_logs.items():
            ids, steps = log.arrays()
            spikes[pop] = (ids, steps * dt)
        traces = {}
        for tp in built.traces:
            positions = np.searchsorted(tp.sampled_steps, tp.grid_steps)
            values = np.zeros((tp.grid_steps.size, tp.neurons.size))
            for probe, to_si in tp.parts:
                data = np.asarray(sim.data[probe])
                values += to_si(data[positions])
            for start, decay in tp.decaying:
                values += start * decay ** tp.grid_steps[:, None]
            times = np.concatenate([[0.0], tp.grid_steps * dt])
            traces[(tp.population, tp.variable)] = Trace(times, tp.neurons, np.vstack([tp.initial, values]))
        return spikes, traces, weights, final_weights

    @staticmethod
    def _weights(instance, built):
        """Recorded weights (the plastic transforms' samples; a static projection's drawn weights) and
        the final weights of every projection with STDP, as the reference engine reports them."""
        weights = {}
        for name, probes in built.weight_probes.items():
            proj = instance.projections[name]
            transform = built.plastic.get(name)
            if transform is None:
                parts = [static_samples(proj, chosen, every, instance.n_steps) for chosen, every in probes]
            else:
                parts = [(chosen, np.arange(len(samples)) * every, samples)
                         for (chosen, every), samples in zip(probes, transform.samples)]
            weights[name] = merge_samples(parts, proj, instance.dt)
        final = {}
        for name, transform in built.plastic.items():
            if transform.stdp is None:
                continue
            every = np.arange(transform.proj.size)
            final[name] = weight_trace(transform.proj, every, np.array([instance.n_steps * instance.dt]),
                                       transform.weights(every)[None, :])
        return weights, final
