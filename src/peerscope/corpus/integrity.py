"""Checking a saved corpus against every rule of the schema: :func:`validate_saved`."""

from __future__ import annotations


import os
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from peerscope import errors

from peerscope._kernels.months import months_from_arrow
from peerscope.corpus import schema
from peerscope.corpus import partition as partitioning
from peerscope._kernels import columnar
from peerscope.corpus._manifest import _verify_files
from peerscope.corpus._remote import _local_folder
from peerscope.corpus._storage import ROW_GROUP_SIZE
from peerscope.corpus.model import open_corpus

__all__ = ["validate_saved"]


def validate_saved(path: str | os.PathLike, batch_size: int = ROW_GROUP_SIZE) -> dict[str, int]:
    """Check every rule of the schema on a saved corpus, streaming it in batches.

    First the SHA-256 of every file is checked against the one the manifest
    recorded at the save (a corpus saved before peerscope recorded them is
    not verified, with a warning).  Column types are checked on the Parquet
    schema, per-row rules batch by batch, every column read (the text
    columns too) with the pages' checksums verified, and the rules across rows on
    hashed ids as :class:`CorpusWriter` does, so memory stays bounded for
    corpora of tens of millions of posts.  In the monthly layout every part
    file is checked, and every row must lie in its file's month.

    Parameters
    ----------
    path : path-like
        The corpus folder (local; a ``file://`` URL will do).
    batch_size : int
        Rows read per batch.

    Returns
    -------
    dict
        Rows checked per table.

    Raises
    ------
    peerscope.errors.ValidationError
        The first broken rule, naming table, column, rule and rows.
    peerscope.errors.ManifestError
        A file's SHA-256 or size differs from the one recorded, a table
        holds another number of rows than the manifest says, or a row of a
        monthly file lies in another month.
    peerscope.errors.PeerscopeError
        A file cannot be read as Parquet or a page fails its checksum (the
        error names the file).

    Warns
    -----
    UserWarning
        The manifest records no file hashes: the files' contents were read
        but not verified.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01 20:00", "2024-01-01 21:30"], utc=True)})
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "tiny"
    >>> _ = Corpus.from_frames(posts, name="tiny").save(folder)
    >>> validate_saved(folder)
    {'posts': 2}
    """
    path = _local_folder(path, "validate_saved")
    corpus = open_corpus(path)
    if not _verify_files(path, corpus.manifest):
        warnings.warn(f"{Path(path)}: the manifest records no file hashes (saved by an older "
                      "peerscope): the files were read but not verified; save the corpus again "
                      "to record them", UserWarning, stacklevel=2)
    now = schema.plausible_until()
    checked = {}
    files = {}
    for name, entry in corpus.manifest["tables"].items():
        files[name] = partitioning.table_files(path, entry)
        offset = 0
        for file in files[name]:
            offset += _check_file(name, file, entry.get("partition"), now, offset, batch_size)
        if offset != entry["rows"]:
            raise errors.ManifestError(
                f"{Path(path) / entry['file']}: holds {offset} rows, the manifest says {entry['rows']}")
        checked[name] = offset
    _check_references(files, corpus.has_roster)
    return checked


def _check_file(name: str, file: str, layout: str | None, now, offset: int, batch_size: int) -> int:
    """Types and per-row rules of one Parquet file of table ``name``; returns its rows.

    ``offset`` is the position of the file's first row in the table (for
    the row numbers in errors).
    """
    spec = schema.table_spec(name)
    try:
        parquet = pq.ParquetFile(file, page_checksum_verification=True)
        arrow_schema = parquet.schema_arrow
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise _unreadable(file, name, exc) from None
    missing = [c for c in spec.required if c not in arrow_schema.names]
    if missing:
        raise errors.MissingColumnError(name, missing[0], f"required column(s) {missing} missing in {file}")
    for column in spec.columns:
        stored = arrow_schema.field(column.name).type if column.name in arrow_schema.names else None
        if stored is not None and stored != column.type and not (
                pa.types.is_large_string(stored) and pa.types.is_string(column.type)):
            raise errors.ColumnTypeError(
                name, column.name, f"stored as {stored}, expected {column.type}")
    rows = 0
    for batch in _batches(parquet, file, name, batch_size):
        try:
            batch.validate(full=True)   # e.g. text that is not UTF-8: no checksum caught it
            # without the file's pandas metadata: damaged, it would decide the frame's shape
            frame = schema.to_pandas(pa.Table.from_batches([batch]).replace_schema_metadata(None))
            problems = list(schema.row_rules(spec, frame, now))
        except (OSError, ValueError, NotImplementedError, pa.ArrowException) as exc:
            # NotImplementedError: pandas cannot print a time thousands of years away
            raise _unreadable(file, name, exc) from None
        for _, _, error in problems:
            for row in error.rows:
                row["row"] += offset + rows
            raise error
        if layout is not None:
            times = batch.column(spec.time_column)
            months = months_from_arrow(times.drop_null())
            strays = sorted({partitioning.part_name(m) for m in np.unique(months)} - {Path(file).name})
            if strays:
                raise errors.ManifestError(
                    f"{file}: holds rows of other months ({', '.join(s[:7] for s in strays[:5])}) "
                    f"in column {spec.time_column!r}")
        rows += batch.num_rows
    return rows


