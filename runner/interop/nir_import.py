"""NIR -> spec: ``snnrun import net.nir -o spec.yaml --dt 0.1 ms``.

Neuron nodes become populations (``LIF`` -> ``lif_curr_delta``, ``CubaLIF`` -> ``lif_curr_exp``; NIR
has no refractory period, so ``tau_refrac`` is 0), ``Input`` nodes become ``spike_array`` sources (with
the trains snnrun stored in their metadata, else no spikes, else Poisson at ``input_rate``), and every
path ``source -> [Delay] -> Linear|Affine -> [Delay] -> neuron`` (or a direct edge, identity weights)
becomes one projection, whose synapses are the nonzero weights, written as a ``from_list`` CSV file.
The graph is read in the gauge ``k = 1`` (its currents are amperes): ``cm = tau / r``. How its numbers
are read (spike convention, dt) is fixed by the arguments, else by snnrun's metadata, else per-step
spikes; see docs/interop.md.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..schema.errors import SnnrunError, ExitCode
from . import nir_mapping as nm


class NIRImportError(SnnrunError, ValueError):
    """A NIR graph snnrun cannot turn into a spec (an unmapped node, a structure it cannot follow)."""

    exit_code = ExitCode.UNSUPPORTED


@dataclass
class ImportedSpec:
    """The spec text, the CSV files it refers to (file name -> text) and warnings for the user."""

    text: str
    files: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def write(self, path: str | os.PathLike) -> Path:
        """Write the spec and its CSV files (next to it); returns the spec's path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        for name, text in self.files.items():
            (path.parent / name).write_text(text, encoding="utf-8")
        path.write_text(self.text, encoding="utf-8")
        return path


def _q(value: float, unit: str) -> str:
    """An exact SI quantity: repr() of a float parses back to the same float, and the unit's factor is 1."""
    return f"{float(value)!r} {unit}"


def _values(array: np.ndarray, unit: str) -> str:
    array = np.asarray(array, np.float64)
    if array.size and np.all(array == array[0]):
        return _q(array[0], unit)
    return "{values: [" + ", ".join(repr(float(v)) for v in array) + f"], unit: {unit}}}"


def _name(raw: str, taken: set[str]) -> str:
    """A spec name (lowercase letters, digits, underscores, starting with a letter) for a node name."""
    name = re.sub(r"[^a-z0-9_]", "_", str(raw).lower()).strip("_") or "node"
    if not name[0].isalpha():
        name = "n_" + name
    name = name[:60]
    candidate, i = name, 2
    while candidate in taken:
        candidate, i = f"{name}_{i}", i + 1
    taken.add(candidate)
    return candidate


def _scalar(metadata: dict, key: str):
    value = metadata.get(key)
    if value is None:
        return None
    value = np.asarray(value)
    return value.item() if value.shape == () else value


def import_nir(graph, name: str = "imported", dt: Optional[float] = None, duration: Optional[float] = None,
               spikes: Optional[str] = None, input_rate: Optional[float] = None,
               csv_prefix: str = "") -> ImportedSpec:
    """The spec (YAML text, SI quantities) of a NIR graph or file. ``dt`` and ``duration`` in s, else the
    graph's snnrun metadata; ``spikes`` ``per_step`` or ``dirac`` (default: metadata, else per_step);
    ``input_rate`` (Hz) makes Input nodes without stored trains Poisson sources."""
    import nir

    if isinstance(graph, (str, os.PathLike)):
        try:
            graph = nir.read(str(graph))
        except (OSError, KeyError, ValueError) as exc:
            raise NIRImportError(f"{graph}: not a readable NIR file ({exc})") from None
    meta = dict(graph.metadata or {})
    dt = dt if dt is not None else _scalar(meta, nm.META_DT)
    if dt is None:
        raise NIRImportError("the graph does not say its dt (NIR fixes none): give --dt")
    duration = duration if duration is not None else _scalar(meta, nm.META_DURATION)
    if duration is None:
        raise NIRImportError("the graph does not say how long to simulate: give --duration")
    spikes = spikes or _scalar(meta, nm.META_SPIKES) or "per_step"
    spikes = spikes.decode() if isinstance(spikes, bytes) else str(spikes)
    if spikes not in nm.SPIKES:
        raise NIRImportError(f"spike convention {spikes!r}: expected one of {', '.join(nm.SPIKES)}")
    conventions = nm.Conventions(float(dt), spikes)
    seed = _scalar(meta, nm.META_SEED)
    builder = _Builder(graph, conventions, input_rate, csv_prefix or f"{name}.")
    builder.build()
    return builder.spec(name, 0 if seed is None else int(seed), float(duration))


