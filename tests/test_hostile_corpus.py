"""Hostile or broken manifests (issue 17): every path stays inside the corpus folder, every field is checked.

Each case edits the ``corpus.json`` of a small saved corpus.  ``open_corpus``
and ``validate_saved`` must raise a :class:`~peerscope.errors.ManifestError`
naming the manifest file and the field, never a raw KeyError, TypeError or
OSError, and must never read a file outside the corpus folder.  Whether a
file was read is seen from its access time: it is set far before its
modification time, so any read moves it (Linux ``relatime``); the test is
skipped on a file system that does not record reads.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import fsspec
import pandas as pd
import pytest

from peerscope import Corpus, errors, open_corpus
from peerscope.corpus import validate_saved


@pytest.fixture
def saved(tiny_frames, tmp_path):
    """A saved corpus (one file per table) in ``tmp_path/inner/corpus``, and a monthly one."""
    posts, members, events = tiny_frames[:3]
    corpus = Corpus.from_frames(posts, members=members, events=events, name="tiny")
    return {"file": corpus.save(tmp_path / "inner" / "corpus").path,
            "month": corpus.save(tmp_path / "inner" / "monthly", partition="month").path}


def _outside(tmp_path: Path, source: Path) -> Path:
    """A readable Parquet file outside the corpus folder, its access time set long before its change."""
    target = tmp_path / "x.parquet"
    shutil.copyfile(source, target)
    os.utime(target, (1_000_000, 2_000_000_000))
    return target


def _was_read(path: Path) -> bool:
    return path.stat().st_atime != 1_000_000


@pytest.fixture
def reads_are_seen(tmp_path):
    probe = tmp_path / "probe"
    probe.write_bytes(b"x")
    os.utime(probe, (1_000_000, 2_000_000_000))
    probe.read_bytes()
    if not _was_read(probe):
        pytest.skip("this file system does not record reads in the access time")


def _edit(folder: Path, change) -> None:
    manifest = json.loads((folder / "corpus.json").read_text())
    change(manifest)
    (folder / "corpus.json").write_text(json.dumps(manifest))


def _refused(folder: Path, field: str) -> None:
    """Both readers refuse the corpus with a ManifestError naming the manifest file and ``field``."""
    for read in (open_corpus, validate_saved):
        with pytest.raises(errors.ManifestError) as caught:
            read(folder)
        message = str(caught.value)
        assert str(folder / "corpus.json") in message, message
        assert repr(field) in message, message


ESCAPES = {
    "parent": lambda outside: "../../x.parquet",
    "absolute": lambda outside: str(outside),
    "dot-dot inside": lambda outside: "posts/../../../x.parquet",
}


@pytest.mark.parametrize("how", ESCAPES)
def test_a_table_file_outside_the_folder_is_never_read(how, saved, tmp_path, reads_are_seen):
    folder = saved["file"]
    outside = _outside(tmp_path, folder / "posts.parquet")
    _edit(folder, lambda m: m["tables"]["posts"].update(file=ESCAPES[how](outside)))
    _refused(folder, "tables.posts.file")
    assert not _was_read(outside)


def test_a_symlink_leading_outside_the_folder_is_never_read(saved, tmp_path, reads_are_seen):
    folder = saved["file"]
    outside = _outside(tmp_path, folder / "posts.parquet")
    (folder / "posts.parquet").unlink()
    (folder / "posts.parquet").symlink_to(outside)
    _refused(folder, "tables.posts.file")
    assert not _was_read(outside)


def test_a_symlink_inside_the_folder_is_allowed(saved, tmp_path):
    folder = saved["file"]
    (folder / "posts.parquet").rename(folder / "real.parquet")
    (folder / "posts.parquet").symlink_to(folder / "real.parquet")
    assert open_corpus(folder).posts()["post_id"].tolist()[:1] == ["p1"]


def test_a_monthly_part_outside_the_folder_is_never_read(saved, tmp_path, reads_are_seen):
    folder = saved["month"]
    first = sorted((folder / "posts").glob("*.parquet"))[0]
    outside = _outside(tmp_path, first)
    _edit(folder, lambda m: m["tables"]["posts"]["parts"].__setitem__(0, "../../../x.parquet"))
    _refused(folder, "tables.posts.parts")
    assert not _was_read(outside)


def test_a_monthly_part_linked_outside_the_folder_is_never_read(saved, tmp_path, reads_are_seen):
    folder = saved["month"]
    first = sorted((folder / "posts").glob("*.parquet"))[0]
    outside = _outside(tmp_path, first)
    first.unlink()
    first.symlink_to(outside)
    _refused(folder, "tables.posts.parts")
    assert not _was_read(outside)


def test_a_partitioned_table_folder_linked_outside_is_refused(saved, tmp_path):
    folder = saved["month"]
    shutil.move(folder / "posts", tmp_path / "elsewhere")
    (folder / "posts").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    _refused(folder, "tables.posts.file")


def test_a_quarantine_linked_outside_is_refused(tiny_frames, tmp_path):
    posts = tiny_frames[0].copy()
    posts.loc[5, "created_at"] = pd.NaT
    folder = Corpus.from_frames(posts, repair=True).save(tmp_path / "inner" / "q").path
    assert json.loads((folder / "corpus.json").read_text())["quarantine"] == ["posts"]
    shutil.move(folder / "quarantine", tmp_path / "elsewhere")
    (folder / "quarantine").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    _refused(folder, "quarantine")


def _set(path: str, value):
    """A change setting ``manifest[a][b]... = value`` for ``path`` "a.b...", or deleting it for ``...``."""
    *parents, last = path.split(".")

    def change(manifest):
        node = manifest
        for key in parents:
            node = node[key]
        if value is ...:
            del node[last]
        else:
            node[last] = value
    return change


HOSTILE = [
    ("tables", []),
    ("tables", {}),
    ("tables", "posts.parquet"),
    ("tables.posts", ...),
    ("tables.posts", ["posts.parquet"]),
    ("tables.posts.file", None),
    ("tables.posts.file", 3),
    ("tables.posts.file", ""),
    ("tables.posts.file", "posts.csv"),
    ("tables.posts.file", ...),
    ("tables.posts.rows", "6"),
    ("tables.posts.rows", -1),
    ("tables.posts.rows", True),
    ("tables.posts.columns", None),
    ("tables.posts.columns", ["post_id"]),
    ("tables.posts.partition", "year"),
    ("tables.members.partition", "month"),
    ("tables.comments", {"file": "posts.parquet", "rows": 6, "columns": []}),
    ("accounting", []),
    ("accounting.posts", ...),
    ("accounting.posts", 6),
    ("accounting.posts.rows_kept", 5),
    ("accounting.posts.rows_read", "6"),
    ("accounting.posts.skipped_reasons", ["x"]),
    ("accounting.posts.quarantine_reasons", {"x": "1"}),
    ("name", None),
    ("roster", "yes"),
    ("quarantine", "posts"),
    ("quarantine", ["../../x"]),
    ("provenance", []),
]


@pytest.mark.parametrize("path, value", HOSTILE, ids=[f"{p}={v!r}" for p, v in HOSTILE])
def test_every_field_is_checked(path, value, saved):
    folder = saved["file"]
    _edit(folder, _set(path, value))
    _refused(folder, "tables" if (path, value) == ("tables.posts", ...) else path)


def test_wrong_rows_kept_on_both_sides_is_caught_by_validate(saved):
    folder = saved["file"]
    _edit(folder, _set("tables.posts.rows", 5))
    _edit(folder, lambda m: m["accounting"]["posts"].update(rows_kept=5, rows_read=5))
    open_corpus(folder)     # consistent in itself; only the file tells
    with pytest.raises(errors.ManifestError, match="holds 6 rows"):
        validate_saved(folder)


def test_unknown_columns_are_refused(saved):
    folder = saved["file"]
    _edit(folder, lambda m: m["tables"]["posts"]["columns"].append("no_such_column"))
    _refused(folder, "tables.posts.columns")
    _edit(folder, lambda m: m["tables"]["posts"]["columns"].remove("score"))
    _refused(folder, "tables.posts.columns")


@pytest.mark.parametrize("text", ["[]", "null", "3", '"corpus"', "[" * 100_000])
def test_a_manifest_that_is_no_object_is_refused(text, saved):
    folder = saved["file"]
    (folder / "corpus.json").write_text(text)
    for read in (open_corpus, validate_saved):
        with pytest.raises(errors.ManifestError, match="corpus.json"):
            read(folder)


@pytest.fixture
def remote(saved):
    fs = fsspec.filesystem("memory")
    root = f"/hostile-{uuid.uuid4().hex}"
    fs.put(str(saved["file"]), root + "/c", recursive=True)
    fs.pipe(f"{root}/x.parquet", (saved["file"] / "posts.parquet").read_bytes())
    yield fs, root
    fs.rm(root, recursive=True)


@pytest.mark.parametrize("file", ["../x.parquet", "/x.parquet", "posts/../../x.parquet"])
def test_a_remote_manifest_cannot_leave_the_folder(file, remote):
    fs, root = remote
    manifest = json.loads(fs.cat_file(f"{root}/c/corpus.json"))
    manifest["tables"]["posts"]["file"] = file
    fs.pipe(f"{root}/c/corpus.json", json.dumps(manifest).encode())
    with pytest.raises(errors.ManifestError, match="tables.posts.file"):
        open_corpus(f"memory://{root}/c")


def test_a_remote_manifest_is_checked_field_by_field(remote):
    fs, root = remote
    manifest = json.loads(fs.cat_file(f"{root}/c/corpus.json"))
    manifest["tables"]["posts"]["file"] = None
    fs.pipe(f"{root}/c/corpus.json", json.dumps(manifest).encode())
    with pytest.raises(errors.ManifestError, match=r"corpus\.json: field 'tables.posts.file'"):
        open_corpus(f"memory://{root}/c")


# -- SupportClassifier.load of damaged folders ------------------------------------------------

TEXTS = ["so sorry, hugs", "sending hugs", "that sounds hard",
         "ring your GP", "try the helpline", "see a doctor"] * 3
LABELS = (["emotional"] * 3 + ["informational"] * 3) * 3


@pytest.fixture(scope="module")
def classifier():
    from peerscope.support import SupportClassifier

    return SupportClassifier(calibration_folds=3, char_ngram_range=(2, 3), random_state=0).fit(TEXTS, LABELS)


def _damage_classifier(folder: Path, how: str) -> None:
    import numpy as np

    meta = json.loads((folder / "model.json").read_text())
    with np.load(folder / "arrays.npz") as stored:
        arrays = {k: stored[k] for k in stored.files}
    if how.startswith("missing "):
        (folder / how.split()[1]).unlink()
    elif how == "truncated model.json":
        (folder / "model.json").write_text(json.dumps(meta)[:25])
    elif how == "model.json not an object":
        (folder / "model.json").write_text("null")
    elif how == "truncated arrays.npz":
        data = (folder / "arrays.npz").read_bytes()
        (folder / "arrays.npz").write_bytes(data[: len(data) // 2])
    elif how == "arrays.npz not a zip":
        (folder / "arrays.npz").write_text("not a zip")
    elif how.startswith("meta "):
        key, value = how.split()[1], json.loads(how.split(maxsplit=2)[2])
        if value is None:
            del meta[key]
        else:
            meta[key] = value
        (folder / "model.json").write_text(json.dumps(meta))
    elif how.startswith("array "):
        _, key, change = how.split(maxsplit=2)
        if change == "dropped":
            del arrays[key]
        elif change == "wrong shape":
            arrays[key] = np.ones((1, 1))
        elif change == "strings":
            arrays[key] = np.full(arrays[key].shape, "x")
        np.savez(folder / "arrays.npz", **arrays)
    else:
        raise AssertionError(how)


CLASSIFIER_DAMAGE = {
    "missing model.json": "model.json",
    "missing arrays.npz": "arrays.npz",
    "truncated model.json": "model.json",
    "model.json not an object": "model.json",
    "truncated arrays.npz": "arrays.npz",
    "arrays.npz not a zip": "arrays.npz",
    "meta params null": "'params'",
    "meta params []": "'params'",
    'meta params {"no_such_option": 1}': "'params'",
    "meta classes null": "'classes'",
    'meta classes ["only"]': "'classes'",
    "meta n_features null": "'n_features'",
    'meta n_features "7"': "'n_features'",
    "meta vocabularies null": "'vocabularies'",
    'meta vocabularies {"char": []}': "'vocabularies'",
    'meta vocabularies {"word": [1, 2]}': "vocabulary 'word'",
    "meta multilabel null": "'multilabel'",
    "array coef dropped": "'coef'",
    "array coef wrong shape": "'coef'",
    "array intercept strings": "'intercept'",
    "array calibration wrong shape": "'calibration'",
    "array word_idf wrong shape": "'word_idf'",
    "array char_idf dropped": "'char_idf'",
}


@pytest.mark.parametrize("how", CLASSIFIER_DAMAGE)
def test_a_damaged_classifier_folder_fails_clearly(how, classifier, tmp_path):
    from peerscope.support import SupportClassifier

    folder = classifier.save(tmp_path / "model")
    assert SupportClassifier.load(folder).predict(TEXTS[:2]).tolist() == classifier.predict(TEXTS[:2]).tolist()
    _damage_classifier(folder, how)
    with pytest.raises(errors.PeerscopeError) as caught:
        SupportClassifier.load(folder)
    message = str(caught.value)
    assert str(folder) in message and CLASSIFIER_DAMAGE[how] in message, message


def test_loading_a_classifier_from_no_folder_fails_clearly(tmp_path):
    from peerscope.support import SupportClassifier

    (tmp_path / "file").write_text("x")
    for path in (tmp_path / "nothing", tmp_path / "file"):
        with pytest.raises(errors.PeerscopeError, match="not a"):
            SupportClassifier.load(path)


# -- damaged Parquet files: checksums, recorded hashes, every column read ----------------

def _text_page_byte(file: Path, column: str = "text") -> int:
    """The position of a byte inside the last data page of ``column`` (of the first row group) of ``file``."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(file).metadata
    column = metadata.row_group(0).column(metadata.schema.to_arrow_schema().get_field_index(column))
    start = column.dictionary_page_offset if column.has_dictionary_page else column.data_page_offset
    return start + column.total_compressed_size - 2


