"""Small-cell suppression of published tables.

Counts of people about a sensitive subject (here: who posts in a forum about
mental distress) can identify someone when they are small: "2 members used
one-to-one support only" points at two people.  Statistical agencies therefore
suppress small cells and, so that a suppressed cell cannot be worked out by
subtraction, suppress further cells that share a total with it (primary and
complementary suppression; Hundepool et al. 2012, *Statistical Disclosure
Control*, ch. 4).  The rules applied here, exactly:

1. **Primary.**  A cell is *protected* when its table declares that it
   counts people (members, posters, recipients, ...) or is a share of people
   (then the count it stands for is share x denominator, rounded).  A
   protected cell whose count is at least 1 and below ``min_cell`` is
   replaced by ``"<K"`` (K = ``min_cell``; a share is replaced by
   ``"suppressed"``, since "<K" would read as a share).  Zero cells are shown: a zero
   names nobody.  Counts of posts, replies, threads or items are not counts
   of people and are never suppressed.
2. **Complementary.**  A table declares its additive relations (``total =
   part_1 + ... + part_n``, e.g. members = posters + lurkers).  When one cell
   of a relation is hidden and the hidden cells of the relation add up to
   fewer than ``min_cell`` -- so that subtracting the shown cells from the
   total would give it, or narrow it down to fewer than K values -- the
   smallest shown part (non-zero parts first, the total last) is hidden too,
   until at least two cells of the relation are hidden and they sum to at
   least ``min_cell``, or every cell of the relation is hidden.  A relation
   is checked whenever any of its cells is hidden, also a large one hidden
   for another relation, so no chain of subtractions reaches a small cell.  Complementary cells are shown as ``"suppressed"``
   (they are not small, and "<K" would be false).
3. **Derived.**  A cell computed from hidden cells (a share whose numerator
   is a suppressed count) is hidden too, shown as ``"suppressed"``.

Steps 2 and 3 repeat until nothing changes.  Relations are declared per
table; a total that appears in several tables is the same number in each,
and since a total is hidden only when all its parts are, it is never shown
in one table and hidden in another by this procedure.  Every hidden cell is
logged (table, row, column, rule, and for the complementary and derived
rules the cell that caused it), and the log is written with the report
(``suppression.csv``) without the hidden values.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"members": [3, 40, 43]}, index=["a", "b", "total"], dtype=object)
>>> protection = Protection()
>>> protection.count_column("members", ["a", "b", "total"])
>>> protection.total(("total", "members"), [("a", "members"), ("b", "members")])
>>> published, log = suppress({"t": frame}, {"t": protection}, min_cell=5)
>>> published["t"]["members"].tolist()
['<5', 'suppressed', 43]
>>> log["rule"].tolist()
['primary', 'complementary']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["PRIMARY_MARK", "SECONDARY_MARK", "Protection", "suppress"]

#: Text shown in place of a count below ``min_cell`` (formatted with K).
PRIMARY_MARK = "<{k}"
#: Text shown in place of a cell hidden so that a small one cannot be recovered.
SECONDARY_MARK = "suppressed"

Cell = tuple  # (row label, column name)


@dataclass
class Protection:
    """What in one table counts people, and how its cells add up.

    Attributes
    ----------
    people : dict
        Cell -> how it stands for a number of people: ``None`` when the cell
        *is* the count, or a denominator cell / number when the cell is a
        share (count = share x denominator).
    totals : list of (cell, list of cells)
        Additive relations: the first cell is the sum of the others.
    derived : list of (cell, list of cells)
        A cell computed from others; hidden when any of them is.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"members": [12, 3, 9]}, index=["all", "posters", "lurkers"])
    >>> protection = Protection()
    >>> protection.count_column("members", ["all", "posters", "lurkers"])
    >>> protection.total(("all", "members"), [("posters", "members"), ("lurkers", "members")])
    >>> protection.people[("posters", "members")] is None, len(protection.totals)
    (True, 1)
    """

    people: dict = field(default_factory=dict)
    totals: list = field(default_factory=list)
    derived: list = field(default_factory=list)

    def count(self, row, column: str) -> None:
        """Declare that ``(row, column)`` counts people."""
        self.people[(row, column)] = None

    def count_column(self, column: str, rows) -> None:
        """Declare that ``column`` counts people in each of ``rows``."""
        for row in rows:
            self.count(row, column)

    def share(self, cell: Cell, denominator) -> None:
        """Declare that ``cell`` is a share of people out of ``denominator`` (a cell or a number)."""
        self.people[cell] = denominator

    def total(self, total: Cell, parts) -> None:
        """Declare ``total = sum(parts)``."""
        self.totals.append((total, list(parts)))

    def derive(self, cell: Cell, sources) -> None:
        """Declare that ``cell`` is computed from ``sources``."""
        self.derived.append((cell, list(sources)))


def _number(value) -> float | None:
    if value is None or isinstance(value, str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _people(frame: pd.DataFrame, cell: Cell, denominator) -> float | None:
    """How many people a protected cell stands for (None: not a number)."""
    value = _number(frame.at[cell])
    if value is None or denominator is None:
        return value
    whole = _number(frame.at[denominator]) if isinstance(denominator, tuple) else _number(denominator)
    return None if whole is None else round(value * whole)


def suppress(tables: dict[str, pd.DataFrame], protections: dict[str, Protection],
             min_cell: int = 5) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Apply primary, complementary and derived suppression (module docstring).

    Parameters
    ----------
    tables : dict of str -> DataFrame
        The tables as computed; cells are addressed by (index label, column).
    protections : dict of str -> Protection
        What to protect in each table (tables without one are published as
        they are).
    min_cell : int
        K: counts of 1 .. K-1 people are suppressed.  ``min_cell <= 1``
        suppresses nothing.

    Returns
    -------
    published : dict of str -> DataFrame
        Copies with hidden cells replaced by ``"<K"`` or ``"suppressed"``
        (columns holding them become object columns).
    log : DataFrame
        One row per hidden cell: ``table``, ``row``, ``column``, ``rule``
        (primary, complementary, derived) and ``because`` (the cell that
        made it necessary, as ``row/column``; empty for primary cells).

    Examples
    --------
    3 posters is a small cell; 9 lurkers must be hidden too, or 12 - 9 gives
    it away:

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"members": [12, 3, 9]}, index=["all", "posters", "lurkers"])
    >>> protection = Protection()
    >>> protection.count_column("members", ["all", "posters", "lurkers"])
    >>> protection.total(("all", "members"), [("posters", "members"), ("lurkers", "members")])
    >>> published, log = suppress({"people": frame}, {"people": protection})
    >>> published["people"]["members"].tolist()
    [12, '<5', 'suppressed']
    >>> log[["row", "rule", "because"]].values.tolist()
    [['posters', 'primary', ''], ['lurkers', 'complementary', 'posters/members']]
    """
    published, rows = {}, []
    for name, frame in tables.items():
        protection = protections.get(name)
        hidden = _hidden_cells(frame, protection, min_cell) if protection else {}
        out = frame.copy()
        for cell, (rule, because) in hidden.items():
            if out[cell[1]].dtype != object:
                out[cell[1]] = out[cell[1]].astype(object)
            direct_count = rule == "primary" and protection.people.get(cell) is None
            out.at[cell] = PRIMARY_MARK.format(k=min_cell) if direct_count else SECONDARY_MARK
            rows.append((name, str(cell[0]), str(cell[1]), rule,
                         "" if because is None else f"{because[0]}/{because[1]}"))
        published[name] = out
    log = pd.DataFrame(rows, columns=["table", "row", "column", "rule", "because"], dtype="str")
    return published, log


