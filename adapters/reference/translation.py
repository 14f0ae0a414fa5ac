"""The reference engine's translation tables: the catalogue's own names in SI, since the reference
defines what they mean. The names are listed explicitly, as the ones its groups read (neurons.py), so a
parameter added to the catalogue without the engine reading it is caught (tests/test_translation.py)."""

from __future__ import annotations

from types import MappingProxyType

from ..translation import SI, drawn_sources, identity

_LIF = ("cm", "tau_m", "v_rest", "v_thresh", "v_reset", "tau_refrac", "i_offset")
_SYN = ("tau_syn_exc", "tau_syn_inh")
_CURRENTS = ("v", "i_syn_exc", "i_syn_inh")

TRANSLATIONS = MappingProxyType({
    "lif_curr_exp": identity("lif_curr_exp", "LifCurrExp", _LIF + _SYN, _CURRENTS),
    "lif_curr_alpha": identity("lif_curr_alpha", "LifCurrAlpha", _LIF + _SYN, _CURRENTS),
    "lif_curr_delta": identity("lif_curr_delta", "LifCurrDelta", _LIF, ("v",)),
    **drawn_sources("replayed stamps", SI),
})
