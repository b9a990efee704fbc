"""The month encoding, the runs of sorted arrays and the columnar engine's dyad count, against
pandas' and numpy's own answers and counts made by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from peerscope._kernels.columnar import Dyads, dyads
from peerscope._kernels.months import (iso_months, micros, month_starts, months_from_arrow,
                                       months_from_micros, months_from_times)
from peerscope._kernels.runs import run_lengths, run_starts

#: Times across 1970 and far from it, at the edges of months and years (UTC).
TIMES = pd.Series(pd.to_datetime([
    "1900-03-01 00:00", "1969-01-01 00:00", "1969-12-31 23:59:59.999999", "1970-01-01 00:00",
    "1970-01-31 23:59:59.999999", "1999-12-31 23:30", "2000-02-29 12:00", "2024-01-31 23:00",
    "2024-02-01 00:00", "2024-12-31 23:59:59", "2100-06-15 08:00"], format="ISO8601", utc=True))


def _periods(times: pd.Series, tz: str = "UTC") -> list[int]:
    """pandas' monthly period ordinals (months since 1970-01) of the wall-clock times in ``tz``."""
    return times.dt.tz_convert(tz).dt.tz_localize(None).dt.to_period("M").array.asi8.tolist()


def test_months_are_pandas_monthly_periods_from_every_input():
    expected = _periods(TIMES)
    assert expected[:4] == [-838, -12, -1, 0]          # 1900-03, 1969-01, 1969-12, 1970-01
    assert months_from_times(TIMES).tolist() == expected
    assert months_from_times(pd.DatetimeIndex(TIMES)).tolist() == expected
    assert months_from_micros(TIMES.astype("datetime64[us, UTC]").astype("int64").to_numpy()).tolist() == expected
    assert months_from_arrow(pa.array(TIMES)).tolist() == expected
    chunked = pa.chunked_array([pa.array(TIMES[:5]), pa.array(TIMES[5:])])
    assert months_from_arrow(chunked).tolist() == expected
    # a column in seconds, in another zone, is still numbered by its UTC month
    paris = pa.array(TIMES.dt.floor("s")).cast(pa.timestamp("s", tz="Europe/Paris"))
    assert months_from_arrow(paris).tolist() == expected


def test_months_round_trip_through_their_first_instant():
    months = np.arange(-30, 30) * 7 + 5                 # from 1952 to 1987, across 1970
    starts = month_starts(months)
    assert str(starts.dtype) == "datetime64[us, UTC]"
    assert months_from_times(starts).tolist() == months.tolist()
    assert months_from_micros(micros(pa.array(starts))).tolist() == months.tolist()
    assert (starts.day == 1).all() and (starts.hour == 0).all()
    # the instant before a month's start is in the month before
    assert months_from_times(starts - pd.Timedelta(microseconds=1)).tolist() == (months - 1).tolist()
    # and every time lies in [start of its month, start of the next)
    months_of_times = months_from_micros(micros(pa.array(TIMES)))
    assert (month_starts(months_of_times) <= TIMES.to_numpy()).all()
    assert (month_starts(months_of_times + 1) > TIMES.to_numpy()).all()


@pytest.mark.parametrize("tz", ["UTC", "Europe/London", "America/Los_Angeles", "Pacific/Kiritimati",
                                "Asia/Kathmandu"])
def test_months_in_a_time_zone_are_its_calendar_months(tz):
    assert months_from_times(TIMES, tz=tz).tolist() == _periods(TIMES, tz)
    # naive times are UTC
    assert months_from_times(TIMES.dt.tz_localize(None), tz=tz).tolist() == _periods(TIMES, tz)


def test_time_zones_move_times_across_month_ends():
    # 2024-01-31 23:00 UTC is already February in Paris; 2024-02-01 00:00 UTC still January in New York
    assert months_from_times(TIMES[7:9], tz="Europe/Paris").tolist() == [649, 649]
    assert months_from_times(TIMES[7:9], tz="America/New_York").tolist() == [648, 648]
    # 1969-12-31 23:59 UTC is 1970-01-01 in Berlin, and 1970-01-01 00:00 UTC 1969-12-31 in Chicago
    assert months_from_times(TIMES[2:4], tz="Europe/Berlin").tolist() == [0, 0]
    assert months_from_times(TIMES[2:4], tz="America/Chicago").tolist() == [-1, -1]