def _damage(file: Path, how: str) -> None:
    data = bytearray(file.read_bytes())
    if how == "flip in text":
        data[_text_page_byte(file)] ^= 0x55
    elif how == "flip in footer":
        data[-20] ^= 0x55
    elif how == "truncated":
        data = data[: len(data) // 2]
    elif how == "empty":
        data = bytearray()
    file.write_bytes(bytes(data))


def _forget_hashes(folder: Path) -> None:
    _edit(folder, lambda manifest: manifest.pop("files"))


DAMAGE = ["flip in text", "flip in footer", "truncated", "empty"]


@pytest.mark.parametrize("layout", ["file", "month"])
@pytest.mark.parametrize("how", DAMAGE)
def test_validate_names_a_damaged_file(how, layout, saved):
    folder = saved[layout]
    file = folder / ("posts.parquet" if layout == "file" else "posts/2024-02.parquet")
    _damage(file, how)
    with pytest.raises(errors.PeerscopeError, match=str(file)):
        validate_saved(folder)


@pytest.mark.parametrize("layout", ["file", "month"])
@pytest.mark.parametrize("how", DAMAGE)
def test_reading_a_damaged_file_names_it(how, layout, saved):
    """Opening and reading never give a raw pyarrow error, and never a changed value."""
    folder = saved[layout]
    file = folder / ("posts.parquet" if layout == "file" else "posts/2024-02.parquet")
    before = open_corpus(folder).posts(columns="all")
    _damage(file, how)
    with pytest.raises(errors.PeerscopeError, match=str(file)):
        corpus = open_corpus(folder)
        corpus.posts(columns="all")
        list(corpus.iter_batches("posts", "all"))
    # an old manifest (no recorded sizes): the page checksums still catch the damage
    _forget_hashes(folder)
    try:
        corpus = open_corpus(folder)
        after = corpus.posts(columns="all")
    except errors.PeerscopeError as error:
        assert str(file) in str(error)
    else:
        pd.testing.assert_frame_equal(after, before)


def test_saved_files_carry_page_checksums(saved):
    """A flipped byte inside a page is caught by its CRC, even without the recorded hashes."""
    folder = saved["file"]
    _forget_hashes(folder)
    _damage(folder / "posts.parquet", "flip in text")
    corpus = open_corpus(folder)
    with pytest.raises(errors.PeerscopeError, match="posts.parquet.*damaged"):
        corpus.posts(columns=["post_id", "text"])
    with pytest.raises(errors.PeerscopeError, match="posts.parquet.*damaged"), \
            pytest.warns(UserWarning, match="not verified"):
        validate_saved(folder)


def test_the_manifest_records_every_file_hash(saved):
    import hashlib

    for folder in saved.values():
        manifest = json.loads((folder / "corpus.json").read_text())
        files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                       if p.is_file() and p.name != "corpus.json")
        assert sorted(manifest["files"]) == files
        for name, record in manifest["files"].items():
            data = (folder / name).read_bytes()
            footer = data[-8 - int.from_bytes(data[-8:-4], "little"):]
            assert footer.endswith(b"PAR1") and len(footer) < len(data)
            assert record == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                              "footer_sha256": hashlib.sha256(footer).hexdigest()}


