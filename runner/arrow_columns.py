"""Arrow columns and tables built straight from numpy arrays and lists of strings, for the results files.

``pyarrow.array`` (and ``pyarrow.table`` of a dict) first asks whether its argument is a pandas object,
and that question imports pandas: about 0.2-0.5 s of a command-line run that never uses pandas (the
reference engine runs CUBA's 1 s in about as long). The arrays here are made from their buffers instead
(``pyarrow.Array.from_buffers``: zero-copy for a contiguous numpy array, no nulls), which gives the same
Arrow types and the same Parquet files.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def numeric(values, dtype=None):
    """A pyarrow array of a 1-D numeric numpy array (``dtype``: cast to it first; bool is refused,
    since Arrow packs booleans into bits)."""
    import pyarrow as pa

    arr = np.ascontiguousarray(values, dtype=dtype).reshape(-1)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"numeric() takes integer or float arrays, not {arr.dtype}")
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return pa.Array.from_buffers(pa.from_numpy_dtype(arr.dtype), arr.size, [None, pa.py_buffer(arr)])


def strings(values: Sequence[str]):
    """A pyarrow string array (UTF-8) of Python strings."""
    import pyarrow as pa

    data = [str(v).encode("utf-8") for v in values]
    offsets = np.zeros(len(data) + 1, np.int64)
    np.cumsum([len(d) for d in data], out=offsets[1:])
    if offsets[-1] >= 2**31:  # pragma: no cover - a string column of more than 2 GiB
        return pa.Array.from_buffers(pa.large_string(), len(data),
                                     [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])
    return pa.Array.from_buffers(pa.string(), len(data),
                                 [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(b"".join(data))])


def dictionary(codes, names: Sequence[str]):
    """A dictionary-encoded string column: int32 ``codes`` into ``names``."""
    import pyarrow as pa

    return pa.DictionaryArray.from_arrays(numeric(codes, np.int32), strings(names))


def table(columns: Mapping[str, object], metadata: Mapping[str, str] | None = None):
    """A pyarrow Table of named columns (pyarrow arrays, or numeric numpy arrays made with :func:`numeric`)."""
    import pyarrow as pa

    arrays = [c if isinstance(c, (pa.Array, pa.ChunkedArray)) else numeric(c) for c in columns.values()]
    out = pa.Table.from_arrays(arrays, names=list(columns))
    return out.replace_schema_metadata(dict(metadata)) if metadata else out