def test_missing_times_have_no_month():
    months = months_from_times(pd.Series(pd.to_datetime(["2024-05-01", None], utc=True)))
    assert months.iloc[0] == 652 and np.isnan(months.iloc[1])


def test_iso_months_label_the_same_months():
    months = months_from_times(TIMES)
    assert iso_months(months).tolist() == TIMES.dt.strftime("%Y-%m").tolist()
    assert str(iso_months(-1)) == "1969-12" and str(iso_months(0)) == "1970-01"


def test_the_public_month_functions_use_the_one_encoding():
    from peerscope.corpus.partition import part_name
    from peerscope.support import month_of

    expected = _periods(TIMES)
    assert months_from_times(TIMES).tolist() == expected
    assert months_from_arrow(pa.array(TIMES)).tolist() == expected
    assert part_name(648) == "2024-01.parquet"
    assert month_of(TIMES).tolist() == iso_months(expected).tolist()


@pytest.mark.parametrize("values, starts, lengths", [
    ([], [], []),
    ([7], [0], [1]),
    ([3, 3, 3, 3], [0], [4]),
    ([1, 2, 5, 9], [0, 1, 2, 3], [1, 1, 1, 1]),
    ([1, 1, 2, 5, 5, 5, 8], [0, 2, 3, 6], [2, 1, 3, 1]),
])
def test_run_starts_and_lengths(values, starts, lengths):
    for dtype in (np.int32, np.int64, np.float64):
        array = np.array(values, dtype=dtype)
        found = run_starts(array)
        assert found.tolist() == starts and found.dtype == np.int64
        assert run_lengths(found, len(array)).tolist() == lengths
        assert run_lengths(found, len(array)).dtype == np.int64


def test_run_starts_are_numpys_first_occurrences():
    keys = np.sort(np.random.default_rng(4).integers(0, 50, 1_000))
    distinct, first, counts = np.unique(keys, return_index=True, return_counts=True)
    starts = run_starts(keys)
    assert starts.tolist() == first.tolist()
    assert keys[starts].tolist() == distinct.tolist()
    assert run_lengths(starts, len(keys)).tolist() == counts.tolist()


def test_run_starts_of_several_keys_start_where_any_key_changes():
    rng = np.random.default_rng(5)
    rows = np.unique(rng.integers(0, 6, (300, 2)), axis=0)[rng.integers(0, 20, 200)]
    rows = rows[np.lexsort((rows[:, 1], rows[:, 0]))]
    first = np.unique(rows, axis=0, return_index=True)[1]
    assert run_starts(rows[:, 0], rows[:, 1]).tolist() == sorted(first.tolist())
    assert run_starts([], []).tolist() == []
    assert run_starts([4, 4, 4], [1, 1, 1]).tolist() == [0]


def test_dyads_are_counted_by_unordered_pair():
    """Every reason a reply is not an edge, and a pair answered several times each way, counted by hand."""
    replies = [  # (author, author of the parent)
        ("bob", "ann"), ("bob", "ann"), ("bob", "ann"), ("ann", "bob"),   # ann <-> bob: 2 edges, reciprocated
        ("cat", "ann"), ("cat", "ann"),                                   # cat -> ann: 1 edge, not returned
        ("ann", "ann"),                                                   # self-reply: no edge
        (None, "bob"), ("bob", None),                                     # unknown author either side
        ("bot", "cat"), ("cat", "bot"),                                   # a bot either side
        ("dan", "zed")]                                                   # dan -> zed: 1 edge
    post_id, parent_id, author_id = [], [], []
    for number, (author, parent_author) in enumerate(replies):
        # each reply answers a post of its own by the parent's author (an opening post)
        post_id += [f"o{number}", f"r{number}"]
        parent_id += [None, f"o{number}"]
        author_id += [parent_author, author]
    posts = pa.table({"post_id": post_id, "parent_id": parent_id, "author_id": author_id})
    non_persons = pa.table({"member_id": ["bot"]})
    assert dyads(posts, non_persons) == Dyads(edges=4, reciprocated=2, replies=len(replies),
                                              replies_to_replies=False)
    # a reply to a reply: the structure is nested, the edges the same plus bob -> cat
    nested = pa.concat_tables([posts, pa.table({"post_id": ["deep"], "parent_id": ["r4"],
                                                "author_id": ["bob"]})])
    assert dyads(nested, non_persons) == Dyads(edges=5, reciprocated=2, replies=len(replies) + 1,
                                               replies_to_replies=True)
