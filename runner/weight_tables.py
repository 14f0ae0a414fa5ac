"""Weights as results: ``weights.parquet`` (the recorded weights) and ``final_weights.parquet`` (every
synapse of every plastic projection at the end of the run) in a backend's results folder, one long table
each, readable with pandas in one line:

    projection (dictionary-encoded), synapse (int64: position in the drawn projection), pre, post (int64:
    neuron indices in the pre and post populations), time (s), weight (SI: A, S or V as the target's
    synapses take; the table's ``units`` metadata names each projection's unit)

Rows are ordered by projection, time, synapse. A synapse an entry did not sample at a time is left out
(no NaN rows).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import numpy as np

WEIGHTS = "weights.parquet"
FINAL_WEIGHTS = "final_weights.parquet"
COLUMNS = ["projection", "synapse", "pre", "post", "time", "weight"]


def write_weights(path: Path, traces: Mapping, units: Mapping[str, str]) -> None:
    """``traces``: projection -> WeightTrace (adapters.base); ``units``: projection -> SI unit."""
    import pyarrow.parquet as pq

    from . import arrow_columns as arrow

    names = list(traces)
    parts = {c: [] for c in COLUMNS}
    for code, name in enumerate(names):
        trace = traces[name]
        values = np.asarray(trace.values, np.float64).reshape(len(trace.times), len(trace.synapses))
        rows, cols = np.nonzero(np.isfinite(values))
        parts["projection"].append(np.full(rows.size, code, np.int32))
        parts["synapse"].append(np.asarray(trace.synapses, np.int64)[cols])
        parts["pre"].append(np.asarray(trace.pre, np.int64)[cols])
        parts["post"].append(np.asarray(trace.post, np.int64)[cols])
        parts["time"].append(np.asarray(trace.times, np.float64)[rows])
        parts["weight"].append(values[rows, cols])
    empty = {"projection": np.int32, "synapse": np.int64, "pre": np.int64, "post": np.int64, "time": np.float64,
             "weight": np.float64}
    columns = {c: np.concatenate(parts[c]) if parts[c] else np.empty(0, empty[c]) for c in COLUMNS}
    table = arrow.table({"projection": arrow.dictionary(columns["projection"], names),
                         **{c: arrow.numeric(columns[c]) for c in COLUMNS[1:]}},
                        {"units": json.dumps({n: units[n] for n in names})})
    pq.write_table(table, path)


def read_weights(path: Path):
    """A weights table as a pandas DataFrame (projection as str), or None when the file is absent."""
    if not path.is_file():
        return None
    import pandas as pd

    frame = pd.read_parquet(path)
    if list(frame.columns) != COLUMNS:
        raise ValueError(f"columns {list(frame.columns)} instead of {', '.join(COLUMNS)}")
    frame["projection"] = frame["projection"].astype(str)
    return frame
