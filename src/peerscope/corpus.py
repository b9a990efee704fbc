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
monthly files (``posts/2022-01.parquet``, ...; see :mod:`peerscope.partition`),
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

from concurrent.futures import ThreadPoolExecutor

import json
import os
import posixpath
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from peerscope import __version__, errors, schema
from peerscope import partition as partitioning
from peerscope.hashing import string_hashes
from peerscope.validation import TableAccount, validate_frames

MANIFEST = "corpus.json"
QUARANTINE_DIR = "quarantine"
ENGINES = ("pandas", "dask")
#: Rows per Parquet row group: small enough for time filters to skip groups,
#: large enough to keep per-group overhead negligible.
ROW_GROUP_SIZE = 256 * 1024
#: Suffix of the folder a replaced corpus is moved to during an atomic save.
_OLD_SUFFIX = ".peerscope-old"
#: A URL of an fsspec file system: ``s3://...``, ``memory://...`` (a scheme of
#: two or more characters, so a Windows drive letter is not one).
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")


def _utc(value, what: str) -> pd.Timestamp | None:
    """A bound of a time window as a UTC timestamp (naive values are taken as UTC)."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise errors.PeerscopeError(f"{what}={value!r} is not a time: {exc}") from None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


@dataclass(frozen=True)
class Window:
    """A half-open time window [start, end) in UTC; None means unbounded.

    Parameters
    ----------
    start, end : pandas.Timestamp or None
        UTC bounds; None leaves that side open.

    Examples
    --------
    >>> import pandas as pd
    >>> window = Window(pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-03-01", tz="UTC"))
    >>> narrowed = window.narrow("2024-02-01", "2024-06-01")
    >>> str(narrowed.start), str(narrowed.end)
    ('2024-02-01 00:00:00+00:00', '2024-03-01 00:00:00+00:00')
    >>> Window().start is None
    True
    """

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def narrow(self, start=None, end=None) -> "Window":
        """The intersection of this window with [start, end)."""
        start, end = _utc(start, "start"), _utc(end, "end")
        if self.start is not None and (start is None or start < self.start):
            start = self.start
        if self.end is not None and (end is None or end > self.end):
            end = self.end
        return Window(start, end)


@dataclass(frozen=True)
class RemoteFolder:
    """A saved corpus on object storage (or any fsspec file system), named by a URL.

    What :attr:`Corpus.path` is for a corpus opened from a URL.
    ``open_corpus(corpus.path)`` reopens it through the same file system (and
    credentials).  It is path-like only to fail clearly: code that writes
    beside a corpus (caches, derived files) does ``Path(corpus.path)``, which
    raises :class:`~peerscope.errors.PeerscopeError` here, since peerscope
    writes only to local folders.

    Parameters
    ----------
    url : str
        The URL the corpus was opened from, as given.
    fs : fsspec.AbstractFileSystem
        Its file system (from ``fsspec.core.url_to_fs``).
    root : str
        The corpus folder as ``fs`` names it (``bucket/forum`` for ``s3://bucket/forum``).

    Examples
    --------
    >>> import fsspec
    >>> folder = RemoteFolder("memory://forum", fsspec.filesystem("memory"), "/forum")
    >>> str(folder), folder.join("posts.parquet")
    ('memory://forum', '/forum/posts.parquet')
    >>> try:
    ...     Path(folder) / "cache"
    ... except errors.PeerscopeError as error:
    ...     print(str(error).split(";")[0])
    memory://forum: the corpus is not in a local folder
    """

    url: str
    fs: Any
    root: str

    def __str__(self) -> str:
        return self.url

    def __fspath__(self) -> str:
        raise errors.PeerscopeError(
            f"{self.url}: the corpus is not in a local folder; peerscope reads corpora from URLs "
            "but writes (saves, caches, derived files) only to local folders")

    def join(self, *names: str) -> str:
        """The path of ``names`` inside the corpus folder, as the file system names it."""
        return posixpath.join(self.root, *names)

    @cached_property
    def arrow_filesystem(self):
        """The file system as a ``pyarrow.fs.FileSystem``, for ``pyarrow.dataset`` and ``pyarrow.parquet``."""
        from pyarrow.fs import FSSpecHandler, PyFileSystem

        return PyFileSystem(FSSpecHandler(self.fs))


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
                 quarantine: dict[str, Any] | None = None, scheduler: Any = None):
        self._sources = sources
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
            The tables, with the columns of :mod:`peerscope.schema`; ids may be
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
        :class:`RemoteFolder` (``str()`` gives its URL) when opened from a URL."""
        return self._path

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
        for Dask's default); see :mod:`peerscope.scheduler`."""
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
        spec = _spec(name)
        available = self._columns(name)
        columns = self._resolve_columns(spec, available, columns)
        window = self._window.narrow(start, end)
        if self._engine == "dask":
            return self._read_dask(name, spec, columns, window, channels)
        expression = self._filter(spec, available, window, channels)
        if name not in self._sources:
            return schema.empty_frame(spec, [c for c in columns if c in spec.known])
        table = self._dataset(name).to_table(columns=columns, filter=expression)
        return schema.to_pandas(table)

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
            yield schema.to_pandas(pa.Table.from_batches([batch]))

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
        spec = _spec(name)
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
            for row_group in fragment.split_by_row_group(filter=expression):
                table = row_group.to_table(columns=columns, filter=expression, use_threads=False)
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
        >>> from peerscope.examples import tiny_forum
        >>> tiny_forum().count_non_null("posts", "parent_id")
        2
        """
        spec = _spec(name)
        self._resolve_columns(spec, self._columns(name), [column])
        if name not in self._sources:
            return 0
        dataset = self._dataset(name)
        if isinstance(dataset, ds.FileSystemDataset) and self._window == Window():
            counted = _footer_non_nulls(dataset, column)
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
        spec = _spec(name)
        available = self._columns(name)
        columns = self._resolve_columns(spec, available, columns)
        if name not in self._sources:
            return spec.arrow_schema().empty_table().select([c for c in columns if c in spec.known])
        window = self._window.narrow(start, end)
        dataset = self._dataset(name, tuple(c for c in dictionary if c in columns))
        return dataset.to_table(columns=columns, filter=self._filter(spec, available, window, channels))

    def quarantine(self, name: str) -> pd.DataFrame:
        """Rows of table ``name`` that validation moved aside, with ``reason`` and ``row``."""
        _spec(name)
        source = self._quarantine.get(name)
        if source is None:
            return pd.DataFrame({"reason": pd.Series(dtype="str"), "row": pd.Series(dtype="Int64")})
        if isinstance(source, pd.DataFrame):
            return source.copy()
        return schema.to_pandas(pq.read_table(source, filesystem=self._filesystem))

    def _columns(self, name: str) -> list[str]:
        if name not in self._sources:
            return [c.name for c in _spec(name).columns if c.required]
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
        file_format = (ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=dictionary))
                       if dictionary else "parquet")
        if isinstance(source, list):
            folder = self._path.root if filesystem is not None else self._path
            schema_ = partitioning.table_schema(folder, self._manifest["tables"][name], filesystem)
            for column in dictionary:
                if column in schema_.names:
                    index = schema_.get_field_index(column)
                    schema_ = schema_.set(index, schema_.field(index).with_type(pa.dictionary(pa.int32(), pa.string())))
            return ds.dataset(source, format=file_format, filesystem=filesystem, schema=schema_)
        return ds.dataset(source, format=file_format, filesystem=filesystem)

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
                                    filters=[conjunction] if conjunction else None,
                                    arrow_to_pandas={"types_mapper": schema.PANDAS_TYPES.get}, **remote)
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
                      scheduler=self._scheduler)

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
            The corpus folder to write (replaced if it holds a corpus): a
            local folder (or ``file://`` URL); a corpus opened from object
            storage can be saved here, but not to a URL.
        partition : {"keep", None, "month"}
            Layout of the time-stamped tables (posts, events, newsletter
            items): ``"month"`` writes one Parquet file per calendar month
            (UTC) in a folder per table, None one file per table, and
            ``"keep"`` the layout each table has now (one file for an
            in-memory corpus).  See :mod:`peerscope.partition`.

        Examples
        --------
        >>> corpus.save("forum", partition="month")   # doctest: +SKIP
        <Corpus 'forum' engine=pandas rows={...}>
        """
        path = _local_folder(path, "saving a corpus")
        if partition != "keep":
            partitioning.check_partition(partition)
        manifest = json.loads(json.dumps(self._manifest))
        with _AtomicFolder(path) as folder:
            for name in self._sources:
                layout = self.layout[name] if partition == "keep" else partitioning.layout_of(name, partition)
                table_schema = self._dataset(name).schema
                # one row group at a time (arrow_batches), the next read on another thread
                # while this one compresses: pyarrow's scanner reads ahead as far as it
                # can, which held 725 MB for the posts of 1M, text included, where this
                # holds about 250 MB
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
            _write_json(manifest, folder / MANIFEST)
        return open_corpus(path)

    def to_convokit(self, out_dir: str | os.PathLike) -> None:
        """Write the corpus in ConvoKit's folder format (see :func:`peerscope.loaders.convokit.to_convokit`)."""
        from peerscope.loaders.convokit import to_convokit

        to_convokit(self, out_dir)

    # -- description ----------------------------------------------------------

    def describe(self):
        """What the corpus holds and what it can and cannot measure.

        Returns
        -------
        peerscope.describe.Description
        """
        from peerscope.describe import describe

        return describe(self)


def open_corpus(path: str | os.PathLike | RemoteFolder, engine: str = "pandas", scheduler=None, *,
                storage_options: dict | None = None) -> Corpus:
    """Open a saved corpus lazily, from a local folder or a URL.

    Parameters
    ----------
    path : path-like or str
        The corpus folder (holding ``corpus.json``), in either layout (one
        file per table, or monthly files; :mod:`peerscope.partition`): a
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
        (:func:`peerscope.scheduler.connect`).
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
        is missing.
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
        from peerscope.scheduler import connect

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
    sources = {}
    for name, entry in manifest["tables"].items():
        partitioning.check_parts(path, name, entry)
        files = partitioning.table_files(path, entry)
        sources[name] = files if entry.get("partition") else files[0]
    quarantine = {}
    for name in manifest.get("quarantine", []):
        quarantine[name] = str(path / QUARANTINE_DIR / f"{name}.parquet")
    return Corpus(sources, manifest, path=path, engine=engine, quarantine=quarantine,
                  scheduler=scheduler)


def read_manifest(manifest_path: Path) -> dict:
    """Read and check ``corpus.json``.

    Parameters
    ----------
    manifest_path : pathlib.Path
        The ``corpus.json`` of a saved corpus.

    Returns
    -------
    dict
        The manifest: name, schema version, roster flag, tables, accounting, ...

    Raises
    ------
    peerscope.errors.ManifestError
        When the file cannot be read, lacks a key, has another schema
        version, or its row accounting does not add up.

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
    >>> manifest = read_manifest(folder / "corpus.json")
    >>> manifest["name"], manifest["accounting"]["posts"]["rows_kept"]
    ('tiny', 2)
    """
    try:
        text = Path(manifest_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.ManifestError(f"{manifest_path}: cannot read the manifest: {exc}") from None
    return _parse_manifest(text, manifest_path)


def _parse_manifest(text: str, manifest_path) -> dict:
    """The manifest in ``text`` (read from ``manifest_path``), checked as :func:`read_manifest` says."""
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise errors.ManifestError(f"{manifest_path}: cannot read the manifest: {exc}") from None
    for key in ("name", "schema_version", "roster", "tables", "accounting"):
        if key not in manifest:
            raise errors.ManifestError(f"{manifest_path}: manifest has no {key!r}")
    if manifest["schema_version"] != schema.SCHEMA_VERSION:
        raise errors.ManifestError(
            f"{manifest_path}: schema version {manifest['schema_version']} is not "
            f"{schema.SCHEMA_VERSION}, the version this peerscope ({__version__}) reads")
    for name, account in manifest["accounting"].items():
        TableAccount.from_dict(account).check(name)
    return manifest


# ---------------------------------------------------------------------------
# Streaming writer for corpora too large to hold in memory
# ---------------------------------------------------------------------------

class CorpusWriter:
    """Write a corpus chunk by chunk, with bounded memory.

    Each chunk is coerced and checked against the per-row rules as it is
    written (types, nulls, categories, plausible times).  The rules across
    rows (unique ids, parents that exist in the same thread, no cycles,
    authors in the roster) are checked when the writer closes, one id column
    at a time with Arrow's hash tables, so memory stays near the size of the
    id columns.  The
    writer does not repair: a broken rule raises and nothing replaces
    ``path``.  With ``partition="month"`` the time-stamped tables are written
    as monthly files (:mod:`peerscope.partition`), chunks in any time order.

    Examples
    --------
    >>> with CorpusWriter(path, name="big", roster=True) as writer:  # doctest: +SKIP
    ...     writer.write("members", members)
    ...     for chunk in chunks:
    ...         writer.write("posts", chunk)
    >>> corpus = writer.corpus                                       # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike, *, name: str = "corpus", roster: bool = True,
                 provenance: dict | None = None, assume_tz: str | None = None,
                 partition: str | None = None):
        self.path = _local_folder(path, "writing a corpus")
        self.partition = partitioning.check_partition(partition)
        self.name = name
        self.roster = roster
        self.provenance = provenance
        self.assume_tz = assume_tz
        self.corpus: Corpus | None = None
        self._folder: _AtomicFolder | None = None
        self._writers: dict[str, partitioning.TableWriter] = {}
        self._rows: dict[str, int] = {}
        self._skipped: dict[str, dict[str, int]] = {}
        self._kept_notes: dict[str, dict[str, int]] = {}
        self._now = schema.plausible_until()

    def __enter__(self) -> "CorpusWriter":
        self._folder = _AtomicFolder(self.path)
        self._dir = self._folder.__enter__()
        return self

    def write(self, table: str, frame: pd.DataFrame) -> None:
        """Append a chunk of rows to ``table``."""
        spec = _spec(table)
        coerced = schema.coerce_frame(spec, frame, self.assume_tz)
        for problem in coerced.problems.values():
            raise problem
        offset = self._rows.get(table, 0)
        for _, _, error in schema.row_rules(spec, coerced.frame, self._now):
            for row in error.rows:
                row["row"] += offset
            raise error
        arrow = schema.to_arrow(spec, coerced.frame)
        writer = self._writers.get(table)
        if writer is None:
            writer = self._writers[table] = partitioning.TableWriter(
                self._dir, table, self.partition, arrow.schema)
        writer.write(arrow)
        self._rows[table] = offset + arrow.num_rows

    def skip(self, table: str, reason: str, rows: int = 1) -> None:
        """Record ``rows`` source rows of ``table`` left out on purpose, with the reason."""
        _spec(table)
        reasons = self._skipped.setdefault(table, {})
        reasons[reason] = reasons.get(reason, 0) + int(rows)

    def note(self, table: str, note: str, rows: int = 1) -> None:
        """Record ``rows`` rows of ``table`` that were kept but changed on the way in.

        ``note`` says what was done to them (e.g. ``"parent not in the data:
        kept with a null parent"``); the manifest counts rows per note in the
        table's ``kept_notes``.  A count of 0 is not recorded.
        """
        _spec(table)
        if rows:
            notes = self._kept_notes.setdefault(table, {})
            notes[note] = notes.get(note, 0) + int(rows)

    def __exit__(self, exc_type, exc, tb) -> bool:
        entries = {table: writer.close() for table, writer in self._writers.items()}
        if exc_type is None:
            try:
                if "posts" not in self._writers:
                    raise errors.MissingColumnError("posts", None, "a corpus needs a posts table")
                _check_references({t: partitioning.table_files(self._dir, e) for t, e in entries.items()},
                                  self.roster)
                accounts = {t: TableAccount(rows_read=n, rows_kept=n) for t, n in self._rows.items()}
                manifest = _new_manifest(self.name, self.roster, self.provenance, accounts)
                _account_for_import(manifest, accounts, self._skipped, self._kept_notes)
                for table, entry in entries.items():
                    manifest["tables"][table] = {**entry, "columns": self._writers[table].schema.names}
                manifest["saved_at"] = _now()
                _write_json(manifest, self._dir / MANIFEST)
            except BaseException as error:
                self._folder.__exit__(type(error), error, None)
                raise
        self._folder.__exit__(exc_type, exc, tb)
        if exc_type is None:
            self.corpus = open_corpus(self.path)
        return False


def validate_saved(path: str | os.PathLike, batch_size: int = ROW_GROUP_SIZE) -> dict[str, int]:
    """Check every rule of the schema on a saved corpus, streaming it in batches.

    Column types are checked on the Parquet schema, per-row rules batch by
    batch (the text columns are never read), and the rules across rows on
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
        A table holds another number of rows than the manifest says, or a
        row of a monthly file lies in another month.

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


def _footer_non_nulls(dataset: ds.FileSystemDataset, column: str) -> int | None:
    """Non-null values of ``column`` from the Parquet footers' statistics; None when a
    row group lacks the null count (then the column must be read)."""
    counted = 0
    for fragment in dataset.get_fragments():
        metadata = fragment.metadata
        index = metadata.schema.to_arrow_schema().get_field_index(column)
        if index < 0:
            return None
        for group in range(metadata.num_row_groups):
            statistics = metadata.row_group(group).column(index).statistics
            if statistics is None or not statistics.has_null_count:
                return None
            counted += metadata.row_group(group).num_rows - statistics.null_count
    return counted


def _check_file(name: str, file: str, layout: str | None, now, offset: int, batch_size: int) -> int:
    """Types and per-row rules of one Parquet file of table ``name``; returns its rows.

    ``offset`` is the position of the file's first row in the table (for
    the row numbers in errors).
    """
    spec = _spec(name)
    parquet = pq.ParquetFile(file)
    arrow_schema = parquet.schema_arrow
    missing = [c for c in spec.required if c not in arrow_schema.names]
    if missing:
        raise errors.MissingColumnError(name, missing[0], f"required column(s) {missing} missing in {file}")
    for column in spec.columns:
        stored = arrow_schema.field(column.name).type if column.name in arrow_schema.names else None
        if stored is not None and stored != column.type and not (
                pa.types.is_large_string(stored) and pa.types.is_string(column.type)):
            raise errors.ColumnTypeError(
                name, column.name, f"stored as {stored}, expected {column.type}")
    columns = [c for c in arrow_schema.names if c not in spec.lazy_columns]
    rows = 0
    for batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
        frame = schema.to_pandas(pa.Table.from_batches([batch]))
        for _, _, error in schema.row_rules(spec, frame, now):
            for row in error.rows:
                row["row"] += offset + rows
            raise error
        if layout is not None:
            times = batch.column(spec.time_column)
            months = partitioning.month_labels(times.drop_null())
            strays = sorted({partitioning.part_name(m) for m in np.unique(months)} - {Path(file).name})
            if strays:
                raise errors.ManifestError(
                    f"{file}: holds rows of other months ({', '.join(s[:7] for s in strays[:5])}) "
                    f"in column {spec.time_column!r}")
        rows += batch.num_rows
    return rows


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
    of the values (:func:`_part_of`) and each part is looked up alone, which
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
    return [_part_of(chunk, parts) for chunk in values.chunks]


def _part_of(values: pa.Array, parts: int) -> np.ndarray:
    """Part (``0 .. parts - 1``) of each string by its hash; ``parts`` for a null
    (:func:`peerscope.hashing.string_hashes`)."""
    part = (string_hashes(values) % np.uint64(parts)).astype(np.uint8 if parts < 255 else np.uint16)
    if values.null_count:
        part[np.asarray(values.is_null())] = parts
    return part


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
            id_column = _spec(table).id_column
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
    spec = _spec(table)
    positions = np.flatnonzero(mask)
    columns = [c for c in dict.fromkeys([spec.id_column, column]) if c]
    values = ds.dataset(files, format="parquet").to_table(columns=columns).take(
        positions[: errors.MAX_EXAMPLES])
    rows = [{"row": int(p), **{c: values[c][i].as_py() for c in columns}}
            for i, p in enumerate(positions[: errors.MAX_EXAMPLES])]
    raise error_class(table, column, detail, rows, int(mask.sum()), rule=rule)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def _spec(name: str) -> schema.TableSpec:
    try:
        return schema.TABLES[name]
    except KeyError:
        raise errors.PeerscopeError(
            f"no table {name!r}; a corpus has {list(schema.TABLES)}") from None


def _import_dask():
    try:
        import dask.dataframe as dd
    except ImportError:
        raise errors.EngineError(
            "engine='dask' needs the dask extra: pip install 'peerscope[dask]'") from None
    return dd


def _is_remote(path) -> bool:
    """Whether ``path`` is a URL to read through fsspec: one with a scheme other than
    ``file``, or a chain of them (``simplecache::s3://...``)."""
    if not isinstance(path, str):
        return False
    if "::" in path and "://" in path:
        return True
    return bool(_URL.match(path)) and not path.startswith("file://")


def _local_folder(path, what: str) -> Path:
    """``path`` (a ``file://`` URL too) as a local Path; other URLs raise, naming ``what`` needs a local folder."""
    if _is_remote(path):
        raise errors.PeerscopeError(
            f"{path}: {what} needs a local folder or a file:// URL; peerscope reads corpora from "
            "URLs but writes and validates them only in local folders")
    if isinstance(path, str) and path.startswith("file://"):
        path = path[len("file://"):]
    return Path(path)


def _remote_folder(url: str, storage_options: dict | None) -> RemoteFolder:
    """The fsspec file system and folder of ``url``; fsspec is imported only here."""
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise errors.PeerscopeError(
            f"{url}: opening a corpus from a URL needs fsspec: pip install 'peerscope[remote]', plus "
            "the file system's package (s3fs for s3://, gcsfs for gs://, adlfs for abfs://)") from None
    try:
        fs, root = url_to_fs(url, **(storage_options or {}))
    except (ImportError, ValueError, TypeError, OSError) as exc:   # OSError: a chained URL's archive
        raise errors.PeerscopeError(f"{url}: cannot open its file system: {exc}") from None
    return RemoteFolder(url, fs, root)


def _open_remote(folder: RemoteFolder) -> tuple[dict, dict[str, Any], dict[str, str]]:
    """Manifest, table sources and quarantine files of a corpus on a remote file system.

    Reads ``corpus.json`` and checks that every file it lists exists, with
    one batch of concurrent requests on object stores; nothing is listed (a
    bucket may be too large to list, and read-only credentials may forbid it).
    """
    where = posixpath.join(folder.url, MANIFEST)
    try:
        text = folder.fs.cat_file(folder.join(MANIFEST)).decode("utf-8")
    except FileNotFoundError:
        raise errors.CorpusNotFoundError(f"{folder}: not a peerscope corpus, no {MANIFEST}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.ManifestError(f"{where}: cannot read the manifest: {exc}") from None
    manifest = _parse_manifest(text, where)
    sources, listed = {}, []
    for name, entry in manifest["tables"].items():
        layout = partitioning.check_partition(entry.get("partition"))
        files = partitioning.table_files(folder.root, entry, folder.arrow_filesystem)
        sources[name] = files if layout else files[0]
        listed += files if layout is None else [*files, partitioning.schema_file(
            folder.root, entry, folder.arrow_filesystem)]
    quarantine = {name: folder.join(QUARANTINE_DIR, f"{name}.parquet") for name in manifest.get("quarantine", [])}
    listed += quarantine.values()
    try:
        folder.fs.sizes(listed)
    except FileNotFoundError as exc:
        missing = [path[len(folder.root):].lstrip("/") for path in listed if not folder.fs.exists(path)]
        raise errors.ManifestError(
            f"{folder}: file(s) {missing[:5] or exc} listed in {MANIFEST} are missing") from None
    except OSError as exc:
        raise errors.ManifestError(f"{folder}: cannot check the files listed in {MANIFEST}: {exc}") from None
    return manifest, sources, quarantine


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _iso(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None else ts.isoformat()


def _new_manifest(name: str, roster: bool, provenance: dict | None,
                  accounts: dict[str, TableAccount], **parameters) -> dict:
    provenance = dict(provenance or {})
    provenance.setdefault("source_format", "frames")
    provenance.setdefault("loader", "peerscope.Corpus.from_frames")
    provenance.setdefault("imported_at", _now())
    provenance.setdefault("parameters", {k: v for k, v in parameters.items()})
    return {
        "format": "peerscope-corpus",
        "name": name,
        "schema_version": schema.SCHEMA_VERSION,
        "peerscope_version": __version__,
        "roster": bool(roster),
        "provenance": provenance,
        "tables": {t: {"file": f"{t}.parquet", "rows": a.rows_kept, "columns": []}
                   for t, a in accounts.items()},
        "accounting": {t: a.to_dict() for t, a in accounts.items()},
        "quarantine": [],
    }


def _account_for_import(manifest: dict, accounts: dict[str, TableAccount],
                        skipped: dict[str, dict[str, int]] | None,
                        kept_notes: dict[str, dict[str, int]] | None) -> None:
    """Add a loader's skipped rows (to rows read) and its notes on kept rows to the accounting."""
    skipped, kept_notes = skipped or {}, kept_notes or {}
    for table in dict.fromkeys([*skipped, *kept_notes]):
        _spec(table)
        account = accounts.get(table, TableAccount())
        reasons = skipped.get(table, {})
        account.skipped_reasons = dict(reasons)
        account.rows_skipped = sum(reasons.values())
        account.rows_read += account.rows_skipped
        account.kept_notes = dict(kept_notes.get(table, {}))
        account.check(table)
        manifest["accounting"][table] = account.to_dict()


def _account_for_window(manifest: dict, table: str, rows_saved: int, window: Window) -> None:
    """Count the rows a windowed save leaves out as skipped, so the accounting still adds up.

    Kept notes are carried over unchanged: they count what the import did,
    including to rows now outside the window.
    """
    manifest["tables"][table]["rows"] = rows_saved
    account = TableAccount.from_dict(manifest["accounting"][table])
    outside = account.rows_kept - rows_saved
    if outside:
        reason = f"outside_window:{_iso(window.start)}..{_iso(window.end)}"
        account.skipped_reasons[reason] = account.skipped_reasons.get(reason, 0) + outside
        account.rows_skipped += outside
        account.rows_kept = rows_saved
    account.check(table)
    manifest["accounting"][table] = account.to_dict()


def _one_ahead(items: Iterator):
    """The items of ``items``, each next one produced on a second thread while the caller works.

    Reading (decompressing) the next row group overlaps writing (compressing)
    this one, with one row group held ahead, never more.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(next, items, _DONE)
        while (item := upcoming.result()) is not _DONE:
            upcoming = pool.submit(next, items, _DONE)
            yield item


#: What :func:`_one_ahead` gets from an exhausted iterator.
_DONE = object()


def _write_parquet(data: pa.Table | pa.RecordBatchReader, target: Path) -> None:
    """Write a table, or stream the batches of a reader, to one Parquet file."""
    if isinstance(data, pa.Table):
        pq.write_table(data, target, compression="zstd", row_group_size=ROW_GROUP_SIZE)
        return
    with pq.ParquetWriter(target, data.schema, compression="zstd") as writer:
        for batch in data:
            if batch.num_rows:
                writer.write_batch(batch, row_group_size=ROW_GROUP_SIZE)


def _write_json(data: dict, target: Path) -> None:
    target.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n",
                      encoding="utf-8")


class _AtomicFolder:
    """Build a folder beside ``path`` and swap it in only when complete.

    The swap is two renames (old -> ``<path>.peerscope-old``, new -> path) and
    then the old folder is removed.  A crash before the swap leaves the old
    corpus untouched; a crash between the two renames leaves it intact under
    the ``.peerscope-old`` name, which :func:`open_corpus` points out.
    """

    def __init__(self, path: Path):
        self.path = Path(path)

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and not (self.path / MANIFEST).is_file() and any(self.path.iterdir()):
            raise errors.PeerscopeError(
                f"{self.path}: exists and is not a peerscope corpus; refusing to replace it")
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.tmp-", dir=self.path.parent))
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        old = None
        if self.path.exists():
            old = self.path.with_name(self.path.name + _OLD_SUFFIX)
            if old.exists():
                shutil.rmtree(old)
            os.replace(self.path, old)
        os.replace(self.tmp, self.path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return False
