"""Initial values that a model derives from the other initial values and its parameters (the
catalogue's :class:`~snnrun.schema.catalogue.Derived` defaults), so that every backend starts from
the same state: the drawn instance carries them (:func:`snnrun.instance.instantiate`).

- ``hh_cond_exp``: m, h and n not given in ``initial`` start at their steady state at the initial v
  (alpha / (alpha + beta) of :mod:`.hh`), as if the membrane had been held there.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from . import hh


def _hh_gates(params: Mapping[str, np.ndarray], initial: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    m, h, n = hh.steady_state(np.asarray(initial["v"], float) * hh.MV, np.asarray(params["v_offset"], float) * hh.MV)
    return {"m": m, "h": h, "n": n}


#: model type -> function(params, initial) giving every derived initial value (dimensionless or SI)
DERIVED: dict[str, Callable[[Mapping, Mapping], dict[str, np.ndarray]]] = {"hh_cond_exp": _hh_gates}


def derived_initial(model_type: str, params: Mapping[str, np.ndarray],
                    initial: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The derived initial values of ``model_type`` that ``initial`` does not set (SI float64 arrays)."""
    rule = DERIVED.get(model_type)
    if rule is None:
        return {}
    return {k: np.asarray(v, float) for k, v in rule(params, initial).items() if k not in initial}
