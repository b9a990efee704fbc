"""The Stack Exchange dump loader: real dump, small fixtures, malformed XML, fuzzing."""

from __future__ import annotations

import html
import importlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerscope.errors import PeerscopeError, SourceError
from peerscope.loaders.stackexchange import stackexchange

DUMP = "stackexchange-quantumcomputing-2018"


def _rows(path: Path) -> list[dict]:
    return [row.attrib for row in ET.parse(path).getroot() if row.tag == "row"]


@pytest.fixture(scope="module")
def real(shared_data):
    folder = shared_data / DUMP
    return folder, stackexchange(folder)


def test_real_dump_counts_match_the_raw_xml(real):
    folder, corpus = real
    users, posts, comments = (_rows(folder / f"{n}.xml") for n in ("Users", "Posts", "Comments"))
    types = pd.Series([int(p["PostTypeId"]) for p in posts])
    kept_ids = {p["Id"] for p in posts if p["PostTypeId"] in ("1", "2")}
    skipped_ids = {p["Id"] for p in posts if p["PostTypeId"] not in ("1", "2")}
    n_questions, n_answers = int((types == 1).sum()), int((types == 2).sum())
    assert (len(users), len(comments)) == (3_461, 3_413)
    assert (n_questions, n_answers) == (612, 1_060)

    tables = corpus.posts(columns="all")
    assert tables["kind"].value_counts().to_dict() == {
        "comment": sum(c["PostId"] in kept_ids for c in comments),
        "answer": n_answers, "question": n_questions}
    members = corpus.members()
    assert len(members) == len(users)
    assert set(members.loc[members["role"] == "bot", "member_id"]) == {
        u["Id"] for u in users if u["Id"] == "-1"} == {"-1"}

    account = corpus.manifest["accounting"]["posts"]
    assert account["skipped_reasons"] == {"tag wiki": int((types == 5).sum()),
                                          "tag wiki excerpt": int((types == 4).sum())}
    assert sum(c["PostId"] in skipped_ids for c in comments) == 0  # no comment on tag wikis here
    assert account["rows_read"] == len(posts) + len(comments)
    assert account["rows_kept"] == len(tables) == n_questions + n_answers + len(comments)
    assert corpus.manifest["provenance"]["parameters"]["assume_tz"] == "UTC"


def test_real_dump_keeps_views_threads_and_unknown_authors(real):
    folder, corpus = real
    users = {u["Id"]: u for u in _rows(folder / "Users.xml")}
    posts = {p["Id"]: p for p in _rows(folder / "Posts.xml")}
    members = corpus.members().set_index("member_id")
    assert members["views"].to_dict() == {k: int(u["Views"]) for k, u in users.items()}
    assert members.loc["1", "reputation"] == int(users["1"]["Reputation"])

    table = corpus.posts(columns="all").set_index("post_id")
    questions = table[table["kind"] == "question"]
    assert questions["views"].to_dict() == {k: int(posts[k]["ViewCount"]) for k in questions.index}
    assert table.loc[table["kind"] != "question", "views"].isna().all()
    answers = table[table["kind"] == "answer"]
    assert (answers["thread_id"] == answers.index.map(lambda k: posts[k]["ParentId"])).all()
    comments = table[table["kind"] == "comment"]
    assert (comments["thread_id"] == table.loc[comments["parent_id"], "thread_id"].to_numpy()).all()
    # deleted accounts: OwnerUserId missing -> null author, and no invented member
    ownerless = {k for k, p in posts.items() if "OwnerUserId" not in p and k in table.index}
    assert ownerless and table.loc[sorted(ownerless), "author_id"].isna().all()
    assert not (members["role"] == "deleted").any()
    first = table.loc["1"]
    assert first["created_at"] == pd.Timestamp(posts["1"]["CreationDate"], tz="UTC")
    assert first["title"] == posts["1"]["Title"] and "<p>" not in first["text"]


def test_real_dump_bodies_are_html_decoded_once(real):
    folder, corpus = real
    posts = [p for p in _rows(folder / "Posts.xml") if p["PostTypeId"] in ("1", "2")]
    # ET undid the XML layer; undo the HTML layer once: drop tags, unescape, trim
    expected = {p["Id"]: html.unescape(re.sub("<[^>]*>", "", p["Body"])).strip() for p in posts}
    with_references = {k for k, p in zip(expected, posts) if "&" in p["Body"]}
    text = corpus.posts(columns="all").set_index("post_id")["text"]
    assert len(with_references) > 100  # many bodies hold references (&amp;, &lt;, ...)
    assert text[list(expected)].to_dict() == expected