def _batches(parquet: pq.ParquetFile, file: str, name: str, batch_size: int):
    """Every column of ``parquet``, batch by batch; a damaged page raises naming the file."""
    batches = parquet.iter_batches(batch_size=batch_size)
    while True:
        try:
            batch = next(batches, None)
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise _unreadable(file, name, exc) from None
        if batch is None:
            return
        yield batch


def _unreadable(file: str, name: str, exc: BaseException) -> errors.PeerscopeError:
    return errors.PeerscopeError(f"{file}: table {name!r} cannot be read, the file is damaged "
                                 f"({type(exc).__name__}: {str(exc)[:200]})")


#: Values per Arrow hash table in the checks across rows.  Arrow's hash table
#: takes some 50 bytes a value and briefly twice that while it grows, so a
#: column of tens of millions of ids is split by a hash of each value into
#: parts of about this many rows (equal values always share a part), and each
#: part is hashed alone.
_ROWS_PER_PART = 1 << 20


def _read_column(files: list[str], column: str) -> pa.ChunkedArray:
    """One column of a saved table (one file or its monthly parts), one chunk per batch.

    The chunks are not combined: that would hold two copies at once, and
    Arrow's hash kernels take chunked arrays as they are.
    """
    if not files:
        return pa.chunked_array([], type=pa.string())
    # batch by batch: reading a whole column chunk at once holds its decompression
    # buffers too, several times the column's own size at peak
    chunks = [batch.column(0) for file in files
              for batch in pq.ParquetFile(file).iter_batches(columns=[column], batch_size=ROW_GROUP_SIZE)]
    return pa.chunked_array(chunks, type=pq.read_schema(files[0]).field(column).type)


def _not_in(files: list[str], column: str, allowed: pa.ChunkedArray) -> np.ndarray:
    """Rows whose non-null ``column`` is not in ``allowed``, read batch by batch.

    Events can outnumber posts many times over; streaming them keeps memory
    at one batch plus a boolean per row.  Arrow hashes ``allowed`` anew for
    every batch, so a batch holds several times as many rows as ``allowed``
    (within bounds): hashing then costs less than looking the batch up.
    """
    batch_size = int(np.clip(4 * len(allowed), ROW_GROUP_SIZE, 16 * ROW_GROUP_SIZE))
    masks = []
    for file in files:
        for batch in pq.ParquetFile(file).iter_batches(columns=[column], batch_size=batch_size):
            values = batch.column(0)
            masks.append(~np.asarray(pc.is_in(values, value_set=allowed)) & ~np.asarray(values.is_null()))
    return np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


