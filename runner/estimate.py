"""Before anything is drawn: how much memory and how many steps a run needs, and whether this machine has
them. A valid spec can still ask for absurd work (10^8 neurons, all_to_all on 10^6 x 10^6, 10^7 s of
simulated time); drawn blindly it dies of MemoryError minutes later, or never ends. :func:`check_fits`
refuses it in milliseconds with one line that names the spec element and the estimate (exit code 10,
:class:`TooLarge`); ``--force`` on the command line runs it anyway.

The estimate is deliberately simple: counts (synapses, neurons, source spikes, recorded samples) times
bytes per item measured on this project's machine type (Python 3.11, numpy 2.3, 64-bit):

- a synapse costs 24 bytes while the instance is drawn (pre and post int32, a float64 weight and an
  int8 delay where they are drawn per synapse, nothing where they are uniform, plus the drawing's
  transients: 21 bytes/synapse measured on the 10 % microcircuit, 3e7 synapses) and up to 80 more in
  each backend that runs it (the reference engine's compiled kernels read the instance and add almost
  nothing, 13.6 bytes/synapse in all for 10^7 synapses; its numpy kernel's compressed rows about 40; NEST
  under PyNN, with the worker's copy of the instance, 69 on the 10 % microcircuit). Where a backend's
  cost was measured it is charged its own (:data:`SYNAPSE_BYTES_BY_BACKEND`): the full-scale microcircuit
  (2.99e8 synapses) peaked at 5135 MiB on the reference engine with its compiled kernels (18 bytes per
  synapse in all) and 19475 MiB on pynn:nest (68 in all, 44 beyond the instance's 24);
- a neuron costs about 100 bytes drawn (parameters and initial values as float64 arrays) and 240 more in
  a backend (the reference engine's state and propagators measured 340 in all);
- a source spike costs 8 bytes (an int64 step) in the instance and 8 more in each backend;
- a recorded sample (one neuron, one time) costs 8 bytes three times: the backend's buffer, the copy
  sent back from its worker, the table written.
Neuron spikes cannot be known before running and are not counted.

The per-item constants live in :data:`BYTES` and nowhere else, and the memory available is read from the machine at the time of the check (MemAvailable in
/proc/meminfo, or the cgroup's limit when that is lower), not assumed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence, Union

from .schema.errors import ExitCode, SnnrunError
from .schema.model import Distribution, Quantity, Spec, Values

#: bytes per counted item: (in the drawn instance, in each backend that runs it); see the module docstring
BYTES = {
    "synapse": (24, 80),
    "neuron": (100, 240),
    "source spike": (8, 8),
    "recorded sample": (0, 24),
}
#: bytes per synapse a backend adds to the drawn instance, where measured (module docstring; the others
#: are charged BYTES["synapse"][1]). The reference engine's compiled delivery reads the instance's arrays
#: (8 charged, 18 measured in all with the instance), its numpy kernel builds compressed rows of its own
REFERENCE_SYNAPSE_BYTES = {"numba": 8, "numpy": 40}
SYNAPSE_BYTES_BY_BACKEND = {"pynn:nest": 48}
#: more steps than this are refused without --force: 10^9 steps of 0.1 ms are 28 hours of simulated time,
#: and at the reference engine's 8 us per step of a one-neuron network at least 2 hours of wall time
MAX_STEPS = 10**9
#: the wall time of one step that no backend beats (s); used only to say how long a refused run would take
SECONDS_PER_STEP = 8e-6


class TooLarge(SnnrunError, MemoryError):
    """The run would not fit this machine (memory) or would take absurdly long (steps)."""

    exit_code = ExitCode.TOO_LARGE


@dataclass
class Estimate:
    """Counts and bytes of one run; ``parts`` maps a spec path to (what, bytes) for the largest items."""

    steps: int
    synapses: float = 0.0
    neurons: int = 0
    source_spikes: float = 0.0
    recorded_samples: float = 0.0
    bytes: float = 0.0
    parts: list = field(default_factory=list)  # (bytes, spec path, description)

    def largest(self):
        return max(self.parts, default=(0.0, (), "nothing"))


def size_text(n_bytes: float) -> str:
    """``3.2e9 -> '3.0 GiB'``."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.3g} {unit}"
    return f"{n_bytes:.0f} bytes"


def _count(x: float) -> str:
    return f"{x:.3g}" if x >= 1e5 else f"{int(round(x))}"


def _synapse_count(proj, pre: int, post: int) -> float:
    """Expected synapses of a projection (fixed_probability: its mean)."""
    c = proj.connect
    self_slots = pre if proj.pre == proj.post and not c.allow_self else 0
    return float({"all_to_all": pre * post - self_slots, "one_to_one": pre,
                  "fixed_probability": (c.p or 0.0) * (pre * post - self_slots),
                  "fixed_indegree": (c.n or 0) * post, "fixed_outdegree": (c.n or 0) * pre,
                  "fixed_total": c.n or 0, "from_list": len(c.pairs)}.get(c.rule, 0))


def _upper(value) -> float:
    """The largest value a ValueSpec can take; a distribution's mean-ish bound for unbounded ones."""
    if isinstance(value, Quantity):
        return value.value
    if isinstance(value, Values):
        return max(value.values, default=0.0)
    if isinstance(value, Distribution):
        if value.clip or value.truncate:
            return (value.clip or value.truncate)[1]
        p = value.params
        if value.name == "uniform":
            return p["high"]
        if value.name == "normal":
            return p["mean"] + 3 * p["std"]
        if value.name == "lognormal":
            return math.exp(p["mu"] + 3 * p["sigma"]) * value.unit
        return max(value.choices, default=0.0)
    return 0.0


