"""Partitioned storage of corpus tables: one Parquet file per calendar month.

A table of tens or hundreds of millions of rows is easier to handle as many
files than as one: Dask reads each file as one or more partitions in
parallel, a time window skips whole files, a month can be copied to object
storage or re-imported on its own, and appending a month touches one file.
peerscope therefore stores the big time-stamped tables (``posts``,
``events``, ``newsletter_items``) either as one file ``posts.parquet`` or,
with ``partition="month"``, as a folder of monthly files::

    corpus/
      corpus.json
      members.parquet          (members have no time of their own: one file)
      posts/
        _common_metadata       the Arrow schema of the table (Parquet convention)
        2022-01.parquet        rows with created_at in January 2022 (UTC)
        2022-02.parquet
        ...

The month is that of the table's time column (``created_at``, ``at``,
``published_at``) in UTC.  The files hold exactly the columns of the
single-file layout; no hive-style ``month=...`` column is added, so every
reader returns the same columns whatever the layout.  The manifest entry of
a partitioned table records the layout and lists its files, in time order::

    "posts": {"file": "posts", "partition": "month",
              "parts": ["2022-01.parquet", "2022-02.parquet"], "rows": ..., "columns": [...]}

so a corpus on object storage can be read without listing folders, and a
missing or stray file is noticed.  Rows are read in the order of the parts.

:func:`peerscope.corpus.repartition` rewrites a saved corpus in another layout, streaming it
batch by batch, with the manifest's provenance and row accounting carried
over unchanged.

Examples
--------
>>> from peerscope.datasets import synth
>>> from peerscope.corpus import repartition
>>> corpus, _ = synth.generate(2_000, seed=1, months=3, with_text=False)   # doctest: +SKIP
>>> corpus.save("forum")                                                   # doctest: +SKIP
>>> monthly = repartition("forum", "forum-monthly", by="month")          # doctest: +SKIP
>>> monthly.manifest["tables"]["posts"]["parts"]                           # doctest: +SKIP
['2022-01.parquet', '2022-02.parquet', '2022-03.parquet']
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from peerscope import errors

from peerscope._kernels.months import iso_months, months_from_arrow
from peerscope._kernels.runs import run_lengths, run_starts
from peerscope.corpus import schema

__all__ = ["PARTITIONS", "ROW_GROUP_SIZE", "SCHEMA_FILE", "TableWriter", "check_partition",
           "layout_of", "split_by_month", "table_files"]

#: Layouts a table can be stored in: None (one file) or one file per month.
PARTITIONS = (None, "month")
#: Name of the file holding a partitioned table's schema (a Parquet convention Dask also reads).
SCHEMA_FILE = "_common_metadata"
#: Rows per Parquet row group (as for single files).
ROW_GROUP_SIZE = 256 * 1024
_PART = re.compile(r"^\d{4}-\d{2}\.parquet$")


def check_partition(partition: str | None) -> str | None:
    """Return ``partition`` if it is a known layout, else raise :class:`~peerscope.errors.PeerscopeError`.

    Parameters
    ----------
    partition : {None, "month"}

    Returns
    -------
    str or None

    Examples
    --------
    >>> check_partition("month"), check_partition(None)
    ('month', None)
    >>> try:
    ...     check_partition("year")
    ... except errors.PeerscopeError as error:
    ...     print(error)
    unknown partition 'year'; choose one of [None, 'month']
    """
    if partition not in PARTITIONS:
        raise errors.PeerscopeError(
            f"unknown partition {partition!r}; choose one of {[p for p in PARTITIONS]}")
    return partition


def layout_of(table: str, partition: str | None) -> str | None:
    """The layout table ``table`` gets when a corpus is written with ``partition``.

    Only tables with a time column of their own are split; ``members`` is
    always one file.

    Parameters
    ----------
    table : str
        A corpus table name.
    partition : {None, "month"}

    Returns
    -------
    str or None

    Examples
    --------
    >>> layout_of("events", "month"), layout_of("members", "month")
    ('month', None)
    """
    check_partition(partition)
    return partition if schema.TABLES[table].time_column is not None else None


def part_name(month: int) -> str:
    """File name of a month's part, e.g. ``2022-01.parquet`` (months since 1970-01).

    Parameters
    ----------
    month : int
        Months since 1970-01.

    Returns
    -------
    str

    Examples
    --------
    >>> part_name(624)
    '2022-01.parquet'
    """
    return f"{iso_months(month)}.parquet"


def split_by_month(table: pa.Table, name: str) -> Iterator[tuple[str, pa.Table]]:
    """The rows of corpus table ``name`` grouped by the UTC month of its time column.

    Yields (part file name, rows).  Months come in time order and rows keep
    their order within a month (a stable sort; no copy when the rows are
    already in month order).

    Parameters
    ----------
    table : pyarrow.Table
        Rows of the table, with its time column.
    name : str
        The table name (``posts``, ``events``, ``newsletter_items``).

    Yields
    ------
    tuple of (str, pyarrow.Table)

    Raises
    ------
    peerscope.errors.MissingValueError
        When a row has no time.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "thread_id": ["p1", "p1", "p3"],
    ...     "parent_id": [None, "p1", None], "author_id": ["ann", "bob", "ann"],
    ...     "text": ["a", "b", "c"],
    ...     "created_at": pd.to_datetime(["2022-02-03", "2022-01-05", "2022-02-01"], utc=True)})
    >>> corpus = Corpus.from_frames(posts, name="forum")
    >>> table = corpus.arrow("posts", ["post_id", "created_at"])
    >>> [(part, rows["post_id"].to_pylist()) for part, rows in split_by_month(table, "posts")]
    [('2022-01.parquet', ['p2']), ('2022-02.parquet', ['p1', 'p3'])]
    """
    if not table.num_rows:
        return
    column = schema.TABLES[name].time_column
    if table[column].null_count:
        raise errors.MissingValueError(name, column, "a partitioned table needs a time on every row")
    months = months_from_arrow(table[column])
    if np.any(months[1:] < months[:-1]):
        order = np.argsort(months, kind="stable")
        table, months = table.take(order), months[order]
    starts = run_starts(months)
    for start, length in zip(starts, run_lengths(starts, len(months))):
        yield part_name(months[start]), table.slice(start, length)


class TableWriter:
    """Append Arrow chunks of one table to one file or to monthly part files.

    The part files are opened as months appear and closed by :meth:`close`,
    which returns the manifest entry of the table.

    Parameters
    ----------
    folder : Path
        The corpus folder being written.
    table : str
        Table name (``posts``, ``members``, ...).
    partition : {None, "month"}
        The layout (see :func:`layout_of`; ``members`` ignores ``"month"``).
    arrow_schema : pyarrow.Schema
        Schema of every chunk.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "thread_id": ["p1", "p1", "p3"],
    ...     "parent_id": [None, "p1", None], "author_id": ["ann", "bob", "ann"],
    ...     "text": ["a", "b", "c"],
    ...     "created_at": pd.to_datetime(["2022-02-03", "2022-01-05", "2022-02-01"], utc=True)})
    >>> corpus = Corpus.from_frames(posts, name="forum")
    >>> table = corpus.arrow("posts", ["post_id", "created_at"])
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> writer = TableWriter(folder, "posts", "month", table.schema)
    >>> writer.write(table)
    >>> entry = writer.close()
    >>> entry
    {'file': 'posts', 'partition': 'month', 'parts': ['2022-01.parquet', '2022-02.parquet'], 'rows': 3}
    >>> sorted(path.name for path in (folder / "posts").iterdir())
    ['2022-01.parquet', '2022-02.parquet', '_common_metadata']
    """

    def __init__(self, folder: Path, table: str, partition: str | None, arrow_schema: pa.Schema):
        self.folder = Path(folder)
        self.table = table
        self.layout = layout_of(table, partition)
        self.schema = arrow_schema
        self.rows = 0
        self._writers: dict[str, pq.ParquetWriter] = {}
        if self.layout is not None:
            (self.folder / table).mkdir()

    def write(self, arrow: pa.Table) -> None:
        """Append the rows of ``arrow`` (same schema as the writer's)."""
        if not arrow.schema.equals(self.schema):
            raise errors.ColumnTypeError(
                self.table, None, f"chunk columns {arrow.schema.names} differ from the first chunk's "
                f"{self.schema.names}", rule="chunk_schema")
        if self.layout is None:
            self._writer(f"{self.table}.parquet", self.folder / f"{self.table}.parquet").write_table(
                arrow, row_group_size=ROW_GROUP_SIZE)
        else:
            for name, rows in split_by_month(arrow, self.table):
                self._writer(name, self.folder / self.table / name).write_table(
                    rows, row_group_size=ROW_GROUP_SIZE)
        self.rows += arrow.num_rows

    def _writer(self, key: str, target: Path) -> pq.ParquetWriter:
        writer = self._writers.get(key)
        if writer is None:
            writer = self._writers[key] = pq.ParquetWriter(target, self.schema, compression="zstd",
                                                                write_page_checksum=True)
        return writer

    def close(self) -> dict:
        """Close every file and return the table's manifest entry (without ``columns``)."""
        for writer in self._writers.values():
            writer.close()
        if self.layout is None:
            if not self._writers:
                pq.write_table(self.schema.empty_table(), self.folder / f"{self.table}.parquet",
                               compression="zstd", write_page_checksum=True)
            return {"file": f"{self.table}.parquet", "rows": self.rows}
        pq.write_metadata(self.schema, self.folder / self.table / SCHEMA_FILE)
        return {"file": self.table, "partition": self.layout, "parts": sorted(self._writers),
                "rows": self.rows}


def table_files(folder: str | os.PathLike, entry: dict, filesystem: pa.fs.FileSystem | None = None) -> list[str]:
    """Paths of the Parquet files of one table, in reading order, from its manifest entry.

    Parameters
    ----------
    folder : path-like
        The corpus folder.
    entry : dict
        The table's manifest entry.
    filesystem : pyarrow.fs.FileSystem, optional
        The file system ``folder`` is on when it is not the local disk (a
        corpus opened from a URL, ``folder`` then named as that file system
        names it): paths are joined with ``/``, as object stores name keys.

    Returns
    -------
    list of str

    Examples
    --------
    >>> [Path(path).as_posix() for path in table_files("forum", {"file": "posts.parquet"})]
    ['forum/posts.parquet']
    >>> entry = {"file": "posts", "partition": "month", "parts": ["2022-01.parquet"]}
    >>> [Path(path).as_posix() for path in table_files("forum", entry)]
    ['forum/posts/2022-01.parquet']
    """
    base = _join(folder, entry["file"], filesystem)
    if entry.get("partition") is None:
        return [str(base)]
    return [str(_join(base, part, filesystem)) for part in entry.get("parts", [])]


def check_parts(folder: str | os.PathLike, table: str, entry: dict) -> None:
    """Raise :class:`~peerscope.errors.ManifestError` unless the files on disk are the ones listed.

    Parameters
    ----------
    folder : path-like
        The corpus folder.
    table : str
        The table name (for messages).
    entry : dict
        The table's manifest entry.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "thread_id": ["p1", "p1", "p3"],
    ...     "parent_id": [None, "p1", None], "author_id": ["ann", "bob", "ann"],
    ...     "text": ["a", "b", "c"],
    ...     "created_at": pd.to_datetime(["2022-02-03", "2022-01-05", "2022-02-01"], utc=True)})
    >>> corpus = Corpus.from_frames(posts, name="forum")
    >>> table = corpus.arrow("posts", ["post_id", "created_at"])
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> writer = TableWriter(folder, "posts", "month", table.schema)
    >>> writer.write(table)
    >>> entry = writer.close()
    >>> check_parts(folder, "posts", entry)          # the files listed are there
    >>> (folder / "posts" / "2022-01.parquet").unlink()
    >>> try:
    ...     check_parts(folder, "posts", entry)
    ... except errors.ManifestError as error:
    ...     print(str(error).split(": ", 1)[1])
    part file(s) ['2022-01.parquet'] listed in the manifest are missing
    """
    layout = entry.get("partition")
    base = Path(folder) / entry["file"]
    if layout is None:
        if not base.is_file():
            raise errors.ManifestError(f"{folder}: table {table!r} file {entry['file']} is missing")
        return
    check_partition(layout)
    if not base.is_dir():
        raise errors.ManifestError(f"{folder}: table {table!r} folder {entry['file']}/ is missing")
    listed = set(entry.get("parts", []))
    found = {p.name for p in base.iterdir() if _PART.match(p.name)}
    if listed - found:
        raise errors.ManifestError(
            f"{base}: part file(s) {sorted(listed - found)[:5]} listed in the manifest are missing")
    if found - listed:
        raise errors.ManifestError(
            f"{base}: part file(s) {sorted(found - listed)[:5]} are not in the manifest")


def table_schema(folder: str | os.PathLike, entry: dict, filesystem: pa.fs.FileSystem | None = None) -> pa.Schema:
    """The Arrow schema of a saved table (from its file, or a partitioned table's ``_common_metadata``).

    Parameters
    ----------
    folder : path-like
        The corpus folder.
    entry : dict
        The table's manifest entry.
    filesystem : pyarrow.fs.FileSystem, optional
        The file system ``folder`` is on, when not the local disk (see
        :func:`table_files`).

    Returns
    -------
    pyarrow.Schema

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "thread_id": ["p1", "p1", "p3"],
    ...     "parent_id": [None, "p1", None], "author_id": ["ann", "bob", "ann"],
    ...     "text": ["a", "b", "c"],
    ...     "created_at": pd.to_datetime(["2022-02-03", "2022-01-05", "2022-02-01"], utc=True)})
    >>> corpus = Corpus.from_frames(posts, name="forum")
    >>> table = corpus.arrow("posts", ["post_id", "created_at"])
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> writer = TableWriter(folder, "posts", "month", table.schema)
    >>> writer.write(table)
    >>> entry = writer.close()
    >>> table_schema(folder, entry).names
    ['post_id', 'created_at']
    """
    return pq.read_schema(str(schema_file(folder, entry, filesystem)), filesystem=filesystem)


def schema_file(folder: str | os.PathLike, entry: dict, filesystem: pa.fs.FileSystem | None = None):
    """The file a saved table's schema is read from: its one file, or its folder's ``_common_metadata``.

    Parameters
    ----------
    folder : path-like
        The corpus folder.
    entry : dict
        The table's manifest entry.
    filesystem : pyarrow.fs.FileSystem, optional
        The file system ``folder`` is on, when not the local disk (see
        :func:`table_files`).

    Returns
    -------
    pathlib.Path, or str on another file system

    Examples
    --------
    >>> schema_file("forum", {"file": "posts", "partition": "month", "parts": []}).as_posix()
    'forum/posts/_common_metadata'
    """
    base = _join(folder, entry["file"], filesystem)
    return base if entry.get("partition") is None else _join(base, SCHEMA_FILE, filesystem)


def _join(folder, name: str, filesystem: pa.fs.FileSystem | None):
    """``folder/name``: a local Path, or a ``/``-joined string on another file system
    (where a Path would fold the ``//`` of an http URL)."""
    return Path(folder) / name if filesystem is None else posixpath.join(folder, name)
