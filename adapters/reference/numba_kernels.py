"""The reference engine's compiled kernels (numba): one step of the exact current-based LIF groups and
the delivery of a step's spikes from compressed sparse rows into a ring buffer.

Imported only by :mod:`.kernels` when numba is installed. Each function is the numpy code of
:mod:`.lif`, :mod:`.synapses`, :func:`snnrun.numerics.spiking.clamp_threshold_reset` and
:class:`snnrun.numerics.delivery.CsrDelivery` written per neuron and per synapse, with the same
floating-point operations in the same order, so the spikes are identical (tests/test_kernels.py):
numba does not contract ``a * b + c`` into a fused multiply-add without ``fastmath``, so every product
and sum is rounded as numpy rounds it. ``cache=True`` keeps the machine code in ``__pycache__`` (or
numba's cache directory when that is not writable): only the first run on a machine compiles.

Per-neuron parameters are scalars where they are uniform (the usual case: a loop with no branch but the
threshold) or arrays of length n.
Per-synapse weights and delays are 1-D arrays of length 1 (uniform) or one per synapse.
"""

from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)


@numba.njit(cache=True, inline="always")
def _at(values, i):
    """``values[i]``, or its only element when the parameter is uniform (length 1)."""
    return values[0] if values.shape[0] == 1 else values[i]


@numba.njit(cache=True, inline="always")
def _fire(k, i, u, ref_until, ref_steps, u_reset, theta, spikes, count):
    """Phases 3 and 4 for neuron i (clamp_threshold_reset): returns the new spike count."""
    if ref_until[i] > k:
        u[i] = u_reset
    if u[i] >= theta:
        u[i] = u_reset
        ref_until[i] = k + 1 + ref_steps
        spikes[count] = i
        return count + 1
    return count


@_jit
def lif_exp_step(k, u, i_syn, inputs, p22, p21, drive, has_drive, p11, ref_until, ref_steps, u_reset, theta, spikes):
    """One standard step of ``lif_curr_exp`` (LifCurrGroup with ExpCurrents), then zero ``inputs``.

    u (V, relative to v_rest), i_syn (2, n) A, inputs (2, n): the ring slot. Uniform parameters are
    scalars (p22, drive, ref_steps, u_reset, theta; p21 and p11 tuples of two floats), so the loop has
    no per-neuron branch but the threshold. Returns the number of spikes written to ``spikes``."""
    count = 0
    p21_0, p21_1 = p21
    p11_0, p11_1 = p11
    for i in range(u.shape[0]):
        # u *= P22; u += einsum over the receptors (in receptor order); u += drive
        x = u[i] * p22 + (p21_0 * i_syn[0, i] + p21_1 * i_syn[1, i])
        u[i] = x + drive if has_drive else x
        # exact decay, then phase 2: the arriving input
        i_syn[0, i] = i_syn[0, i] * p11_0 + inputs[0, i]
        i_syn[1, i] = i_syn[1, i] * p11_1 + inputs[1, i]
        inputs[0, i] = 0.0
        inputs[1, i] = 0.0
        count = _fire(k, i, u, ref_until, ref_steps, u_reset, theta, spikes, count)
    return count


@_jit
def lif_exp_step_general(k, u, i_syn, inputs, p22, p21, drive, has_drive, p11, ref_until, ref_steps, u_reset, theta,
                         spikes):
    """As :func:`lif_exp_step` with every parameter per neuron: arrays of length n, p21 and p11 (2, n)."""
    count = 0
    for i in range(u.shape[0]):
        x = u[i] * p22[i] + (p21[0, i] * i_syn[0, i] + p21[1, i] * i_syn[1, i])
        u[i] = x + drive[i] if has_drive else x
        i_syn[0, i] = i_syn[0, i] * p11[0, i] + inputs[0, i]
        i_syn[1, i] = i_syn[1, i] * p11[1, i] + inputs[1, i]
        inputs[0, i] = 0.0
        inputs[1, i] = 0.0
        count = _fire(k, i, u, ref_until, ref_steps[i], u_reset[i], theta[i], spikes, count)
    return count


@_jit
def lif_alpha_step(k, u, i_syn, y, inputs, p22, p21, p31, hp11, p11, drive, has_drive, ref_until, ref_steps, u_reset,
                   theta, spikes):
    """One standard step of ``lif_curr_alpha`` (AlphaCurrents), every parameter per neuron (p21, p31,
    hp11, p11: (2, n))."""
    count = 0
    for i in range(u.shape[0]):
        x = u[i] * p22[i] + (p21[0, i] * i_syn[0, i] + p21[1, i] * i_syn[1, i])
        x = x + (p31[0, i] * y[0, i] + p31[1, i] * y[1, i])
        u[i] = x + drive[i] if has_drive else x
        for c in range(2):
            i_syn[c, i] = i_syn[c, i] * p11[c, i] + hp11[c, i] * y[c, i]
            y[c, i] = y[c, i] * p11[c, i] + inputs[c, i]
            inputs[c, i] = 0.0
        count = _fire(k, i, u, ref_until, ref_steps[i], u_reset[i], theta[i], spikes, count)
    return count


@_jit
def lif_delta_step(k, u, inputs, p22, drive, has_drive, ref_until, ref_steps, u_reset, theta, spikes):
    """One standard step of ``lif_curr_delta`` (VoltageJumps: the input is added to u), per neuron."""
    count = 0
    for i in range(u.shape[0]):
        x = u[i] * p22[i]
        u[i] = (x + drive[i] if has_drive else x) + inputs[0, i]
        inputs[0, i] = 0.0
        count = _fire(k, i, u, ref_until, ref_steps[i], u_reset[i], theta[i], spikes, count)
    return count


@_jit
def deliver(k, spikes, indptr, post, offset, channel_base, weight, scale, delay, ring_flat, ring_len, row_len):
    """Add the synapses of the pre neurons ``spikes`` (spiking in step k, ascending) to the flat ring buffer.

    Synapse j of pre neuron i (``indptr[i] <= j < indptr[i + 1]``) goes to neuron ``offset + post[j]`` of
    the group, receptor row ``channel_base / n``, slot ``(k + delay[j]) % ring_len``, with the value
    ``weight[j] * scale[offset + post[j]]`` (the product CsrDelivery forms before adding)."""
    for s in range(spikes.shape[0]):
        pre = spikes[s]
        for j in range(indptr[pre], indptr[pre + 1]):
            neuron = offset + post[j]
            slot = (k + _at(delay, j)) % ring_len
            ring_flat[slot * row_len + channel_base + neuron] += _at(weight, j) * _at(scale, neuron)
