"""Privacy on import: salts that are checked, pseudonymous ids, text without contact details."""

from __future__ import annotations

import pandas as pd
import pytest

from peerscope import loaders, privacy
from peerscope.errors import PeerscopeError

SALT = "a long secret salt"
FRAME = pd.DataFrame({"id": ["p1", "p2"], "thread": ["p1", "p1"], "parent": [None, "p1"],
                      "user": ["ann", "bob"], "body": ["Cannot sleep", "Same here"],
                      "time": ["2024-01-01T20:00Z", "2024-01-01T21:30Z"]})
MAPPING = {"post_id": "id", "thread_id": "thread", "parent_id": "parent", "author_id": "user",
           "text": "body", "created_at": "time"}


# -- salts -------------------------------------------------------------------------

@pytest.mark.parametrize("salt, message", [
    ("", "salt is empty"),
    ("short", "has 5 characters; use at least 16"),
    ("x" * 15, "has 15 characters"),
    (b"0123456789abcdefghij", "must be a string.*not bytes"),
    (12345678901234567890, "must be a string.*not int"),
])
def test_bad_salts_are_refused_by_every_entry_point(salt, message):
    with pytest.raises(PeerscopeError, match=message):
        privacy.check_salt(salt)
    with pytest.raises(PeerscopeError, match=message):
        loaders.table(FRAME, MAPPING, pseudonymise=salt)
    with pytest.raises(PeerscopeError, match=message):
        privacy.pseudonymise_ids({"posts": FRAME.rename(columns={"user": "author_id"})}, salt)
    with pytest.raises(PeerscopeError, match=message):
        privacy.pseudonym("ann", salt)


def test_an_empty_salt_never_leaves_ids_in_the_clear():
    with pytest.raises(PeerscopeError, match="salt is empty"):
        loaders.table(FRAME, MAPPING, pseudonymise="")
    plain = loaders.table(FRAME, MAPPING, pseudonymise=None).posts()["author_id"].tolist()
    hidden = loaders.table(FRAME, MAPPING, pseudonymise="x" * 16).posts()["author_id"].tolist()
    assert plain == ["ann", "bob"]
    assert hidden == [privacy.pseudonym("ann", "x" * 16), privacy.pseudonym("bob", "x" * 16)]
    assert privacy.MIN_SALT_LENGTH == 16


# -- contact details in text -------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    # bare domains, with or without a path
    ("see example.org/path for more", "see [url] for more"),
    ("join t.me/x now", "join [url] now"),
    ("at forum.example.co.uk/thread?id=3, then", "at [url], then"),
    ("visit Example.ORG.", "visit [url]."),
    # spelled-out addresses
    ("write to name dot lee at gmail dot com please", "write to [email] please"),
    ("ann(at)example(dot)org", "[email]"),
    ("bob [at] mail [dot] co [dot] uk", "[email]"),
    ("jjl at pobox.com (John J. Lee)", "[email] (John J. Lee)"),
    ("reach me at jo.smith at uni.edu.", "reach me at [email]."),
    # handles in any script
    ("thanks @JuanGonzálezSalinas!", "thanks [user]!"),
    ("cc @Zoë_K and u/someone_else", "cc [user] and [user]"),
    # IP addresses are not phone numbers
    ("my IP is 192.168.1.10.", "my IP is [ip]."),
    ("from 10.0.0.1, and fe80::1ff:fe23:4567:890a", "from [ip], and [ip]"),
    ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "[ip]"),
    ("call (555) 123-4567 or 020.7946.0958", "call [phone] or [phone]"),
])
def test_scrub_pii_catches(text, expected):
    assert privacy.scrub_pii(pd.Series([text])).tolist() == [expected]


@pytest.mark.parametrize("text", [
    "see e.g. this, i.e. that", "Dr. Smith and Mrs. Jones", "pi is 3.14159265, cost 12.50",
    "a ratio of 0.123456789 and 1,234,567 people", "version 1.2.3 of Node.js and notes.txt",
    "I was tired.Then I slept", "look at e.g. the notes", "met at St.Mary's",
    "at 10:30:00 on 2024-01-01, from 1999-2004", "posted at 3.30pm", "the dot com bubble",
])
def test_scrub_pii_leaves_ordinary_text(text):
    assert privacy.scrub_pii(pd.Series([text])).tolist() == [text]


def test_scrub_pii_keeps_nulls_and_the_old_cases():
    texts = pd.Series(["mail me at ann@example.org or call +44 20 7946 0958",
                       "see https://example.org/x thanks @bob", None, "write to bob at example.org"])
    scrubbed = privacy.scrub_pii(texts)
    assert pd.isna(scrubbed[2])
    assert scrubbed.drop(2).tolist() == ["mail me at [email] or call [phone]",
                                         "see [url] thanks [user]", "write to [email]"]
