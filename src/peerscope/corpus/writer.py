"""Streaming a corpus to disk chunk by chunk: :class:`CorpusWriter`, the loaders' writer."""

from __future__ import annotations


import os

import pandas as pd

from peerscope import errors

from peerscope.corpus import schema
from peerscope.corpus import partition as partitioning
from peerscope.corpus.validation import TableAccount
from peerscope.corpus._manifest import MANIFEST, _account_for_import, _new_manifest, _now, _record_files
from peerscope.corpus._remote import _local_folder
from peerscope.corpus._storage import _AtomicFolder, _write_json
from peerscope.corpus.integrity import _check_references
from peerscope.corpus.model import Corpus, open_corpus

__all__ = ["CorpusWriter"]


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
    as monthly files (:mod:`peerscope.corpus.partition`), chunks in any time order.

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
        spec = schema.table_spec(table)
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
        schema.table_spec(table)
        reasons = self._skipped.setdefault(table, {})
        reasons[reason] = reasons.get(reason, 0) + int(rows)

    def note(self, table: str, note: str, rows: int = 1) -> None:
        """Record ``rows`` rows of ``table`` that were kept but changed on the way in.

        ``note`` says what was done to them (e.g. ``"parent not in the data:
        kept with a null parent"``); the manifest counts rows per note in the
        table's ``kept_notes``.  A count of 0 is not recorded.
        """
        schema.table_spec(table)
        if rows:
            notes = self._kept_notes.setdefault(table, {})
            notes[note] = notes.get(note, 0) + int(rows)

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            entries = {table: writer.close() for table, writer in self._writers.items()}
        except BaseException as error:  # the folder's cleanup releases the save's lock
            self._folder.__exit__(type(error), error, None)
            raise
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
                _record_files(self._dir, manifest)
                _write_json(manifest, self._dir / MANIFEST)
            except BaseException as error:
                self._folder.__exit__(type(error), error, None)
                raise
        self._folder.__exit__(exc_type, exc, tb)
        if exc_type is None:
            self.corpus = open_corpus(self.path)
        return False
