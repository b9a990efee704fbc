"""Corpora opened from fsspec URLs: the same numbers as from the local folder.

A small synthetic community is saved locally in both layouts (one file per
table, monthly files) and copied into fsspec's ``memory://`` file system;
every read and measure through the URL must equal the local corpus's, for
both engines.  ``memory://`` lives in this process only, so the Dask runs
over it use the synchronous scheduler; a worker process of a
``distributed.LocalCluster`` would see an empty memory file system.  That
workers get the corpus's file system is checked separately with a
``local://`` URL (the local disk, but opened through fsspec), which worker
processes can read.
"""

from __future__ import annotations

import peerscope
import importlib.util
import sys
import uuid
import warnings
from pathlib import Path

import fsspec
import numpy as np
import pandas as pd
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from peerscope import Corpus, errors, participation, reciprocity, synth

from peerscope._kernels import scheduler
from peerscope.corpus import CorpusWriter, open_corpus, validate_saved
from peerscope.corpus._remote import RemoteFolder
from peerscope.text import bag_of_words

LAYOUTS = {"flat": None, "month": "month"}
WINDOW = ("2022-02-01", "2022-04-01")
READS = {"posts": ["post_id", "author_id", "created_at", "text"],
         "events": ["member_id", "at", "kind"],
         "newsletter_items": ["item_id", "published_at"]}


@pytest.fixture(scope="module", autouse=True)
def default_scheduler():
    """Dask's default scheduler again after this module (the tests make it synchronous)."""
    yield
    scheduler.reset()


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    community, _ = synth.generate(2_000, seed=11, months=5, with_text=True)
    folder = tmp_path_factory.mktemp("remote")
    return {layout: community.save(folder / layout, partition=partition)
            for layout, partition in LAYOUTS.items()}


@pytest.fixture(scope="module")
def memory(local):
    """The saved corpora copied to ``memory://<unique>/<layout>``; removed afterwards."""
    fs = fsspec.filesystem("memory")
    root = f"/peerscope-{uuid.uuid4().hex}"
    for layout, corpus in local.items():
        fs.put(str(corpus.path), f"{root}/{layout}", recursive=True)
    yield {layout: f"memory://{root}/{layout}" for layout in local}
    fs.rm(root, recursive=True)


def _url(kind, layout, local, memory):
    return memory[layout] if kind == "memory" else Path(local[layout].path).as_uri()


def _compute(frame):
    return frame.compute() if hasattr(frame, "compute") else frame


@pytest.fixture(scope="module")
def reference(local):
    """Metrics of the local corpora (pandas engine), computed once."""
    return {layout: {"participation": participation.summary(corpus, replicates=100),
                     "reciprocity": reciprocity.summary(corpus),
                     "describe": peerscope.describe(corpus).to_frame()}
            for layout, corpus in local.items()}


# -- reading ----------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_url_opens_the_copied_corpus(layout, local, memory):
    corpus = open_corpus(memory[layout])
    assert isinstance(corpus.path, RemoteFolder) and str(corpus.path) == memory[layout]
    assert corpus.manifest == local[layout].manifest
    assert corpus.layout == local[layout].layout
    assert open_corpus(corpus.path).manifest == corpus.manifest          # corpus.path reopens it


def test_a_file_url_is_a_local_path(local):
    corpus = open_corpus(Path(local["month"].path).as_uri())
    assert corpus.path == local["month"].path


