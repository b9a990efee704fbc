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

#: How many offending rows an error message quotes.
MAX_EXAMPLES = 5


class PeerscopeError(Exception):
    """Base class of every error peerscope raises on purpose."""


class CorpusNotFoundError(PeerscopeError):
    """A path that should hold a corpus holds none (no ``corpus.json``)."""


class ManifestError(PeerscopeError):
    """``corpus.json`` is unreadable, of an unknown schema version, or inconsistent."""


class EngineError(PeerscopeError):
    """An unknown engine was asked for, or its optional dependency is missing."""


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
    """A required column is absent."""

    rule = "missing_column"


class ColumnTypeError(ValidationError):
    """A column's values cannot be read as the type the schema requires."""

    rule = "wrong_type"


class MissingValueError(ValidationError):
    """A required column holds nulls."""

    rule = "null_required"


class DuplicateIdError(ValidationError):
    """An id column that must be unique repeats a value."""

    rule = "duplicate_id"


class DanglingReferenceError(ValidationError):
    """A reference (parent post, author, event member) points to no row."""

    rule = "dangling_reference"


class CrossThreadReplyError(ValidationError):
    """A reply's parent lies in another thread."""

    rule = "parent_in_other_thread"


class ReplyCycleError(ValidationError):
    """Following parent links from a post never reaches an opening post."""

    rule = "reply_cycle"


class NaiveTimestampError(ValidationError):
    """A time column has no timezone and the caller gave no ``assume_tz``."""

    rule = "naive_timestamp"


class ImplausibleTimeError(ValidationError):
    """A time lies outside the plausible range for online communication."""

    rule = "implausible_time"


class InvalidCategoryError(ValidationError):
    """A categorical column holds a value outside its allowed set."""

    rule = "invalid_category"
