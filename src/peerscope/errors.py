"""Errors raised by peerscope, one class per kind of failure.

Every error a user can trigger with bad input is a :class:`PeerscopeError`, so
scripts and the command line can catch one base class.  Validation errors
carry the table, the column, the rule that failed and up to five offending
rows, and put all of them in the message, so that a researcher can find the
bad record in the source without a debugger.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["MAX_EXAMPLES", "ColumnTypeError", "CorpusNotFoundError", "CrossThreadReplyError",
           "DanglingReferenceError", "DuplicateIdError", "EngineError", "ImplausibleTimeError",
           "InvalidCategoryError", "ManifestError", "MissingColumnError", "MissingValueError",
           "NaiveTimestampError", "PeerscopeError", "ReplyCycleError", "SourceError",
           "ValidationError"]

#: How many offending rows an error message quotes.
MAX_EXAMPLES = 5


class PeerscopeError(Exception):
    """Base class of every error peerscope raises on purpose.

    Examples
    --------
    One ``except`` catches every error caused by bad input:

    >>> from peerscope import open_corpus
    >>> try:
    ...     open_corpus("no-such-corpus")
    ... except PeerscopeError as error:
    ...     print(type(error).__name__)
    CorpusNotFoundError
    """


class CorpusNotFoundError(PeerscopeError):
    """A path that should hold a corpus holds none (no ``corpus.json``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from peerscope import open_corpus
    >>> try:
    ...     open_corpus(pathlib.Path(tempfile.mkdtemp()))
    ... except CorpusNotFoundError as error:
    ...     print(str(error).endswith("not a peerscope corpus, no corpus.json"))
    True
    """


class ManifestError(PeerscopeError):
    """``corpus.json`` is unreadable, of an unknown schema version, or inconsistent.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from peerscope import open_corpus
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "corpus.json").write_text("{}")
    >>> try:
    ...     open_corpus(folder)
    ... except ManifestError as error:
    ...     print(str(error).split(": ")[-1])
    manifest has no 'name'
    """


class EngineError(PeerscopeError):
    """An unknown engine was asked for, or its optional dependency is missing.

    Examples
    --------
    >>> from peerscope import open_corpus
    >>> try:
    ...     open_corpus("forum", engine="spark")
    ... except EngineError as error:
    ...     print(error)
    unknown engine 'spark'; choose one of ['pandas', 'dask']
    """


class SourceError(PeerscopeError):
    """A source file cannot be read: missing, truncated, malformed or wrongly encoded.

    Parameters
    ----------
    message : str
        What went wrong.
    path : str or None
        The file.
    line : int or None
        The 1-based line (or record) where it went wrong, when known.
    column : str or None
        The source column or field, when known.

    Examples
    --------
    >>> error = SourceError("not valid JSON", path="posts.json", line=3, column="body")
    >>> print(error)
    file posts.json, line 3, column 'body': not valid JSON
    >>> error.line, isinstance(error, PeerscopeError)
    (3, True)
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 column: str | None = None):
        self.path = path
        self.line = line
        self.column = column
        where = []
        if path is not None:
            where.append(f"file {path}")
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ValidationError(PeerscopeError):
    """A table breaks a rule of the corpus schema.

    Attributes
    ----------
    table : str
        The table (``posts``, ``members``, ``events``, ``newsletter_items``).
    column : str or None
        The column the rule is about.
    rule : str
        A short machine-readable name of the rule (``missing_column``,
        ``duplicate_id``, ``dangling_parent``, ...).
    rows : list of dict
        Up to :data:`MAX_EXAMPLES` offending rows (id and the offending value,
        with the 0-based row position in the input as ``row``).
    n_offending : int
        How many rows break the rule in total.

    Examples
    --------
    Catch any broken rule, then read where it broke:

    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> posts.loc[1, "post_id"] = "p1"
    >>> try:
    ...     Corpus.from_frames(posts)
    ... except ValidationError as error:
    ...     print(error.table, error.column, error.rule, error.n_offending, error.rows)
    posts post_id duplicate_id 1 [{'row': 1, 'post_id': 'p1'}]
    """

    rule = "invalid"

    def __init__(self, table: str, column: str | None, detail: str,
                 rows: Sequence[dict[str, Any]] = (), n_offending: int | None = None,
                 rule: str | None = None):
        self.table = table
        self.column = column
        if rule is not None:
            self.rule = rule
        self.rows = list(rows)[:MAX_EXAMPLES]
        self.n_offending = len(rows) if n_offending is None else n_offending
        self.detail = detail
        location = f"table {table!r}" + (f", column {column!r}" if column else "")
        message = f"{location}: {detail} [rule: {self.rule}]"
        if self.n_offending:
            message += f"; {self.n_offending} offending row(s)"
        if self.rows:
            shown = "; ".join(_format_row(r) for r in self.rows)
            message += f", first {len(self.rows)}: {shown}"
        super().__init__(message)


