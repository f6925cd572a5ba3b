"""Result tables on disk: a columnar CSV writer (the bytes of pandas' ``to_csv``), Parquet with units, readers.

``write_csv(frame, path)`` writes the same bytes as ``frame.to_csv(path, index=False, float_format="%.6g")``
(tested), column by column: each column's distinct values are formatted once (Python's ``%``, as pandas
does), gathered into a fixed-width byte matrix with NumPy and the padding squeezed out; rows go out in
chunks, so memory stays bounded (≈ chunk × row width) at any table size. A frame it cannot reproduce
byte for byte (a text cell or column name that needs CSV quoting, a nullable extension dtype) is handed
to pandas.

``write_parquet(frame, path)`` writes Apache Parquet (pyarrow, the ``parquet`` extra) with every column's
unit in the schema: field metadata ``unit`` and the table metadata ``latticeanchor.units`` (JSON). Units are
read off the column names (``_A`` Å, ``_nm``, ``_K``, ``_eV``, ``_GPa``, ``_fraction``, ...; see ``unit_of``).

``read_table(path)`` reads either format back as a DataFrame (``core`` categorical as in memory).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from latticeanchor.atomic import atomic_path
from latticeanchor.errors import LatticeAnchorError

FLOAT_FORMAT = "%.6g"
CHUNK_ROWS = 1 << 12  # rows per written chunk: the row matrix (≈ 2 MB here) stays in cache (0.31 -> 0.18 s for 68k rows)
_PAD = 0  # the padding byte of the fixed-width matrix (never in a cell: such a cell goes to pandas)
_NEEDS_QUOTING = (",", '"', "\n", "\r", "\x00")

# column-name suffix -> unit (longest suffix first); the library's naming convention (DEVELOPERS.md)
_SUFFIX_UNITS = (("_eV_per_nm3", "eV/nm^3"), ("_fraction", "1 (fraction)"), ("_percent", "%"), ("_nm", "nm"),
                 ("_A", "Å"), ("_K", "K"), ("_eV", "eV"), ("_GPa", "GPa"), ("_probability", "1 (probability)"))
_NAMED_UNITS = {"x": "Br per formula unit (CsPbBr_xI_(3-x))", "rank": "1", "score": "1", "score_worst_T": "1",
                "selectivity": "1", "stability_index": "1", "stability_index_ensemble": "1", "bartel_tau": "1",
                "tolerance_t": "1", "octahedral_mu": "1", "pareto": "bool", "gap_in_window": "bool"}


def unit_of(column: str) -> str:
    """The unit of a result column, from its name (``term_*`` and other dimensionless columns: ``1``;
    text columns such as ``core`` or ``regime``: ``""``)."""
    if column in _NAMED_UNITS:
        return _NAMED_UNITS[column]
    if column.startswith("eps_fraction_"):
        return "1 (fraction)"
    for suffix, unit in _SUFFIX_UNITS:
        if column.endswith(suffix):
            return unit
    if column.startswith("term_"):
        return "1"
    return ""


# --- CSV ----------------------------------------------------------------------------------------------

def _cell_bytes(col: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(codes, table): each row's code into ``table``, the column's distinct cells as a fixed-width byte
    array, formatted as pandas' ``to_csv(float_format="%.6g")`` writes them; None when pandas must write it."""
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        if not all(isinstance(c, str) for c in col.cat.categories):
            return None
        codes = col.cat.codes.to_numpy()
        cats = list(col.cat.categories)
        if (codes < 0).any():  # a missing category: written as an empty cell
            codes = np.where(codes < 0, len(cats), codes)
            cats = cats + [""]
        cells = cats
    elif dtype.kind == "f" and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        values = col.to_numpy(np.float64)
        codes, uniq = pd.factorize(values.view(np.int64))  # on the bits: keeps -0.0 apart from 0.0
        floats = np.asarray(uniq, np.int64).view(np.float64)
        table = np.array(list(map(FLOAT_FORMAT.__mod__, floats.tolist())) or [""], dtype="S")  # ASCII only
        table[np.isnan(floats)] = b""  # NaN: an empty cell (pandas' na_rep)
        return np.asarray(codes, np.int64), table
    elif dtype.kind == "b" and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        codes = col.to_numpy().astype(np.int64)
        return codes, np.array([b"False", b"True"])
    elif dtype.kind in "iu" and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        codes, uniq = pd.factorize(col.to_numpy())
        return np.asarray(codes, np.int64), np.array(list(map(str, np.asarray(uniq).tolist())) or [""], dtype="S")  # digits: no quoting
    elif dtype == object or isinstance(dtype, pd.StringDtype):
        values = col.to_numpy(object)
        codes, uniq = pd.factorize(values, use_na_sentinel=True)
        uniq = list(uniq)
        if not all(isinstance(v, str) for v in uniq):
            return None
        if (codes < 0).any():  # missing text: an empty cell (pandas' na_rep)
            codes = np.where(codes < 0, len(uniq), codes)
            uniq.append("")
        cells = uniq
    else:
        return None
    joined = "".join(cells)  # one scan of every distinct cell for a character that needs quoting
    if any(ch in joined for ch in _NEEDS_QUOTING):
        return None
    table = np.array([s.encode("utf-8") for s in cells] or [b""], dtype=bytes)
    if table.dtype.itemsize == 0:
        table = table.astype("S1")
    return np.asarray(codes, np.int64), table