def _source_spikes(pop, duration: float) -> float:
    params = pop.model.params
    if pop.model.type == "poisson":
        start = _upper(params.get("start")) if params.get("start") is not None else 0.0
        stop = _upper(params["stop"]) if params.get("stop") is not None else duration
        return pop.size * _upper(params["rate"]) * max(0.0, min(stop, duration) - start)
    if pop.model.type == "inhomogeneous_poisson":
        times = list(params["times"]) + [duration]
        return pop.size * sum(r * max(0.0, min(times[j + 1], duration) - times[j])
                              for j, r in enumerate(params["rates"]))
    times = params.get("spike_times") or ()
    if times and isinstance(times[0], tuple):
        return float(sum(len(row) for row in times))
    return float(len(times) * pop.size)


def synapse_bytes(spec: Spec, backend: str) -> float:
    """Bytes per synapse ``backend`` adds to the drawn instance (module docstring)."""
    if backend == "reference":
        import importlib.util

        kernel = (spec.simulation.options or {}).get("reference", {}).get("kernel", "auto")
        compiled = kernel != "numpy" and importlib.util.find_spec("numba") is not None
        return REFERENCE_SYNAPSE_BYTES["numba" if compiled else "numpy"]
    return SYNAPSE_BYTES_BY_BACKEND.get(backend, BYTES["synapse"][1])


def estimate(spec: Spec, backends: Union[int, Sequence[str]] = 1) -> Estimate:
    """Counts and peak bytes of running ``spec`` on ``backends`` at once (no drawing): a number of
    backends, each charged the largest per-synapse cost, or their names, each charged its own."""
    from .schema import catalogue as cat

    sim = spec.simulation
    est = Estimate(steps=int(round(sim.duration / sim.dt)))
    if isinstance(backends, int):
        n_backends, synapse_extra = backends, BYTES["synapse"][1] * backends
    else:
        n_backends, synapse_extra = len(backends), sum(synapse_bytes(spec, b) for b in backends)

    def add(kind: str, count: float, path: tuple, what: str) -> None:
        drawn, per_backend = BYTES[kind]
        extra = synapse_extra if kind == "synapse" else per_backend * n_backends
        n_bytes = count * (drawn + extra)
        est.bytes += n_bytes
        est.parts.append((n_bytes, path, what))

    for name, pop in spec.populations.items():
        est.neurons += pop.size
        add("neuron", pop.size, ("populations", name, "size"), f"{_count(pop.size)} neurons")
        if cat.MODELS[pop.model.type].is_source:
            spikes = _source_spikes(pop, sim.duration)
            est.source_spikes += spikes
            add("source spike", spikes, ("populations", name, "model"), f"{_count(spikes)} source spikes")
    for name, proj in spec.projections.items():
        n = _synapse_count(proj, spec.populations[proj.pre].size, spec.populations[proj.post].size)
        est.synapses += n
        add("synapse", n, ("projections", name, "connect"), f"{_count(n)} synapses")
    for i, rec in enumerate(spec.record):
        if rec.population is None or rec.variable == "spikes":
            continue
        neurons = spec.populations[rec.population].size if rec.neurons is None else len(rec.neurons)
        samples = neurons * math.ceil(est.steps * sim.dt / (rec.interval or sim.dt))
        est.recorded_samples += samples
        add("recorded sample", samples, ("record", i), f"{_count(samples)} recorded samples")
    return est


def available_memory() -> Optional[int]:
    """Bytes this process may still allocate: MemAvailable (Linux), lowered to what the cgroup (v2 or v1)
    and ``ulimit -v`` (RLIMIT_AS) still allow; None when the platform says nothing."""
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
                break
    except (OSError, ValueError, IndexError):
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError, AttributeError):
            pass
    try:  # ulimit -v: address space left to this process
        import resource
        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            used = next(int(line.split()[1]) * 1024 for line in Path("/proc/self/status").read_text().splitlines()
                        if line.startswith("VmSize:"))
            found.append(max(0, soft - used))
    except (ImportError, OSError, ValueError, StopIteration):
        pass
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            limit = Path(limit_file).read_text().strip()
            if limit != "max" and int(limit) < 2**60:
                found.append(int(limit) - int(Path(usage_file).read_text().strip()))
        except (OSError, ValueError):
            continue
    return min(found) if found else None


def check_fits(spec: Spec, backends: Union[int, Sequence[str]] = 1, available: Optional[int] = None) -> Estimate:
    """Raise :class:`TooLarge` (one line, at the largest element) when ``spec`` needs more memory than this
    machine has available or more than :data:`MAX_STEPS` steps; return the estimate otherwise."""
    est = estimate(spec, backends)
    if est.steps > MAX_STEPS:
        hours = est.steps * SECONDS_PER_STEP / 3600
        raise TooLarge(str(spec.problem(("simulation", "duration"), (
            f"{est.steps:.3g} steps of dt ({spec.simulation.dt * 1e3:g} ms): at least {hours:.3g} hours at "
            f"{SECONDS_PER_STEP * 1e6:g} us per step; runs of more than {MAX_STEPS:.0e} steps need --force"))))
    available = available_memory() if available is None else available
    if available is not None and est.bytes > available:
        n_bytes, path, what = est.largest()
        count = backends if isinstance(backends, int) else len(backends)
        backends_text = f" on {count} backends at once" if count > 1 else ""
        raise TooLarge(str(spec.problem(path, (
            f"the run needs about {size_text(est.bytes)}{backends_text} ({what} here: {size_text(n_bytes)}), "
            f"more than the {size_text(available)} of memory available; --force runs it anyway"))))
    return est
