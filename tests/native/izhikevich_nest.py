"""Native PyNEST run of NEST's ``izhikevich`` model, for tests/test_model_accuracy.py (run in a
subprocess: NEST never enters the pytest process).

Reads one JSON object from stdin: {"dt": ms, "duration": ms, "cells": [{"a", "b", "c", "d", "I_e" (pA),
"V_m" (mV), "U_m"}], "inputs": [{"times": [ms], "weight": mV, "delay": ms, "targets": [cell index]}],
"currents": [{"times": [ms], "amplitudes": [pA], "targets": [...]}]} (generator times as NEST takes
them). Prints {"senders": [cell index], "times": [ms]} of every spike.
"""
import json
import os
import sys

os.environ.setdefault("PYNEST_QUIET", "1")
import nest  # noqa: E402

case = json.load(sys.stdin)
if hasattr(nest, "VerbosityLevel"):
    nest.verbosity = nest.VerbosityLevel.ERROR
else:
    nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.set(resolution=case["dt"], local_num_threads=1)
cells = nest.Create("izhikevich", len(case["cells"]))
for cell, params in zip(cells, case["cells"]):
    cell.set(consistent_integration=True, **params)
for spikes in case["inputs"]:
    gen = nest.Create("spike_generator", params={"spike_times": spikes["times"]})
    nest.Connect(gen, cells[spikes["targets"]], syn_spec={"weight": spikes["weight"], "delay": spikes["delay"]})
for current in case["currents"]:
    gen = nest.Create("step_current_generator", params={"amplitude_times": current["times"],
                                                        "amplitude_values": current["amplitudes"]})
    nest.Connect(gen, cells[current["targets"]], syn_spec={"delay": case["dt"]})
recorder = nest.Create("spike_recorder")
nest.Connect(cells, recorder)
nest.Simulate(case["duration"])
events = recorder.get("events")
first = cells[0].global_id
print(json.dumps({"senders": [int(s) - first for s in events["senders"]], "times": [float(t) for t in events["times"]]}))
