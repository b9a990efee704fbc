"""The manifest ``corpus.json``: reading and checking it, making a new one, its row accounting."""

from __future__ import annotations


import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from peerscope import __version__, errors

from peerscope.corpus import partition as partitioning
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
    except (json.JSONDecodeError, RecursionError) as exc:
        raise errors.ManifestError(f"{manifest_path}: cannot read the manifest: {exc}") from None
    if not isinstance(manifest, dict):
        raise errors.ManifestError(f"{manifest_path}: the manifest is not a JSON object")
    for key in ("name", "schema_version", "roster", "tables", "accounting"):
        if key not in manifest:
            raise errors.ManifestError(f"{manifest_path}: manifest has no {key!r}")
    if manifest["schema_version"] != schema.SCHEMA_VERSION:
        raise errors.ManifestError(
            f"{manifest_path}: schema version {manifest['schema_version']!r} is not "
            f"{schema.SCHEMA_VERSION}, the version this peerscope ({__version__}) reads")
    _check_manifest(manifest, _Where(manifest_path))
    return manifest


class _Where:
    """Raises :class:`~peerscope.errors.ManifestError` naming the manifest file and a field."""

    def __init__(self, manifest_path):
        self.manifest_path = manifest_path

    def fail(self, field: str, problem: str):
        raise errors.ManifestError(f"{self.manifest_path}: field {field!r}: {problem}")


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _safe_name(value) -> bool:
    """Whether ``value`` is a relative path of plain names (no ``..``, no root, no drive, no backslash)."""
    if not isinstance(value, str) or not value or "\\" in value or "\0" in value or ":" in value:
        return False
    parts = value.split("/")
    return not value.startswith("/") and all(part not in ("", ".", "..") for part in parts)


def _check_manifest(manifest: dict, where: _Where) -> None:
    """Check the type and value of every field peerscope reads (unknown extra keys are kept)."""
    if not isinstance(manifest["name"], str):
        where.fail("name", f"{manifest['name']!r} is not a string")
    if not isinstance(manifest["roster"], bool):
        where.fail("roster", f"{manifest['roster']!r} is not true or false")
    tables = manifest["tables"]
    if not isinstance(tables, dict):
        where.fail("tables", f"is a {type(tables).__name__}, not a mapping of table name to entry")
    if "posts" not in tables:
        where.fail("tables", "lists no posts table; a corpus needs one")
    for name, entry in tables.items():
        _check_table(name, entry, where)
    accounting = manifest["accounting"]
    if not isinstance(accounting, dict):
        where.fail("accounting", f"is a {type(accounting).__name__}, not a mapping of table name to rows")
    for name in tables:
        if name not in accounting:
            where.fail(f"accounting.{name}", "is missing: every table's rows must be accounted for")
    for name, account in accounting.items():
        _check_account(name, account, tables, where)
    quarantine = manifest.get("quarantine", [])
    if not isinstance(quarantine, list):
        where.fail("quarantine", f"{quarantine!r} is not a list of table names")
    for name in quarantine:
        if not isinstance(name, str) or name not in schema.TABLES:
            where.fail("quarantine", f"{name!r} is not a table name ({', '.join(schema.TABLES)})")
    if len(set(quarantine)) != len(quarantine):
        where.fail("quarantine", "names a table twice")
    for key in ("provenance", "window"):
        if manifest.get(key) is not None and not isinstance(manifest[key], dict):
            where.fail(key, f"is a {type(manifest[key]).__name__}, not a mapping")


def _check_table(name, entry, where: _Where) -> None:
    """One entry of ``tables``: a known table, a file inside the corpus, its layout, rows and columns."""
    field = f"tables.{name}"
    if name not in schema.TABLES:
        where.fail(field, f"{name!r} is not a table of the schema ({', '.join(schema.TABLES)})")
    if not isinstance(entry, dict):
        where.fail(field, f"is a {type(entry).__name__}, not a mapping")
    for key in ("file", "rows", "columns"):
        if key not in entry:
            where.fail(f"{field}.{key}", "is missing")
    layout = entry.get("partition")
    if layout not in partitioning.PARTITIONS:
        where.fail(f"{field}.partition", f"{layout!r} is not a known layout {list(partitioning.PARTITIONS)}")
    if layout is not None and schema.TABLES[name].time_column is None:
        where.fail(f"{field}.partition", f"table {name!r} has no time column to be partitioned by")
    file = entry["file"]
    if not _safe_name(file):
        where.fail(f"{field}.file", f"{file!r} is not a relative path inside the corpus folder")
    if layout is None and not file.endswith(".parquet"):
        where.fail(f"{field}.file", f"{file!r} is not a .parquet file")
    if layout is not None:
        parts = entry.get("parts")
        if not isinstance(parts, list):
            where.fail(f"{field}.parts", f"{parts!r} is not a list of monthly file names")
        for part in parts:
            if not isinstance(part, str) or not partitioning._PART.match(part):
                where.fail(f"{field}.parts", f"{part!r} is not a monthly file name (YYYY-MM.parquet)")
        if len(set(parts)) != len(parts):
            where.fail(f"{field}.parts", "names a file twice")
    if not _is_count(entry["rows"]):
        where.fail(f"{field}.rows", f"{entry['rows']!r} is not a whole number >= 0")
    columns = entry["columns"]
    if not isinstance(columns, list) or not all(isinstance(c, str) and c for c in columns):
        where.fail(f"{field}.columns", f"{columns!r} is not a list of column names")
    if len(set(columns)) != len(columns):
        where.fail(f"{field}.columns", "names a column twice")
    missing = [c for c in schema.TABLES[name].required if c not in columns]
    if missing:
        where.fail(f"{field}.columns", f"lacks the required column(s) {missing}")


