"""The corpus: a folder of Parquet tables plus a ``corpus.json`` manifest.

Everything in peerscope accepts a :class:`Corpus`.  A corpus is either held in
memory (made by :meth:`Corpus.from_frames` or a loader) or opened lazily from
disk (:func:`open_corpus`); both answer the same questions the same way:
``corpus.posts(columns=..., start=..., end=..., channels=...)`` returns a
pandas DataFrame (or, for ``engine="dask"``, a Dask DataFrame) with the column
projection and the filters pushed down to Parquet, so the ``text`` column is
read only when asked for by name.

On disk::

    corpus/
      corpus.json              name, schema version, provenance, row accounting
      posts.parquet            one file per table
      members.parquet
      events.parquet
      newsletter_items.parquet
      quarantine/posts.parquet rows that failed validation under repair=True

or, saved with ``partition="month"``, the time-stamped tables as folders of
monthly files (``posts/2022-01.parquet``, ...; see :mod:`peerscope.corpus.partition`),
which Dask reads in parallel and which every reader here treats as the same
table.

A saved corpus can also be read where it lies on object storage:
``open_corpus("s3://bucket/forum", storage_options={...})`` opens any fsspec
URL (``s3://``, ``gs://``, ``abfs://``, ``memory://``, chained URLs such as
``simplecache::s3://...``) and reads every table through that file system,
with both engines; a Dask cluster's workers then read the Parquet files
directly.  Writing (saving, caches, derived files) stays local.

:meth:`Corpus.save` is atomic: it writes a complete sibling folder, then swaps
it in with two renames, so a crash leaves either the old or the new corpus.
"""

from __future__ import annotations


import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from peerscope import errors

from peerscope.corpus import schema
from peerscope.corpus import partition as partitioning
from peerscope.corpus.validation import validate_frames
from peerscope.corpus._manifest import (MANIFEST, QUARANTINE_DIR, _account_for_import, _account_for_window,
                                        _check_columns, _check_footers, _check_inside, _iso, _new_manifest,
                                        _now, _record_files, read_manifest)
from peerscope.corpus._remote import RemoteFolder, _is_remote, _local_folder, _open_remote, _remote_folder
from peerscope.corpus._storage import (_OLD_SUFFIX, ROW_GROUP_SIZE, _AtomicFolder, _footer_non_nulls,
                                       _one_ahead, _write_json, _write_parquet)
from peerscope.corpus.window import Window

__all__ = ["ENGINES", "Corpus", "open_corpus", "repartition"]

ENGINES = ("pandas", "dask")
#: What pyarrow raises on a damaged Parquet file (ArrowInvalid is a ValueError, I/O errors
#: are OSErrors); a read of a saved table turns them into a PeerscopeError naming the file.
_DAMAGE = (OSError, ValueError, pa.ArrowException)

#: Uncompressed bytes of the columns read per Dask partition at most: a part file larger than this
#: (a month of a 100M-post forum is 4.2M posts) is read as several partitions of whole row groups,
#: so that no task holds a whole month; smaller files stay one partition each.
_DASK_BLOCKSIZE = "64MiB"


def _parquet_format(dictionary: tuple[str, ...] = ()) -> ds.ParquetFileFormat:
    """The Parquet format saved tables are read with: page checksums verified (a flipped
    byte in a page is an error, never a changed value), ``dictionary`` columns dictionary-encoded."""
    return ds.ParquetFileFormat(
        read_options=ds.ParquetReadOptions(dictionary_columns=dictionary),
        default_fragment_scan_options=ds.ParquetFragmentScanOptions(page_checksum_verification=True))


class _ArrowToPandas(dict):
    """The ``arrow_to_pandas`` options of a Dask Parquet read, whose type mapper stays the one given.

    Dask's Arrow reader writes the type mapper it combines from ours back
    into the options it was given, one more wrapper on every partition it
    converts; a read that Dask reuses (the same table, columns and filters)
    then grows the nest until it can no longer be tokenized or pickled
    (``TokenizationError`` after a few hundred monthly partitions on an
    in-process scheduler).  Ignoring that write keeps our mapper, which is
    all the combined one would apply here (no string conversion, no dtype
    backend).
    """

    def __setitem__(self, key, value):
        if key != "types_mapper":
            super().__setitem__(key, value)


def _damaged(file, table: str, exc: BaseException) -> errors.PeerscopeError:
    """The error of a saved table's file that pyarrow cannot read."""
    return errors.PeerscopeError(
        f"{file}: table {table!r} cannot be read, the file is damaged ({type(exc).__name__}: "
        f"{str(exc)[:200]}); `peerscope validate` checks every file of the corpus")


