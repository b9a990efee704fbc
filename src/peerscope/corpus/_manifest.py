"""The manifest ``corpus.json``: reading and checking it, making a new one, its row accounting."""

from __future__ import annotations


import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa

from peerscope import __version__, errors

from peerscope.corpus import partition as partitioning
from peerscope.corpus import schema
from peerscope.corpus.validation import TableAccount
from peerscope.corpus.window import Window


MANIFEST = "corpus.json"
QUARANTINE_DIR = "quarantine"
#: Manifest key of the SHA-256 and size of every file of the corpus (absent in manifests
#: written before peerscope recorded them: those files are not verified).
FILES = "files"
#: Bytes read at a time when hashing a file.
_HASH_CHUNK = 1 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
    if FILES in manifest:
        _check_file_records(manifest, where)


def _check_file_records(manifest: dict, where: _Where) -> None:
    """The ``files`` entry: a SHA-256 and a size for exactly the files the corpus holds."""
    records = manifest[FILES]
    if not isinstance(records, dict):
        where.fail(FILES, f"is a {type(records).__name__}, not a mapping of file to hash and size")
    for name, record in records.items():
        field = f"{FILES}.{name}"
        if not isinstance(record, dict) or not _is_count(record.get("bytes")) or not all(
                isinstance(record.get(key), str) and _SHA256.match(record[key])
                for key in ("sha256", "footer_sha256")):
            where.fail(field, f"{record!r} is not {{'sha256': 64 hex digits, 'bytes': a whole number, "
                              f"'footer_sha256': 64 hex digits}}")
    expected = set(_corpus_files(manifest))
    unlisted = sorted(expected - set(records))
    if unlisted:
        where.fail(FILES, f"records no hash of {unlisted[:5]}")
    unknown = sorted(set(records) - expected)
    if unknown:
        where.fail(FILES, f"records {unknown[:5]}, which are not files of the corpus")


def _corpus_files(manifest: dict) -> list[str]:
    """Paths, relative to the corpus folder, of every file a (checked) manifest lists:
    tables, monthly parts and their schema file, the quarantine."""
    files = []
    for entry in manifest["tables"].values():
        if entry.get("partition") is None:
            files.append(entry["file"])
        else:
            files.append(f"{entry['file']}/{partitioning.SCHEMA_FILE}")
            files.extend(f"{entry['file']}/{part}" for part in entry["parts"])
    files.extend(f"{QUARANTINE_DIR}/{name}.parquet" for name in manifest.get("quarantine", []))
    return files


def _sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks of :data:`_HASH_CHUNK` bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _footer_sha256(path: Path) -> str:
    """The SHA-256 of a Parquet file's footer: its metadata (schema, row groups, statistics,
    key-value metadata), the 4 bytes of its length and the closing magic ``PAR1``.

    The length is read from the file itself, so a damaged length changes the bytes
    hashed, and so the hash.
    """
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(size - 8, 0))
        length = int.from_bytes(handle.read(4).ljust(4, b"\0"), "little")
        handle.seek(max(size - 8 - length, 0))
        return hashlib.sha256(handle.read()).hexdigest()


def _record_files(folder: Path, manifest: dict) -> None:
    """Record the SHA-256, size and footer SHA-256 of every file of the corpus written in ``folder``."""
    manifest[FILES] = {name: {"sha256": _sha256(Path(folder) / name),
                              "bytes": (Path(folder) / name).stat().st_size,
                              "footer_sha256": _footer_sha256(Path(folder) / name)}
                       for name in _corpus_files(manifest)}


def _check_footers(folder: Path, manifest: dict, manifest_path) -> None:
    """Raise :class:`~peerscope.errors.ManifestError` naming the first file whose size or footer
    differs from the one recorded (a truncated, emptied or extended file, or damaged metadata).

    Cheap: a file's footer is a few kilobytes, its pages are not read (their checksums
    are verified as they are read).
    """
    for name, record in manifest.get(FILES, {}).items():
        file = Path(folder) / name
        try:
            size = file.stat().st_size
            footer = _footer_sha256(file) if size == record["bytes"] else None
        except OSError as exc:
            raise errors.ManifestError(f"{file}: cannot read: {exc.strerror}") from None
        if size != record["bytes"]:
            raise errors.ManifestError(
                f"{file}: holds {size} bytes, the manifest ({manifest_path}) recorded "
                f"{record['bytes']}: the file is damaged or was changed after the save")
        if footer != record["footer_sha256"]:
            raise errors.ManifestError(
                f"{file}: its Parquet footer differs from the one the manifest ({manifest_path}) "
                "recorded: the file's metadata is damaged or was changed after the save")


def _verify_files(folder: Path, manifest: dict) -> bool:
    """Raise :class:`~peerscope.errors.ManifestError` naming the first file whose SHA-256 differs
    from the one recorded; False when the manifest records none (nothing verified)."""
    if FILES not in manifest:
        return False
    for name, record in manifest[FILES].items():
        try:
            digest = _sha256(Path(folder) / name)
        except OSError as exc:
            raise errors.ManifestError(f"{Path(folder) / name}: cannot read: {exc.strerror}") from None
        if digest != record["sha256"]:
            raise errors.ManifestError(
                f"{Path(folder) / name}: its SHA-256 is {digest}, the manifest recorded "
                f"{record['sha256']}: the file is damaged or was changed after the save")
    return True


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
    except (OSError, ValueError, pa.ArrowException) as exc:  # pyarrow.ArrowInvalid is a ValueError
        where.fail(f"tables.{name}.file", f"cannot read the schema of "
                   f"{partitioning.schema_file(folder, entry, filesystem)} (damaged?): {exc}")
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