def test_streamed_import_equals_in_memory(real, tmp_path):
    folder, corpus = real
    streamed = stackexchange(folder, out=tmp_path / "qc")
    assert streamed.path == tmp_path / "qc"
    assert streamed.manifest["accounting"] == corpus.manifest["accounting"]
    left, right = corpus.posts(columns="all"), streamed.posts(columns="all")
    pd.testing.assert_frame_equal(left, right)
    pd.testing.assert_frame_equal(corpus.members(), streamed.members())


# ---------------------------------------------------------------------------
# Small hand-made dumps
# ---------------------------------------------------------------------------

USERS = """<?xml version="1.0" encoding="utf-8"?>
<users>
  <row Id="-1" CreationDate="2020-01-01T00:00:00.000" Views="0" Reputation="1" />
  <row Id="5" CreationDate="2020-01-02T10:00:00.000" Views="7" Reputation="11" />
</users>
"""
POSTS = """<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="3" PostTypeId="2" ParentId="1" CreationDate="2020-02-01T12:00:00.000" Score="1" Body="&lt;p&gt;answer before its question&lt;/p&gt;" OwnerUserId="5" />
  <row Id="1" PostTypeId="1" CreationDate="2020-02-01T10:00:00.000" Score="2" ViewCount="40" Title="Q" Body="&lt;p&gt;x &amp;amp; y&lt;/p&gt;" OwnerUserId="5" />
  <row Id="2" PostTypeId="5" CreationDate="2020-02-01T10:00:00.000" Score="0" Body="wiki" OwnerUserId="-1" />
  <row Id="4" PostTypeId="2" ParentId="99" CreationDate="2020-02-01T13:00:00.000" Score="0" Body="orphan" OwnerUserId="5" />
  <row Id="6" PostTypeId="2" ParentId="1" CreationDate="2020-02-02T13:00:00.000" Score="0" Body="by a removed account" OwnerUserId="77" />
  <row Id="7" PostTypeId="2" ParentId="1" CreationDate="2020-02-02T14:00:00.000" Score="0" Body="deleted user" OwnerDisplayName="user12" />
</posts>
"""
COMMENTS = """<?xml version="1.0" encoding="utf-8"?>
<comments>
  <row Id="1" PostId="3" Score="0" Text="on the answer" CreationDate="2020-02-01T12:30:00.000" UserId="5" />
  <row Id="2" PostId="2" Score="0" Text="on the wiki" CreationDate="2020-02-01T12:30:00.000" UserId="5" />
  <row Id="3" PostId="4" Score="0" Text="on the orphan" CreationDate="2020-02-01T12:30:00.000" UserId="5" />
  <row Id="4" PostId="500" Score="0" Text="on nothing" CreationDate="2020-02-01T12:30:00.000" UserId="5" />
</comments>
"""


def _dump(folder: Path, users=USERS, posts=POSTS, comments=COMMENTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("Users", users), ("Posts", posts), ("Comments", comments)):
        if text is not None:
            (folder / f"{name}.xml").write_text(text, encoding="utf-8")
    return folder


def test_small_dump_decisions(tmp_path):
    corpus = stackexchange(_dump(tmp_path / "mysite.stackexchange.com"))
    posts = corpus.posts(columns="all").set_index("post_id")
    assert sorted(posts.index) == ["1", "3", "6", "7", "c1"]
    assert posts.loc["3", ["parent_id", "thread_id"]].tolist() == ["1", "1"]  # answer read first
    assert posts.loc["c1", ["parent_id", "thread_id", "kind"]].tolist() == ["3", "1", "comment"]
    assert posts.loc["1", "text"] == "x & y"
    assert pd.isna(posts.loc["7", "author_id"])
    assert set(posts["channel"]) == {"mysite.stackexchange.com"}
    members = corpus.members().set_index("member_id")
    assert members.loc["77", "role"] == "deleted" and members.loc["-1", "role"] == "bot"
    assert corpus.manifest["accounting"]["posts"]["skipped_reasons"] == {
        "tag wiki": 1, "answer to question not in dump": 1, "comment on tag wiki": 1,
        "comment on answer to question not in dump": 1, "comment on post not in dump": 1}
    assert corpus.manifest["accounting"]["members"]["rows_read"] == 3


