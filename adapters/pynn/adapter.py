"""The pynn backends: ``pynn:nest``, ``pynn:neuron`` and ``pynn:brian2``.

Each adapter hands the drawn instance to one PyNN simulator module and returns its results in snnrun's
conventions (see semantics.md, section "pynn"). Importing this module imports neither PyNN nor a
simulator: :meth:`PyNNAdapter.run` does, in the worker process snnrun gives every simulator backend
(NEST and NEURON keep process-wide state, and PyNN's ``setup()/end()`` is global). A run assumes it is
the only PyNN run of its process.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import subprocess
import sys
from typing import Optional

from ...schema import catalogue as cat
from ...schema.errors import BackendError, Problem, SnnrunError
from ...schema.model import Spec
from ...schema.values import value_bounds
from ..base import Adapter, Capabilities, Progress, RunOutput
from . import capabilities as caps
from . import translation as tr

MPI_PREFIXES = ("PMIX_", "PMI_", "OMPI_")


def prepare_environment(tools_on_path: bool = False) -> None:
    """Make this process safe for a non-MPI simulator run: a pip NEST exits with status 127 when it sees
    MPI launcher variables, and NEST's banner goes. ``tools_on_path`` puts this Python's bin folder on
    PATH, so that ``nrnivmodl`` (which pyNN.neuron runs on first use to compile its mechanisms) is found
    even when the venv is not activated. Not for NEST: with ``nest-config`` on PATH, pyNN.nest tries to
    build its optional extensions with cmake on every import (1.5 s, and a build folder in site-packages)."""
    for key in [k for k in os.environ if k.startswith(MPI_PREFIXES)]:
        del os.environ[key]
    os.environ.setdefault("PYNEST_QUIET", "1")
    # NEURON prints "Warning: no DISPLAY environment variable. --No graphics will be displayed." at import
    # on every headless machine; snnrun never opens NEURON's GUI
    os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
    if tools_on_path:
        bindir = os.path.dirname(sys.executable)
        path = os.environ.get("PATH", "")
        if bindir not in path.split(os.pathsep):
            os.environ["PATH"] = bindir + (os.pathsep + path if path else "")


def _unique(problems: list[Problem]) -> list[Problem]:
    """Each (path, message) once: populations that share a named model report it once."""
    return list({(p.path, p.message): p for p in problems}.values())


#: capabilities reason -> (the model types it concerns, None for every model; the state variables the
#: simulator always starts at 0): check refuses other initial values of them where the reason is declared
FIXED_AT_ZERO = {
    "initial:i_syn": (None, ("i_syn_exc", "i_syn_inh")),
    "initial:g_hh": (("hh_cond_exp",), ("g_exc", "g_inh")),
}


class PyNNAdapter(Adapter):
    """Shared by the three pynn backends; a subclass names its simulator and its session class."""

    simulator = ""
    distributions: tuple[str, ...] = ()
    translations = tr.TABLES  # model type -> translation table (each simulator's variant)
    session = ""  # "module:Class" of the Session subclass, imported inside run()
    needs_tools = False  # the simulator compiles code with tools installed next to Python
    threads = False  # simulation.options.<name>.threads above 1 is honoured (NEST's local_num_threads)
    #: "module" with init_mpi() and finish_mpi() when the backend runs under mpirun (snnrun.mpi), else None
    mpi_module: Optional[str] = None

    def versions(self) -> dict[str, str]:
        out = {}
        for dist in ("PyNN",) + self.distributions:
            try:
                out[dist] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                pass
        return out

    def check(self, spec: Spec) -> list[Problem]:
        problems = super().check(spec)
        threads = self.options(spec).get("threads", 1)
        if isinstance(threads, int) and threads > 1 and not self.threads:  # its type: the options schema
            problems.append(spec.problem(("simulation", "options", self.name, "threads"),
                                         f"threads {threads}: {self.name} runs with 1 thread (snnrun sets "
                                         f"threads on pynn:nest only; --mpi runs pynn:neuron on several processes)"))
        problems.extend(self._check_fixed_initial(spec))
        problems.extend(self._check_weight_signs(spec))
        return _unique(problems)

    def _check_fixed_initial(self, spec: Spec) -> list[Problem]:
        """Initial values other than 0 of state the simulator always starts at 0 (FIXED_AT_ZERO)."""
        out = []
        for key, (models, variables) in FIXED_AT_ZERO.items():
            if key not in self.capabilities.reasons:
                continue
            for name, pop in spec.populations.items():
                if pop.model.type not in self.capabilities.models or (models and pop.model.type not in models):
                    continue
                for var in variables:
                    value = pop.initial.get(var)
                    if value is not None and value_bounds(value) != (0.0, 0.0):
                        out.append(spec.problem(("populations", name, "initial", var),
                                                f"initial {var} other than 0: {self.capabilities.reason(key)}"))
        return out

    def _check_weight_signs(self, spec: Spec) -> list[Problem]:
        return []

    def mpi_refusal(self) -> str:
        """Why ``--mpi`` cannot run this backend (asked only when ``mpi_module`` is None)."""
        return f"snnrun runs PyNN on {self.simulator} in one process (pynn:neuron runs under MPI)"

    def run(self, instance, progress: Optional[Progress] = None) -> RunOutput:
        prepare_environment(self.needs_tools)
        module, cls = self.session.split(":")
        session = getattr(importlib.import_module(module), cls)(self.name, instance)
        try:
            output = session.run(progress)
        except SnnrunError:
            raise
        except Exception as exc:  # the simulator's own exception, translated at the boundary
            raise BackendError(self.name, f"{type(exc).__name__}: {exc}", session.where) from exc
        output.versions = self.versions()
        return output


class PyNNNestAdapter(PyNNAdapter):
    """PyNN 0.13 on NEST 3 (``pyNN.nest``), on the grid: same spike steps as the reference engine."""

    name = "pynn:nest"
    simulator = "nest"
    distributions = ("nest-simulator",)
    capabilities: Capabilities = caps.NEST
    translations = tr.TRANSLATIONS["pynn:nest"]
    session = "snnrun.adapters.pynn.nest_session:NestSession"
    threads = True

    def mpi_refusal(self) -> str:
        # asked in a child process: a pip NEST exits 127 when it sees MPI variables, and this process
        # must not hold NEST's kernel
        code = "import nest, sys; sys.stdout.write(str(bool(nest.build_info['have_mpi'])))"
        env = {k: v for k, v in os.environ.items() if not k.startswith(MPI_PREFIXES)}
        try:
            have = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                                  env={**env, "PYNEST_QUIET": "1"}).stdout.strip().splitlines()[-1:]
        except (OSError, subprocess.SubprocessError):
            have = []
        if have == ["False"]:
            return "this NEST is built without MPI (nest.build_info['have_mpi'] is False, as in the pip wheel)"
        return "snnrun does not run pynn:nest under MPI yet (use simulation.options.pynn:nest.threads)"

    def check(self, spec: Spec) -> list[Problem]:
        from .plasticity_checks import nest_stdp_problems

        return _unique(super().check(spec) + nest_stdp_problems(spec, self.capabilities))

    def _check_weight_signs(self, spec: Spec) -> list[Problem]:
        out = []
        for name, proj in spec.projections.items():
            post = spec.populations[proj.post].model.type
            if cat.MODELS[post].synapse != "current" or proj.synapse.weight is None:
                continue
            low, high = value_bounds(proj.synapse.weight)
            wrong = low < 0 if proj.synapse.receptor == "exc" else high > 0
            if wrong:
                out.append(spec.problem(("projections", name, "synapse", "weight"),
                                        f"weights of sign opposite to receptor '{proj.synapse.receptor}': "
                                        f"{self.capabilities.reason('weight_sign')}"))
        for name, stim in spec.stimuli.items():  # a poisson_input's events are routed the same way
            if stim.type != "poisson_input" or cat.MODELS[spec.populations[stim.population].model.type].synapse \
                    != "current":
                continue
            receptor, weight = stim.params.get("receptor", "exc"), stim.params["weight"]
            if (weight < 0) if receptor == "exc" else (weight > 0):
                out.append(spec.problem(("stimuli", name, "weight"), f"a weight of sign opposite to receptor "
                                        f"'{receptor}': {self.capabilities.reason('weight_sign')}"))
        return out


class PyNNNeuronAdapter(PyNNAdapter):
    """PyNN 0.13 on NEURON 9 (``pyNN.neuron``), fixed step, Crank-Nicolson (``secondorder = 2``)."""

    name = "pynn:neuron"
    simulator = "neuron"
    distributions = ("NEURON",)
    capabilities: Capabilities = caps.NEURON
    translations = tr.TRANSLATIONS["pynn:neuron"]
    session = "snnrun.adapters.pynn.neuron_session:NeuronSession"
    needs_tools = True
    mpi_module = "snnrun.adapters.pynn.neuron_session"


class PyNNBrian2Adapter(PyNNAdapter):
    """PyNN 0.13 on Brian2 (``pyNN.brian2``)."""

    name = "pynn:brian2"
    simulator = "brian2"
    distributions = ("Brian2",)
    capabilities: Capabilities = caps.BRIAN2
    translations = tr.TRANSLATIONS["pynn:brian2"]
    session = "snnrun.adapters.pynn.brian2_session:Brian2Session"

    def check(self, spec: Spec) -> list[Problem]:
        problems = super().check(spec)
        dt = spec.simulation.dt
        for name, pop in spec.populations.items():
            value = pop.model.params.get("tau_refrac")
            if pop.model.type not in self.capabilities.models or value is None:
                continue
            low, high = value_bounds(value)
            if round(low / dt) != round(high / dt):
                problems.append(spec.problem(spec.parameter_path(name, "tau_refrac"), f"refractory periods that differ between neurons: "
                                                   f"{self.capabilities.reason('tau_refrac:heterogeneous')}"))
        problems.extend(self._check_alpha_time_constants(spec))
        return _unique(problems)

    def _check_alpha_time_constants(self, spec: Spec) -> list[Problem]:
        from .brian2_session import ALPHA_CELL_TYPES, ALPHA_MIN_SEPARATION

        out = []
        for name, pop in spec.populations.items():
            table = self.translations.get(pop.model.type)
            if table is None or table.target not in ALPHA_CELL_TYPES:
                continue
            m_low, m_high = value_bounds(pop.model.params["tau_m"])
            for key in ("tau_syn_exc", "tau_syn_inh"):
                s_low, s_high = value_bounds(pop.model.params[key])
                if s_low < m_high * (1 + ALPHA_MIN_SEPARATION) and s_high > m_low * (1 - ALPHA_MIN_SEPARATION):
                    out.append(spec.problem(spec.parameter_path(name, key),
                                            f"{key} within {ALPHA_MIN_SEPARATION:.0%} of tau_m: "
                                            f"{self.capabilities.reason('alpha:tau_syn_near_tau_m')}"))
        return out
