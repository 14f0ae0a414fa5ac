"""Parse the value forms of the spec language (quantity, per-element values, distributions) into the IR,
checking each against the dimension its parameter needs. Problems are collected, not raised, so the
loader can report all of them at once."""

from __future__ import annotations

import math
from typing import Callable, Optional

from .model import Distribution, Path, Quantity, ValueSpec, Values
from .units import Dimension, UnitError, expect_dimension, unit_factor

Report = Callable[[Path, str], None]


def _si(number: float, factor: float = 1.0) -> float:
    """``number * factor`` as a finite float, or UnitError (YAML integers can have thousands of digits)."""
    try:
        value = float(number) * factor
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        shown = str(number) if len(str(number)) <= 20 else f"{str(number)[:17]}..."
        raise UnitError(f"number {shown} is out of range")
    return value


def number_or_quantity(raw: object, dimension: Dimension, path: Path, report: Report,
                       unit: Optional[str] = None) -> Optional[float]:
    """An SI float from ``"20 ms"``, or from a bare number scaled by ``unit`` (a distribution's unit)."""
    try:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and unit is not None:
            found, factor = unit_factor(unit)
            if found is not dimension:
                raise UnitError(f"unit '{unit}' is a {found.value}, expected a {dimension.value}")
            return _si(raw, factor)
        if isinstance(raw, int) and not isinstance(raw, bool):
            _si(raw)  # parse_quantity cannot take an int beyond float range
        return expect_dimension(raw, dimension)
    except UnitError as exc:
        report(path, str(exc))
        return None


def parse_value(raw: object, dimension: Dimension, path: Path, report: Report,
                n_elements: Optional[int] = None, what: str = "elements") -> Optional[ValueSpec]:
    """Turn a spec value into a Quantity, Values or Distribution (SI), or report why it cannot be.

    ``n_elements`` is the length per-element values must have (None: not known before drawing).
    """
    if not isinstance(raw, dict):
        value = number_or_quantity(raw, dimension, path, report)
        return None if value is None else Quantity(value, dimension)
    if "distribution" in raw:
        return _distribution(raw, dimension, path, report)
    unit = raw.get("unit")
    if unit is None and dimension is not Dimension.DIMENSIONLESS:
        report(path + ("unit",), f"per-element values need a unit of {dimension.value} "
                                 f"(e.g. unit: {'mV' if dimension is Dimension.VOLTAGE else 'ms'})")
        return None
    factor = 1.0
    if unit is not None:
        try:
            found, factor = unit_factor(unit)
        except UnitError as exc:
            report(path + ("unit",), str(exc))
            return None
        if found is not dimension:
            report(path + ("unit",), f"expected a unit of {dimension.value}, got '{unit}' (a {found.value})")
            return None
    values = []
    for i, v in enumerate(raw["values"]):
        try:
            values.append(_si(v, factor))
        except UnitError as exc:
            report(path + ("values", i), str(exc))
            return None
    values = tuple(values)
    if n_elements is None:
        report(path, f"per-element values are not possible here: the number of {what} is only known "
                     "after drawing (use one_to_one, all_to_all or from_list)")
        return None
    if len(values) != n_elements:
        report(path + ("values",), f"expected {n_elements} values (one per {what[:-1] if what.endswith('s') else what}), "
                                   f"got {len(values)}")
        return None
    return Values(values, dimension)


