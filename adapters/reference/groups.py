"""Which group class runs which catalogue model type: one class per model family, composed with the
synaptic kinetics of the type (:mod:`.synapses`). Importing this module registers them all."""

from __future__ import annotations

from functools import partial

from .conductance import AdexGroup, LifCondGroup
from .hh import HHGroup
from .izhikevich import IzhikevichGroup
from .lif import LifCurrGroup
from .protocol import GROUPS, register_group
from .synapses import AlphaConductances, AlphaCurrents, ExpConductances, ExpCurrents, VoltageJumps

for _type, _family, _kinetics in (
    ("lif_curr_exp", LifCurrGroup, ExpCurrents),
    ("lif_curr_alpha", LifCurrGroup, AlphaCurrents),
    ("lif_curr_delta", LifCurrGroup, VoltageJumps),
    ("lif_cond_exp", LifCondGroup, ExpConductances),
    ("lif_cond_alpha", LifCondGroup, AlphaConductances),
    ("adex_cond_exp", AdexGroup, ExpConductances),
    ("adex_cond_alpha", AdexGroup, AlphaConductances),
    ("izhikevich", IzhikevichGroup, VoltageJumps),
    ("hh_cond_exp", HHGroup, ExpConductances),
):
    register_group(_type, partial(_family, kinetics=_kinetics))

__all__ = ["GROUPS"]
