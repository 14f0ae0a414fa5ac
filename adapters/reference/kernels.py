"""Which kernel runs the reference engine's step loop: compiled (numba, :mod:`.numba_kernels`) where it
is installed and covers the group family, else the numpy code of the group classes.

``simulation.options.reference.kernel``: ``auto`` (the default: numba when importable and the network
is big enough to repay numba's start-up, :data:`AUTO_MIN_WORK`), ``numba`` (an error when numba is
missing) or ``numpy``. Both give identical spikes (tests/test_kernels.py).

A compiled family is registered by group class in :data:`STEPPERS` (``class -> factory(group)``, which
returns a stepper or None when it does not cover that group's configuration, e.g. forward Euler); every
other group keeps its numpy ``step``. The group object stays the engine's group: the stepper updates its
state arrays in place, so ``inject`` and ``read`` work unchanged. Static synapses are delivered by
:class:`CompiledDelivery` straight from the drawn instance's arrays (no copy per synapse).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ...schema.errors import BackendError
from .lif import LifCurrGroup
from .synapses import AlphaCurrents, ExpCurrents, VoltageJumps

#: the values of ``simulation.options.reference.kernel``
KERNELS = ("auto", "numba", "numpy")


def _numba_kernels():
    """The compiled kernels module, or None when numba cannot be imported."""
    try:
        from . import numba_kernels
    except ImportError:
        return None
    return numba_kernels


#: the work (neuron updates plus synaptic events, see :func:`work`) below which ``auto`` keeps numpy:
#: a process pays about 0.7 s to import numba and load its cached kernels (measured on the 2-core machine
#: type under a load average of about 2.7; numba's first call imports scipy.linalg for its BLAS check,
#: about 0.4 s of it, when scipy is installed), about what the kernels save on 1e8 units: on CUBA
#: (4.3e7 units) the numpy loop took 0.52-0.56 s there and the compiled one 0.26 s, 6.5 ns per unit saved
#: (break-even about 1.1e8)
AUTO_MIN_WORK = 1e8


def work(n_neurons: int, n_steps: int, n_synapses: int, duration: float) -> float:
    """A network's loop work: neuron updates plus the synaptic events of pre neurons firing at 10 Hz."""
    return float(n_neurons) * n_steps + float(n_synapses) * duration * 10.0


def resolve(option: str, work_estimate: float = float("inf")) -> str:
    """The kernel an option value selects: ``numba`` or ``numpy``. ``auto`` takes numba when it is
    installed and the run's :func:`work` is at least :data:`AUTO_MIN_WORK` (below, numba's start-up
    costs more than it saves); ``numba`` takes it whatever the size."""
    if option == "numpy" or (option == "auto" and work_estimate < AUTO_MIN_WORK):
        return "numpy"
    if _numba_kernels() is not None:
        return "numba"
    if option == "numba":
        raise BackendError("reference", "the kernel option is numba, but numba is not installed "
                                        "(pip install 'snnrun[fast]', or use kernel: auto or numpy)",
                           ("simulation", "options", "reference", "kernel"))
    return "numpy"


def as_items(values, dtype) -> np.ndarray:
    """A 1-D contiguous array of ``dtype`` for a kernel: length 1 when every element is the same value
    (a scalar, a broadcast array, or an array whose elements are all equal), else the values themselves
    (no copy when they already have that type)."""
    arr = np.asarray(values)
    if arr.ndim == 0:
        return np.full(1, arr, dtype)
    if arr.size and (arr.strides[0] == 0 or bool(np.all(arr == arr[0]))):
        return np.full(1, arr[0], dtype)
    return np.ascontiguousarray(arr, dtype)


def _per_neuron(values, n: int, dtype=float) -> np.ndarray:
    """A contiguous array of length n (a uniform value repeated)."""
    return np.ascontiguousarray(np.broadcast_to(np.asarray(values, dtype), n))


def _per_receptor(values, n: int) -> np.ndarray:
    """Per-receptor coefficients as a contiguous (2, n) float64 array."""
    return np.ascontiguousarray(np.broadcast_to(np.asarray(values, float).reshape(2, -1), (2, n)))