def _check_account(name, account, tables: dict, where: _Where) -> None:
    """One entry of ``accounting``: counts, reasons, notes, and rows kept as the table holds."""
    field = f"accounting.{name}"

    def fail(field: str, problem: str):
        where.fail(field, f"table {name!r}: {problem}")

    if name not in schema.TABLES:
        fail(field, f"{name!r} is not a table of the schema ({', '.join(schema.TABLES)})")
    if not isinstance(account, dict):
        fail(field, f"is a {type(account).__name__}, not a mapping")
    for key in ("rows_read", "rows_kept", "rows_skipped", "rows_quarantined"):
        value = account.get(key, 0)
        if not _is_count(value):
            fail(f"{field}.{key}", f"{value!r} is not a whole number >= 0")
    for key in ("skipped_reasons", "quarantine_reasons", "kept_notes"):
        reasons = account.get(key, {})
        if not isinstance(reasons, dict):
            fail(f"{field}.{key}", f"{reasons!r} is not a mapping of reason to rows")
        for reason, rows in reasons.items():
            if not _is_count(rows):
                fail(f"{field}.{key}", f"{reason!r} counts {rows!r} rows, not a whole number >= 0")
    kept = account.get("rows_kept", 0)
    held = tables[name]["rows"] if name in tables else 0
    if kept != held:
        fail(f"{field}.rows_kept", f"{kept} rows kept, but tables.{name}.rows says {held}")
    try:
        TableAccount.from_dict(account).check(name)
    except errors.ManifestError as error:
        where.fail(field, str(error))


def _check_inside(folder: Path, manifest: dict, manifest_path) -> None:
    """Raise :class:`~peerscope.errors.ManifestError` unless every file the manifest names
    (tables, their monthly parts and schema files, the quarantine) resolves inside ``folder``,
    symbolic links followed: a corpus never reads outside its folder."""
    where = _Where(manifest_path)
    root = Path(folder).resolve()

    def inside(field: str, relative: str) -> None:
        try:
            resolved = (root / relative).resolve()
        except (OSError, RuntimeError) as exc:   # a symlink loop
            where.fail(field, f"{relative!r} cannot be resolved: {exc}")
        if resolved != root and root not in resolved.parents:
            where.fail(field, f"{relative!r} leads outside the corpus folder {root} (to {resolved})")

    for name, entry in manifest["tables"].items():
        inside(f"tables.{name}.file", entry["file"])
        if entry.get("partition") is not None:
            inside(f"tables.{name}.file", f"{entry['file']}/{partitioning.SCHEMA_FILE}")
            for part in entry["parts"]:
                inside(f"tables.{name}.parts", f"{entry['file']}/{part}")
    for name in manifest.get("quarantine", []):
        inside("quarantine", f"{QUARANTINE_DIR}/{name}.parquet")


def _check_columns(folder, name: str, entry: dict, manifest_path, filesystem=None) -> None:
    """Raise :class:`~peerscope.errors.ManifestError` unless table ``name`` holds exactly the
    columns its manifest entry lists (read from the Parquet footer or ``_common_metadata``)."""
    where = _Where(manifest_path)
    try:
        stored = partitioning.table_schema(folder, entry, filesystem).names
    except (OSError, ValueError) as exc:      # pyarrow.ArrowInvalid is a ValueError
        where.fail(f"tables.{name}.file", f"cannot read the schema of {entry['file']}: {exc}")
    unknown = [c for c in entry["columns"] if c not in stored]
    if unknown:
        where.fail(f"tables.{name}.columns", f"lists column(s) {unknown[:5]} that {entry['file']} does not hold")
    unlisted = [c for c in stored if c not in entry["columns"]]
    if unlisted:
        where.fail(f"tables.{name}.columns", f"does not list column(s) {unlisted[:5]} that {entry['file']} holds")


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
