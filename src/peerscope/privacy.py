"""Privacy on import: pseudonymous member ids and text without contact details.

Posts about distress are sensitive even when public (docs/concepts.md, "Ethics of
the data").  :func:`pseudonymise_ids` replaces every member id with a keyed
hash (HMAC-SHA256 with a secret salt): the same person gets the same
pseudonym in every table and in every import made with the same salt, and
without the salt the mapping cannot be recomputed.  The salt is never stored,
and must be a string of at least :data:`MIN_SALT_LENGTH` characters
(:func:`check_salt`).
:func:`scrub_pii` removes e-mail addresses (also spelled out), web addresses
(also bare domains), IP addresses, phone numbers and @handles from text.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import pandas as pd

from peerscope.errors import PeerscopeError

__all__ = ["BARE_DOMAIN_TLDS", "MEMBER_ID_COLUMNS", "MIN_SALT_LENGTH", "PII_PATTERNS",
           "check_salt", "pseudonym", "pseudonymise_ids", "pseudonymise_values", "scrub_pii"]

#: Member-id columns of each table: the columns pseudonymisation rewrites.
MEMBER_ID_COLUMNS = {
    "posts": ("author_id",),
    "members": ("member_id",),
    "events": ("member_id",),
    "newsletter_items": ("author_id",),
}

#: Top-level domains recognised in a bare domain without a scheme
#: (``example.org/path``, ``t.me/x``): common generic ones and country codes.
#: A list, not "any letters", so that "tired.Then", "Node.js" or "notes.txt"
#: are not taken for web addresses.
BARE_DOMAIN_TLDS = (
    "com", "org", "net", "edu", "gov", "mil", "int", "info", "biz", "io", "co", "me", "ly",
    "gl", "gg", "to", "fm", "tv", "app", "dev", "xyz", "online", "site", "blog", "news", "link",
    "eu", "uk", "us", "ca", "au", "nz", "ie", "de", "fr", "es", "it", "nl", "be", "ch", "at",
    "se", "no", "dk", "fi", "pt", "pl", "cz", "gr", "ru", "ua", "in", "jp", "cn", "kr", "br",
    "mx", "ar", "cl", "za", "ng", "ke",
)

_DOT = r"(?:\s*[\(\[](?i:dot)[\)\]]\s*|\s+(?i:dot)\s+|\.)"   # ".", " dot ", "(dot)", "[dot]"
_AT = r"(?:\s*[\(\[](?i:at)[\)\]]\s*|\s+(?i:at)\s+)"        # " at ", "(at)", "[at]"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"

#: Placeholders that replace each kind of personal detail, in the order they
#: are applied (addresses before web addresses, IP addresses before phone
#: numbers, so that neither is read as the other).  A web address does not
#: take the punctuation that ends a sentence or clause ("see t.me/x, then").
PII_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("[email]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    # spelled out: pipermail's "user at domain", "name dot lee at gmail dot com", "ann(at)x(dot)org";
    # the last label must be a known top-level domain or a country code, so neither
    # "look at e.g. this" nor "see me at jo.smith at uni.edu" is taken for an address
    ("[email]", re.compile(rf"\b[\w+-]+(?:{_DOT}[\w+-]+)*{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}"
                           rf"(?i:{'|'.join(BARE_DOMAIN_TLDS)}|name|pro|aero|coop|museum|[a-z]{{2}})\b")),
    ("[url]", re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]*[^\s<>\"')\].,;:!?]", re.IGNORECASE)),
    ("[url]", re.compile(r"(?<![\w.@/-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:"
                         + "|".join(BARE_DOMAIN_TLDS) + r")\b(?![.-]?\w)(?:/(?:[^\s<>\"')\]]*[^\s<>\"')\].,;:!?])?)?",
                         re.IGNORECASE)),
    ("[ip]", re.compile(rf"(?<![\w.-]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w-]|\.\d)")),
    ("[ip]", re.compile(r"(?<![\w:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])"
                        r"|(?<![\w:])(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?(?![\w:])",
                        re.IGNORECASE)),
    ("[phone]", re.compile(r"(?<![\w.(-])(?:\+|\()?\d[\d ().-]{7,}\d(?![\w-]|\.\d)")),
    ("[user]", re.compile(r"(?<![\w@/])@\w{2,50}(?!\w)|\bu/[\w-]{3,20}(?!\w)")),
)

#: What a candidate for a phone number must not be: a decimal number
#: (``3.14159265``), an ISO date (``2024-01-01``) or a span of years (``1999-2004``).
_NOT_A_PHONE = re.compile(r"\d+\.\d+|\d{4}-\d{2}-\d{2}|\d{4}\s*-\s*\d{4}")


def _phone(found: re.Match) -> str:
    return found.group(0) if _NOT_A_PHONE.fullmatch(found.group(0)) else "[phone]"


#: The shortest salt accepted, in characters.  Member ids are often public
#: (user names), so anyone holding one id and its pseudonym can try salts
#: until one reproduces it; 16 random characters put that out of reach.
MIN_SALT_LENGTH = 16


def check_salt(salt) -> str | None:
    """The salt, checked: None (no pseudonymisation) or a string of at least
    :data:`MIN_SALT_LENGTH` characters.

    An empty string is refused rather than read as "off", so a salt that
    failed to arrive (an unset variable, say) never lets real ids through
    while the caller believes them hidden; a short one is refused because it
    can be found by trying salts against one known id.

    Parameters
    ----------
    salt : str or None

    Returns
    -------
    str or None
        ``salt`` unchanged.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``salt`` is not a string, or shorter than :data:`MIN_SALT_LENGTH`.

    Examples
    --------
    >>> check_salt("correct horse battery staple")
    'correct horse battery staple'
    >>> check_salt(None) is None
    True
    >>> check_salt("")
    Traceback (most recent call last):
    ...
    peerscope.errors.PeerscopeError: pseudonymise: the salt is empty; give a secret string of at least 16 characters, or None for no pseudonymisation
    >>> check_salt(b"0123456789abcdef")
    Traceback (most recent call last):
    ...
    peerscope.errors.PeerscopeError: pseudonymise: the salt must be a string (str), not bytes
    """
    if salt is None:
        return None
    if not isinstance(salt, str):
        raise PeerscopeError(f"pseudonymise: the salt must be a string (str), not {type(salt).__name__}")
    if not salt:
        raise PeerscopeError(f"pseudonymise: the salt is empty; give a secret string of at least "
                             f"{MIN_SALT_LENGTH} characters, or None for no pseudonymisation")
    if len(salt) < MIN_SALT_LENGTH:
        raise PeerscopeError(f"pseudonymise: the salt has {len(salt)} characters; use at least "
                             f"{MIN_SALT_LENGTH} (a short salt can be found by trying salts "
                             f"against one known id)")
    return salt


def pseudonym(member_id: str, salt: str) -> str:
    """The pseudonym of one id: ``"p_"`` + the first 16 hex digits of HMAC-SHA256(salt, id).

    Parameters
    ----------
    member_id : str
    salt : str
        The secret key (checked by :func:`check_salt`).

    Returns
    -------
    str

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``salt`` is missing, not a string or too short.

    Examples
    --------
    >>> salt, other = "a long secret salt", "another secret salt"
    >>> pseudonym("ann", salt) == pseudonym("ann", salt) != pseudonym("ann", other)
    True
    """
    if check_salt(salt) is None:
        raise PeerscopeError("pseudonym: a salt is needed")
    digest = hmac.new(salt.encode("utf-8"), member_id.encode("utf-8"), hashlib.sha256)
    return "p_" + digest.hexdigest()[:16]


def pseudonymise_ids(frames: dict[str, pd.DataFrame | None], salt: str) -> dict[str, pd.DataFrame | None]:
    """Replace member ids in every table with their keyed pseudonyms.

    Parameters
    ----------
    frames : dict
        Table name -> DataFrame (or None).
    salt : str
        The secret key, at least :data:`MIN_SALT_LENGTH` characters; keep it
        outside the corpus (it is never stored).

    Returns
    -------
    dict
        New frames; the inputs are not modified.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``salt`` is missing, not a string or too short (:func:`check_salt`).

    Examples
    --------
    The same person gets the same pseudonym in every table:

    >>> import pandas as pd
    >>> posts = pd.DataFrame({"post_id": ["p1"], "author_id": ["ann"]})
    >>> members = pd.DataFrame({"member_id": ["ann", "bob"]})
    >>> salt = "a long secret salt"
    >>> out = pseudonymise_ids({"posts": posts, "members": members, "events": None}, salt)
    >>> out["posts"]["author_id"][0] == out["members"]["member_id"][0] == pseudonym("ann", salt)
    True
    >>> out["events"] is None, posts["author_id"][0]
    (True, 'ann')
    """
    if check_salt(salt) is None:
        raise PeerscopeError("pseudonymise_ids: a salt is needed")
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


def pseudonymise_values(values: pd.Series, salt: str) -> pd.Series:
    """Replace every value of one column by its keyed pseudonym (nulls stay null).

    For ids that are not member ids but are made from a person's details:
    a mail's ``Message-ID`` (``<20011101.1234@host.example.org>``) names the
    sender's host and often the address.  With the same :func:`pseudonym`
    as member ids, a post id, the ``parent_id`` that points to it and the
    ``thread_id`` of its thread all stay equal, so reply links survive.

    Parameters
    ----------
    values : pandas.Series
    salt : str
        The secret key (:func:`check_salt`).

    Returns
    -------
    pandas.Series
        Strings (``p_`` + 16 hex digits) and nulls, with the same index.

    Examples
    --------
    >>> salt = "a long secret salt"
    >>> posts = pd.DataFrame({"post_id": ["<1@ann.example.org>", "<2@bob.example.org>"],
    ...                       "parent_id": [None, "<1@ann.example.org>"]})
    >>> hidden = posts.apply(pseudonymise_values, salt=salt)
    >>> hidden["parent_id"][1] == hidden["post_id"][0] == pseudonym("<1@ann.example.org>", salt)
    True
    >>> hidden["parent_id"][0] is None
    True
    """
    if check_salt(salt) is None:
        raise PeerscopeError("pseudonymise_values: a salt is needed")
    present = values.notna()
    text = values[present].astype("str")
    mapping = {value: pseudonym(value, salt) for value in pd.unique(text)}
    result = pd.Series([None] * len(values), index=values.index, dtype="object")
    result[present] = text.map(mapping)
    return result


def scrub_pii(text: pd.Series) -> pd.Series:
    """Replace e-mail, web and IP addresses, phone numbers and @handles with placeholders.

    What is caught, and its placeholder:

    - ``[email]``: ``ann@example.org``, and addresses spelled out to dodge
      harvesters: pipermail's ``ann at example.org``, ``name dot lee at
      gmail dot com``, ``ann(at)example(dot)org``.  A spelled-out address
      must end in a known top-level domain (:data:`BARE_DOMAIN_TLDS`, or
      any two letters), so "look at e.g. this" stays;
    - ``[url]``: ``https://...``, ``www....``, and bare domains with a known
      top-level domain, with or without a path (``example.org/path``,
      ``t.me/x``); "Node.js", "notes.txt" and "tired.Then" stay;
    - ``[ip]``: IPv4 (``192.168.1.10``) and IPv6 addresses;
    - ``[phone]``: runs of 9 or more digits and separators
      (``+44 20 7946 0958``, ``(555) 123-4567``), except decimal numbers,
      ISO dates and spans of years;
    - ``[user]``: @handles in any script (``@JuanGonzálezSalinas``) and
      ``u/name``.

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
    >>> scrub_pii(pd.Series(["name dot lee at gmail dot com, t.me/x, from 192.168.1.10",
    ...                      "thanks @JuanGonzálezSalinas, e.g. Dr. Smith, pi is 3.14159265"])).tolist()
    ['[email], [url], from [ip]', 'thanks [user], e.g. Dr. Smith, pi is 3.14159265']
    """
    result = text
    for placeholder, pattern in PII_PATTERNS:
        replacement = _phone if placeholder == "[phone]" else placeholder
        result = result.str.replace(pattern, replacement, regex=True)
    return result
