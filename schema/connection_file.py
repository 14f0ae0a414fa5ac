"""Read a ``from_list`` connection file (CSV: ``pre,post[,weight][,delay]``) fast, and say exactly where
it is wrong when it is.

A file near the size limit holds millions of rows. Parsing it row by row in Python (``csv.reader``, one
``int()`` and one quantity parse per cell, one tuple per row) took 35 s and 3 GB for 64 MiB, so the
common case, a well-formed file, is parsed by pyarrow's CSV reader and checked column-wise with its
RE2 regular expressions. Only when that finds a problem (or pyarrow cannot read the file: ragged rows,
quoted line breaks, bad UTF-8) does the row-by-row reader run, up to the first bad row, for the message.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .errors import clip, printable
from .units import NUMBER, Dimension, UnitError, expect_dimension, unit_factor

#: a connection file larger than this is refused before it is parsed
MAX_BYTES = 64 * 2**20
#: no population has this many neurons; larger indices do not fit the int64 arrays they are kept in
MAX_INDEX = 2**62
_INDEX = re.compile(r"[ \t]*[0-9]+[ \t]*")  # ASCII digits only: int() also reads '٣' and '1_0'
_ARROW_INDEX = r"^[ \t]*[0-9]+[ \t]*$"
_ARROW_QUANTITY = rf"^[ \t]*(?P<number>{NUMBER})[ \t]*(?P<unit>[A-Za-zµ]+)[ \t]*$"


class FileError(ValueError):
    """The file is not a valid connection list; the message names the file's row (``name:row: ...``)."""


@dataclass(frozen=True)
class Column:
    """One quantity column (weight or delay): every cell's number and unit (row 2 is index 0), or only
    the raw cells when the fast reader could not split them."""

    cells: Callable[[int], str]  # row index -> the cell as written
    size: int
    numbers: Optional[np.ndarray] = None  # float64, as written (before the unit's factor)
    unit_codes: Optional[np.ndarray] = None  # int, index into ``units``
    units: tuple[str, ...] = ()

    def to_si(self, dimension: Dimension, report: Callable[[int, str], None]) -> Optional[np.ndarray]:
        """SI values of the column, or None after ``report(row number, message)`` for the first bad cell."""
        first = 0
        if self.numbers is not None:
            factors = np.empty(len(self.units))
            wrong = []
            for code, unit in enumerate(self.units):
                try:
                    found, factors[code] = unit_factor(unit)
                except UnitError:
                    found = None
                if found is not dimension:
                    wrong.append(code)
            with np.errstate(over="ignore", invalid="ignore"):
                values = self.numbers * factors[self.unit_codes]
            bad = ~np.isfinite(values)
            if wrong:
                bad |= np.isin(self.unit_codes, wrong)
            if not bad.any():
                return values
            first = int(np.flatnonzero(bad)[0])
        else:
            values = np.empty(self.size)
        for i in range(first, self.size):  # the same words as a quantity in the spec itself
            try:
                values[i] = expect_dimension(self.cells(i), dimension)
            except UnitError as exc:
                report(i + 2, str(exc))
                return None
        return values


@dataclass(frozen=True)
class ConnectionTable:
    """``pre``/``post``: int64 neuron indices, one per row; ``columns``: 'weight' and/or 'delay'."""

    pre: np.ndarray
    post: np.ndarray
    columns: dict


def _shown(row: list[str]) -> str:
    return printable(clip(",".join(row), 60))


def read_table(blob: bytes, name: str) -> ConnectionTable:
    """Parse a connection file's bytes; raise :class:`FileError` naming the first bad row."""
    text = blob.decode("utf-8", errors="replace")
    first_line = text.split("\n", 1)[0].rstrip("\r")
    try:
        header = next(csv.reader([first_line]), [])
    except csv.Error as exc:
        raise FileError(f"{name}: not a readable CSV file ({exc})") from None
    if header[:2] != ["pre", "post"]:
        raise FileError("connection file needs a header row: pre,post[,weight][,delay] "
                        "(weight and delay cells as quantities such as '16.2 pA', '1 ms')")
    unknown = set(header[2:]) - {"weight", "delay"}
    if unknown:
        raise FileError(f"{name}: unknown columns {sorted(printable(clip(u)) for u in unknown)} "
                        "(expected weight, delay)")
    if len(set(header)) != len(header):
        raise FileError(f"{name}: a column appears twice in the header {','.join(header)!r}")
    table = _fast(blob, header)
    return table if table is not None else _slow(text, header, name)


def _fast(blob: bytes, header: list[str]) -> Optional[ConnectionTable]:
    """pyarrow's reader and column-wise checks; None when anything is off (the slow reader says what)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    try:
        table = pcsv.read_csv(
            pa.py_buffer(blob),
            read_options=pcsv.ReadOptions(column_names=header, skip_rows=1, use_threads=False),
            parse_options=pcsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in header},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    indices = []
    for column in ("pre", "post"):
        cells = table[column]
        if pc.all(pc.match_substring_regex(cells, _ARROW_INDEX)).as_py() is False:
            return None
        try:
            indices.append(pc.cast(pc.utf8_trim_whitespace(cells), pa.int64()).to_numpy(zero_copy_only=False))
        except pa.ArrowInvalid:  # beyond int64
            return None
    columns = {}
    for column in header[2:]:
        cells = table[column].combine_chunks()
        parts = pc.extract_regex(cells, _ARROW_QUANTITY)
        if parts.null_count:
            columns[column] = Column(lambda i, c=cells: c[i].as_py(), len(cells))
            continue
        numbers = pc.cast(parts.field("number"), pa.float64()).to_numpy(zero_copy_only=False)
        encoded = parts.field("unit").dictionary_encode()
        columns[column] = Column(lambda i, c=cells: c[i].as_py(), len(cells), numbers,
                                 encoded.indices.to_numpy(zero_copy_only=False),
                                 tuple(encoded.dictionary.to_pylist()))
    return ConnectionTable(indices[0], indices[1], columns)


def _slow(text: str, header: list[str], name: str) -> ConnectionTable:
    """Row by row with the csv module, stopping at the first bad row with its number and text."""
    try:
        rows = csv.reader(io.StringIO(text, newline=""))
        next(rows)
        pre, post, cells = [], [], {c: [] for c in header[2:]}
        for number, row in enumerate(rows, start=2):
            if len(row) < 2 or not (_INDEX.fullmatch(row[0]) and _INDEX.fullmatch(row[1])):
                raise FileError(f"{name}:{number}: expected two neuron indices, got '{_shown(row)}'")
            if len(row) != len(header):
                raise FileError(f"{name}:{number}: expected {len(header)} cells ({','.join(header)}), "
                                f"got {len(row)}: '{_shown(row)}'")
            pair = int(row[0]), int(row[1])
            if max(pair) >= MAX_INDEX:
                raise FileError(f"{name}:{number}: neuron index {clip(str(max(pair)), 30)} is out of range")
            pre.append(pair[0])
            post.append(pair[1])
            for column, cell in zip(header[2:], row[2:]):
                cells[column].append(cell)
    except csv.Error as exc:
        raise FileError(f"{name}: not a readable CSV file ({exc})") from None
    columns = {c: Column(values.__getitem__, len(values)) for c, values in cells.items()}
    return ConnectionTable(np.asarray(pre, np.int64), np.asarray(post, np.int64), columns)