class _LifStepper:
    """A compiled step of one LifCurrGroup (standard integrator): exp, alpha or delta currents.

    For exp currents with uniform parameters (scalars on the group) the kernel takes scalars; any
    per-neuron parameter, alpha or delta currents take the per-neuron kernels with length-n arrays."""

    clears_input = True  # the kernel zeroes the ring slot it has read
    sorted_spikes = True  # and returns the spiking neurons in ascending order

    def __init__(self, group: LifCurrGroup, nk):
        self.group, self.nk = group, nk
        g, n, syn = group, group.n, group.syn
        self.spikes = np.empty(n, np.int64)
        self._drive_of = object()
        self.kind = "alpha" if isinstance(syn, AlphaCurrents) else "exp" if isinstance(syn, ExpCurrents) else "delta"
        scalars = (g.p22, g.ref_steps, g.u_reset, g.theta)
        self.uniform = (self.kind == "exp" and all(np.isscalar(v) for v in scalars) and syn.p21_uniform
                        and np.shape(syn.p11)[1] == 1)
        if self.uniform:
            self.scalars = (float(g.p22), (float(syn.p21[0]), float(syn.p21[1])),
                            (float(syn.p11[0, 0]), float(syn.p11[1, 0])), int(g.ref_steps), float(g.u_reset),
                            float(g.theta))
        else:
            self._per_neuron_params()

    def _per_neuron_params(self) -> None:
        g, n, syn = self.group, self.group.n, self.group.syn
        self.uniform = False
        self.params = (_per_neuron(g.p22, n), _per_neuron(g.ref_steps, n, np.int64), _per_neuron(g.u_reset, n),
                       _per_neuron(g.theta, n))
        if self.kind != "delta":
            self.coef = tuple(_per_receptor(a, n) for a in
                              ((syn.p21, syn.p11) if self.kind == "exp" else (syn.p21, syn.p31, syn.hp11, syn.p11)))

    def _drive_args(self):
        """(drive, has_drive) for the kernel: the group replaces ``drive`` on every stimulus change."""
        drive = self.group.drive
        if drive is not self._drive_of:
            self._drive_of = drive
            if drive is None:
                self._drive = (0.0 if self.uniform else np.zeros(1), False)
            elif self.uniform and np.isscalar(drive):
                self._drive = (float(drive), True)
            else:
                self._drive = (_per_neuron(drive, self.group.n), True)
        return self._drive

    def step(self, k: int, inputs: np.ndarray) -> np.ndarray:
        g, nk = self.group, self.nk
        drive, has_drive = self._drive_args()
        if self.uniform and isinstance(drive, np.ndarray):
            # a stimulus on some neurons of a uniform group: the per-neuron kernel from now on
            self._per_neuron_params()
            self._drive_of = object()
            drive, has_drive = self._drive_args()
        if self.uniform:
            p22, p21, p11, ref_steps, u_reset, theta = self.scalars
            count = nk.lif_exp_step(k, g.u, g.syn.i_syn, inputs, p22, p21, drive, has_drive, p11, g.ref_until,
                                    ref_steps, u_reset, theta, self.spikes)
            return self.spikes[:count].copy()
        p22, ref_steps, u_reset, theta = self.params
        if self.kind == "exp":
            p21, p11 = self.coef
            count = nk.lif_exp_step_general(k, g.u, g.syn.i_syn, inputs, p22, p21, drive, has_drive, p11,
                                            g.ref_until, ref_steps, u_reset, theta, self.spikes)
        elif self.kind == "alpha":
            p21, p31, hp11, p11 = self.coef
            count = nk.lif_alpha_step(k, g.u, g.syn.i_syn, g.syn.y, inputs, p22, p21, p31, hp11, p11, drive,
                                      has_drive, g.ref_until, ref_steps, u_reset, theta, self.spikes)
        else:
            count = nk.lif_delta_step(k, g.u, inputs, p22, drive, has_drive, g.ref_until, ref_steps, u_reset,
                                      theta, self.spikes)
        return self.spikes[:count].copy()


def _lif_stepper(group: LifCurrGroup, nk):
    if group.euler or not isinstance(group.syn, (ExpCurrents, VoltageJumps)):
        return None
    return _LifStepper(group, nk)


#: group class -> factory(group, kernels module) of its compiled stepper (None: keep numpy)
STEPPERS: dict[type, Callable] = {LifCurrGroup: _lif_stepper}


def stepper(group):
    """The compiled stepper of ``group``, or None when no compiled kernel covers it."""
    nk = _numba_kernels()
    factory = next((f for cls, f in STEPPERS.items() if isinstance(group, cls)), None)
    return None if nk is None or factory is None else factory(group, nk)


class CompiledDelivery:
    """Static synapses from one pre population into one target group, delivered by the compiled kernel
    from compressed rows over the drawn projections' own arrays.

    ``parts``: per projection ``(pre, post, offset, channel, weight, scale, delay)``: drawn pre and post
    indices, the post population's offset in the group, the receptor row, the spec weights, the group's
    per-neuron weight factor (scalar or length n), delays in steps. Rows are built from ``pre`` when it
    is sorted (every drawn rule but ``from_list``), so only a per-neuron row pointer is added; otherwise
    that projection's synapses are copied in pre order. The engine gives a delivery disjoint parts (no
    two parts reach the same neuron and receptor), so summing part by part adds every ring cell's inputs
    in the order of :class:`~snnrun.numerics.delivery.CsrDelivery`."""

    def __init__(self, n_pre: int, parts: list, n_group: int, ring_len: int, row_len: int):
        self.nk = _numba_kernels()
        self.ring_len, self.row_len = ring_len, row_len
        self.parts = []
        for pre, post, offset, channel, weight, scale, delay in parts:
            pre = np.asarray(pre)
            sorted_pre = pre.size < 2 or bool(np.all(pre[1:] >= pre[:-1]))
            order = None if sorted_pre else np.argsort(pre, kind="stable")
            take = (lambda a: a) if order is None else (lambda a: np.asarray(a)[order] if np.ndim(a) else a)
            weight, delay = as_items(weight, float), as_items(delay, np.int64 if np.ndim(delay) == 0 else None)
            if weight.size > 1:
                weight = take(weight)
            if delay.size > 1:
                delay = take(delay)
            post = take(np.asarray(post))
            # row pointers of the sorted pre indices, keys in pre's own type (no per-synapse cast)
            indptr = np.searchsorted(pre if order is None else pre[order], np.arange(n_pre + 1, dtype=pre.dtype))
            self.parts.append((indptr, post, int(offset), int(channel) * n_group, weight,
                               as_items(np.broadcast_to(scale, n_group) if np.ndim(scale) else scale, float),
                               delay))

    def deliver(self, k: int, spikes: np.ndarray, ring_flat: np.ndarray) -> None:
        deliver = self.nk.deliver
        for indptr, post, offset, channel_base, weight, scale, delay in self.parts:
            deliver(k, spikes, indptr, post, offset, channel_base, weight, scale, delay, ring_flat, self.ring_len,
                    self.row_len)