#: Each Body is HTML escaped once more as an XML attribute.  Post 1's HTML is
#: ``<p>if a &lt; b</p>``; post 2's is ``<p>type &amp;lt; for &lt;</p>``, whose
#: text is "type &lt; for <"; post 3 mixes a named reference with an escaped one.
ESCAPED_POSTS = """<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" CreationDate="2020-02-01T10:00:00.000" Title="a &amp;lt; b?" Body="&lt;p&gt;if a &amp;lt; b&lt;/p&gt;" />
  <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2020-02-01T11:00:00.000" Body="&lt;p&gt;type &amp;amp;lt; for &amp;lt;&lt;/p&gt;" />
  <row Id="3" PostTypeId="2" ParentId="1" CreationDate="2020-02-01T12:00:00.000" Body="&lt;p&gt;caf&amp;eacute; &amp;amp;eacute; &amp;amp;amp; &amp;#233;&lt;/p&gt;" />
</posts>
"""


@pytest.mark.parametrize("out", [False, True])
def test_body_escaping_is_undone_once_per_layer(tmp_path, out):
    folder = _dump(tmp_path / "d", users=None, posts=ESCAPED_POSTS, comments=None)
    bodies = {row["Id"]: row["Body"] for row in _rows(folder / "Posts.xml")}
    assert bodies["2"] == "<p>type &amp;lt; for &lt;</p>"  # the XML layer, undone by the parser
    corpus = stackexchange(folder, out=tmp_path / "out" if out else None)
    posts = corpus.posts(columns="all").set_index("post_id")
    assert posts["text"].to_dict() == {"1": "if a < b", "2": "type &lt; for <",
                                       "3": "caf\u00e9 &eacute; &amp; \u00e9"}
    assert posts.loc["1", "title"] == "a &lt; b?"  # a title is plain text: only the XML layer


def test_without_users_there_is_no_roster(tmp_path):
    corpus = stackexchange(_dump(tmp_path / "d", users=None, comments=None))
    assert not corpus.has_roster and sorted(corpus.posts()["post_id"]) == ["1", "3", "6", "7"]


def test_pseudonymise_and_scrub(tmp_path):
    posts = POSTS.replace("orphan", "mail ann@example.org")
    corpus = stackexchange(_dump(tmp_path / "d", posts=posts.replace('ParentId="99"', 'ParentId="1"')),
                           pseudonymise="a long secret salt", scrub_pii=True)
    table = corpus.posts(columns="all")
    assert table["author_id"].dropna().str.startswith("p_").all()
    assert table["text"].str.contains("[email]", regex=False).any()
    assert not table["text"].str.contains("ann@example.org", regex=False).any()


@pytest.mark.parametrize("posts, line, attribute", [
    (POSTS.replace('Id="1" PostTypeId="1"', 'Id="x1" PostTypeId="1"'), 4, "Id"),
    (POSTS.replace('CreationDate="2020-02-01T13:00:00.000"', 'CreationDate="yesterday"'), 6,
     "CreationDate"),
    (POSTS.replace('ParentId="99" ', ""), 6, "ParentId"),
])
def test_bad_values_name_file_line_and_attribute(tmp_path, posts, line, attribute):
    folder = _dump(tmp_path / "d", posts=posts)
    with pytest.raises(SourceError) as caught:
        stackexchange(folder)
    assert (caught.value.path, caught.value.line, caught.value.column) == (
        str(folder / "Posts.xml"), line, attribute)
    repaired = stackexchange(folder, repair=True)
    assert repaired.manifest["accounting"]["posts"]["skipped_reasons"][f"bad {attribute}"] == 1


