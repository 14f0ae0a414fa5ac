"""What ``snnrun check`` refuses in a spec's plasticity rules on the pynn backends beyond the capability
keys (adapters/pynn/capabilities.py): limits of one rule's parameters that a feature key cannot name.
Imports no simulator."""

from __future__ import annotations

from ...schema.errors import Problem
from ...schema.model import Spec


def nest_stdp_problems(spec: Spec, caps) -> list[Problem]:
    """pynn:nest: one ``tau_minus`` per post population (a parameter of NEST's neuron), no ``a_plus``
    of 0 with depression (NEST's depression step is ``alpha * lambda``), no multapses (the weights of
    two connections between one pair of neurons cannot be told apart when read back)."""
    out = []
    tau_minus: dict[str, tuple[float, str]] = {}
    for name, proj in spec.projections.items():
        rule = proj.synapse.plasticity
        if rule is None:
            continue
        path = ("projections", name, "synapse", "plasticity")
        seen = tau_minus.setdefault(proj.post, (rule.tau_minus, name))
        if seen[0] != rule.tau_minus:
            out.append(spec.problem(path + ("tau_minus",), f"tau_minus differs from projection {seen[1]}'s onto "
                                                           f"population {proj.post}: {caps.reason('stdp:tau_minus')}"))
        if rule.a_plus == 0 and rule.a_minus != 0:
            out.append(spec.problem(path + ("a_plus",), f"a_plus 0: {caps.reason('stdp:a_plus_zero')}"))
        if proj.connect.multapses:
            out.append(spec.problem(("projections", name, "connect", "multapses"),
                                    f"multapses with STDP: {caps.reason('stdp:multapses')}"))
    return out