def test_a_changed_file_of_the_same_size_fails_validate(saved):
    folder = saved["file"]
    file = folder / "members.parquet"
    data = bytearray(file.read_bytes())
    data[_text_page_byte(file, "member_id")] ^= 0x01
    file.write_bytes(bytes(data))
    open_corpus(folder)      # opening checks sizes and footers only
    with pytest.raises(errors.ManifestError, match=f"{file}: its SHA-256"):
        validate_saved(folder)


def test_an_old_manifest_without_hashes_is_read_and_not_verified(saved):
    folder = saved["month"]
    _forget_hashes(folder)
    with pytest.warns(UserWarning, match="not verified"):
        assert validate_saved(folder)["posts"] == 6


def test_a_damaged_footer_is_refused_when_opening(saved):
    """Metadata (types, statistics, key-value metadata) has no page checksum: the footer hash catches it."""
    file = saved["month"] / "posts" / "2024-01.parquet"
    data = bytearray(file.read_bytes())
    data[-30] ^= 0x01
    file.write_bytes(bytes(data))
    with pytest.raises(errors.ManifestError, match=f"{file}: its Parquet footer differs"):
        open_corpus(saved["month"])


@pytest.mark.parametrize("change, field", [
    (lambda m: m["files"].pop("posts.parquet"), "files"),
    (lambda m: m["files"].update({"extra.parquet": m["files"]["posts.parquet"]}), "files"),
    (lambda m: m["files"]["posts.parquet"].update(sha256="xyz"), "files.posts.parquet"),
    (lambda m: m["files"]["posts.parquet"].update(bytes=-1), "files.posts.parquet"),
    (lambda m: m.update(files=[]), "files"),
])
def test_the_file_records_are_checked(change, field, saved):
    _edit(saved["file"], change)
    _refused(saved["file"], field)