def test_truncated_xml_and_entity_bomb_are_source_errors(tmp_path):
    folder = _dump(tmp_path / "t", posts=POSTS[: POSTS.index('<row Id="4"') + 20])
    with pytest.raises(SourceError, match="not well-formed") as caught:
        stackexchange(folder)
    assert caught.value.line == 6
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE posts [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<posts><row Id="1" Body="&b;" /></posts>')
    with pytest.raises(SourceError, match="unsafe"):
        stackexchange(_dump(tmp_path / "b", posts=bomb))
    with pytest.raises(SourceError, match="no Posts.xml"):
        stackexchange(tmp_path / "nothing-here")


def test_streaming_chunks_resolve_threads_across_chunks(tmp_path, monkeypatch):
    module = importlib.import_module("peerscope.loaders.stackexchange")

    monkeypatch.setattr(module, "CHUNK_BYTES", 1)  # one chunk per 1 MB block ...
    monkeypatch.setattr(module, "_READ_BYTES", 64)  # ... of 64 bytes: many tiny chunks
    folder = _dump(tmp_path / "d")
    streamed = stackexchange(folder, out=tmp_path / "out", progress=False)
    memory = stackexchange(folder)
    pd.testing.assert_frame_equal(streamed.posts(columns="all").sort_values("post_id", ignore_index=True),
                                  memory.posts(columns="all").sort_values("post_id", ignore_index=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_dumps_raise_only_peerscope_errors(tmp_path_factory, data):
    raw = POSTS.encode()
    cut = data.draw(st.integers(0, len(raw) - 1))
    mutation = data.draw(st.sampled_from(["delete", "replace", "insert"]))
    chunk = data.draw(st.binary(min_size=1, max_size=6))
    if mutation == "delete":
        raw = raw[:cut] + raw[cut + len(chunk):]
    elif mutation == "replace":
        raw = raw[:cut] + chunk + raw[cut + len(chunk):]
    else:
        raw = raw[:cut] + chunk + raw[cut:]
    folder = _dump(tmp_path_factory.mktemp("fuzz"))
    (folder / "Posts.xml").write_bytes(raw)
    try:
        corpus = stackexchange(folder, repair=data.draw(st.booleans()))
    except PeerscopeError:
        return
    account = corpus.manifest["accounting"]["posts"]
    assert account["rows_read"] == account["rows_kept"] + account["rows_skipped"] + account["rows_quarantined"]
    assert np.all(corpus.posts()["created_at"].notna())


# ---------------------------------------------------------------------------
# Parallel parsing: byte ranges cut at row lines, parsed by worker processes
# ---------------------------------------------------------------------------

@pytest.fixture
def small_ranges(monkeypatch):
    """Cut every file of more than 2 * 64 kB into 64 kB ranges, parsed by two workers."""
    module = importlib.import_module("peerscope.loaders.stackexchange")
    monkeypatch.setattr(module, "RANGE_BYTES", 64 << 10)
    return module


def test_parallel_import_equals_one_process(real, small_ranges, tmp_path):
    folder, corpus = real
    assert (folder / "Posts.xml").stat().st_size > 20 * small_ranges.RANGE_BYTES  # many ranges
    parallel = stackexchange(folder, workers=2)
    assert parallel.manifest["accounting"] == corpus.manifest["accounting"]
    pd.testing.assert_frame_equal(corpus.posts(columns="all"), parallel.posts(columns="all"))
    pd.testing.assert_frame_equal(corpus.members(), parallel.members())
    streamed = stackexchange(folder, out=tmp_path / "qc", workers=2)
    assert streamed.manifest["accounting"] == corpus.manifest["accounting"]
    pd.testing.assert_frame_equal(corpus.posts(columns="all"), streamed.posts(columns="all"))


def _long_posts(n: int, bad_row: int | None = None, comment_from: int | None = None) -> str:
    """A Posts.xml of ``n`` questions, one per line (row i on line i + 3)."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<posts>"]
    for i in range(1, n + 1):
        date = "not a time" if i == bad_row else "2020-02-01T10:00:00.000"
        row = (f'  <row Id="{i}" PostTypeId="1" CreationDate="{date}" Score="1" ViewCount="3" '
               f'Title="q{i}" Body="&lt;p&gt;{"words " * 40}&lt;/p&gt;" OwnerUserId="5" />')
        if i == comment_from:
            lines.append("  <!--")
        lines.append(row)
    if comment_from is not None:
        lines.append("  -->")
    return "\n".join(lines + ["</posts>", ""])


def test_parallel_errors_name_the_exact_line(small_ranges, tmp_path):
    posts = _long_posts(2_000, bad_row=1_700)
    assert len(posts) > 4 * small_ranges.RANGE_BYTES
    folder = _dump(tmp_path / "bad", posts=posts, comments=None)
    for workers in (1, 2):
        with pytest.raises(SourceError) as caught:
            stackexchange(folder, workers=workers)
        assert (caught.value.line, caught.value.column) == (1_700 + 2, "CreationDate")
    repaired = stackexchange(folder, workers=2, repair=True)
    assert repaired.manifest["accounting"]["posts"]["skipped_reasons"] == {"bad CreationDate": 1}
    assert len(repaired.posts()) == 1_999

    truncated = _dump(tmp_path / "cut", posts=_long_posts(2_000)[:-4_000], comments=None)
    with pytest.raises(SourceError) as one:
        stackexchange(truncated, workers=1)
    with pytest.raises(SourceError) as two:
        stackexchange(truncated, workers=2)
    assert "not well-formed" in str(two.value) and two.value.line == one.value.line


def test_rows_inside_a_comment_are_not_split_silently(small_ranges, tmp_path):
    # rows commented out across a range boundary: one process reads the file right;
    # cut at row lines the comment is broken, which must fail loudly, not drop or add rows
    folder = _dump(tmp_path / "c", posts=_long_posts(2_000, comment_from=100), comments=None)
    assert len(stackexchange(folder, workers=1).posts()) == 99
    with pytest.raises(SourceError, match="workers=1"):
        stackexchange(folder, workers=2)