class _Builder:
    def __init__(self, graph, conventions: nm.Conventions, input_rate: Optional[float], csv_prefix: str):
        import nir

        self.nir, self.graph, self.conv = nir, graph, conventions
        self.input_rate, self.csv_prefix = input_rate, csv_prefix
        self.taken: set[str] = set()
        self.names: dict[str, str] = {}  # node name -> population name
        self.pops: dict[str, dict] = {}  # population name -> {"node":..., "model":..., "params":...}
        self.projections: list[dict] = []
        self.files: dict[str, str] = {}
        self.warnings: list[str] = []
        self.incoming: dict[str, list[str]] = {}
        for src, dst in graph.edges:
            self.incoming.setdefault(dst, []).append(src)

    def kind(self, node_name: str) -> str:
        node = self.graph.nodes.get(node_name)
        if node is None:
            raise NIRImportError(f"edge to or from node {node_name!r}, which the graph does not hold")
        return type(node).__name__

    def build(self) -> None:
        mapped = {"Input", "Output", "Linear", "Affine", "Delay", *nm.MODEL_OF_NODE}
        for node_name, node in self.graph.nodes.items():
            kind = type(node).__name__
            if kind not in mapped:
                why = "nested graphs are not supported" if kind == "NIRGraph" else \
                    f"snnrun maps {', '.join(sorted(mapped))}"
                raise NIRImportError(f"NIR node {node_name!r} of type {kind}: {why}")
        for node_name, node in self.graph.nodes.items():
            kind = type(node).__name__
            if kind == "Input":
                self._input(node_name, node)
            elif kind in nm.MODEL_OF_NODE:
                self._neuron(node_name, node)
        for node_name in list(self.graph.nodes):
            if self.kind(node_name) in nm.MODEL_OF_NODE:
                for src in self.incoming.get(node_name, []):
                    self._path(node_name, src)
        for pop in self.pops.values():
            if pop["model"] == "lif_curr_exp" and np.any(pop["params"]["i_offset"] != 0):
                # a bias reaches a CubaLIF through its synapse, from I = 0: snnrun's i_offset plus an initial
                # synaptic current of -i_offset, which decays with tau_syn, is the same current
                pop["initial"]["i_syn_exc"] = -pop["params"]["i_offset"]

    def _input(self, node_name: str, node) -> None:
        size = int(np.prod(list(node.input_type.values())[0]))
        pop = self.names[node_name] = _name(node_name, self.taken)
        meta = dict(node.metadata or {})
        if nm.META_SPIKE_TIMES in meta:
            times, indptr = np.asarray(meta[nm.META_SPIKE_TIMES], float), np.asarray(meta[nm.META_SPIKE_INDPTR], int)
            rows = [times[indptr[i]:indptr[i + 1]] for i in range(size)]
            text = "[" + ", ".join("[" + ", ".join(_q(t, "s") for t in row) + "]" for row in rows) + "]"
            self.pops[pop] = {"node": node_name, "model": "spike_array", "size": size, "text": f"{{spike_times: {text}}}"}
        elif self.input_rate is not None:
            self.pops[pop] = {"node": node_name, "model": "poisson", "size": size,
                              "text": f"{{rate: {_q(self.input_rate, 'Hz')}}}"}
        else:
            self.warnings.append(f"Input node {node_name!r} carries no spike trains: population {pop} has none; "
                                 "give its spike_times in the spec, or import with --input-rate")
            self.pops[pop] = {"node": node_name, "model": "spike_array", "size": size, "text": "{spike_times: []}"}

    def _neuron(self, node_name: str, node) -> None:
        model = nm.MODEL_OF_NODE[type(node).__name__]
        f = lambda a: np.atleast_1d(np.asarray(a, np.float64)).ravel()  # noqa: E731
        tau = f(node.tau if model == "lif_curr_delta" else node.tau_mem)
        size = tau.size
        r = f(node.r) * np.ones(size)
        if not np.all(np.isfinite(r) & (r > 0)):
            raise NIRImportError(f"NIR node {node_name!r}: r must be positive and finite (it sets cm = tau / r)")
        params = {"tau_m": tau, "cm": tau / r, "v_rest": f(node.v_leak) * np.ones(size),
                  "v_thresh": f(node.v_threshold) * np.ones(size),
                  "v_reset": f(node.v_reset if node.v_reset is not None else 0.0) * np.ones(size),
                  "tau_refrac": np.zeros(size), "i_offset": np.zeros(size)}
        w_in = np.ones(size)
        if model == "lif_curr_exp":
            params["tau_syn_exc"] = params["tau_syn_inh"] = f(node.tau_syn) * np.ones(size)
            w_in = f(node.w_in) * np.ones(size)
        pop = self.names[node_name] = _name(node_name, self.taken)
        self.pops[pop] = {"node": node_name, "model": model, "size": size, "params": params, "initial": {},
                          "gauge": nm.Gauge(r, w_in)}

    def _path(self, target: str, src: str) -> None:
        """Follow one incoming edge of a neuron node back to a population: [Delay] Linear|Affine [Delay]."""
        chain = [target]
        node_name = src
        while self.kind(node_name) in ("Delay", "Linear", "Affine"):
            chain.append(node_name)
            ins = self.incoming.get(node_name, [])
            if len(ins) != 1:
                raise NIRImportError(f"NIR node {node_name!r} has {len(ins)} inputs: snnrun follows one path "
                                     "from a population through Delay and Linear/Affine nodes to a neuron node")
            node_name = ins[0]
        if node_name not in self.names:
            raise NIRImportError(f"the path into {target!r} starts at {node_name!r} ({self.kind(node_name)}), "
                                 "which is not a neuron or Input node")
        kinds = [self.kind(n) for n in chain[1:]]
        dense = [n for n, k in zip(chain[1:], kinds) if k in ("Linear", "Affine")]
        delays = [n for n, k in zip(chain[1:], kinds) if k == "Delay"]
        if len(dense) > 1 or len(delays) > 1:
            raise NIRImportError(f"the path into {target!r} ({' <- '.join(chain)}) chains several weight or "
                                 "delay nodes: snnrun maps at most one of each")
        pre, post = self.names[node_name], self.names[target]
        n_pre, n_post = self.pops[pre]["size"], self.pops[post]["size"]
        if dense:
            node = self.graph.nodes[dense[0]]
            weight = np.asarray(node.weight, np.float64)
            bias = getattr(node, "bias", None)
        else:
            weight, bias = np.eye(n_post, n_pre), None
        if weight.shape != (n_post, n_pre):
            raise NIRImportError(f"NIR node {dense[0] if dense else target!r}: weights of shape {weight.shape}, "
                                 f"expected ({n_post}, {n_pre}) from {pre} to {post}")
        delay = np.zeros(weight.shape)
        if delays:
            d = np.atleast_1d(np.asarray(self.graph.nodes[delays[0]].delay, np.float64))
            after = chain.index(delays[0]) < (chain.index(dense[0]) if dense else len(chain))
            delay += d[:, None] if after else d[None, :]
        target_pop = self.pops[post]
        params, gauge = target_pop["params"], target_pop["gauge"]
        if bias is not None and np.any(np.asarray(bias) != 0):
            target_pop["params"]["i_offset"] = params["i_offset"] + np.asarray(bias, np.float64) / nm.bias_factor(params, gauge)
        post_idx, pre_idx = np.nonzero(weight)
        factor = nm.weight_factor(target_pop["model"], params, gauge, self.conv)
        w = weight[post_idx, pre_idx] / factor[post_idx]
        steps = np.rint(delay[post_idx, pre_idx] / self.conv.dt).astype(np.int64)
        if np.any(steps < 1):
            self.warnings.append(f"{int(np.sum(steps < 1))} synapses into {post} have no delay (or less than dt/2) "
                                 f"in the graph: they get the shortest delay snnrun has, one dt")
            steps = np.maximum(steps, 1)
        info = dict(self.graph.nodes[dense[0]].metadata or {}) if dense else {}
        receptor, group = (_text(info.get(key)) for key in (nm.META_RECEPTOR, nm.META_PROJECTION))
        unit = "V" if target_pop["model"] == "lif_curr_delta" else "A"
        synapses = (pre_idx, post_idx, w, steps * self.conv.dt)
        for proj in self.projections:  # the Linear nodes of one projection's delays join again
            if group and proj["group"] == group and (proj["pre"], proj["post"]) == (pre, post):
                proj["synapses"] = [np.concatenate(pair) for pair in zip(proj["synapses"], synapses)]
                return
        name = _name(group or (dense[0] if dense else f"{pre}_to_{post}"), self.taken)
        self.projections.append({"name": name, "group": group, "pre": pre, "post": post,
                                 "receptor": receptor or "exc", "unit": unit, "synapses": list(synapses)})

    def spec(self, name: str, seed: int, duration: float) -> ImportedSpec:
        spec_name = _name(name, set())
        lines = ["# written by snnrun import from a NIR graph; units and conventions: docs/interop.md",
                 'snnrun: "1.0"', f"name: {spec_name}", f"seed: {seed}",
                 f"simulation: {{duration: {_q(duration, 's')}, dt: {_q(self.conv.dt, 's')}}}", "populations:"]
        for pop, entry in self.pops.items():
            lines.append(f"  {pop}:")
            lines.append(f"    size: {entry['size']}")
            if "text" in entry:
                lines.append(f"    model: {{type: {entry['model']}, params: {entry['text']}}}")
                continue
            units = {"tau_m": "s", "cm": "F", "v_rest": "V", "v_thresh": "V", "v_reset": "V", "tau_refrac": "s",
                     "i_offset": "A", "tau_syn_exc": "s", "tau_syn_inh": "s"}
            lines.append(f"    model: {{type: {entry['model']}}}")
            lines.append("    params:")
            lines += [f"      {p}: {_values(v, units[p])}" for p, v in entry["params"].items()]
            if entry["initial"]:
                lines.append("    initial:")
                lines += [f"      {var}: {_values(v, 'A')}" for var, v in entry["initial"].items()]
        if self.projections:
            lines.append("projections:")
        for proj in self.projections:
            file = f"{self.csv_prefix}{proj['name']}.csv"
            pre, post, w, delay = proj["synapses"]
            rows = [["pre", "post", "weight", "delay"]]
            rows += [[str(pre[i]), str(post[i]), _q(w[i], proj["unit"]), _q(delay[i], "s")]
                     for i in np.lexsort((post, pre))]
            self.files[file] = _csv(rows)
            lines.append(f"  {proj['name']}:")
            lines.append(f"    pre: {proj['pre']}")
            lines.append(f"    post: {proj['post']}")
            lines.append(f"    connect: {{rule: from_list, file: {file}}}")
            lines.append(f"    synapse: {{receptor: {proj['receptor']}}}")
        lines.append("record:")
        lines += [f"  - {{population: {pop}, variable: spikes}}" for pop in self.pops]
        return ImportedSpec("\n".join(lines) + "\n", self.files, self.warnings)


def _text(value) -> str:
    """A metadata string as h5py may return it (bytes or str), or '' when absent."""
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)


def _csv(rows: list[list[str]]) -> str:
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()
