"""The manifest ``corpus.json``: reading and checking it, making a new one, its row accounting."""

from __future__ import annotations


import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from peerscope import __version__, errors

from peerscope.corpus import schema
from peerscope.corpus.validation import TableAccount
from peerscope.corpus.window import Window


MANIFEST = "corpus.json"
QUARANTINE_DIR = "quarantine"


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
        schema.table_spec(table)
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
