"""peerscope.datasets.fetch against a local HTTP server in a thread (no internet).

The server serves bytes from a dict, honours ``Range`` (unless told not to),
can break a response off half way, and records every request, so that each
test can say exactly which requests a call made.
"""

from __future__ import annotations

import hashlib
import http.server
import importlib
import threading

import pytest

from peerscope.errors import PeerscopeError

fetching = importlib.import_module("peerscope.datasets.fetch")

PAYLOAD = bytes(range(256)) * 4_000  # 1,024,000 bytes: several read chunks
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server calls)
        server = self.server
        server.requests.append((self.path, self.headers.get("Range")))
        body = server.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        start = 0
        ranged = self.headers.get("Range")
        if ranged and server.ranges:
            start = int(ranged.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_error(416, "Range Not Satisfiable")
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        rest = body[start:]
        self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        if server.break_after is not None:
            self.wfile.write(rest[:server.break_after])
            server.break_after = None  # only the first response breaks off
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(rest)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.files = {"/data/posts.bin": PAYLOAD}
    httpd.requests = []
    httpd.ranges = True
    httpd.break_after = None
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _register(monkeypatch, server, *, size=len(PAYLOAD), sha256=DIGEST, path="/data/posts.bin"):
    entry = fetching.Source("test/posts", server.url + path, "test/posts.bin", "CC0", "test bytes",
                            server.url, size=size, sha256=sha256)
    monkeypatch.setitem(fetching.SOURCES, "test/posts", entry)
    return entry


def test_fresh_download_is_verified_and_moved_into_the_cache(server, monkeypatch, tmp_path):
    _register(monkeypatch, server)
    path = fetching.fetch("test/posts", cache_dir=tmp_path, progress=False)
    assert path == tmp_path / "test" / "posts.bin"
    assert path.read_bytes() == PAYLOAD
    assert not path.with_name("posts.bin.part").exists()
    assert server.requests == [("/data/posts.bin", None)]


def test_the_package_exports_fetch_and_a_cache_hit_makes_no_request(server, monkeypatch, tmp_path):
    from peerscope import datasets

    _register(monkeypatch, server)
    first = datasets.fetch("test/posts", cache_dir=tmp_path, progress=False)
    second = datasets.fetch("test/posts", cache_dir=tmp_path, progress=False)
    assert first == second and len(server.requests) == 1
    server.files.clear()  # even a server that lost the file is not asked again
    assert datasets.fetch("test/posts", cache_dir=tmp_path, progress=False).read_bytes() == PAYLOAD
    assert len(server.requests) == 1


def test_resume_from_a_partial_file_asks_only_for_the_rest(server, monkeypatch, tmp_path):
    _register(monkeypatch, server)
    part = tmp_path / "test" / "posts.bin.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD[:300_000])
    path = fetching.fetch("test/posts", cache_dir=tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [("/data/posts.bin", "bytes=300000-")]
    assert not part.exists()


def test_a_download_that_breaks_off_keeps_its_bytes_and_the_next_call_resumes(server, monkeypatch, tmp_path):
    _register(monkeypatch, server, size=None)  # size from the server's Content-Length
    server.break_after = 400_000
    with pytest.raises(PeerscopeError, match="broke off.*call fetch again to resume"):
        fetching.fetch("test/posts", cache_dir=tmp_path, progress=False)
    part = tmp_path / "test" / "posts.bin.part"
    assert part.read_bytes() == PAYLOAD[:400_000]
    path = fetching.fetch("test/posts", cache_dir=tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [("/data/posts.bin", None), ("/data/posts.bin", "bytes=400000-")]


def test_a_server_that_ignores_range_gives_a_fresh_whole_file(server, monkeypatch, tmp_path):
    _register(monkeypatch, server)
    server.ranges = False
    part = tmp_path / "test" / "posts.bin.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 1000)  # not even the right bytes: overwritten, not appended to
    assert fetching.fetch("test/posts", cache_dir=tmp_path, progress=False).read_bytes() == PAYLOAD


def test_hash_mismatch_is_an_error_and_leaves_no_file(server, monkeypatch, tmp_path):
    _register(monkeypatch, server, sha256="0" * 64)
    with pytest.raises(PeerscopeError, match=f"SHA-256 {DIGEST} is not the expected 0{{64}}"):
        fetching.fetch("test/posts", cache_dir=tmp_path, progress=False)
    assert list((tmp_path / "test").iterdir()) == []


def test_size_mismatch_is_an_error(server, monkeypatch, tmp_path):
    _register(monkeypatch, server, size=len(PAYLOAD) - 1, sha256=None)
    with pytest.raises(PeerscopeError, match="got 1,024,000 bytes, expected 1,023,999.*deleted"):
        fetching.fetch("test/posts", cache_dir=tmp_path, progress=False)
    assert list((tmp_path / "test").iterdir()) == []


def test_http_errors_and_unreachable_servers_are_peerscope_errors(server, monkeypatch, tmp_path):
    _register(monkeypatch, server, path="/missing.bin")
    with pytest.raises(PeerscopeError, match="answered HTTP 404"):
        fetching.fetch("test/posts", cache_dir=tmp_path, progress=False)
    server.shutdown()
    server.server_close()
    _register(monkeypatch, server)
    with pytest.raises(PeerscopeError, match="cannot reach"):
        fetching.fetch("test/posts", cache_dir=tmp_path, progress=False)


def test_the_cache_folder_defaults_to_peerscope_cache(server, monkeypatch, tmp_path):
    _register(monkeypatch, server)
    monkeypatch.setenv("PEERSCOPE_CACHE", str(tmp_path / "env-cache"))
    assert fetching.fetch("test/posts", progress=False) == tmp_path / "env-cache" / "test" / "posts.bin"
    monkeypatch.delenv("PEERSCOPE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if fetching.sys.platform not in ("win32", "darwin"):
        assert fetching.cache_folder() == tmp_path / "xdg" / "peerscope"


def test_progress_bar_counts_the_bytes(server, monkeypatch, tmp_path):
    seen = {}

    class Bar:
        def __init__(self, **kw):
            seen.update(kw, n=kw["initial"])

        def update(self, n):
            seen["n"] += n

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(fetching, "tqdm", Bar)
    _register(monkeypatch, server)
    fetching.fetch("test/posts", cache_dir=tmp_path, progress=True)
    assert (seen["total"], seen["n"], seen["disable"], seen["unit"]) == (len(PAYLOAD), len(PAYLOAD), False, "B")


def test_registry_families_and_unknown_names():
    se = fetching.source("stackexchange/health")
    assert se.url == "https://archive.org/download/stackexchange/health.stackexchange.com.7z"
    assert se.sha256 is None and "only" in se.note and "CC BY-SA" in se.licence
    assert fetching.source("convokit/reddit-corpus-small").url == \
        "https://zissou.infosci.cornell.edu/convokit/datasets/subreddit-corpus/reddit-corpus-small.corpus.zip"
    for entry in fetching.SOURCES.values():
        assert entry.licence and entry.url.startswith("https://")
        # a hash is never invented: an entry without one says why
        assert entry.sha256 is not None or "SHA-256" in entry.note
    with pytest.raises(PeerscopeError, match="no public source named 'nope'.*stackexchange/<site>"):
        fetching.source("nope")
    with pytest.raises(PeerscopeError, match="split"):
        fetching.source("stackexchange/stackoverflow")


def test_a_subreddit_is_found_through_convokits_groupings(server, monkeypatch, tmp_path):
    groupings = b"a~-~cooking\ndepressed~-~dogs\n"
    server.files["/convokit/subreddit-corpus/subreddit-groupings.txt"] = groupings
    server.files["/convokit/subreddit-corpus/corpus-zipped/depressed~-~dogs/depression.corpus.zip"] = PAYLOAD
    monkeypatch.setattr(fetching, "CONVOKIT_BASE", server.url + "/convokit/")
    path = fetching.fetch("convokit/subreddit-depression", cache_dir=tmp_path, progress=False)
    assert path == tmp_path / "convokit" / "subreddit-depression.corpus.zip" and path.read_bytes() == PAYLOAD
    assert (tmp_path / "convokit" / "subreddit-groupings.txt").read_bytes() == groupings
    with pytest.raises(PeerscopeError, match="no folder for r/zebra"):
        fetching.fetch("convokit/subreddit-zebra", cache_dir=tmp_path, progress=False)
    assert len(server.requests) == 2  # the groupings were read from the cache the second time


def test_a_server_file_shorter_than_the_registry_says_is_deleted_not_resumed_forever(server, monkeypatch,
                                                                                       tmp_path):
    _register(monkeypatch, server, size=len(PAYLOAD) + 10, sha256=None)
    with pytest.raises(PeerscopeError, match="got 1,024,000 bytes, expected 1,024,010.*not the one the registry"):
        fetching.fetch("test/posts", cache_dir=tmp_path, progress=False)
    assert list((tmp_path / "test").iterdir()) == []
