"""Small-cell suppression: small counts hidden, and no hidden cell recoverable from totals."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from peerscope.report.suppression import Protection, suppress


def _one_way(parts: list[int]):
    keys = [f"c{i}" for i in range(len(parts))]
    frame = pd.DataFrame({"members": parts + [sum(parts)]}, index=keys + ["total"], dtype=object)
    protection = Protection()
    protection.count_column("members", keys + ["total"])
    protection.total(("total", "members"), [(k, "members") for k in keys])
    return frame, protection


def _check_relation(published: pd.DataFrame, raw: pd.DataFrame, cells, k: int) -> None:
    """No hidden cell of the relation can be worked out from the shown ones."""
    hidden = [c for c in cells if isinstance(published.at[c], str)]
    if not hidden:
        return
    assert len(hidden) >= 2, hidden
    if len(hidden) < len(cells):
        assert sum(raw.at[c] for c in hidden) >= k


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=8), st.integers(2, 10))
def test_one_way_tables(parts, k):
    frame, protection = _one_way(parts)
    published, log = suppress({"t": frame}, {"t": protection}, min_cell=k)
    table = published["t"]
    for key, n in zip(frame.index, frame["members"]):
        if 1 <= n < k:
            assert table.at[key, "members"] == f"<{k}"
        elif not isinstance(table.at[key, "members"], str):
            assert table.at[key, "members"] == n
    cells = [(key, "members") for key in frame.index]
    _check_relation(table, frame, cells, k)
    assert len(log) == sum(isinstance(v, str) for v in table["members"])
    shown_as_small = [v for v in table["members"] if v == f"<{k}"]
    assert len(shown_as_small) == sum(1 <= n < k for n in frame["members"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), min_size=3, max_size=3), min_size=2, max_size=4),
       st.integers(2, 8))
def test_two_way_tables_with_row_and_column_totals(grid, k):
    rows = [f"r{i}" for i in range(len(grid))]
    columns = ["a", "b", "c"]
    frame = pd.DataFrame(grid, index=rows, columns=columns)
    frame["total"] = frame.sum(axis=1)
    frame.loc["total"] = frame.sum(axis=0)
    frame = frame.astype(object)
    protection = Protection()
    for row in frame.index:
        for column in frame.columns:
            protection.count(row, column)
    relations = []
    for row in frame.index:
        relations.append(((row, "total"), [(row, c) for c in columns]))
    for column in frame.columns:
        relations.append((("total", column), [(r, column) for r in rows]))
    for total, parts in relations:
        protection.total(total, parts)
    published, _ = suppress({"t": frame}, {"t": protection}, min_cell=k)
    table = published["t"]
    for total, parts in relations:
        _check_relation(table, frame, [total] + parts, k)
    for row in rows:
        for column in columns:
            if 1 <= frame.at[row, column] < k:
                assert table.at[row, column] == f"<{k}"


def test_zero_cells_are_shown_and_a_lone_small_cell_gets_a_complement():
    frame, protection = _one_way([0, 3, 40, 57])
    published, log = suppress({"t": frame}, {"t": protection}, min_cell=5)
    assert published["t"]["members"].tolist() == [0, "<5", "suppressed", 57, 100]
    assert log.to_dict("list") == {"table": ["t", "t"], "row": ["c1", "c2"],
                                   "column": ["members", "members"],
                                   "rule": ["primary", "complementary"], "because": ["", "c1/members"]}


def test_two_small_cells_that_sum_to_k_need_no_complement():
    frame, protection = _one_way([2, 3, 40])
    published, log = suppress({"t": frame}, {"t": protection}, min_cell=5)
    assert published["t"]["members"].tolist() == ["<5", "<5", 40, 45]
    assert set(log["rule"]) == {"primary"}


def test_shares_of_people_and_derived_cells():
    frame = pd.DataFrame({"value": [200, 3, 0.015, 0.4]},
                         index=["members", "moderators", "moderator_share", "mean_posts"], dtype=object)
    protection = Protection()
    protection.count("members", "value")
    protection.count("moderators", "value")
    protection.share(("moderator_share", "value"), ("members", "value"))
    protection.derive(("mean_posts", "value"), [("moderators", "value")])
    published, log = suppress({"t": frame}, {"t": protection}, min_cell=5)
    values = published["t"]["value"].tolist()
    assert values == [200, "<5", "suppressed", "suppressed"]
    assert dict(zip(log["row"], log["rule"])) == {"moderators": "primary", "moderator_share": "primary",
                                                  "mean_posts": "derived"}


def test_min_cell_one_suppresses_nothing_and_tables_without_protection_pass_through():
    frame, protection = _one_way([1, 2, 3])
    published, log = suppress({"t": frame, "u": frame}, {"t": protection}, min_cell=1)
    assert published["t"]["members"].tolist() == [1, 2, 3, 6]
    assert len(log) == 0
    published, log = suppress({"t": frame, "u": frame}, {"t": protection}, min_cell=5)
    assert published["u"]["members"].tolist() == [1, 2, 3, 6]
    assert set(log["table"]) == {"t"}


def test_methods_text_does_not_disclose_a_suppressed_roster_size():
    import pandas as pd

    from peerscope import Corpus
    from peerscope.report import build

    posts = pd.DataFrame({
        "post_id": ["p1", "p2"], "thread_id": ["p1", "p1"], "parent_id": [None, "p1"],
        "author_id": ["a", "b"], "text": ["hello", "hi"],
        "created_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 11:00"], utc=True)})
    members = pd.DataFrame({"member_id": ["a", "b", "c", "d"]})
    report = build(Corpus.from_frames(posts, members), figures=False)
    assert "a roster of <5 members" in report.methods
    assert "a roster of 4 members" not in report.methods
