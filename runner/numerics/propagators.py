"""Exact propagators of the linear subthreshold LIF dynamics over one step ``h`` (s).

With ``u = v - v_rest`` and a synaptic current ``i`` (A) decaying with ``tau_s`` (s):

    du/dt = -u/tau_m + (i + I)/cm,      di/dt = -i/tau_s
    alpha:  di/dt = y - i/tau_s,         dy/dt = -y/tau_s

the state after one step is a fixed linear map of the state before it (Rotter & Diesmann 1999), so
integrating with these coefficients has no discretisation error. Each function accepts scalars or
arrays (per-neuron parameters) and stays accurate when tau_m == tau_s, where the textbook formula
divides by zero: the difference of exponentials is rewritten with expm1 and, near the singular point,
replaced by its series.
"""

from __future__ import annotations

import numpy as np


def decay(h: float, tau):
    """exp(-h/tau): the propagator of a pure exponential decay (dimensionless)."""
    return np.exp(-h / np.asarray(tau, dtype=float))


def dc_to_v(h: float, tau_m, cm):
    """Voltage change (V) per ampere of constant current held over the step: tau_m/cm (1 - exp(-h/tau_m))."""
    tau_m = np.asarray(tau_m, dtype=float)
    return tau_m / cm * -np.expm1(-h / tau_m)


def exp_current_to_v(h: float, tau_m, tau_s, cm):
    """Voltage (V) after one step per ampere of exponential synaptic current at the step's start.

    (1/cm) tau_m tau_s / (tau_m - tau_s) (exp(-h/tau_m) - exp(-h/tau_s)), written as
    (1/cm) exp(-h/tau_m) (1 - exp(-a h)) / a with a = 1/tau_s - 1/tau_m, which tends to h/cm as a -> 0.
    """
    tau_m, tau_s = np.broadcast_arrays(np.asarray(tau_m, float), np.asarray(tau_s, float))
    a = 1.0 / tau_s - 1.0 / tau_m
    x = a * h
    small = np.abs(x) < 1e-8
    safe_a = np.where(small, 1.0, a)
    ratio = np.where(small, h * (1 - x / 2), -np.expm1(-np.where(small, 0.0, x)) / safe_a)
    return np.exp(-h / tau_m) * ratio / cm


def alpha_drive_to_v(h: float, tau_m, tau_s, cm):
    """Voltage (V) after one step per unit of the alpha kernel's drive ``y`` (A/s) at the step's start.

    (1/cm) exp(-h/tau_m) h^2 f(a h) with f(x) = (1 - exp(-x)(1 + x)) / x^2 and a = 1/tau_s - 1/tau_m;
    for |x| < 1e-3 the series f = 1/2 - x/3 + x^2/8 - x^3/30 avoids cancellation.
    """
    tau_m, tau_s = np.broadcast_arrays(np.asarray(tau_m, float), np.asarray(tau_s, float))
    a = 1.0 / tau_s - 1.0 / tau_m
    x = a * h
    small = np.abs(x) < 1e-3
    xs = np.where(small, 1.0, x)
    exact = (-np.expm1(-xs) - xs * np.exp(-xs)) / (xs * xs)
    series = 0.5 - x / 3 + x * x / 8 - x ** 3 / 30
    return np.exp(-h / tau_m) * h * h * np.where(small, series, exact) / cm


def scalar_if_uniform(values):
    """A Python float when every element is equal (numpy then broadcasts a scalar, which is cheaper per
    step than an array), else the float64 array itself."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0:
        return float(arr)
    if arr.size and np.all(arr == arr.flat[0]):
        return float(arr.flat[0])
    return arr