def _distribution(raw: dict, dimension: Dimension, path: Path, report: Report) -> Optional[Distribution]:
    name = raw["distribution"]
    unit = raw.get("unit")
    ok = True

    def q(key: str) -> Optional[float]:
        nonlocal ok
        value = number_or_quantity(raw[key], dimension, path + (key,), report, unit)
        ok = ok and value is not None
        return value

    params: dict[str, float] = {}
    choices: tuple = ()
    factor = 1.0
    if name == "uniform":
        params = {"low": q("low"), "high": q("high")}
        if ok and params["low"] > params["high"]:
            report(path, "uniform distribution needs low <= high")
            ok = False
    elif name == "normal":
        params = {"mean": q("mean"), "std": q("std")}
        if ok and params["std"] < 0:
            report(path + ("std",), "standard deviation must not be negative")
            ok = False
    elif name == "lognormal":
        try:
            found, factor = unit_factor(unit)
            if found is not dimension:
                raise UnitError(f"expected a unit of {dimension.value}, got '{unit}' (a {found.value})")
        except UnitError as exc:
            report(path + ("unit",), str(exc))
            return None
        try:
            params = {"mu": _si(raw["mu"]), "sigma": _si(raw["sigma"])}
        except UnitError as exc:
            report(path, str(exc))
            return None
    elif name == "choice":
        choices = tuple(number_or_quantity(v, dimension, path + ("values", i), report, unit)
                        for i, v in enumerate(raw["values"]))
        ok = all(c is not None for c in choices)
    bounds = {}
    for key in ("clip", "truncate"):
        if key in raw:
            low = number_or_quantity(raw[key][0], dimension, path + (key, 0), report, unit)
            high = number_or_quantity(raw[key][1], dimension, path + (key, 1), report, unit)
            if low is None or high is None:
                return None
            if low > high:
                report(path + (key,), f"{key} needs [low, high] with low <= high")
                return None
            bounds[key] = (low, high)
    if len(bounds) == 2:
        report(path + ("truncate",), "give clip (values outside go to the bounds) or truncate (values outside "
                                     "are redrawn), not both")
        return None
    if not ok:
        return None
    value = Distribution(name, params, dimension, clip=bounds.get("clip"), truncate=bounds.get("truncate"),
                         choices=choices, unit=factor)
    if value.truncate is not None:
        kept = truncated_mass(value)
        if kept < MIN_TRUNCATED_MASS:
            report(path + ("truncate",), f"[low, high] keeps {kept:.2g} of the distribution's mass (at least "
                                         f"{MIN_TRUNCATED_MASS:g} needed: values outside are redrawn until "
                                         "they fall inside); move the bounds or use clip")
            return None
    return value


#: the least probability a ``truncate`` interval may hold: below it, redrawing takes more than 1000 draws
#: per value on average
MIN_TRUNCATED_MASS = 1e-3


def _normal_mass(a: float, b: float) -> float:
    """P(a <= Z <= b) for a standard normal Z, through erfc on the side of the tail the interval lies
    in (erf's 1 - 1 would round a far tail's mass to 0)."""
    if a + b > 0:
        return 0.5 * (math.erfc(a / math.sqrt(2)) - math.erfc(b / math.sqrt(2)))
    return 0.5 * (math.erfc(-b / math.sqrt(2)) - math.erfc(-a / math.sqrt(2)))


def truncated_mass(value: Distribution) -> float:
    """The probability that one draw of ``value`` (ignoring its truncate) lies in its ``truncate`` [low,
    high] (closed forms: the normal's and lognormal's CDF through erf)."""
    low, high = value.truncate
    p = value.params
    if value.name == "uniform":
        width = p["high"] - p["low"]
        overlap = min(high, p["high"]) - max(low, p["low"])
        if width == 0:
            return float(low <= p["low"] <= high)
        return max(0.0, overlap) / width
    if value.name == "normal":
        if p["std"] == 0:
            return float(low <= p["mean"] <= high)
        return _normal_mass((low - p["mean"]) / p["std"], (high - p["mean"]) / p["std"])
    if value.name == "lognormal":
        if high <= 0:
            return 0.0
        if p["sigma"] == 0:
            return float(low <= math.exp(p["mu"]) * value.unit <= high)
        z = lambda x: (math.log(x / value.unit) - p["mu"]) / p["sigma"] if x > 0 else -math.inf  # noqa: E731
        return _normal_mass(z(low), z(high))
    return sum(low <= c <= high for c in value.choices) / len(value.choices)


def value_bounds(value: ValueSpec) -> tuple[float, float]:
    """The smallest and largest SI value a ValueSpec can take (infinite for unclipped normals)."""
    if isinstance(value, Quantity):
        return value.value, value.value
    if isinstance(value, Values):
        return (min(value.values), max(value.values)) if value.values else (0.0, 0.0)
    low, high = float("-inf"), float("inf")
    if value.name == "uniform":
        low, high = value.params["low"], value.params["high"]
    elif value.name == "lognormal":
        low = 0.0
    elif value.name == "choice":
        low, high = min(value.choices), max(value.choices)
    for bounds in (value.clip, value.truncate):
        if bounds:
            low, high = max(low, bounds[0]), min(high, bounds[1])
    return low, high