def _chunk_bytes(parts: list[tuple[np.ndarray, np.ndarray]], start: int, stop: int) -> bytes:
    """Rows start..stop of the columns as CSV bytes: one fixed-width row matrix, padding removed."""
    n = stop - start
    widths = [table.dtype.itemsize for _, table in parts]
    row_width = sum(widths) + len(parts)  # a separator after every cell (the last one is the newline)
    rows = np.full((n, row_width), _PAD, np.uint8)
    offset = 0
    for (codes, table), width in zip(parts, widths):
        cells = table[codes[start:stop]]
        rows[:, offset:offset + width] = cells.view(np.uint8).reshape(n, width)
        rows[:, offset + width] = ord(",")
        offset += width + 1
    rows[:, -1] = ord("\n")
    flat = rows.ravel()
    return flat[flat != _PAD].tobytes()


def csv_chunks(frame: pd.DataFrame, chunk_rows: int = CHUNK_ROWS):
    """The frame's CSV bytes (header first) in chunks of ``chunk_rows`` rows, or None when the frame needs
    pandas (quoting, extension dtypes)."""
    names = [str(c) for c in frame.columns]
    if not names or any(ch in name for name in names for ch in _NEEDS_QUOTING):
        return None
    parts = []
    for name in frame.columns:
        part = _cell_bytes(frame[name])
        if part is None:
            return None
        parts.append(part)

    def generate():
        yield (",".join(names) + "\n").encode("utf-8")
        for start in range(0, len(frame), chunk_rows):
            yield _chunk_bytes(parts, start, min(start + chunk_rows, len(frame)))

    return generate()


def csv_bytes(frame: pd.DataFrame) -> bytes | None:
    """The whole CSV as bytes (tests, small tables), or None when pandas must write it."""
    chunks = csv_chunks(frame)
    return None if chunks is None else b"".join(chunks)


def write_csv(frame: pd.DataFrame, path) -> Path:
    """Write ``frame`` as CSV (no index, floats ``%.6g``) atomically, in bounded memory."""
    path = Path(path)
    chunks = csv_chunks(frame)
    with atomic_path(path) as tmp:
        if chunks is None:
            frame.to_csv(tmp, index=False, float_format=FLOAT_FORMAT)
        else:
            with open(tmp, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
    return path


# --- Parquet ------------------------------------------------------------------------------------------

def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise LatticeAnchorError("Parquet output needs pyarrow: pip install 'latticeanchor[parquet]'") from None
    return pa, pq


def has_parquet() -> bool:
    """Whether pyarrow is installed (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("pyarrow") is not None


def arrow_table(frame: pd.DataFrame, extra_metadata: dict | None = None):
    """The frame as a pyarrow Table with each column's unit in its field metadata and all units (JSON) in
    the schema metadata key ``latticeanchor.units``."""
    pa, _ = _pyarrow()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    units = {str(c): unit_of(str(c)) for c in frame.columns}
    fields = [f.with_metadata({"unit": units[f.name]}) for f in table.schema]
    meta = dict(table.schema.metadata or {})
    meta[b"latticeanchor.units"] = json.dumps(units, ensure_ascii=False).encode("utf-8")
    for key, value in (extra_metadata or {}).items():
        meta[f"latticeanchor.{key}".encode()] = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields, metadata=meta))


def write_parquet(frame: pd.DataFrame, path, extra_metadata: dict | None = None) -> Path:
    """Write ``frame`` as Parquet (zstd) atomically, units in the schema (see ``arrow_table``).

    Dictionary encoding for the text and categorical columns only: a float column of distinct descriptor values
    gains nothing from a dictionary that overflows to plain encoding anyway (a 250 000-row chunk: 0.26 -> 0.19 s
    CPU, 9.3 -> 8.9 MB)."""
    pa, pq = _pyarrow()
    path = Path(path)
    table = arrow_table(frame, extra_metadata)
    numeric = (pa.types.is_floating, pa.types.is_integer, pa.types.is_boolean)
    text = [f.name for f in table.schema if not any(kind(f.type) for kind in numeric)]
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", use_dictionary=text)
    return path


def parquet_units(path) -> dict:
    """The ``{column: unit}`` map stored in a Parquet file (or dataset folder) written here."""
    _, pq = _pyarrow()
    path = Path(path)
    target = next(iter(sorted(path.glob("*.parquet"))), None) if path.is_dir() else path
    if target is None:
        raise LatticeAnchorError(f"{str(path)!r}: no Parquet files")
    meta = pq.read_schema(target).metadata or {}
    raw = meta.get(b"latticeanchor.units")
    return json.loads(raw) if raw else {}


def read_table(path) -> pd.DataFrame:
    """A results table written here (``.csv``, ``.parquet`` or a folder of Parquet parts) as a DataFrame."""
    path = Path(path)
    if path.suffix == ".csv":
        frame = pd.read_csv(path)
    elif path.suffix == ".parquet" or path.is_dir():
        _, pq = _pyarrow()
        if path.is_dir():
            files = sorted(path.glob("*.parquet"))
            if not files:
                raise LatticeAnchorError(f"{str(path)!r}: no Parquet files")
            frame = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
        else:
            frame = pq.read_table(path).to_pandas()
    else:
        raise LatticeAnchorError(f"{str(path)!r}: expected a .csv or .parquet results table")
    if "core" in frame.columns and not isinstance(frame["core"].dtype, pd.CategoricalDtype):
        frame["core"] = pd.Categorical(frame["core"].astype(str), categories=list(pd.unique(frame["core"].astype(str))))
    return frame
