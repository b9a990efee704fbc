"""Atomic writes of Parquet and JSON files and of whole corpus folders; streaming one batch ahead."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from peerscope import errors
from peerscope.corpus._manifest import MANIFEST


#: Rows per Parquet row group: small enough for time filters to skip groups,
#: large enough to keep per-group overhead negligible.
ROW_GROUP_SIZE = 256 * 1024
#: Suffix of the folder a replaced corpus is moved to during an atomic save.
_OLD_SUFFIX = ".peerscope-old"


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
