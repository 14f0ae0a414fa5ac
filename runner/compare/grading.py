"""Tolerance profiles and grades.

Every graded metric is an error (0 = identical) compared with two limits: at or below ``agree`` it
*agrees*, at or below ``close`` it is *close*, above it *differs* (Brian2's feature tests grade the same
way: OK / poor / fail). A limit of None means the profile reports the metric without grading it.

The metrics (see :mod:`.metrics`), per population and backend against the reference backend:

=================  ==============================================================================
``rate``           relative difference of the population's spike count (= of its mean rate)
``cv_isi``         absolute difference of the mean CV of inter-spike intervals
``count_error``    per-neuron spike-count error, summed over neurons, relative to the reference count
``unmatched``      1 - coincidence: fraction of spikes without a partner within ``window``
``van_rossum``     sum over neurons of D^2 (kernel ``tau``) / total spikes of both backends
``victor_purpura`` sum over neurons of D (cost 1/``tau`` per second) / total spikes of both backends
``divergence``     fraction of the run after the first divergence (0 when the trains never diverge)
``trace_rmse``     RMS error of a recorded variable / the reference trace's range
``trace_max``      maximum absolute error of a recorded variable / the reference trace's range
``weight_error``   largest relative error of a plastic synapse's final weight (:mod:`.weights`)
``weight_ks``      Kolmogorov-Smirnov distance of a projection's final-weight distributions
=================  ==============================================================================

``window`` (s) is the coincidence window (None: half a time step, i.e. the same grid stamp) and
``tau`` (s) the time scale of both spike-train distances.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping, Optional

from ..schema.errors import SpecError

METRICS = ("rate", "cv_isi", "count_error", "unmatched", "van_rossum", "victor_purpura", "divergence",
           "trace_rmse", "trace_max", "weight_error", "weight_ks")
SETTINGS = ("window", "tau")
AGREES, CLOSE, DIFFERS, REPORTED, NOT_AVAILABLE = "agrees", "close", "differs", "reported", "n/a"
ORDER = {NOT_AVAILABLE: 0, REPORTED: 0, AGREES: 1, CLOSE: 2, DIFFERS: 3}
DEFAULT_PROFILE = "network"


@dataclass(frozen=True)
class Profile:
    """A named tolerance set: ``limits[metric] = (agree, close)``, None for a reported-only metric."""

    name: str
    description: str
    limits: Mapping[str, tuple[Optional[float], Optional[float]]]
    window: Optional[float] = None  # s; None: half a time step
    tau: float = 0.005  # s
    sources: Mapping[str, str] = field(default_factory=dict)  # metric -> "spec" when overridden

    def window_for(self, dt: float) -> float:
        return 0.5 * dt if self.window is None else self.window

    def limit(self, metric: str) -> tuple[Optional[float], Optional[float]]:
        return self.limits.get(metric, (None, None))


_NONE = (None, None)

#: The profiles and why their numbers are what they are (README "Comparing backends" repeats this).
PROFILES: dict[str, Profile] = {
    # Same numerics up to rounding: backends that integrate the reference engine's exact propagators on
    # the same grid (nengo, Brian2, NEST) reproduce its spike steps exactly and its membrane traces to
    # 1e-16..4e-15 V, i.e. about 1e-13 of a 15 mV range (semantics.md, "Residual difference").
    # 1e-9 leaves four decades for other CPUs and libraries; 1e-6 (15 nV) is still far below anything
    # physiological but flags a different integration scheme. Spikes: every spike on the same step;
    # "close" allows one spike in a thousand and a divergence only in the last tenth of the run.
    "exact": Profile("exact", "same spike steps and traces equal to rounding", {
        "rate": (0.0, 1e-3), "cv_isi": (1e-9, 1e-3), "count_error": (0.0, 1e-3), "unmatched": (0.0, 1e-3),
        "van_rossum": (1e-9, 1e-3), "victor_purpura": (1e-9, 1e-3), "divergence": (0.0, 0.1),
        "trace_rmse": (1e-9, 1e-6), "trace_max": (1e-9, 1e-6),
        # the same spikes give the same weights up to rounding (the reference is exact to about 1e-15
        # relative per update); 1e-6 is issue 10's bar for the pair protocol on every backend. On a grid
        # of 1e-9 of the largest weight (weights.py) equal weights have equal distributions: KS 0
        "weight_error": (1e-9, 1e-6), "weight_ks": (0.0, 0.01),
    }, window=None, tau=0.001),
    # Same model, a different integrator or stamp rule: published point-neuron agreement across PyNN
    # backends is 0.1-0.4 % in spike times and 0.5 % for an analytic IF case (field-notes.md), so a
    # 0.5 % rate difference agrees and 2 % is close. Spike times match within 1 ms (a few steps of a
    # second-order scheme). A spike moved by one step puts one reset sample (a whole range) into the
    # trace error, so the maximum error is reported, not graded, and the RMS error gets 2 % / 10 %.
    "single_neuron": Profile("single_neuron", "same spikes within 1 ms, rates within 0.5 %", {
        "rate": (0.005, 0.02), "cv_isi": (0.01, 0.05), "count_error": (0.01, 0.05), "unmatched": (0.01, 0.05),
        "van_rossum": (0.02, 0.1), "victor_purpura": (0.02, 0.1), "divergence": _NONE,
        "trace_rmse": (0.02, 0.1), "trace_max": _NONE,
        # a spike moved by a step changes each pair it takes part in by about dt / tau (0.5 % at 0.1 ms
        # and 20 ms): weights within 1 % agree, 5 % is close; their distributions within 0.02 / 0.05
        "weight_error": (0.01, 0.05), "weight_ks": (0.02, 0.05),
    }, window=0.001, tau=0.005),
    # Recurrent networks are chaotic: one spike moved by rounding reshuffles every later spike, so
    # per-spike and per-neuron metrics are reported only. Rates: network population rates agree to 1-3 %
    # across simulators (field-notes.md): 2 % agrees; 5 % is the seed-to-seed spread of CUBA's rate, so
    # a backend beyond it differs by more than drawing another network would. CV of ISIs: 0.05 / 0.1.
    "network": Profile("network", "population statistics: rates within 2 %, CV within 0.05", {
        "rate": (0.02, 0.05), "cv_isi": (0.05, 0.1), "count_error": _NONE, "unmatched": _NONE,
        "van_rossum": _NONE, "victor_purpura": _NONE, "divergence": _NONE,
        "trace_rmse": _NONE, "trace_max": _NONE,
        # chaos reshuffles the spikes and so every synapse's history: single weights are reported only;
        # the distribution of a plastic projection's weights is what a network's learning produces.
        # KS 0.05 (issue 10's bar for Song-Miller-Abbott) agrees; 0.1 is close
        "weight_error": _NONE, "weight_ks": (0.05, 0.1),
    }, window=0.002, tau=0.01),
}


def grade(value: Optional[float], limits: tuple[Optional[float], Optional[float]]) -> str:
    """The grade of an error ``value`` against ``(agree, close)``; ``n/a`` when undefined."""
    agree, close = limits
    if value is None:
        return NOT_AVAILABLE
    if agree is None and close is None:
        return REPORTED
    if agree is not None and value <= agree:
        return AGREES
    if close is not None and value <= close:
        return CLOSE
    return DIFFERS


def worst(grades) -> str:
    """The worst of several grades (``n/a`` and ``reported`` never win over a real grade)."""
    out = NOT_AVAILABLE
    for g in grades:
        if ORDER[g] > ORDER[out]:
            out = g
    return out


def with_tolerances(profile: Profile, tolerances: Mapping[str, float], origin: str = "spec") -> Profile:
    """``profile`` with ``tolerances`` applied: a metric's value becomes its ``close`` limit (beyond it
    the backend differs) and caps its ``agree`` limit; ``window`` and ``tau`` (s) replace the settings."""
    limits = dict(profile.limits)
    sources = dict(profile.sources)
    window, tau = profile.window, profile.tau
    for key, value in tolerances.items():
        value = float(value)
        if key == "window":
            window = value
        elif key == "tau":
            tau = value
        else:
            agree = limits.get(key, _NONE)[0]
            limits[key] = (value if agree is None else min(agree, value), value)
        sources[key] = origin
    return replace(profile, limits=limits, window=window, tau=tau, sources=sources)


def profile_for(compare: Optional[Mapping] = None, name: Optional[str] = None,
                tolerances: Optional[Mapping[str, float]] = None, locate=None) -> Profile:
    """The profile a comparison uses: ``name`` (the command line's ``--profile``), else the spec's
    ``compare.profile``, else ``network``; with the spec's ``compare.tolerances`` applied, then
    ``tolerances``. ``locate(path, message)`` makes a located Problem (``Spec.problem``); an unknown
    tolerance key is a SpecError that points at it."""
    compare = dict(compare or {})
    chosen = name or compare.get("profile") or DEFAULT_PROFILE
    if chosen not in PROFILES:
        raise ValueError(f"unknown tolerance profile '{chosen}' (known: {', '.join(PROFILES)})")
    spec_tolerances = dict(compare.get("tolerances", {}) or {})
    unknown = [key for key in spec_tolerances if key not in METRICS + SETTINGS]
    if unknown:
        from ..schema.errors import Problem
        locate = locate or (lambda path, message: Problem("spec", 0, 0, path, message))
        raise SpecError([locate(("compare", "tolerances", key),
                                f"unknown tolerance '{key}' (known: {', '.join(METRICS + SETTINGS)})")
                         for key in unknown])
    profile = with_tolerances(PROFILES[chosen], spec_tolerances, "spec")
    if tolerances:
        profile = with_tolerances(profile, tolerances, "override")
    return profile


def reference_backend(compare: Optional[Mapping], backends, requested: Optional[str] = None) -> str:
    """The backend the others are measured against: ``requested``, else the spec's
    ``compare.reference``, else ``reference`` when it ran, else the first backend."""
    chosen = requested or dict(compare or {}).get("reference")
    if chosen:
        return chosen
    backends = list(backends)
    return "reference" if "reference" in backends else backends[0]
