"""Privacy on import: pseudonymous member ids and text without contact details.

Posts about distress are sensitive even when public (docs/concepts.md, "Ethics of
the data").  :func:`pseudonymise_ids` replaces every member id with a keyed
hash (HMAC-SHA256 with a secret salt): the same person gets the same
pseudonym in every table and in every import made with the same salt, and
without the salt the mapping cannot be recomputed.  The salt is never stored.
:func:`scrub_pii` removes e-mail addresses, URLs, phone numbers and @handles
from text.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import pandas as pd

#: Member-id columns of each table: the columns pseudonymisation rewrites.
MEMBER_ID_COLUMNS = {
    "posts": ("author_id",),
    "members": ("member_id",),
    "events": ("member_id",),
    "newsletter_items": ("author_id",),
}

#: Placeholders that replace each kind of personal detail.
PII_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("[email]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("[email]", re.compile(r"\b[\w.+-]+ at [\w-]+(?:\.[\w-]+)+\b")),  # pipermail's "user at domain"
    ("[url]", re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)),
    ("[phone]", re.compile(r"(?<![\w-])\+?\d[\d ().-]{7,}\d(?![\w-])")),
    ("[user]", re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{2,30}\b|\bu/[A-Za-z0-9_-]{3,20}\b")),
)


def pseudonym(member_id: str, salt: str) -> str:
    """The pseudonym of one id: ``"p_"`` + the first 16 hex digits of HMAC-SHA256(salt, id).

    Parameters
    ----------
    member_id : str
    salt : str
        The secret key.

    Returns
    -------
    str

    Examples
    --------
    >>> pseudonym("ann", "secret") == pseudonym("ann", "secret") != pseudonym("ann", "other")
    True
    """
    digest = hmac.new(salt.encode("utf-8"), member_id.encode("utf-8"), hashlib.sha256)
    return "p_" + digest.hexdigest()[:16]


def pseudonymise_ids(frames: dict[str, pd.DataFrame | None], salt: str) -> dict[str, pd.DataFrame | None]:
    """Replace member ids in every table with their keyed pseudonyms.

    Parameters
    ----------
    frames : dict
        Table name -> DataFrame (or None).
    salt : str
        The secret key; keep it outside the corpus (it is never stored).

    Returns
    -------
    dict
        New frames; the inputs are not modified.

    Raises
    ------
    ValueError
        When ``salt`` is empty.

    Examples
    --------
    The same person gets the same pseudonym in every table:

    >>> import pandas as pd
    >>> posts = pd.DataFrame({"post_id": ["p1"], "author_id": ["ann"]})
    >>> members = pd.DataFrame({"member_id": ["ann", "bob"]})
    >>> out = pseudonymise_ids({"posts": posts, "members": members, "events": None}, "secret")
    >>> out["posts"]["author_id"][0] == out["members"]["member_id"][0] == pseudonym("ann", "secret")
    True
    >>> out["events"] is None, posts["author_id"][0]
    (True, 'ann')
    """
    if not salt:
        raise ValueError("pseudonymisation needs a non-empty salt")
    ids = pd.concat([frame[col].dropna().astype("str")
                     for name, frame in frames.items() if frame is not None
                     for col in MEMBER_ID_COLUMNS.get(name, ()) if col in frame.columns],
                    ignore_index=True)
    mapping = {value: pseudonym(value, salt) for value in pd.unique(ids)}
    result = {}
    for name, frame in frames.items():
        if frame is None:
            result[name] = None
            continue
        frame = frame.copy()
        for col in MEMBER_ID_COLUMNS.get(name, ()):
            if col in frame.columns:
                values = frame[col]
                frame[col] = values.astype("str").map(mapping).where(values.notna(), None)
        result[name] = frame
    return result


def scrub_pii(text: pd.Series) -> pd.Series:
    """Replace e-mail addresses, URLs, phone numbers and @handles with placeholders.

    Parameters
    ----------
    text : pandas.Series
        Texts (nulls stay null).

    Returns
    -------
    pandas.Series

    Examples
    --------
    >>> scrub_pii(pd.Series(["mail me at ann@example.org or call +44 20 7946 0958",
    ...                      "see https://example.org/x thanks @bob"])).tolist()
    ['mail me at [email] or call [phone]', 'see [url] thanks [user]']
    """
    result = text
    for placeholder, pattern in PII_PATTERNS:
        result = result.str.replace(pattern, placeholder, regex=True)
    return result