class Corpus:
    """A validated peer-support corpus.

    Do not construct directly: use :meth:`from_frames`, :func:`open_corpus` or
    a loader from :mod:`peerscope.loaders`.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({
    ...     "post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"],
    ...     "created_at": pd.to_datetime(["2024-01-01 20:00", "2024-01-01 21:30"], utc=True),
    ...     "text": ["Cannot sleep again", "Same here, you're not alone"]})
    >>> corpus = Corpus.from_frames(posts, name="tiny")
    >>> corpus.posts()[["post_id", "author_id"]].to_dict("list")
    {'post_id': ['p1', 'p2'], 'author_id': ['ann', 'bob']}
    """

    def __init__(self, sources: dict[str, Any], manifest: dict, *, path: Path | RemoteFolder | None = None,
                 engine: str = "pandas", window: Window = Window(),
                 quarantine: dict[str, Any] | None = None, scheduler: Any = None, sample: dict | None = None):
        self._sources = sources
        self._sample = sample
        self._scheduler = scheduler
        self._manifest = manifest
        self._path = path
        self._engine = engine
        self._window = window
        self._quarantine = quarantine or {}

    # -- construction -----------------------------------------------------

    @classmethod
    def from_frames(cls, posts: pd.DataFrame, members: pd.DataFrame | None = None,
                    events: pd.DataFrame | None = None,
                    newsletter_items: pd.DataFrame | None = None, name: str | None = None,
                    repair: bool = False, *, roster: bool | None = None,
                    assume_tz: str | None = None, provenance: dict | None = None,
                    skipped: dict[str, dict[str, int]] | None = None,
                    kept_notes: dict[str, dict[str, int]] | None = None) -> "Corpus":
        """Build a validated in-memory corpus from pandas DataFrames.

        Parameters
        ----------
        posts, members, events, newsletter_items : DataFrame or None
            The tables, with the columns of :mod:`peerscope.corpus.schema`; ids may be
            strings or integers (they are stored as strings).
        name : str, optional
            A name for the corpus (default ``"corpus"``).
        repair : bool
            Move rows that break a rule to the quarantine instead of raising.
        roster : bool, optional
            Whether ``members`` lists every registered member, posters or not.
            Default: True when ``members`` is given.  Only with a roster can
            lurkers be counted, and only then must every author be a member.
            Pass False for a members table that only records roles (bots,
            deleted accounts) of some authors.
        assume_tz : str, optional
            Timezone of naive times; without it naive times are an error.
        provenance : dict, optional
            Where the data came from (source format, loader, source path,
            parameters); stored in ``corpus.json``.
        skipped : dict, optional
            For loaders: table -> {reason: rows} left out on purpose before
            validation, so that the manifest accounts for every row read.
        kept_notes : dict, optional
            For loaders: table -> {note: rows} kept but changed on the way in
            (e.g. a reply whose parent is missing, kept with a null parent),
            counted before validation; stored as each table's ``kept_notes``
            in the manifest's accounting.

        Returns
        -------
        Corpus

        Raises
        ------
        peerscope.errors.ValidationError
            When a table breaks a rule and ``repair`` is False.
        """
        if roster is None:
            roster = members is not None
        if roster and members is None:
            raise errors.ValidationError("members", None, "roster=True needs a members table",
                                         rule="missing_roster")
        frames = {"posts": posts, "members": members, "events": events,
                  "newsletter_items": newsletter_items}
        validated = validate_frames(frames, roster=roster, repair=repair, assume_tz=assume_tz)
        manifest = _new_manifest(name or "corpus", roster, provenance, validated.accounts,
                                 repair=repair, assume_tz=assume_tz)
        _account_for_import(manifest, validated.accounts, skipped, kept_notes)
        for table, arrow in validated.tables.items():
            manifest["tables"][table]["columns"] = arrow.schema.names
        manifest["quarantine"] = sorted(validated.quarantine)
        return cls(dict(validated.tables), manifest, quarantine=dict(validated.quarantine))

    # -- what it is ---------------------------------------------------------

    @property
    def name(self) -> str:
        return self._manifest["name"]

    @property
    def manifest(self) -> dict:
        """A copy of the manifest (what ``corpus.json`` holds)."""
        return json.loads(json.dumps(self._manifest))

    @property
    def path(self) -> Path | RemoteFolder | None:
        """The folder the corpus was opened from or last saved to: None in memory, a
        :class:`RemoteFolder` (``str()`` gives its URL) when opened from a URL; None for a
        :meth:`sample_posts` view too, whose posts are in memory (nothing is cached beside it)."""
        return None if self._sample is not None else self._path

    @property
    def _filesystem(self):
        """The pyarrow file system of a corpus opened from a URL; None reads local files."""
        return self._path.arrow_filesystem if isinstance(self._path, RemoteFolder) else None

    @property
    def engine(self) -> str:
        return self._engine

    @property
    def scheduler(self):
        """The Dask scheduler this corpus computes on (a ``distributed.Client``, a name, or None
        for Dask's default); see ``docs/scaling.md``."""
        return self._scheduler

    @property
    def layout(self) -> dict[str, str | None]:
        """How each table is stored: None (one file) or ``"month"`` (one file per month)."""
        return {t: self._manifest["tables"][t].get("partition") for t in self._sources}

    @property
    def has_roster(self) -> bool:
        """Whether ``members`` lists every registered member (needed to count lurkers)."""
        return bool(self._manifest["roster"])

    @property
    def time_window(self) -> Window:
        return self._window

    def has_table(self, name: str) -> bool:
        return name in self._sources

    def __repr__(self) -> str:
        rows = {t: self._manifest["tables"][t]["rows"] for t in self._sources}
        window = ""
        if self._window.start is not None or self._window.end is not None:
            window = f", window={self._window.start}..{self._window.end}"
        return f"<Corpus {self.name!r} engine={self._engine} rows={rows}{window}>"

    # -- reading --------------------------------------------------------------

    def posts(self, columns: list[str] | str | None = None, start=None, end=None,
              channels: Iterable[str] | None = None):
        """The posts table.

        Parameters
        ----------
        columns : list of str, "all" or None
            Columns to read.  None reads every column but the large free-text
            ones (``text``, ``title``), which are read only when named.
        start, end : time-like, optional
            Keep posts with ``start <= created_at < end`` (naive times are
            UTC), within the corpus's own window if it is a :meth:`window`.
        channels : iterable of str, optional
            Keep posts of these channels only.

        Returns
        -------
        pandas.DataFrame or dask.dataframe.DataFrame
        """
        return self.table("posts", columns, start, end, channels)

    def members(self, columns: list[str] | str | None = None, start=None, end=None):
        """The members table.

        With a time window, members who joined on or after its end, or left
        before its start, are left out (members without those dates stay).
        """
        return self.table("members", columns, start, end)

    def events(self, columns: list[str] | str | None = None, start=None, end=None,
               channels: Iterable[str] | None = None):
        """The events table (views, deliveries, attendance, sessions, ...)."""
        return self.table("events", columns, start, end, channels)

    def newsletter_items(self, columns: list[str] | str | None = None, start=None, end=None,
                         channels: Iterable[str] | None = None):
        """The newsletter items table; ``channels`` selects newsletters by name."""
        return self.table("newsletter_items", columns, start, end, channels)

    def table(self, name: str, columns: list[str] | str | None = None, start=None, end=None,
              channels: Iterable[str] | None = None):
        """Read one table with projection and filters pushed down (see :meth:`posts`)."""
        spec = schema.table_spec(name)
        available = self._columns(name)
        columns = self._resolve_columns(spec, available, columns)
        window = self._window.narrow(start, end)
        if self._engine == "dask":
            return self._read_dask(name, spec, columns, window, channels)
        expression = self._filter(spec, available, window, channels)
        if name not in self._sources:
            return schema.empty_frame(spec, [c for c in columns if c in spec.known])
        return self._frame(name, self._read(name, columns, expression))

    def iter_batches(self, name: str, columns: list[str] | str | None = None, start=None, end=None,
                     channels: Iterable[str] | None = None,
                     batch_size: int = 65_536) -> Iterator[pd.DataFrame]:
        """Read table ``name`` as pandas DataFrames of at most ``batch_size`` rows.

        The same projection and filters as :meth:`table`, but streamed: a
        saved corpus is read row group by row group, so a column as large as
        ``text`` is never whole in memory.  Works on every engine (batches
        are always pandas).

        Examples
        --------
        >>> for batch in corpus.iter_batches("posts", ["post_id", "text"]):  # doctest: +SKIP
        ...     process(batch)
        """
        for batch in self.arrow_batches(name, columns, start, end, channels, batch_size):
            yield self._frame(name, pa.Table.from_batches([batch]))

    def arrow_batches(self, name: str, columns: list[str] | str | None = None, start=None, end=None,
                      channels: Iterable[str] | None = None, batch_size: int = 65_536,
                      dictionary: Iterable[str] = ()) -> Iterator[pa.RecordBatch]:
        """Read table ``name`` as Arrow record batches of at most ``batch_size`` rows.

        :meth:`iter_batches` without the conversion to pandas, for
        aggregations done batch by batch in Arrow (event counts over tens of
        millions of rows in bounded memory).  Empty batches are skipped.
        String columns named in ``dictionary`` come dictionary-encoded when
        read from Parquet (one dictionary per row group, as stored: no
        hashing), as plain strings from a table in memory.  Always reads
        locally, whatever the engine.
        """
        spec = schema.table_spec(name)
        available = self._columns(name)
        columns = self._resolve_columns(spec, available, columns)
        if name not in self._sources:
            return
        window = self._window.narrow(start, end)
        expression = self._filter(spec, available, window, channels)
        dataset = self._dataset(name, tuple(c for c in dictionary if c in columns))
        if not isinstance(dataset, ds.FileSystemDataset):  # a table in memory
            yield from (batch for batch in dataset.to_batches(columns=columns, filter=expression,
                                                              batch_size=batch_size) if batch.num_rows)
            return
        # one row group at a time: pyarrow's scanner reads ahead as far as it can
        # while the consumer works, which holds most of a large table in memory
        for fragment in dataset.get_fragments(filter=expression):
            try:
                row_groups = fragment.split_by_row_group(filter=expression)
            except _DAMAGE as exc:
                raise _damaged(fragment.path, name, exc) from None
            for row_group in row_groups:
                try:
                    table = row_group.to_table(columns=columns, filter=expression, use_threads=False)
                except _DAMAGE as exc:
                    raise _damaged(fragment.path, name, exc) from None
                yield from (batch for batch in table.to_batches(max_chunksize=batch_size) if batch.num_rows)

    def count_non_null(self, name: str, column: str) -> int:
        """Rows of table ``name`` whose ``column`` is not null.

        Read from the Parquet footers' null counts, without reading the
        column, when the corpus is saved, is not a :meth:`window` view and
        every row group has the statistic (peerscope's writer records it);
        otherwise the column is read batch by batch.  Useful for large
        columns: how many posts have a ``text`` is known from a few kilobytes.

        Examples
        --------
        >>> from peerscope.datasets.examples import tiny_forum
        >>> tiny_forum().count_non_null("posts", "parent_id")
        2
        """
        spec = schema.table_spec(name)
        self._resolve_columns(spec, self._columns(name), [column])
        if name not in self._sources:
            return 0
        dataset = self._dataset(name)
        if isinstance(dataset, ds.FileSystemDataset) and self._window == Window():
            try:
                counted = _footer_non_nulls(dataset, column)
            except _DAMAGE as exc:
                raise self._locate_damage(name, dataset, [column], None, exc) from None
            if counted is not None:
                return counted
        return sum(int(pc.sum(batch.column(0).is_valid()).as_py() or 0)
                   for batch in self.arrow_batches(name, [column]))

    def arrow(self, name: str, columns: list[str] | str | None = None, start=None, end=None,
              channels: Iterable[str] | None = None, dictionary: Iterable[str] = ()) -> pa.Table:
        """Read one table as an Arrow table (projection and filters as :meth:`table`).

        For aggregations that Arrow does faster than pandas (``group_by`` on
        millions of string ids) without converting every row to pandas.
        String columns named in ``dictionary`` come dictionary-encoded when
        read from Parquet (one dictionary per row group, as stored), as plain
        strings from a table in memory.  Always reads locally, whatever the
        engine.
        """
        spec = schema.table_spec(name)
        available = self._columns(name)
        columns = self._resolve_columns(spec, available, columns)
        if name not in self._sources:
            return spec.arrow_schema().empty_table().select([c for c in columns if c in spec.known])
        window = self._window.narrow(start, end)
        return self._read(name, columns, self._filter(spec, available, window, channels),
                          tuple(c for c in dictionary if c in columns))

    def quarantine(self, name: str) -> pd.DataFrame:
        """Rows of table ``name`` that validation moved aside, with ``reason`` and ``row``."""
        schema.table_spec(name)
        source = self._quarantine.get(name)
        if source is None:
            return pd.DataFrame({"reason": pd.Series(dtype="str"), "row": pd.Series(dtype="Int64")})
        if isinstance(source, pd.DataFrame):
            return source.copy()
        try:
            table = pq.read_table(source, filesystem=self._filesystem, page_checksum_verification=True)
        except _DAMAGE as exc:
            raise _damaged(source, f"quarantine/{name}", exc) from None
        return schema.to_pandas(table)

    def _columns(self, name: str) -> list[str]:
        if name not in self._sources:
            return [c.name for c in schema.table_spec(name).columns if c.required]
        return list(self._manifest["tables"][name]["columns"])

    @staticmethod
    def _resolve_columns(spec, available, columns) -> list[str]:
        if columns is None:
            return [c for c in available if c not in spec.lazy_columns]
        if isinstance(columns, str):
            if columns != "all":
                raise errors.PeerscopeError(
                    f"columns must be a list of names, None or 'all', not {columns!r}")
            return list(available)
        columns = list(columns)
        unknown = [c for c in columns if c not in available]
        if unknown:
            raise errors.MissingColumnError(
                spec.name, unknown[0], f"no such column(s) {unknown}; the table has {available}")
        return columns

    def _filter(self, spec, available, window: Window, channels):
        """The row filter of a read as a pyarrow expression (None: no filter).

        Members are kept when they had joined before the window's end and had
        not left before its start; a missing date keeps the member.
        """
        expression = None
        if spec.name == "members":
            for column, bound in (("joined_at", window.end), ("left_at", window.start)):
                if bound is not None and column in available:
                    field = ds.field(column)
                    value = pa.scalar(bound.to_pydatetime(), type=schema.TIMESTAMP)
                    keep = (field < value) if column == "joined_at" else (field >= value)
                    keep = keep | field.is_null()
                    expression = keep if expression is None else expression & keep
        conjunction = self._conjunction(spec, available, window, channels)
        if conjunction:
            rows = pq.filters_to_expression(conjunction)
            expression = rows if expression is None else expression & rows
        return expression

    @staticmethod
    def _conjunction(spec, available, window: Window, channels) -> list[tuple]:
        """Time and channel filters as a DNF conjunction (what Dask's reader takes)."""
        conjunction = []
        if spec.time_column is not None and spec.name != "members":
            if window.start is not None:
                conjunction.append((spec.time_column, ">=", window.start.to_pydatetime()))
            if window.end is not None:
                conjunction.append((spec.time_column, "<", window.end.to_pydatetime()))
        if channels is not None:
            if spec.channel_column is None or spec.channel_column not in available:
                raise errors.MissingColumnError(
                    spec.name, spec.channel_column or "channel",
                    "cannot filter by channel: the table has no channel column")
            conjunction.append((spec.channel_column, "in", list(channels)))
        return conjunction

    def _dataset(self, name: str, dictionary: tuple[str, ...] = ()) -> ds.Dataset:
        """Table ``name`` as a pyarrow dataset; the string columns named in
        ``dictionary`` are read dictionary-encoded, as Parquet stores them (an
        in-memory table is returned as it is)."""
        source = self._sources[name]
        if isinstance(source, pa.Table):
            return ds.dataset(source)
        filesystem = self._filesystem
        file_format = _parquet_format(dictionary)
        if isinstance(source, list):
            folder = self._path.root if filesystem is not None else self._path
            schema_ = partitioning.table_schema(folder, self._manifest["tables"][name], filesystem)
            for column in dictionary:
                if column in schema_.names:
                    index = schema_.get_field_index(column)
                    schema_ = schema_.set(index, schema_.field(index).with_type(pa.dictionary(pa.int32(), pa.string())))
            return ds.dataset(source, format=file_format, filesystem=filesystem, schema=schema_)
        try:
            return ds.dataset(source, format=file_format, filesystem=filesystem)
        except _DAMAGE as exc:
            raise _damaged(source, name, exc) from None

    def _read(self, name: str, columns: list[str], expression, dictionary: tuple[str, ...] = ()) -> pa.Table:
        """Table ``name`` (present) read whole as Arrow, a damaged file named in the error."""
        dataset = self._dataset(name, dictionary)
        try:
            return dataset.to_table(columns=columns, filter=expression)
        except _DAMAGE as exc:
            if not isinstance(dataset, ds.FileSystemDataset):
                raise
            raise self._locate_damage(name, dataset, columns, expression, exc) from None

    def _frame(self, name: str, table: pa.Table) -> pd.DataFrame:
        """Rows of table ``name`` read from Arrow as pandas, without the ``pandas`` metadata of
        the file they came from: peerscope sets every dtype itself, and damaged metadata
        must not decide the frame's shape."""
        metadata = {key: value for key, value in (table.schema.metadata or {}).items() if key != b"pandas"}
        try:
            return schema.to_pandas(table.replace_schema_metadata(metadata or None))
        except _DAMAGE as exc:
            source = self._sources.get(name)
            raise _damaged(", ".join(source) if isinstance(source, list) else source, name, exc) from None

    @staticmethod
    def _locate_damage(name: str, dataset: ds.FileSystemDataset, columns, expression,
                       exc: BaseException) -> errors.PeerscopeError:
        """The error naming the file of ``dataset`` that fails to read (found by reading the
        files one by one: only after a read failed), else naming them all."""
        if len(dataset.files) > 1:
            for fragment in dataset.get_fragments():
                try:
                    fragment.to_table(columns=columns, filter=expression)
                except _DAMAGE as failed:
                    return _damaged(fragment.path, name, failed)
        return _damaged(", ".join(dataset.files), name, exc)

    def _read_dask(self, name, spec, columns, window, channels):
        dd = _import_dask()
        if name not in self._sources or self._sources[name] == []:
            return dd.from_pandas(schema.empty_frame(spec, [c for c in columns if c in spec.known]),
                                  npartitions=1)
        available = self._columns(name)
        conjunction = self._conjunction(spec, available, window, channels)
        # the members window needs the date columns even when they are not asked for
        dates = [c for c, bound in (("joined_at", window.end), ("left_at", window.start))
                 if spec.name == "members" and bound is not None and c in available]
        read = columns + [c for c in dates if c not in columns]
        import dask

        # a corpus opened from a URL: the workers read through its fsspec file system
        remote = {"filesystem": self._path.fs} if isinstance(self._path, RemoteFolder) else {}
        # pandas' own string dtype, not Dask's pyarrow strings, so both engines
        # return the same dtypes
        with dask.config.set({"dataframe.convert-string": False}):
            source = self._sources[name]
            frame = dd.read_parquet(source if isinstance(source, list) else str(source), columns=read,
                                    filters=[conjunction] if conjunction else None, blocksize=_DASK_BLOCKSIZE,
                                    arrow_to_pandas=_ArrowToPandas(types_mapper=schema.PANDAS_TYPES.get),
                                    **remote)
        for column in dates:
            bound = window.end if column == "joined_at" else window.start
            keep = (frame[column] < bound) if column == "joined_at" else (frame[column] >= bound)
            frame = frame[keep.fillna(False) | frame[column].isna()]
        return frame[columns] if read != columns else frame

    # -- views ----------------------------------------------------------------

    def window(self, start=None, end=None) -> "Corpus":
        """A view of this corpus restricted to [start, end) (naive times are UTC).

        Every table read through the view is filtered: posts by
        ``created_at``, events by ``at``, newsletter items by
        ``published_at``, and members to those who had joined before ``end``
        and had not left before ``start``.
        """
        return Corpus(self._sources, self._manifest, path=self._path, engine=self._engine,
                      window=self._window.narrow(start, end), quarantine=self._quarantine,
                      scheduler=self._scheduler, sample=self._sample)

    @property
    def sample(self) -> dict | None:
        """For a :meth:`sample_posts` view: ``fraction``, ``seed``, ``posts`` (kept) and ``of_posts``
        (in the window when sampled); None for a whole corpus."""
        return None if self._sample is None else dict(self._sample)

    def sample_posts(self, fraction: float, seed: int = 0) -> "Corpus":
        """A view whose posts are a random sample of this corpus's, each kept with probability ``fraction``.

        A post is kept when a keyed 64-bit hash of its ``post_id`` (SipHash-2-4,
        :func:`pandas.util.hash_array`, with a key made from ``seed``) falls in
        the lowest ``fraction`` of the hash range: a Bernoulli sample whose
        membership depends only on the post's id and the seed, never on file
        order, layout or engine, so the same corpus and seed give the same
        sample everywhere, and a smaller fraction's sample lies inside a larger
        one's.  Its size is binomial around ``fraction`` times the posts in the
        window.  For measures whose cost grows with the text of every post
        (topic and support-type shares in :func:`peerscope.report.build`'s
        ``text_sample``), where a sample of a few hundred thousand posts
        estimates a share to within a fraction of a percentage point.

        The sampled posts (every column) are read once, row group by row group,
        and held in memory; the other tables are read from where they are.  The
        view uses the pandas engine, has no :attr:`path` and cannot be saved.

        Parameters
        ----------
        fraction : float
            Probability of keeping each post, in (0, 1].
        seed : int
            Chooses the hash key: another seed, another (independent) sample.

        Returns
        -------
        Corpus

        Examples
        --------
        >>> import pandas as pd
        >>> posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(1000)],
        ...     "thread_id": [f"p{i}" for i in range(1000)], "parent_id": [None] * 1000,
        ...     "author_id": ["ann"] * 1000, "text": ["hello"] * 1000,
        ...     "created_at": pd.Timestamp("2024-01-01", tz="UTC")})
        >>> corpus = Corpus.from_frames(posts)
        >>> half = corpus.sample_posts(0.5, seed=1)
        >>> half.sample["posts"], half.sample["of_posts"]
        (476, 1000)
        >>> set(corpus.sample_posts(0.2, seed=1).posts()["post_id"]) <= set(half.posts()["post_id"])
        True
        """
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
            raise errors.PeerscopeError(f"fraction={fraction!r}: a probability in (0, 1] is expected")
        key = hashlib.blake2b(f"peerscope-sample-{int(seed)}".encode(), digest_size=8).hexdigest()
        below = np.uint64(min(int(fraction * 2.0 ** 64), 2 ** 64 - 1))
        kept, read = [], 0
        for batch in self.arrow_batches("posts", "all", batch_size=ROW_GROUP_SIZE):
            read += batch.num_rows
            if fraction < 1:
                ids = batch.column(batch.schema.get_field_index("post_id")).to_numpy(zero_copy_only=False)
                hashed = pd.util.hash_array(ids.astype(object, copy=False), hash_key=key, categorize=False)
                batch = batch.filter(pa.array(hashed < below))
            kept.append(batch)
        columns = self._columns("posts")
        table = (pa.Table.from_batches(kept) if kept else
                 schema.table_spec("posts").arrow_schema().empty_table().select(columns))
        manifest = self.manifest
        manifest["tables"]["posts"] = {"rows": table.num_rows, "columns": columns}
        sample = {"fraction": float(fraction), "seed": int(seed), "posts": table.num_rows, "of_posts": read}
        return Corpus({**self._sources, "posts": table}, manifest, path=self._path, engine="pandas",
                      window=self._window, quarantine=self._quarantine, sample=sample)

    # -- writing --------------------------------------------------------------

    def save(self, path: str | os.PathLike, partition: str | None = "keep") -> "Corpus":
        """Write the corpus to folder ``path`` atomically and return it opened from there.

        The whole corpus is written to a temporary sibling folder first; only
        when every file is complete is it swapped in, so a crash mid-save
        leaves the previous corpus at ``path`` intact.  A windowed view saves
        only the rows in its window.  Tables are streamed batch by batch, so
        saving a large saved corpus again (e.g. in another layout) needs
        little memory.

        Parameters
        ----------
        path : path-like
            The corpus folder to write: a local folder (or ``file://`` URL);
            a corpus opened from object storage can be saved here, but not
            to a URL.  It may be missing, empty or a saved corpus; any other
            non-empty folder (or a file) is refused, never replaced.  Over a
            saved corpus, only the corpus's own files are replaced
            (``corpus.json``, the tables, ``quarantine/``); everything else
            in the folder is kept as it is: a user's notes, and the
            ``derived/`` and ``cache/`` folders peerscope writes beside a
            corpus.  The bag-of-words cache is keyed by the manifest, so it
            is never reused for the new corpus; ``derived/support.parquet``
            still describes the corpus it was made from, and is refreshed by
            running :func:`peerscope.support.classify` again.
        partition : {"keep", None, "month"}
            Layout of the time-stamped tables (posts, events, newsletter
            items): ``"month"`` writes one Parquet file per calendar month
            (UTC) in a folder per table, None one file per table, and
            ``"keep"`` the layout each table has now (one file for an
            in-memory corpus).  See :mod:`peerscope.corpus.partition`.

        Raises
        ------
        peerscope.errors.PeerscopeError
            When ``path`` is a file or a non-empty folder that holds no
            corpus (the error names it).

        Examples
        --------
        >>> corpus.save("forum", partition="month")   # doctest: +SKIP
        <Corpus 'forum' engine=pandas rows={...}>

        Files beside the corpus survive a save onto it:

        >>> import tempfile, pathlib
        >>> import pandas as pd
        >>> posts = pd.DataFrame({"post_id": ["p1"], "thread_id": ["p1"], "parent_id": [None],
        ...     "author_id": ["ann"], "text": ["hello"],
        ...     "created_at": pd.to_datetime(["2024-01-01"], utc=True)})
        >>> folder = pathlib.Path(tempfile.mkdtemp()) / "forum"
        >>> _ = Corpus.from_frames(posts, name="forum").save(folder)
        >>> _ = (folder / "notes.txt").write_text("coding decisions")
        >>> _ = Corpus.from_frames(posts, name="forum").save(folder)
        >>> (folder / "notes.txt").read_text()
        'coding decisions'
        """
        if self._sample is not None:
            raise errors.PeerscopeError(f"corpus {self.name!r} is a sample of its posts (sample_posts): "
                                        "save the whole corpus, or write the sampled posts with posts()")
        path = _local_folder(path, "saving a corpus")
        if partition != "keep":
            partitioning.check_partition(partition)
        manifest = json.loads(json.dumps(self._manifest))
        with _AtomicFolder(path) as folder:
            for name in self._sources:
                layout = self.layout[name] if partition == "keep" else partitioning.layout_of(name, partition)
                table_schema = self._dataset(name).schema
                # one row group at a time (arrow_batches), the next read on another thread
                # while this one compresses; pyarrow's scanner would read ahead as far as
                # it can and hold the text of many row groups (docs/benchmarks.md)
                batches = (batch.cast(table_schema) for batch in
                           _one_ahead(self.arrow_batches(name, "all", batch_size=ROW_GROUP_SIZE)))
                if layout is None:
                    target = folder / f"{name}.parquet"
                    _write_parquet(pa.RecordBatchReader.from_batches(table_schema, batches), target)
                    entry = {"file": target.name, "rows": pq.ParquetFile(target).metadata.num_rows}
                else:
                    writer = partitioning.TableWriter(folder, name, layout, table_schema)
                    for batch in batches:
                        writer.write(pa.Table.from_batches([batch], schema=table_schema))
                    entry = writer.close()
                manifest["tables"][name] = {**entry, "columns": manifest["tables"][name]["columns"]}
                _account_for_window(manifest, name, entry["rows"], self._window)
            for name, source in self._quarantine.items():
                (folder / QUARANTINE_DIR).mkdir(exist_ok=True)
                target = folder / QUARANTINE_DIR / f"{name}.parquet"
                if isinstance(source, pd.DataFrame):
                    _write_parquet(pa.Table.from_pandas(source, preserve_index=False), target)
                elif isinstance(self._path, RemoteFolder):
                    self._path.fs.get_file(source, str(target))
                else:
                    shutil.copyfile(source, target)
            manifest["quarantine"] = sorted(self._quarantine)
            if self._window.start is not None or self._window.end is not None:
                manifest["window"] = {"start": _iso(self._window.start), "end": _iso(self._window.end)}
            manifest["saved_at"] = _now()
            _record_files(folder, manifest)
            _write_json(manifest, folder / MANIFEST)
        return open_corpus(path)