def test_cli_validate_exits_2_naming_a_damaged_file(saved):
    from click.testing import CliRunner

    from peerscope.cli.commands import cli

    folder = saved["file"]
    _damage(folder / "posts.parquet", "flip in text")
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2, result.output
    assert "posts.parquet" in result.output


def _rewrite_part(folder: Path, change) -> Path:
    """Rewrite the January posts of a monthly corpus with ``change(table)``, as if damaged
    where no checksum looks, and drop the manifest's hashes (an older peerscope's save)."""
    import pyarrow.parquet as pq

    part = folder / "posts" / "2024-01.parquet"
    pq.write_table(change(pq.read_table(part)), part)
    _forget_hashes(folder)
    return part


def test_validate_names_a_file_holding_a_time_pandas_cannot_print(saved):
    """Found by tests/test_fuzz.py: a time in year 11157 made validate raise NotImplementedError;
    now the time rule names the table, column, rows and the time itself."""
    import pyarrow as pa

    def far_future(table):
        index = table.schema.get_field_index("created_at")
        times = pa.array([253_402_300_800_000_000 * 30] * table.num_rows, table.schema.field(index).type)
        return table.set_column(index, table.schema.field(index), times)

    _rewrite_part(saved["month"], far_future)
    with pytest.raises(errors.PeerscopeError, match=r"implausible_time.*created_at='242869-12-23"), \
            pytest.warns(UserWarning, match="not verified"):
        validate_saved(saved["month"])


def test_validate_names_a_file_holding_text_that_is_not_utf8(saved):
    """Found by tests/test_fuzz.py: invalid UTF-8 in an id escaped validate as UnicodeDecodeError."""
    import pyarrow as pa

    def broken_ids(table):
        index = table.schema.get_field_index("post_id")
        raw = pa.array([b"\xf0(" + bytes([65 + i]) for i in range(table.num_rows)], pa.binary())
        ids = pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())
        return table.set_column(index, table.schema.field(index), ids)

    part = _rewrite_part(saved["month"], broken_ids)
    with pytest.raises(errors.PeerscopeError, match=str(part)), pytest.warns(UserWarning, match="not verified"):
        validate_saved(saved["month"])