def _format_row(row: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}={v!r}" for k, v in row.items()) + "}"


class MissingColumnError(ValidationError):
    """A required column is absent.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> try:
    ...     Corpus.from_frames(posts.drop(columns="text"))
    ... except MissingColumnError as error:
    ...     print(error.rule, error.column)
    missing_column text
    """

    rule = "missing_column"


class ColumnTypeError(ValidationError):
    """A column's values cannot be read as the type the schema requires.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> posts["created_at"] = [1704067200, 1704153600]   # epoch seconds, not times
    >>> try:
    ...     Corpus.from_frames(posts)
    ... except ColumnTypeError as error:
    ...     print(error.rule, error.column, error.n_offending)
    wrong_type created_at 2
    """

    rule = "wrong_type"


class MissingValueError(ValidationError):
    """A required column holds nulls.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> posts.loc[1, "thread_id"] = None
    >>> try:
    ...     Corpus.from_frames(posts)
    ... except MissingValueError as error:
    ...     print(error.rule, error.rows)
    null_required [{'row': 1, 'post_id': 'p2', 'thread_id': None}]
    """

    rule = "null_required"


class DuplicateIdError(ValidationError):
    """An id column that must be unique repeats a value.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> posts.loc[1, "post_id"] = "p1"
    >>> try:
    ...     Corpus.from_frames(posts)
    ... except DuplicateIdError as error:
    ...     print(error.rule, error.rows)
    duplicate_id [{'row': 1, 'post_id': 'p1'}]
    """

    rule = "duplicate_id"


class DanglingReferenceError(ValidationError):
    """A reference (parent post, author, event member) points to no row.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> posts.loc[1, "parent_id"] = "p9"
    >>> try:
    ...     Corpus.from_frames(posts)
    ... except DanglingReferenceError as error:
    ...     print(error.rule, error.rows)
    dangling_parent [{'row': 1, 'post_id': 'p2', 'parent_id': 'p9'}]
    """

    rule = "dangling_reference"


class CrossThreadReplyError(ValidationError):
    """A reply's parent lies in another thread.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> posts.loc[1, "thread_id"] = "p2"
    >>> try:
    ...     Corpus.from_frames(posts)
    ... except CrossThreadReplyError as error:
    ...     print(error.rule, error.n_offending)
    parent_in_other_thread 1
    """

    rule = "parent_in_other_thread"


class ReplyCycleError(ValidationError):
    """Following parent links from a post never reaches an opening post.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> posts["parent_id"] = ["p2", "p1"]
    >>> try:
    ...     Corpus.from_frames(posts)
    ... except ReplyCycleError as error:
    ...     print(error.rule, error.n_offending)
    reply_cycle 2
    """

    rule = "reply_cycle"


class NaiveTimestampError(ValidationError):
    """A time column has no timezone and the caller gave no ``assume_tz``.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> posts["created_at"] = ["2024-01-01 10:00", "2024-01-02 10:00"]
    >>> try:
    ...     Corpus.from_frames(posts)
    ... except NaiveTimestampError as error:
    ...     print(error.rule, error.column)
    naive_timestamp created_at
    >>> len(Corpus.from_frames(posts, assume_tz="Europe/London").posts())
    2
    """

    rule = "naive_timestamp"


class ImplausibleTimeError(ValidationError):
    """A time lies outside the plausible range for online communication.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> posts["created_at"] = pd.to_datetime(["1901-01-01", "2024-01-02"], utc=True)
    >>> try:
    ...     Corpus.from_frames(posts)
    ... except ImplausibleTimeError as error:
    ...     print(error.rule, error.rows)
    implausible_time [{'row': 0, 'post_id': 'p1', 'created_at': '1901-01-01T00:00:00+00:00'}]
    """

    rule = "implausible_time"


class InvalidCategoryError(ValidationError):
    """A categorical column holds a value outside its allowed set.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> members = pd.DataFrame({"member_id": ["ann", "bob"], "role": ["member", "wizard"]})
    >>> try:
    ...     Corpus.from_frames(posts, members)
    ... except InvalidCategoryError as error:
    ...     print(error.table, error.rule, error.rows)
    members invalid_category [{'row': 1, 'member_id': 'bob', 'role': 'wizard'}]
    """

    rule = "invalid_category"