def open_corpus(path: str | os.PathLike | RemoteFolder, engine: str = "pandas", scheduler=None, *,
                storage_options: dict | None = None) -> Corpus:
    """Open a saved corpus lazily, from a local folder or a URL.

    Parameters
    ----------
    path : path-like or str
        The corpus folder (holding ``corpus.json``), in either layout (one
        file per table, or monthly files; :mod:`peerscope.corpus.partition`): a
        local path, a ``file://`` URL, or an fsspec URL such as
        ``s3://bucket/forum``, ``gs://...``, ``abfs://...``, ``memory://...``
        or a chained ``simplecache::s3://...``.  A URL needs fsspec (the
        ``remote`` extra) and its file system's package (``s3fs``,
        ``gcsfs``, ``adlfs``, ...); every table is then read through that
        file system, by both engines, so Dask workers read the files where
        they lie.  Only ``corpus.json`` and the files it lists are touched,
        never a listing, so read access to those objects is enough; files
        the manifest does not list go unnoticed (in a local folder they are
        an error).  The :attr:`Corpus.path` of a corpus opened from a URL
        (a :class:`RemoteFolder`) reopens it.
    engine : {"pandas", "dask"}
        What the table readers return.  ``"dask"`` needs the ``dask`` extra.
    scheduler : distributed.Client, str or None
        Dask engine only: where the computations run.  None keeps Dask's
        default (the active ``distributed.Client`` if there is one, else
        threads on this machine); a ``Client`` or cluster object, a scheduler
        address such as ``"tcp://10.0.0.5:8786"``, ``"local"`` for a
        ``LocalCluster`` on this machine, or a single-machine scheduler name
        (``"threads"``, ``"processes"``, ``"synchronous"``).  It becomes the
        process's Dask scheduler, as creating a ``Client`` does
        (see ``docs/scaling.md``).
    storage_options : dict, optional
        URLs only: options of the file system, passed to
        ``fsspec.core.url_to_fs`` (e.g. ``{"anon": True}``, or credentials
        and an ``endpoint_url`` for s3fs); Dask workers get the same file
        system.

    Returns
    -------
    Corpus

    Raises
    ------
    peerscope.errors.CorpusNotFoundError
        The folder or URL holds no ``corpus.json``.
    peerscope.errors.ManifestError
        ``corpus.json`` is unreadable or inconsistent, or a file it lists
        is missing, or holds another number of bytes or another Parquet
        footer than it recorded (truncated, emptied, damaged metadata).  Reading a damaged file later raises a
        :class:`~peerscope.errors.PeerscopeError` naming it (page checksums
        are verified on every read); :func:`peerscope.corpus.validate_saved`
        also verifies each file's SHA-256.
    peerscope.errors.PeerscopeError
        A URL whose file system cannot be opened (fsspec or its backend not
        installed, an unknown protocol, bad ``storage_options``).

    Examples
    --------
    >>> corpus = open_corpus("forum", engine="dask", scheduler="tcp://scheduler:8786")  # doctest: +SKIP
    >>> corpus = open_corpus("s3://bucket/forum", engine="dask", scheduler="tcp://scheduler:8786",
    ...                      storage_options={"profile": "research"})               # doctest: +SKIP
    """
    if engine not in ENGINES:
        raise errors.EngineError(f"unknown engine {engine!r}; choose one of {list(ENGINES)}")
    if scheduler is not None and engine != "dask":
        raise errors.EngineError("a scheduler is only used with engine='dask'")
    if storage_options is not None and not _is_remote(path):
        raise errors.PeerscopeError(f"{path}: storage_options apply only to a corpus opened from a URL")
    if engine == "dask":
        _import_dask()
        from peerscope._kernels.scheduler import connect

        scheduler = connect(scheduler)
    if isinstance(path, RemoteFolder) or _is_remote(path):
        folder = path if isinstance(path, RemoteFolder) else _remote_folder(path, storage_options)
        manifest, sources, quarantine = _open_remote(folder)
        return Corpus(sources, manifest, path=folder, engine=engine, quarantine=quarantine,
                      scheduler=scheduler)
    path = _local_folder(path, "opening a corpus")
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        hint = ""
        old = path.with_name(path.name + _OLD_SUFFIX)
        if old.is_dir():
            hint = f" (a save was interrupted; the previous corpus is intact at {old})"
        raise errors.CorpusNotFoundError(f"{path}: not a peerscope corpus, no {MANIFEST}{hint}")
    manifest = read_manifest(manifest_path)
    _check_inside(path, manifest, manifest_path)
    sources = {}
    for name, entry in manifest["tables"].items():
        partitioning.check_parts(path, name, entry)
    _check_footers(path, manifest, manifest_path)
    for name, entry in manifest["tables"].items():
        _check_columns(path, name, entry, manifest_path)
        files = partitioning.table_files(path, entry)
        sources[name] = files if entry.get("partition") else files[0]
    quarantine = {}
    for name in manifest.get("quarantine", []):
        quarantine[name] = str(path / QUARANTINE_DIR / f"{name}.parquet")
    return Corpus(sources, manifest, path=path, engine=engine, quarantine=quarantine,
                  scheduler=scheduler)