@pytest.mark.parametrize("engine", ["pandas", "dask"])
@pytest.mark.parametrize("kind", ["memory", "file"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_reads_with_projection_and_window_equal_local(layout, kind, engine, local, memory):
    source = local[layout]
    options = {"scheduler": "synchronous"} if engine == "dask" else {}
    corpus = open_corpus(_url(kind, layout, local, memory), engine=engine, **options)
    for table, columns in READS.items():
        expected = source.table(table, columns, *WINDOW)
        got = _compute(corpus.table(table, columns, *WINDOW)).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected)
        assert list(got.columns) == columns
        assert 0 < len(got) < source.manifest["tables"][table]["rows"]   # the window cut something
    pd.testing.assert_frame_equal(_compute(corpus.members()).reset_index(drop=True), source.members())
    view = corpus.window(*WINDOW)
    pd.testing.assert_frame_equal(_compute(view.posts(["post_id"])).reset_index(drop=True),
                                  source.posts(["post_id"], *WINDOW))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_arrow_and_batches_equal_local(layout, local, memory):
    source, corpus = local[layout], open_corpus(memory[layout])
    assert corpus.arrow("posts", ["post_id", "text"], *WINDOW).equals(
        source.arrow("posts", ["post_id", "text"], *WINDOW))
    batches = list(corpus.iter_batches("posts", ["post_id", "text"], batch_size=500))
    assert len(batches) > 1
    pd.testing.assert_frame_equal(pd.concat(batches, ignore_index=True), source.posts(["post_id", "text"]))


@pytest.mark.parametrize("engine", ["pandas", "dask"])
@pytest.mark.parametrize("kind", ["memory", "file"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_metrics_equal_local(layout, kind, engine, local, memory, reference):
    options = {"scheduler": "synchronous"} if engine == "dask" else {}
    corpus = open_corpus(_url(kind, layout, local, memory), engine=engine, **options)
    expected = reference[layout]
    got = participation.summary(corpus, replicates=100)
    assert got.posts_total == local[layout].manifest["tables"]["posts"]["rows"] == 2_000
    pd.testing.assert_frame_equal(got.to_frame(), expected["participation"].to_frame())
    assert got.super_users == expected["participation"].super_users
    got = reciprocity.summary(corpus)
    assert got.to_frame().shape[0] > 0
    pd.testing.assert_frame_equal(got.to_frame(), expected["reciprocity"].to_frame())
    pd.testing.assert_frame_equal(peerscope.describe(corpus).to_frame(), expected["describe"])


def test_no_folder_is_listed(memory, monkeypatch):
    """Opening and reading touch only corpus.json and the files it lists: an object
    store's credentials may forbid listing, and a bucket may be too large to list."""
    def refuse(self, path, *args, **kwargs):
        raise AssertionError(f"listed {path}")

    for method in ("ls", "find", "glob", "walk"):
        monkeypatch.setattr(MemoryFileSystem, method, refuse)
    corpus = open_corpus(memory["month"])
    assert len(corpus.posts()) == 2_000
    dask_corpus = open_corpus(memory["month"], engine="dask", scheduler="synchronous")
    assert len(dask_corpus.events(["member_id"]).compute()) == corpus.manifest["tables"]["events"]["rows"]


def test_dask_workers_read_through_the_file_system(local):
    """Worker processes of a cluster get the corpus's fsspec file system (a ``local://``
    URL goes through fsspec like ``s3://``, and unlike ``memory://`` other processes see it)."""
    distributed = pytest.importorskip("distributed")
    url = "local://" + Path(local["month"].path).as_posix()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
    try:
        with distributed.Client(cluster) as client:
            corpus = open_corpus(url, engine="dask", scheduler=client)
            assert isinstance(corpus.path, RemoteFolder)
            counts = corpus.posts(["author_id"], *WINDOW).groupby("author_id").size().compute()
    finally:
        cluster.close()
        scheduler.reset()
    expected = local["month"].posts(["author_id"], *WINDOW).groupby("author_id").size()
    pd.testing.assert_series_equal(counts.sort_index(), expected.sort_index(), check_names=False)


# -- quarantine, saving and what stays local ----------------------------------------------

@pytest.fixture
def quarantined(tiny_frames, tmp_path):
    """A saved corpus with one post in the quarantine, copied to memory://."""
    posts, members, events = tiny_frames
    posts = pd.concat([posts, posts.iloc[[0]]], ignore_index=True)     # p1 twice
    corpus = Corpus.from_frames(posts, members, events, name="tiny", repair=True).save(tmp_path / "tiny")
    fs, url = fsspec.filesystem("memory"), f"memory://peerscope-{uuid.uuid4().hex}"
    fs.put(str(tmp_path / "tiny"), url, recursive=True)
    yield corpus, url
    fs.rm(url, recursive=True)


def test_quarantine_reads_and_saves_locally(quarantined, tmp_path):
    local, url = quarantined
    corpus = open_corpus(url)
    assert len(corpus.quarantine("posts")) == 1
    pd.testing.assert_frame_equal(corpus.quarantine("posts"), local.quarantine("posts"))
    copy = corpus.save(tmp_path / "copy", partition="month")
    assert isinstance(copy.path, Path) and copy.layout["posts"] == "month"
    pd.testing.assert_frame_equal(copy.posts("all"), local.posts("all"))
    pd.testing.assert_frame_equal(copy.quarantine("posts"), local.quarantine("posts"))


def test_writing_to_a_url_is_refused(quarantined):
    local, url = quarantined
    corpus = open_corpus(url)
    with pytest.raises(errors.PeerscopeError, match="saving a corpus needs a local folder"):
        corpus.save("memory://elsewhere")
    with pytest.raises(errors.PeerscopeError, match="writing a corpus needs a local folder"):
        CorpusWriter("s3://bucket/forum")
    with pytest.raises(errors.PeerscopeError, match="validate_saved needs a local folder"):
        validate_saved(url)
    with pytest.raises(errors.PeerscopeError, match="not in a local folder"):
        Path(corpus.path) / "cache"                  # what writing beside a corpus does
    assert validate_saved(Path(local.path).as_uri()) == validate_saved(local.path)


def test_bag_of_words_of_a_remote_corpus_is_not_cached(quarantined, tmp_path, monkeypatch):
    local, url = quarantined
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    monkeypatch.chdir(workdir)                       # a URL taken for a path would become a folder here
    remote = bag_of_words(open_corpus(url), min_df=1, max_df=1.0)
    expected = bag_of_words(local, min_df=1, max_df=1.0, cache=False)
    assert remote.terms == expected.terms and len(remote.terms) > 5
    assert (remote.matrix() != expected.matrix()).nnz == 0
    fs = fsspec.filesystem("memory")
    assert not fs.exists(url.removeprefix("memory://") + "/cache")
    assert list(workdir.iterdir()) == []


# -- errors ---------------------------------------------------------------------------------

def test_a_url_without_corpus_json_is_not_a_corpus():
    with pytest.raises(errors.CorpusNotFoundError, match=r"memory://no-such-corpus: not a peerscope corpus"):
        open_corpus("memory://no-such-corpus")
    with pytest.raises(errors.CorpusNotFoundError):
        open_corpus("memory://no-such-corpus", engine="dask", scheduler="synchronous")


@pytest.mark.parametrize("layout, missing", [("month", "posts/2022-03.parquet"),
                                             ("month", "events/_common_metadata"),
                                             ("flat", "events.parquet")])
def test_a_missing_listed_file_is_named(layout, missing, local):
    fs, url = fsspec.filesystem("memory"), f"memory://peerscope-{uuid.uuid4().hex}"
    fs.put(str(local[layout].path), url, recursive=True)
    fs.rm(f"{url}/{missing}")
    try:
        with pytest.raises(errors.ManifestError, match=f"{url}: file\\(s\\) \\['{missing}'\\] listed in "
                                                       "corpus.json are missing"):
            open_corpus(url)
    finally:
        fs.rm(url, recursive=True)


def test_a_broken_manifest_names_the_url():
    fs, url = fsspec.filesystem("memory"), f"memory://peerscope-{uuid.uuid4().hex}"
    fs.pipe(f"{url}/corpus.json", b"{not json")
    try:
        with pytest.raises(errors.ManifestError, match=f"{url}/corpus.json: cannot read the manifest"):
            open_corpus(url)
    finally:
        fs.rm(url, recursive=True)


def test_file_system_problems_are_peerscope_errors(local, monkeypatch):
    with pytest.raises(errors.PeerscopeError, match="no-such-protocol://x: cannot open its file system"):
        open_corpus("no-such-protocol://x")
    if importlib.util.find_spec("s3fs") is None:                 # a backend not installed
        with pytest.raises(errors.PeerscopeError, match="s3://bucket/forum: cannot open its file system: Install s3fs"):
            open_corpus("s3://bucket/forum", storage_options={"anon": True})
    with pytest.raises(errors.PeerscopeError, match="cannot open its file system: /missing.zip"):
        open_corpus("zip://forum::memory://missing.zip")
    with pytest.raises(errors.PeerscopeError, match="storage_options apply only to a corpus opened from a URL"):
        open_corpus(local["flat"].path, storage_options={"anon": True})
    monkeypatch.setitem(sys.modules, "fsspec", None)         # as if fsspec were not installed
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    with pytest.raises(errors.PeerscopeError, match=r"needs fsspec: pip install 'peerscope\[remote\]'"):
        open_corpus("s3://bucket/forum")
    # local paths never go through fsspec
    assert np.array_equal(open_corpus(local["flat"].path).posts(["post_id"])["post_id"],
                          local["flat"].posts(["post_id"])["post_id"])


# -- the command line ---------------------------------------------------------------------

def test_the_cli_describes_and_repartitions_a_corpus_at_a_url(local, memory, tmp_path):
    from click.testing import CliRunner

    from peerscope.cli.commands import cli

    runner = CliRunner()
    from_url = runner.invoke(cli, ["describe", memory["month"], "--format", "csv"])
    from_folder = runner.invoke(cli, ["describe", str(local["month"].path), "--format", "csv"])
    assert from_url.exit_code == 0, from_url.output
    assert from_url.output == from_folder.output and "posts" in from_url.output
    done = runner.invoke(cli, ["repartition", memory["month"], str(tmp_path / "flat"), "--by", "none"])
    assert done.exit_code == 0, done.output
    copied = open_corpus(tmp_path / "flat")
    assert copied.layout["posts"] is None
    pd.testing.assert_frame_equal(copied.posts(columns=["post_id", "created_at"]),
                                  local["month"].posts(columns=["post_id", "created_at"]))


def test_the_cli_passes_storage_options_and_checks_them(local, memory, monkeypatch):
    from click.testing import CliRunner

    import peerscope
    from peerscope.cli.commands import cli

    seen = {}

    def opened(path, storage_options=None, **kwargs):
        seen["options"] = storage_options
        return open_corpus(path, **kwargs)

    monkeypatch.setattr(peerscope.corpus, "open_corpus", opened)
    runner = CliRunner()
    done = runner.invoke(cli, ["describe", memory["flat"], "--storage-option", "anon=true",
                               "--storage-option", "endpoint_url=http://minio:9000"])
    assert done.exit_code == 0, done.output
    assert seen["options"] == {"anon": True, "endpoint_url": "http://minio:9000"}
    local_folder = runner.invoke(cli, ["describe", str(local["flat"].path), "--storage-option", "anon=true"])
    assert local_folder.exit_code == 2 and "only to a corpus read from a URL" in local_folder.output
    no_value = runner.invoke(cli, ["describe", memory["flat"], "--storage-option", "anon"])
    assert no_value.exit_code == 2 and "expected KEY=VALUE" in no_value.output
    missing = runner.invoke(cli, ["describe", "memory://no-such-corpus"])
    assert missing.exit_code == 2 and "not a peerscope corpus" in missing.stderr
