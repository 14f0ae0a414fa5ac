"""Schema-valid ``plasticity`` and ``short_term`` mappings -> the typed rules of the IR
(:class:`~snnrun.schema.model.Stdp`, :class:`~snnrun.schema.model.TsodyksMarkram`), in SI units, with the
checks a schema cannot express: units against each parameter's dimension (the bounds take the weight's),
positive time constants, ``0 <= w_min < w_max``, initial weights inside the bounds. Problems are reported
through the normaliser's ``report(path, message)``, never raised, so every problem of a spec is listed at
once. Also the ``weight`` expectation (final weights of a projection's synapses)."""

from __future__ import annotations

from typing import Callable, Mapping, Optional

from .model import Expectation, Path, Stdp, TsodyksMarkram, ValueSpec
from .units import Dimension, format_quantity
from .values import number_or_quantity, value_bounds

Report = Callable[[Path, str], None]
T = Dimension.TIME
#: relative slack when comparing a weight with a bound written in another unit ("10 nS" and "0.01 uS")
_BOUND_SLACK = 1e-12


def _positive_time(raw, path: Path, report: Report, allow_zero: bool = False) -> Optional[float]:
    value = number_or_quantity(raw, T, path, report)
    if value is None:
        return None
    if value < 0 or (value == 0 and not allow_zero):
        report(path, f"must be {'>= 0' if allow_zero else 'positive'}, got {format_quantity(value, T)}")
        return None
    return value


def stdp(raw: Mapping, path: Path, weight_dimension: Dimension, report: Report) -> Optional[Stdp]:
    """The typed STDP rule of a synapse whose weights have ``weight_dimension``, or None after reporting."""
    tau_plus = _positive_time(raw["tau_plus"], path + ("tau_plus",), report)
    tau_minus = _positive_time(raw["tau_minus"], path + ("tau_minus",), report)
    w_max = number_or_quantity(raw["w_max"], weight_dimension, path + ("w_max",), report)
    w_min = (number_or_quantity(raw["w_min"], weight_dimension, path + ("w_min",), report)
             if "w_min" in raw else 0.0)
    if w_min is not None and w_min < 0:
        report(path + ("w_min",), f"w_min must be >= 0 (STDP acts on non-negative weights), got "
                                  f"{format_quantity(w_min, weight_dimension)}")
        w_min = None
    if w_min is not None and w_max is not None and not w_max > w_min:
        report(path + ("w_max",), f"w_max ({format_quantity(w_max, weight_dimension)}) must be above w_min "
                                  f"({format_quantity(w_min, weight_dimension)})")
        w_max = None
    if None in (tau_plus, tau_minus, w_min, w_max):
        return None
    return Stdp(tau_plus=tau_plus, tau_minus=tau_minus, a_plus=float(raw["a_plus"]), a_minus=float(raw["a_minus"]),
                w_max=w_max, w_min=w_min, weight_dependence=raw.get("weight_dependence", "additive"),
                pairing=raw.get("pairing", "all_to_all"),
                dendritic_delay_fraction=float(raw.get("dendritic_delay_fraction", 1.0)))


def tsodyks_markram(raw: Mapping, path: Path, report: Report) -> Optional[TsodyksMarkram]:
    """The typed Tsodyks-Markram rule, or None after reporting."""
    tau_rec = _positive_time(raw["tau_rec"], path + ("tau_rec",), report)
    tau_facil = _positive_time(raw.get("tau_facil", "0 ms"), path + ("tau_facil",), report, allow_zero=True)
    if tau_rec is None or tau_facil is None:
        return None
    return TsodyksMarkram(u=float(raw["u"]), tau_rec=tau_rec, tau_facil=tau_facil)


def check_initial_weights(rule: Stdp, weight: ValueSpec, dimension: Dimension, path: Path, report: Report) -> None:
    """The drawn weights of a plastic synapse must lie in [w_min, w_max]: a weight outside would be
    clipped by its first update, i.e. the spec would not mean what it says."""
    low, high = value_bounds(weight)
    slack = _BOUND_SLACK * rule.w_max
    if low < rule.w_min - slack or high > rule.w_max + slack:
        shown = "can lie" if float("inf") in (abs(low), abs(high)) else \
            f"lie in [{format_quantity(low, dimension)}, {format_quantity(high, dimension)}],"
        report(path, f"the weights {shown} outside the plasticity rule's [w_min, w_max] = "
                     f"[{format_quantity(rule.w_min, dimension)}, {format_quantity(rule.w_max, dimension)}] "
                     "(give distributions a clip or truncate)")


def weight_expectation(index: int, raw: Mapping, path: Path, dimension: Optional[Dimension], report: Report,
                       parse_bounds) -> Optional[Expectation]:
    """``{projection, metric: weight, synapses, between | equals, tolerance}``: a check on final weights.
    ``dimension`` is the projection's weight dimension (None when the projection is unknown: reported
    already); ``parse_bounds(raw, dimension, path)`` gives (between, equals, tolerance) as the other
    expectations parse them."""
    synapses = raw.get("synapses")
    if isinstance(synapses, dict):
        synapses = tuple(range(synapses["first"]))
    elif synapses is not None:
        synapses = tuple(synapses)
    if dimension is None:
        return None
    if isinstance(raw.get("equals"), list) and synapses is not None and len(raw["equals"]) != len(synapses):
        report(path + ("equals",), f"{len(raw['equals'])} values for {len(synapses)} synapses")
    between, equals, tolerance = parse_bounds(raw, dimension, path)
    return Expectation(index, None, "weight", between=between, equals=equals, tolerance=tolerance,
                       backends=tuple(raw["backends"]) if "backends" in raw else None,
                       projection=raw["projection"], synapses=synapses)
