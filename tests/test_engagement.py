"""Engagement over time on a hand-made forum whose every number is worked out below."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from peerscope import Corpus, engagement, open_corpus
from peerscope._kernels.months import months_from_times

from conftest import utc

# a opens T1 on Tue 2 Jan 2024, answers b, then replies to herself; b answers a and
# opens T2 on Mon 11 Mar (after US daylight saving began on 10 Mar); c only views.
POSTS = pd.DataFrame({
    "post_id": ["p1", "p2", "p3", "p4", "p5"],
    "thread_id": ["p1", "p1", "p1", "p1", "p5"],
    "parent_id": [None, "p1", "p2", "p1", None],
    "author_id": ["a", "b", "a", "a", "b"],
    "created_at": utc("2024-01-02 10:00", "2024-01-02 12:00", "2024-01-03 10:00",
                      "2024-01-05 10:00", "2024-03-11 09:00"),
    "text": None,
})
MEMBERS = pd.DataFrame({
    "member_id": ["a", "b", "c"],
    "joined_at": utc("2024-01-01 00:00", "2024-01-02 00:00", "2024-02-01 00:00"),
})
EVENTS = pd.DataFrame({"member_id": ["c"], "at": utc("2024-02-15 08:00"), "kind": ["view"],
                       "form": ["online"]})
WINDOW = dict(start="2024-01-01", end="2024-06-01")


@pytest.fixture(scope="module")
def corpus():
    return Corpus.from_frames(POSTS, MEMBERS, EVENTS, name="hand")


def test_delurking(corpus):
    table = engagement.delurking(corpus)
    # a: 1 Jan 00:00 -> 2 Jan 10:00 = 34 h; b: 2 Jan 00:00 -> 12:00 = 12 h; c never posted
    assert table.loc["a", "days_to_first_post"] == pytest.approx(34 / 24)
    assert table.loc["b", "days_to_first_post"] == pytest.approx(0.5)
    assert not table.loc["c", "delurked"] and np.isnan(table.loc["c", "days_to_first_post"])
    assert (table["origin_kind"] == "joined").all()


def test_delurking_from_first_view_without_join_dates():
    members = MEMBERS.drop(columns="joined_at")
    table = engagement.delurking(Corpus.from_frames(POSTS, members, EVENTS))
    assert table.index.tolist() == ["c"] and table.loc["c", "origin_kind"] == "first view"


def test_frequency_and_burstiness(corpus):
    table = engagement.frequency(corpus)
    # a: gaps 1 and 2 days -> mean 1.5 d, population sd 0.5 d -> B = (0.5 - 1.5) / 2 = -0.5;
    # all three posts in the week of Monday 1 Jan
    assert table.loc["a", "burstiness"] == pytest.approx(-0.5)
    assert (table.loc["a", "active_weeks"], table.loc["a", "posts_per_active_week"]) == (1, 3.0)
    # b: one gap, burstiness undefined; two weeks
    assert np.isnan(table.loc["b", "burstiness"]) and table.loc["b", "active_weeks"] == 2
    assert "c" not in table.index


def test_frequency_equals_a_pandas_groupby_on_a_synthetic_community():
    from peerscope import synth

    community, _ = synth.generate(4_000, seed=5, months=6)
    table = engagement.frequency(community)
    posts = engagement._person_posts(community, None, None, False)
    gaps = posts.groupby("member_id")["created_at"].diff().dt.total_seconds()
    weeks = posts["created_at"].dt.tz_localize(None).dt.to_period("W-SUN")
    grouped = posts.assign(gap=gaps, week=weeks).groupby("member_id")
    mean, sd = grouped["gap"].mean(), grouped["gap"].std(ddof=0)
    assert table["posts"].equals(grouped.size().astype("int64").rename("posts"))
    assert table["active_weeks"].equals(grouped["week"].nunique().astype("int64").rename("active_weeks"))
    pd.testing.assert_series_equal(table["mean_gap_days"], (mean / 86_400).rename("mean_gap_days"), rtol=1e-12)
    burstiness = ((sd - mean) / (sd + mean).where(sd + mean > 0)).where(grouped["gap"].count() >= 2)
    pd.testing.assert_series_equal(table["burstiness"], burstiness.rename("burstiness"), rtol=1e-9)
    assert table["burstiness"].notna().sum() > 50


def test_survival_and_kaplan_meier(corpus):
    result = engagement.survival(corpus, withdrawal="30D", **WINDOW)
    # a: tenure 3 days, last post + 30 d = 4 Feb <= 1 Jun: withdrawn
    # b: 2 Jan 12:00 -> 11 Mar 09:00 = 68.875 days, withdrawn (10 Apr <= 1 Jun)
    assert result.members["tenure_days"].tolist() == pytest.approx([3.0, 68.875])
    assert result.members["withdrawn"].tolist() == [True, True]
    assert result.curve["survival"].tolist() == pytest.approx([0.5, 0.0])
    assert result.median_tenure_days == 3.0
    censored = engagement.survival(corpus, withdrawal="120D", **WINDOW)
    # b is still active (11 Mar + 120 d is after 1 Jun): censored, S stays at 0.5
    assert censored.curve["survival"].tolist() == pytest.approx([0.5, 0.5])
    assert censored.curve["censored"].tolist() == [0, 1]
    # Greenwood at t = 3: 0.5 +- 1.96 * sqrt(0.25 * 1 / (2 * 1)) -> clipped to [0, 1]
    assert (censored.curve.loc[0, "ci_low"], censored.curve.loc[0, "ci_high"]) == (0.0, 1.0)


def test_kaplan_meier_by_hand():
    # times 1, 2, 2, 3+ (censored), 4: S(1) = 4/5, S(2) = 4/5 * 2/4 = 0.4, S(4) = 0
    curve = engagement.kaplan_meier([1, 2, 2, 3, 4], [True, True, True, False, True])
    assert curve["survival"].tolist() == pytest.approx([0.8, 0.4, 0.4, 0.0])
    assert curve["at_risk"].tolist() == [5, 4, 2, 1]


def test_time_profile_in_a_timezone(corpus):
    profile = engagement.time_profile(corpus, timezone="America/New_York")
    table = profile.to_frame().set_index(["weekday", "hour"])
    assert len(table) == 7 * 24 and table["posts"].sum() == 5
    # 2 Jan 10:00 UTC = Tue 05:00 EST; 11 Mar 09:00 UTC = Mon 05:00 EDT (not 04:00)
    assert table.loc[(1, 5), "posts"] == 1 and table.loc[(0, 5), "posts"] == 1
    assert table.loc[(0, 4), "posts"] == 0
    assert table.loc[(1, 7), "posts"] == 1 and table.loc[(1, 7), "share"] == pytest.approx(0.2)
    assert not profile.day_resolution


def test_ladder_by_month(corpus):
    moves = engagement.ladder_by_month(corpus, **WINDOW)
    levels = moves.levels.set_index(["member_id", "month"])["ladder_level"]
    jan, feb, mar = (pd.Timestamp(f"2024-{m}-01", tz="UTC") for m in ("01", "02", "03"))
    # January: a and b both replied to each other (rung 3); c viewed in February (1);
    # b opened a thread in March (2)
    assert levels.to_dict() == {("a", jan): 3, ("b", jan): 3, ("c", feb): 1, ("b", mar): 2}
    monthly = moves.to_frame()
    assert monthly["members"].tolist() == [2, 3, 3, 3, 3]
    assert monthly["moved_up"].tolist() == [0, 1, 1, 0, 0]
    assert monthly["share_moved_up"].tolist()[1:] == pytest.approx([1 / 3, 1 / 3, 0, 0])
    assert np.isnan(monthly["share_moved_up"].iloc[0])
    assert monthly["mean_level"].tolist() == pytest.approx([3, 1 / 3, 2 / 3, 0, 0])
    assert moves.share_ever_moved_up == pytest.approx(2 / 3)


def test_monthly_series(corpus):
    series = engagement.monthly(corpus, withdrawal="30D", **WINDOW)
    assert len(series) == 5
    assert series["posts"].tolist() == [4, 0, 1, 0, 0]
    assert series["posters"].tolist() == [2, 0, 1, 0, 0]
    assert series["new_posters"].tolist() == [2, 0, 0, 0, 0]
    assert series["withdrawn"].tolist() == [1, 0, 1, 0, 0]
    assert series.loc[0, "median_burstiness"] == pytest.approx(-0.5)


def test_dask_engine_gives_the_same_numbers(corpus, tmp_path):
    saved = corpus.save(tmp_path / "hand")
    lazy = open_corpus(tmp_path / "hand", engine="dask")
    for function in (engagement.delurking, engagement.frequency, engagement.monthly):
        pd.testing.assert_frame_equal(function(saved, **WINDOW), function(lazy, **WINDOW),
                                      check_dtype=False)
    pd.testing.assert_frame_equal(engagement.ladder_by_month(saved).levels,
                                  engagement.ladder_by_month(lazy).levels, check_dtype=False)
    pd.testing.assert_frame_equal(engagement.survival(saved).curve, engagement.survival(lazy).curve)


def test_a_return_to_a_rung_held_before_is_not_a_climb():
    """Month-to-month 'moved up' counts returns from silence; climbers need a new highest rung."""
    import pandas as pd
    from peerscope import Corpus
    from peerscope.participation.engagement import ladder_by_month

    t = lambda *s: pd.to_datetime(list(s), utc=True)  # noqa: E731
    # ann opens threads in Jan, is silent in Feb, opens again in Mar (a return, not a climb);
    # bob opens a thread in Jan and replies to ann in Mar (a climb from 'post' to 'reply to others')
    posts = pd.DataFrame({
        "post_id": ["a1", "b1", "a3", "b3"], "thread_id": ["a1", "b1", "a3", "a3"],
        "parent_id": [None, None, None, "a3"], "author_id": ["ann", "bob", "ann", "bob"],
        "created_at": t("2024-01-05", "2024-01-06", "2024-03-05", "2024-03-06"), "text": ["x"] * 4})
    moves = ladder_by_month(Corpus.from_frames(posts))
    assert moves.active_members == 2
    assert moves.climbers == 1
    assert moves.share_ever_moved_up == 1.0   # both 'moved up' from their silent February


@pytest.mark.parametrize("options", [{}, {"include_bots": True, "host_repliers": 1},
                                     {"start": "2022-03-01", "end": "2022-09-01"}],
                         ids=["all", "bots", "window"])
def test_ladder_levels_are_the_activity_ladder_of_each_month(options):
    """ladder_by_month's levels (the highest rung of each row, as codes) are the ladder of
    ``participation.assemble`` on the (member, month) parts; the grouped path that Dask runs on
    the workers (here on pandas frames) finds the same rungs as the numpy path."""
    from peerscope import participation, synth
    from peerscope.participation import engagement as module

    generated, _ = synth.generate(3000, seed=5, n_members=200, months=8, with_text=False)
    events = generated.events()
    kinds = np.array(["contribute", "facilitate", "attend", "session"])
    row = np.arange(len(events)) % 7   # four of seven events of other kinds, the rest as generated
    events["kind"] = np.where(row < 4, kinds[np.minimum(row, 3)], events["kind"])
    corpus = Corpus.from_frames(generated.posts().assign(text=None), generated.members(), events,
                                generated.newsletter_items().assign(text=None))
    moves = engagement.ladder_by_month(corpus, **options)
    parts = participation.ladder_inputs(corpus, by_month=True, **options)
    pairs = pd.MultiIndex.from_frame(pd.concat([parts[name].index.to_frame(index=False)
                                                for name in ("posts", "events", "items")]).drop_duplicates())
    table = participation.assemble(parts, pairs, participation.roles(corpus))
    expected = table.loc[table["ladder_level"] > 0, "ladder_level"].sort_index()
    # levels keep the ids as a categorical and the level as int8 (compact per-month rows)
    assert isinstance(moves.levels["member_id"].dtype, pd.CategoricalDtype)
    assert moves.levels["ladder_level"].dtype == np.int8
    found = moves.levels.assign(month=months_from_times(moves.levels["month"]),
                                member_id=moves.levels["member_id"].astype("str"),
                                ladder_level=moves.levels["ladder_level"].astype(np.int64))
    found = found.set_index(["member_id", "month"])["ladder_level"].sort_index()
    assert set(found) >= {1, 2, 3, 4, 5}
    pd.testing.assert_series_equal(found, expected, check_names=False, check_index_type=False)
    kinds_of = participation._kinds(corpus, options.get("include_bots", False))
    window = (options.get("start"), options.get("end"))

    def persons_rungs(rungs):   # the grouped path leaves non-persons out on the workers already
        ids, codes, months, rung = rungs
        frame = pd.DataFrame({"member_id": ids.take(codes).to_pandas(), "month": months, "rung": rung})
        return frame[kinds_of.person(pd.Index(frame["member_id"]))].reset_index(drop=True)

    pd.testing.assert_frame_equal(
        persons_rungs(module._read_rungs(corpus, *window, kinds_of, options.get("host_repliers", 2))),
        persons_rungs(module._lazy_rungs(corpus, *window, kinds_of, options.get("host_repliers", 2))))


def test_ladder_plot_draws_the_members_at_each_level_per_month():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from peerscope import synth

    corpus, _ = synth.generate(3000, seed=4, months=8, with_text=False)
    moves = engagement.ladder_by_month(corpus)
    expected = moves.levels.groupby(["month", "ladder_level"], observed=True).size().unstack(fill_value=0)
    counts = moves.level_counts()   # what the figure draws, from the result's arrays
    assert (counts.loc[:, expected.columns].to_numpy() == expected.to_numpy()).all()
    assert (counts.drop(columns=expected.columns) == 0).all().all()
    fig, ax = plt.subplots()
    moves.plot(ax)
    drawn = {int(line.get_label().split()[0]): line for line in ax.get_lines()}
    assert set(drawn) == set(expected.columns)
    for level, line in drawn.items():
        assert line.get_ydata().tolist() == expected[level].astype(float).tolist()
        assert list(pd.DatetimeIndex(line.get_xdata())) == list(expected.index)
    plt.close(fig)


@pytest.mark.parametrize("options", [{}, {"start": "2022-03-01", "end": "2022-09-01"}], ids=["all", "window"])
def test_ladder_codes_ids_against_the_roster_with_the_same_results(monkeypatch, options):
    """With a roster the rungs are kept coded against it: the same LadderMoves as the ids
    unified part by part, the path of corpora without a roster."""
    from peerscope import synth
    from peerscope.participation import engagement as module

    generated, _ = synth.generate(3000, seed=7, n_members=200, months=8, with_text=False)
    corpus = Corpus.from_frames(generated.posts().assign(text=None), generated.members(),
                                generated.events(), generated.newsletter_items().assign(text=None))
    assert corpus.has_roster
    coded = module.ladder_by_month(corpus, **options)
    monkeypatch.setattr(module, "_roster_ids", lambda corpus: None)
    unified = module.ladder_by_month(corpus, **options)
    pd.testing.assert_frame_equal(coded.levels, unified.levels)
    pd.testing.assert_frame_equal(coded.monthly, unified.monthly)
    for name in ("share_ever_moved_up", "members", "climbers", "active_members"):
        assert getattr(coded, name) == getattr(unified, name)


def test_roster_rungs_fold_parts_as_the_unified_parts_merge():
    """Parts folded one by one into the roster's table, with new months before and after and new
    ids off the roster, give the rows of :class:`_HighestRungs`, sorted by month then id."""
    import pyarrow as pa

    from peerscope.participation import engagement as module

    rng = np.random.default_rng(3)
    names = np.array([f"m{i:03d}" for i in range(60)])
    roster, unified = module._RosterRungs(pa.array(names[:40])), module._HighestRungs()
    for first_month in (600, 598, 603, 601):
        ids = pa.array(rng.permutation(names)[:30]).dictionary_encode().dictionary
        codes = rng.integers(-1, len(ids), 500).astype(np.int32)
        months = first_month + rng.integers(0, 3, 500)
        rungs = rng.integers(0, 6, 500).astype(np.int8)
        for highest in (roster, unified):
            highest.add(ids, codes, months, rungs)
        roster._fold()
    found, expected = roster.result(), unified.result()
    assert found[0].equals(expected[0])
    for column, value in zip(found[1:], expected[1:]):
        np.testing.assert_array_equal(column, value)
        assert column.dtype == value.dtype
