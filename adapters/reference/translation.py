"""The reference engine's translation tables: the catalogue's own names in SI, since the reference
defines what they mean. The names are listed explicitly, as the ones its groups read (lif.py, conductance.py, izhikevich.py, hh.py), so a
parameter added to the catalogue without the engine reading it is caught (tests/test_translation.py)."""

from __future__ import annotations

from types import MappingProxyType

from ..translation import SI, drawn_sources, identity

_LIF = ("cm", "tau_m", "v_rest", "v_thresh", "v_reset", "tau_refrac", "i_offset")
_SYN = ("tau_syn_exc", "tau_syn_inh")
_CURRENTS = ("v", "i_syn_exc", "i_syn_inh")
_REV = ("e_rev_exc", "e_rev_inh")
_CONDUCTANCES = ("v", "g_exc", "g_inh")
_ADEX = _LIF + _SYN + _REV + ("v_spike", "a", "b", "delta_t", "tau_w")
_HH = ("gbar_na", "gbar_k", "g_leak", "cm", "v_offset", "e_rev_na", "e_rev_k", "e_rev_leak") + _REV + _SYN + ("i_offset",)

TRANSLATIONS = MappingProxyType({
    "lif_curr_exp": identity("lif_curr_exp", "LifCurrExp", _LIF + _SYN, _CURRENTS),
    "lif_curr_alpha": identity("lif_curr_alpha", "LifCurrAlpha", _LIF + _SYN, _CURRENTS),
    "lif_curr_delta": identity("lif_curr_delta", "LifCurrDelta", _LIF, ("v",)),
    "lif_cond_exp": identity("lif_cond_exp", "LifCondGroup", _LIF + _SYN + _REV, _CONDUCTANCES),
    "lif_cond_alpha": identity("lif_cond_alpha", "LifCondGroup", _LIF + _SYN + _REV, _CONDUCTANCES),
    "adex_cond_exp": identity("adex_cond_exp", "AdexGroup", _ADEX, _CONDUCTANCES + ("w",)),
    "adex_cond_alpha": identity("adex_cond_alpha", "AdexGroup", _ADEX, _CONDUCTANCES + ("w",)),
    "izhikevich": identity("izhikevich", "IzhikevichGroup", ("a", "b", "c", "d", "i_offset"), ("v", "u")),
    "hh_cond_exp": identity("hh_cond_exp", "HHGroup", _HH, _CONDUCTANCES + ("m", "h", "n")),
    **drawn_sources("replayed stamps", SI),
})