# ---------------------------------------------------------------------------
# Streaming writer for corpora too large to hold in memory
# ---------------------------------------------------------------------------


def _import_dask():
    try:
        import dask.dataframe as dd
    except ImportError:
        raise errors.EngineError(
            "engine='dask' needs the dask extra: pip install 'peerscope[dask]'") from None
    return dd


def repartition(source: str | os.PathLike, out: str | os.PathLike, by: str | None = "month", *,
                storage_options: dict | None = None):
    """Rewrite the saved corpus at ``source`` into ``out`` with layout ``by``.

    The tables are streamed batch by batch (bounded memory), the manifest's
    name, provenance and row accounting are kept, and the quarantine is
    copied.  ``out`` may be ``source`` itself: the new corpus is written
    beside it and swapped in atomically.

    Parameters
    ----------
    source : path-like or str
        A saved corpus folder, in either layout, or a URL of one (read
        through fsspec, see :func:`peerscope.corpus.open_corpus`).
    out : path-like
        Where to write the repartitioned corpus.
    by : {"month", None}
        ``"month"``: one file per month for posts, events and newsletter
        items; None: one file per table.
    storage_options : dict, optional
        A URL ``source`` only: options of its file system (as in ``open_corpus``).

    Returns
    -------
    peerscope.Corpus
        The corpus opened from ``out``.

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
    >>> _ = corpus.save(folder / "forum")
    >>> monthly = repartition(folder / "forum", folder / "forum-monthly")
    >>> monthly.manifest["tables"]["posts"]["parts"]
    ['2022-01.parquet', '2022-02.parquet']
    >>> len(monthly.posts())
    3
    """
    return open_corpus(source, storage_options=storage_options).save(out, partition=partitioning.check_partition(by))
