"""Validate a set of tables against the corpus schema, raising or repairing.

:func:`validate_frames` is the one gate every corpus passes through, whether
it comes from :meth:`peerscope.Corpus.from_frames` or a loader.  It applies
the rules of :mod:`peerscope.corpus.schema` in a fixed order:

1. required columns present, times timezone-aware (never repairable);
2. per row: values of the right type, no nulls in required columns, values of
   closed categories allowed, times plausible, ids unique (the first
   occurrence of an id is kept);
3. across rows and tables, repeated until nothing changes: parents exist and
   lie in the same thread, no reply cycles, and (with a roster) every author
   and event member is a member.

Without ``repair`` the first broken rule raises its
:class:`~peerscope.errors.ValidationError`.  With ``repair`` every offending
row is moved to a quarantine frame with a ``reason`` and its input position
``row``; removing a row can orphan others (the replies to a quarantined
post), which step 3 then quarantines too.  The accounting it returns always
satisfies rows in = rows kept + rows quarantined.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from peerscope import errors

from peerscope.corpus import schema

__all__ = ["TableAccount", "Validated", "validate_frames"]


@dataclass
class TableAccount:
    """Row accounting of one table: nothing read is ever silently lost.

    ``rows_read`` counts the rows a loader read from its source,
    ``rows_skipped`` those it left out on purpose (with reasons, e.g. tag-wiki
    posts of a Stack Exchange dump), ``rows_quarantined`` those validation
    moved to ``quarantine/<table>.parquet``; the rest are kept.
    ``kept_notes`` counts rows the loader kept but changed on the way in
    (a reply whose parent is not in the data, kept with a null parent; a
    message without an id, kept with a generated one), per note of what was
    done to them.

    Attributes
    ----------
    rows_read, rows_skipped, rows_quarantined, rows_kept : int
    skipped_reasons, quarantine_reasons : dict of str -> int
        Rows per reason; each adds up to its total.
    kept_notes : dict of str -> int
        Rows per note of what the import did to them.  The notes are not a
        partition: a row may carry several notes or none, so they need not
        add up to anything.  They are counted when the loader made the
        change, before validation, so a noted row that validation later
        quarantined (or a windowed save left out) still counts.  Manifests
        written before this slot existed read as ``{}``.

    Examples
    --------
    >>> account = TableAccount(rows_read=10, rows_skipped=2, skipped_reasons={"empty body": 2},
    ...                        rows_kept=8,
    ...                        kept_notes={"parent not in the data: kept with a null parent": 3})
    >>> account.check("posts")            # 10 = 8 + 2 + 0: no error
    >>> TableAccount.from_dict(account.to_dict()) == account
    True
    >>> TableAccount.from_dict({"rows_read": 1, "rows_kept": 1}).kept_notes   # an older manifest
    {}
    >>> try:
    ...     TableAccount(rows_read=3, rows_kept=2).check("posts")
    ... except errors.ManifestError as error:
    ...     print(error)
    table 'posts': row accounting does not add up: read 3 != kept 2 + skipped 0 + quarantined 0
    """

    rows_read: int = 0
    rows_skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    rows_quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    rows_kept: int = 0
    kept_notes: dict[str, int] = field(default_factory=dict)

    def check(self, table: str) -> None:
        """Raise :class:`~peerscope.errors.ManifestError` unless read = kept + skipped + quarantined,
        the reasons add up to their totals, and every kept note counts a whole number of rows (>= 0)."""
        if self.rows_read != self.rows_kept + self.rows_skipped + self.rows_quarantined:
            raise errors.ManifestError(
                f"table {table!r}: row accounting does not add up: read {self.rows_read} != "
                f"kept {self.rows_kept} + skipped {self.rows_skipped} + "
                f"quarantined {self.rows_quarantined}")
        if sum(self.skipped_reasons.values()) != self.rows_skipped:
            raise errors.ManifestError(f"table {table!r}: skipped reasons do not add up")
        if sum(self.quarantine_reasons.values()) != self.rows_quarantined:
            raise errors.ManifestError(f"table {table!r}: quarantine reasons do not add up")
        if not isinstance(self.kept_notes, dict):
            raise errors.ManifestError(f"table {table!r}: kept notes are not a mapping of note to rows")
        for note, rows in self.kept_notes.items():
            if isinstance(rows, bool) or not isinstance(rows, numbers.Integral) or rows < 0:
                raise errors.ManifestError(
                    f"table {table!r}: kept note {note!r} counts {rows!r} rows, not a whole number >= 0")

    def to_dict(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "rows_skipped": self.rows_skipped,
            "skipped_reasons": dict(sorted(self.skipped_reasons.items())),
            "rows_quarantined": self.rows_quarantined,
            "quarantine_reasons": dict(sorted(self.quarantine_reasons.items())),
            "rows_kept": self.rows_kept,
            "kept_notes": {note: int(rows) for note, rows in sorted(self.kept_notes.items())},
        }

    @classmethod
    def from_dict(cls, data: dict) -> "TableAccount":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class Validated:
    """The outcome of :func:`validate_frames`.

    Attributes
    ----------
    tables : dict of str to pyarrow.Table
        The kept rows of each table, in canonical types.
    quarantine : dict of str to pandas.DataFrame
        The quarantined input rows (as text) with ``reason`` and ``row``.
    accounts : dict of str to TableAccount
        Rows read, quarantined and kept per table.

    Examples
    --------
    >>> import pandas as pd
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p2"], "thread_id": ["p1", "p1", "p1"],
    ...     "parent_id": [None, "p1", "p1"], "author_id": ["ann", "bob", "cat"],
    ...     "text": ["a", "b", "c"],
    ...     "created_at": ["2024-01-01T10:00Z", "2024-01-02T10:00Z", "2024-01-03T10:00Z"]})
    >>> result = validate_frames({"posts": posts}, roster=False, repair=True)
    >>> result.tables["posts"].num_rows, result.accounts["posts"].quarantine_reasons
    (2, {'duplicate_id': 1})
    """

    tables: dict[str, pa.Table]
    quarantine: dict[str, pd.DataFrame]
    accounts: dict[str, TableAccount]


class _Table:
    """A table under validation: its coerced frame, the input positions of its
    rows, and the rows quarantined so far."""

    def __init__(self, spec: schema.TableSpec, original: pd.DataFrame, coerced: schema.Coerced):
        self.spec = spec
        self.original = coerced.frame if original is None else original.reset_index(drop=True)
        self.frame = coerced.frame
        self.positions = np.arange(len(coerced.frame))
        self.quarantined: list[tuple[np.ndarray, str]] = []

    def drop(self, mask: np.ndarray, reason: str) -> None:
        self.quarantined.append((self.positions[mask], reason))
        keep = ~mask
        self.frame = self.frame.loc[keep].reset_index(drop=True)
        self.positions = self.positions[keep]

    def drop_by_reason(self, reason: np.ndarray) -> None:
        """Quarantine every row with a non-empty ``reason``, grouped by reason."""
        for label in dict.fromkeys(reason[reason != ""]):
            self.quarantined.append((self.positions[reason == label], label))
        keep = reason == ""
        self.frame = self.frame.loc[keep].reset_index(drop=True)
        self.positions = self.positions[keep]

    def quarantine_frame(self) -> pd.DataFrame:
        """Quarantined input rows, every value as text, with ``reason`` and ``row``."""
        if not self.quarantined:
            return None
        positions = np.concatenate([p for p, _ in self.quarantined])
        reasons = np.concatenate([[r] * len(p) for p, r in self.quarantined])
        rows = self.original.iloc[positions].astype("str").reset_index(drop=True)
        rows.columns = [str(c) for c in rows.columns]
        rows["reason"] = pd.array(reasons, dtype="str")
        rows["row"] = pd.array(positions, dtype="Int64")
        return rows.sort_values("row", kind="stable").reset_index(drop=True)


def validate_frames(frames: dict[str, pd.DataFrame | None], *, roster: bool,
                    repair: bool = False, assume_tz: str | None = None,
                    now: pd.Timestamp | None = None) -> Validated:
    """Coerce and validate the tables of a corpus.

    Parameters
    ----------
    frames : dict
        Table name -> DataFrame (or None for an absent table).  ``posts`` is
        required.
    roster : bool
        Whether ``members`` is the complete list of registered members; if so
        every author and event member must be in it.
    repair : bool
        Quarantine offending rows instead of raising.
    assume_tz : str or None
        Timezone of naive times (e.g. ``"UTC"``, ``"Europe/London"``); None
        makes naive times an error.
    now : Timestamp or None
        Latest plausible time (default: one day from now).

    Returns
    -------
    Validated
        Arrow tables in canonical types, quarantine frames and accounting.

    Raises
    ------
    peerscope.errors.ValidationError
        The first broken rule (always for missing columns and naive times).

    Examples
    --------
    The third post repeats the id ``p2``: an error, or with ``repair`` a
    quarantined row:

    >>> import pandas as pd
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p2"], "thread_id": ["p1", "p1", "p1"],
    ...     "parent_id": [None, "p1", "p1"], "author_id": ["ann", "bob", "cat"],
    ...     "text": ["a", "b", "c"],
    ...     "created_at": ["2024-01-01T10:00Z", "2024-01-02T10:00Z", "2024-01-03T10:00Z"]})
    >>> try:
    ...     validate_frames({"posts": posts}, roster=False)
    ... except errors.DuplicateIdError as error:
    ...     print(error.rule, error.n_offending)
    duplicate_id 1
    >>> result = validate_frames({"posts": posts}, roster=False, repair=True)
    >>> result.quarantine["posts"][["reason", "row"]].values.tolist()
    [['duplicate_id', 2]]
    """
    now = schema.plausible_until() if now is None else now
    if frames.get("posts") is None:
        raise errors.MissingColumnError("posts", None, "a corpus needs a posts table")
    tables: dict[str, _Table] = {}
    for name, frame in frames.items():
        if frame is None:
            continue
        spec = schema.TABLES[name]
        coerced = schema.coerce_frame(spec, frame, assume_tz)
        table = tables[name] = _Table(spec, frame, coerced)
        row_problems = [(f"wrong_type:{col}", mask, coerced.problems[col])
                        for col, mask in coerced.bad.items()]
        row_problems += schema.row_rules(spec, table.frame, now)
        if row_problems and not repair:
            raise row_problems[0][2]
        if row_problems:
            # each row is quarantined for the first rule it broke
            reason = np.full(len(table.frame), "", dtype=object)
            for label, mask, _ in row_problems:
                reason[mask & (reason == "")] = label
            table.drop_by_reason(reason)
    while True:
        broken = schema.reference_rules({n: t.frame for n, t in tables.items()}, roster)
        if not broken:
            break
        if not repair:
            raise broken[0][3]
        table_name, reason, mask, _ = broken[0]
        tables[table_name].drop(mask, reason)
    return _result(tables)


def _result(tables: dict[str, _Table]) -> Validated:
    arrow, quarantine, accounts = {}, {}, {}
    for name, table in tables.items():
        arrow[name] = schema.to_arrow(table.spec, table.frame)
        reasons: dict[str, int] = {}
        for positions, reason in table.quarantined:
            reasons[reason] = reasons.get(reason, 0) + len(positions)
        accounts[name] = TableAccount(
            rows_read=len(table.original), rows_quarantined=sum(reasons.values()),
            quarantine_reasons=reasons, rows_kept=arrow[name].num_rows)
        accounts[name].check(name)
        q = table.quarantine_frame()
        if q is not None:
            quarantine[name] = q
    return Validated(arrow, quarantine, accounts)