def _hidden_cells(frame: pd.DataFrame, protection: Protection, min_cell: int) -> dict:
    """Cell -> (rule, cell that caused it) for every cell to hide in one table."""
    hidden: dict = {}
    if min_cell <= 1:
        return hidden
    for cell, denominator in protection.people.items():
        people = _people(frame, cell, denominator)
        if people is not None and 1 <= people < min_cell:
            hidden[cell] = ("primary", None)
    changed = bool(hidden)
    while changed:
        changed = False
        for total, parts in protection.totals:
            changed |= _complement(frame, hidden, total, parts, min_cell)
        for cell, sources in protection.derived:
            cause = next((s for s in sources if s in hidden), None)
            if cause is not None and cell not in hidden:
                hidden[cell] = ("derived", cause)
                changed = True
    return hidden


def _complement(frame, hidden: dict, total: Cell, parts: list, min_cell: int) -> bool:
    """Hide cells of one relation until >= 2 are hidden summing to >= min_cell; True if any."""
    group = parts + [total]
    concealed = [c for c in group if c in hidden]
    if not concealed:
        return False
    cause = concealed[0]
    changed = False
    while True:
        concealed = [c for c in group if c in hidden]
        shown = [c for c in group if c not in hidden]
        enough = sum(_number(frame.at[c]) or 0 for c in concealed) >= min_cell
        if not shown or (len(concealed) >= 2 and enough):
            return changed
        # smallest non-zero part first, then zero parts, the total last
        order = sorted(shown, key=lambda c: (c == total, (_number(frame.at[c]) or 0) == 0,
                                             _number(frame.at[c]) or 0))
        hidden[order[0]] = ("complementary", cause)
        changed = True