def _first_rows(keys: pa.ChunkedArray, probes: pa.ChunkedArray | None = None
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """The first row holding each key, and the first row whose key equals each probe.

    Arrow's ``index_in`` with the keys as value set gives the position of
    the first equal key, for the keys themselves and for the probes in the
    same call (one hash table).  Long columns are split into parts by a hash
    of the values (:func:`peerscope._kernels.columnar.hash_parts`) and each part is looked up alone, which
    keeps the hash table small; no value becomes a Python object.

    Parameters
    ----------
    keys : pyarrow.ChunkedArray
        String values, one per row (e.g. ``post_id``).
    probes : pyarrow.ChunkedArray, optional
        String values to find among the keys (e.g. ``parent_id``).

    Returns
    -------
    first : numpy.ndarray
        For each row, the first row with the same key (-1 for a null key);
        a row whose first row is another repeats an earlier key.
    match : numpy.ndarray or None
        For each probe, the first row whose key equals it (-1 for a null
        probe, -2 when no key does); None without ``probes``.
    """
    if probes is not None and probes.type != keys.type:
        probes = probes.cast(keys.type)
    parts = max(1, -(-len(keys) // _ROWS_PER_PART))
    key_parts = _parts_of(keys, parts)
    probe_parts = None if probes is None else _parts_of(probes, parts)
    row_type = np.int32 if len(keys) < 2**31 else np.int64   # half the memory for rows
    first = np.full(len(keys), -1, dtype=row_type)
    match = None if probes is None else np.full(len(probes), -1, dtype=row_type)
    for part in range(parts):
        part_keys, key_rows = _select(keys, key_parts, part)
        lookup = part_keys
        if probes is not None:
            part_probes, probe_rows = _select(probes, probe_parts, part)
            lookup = pa.chunked_array(part_keys.chunks + part_probes.chunks, type=keys.type)
        position = pc.index_in(lookup, value_set=part_keys)
        first[key_rows] = key_rows[position.slice(0, len(part_keys)).to_numpy()]
        if probes is not None:
            found = pc.fill_null(position.slice(len(part_keys)), -1).to_numpy()
            rows = np.full(len(found), -2, dtype=row_type)
            rows[found >= 0] = key_rows[found[found >= 0]]
            match[probe_rows] = rows
        del part_keys, lookup, position
    if keys.null_count:
        first[np.asarray(keys.is_null())] = -1
    if probes is not None and probes.null_count:
        match[np.asarray(probes.is_null())] = -1
    pa.default_memory_pool().release_unused()
    return first, match


def _parts_of(values: pa.ChunkedArray, parts: int) -> list[np.ndarray] | None:
    """The part of each value, chunk by chunk (``parts`` for a null); None for one part."""
    if parts == 1:
        return None
    part = columnar.hash_parts(values, parts)
    ends = np.cumsum([len(chunk) for chunk in values.chunks])
    return np.split(part, ends[:-1]) if len(ends) else []


def _select(values: pa.ChunkedArray, value_parts: list[np.ndarray] | None,
            part: int) -> tuple[pa.ChunkedArray, np.ndarray]:
    """The values in ``part``, and their rows (all of them when ``value_parts`` is None)."""
    if value_parts is None:
        return values, np.arange(len(values))
    chunks, rows, offset = [], [np.zeros(0, dtype=np.int64)], 0
    for chunk, chunk_parts in zip(values.chunks, value_parts):
        local = np.flatnonzero(chunk_parts == part)
        chunks.append(chunk.take(local))
        rows.append(local + offset)
        offset += len(chunk)
    return pa.chunked_array(chunks, type=values.type), np.concatenate(rows)


def _repeats(first: np.ndarray) -> np.ndarray:
    """Rows whose value repeats an earlier row's, from :func:`_first_rows`."""
    return (first >= 0) & (first != np.arange(len(first)))


def _check_references(files: dict[str, list[str]], roster: bool) -> None:
    """Rules across rows for a saved or streamed corpus; raises the first broken one.

    Works column by column on Arrow arrays with Arrow's hash tables
    (:func:`_first_rows`, ``is_in``), so memory stays near the size of the id
    columns and no id becomes a Python object.  ``files`` maps each table
    present to its Parquet file(s), in reading order.
    """
    first, parent = _first_rows(_read_column(files["posts"], "post_id"),
                                _read_column(files["posts"], "parent_id"))
    duplicate = _repeats(first)
    del first
    # each thread id coded by the first row holding it: equal codes, equal thread ids
    threads, _ = _first_rows(_read_column(files["posts"], "thread_id"))
    other_thread = np.zeros(len(parent), dtype=bool)
    linked = parent >= 0
    other_thread[linked] = threads[parent[linked]] != threads[linked]
    del threads
    cycles = schema.cycle_mask(np.where(parent == -2, -1, parent))
    checks = [("post_id", duplicate, errors.DuplicateIdError, "id repeats an earlier row's id", None),
              ("parent_id", parent == -2, errors.DanglingReferenceError,
               "parent_id names no post in the table", "dangling_parent"),
              ("parent_id", other_thread, errors.CrossThreadReplyError,
               "the parent post belongs to another thread", None),
              ("parent_id", cycles, errors.ReplyCycleError,
               "following parent_id never reaches an opening post", None)]
    for column, mask, error_class, detail, rule in checks:
        if mask.any():
            _raise_with_rows(files["posts"], "posts", column, mask, error_class, detail, rule)
    for table in ("members", "newsletter_items"):
        if table in files:
            id_column = schema.table_spec(table).id_column
            duplicate = _repeats(_first_rows(_read_column(files[table], id_column))[0])
            if duplicate.any():
                _raise_with_rows(files[table], table, id_column, duplicate, errors.DuplicateIdError,
                                 "id repeats an earlier row's id")
    if roster and "members" in files:
        members = _read_column(files["members"], "member_id")
        for table, column in (("posts", "author_id"), ("events", "member_id"), ("newsletter_items", "author_id")):
            if table not in files:
                continue
            unknown = _not_in(files[table], column, members)
            if unknown.any():
                _raise_with_rows(files[table], table, column, unknown, errors.DanglingReferenceError,
                                 "not in the member roster (members.member_id)", "unknown_member")


def _raise_with_rows(files, table, column, mask, error_class, detail, rule=None):
    spec = schema.table_spec(table)
    positions = np.flatnonzero(mask)
    columns = [c for c in dict.fromkeys([spec.id_column, column]) if c]
    values = ds.dataset(files, format="parquet").to_table(columns=columns).take(
        positions[: errors.MAX_EXAMPLES])
    rows = [{"row": int(p), **{c: values[c][i].as_py() for c in columns}}
            for i, p in enumerate(positions[: errors.MAX_EXAMPLES])]
    raise error_class(table, column, detail, rows, int(mask.sum()), rule=rule)
