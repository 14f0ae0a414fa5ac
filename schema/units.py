"""Strict physical quantities: ``"20 ms"`` -> (0.02, TIME).

The spec language allows a closed set of units, one per line of :data:`UNITS`, each with its dimension
and its factor to SI. A quantity is a plain decimal number, optional whitespace and one unit symbol;
nothing is evaluated (so ``"9**9**9 ms"`` is refused in microseconds instead of hanging a parser, the
trap pint has). Pint was measured as an alternative: building its default registry costs about 0.3 s
of start-up in every process, more than a whole small simulation, for a closed set of about 30 symbols.
"""

from __future__ import annotations

import difflib
import math
import re
from enum import Enum

from .errors import echo


class Dimension(str, Enum):
    """Physical dimensions a spec value can have; the value is the word used in error messages."""

    TIME = "time"
    VOLTAGE = "voltage"
    CURRENT = "current"
    CAPACITANCE = "capacitance"
    CONDUCTANCE = "conductance"
    FREQUENCY = "frequency"
    RESISTANCE = "resistance"
    DIMENSIONLESS = "dimensionless"


EXAMPLES = {
    Dimension.TIME: "20 ms",
    Dimension.VOLTAGE: "-65 mV",
    Dimension.CURRENT: "0.5 nA",
    Dimension.CAPACITANCE: "0.2 nF",
    Dimension.CONDUCTANCE: "6 nS",
    Dimension.FREQUENCY: "10 Hz",
    Dimension.RESISTANCE: "100 Mohm",
    Dimension.DIMENSIONLESS: "0.5",
}

_PREFIX = {"": 1.0, "G": 1e9, "M": 1e6, "k": 1e3, "m": 1e-3, "u": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15}


def _family(base: str, dimension: Dimension, prefixes: str) -> dict[str, tuple[Dimension, float]]:
    return {p + base: (dimension, _PREFIX[p]) for p in [""] + list(prefixes)}


#: unit symbol -> (dimension, factor to SI)
UNITS: dict[str, tuple[Dimension, float]] = {
    **_family("s", Dimension.TIME, "mun"),
    **_family("V", Dimension.VOLTAGE, "mu"),
    **_family("A", Dimension.CURRENT, "munpf"),
    **_family("F", Dimension.CAPACITANCE, "munpf"),
    **_family("S", Dimension.CONDUCTANCE, "munp"),
    **_family("Hz", Dimension.FREQUENCY, "k"),
    **_family("ohm", Dimension.RESISTANCE, "GMk"),
}

#: the unit each dimension is shown in (messages, tables, ``snnrun schema`` descriptions)
DISPLAY_UNIT = {
    Dimension.TIME: "ms",
    Dimension.VOLTAGE: "mV",
    Dimension.CURRENT: "nA",
    Dimension.CAPACITANCE: "nF",
    Dimension.CONDUCTANCE: "nS",
    Dimension.FREQUENCY: "Hz",
    Dimension.RESISTANCE: "Mohm",
    Dimension.DIMENSIONLESS: "",
}

# ASCII digits and blanks only: Python's \d also matches other scripts' digits (float() reads '٢٠' as 20)
# and \s matches line breaks, which would let a quantity span lines of a message.
NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
#: the JSON-Schema pattern of a quantity string (the unit is checked against the parameter afterwards)
QUANTITY_PATTERN = rf"^[ \t]*{NUMBER}[ \t]*[A-Za-zµ]+[ \t]*$"
_QUANTITY = re.compile(rf"[ \t]*({NUMBER})[ \t]*([A-Za-zµ]+)[ \t]*")
_PLAIN_NUMBER = re.compile(rf"[ \t]*{NUMBER}[ \t]*")
_MAX_LENGTH = 64


class UnitError(ValueError):
    """A quantity or unit string is malformed or has the wrong dimension (message is user-facing)."""


def unit_factor(symbol: str) -> tuple[Dimension, float]:
    """Return (dimension, factor to SI) of a unit symbol such as ``"mV"``; ``µ`` is accepted for ``u``."""
    key = symbol.strip(" \t").replace("µ", "u")
    if key in UNITS:
        return UNITS[key]
    close = difflib.get_close_matches(key[:_MAX_LENGTH], UNITS, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"known units: {', '.join(sorted(UNITS))}"
    raise UnitError(f"unknown unit '{echo(symbol)}' ({hint})")


def parse_quantity(text: object) -> tuple[float, Dimension]:
    """Parse ``"20 ms"`` into its SI value and dimension (0.02, TIME). A bare number (or a string holding
    only a number) is dimensionless.

    Raises :class:`UnitError` with a message that says what was expected.
    """
    if isinstance(text, bool):
        raise UnitError(f"expected a quantity such as '20 ms', got {text!r}")
    if isinstance(text, (int, float)):
        if not math.isfinite(text):
            raise UnitError(f"expected a finite number, got {text!r}")
        return float(text), Dimension.DIMENSIONLESS
    if not isinstance(text, str):
        raise UnitError(f"expected a quantity such as '20 ms', got {type(text).__name__}")
    if len(text) > _MAX_LENGTH:
        raise UnitError(f"quantity string longer than {_MAX_LENGTH} characters")
    if _PLAIN_NUMBER.fullmatch(text):  # "0.5": a dimensionless number written as a string
        return parse_quantity(float(text))
    match = _QUANTITY.fullmatch(text)
    if not match:
        raise UnitError(f"expected '<number> <unit>' such as '20 ms', got '{echo(text)}'")
    dimension, factor = unit_factor(match.group(2))
    value = float(match.group(1)) * factor
    if not math.isfinite(value):
        raise UnitError(f"'{echo(text)}' is out of range")
    return value, dimension


def expect_dimension(text: object, dimension: Dimension) -> float:
    """Parse a quantity and require ``dimension``; return its SI value.

    A dimensionless parameter accepts a bare number; every other dimension requires a unit, so a
    forgotten unit (``tau_m: 20``) is an error that says which unit family is expected.
    """
    value, found = parse_quantity(text)
    if found is not dimension:
        if found is Dimension.DIMENSIONLESS:
            raise UnitError(
                f"expected a {dimension.value} with a unit (e.g. '{EXAMPLES[dimension]}'), "
                f"got the bare number {text!r}"
            )
        raise UnitError(
            f"expected a {dimension.value} (e.g. '{EXAMPLES[dimension]}'), got '{echo(text)}' (a {found.value})"
        )
    return value


def format_quantity(value: float, dimension: Dimension) -> str:
    """Show an SI value in its dimension's display unit: ``format_quantity(0.02, TIME) == '20 ms'``."""
    unit = DISPLAY_UNIT[dimension]
    if not unit:
        return f"{value:g}"
    return f"{value / UNITS[unit][1]:g} {unit}"
