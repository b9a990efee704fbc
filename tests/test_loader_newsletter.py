"""The newsletter loader: issues as md, html, txt files and as mbox messages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerscope.errors import PeerscopeError, SourceError
from peerscope.loaders.newsletter import newsletter
from peerscope.privacy import pseudonym

MARKDOWN = """---
title: Peer Voices
---
# Peer Voices, March 2024

## Walking helps me
by Ann Lee

I started walking every morning.

## Notices
by the Editors

The AGM is on Friday.

## A poem
— Bob  Smith

Morning comes
"""

HTML = """<html><body><h1>Peer Voices</h1>
<h2>What groups gave me</h2><p>I found people who understood.</p><p>by Cat Jones</p>
<h2>Dates for your diary</h2><p>Group meets on Tuesdays &amp; Thursdays.</p>
</body></html>
"""

TEXT = """May 2024

Finding my voice
================
I was afraid to speak at first.
-- Dan Brown

***

Letters page

Thank you all for the cards.
"""


def _issues(folder: Path) -> Path:
    folder.mkdir()
    (folder / "2024-03.md").write_text(MARKDOWN, encoding="utf-8")
    (folder / "2024-04-15-issue-12.html").write_text(HTML, encoding="utf-8")
    (folder / "spring-special.txt").write_text(TEXT, encoding="utf-8")
    return folder


def test_folder_of_issues(tmp_path):
    corpus = newsletter(_issues(tmp_path / "peer-voices"))
    items = corpus.newsletter_items(columns="all")
    assert len(corpus.posts()) == 0 and list(corpus.posts(columns="all").columns)[:6] == [
        "post_id", "thread_id", "parent_id", "author_id", "created_at", "text"]
    assert set(items["newsletter"]) == {"peer-voices"}
    issues = items.groupby("issue_id")["published_at"].first().to_dict()
    assert issues == {"2024-03": pd.Timestamp("2024-03-01", tz="UTC"),
                      "2024-04-15-issue-12": pd.Timestamp("2024-04-15", tz="UTC"),
                      "spring-special": pd.Timestamp("2024-05-01", tz="UTC")}
    by_title = items.set_index("title")
    assert items.groupby("issue_id").size().to_dict() == {
        "2024-03": 3, "2024-04-15-issue-12": 2, "spring-special": 2}
    assert by_title.loc["Walking helps me", "author_id"] == "Ann Lee"
    assert by_title.loc["Walking helps me", "text"] == "I started walking every morning."
    assert pd.isna(by_title.loc["Notices", "author_id"])           # staff
    assert by_title.loc["A poem", "author_id"] == "Bob Smith"
    assert by_title.loc["What groups gave me", "author_id"] == "Cat Jones"
    assert by_title.loc["Dates for your diary", "text"] == "Group meets on Tuesdays & Thursdays."
    assert by_title.loc["Finding my voice", "author_id"] == "Dan Brown"
    assert pd.isna(by_title.loc["Letters page", "author_id"])      # unknown
    assert items["item_id"].is_unique and "2024-03#1" in set(items["item_id"])
    assert corpus.manifest["accounting"]["newsletter_items"]["rows_kept"] == 7


def test_issue_pattern_staff_and_privacy(tmp_path):
    folder = tmp_path / "nl"
    folder.mkdir()
    (folder / "issue-7-(2023_11_02).md").write_text(MARKDOWN, encoding="utf-8")
    corpus = newsletter(folder, issue_pattern=r"issue-(?P<issue>\d+)-\((?P<date>[\d_]+)\)",
                        staff=["Ann Lee"], newsletter="PV", pseudonymise="a long secret salt")
    items = corpus.newsletter_items(columns="all")
    assert set(items["issue_id"]) == {"7"} and set(items["newsletter"]) == {"PV"}
    # the pattern's date "2023_11_02" is not a date: the first line's "March 2024" is used
    assert set(items["published_at"]) == {pd.Timestamp("2024-03-01", tz="UTC")}
    authors = items.set_index("title")["author_id"]
    assert pd.isna(authors["Walking helps me"]) and authors["A poem"].startswith("p_")


def test_issue_without_date(tmp_path):
    folder = tmp_path / "nl"
    folder.mkdir()
    (folder / "special.txt").write_text("Hello\n\nNo date anywhere.\n\n---\nbye\n", encoding="utf-8")
    (folder / "2024-01.md").write_text("## One\nText\n", encoding="utf-8")
    with pytest.raises(SourceError, match="no issue date") as caught:
        newsletter(folder)
    assert caught.value.path.endswith("special.txt")
    corpus = newsletter(folder, repair=True)
    account = corpus.manifest["accounting"]["newsletter_items"]
    assert account["skipped_reasons"] == {"no issue date": 2} and account["rows_kept"] == 1
    with pytest.raises(SourceError):
        newsletter(tmp_path / "missing")


def test_mbox_of_issues(tmp_path):
    body = MARKDOWN.split("---\n", 2)[2]
    message = ("From editor@pv.org  Mon Mar  4 09:00:00 2024\nFrom: editor@pv.org\n"
               "Date: Mon, 4 Mar 2024 09:00:00 +0000\nSubject: Peer Voices March\n"
               "Message-ID: <issue-3@pv.org>\n\n" + body + "\n")
    second = ("From editor@pv.org  Mon Apr  1 09:00:00 2024\nFrom: editor@pv.org\n"
              "Date: Mon, 1 Apr 2024 09:00:00 +0000\nSubject: Peer Voices April\n"
              "Message-ID: <issue-4@pv.org>\n\n" + TEXT.replace("May 2024\n\n", "") + "\n")
    path = tmp_path / "pv.mbox"
    path.write_text(message + "\n" + second, encoding="utf-8")
    items = newsletter(path).newsletter_items(columns="all")
    assert items.groupby("issue_id").size().to_dict() == {"<issue-3@pv.org>": 3, "<issue-4@pv.org>": 2}
    assert set(items["published_at"]) == {pd.Timestamp("2024-03-04 09:00", tz="UTC"),
                                          pd.Timestamp("2024-04-01 09:00", tz="UTC")}
    assert set(items["author_id"].dropna()) == {"Ann Lee", "Bob Smith", "Dan Brown"}
    assert set(items["newsletter"]) == {"pv"}


def test_pseudonymise_hides_the_message_ids_of_mailed_issues(tmp_path):
    salt = "a long secret salt"
    message = ("From editor@pv.org  Mon Mar  4 09:00:00 2024\nFrom: Ann Lee <ann.lee@pv.org>\n"
               "Date: Mon, 4 Mar 2024 09:00:00 +0000\nSubject: Peer Voices March\n"
               "Message-ID: <20240304.ann.lee@mail.pv.org>\n\n" + MARKDOWN.split("---\n", 2)[2] + "\n")
    path = tmp_path / "pv.mbox"
    path.write_text(message, encoding="utf-8")
    items = newsletter(path, pseudonymise=salt, scrub_pii=True).newsletter_items(columns="all")
    hidden = pseudonym("<20240304.ann.lee@mail.pv.org>", salt)
    assert set(items["issue_id"]) == {hidden}
    assert items["item_id"].tolist() == [f"{hidden}#{n}" for n in range(1, len(items) + 1)]
    for column in ("item_id", "issue_id", "author_id"):
        assert not items[column].dropna().str.contains("pv.org|ann", regex=True).any(), column


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300), suffix=st.sampled_from([".md", ".txt", ".html"]))
def test_fuzzed_issues_raise_only_peerscope_errors(tmp_path_factory, text, suffix):
    folder = tmp_path_factory.mktemp("nl")
    (folder / f"2024-02{suffix}").write_bytes((text + "\n" + MARKDOWN).encode("utf-8", "surrogatepass"))
    try:
        corpus = newsletter(folder)
    except PeerscopeError:
        return
    items = corpus.newsletter_items(columns="all")
    assert (items["published_at"] == pd.Timestamp("2024-02-01", tz="UTC")).all()


def test_an_issue_of_masthead_only_is_counted(tmp_path):
    (tmp_path / "2024-03.md").write_text(MARKDOWN)
    items = len(newsletter(tmp_path).newsletter_items())
    (tmp_path / "2024-04.txt").write_text("Peer Voices, April 2024\n")   # a masthead, no item
    corpus = newsletter(tmp_path)
    account = corpus.manifest["accounting"]["newsletter_items"]
    assert account["rows_kept"] == items
    assert account["skipped_reasons"] == {"issue without items (masthead or title only)": 1}
    assert account["rows_read"] == account["rows_kept"] + account["rows_skipped"] \
        + account.get("rows_quarantined", 0) == items + 1


@pytest.mark.parametrize("pattern", ["(?P<date>[", "(?P<date>x)(?P<date>y)", "a{2,1}", "*"])
def test_a_bad_issue_pattern_names_the_option_and_the_error(tmp_path, pattern):
    (tmp_path / "2024-03.md").write_text(MARKDOWN)
    with pytest.raises(PeerscopeError, match=r"issue_pattern .* is not a valid regular expression: \w"):
        newsletter(tmp_path, issue_pattern=pattern)


def test_a_mailed_issue_dated_year_0001_is_not_2001(tmp_path):
    box = tmp_path / "issues.mbox"
    box.write_text("From ed@example.org Mon Jan  1 10:00:00 2001\nFrom: ed@example.org\n"
                   "Subject: Issue 1\nDate: Mon, 1 Jan 0001 10:00:00 +0000\nMessage-ID: <i1@x>\n\n"
                   "## Hello\nby Ann\n\nText\n")
    with pytest.raises(SourceError, match="no issue date"):
        newsletter(box)
    corpus = newsletter(box, repair=True)
    assert len(corpus.newsletter_items()) == 0
    assert corpus.manifest["accounting"]["newsletter_items"]["skipped_reasons"] == {"no issue date": 1}
