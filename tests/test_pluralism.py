"""Tests of peerscope.pluralism: planted pathways in the synthetic community,
the 18-person interview table of docs/concepts.md, and small hand-made frames whose
values are worked out by hand in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from peerscope import Corpus, errors, pluralism

from peerscope.corpus import schema
from peerscope.corpus import open_corpus
from peerscope.datasets.synth import generate

from conftest import utc

N_POSTS = 8000
SEED = 21


@pytest.fixture(scope="module")
def synthetic():
    corpus, truth = generate(N_POSTS, seed=SEED, with_text=False)
    return corpus, truth, pluralism.forms_in_use(corpus)


def _post(ids, authors, times):
    return pd.DataFrame({"post_id": ids, "thread_id": [ids[0]] * len(ids),
                         "parent_id": [None] + [ids[0]] * (len(ids) - 1),
                         "author_id": authors, "created_at": utc(*times), "text": [""] * len(ids)})


def _events(rows):
    member, at, kind, form = zip(*rows)
    return pd.DataFrame({"member_id": member, "at": utc(*at), "kind": kind, "form": form})


# -- planted truth --------------------------------------------------------------

def test_members_are_the_planted_persons_without_bot_or_anonymous(synthetic):
    corpus, truth, use = synthetic
    assert set(use.uses["member_id"]) == set(truth.members["member_id"])
    assert truth.bot_id not in set(use.uses["member_id"])
    assert use.excluded_members == 2  # the bot and the anonymous account
    assert use.ignored_events == {}
    assert use.last_period == pd.Period("2023-12", "M")


def test_grouping_by_roster_codes_and_by_ids_agree(synthetic):
    corpus, _, use = synthetic
    # a windowed corpus (here a window holding everything) groups on the string ids
    windowed = pluralism.forms_in_use(corpus.window("2000-01-01", "2030-01-01"))
    pd.testing.assert_frame_equal(windowed.uses, use.uses)
    # so does a corpus without a roster
    posts = corpus.posts(columns=["post_id", "thread_id", "parent_id", "author_id", "created_at", "text"])
    no_roster = Corpus.from_frames(posts, events=corpus.events(),
                                   newsletter_items=corpus.newsletter_items(columns="all"))
    plain = pluralism.forms_in_use(no_roster, exclude_roles=())
    persons = use.uses
    others = plain.uses[~plain.uses["member_id"].isin(set(persons["member_id"]))]
    assert set(others["member_id"]) == {"bot-welcome", "anonymous-guest"}
    # the ids are a categorical over the ids of the rows: the plain corpus's has two more
    assert isinstance(persons["member_id"].dtype, pd.CategoricalDtype)
    as_str = lambda uses: uses.assign(member_id=uses["member_id"].astype("str"))
    pd.testing.assert_frame_equal(
        as_str(plain.uses[plain.uses["member_id"].isin(set(persons["member_id"]))].reset_index(drop=True)),
        as_str(persons))


def test_events_streamed_in_small_batches_give_the_same_uses(synthetic, monkeypatch, tmp_path):
    """A saved corpus streams its events batch by batch; the batches' parts are aggregated again."""
    corpus, _, use = synthetic
    saved = corpus.save(tmp_path / "forum")
    import peerscope.pluralism as module

    monkeypatch.setattr(module, "_EVENT_BATCH", 997)   # many batches, cutting members' periods apart
    monkeypatch.setattr(module, "_BATCH", 997)   # the same through the columnar engine
    monkeypatch.setattr(module, "_BLOCK", 1000)  # cells found a block of keys at a time
    assert corpus.manifest["tables"]["events"]["rows"] > 20 * 997
    streamed = pluralism.forms_in_use(saved)
    pd.testing.assert_frame_equal(streamed.uses, use.uses)
    assert streamed.ignored_events == use.ignored_events and streamed.excluded_members == use.excluded_members
    # kinds left out are counted over every batch
    mixed = Corpus.from_frames(corpus.posts(columns="all"), corpus.members(columns="all"),
                               events=corpus.events(columns="all").assign(kind=lambda e: e["kind"].where(
                                   np.arange(len(e)) % 3 > 0, "download")),
                               newsletter_items=corpus.newsletter_items(columns="all")).save(tmp_path / "mixed")
    assert pluralism.forms_in_use(mixed).ignored_events == {
        "download": int((np.arange(corpus.manifest["tables"]["events"]["rows"]) % 3 == 0).sum())}


def test_uses_and_first_uses_equal_a_plain_groupby_of_the_tables(synthetic):
    """The packed keys, buckets and bit sets give what grouping the rows by hand gives."""
    corpus, _, use = synthetic
    events = corpus.events(columns=["member_id", "at", "kind", "form"])
    events = events[events["kind"].isin(pluralism.ACTIVE_KINDS + pluralism.PASSIVE_KINDS)]
    rows = pd.concat([
        corpus.posts(columns=["author_id", "created_at"]).set_axis(["member_id", "at"], axis=1)
        .assign(form="online", active=True),
        events.assign(active=events["kind"].isin(pluralism.ACTIVE_KINDS))[["member_id", "at", "form", "active"]],
        corpus.newsletter_items(columns=["author_id", "published_at"]).set_axis(["member_id", "at"], axis=1)
        .assign(form="newsletter", active=True)], ignore_index=True).dropna(subset=["member_id"])
    rows = rows[~rows["member_id"].isin(pluralism.ids_with_roles(corpus))]
    rows = rows.assign(period=rows["at"].dt.tz_localize(None).dt.to_period("M"),
                       form=pd.Categorical(rows["form"], categories=list(pluralism.FORMS)),
                       member_id=rows["member_id"].astype("str"))
    expected = rows.groupby(["member_id", "period", "form"], observed=True)["active"].any().reset_index()
    as_str = lambda frame: frame.assign(member_id=frame["member_id"].astype("str"))
    pd.testing.assert_frame_equal(as_str(use.uses), expected)
    first = rows.groupby(["member_id", "form"], observed=True)["at"].min().rename("first_at").reset_index()
    pd.testing.assert_frame_equal(as_str(use.first_uses), first, check_dtype=False)
    assert use.n_members == rows["member_id"].nunique()


def test_side_by_side_curve_is_recovered_exactly(synthetic):
    _, truth, use = synthetic
    curve = pluralism.forms_over_tenure(use).frame
    assert len(curve) == len(truth.forms_curve)
    assert [round(x, 4) for x in curve["mean_forms"]] == [round(x, 4) for x in truth.forms_curve]
    # the reference shape: about 2.5 at the start, 2 by month 5, 1.5 by month 11
    mean = curve["mean_forms"].to_numpy()
    assert abs(mean[0] - 2.5) < 0.25 and abs(mean[5] - 2.0) < 0.25 and abs(mean[11] - 1.5) < 0.25
    # observed members: first use month + k <= last month (23)
    first_month = truth.members["first_use_month"].to_numpy()
    assert curve["members"].tolist() == [int((first_month + k <= 23).sum()) for k in range(24)]


def test_planted_pathways_are_recovered_exactly(synthetic):
    _, truth, use = synthetic
    result = pluralism.pathways(use)
    got = result.members.set_index("member_id")
    planted = truth.members.set_index("member_id").loc[got.index]
    assert len(got) == truth.n_members
    assert (got["pathway"] == planted["forms"]).all()
    assert (got["first_form"] == planted["first_form"]).all()
    assert (got["n_forms"] == planted["n_forms"]).all()
    counts = truth.members["first_form"].value_counts()
    assert result.first_forms.set_index("form")["members"].to_dict() == {
        f: int(counts.get(f, 0)) for f in pluralism.FORMS}
    assert result.first_forms["share"].sum() == pytest.approx(1.0)
    # first uses are numbered 1..n_forms per member
    orders = result.first_uses.groupby("member_id")["order"].agg(["min", "max"])
    assert (orders["min"] == 1).all() and (orders["max"] == planted.loc[orders.index, "n_forms"]).all()


def test_planted_combinations_and_sequential_use_are_recovered_exactly(synthetic):
    _, truth, use = synthetic
    result = pluralism.combinations(use)
    got = result.members.set_index("member_id")
    planted = truth.members.set_index("member_id").loc[got.index]
    assert (got["sequential"] == planted["sequential"]).all()
    assert (got.loc[planted["n_forms"] == 1, "pattern"] == "single").all()
    # the UpSet sets: forms of the planted first-use order, as sets
    planted_sets = planted["forms"].str.split(">").map(
        lambda fs: "+".join(f for f in pluralism.FORMS if f in fs))
    expected = planted_sets.value_counts()
    assert result.sets.set_index("forms")["members"].to_dict() == expected.to_dict()
    assert result.sets["members"].sum() == truth.n_members
    for form in pluralism.FORMS:
        assert result.totals.set_index("form").loc[form, "members"] == planted_sets.str.contains(form).sum()
    assert result.patterns.set_index("pattern")["members"].sum() == truth.n_members


def test_transitions_agree_with_the_forms_in_use(synthetic):
    _, truth, use = synthetic
    matrix = pluralism.pathways(use).matrix
    wide = use.to_frame()
    size = wide.set_index(["member_id", "period"])["n_forms"]
    # planted intervals leave no month without a form between first use and the end
    assert matrix.loc[pluralism.NO_FORM].sum() == 0
    for form in pluralism.FORMS:
        # row total: for each member-month with the form (but the last month),
        # the number of forms in use the month after
        rows = wide[wide[form] & (wide["period"] < use.last_period)]
        after = size.reindex(pd.MultiIndex.from_arrays([rows["member_id"], rows["period"] + 1]))
        assert matrix.loc[form].sum() == int(after.fillna(0).sum())
        assert matrix.loc[form, pluralism.NO_FORM] == int(after.isna().sum()) == 0
    # staying with a form: member-months with the form in both months
    online = wide.loc[wide["online"], ["member_id", "period"]]
    stay = pd.MultiIndex.from_frame(online).isin(
        pd.MultiIndex.from_arrays([online["member_id"], online["period"] + 1]))
    assert matrix.loc["online", "online"] == int(stay.sum())


def test_active_and_passive_users_per_form(synthetic):
    _, truth, use = synthetic
    table = pluralism.active_passive(use).frame.set_index("form")
    per_form = use.uses.groupby(["form", "member_id"], observed=True)["active"].max()
    assert set(per_form["online"][per_form["online"]].index) == set(truth.posters)
    assert set(per_form["newsletter"][per_form["newsletter"]].index) == set(truth.contributors)
    assert table.loc["online", "active"] == truth.n_posters
    assert table.loc["newsletter", "active"] == len(truth.contributors)
    assert table.loc["group", "active"] == 0  # attending is passive; nobody facilitates
    assert table.loc["one_to_one", "share_active"] == 1.0  # sessions are active
    assert table.loc["newsletter", "members"] == len(truth.subscribers)
    assert table.loc["any", "members"] == truth.n_members
    row = table.loc["online"]
    assert row["active"] + row["passive_only"] == row["members"]


def test_dask_engine_gives_the_same_numbers(tmp_path):
    corpus, _ = generate(2500, seed=4, with_text=False, path=tmp_path / "c")
    pandas_corpus = open_corpus(tmp_path / "c")
    dask_corpus = open_corpus(tmp_path / "c", engine="dask")
    for freq in ("M", "W", "Q"):
        a = pluralism.forms_in_use(pandas_corpus, freq=freq)
        b = pluralism.forms_in_use(dask_corpus, freq=freq)
        pd.testing.assert_frame_equal(a.uses, b.uses)
        assert a.parameters == b.parameters
    a = pluralism.forms_in_use(pandas_corpus, start="2022-03-01", end="2023-02-01")
    b = pluralism.forms_in_use(dask_corpus, start="2022-03-01", end="2023-02-01")
    pd.testing.assert_frame_equal(pluralism.forms_over_tenure(a).frame,
                                  pluralism.forms_over_tenure(b).frame)
    pd.testing.assert_frame_equal(pluralism.pathways(a).transitions, pluralism.pathways(b).transitions)
    pd.testing.assert_frame_equal(pluralism.combinations(a).sets, pluralism.combinations(b).sets)
    pd.testing.assert_frame_equal(pluralism.active_passive(a).frame, pluralism.active_passive(b).frame)


def test_dask_parts_of_many_partitions_give_the_same_uses(tmp_path):
    """Stored by month, the grouped parts come back as several partitions (split_out), each
    collected on its own: the same uses (ids as a categorical) and measures as the pandas engine."""
    from peerscope.corpus import repartition

    generate(2500, seed=4, with_text=False, path=tmp_path / "flat")
    repartition(tmp_path / "flat", tmp_path / "monthly", by="month")
    pandas_corpus = open_corpus(tmp_path / "monthly")
    dask_corpus = open_corpus(tmp_path / "monthly", engine="dask", scheduler="synchronous")
    assert dask_corpus.events(columns=["member_id"]).npartitions >= 4
    a, b = pluralism.forms_in_use(pandas_corpus), pluralism.forms_in_use(dask_corpus)
    assert isinstance(a.uses["member_id"].dtype, pd.CategoricalDtype) and len(a.uses) > 1000
    pd.testing.assert_frame_equal(a.uses, b.uses)
    for name in ("members", "first_uses", "transitions"):
        pd.testing.assert_frame_equal(pluralism.pathways(a).to_frame(name), pluralism.pathways(b).to_frame(name))
    pd.testing.assert_frame_equal(pluralism.combinations(a).members, pluralism.combinations(b).members)
    pd.testing.assert_frame_equal(pluralism.active_passive(a).frame, pluralism.active_passive(b).frame)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.to_frame()["member_id"].dtype == "str"


# -- the 18-person interview study ---------------------------------------------------

INTERVIEW = ([("group", "online", "one_to_one")] * 6 + [("group", "online")] * 3
             + [("group", "one_to_one")] * 7 + [("online", "one_to_one")] * 2)
KIND = {"group": "attend", "online": "view", "one_to_one": "session"}


@pytest.fixture(scope="module")
def interview():
    """18 members with the interview's form sets.  Members 0-8 use their forms one
    after another (one form per month, from January), members 9-17 all in January."""
    rows = []
    for i, forms in enumerate(INTERVIEW):
        for j, form in enumerate(forms):
            month = j + 1 if i < 9 else 1
            rows.append((f"p{i:02d}", f"2019-{month:02d}-15 12:00", KIND[form], form))
    events = _events(rows)
    posts = _post(["x1"], ["p00"], ["2019-01-20 12:00"])  # p00 also posts online (same set)
    members = pd.DataFrame({"member_id": [f"p{i:02d}" for i in range(18)]})
    return Corpus.from_frames(posts, members, events)


def test_interview_combination_table_is_reproduced(interview):
    result = pluralism.combinations(interview)
    totals = result.totals.set_index("form")["members"]
    assert totals["group"] == 16 and totals["online"] == 11 and totals["one_to_one"] == 15
    assert totals["newsletter"] == 0
    assert result.count("group", "online", "one_to_one") == 6
    assert result.count("group", "online") == 3
    assert result.count("group", "one_to_one") == 7
    assert result.count("online", "one_to_one") == 2
    assert result.sets.set_index("forms")["members"].to_dict() == {
        "group+one_to_one": 7, "online+group+one_to_one": 6, "online+group": 3, "online+one_to_one": 2}
    # inclusive co-use: group with online = 6 + 3, group with one to one = 6 + 7
    assert result.co_use.loc["group", "online"] == 9
    assert result.co_use.loc["group", "one_to_one"] == 13
    assert result.co_use.loc["online", "one_to_one"] == 8
    assert result.count("group", exact=False) == 16
    assert len(result.members) == 18 and (result.members["n_forms"] >= 2).all()


def test_interview_sequential_and_concurrent_use(interview):
    result = pluralism.combinations(interview).members.set_index("member_id")
    # p00 posts online in January while attending a group then: concurrent;
    # p01..p08 use one form per month: sequential; p09..p17 all in January: concurrent
    assert result.loc["p00", "pattern"] == "concurrent"
    assert (result.loc[[f"p{i:02d}" for i in range(1, 9)], "pattern"] == "sequential").all()
    assert (result.loc[[f"p{i:02d}" for i in range(9, 18)], "pattern"] == "concurrent").all()
    patterns = pluralism.combinations(interview).patterns.set_index("pattern")["members"]
    assert patterns.to_dict() == {"single": 0, "sequential": 8, "concurrent": 10}


def test_interview_pathways_follow_the_months(interview):
    result = pluralism.pathways(interview).members.set_index("member_id")
    # p01 has group (January), online (February), one to one (March)
    assert result.loc["p01", "pathway"] == "group>online>one_to_one"
    # p00's post (Jan 20) comes after its group meeting (Jan 15)
    assert result.loc["p00", "pathway"] == "group>online>one_to_one"
    # p06 (group+online, sequential): group in January, online in February
    assert result.loc["p06", "pathway"] == "group>online"
    # p09 and p16 use both forms at the same instant: ties are broken in FORMS order
    assert result.loc["p09", "pathway"] == "group>one_to_one"
    assert result.loc["p16", "pathway"] == "online>one_to_one"


# -- hand-made frames ---------------------------------------------------------------

@pytest.fixture
def small():
    """ann: online Jan-Feb (posts, views), group Jan+Mar (attend), nothing in Apr,
    newsletter item in May.  bob: session Mar.  bot posts in Jan.  cat: join only."""
    posts = _post(["a1", "a2", "b1", "n1"], ["ann", "ann", "bot", None],
                  ["2024-01-02 10:00", "2024-02-10 10:00", "2024-01-03 10:00", "2024-01-04 10:00"])
    members = pd.DataFrame({"member_id": ["ann", "bob", "cat", "bot"],
                            "role": ["member", "member", "member", "bot"]})
    events = _events([
        ("ann", "2024-01-01 09:00", "view", "online"),
        ("ann", "2024-01-20 18:30", "attend", "group"),
        ("ann", "2024-03-06 18:30", "attend", "group"),
        ("bob", "2024-03-12 11:00", "session", "one_to_one"),
        ("cat", "2024-02-01 08:00", "join", "online"),
        ("bot", "2024-02-01 08:00", "view", "online"),
    ])
    items = pd.DataFrame({"item_id": ["i1", "i2"], "issue_id": ["may", "may"],
                          "newsletter": ["News", "News"], "author_id": ["ann", None],
                          "published_at": utc("2024-05-02 09:00", "2024-05-02 09:00"),
                          "text": ["", ""]})
    return Corpus.from_frames(posts, members, events, items)


def test_forms_in_use_by_hand(small):
    use = pluralism.forms_in_use(small)
    frame = use.to_frame().set_index(["member_id", "period"])
    assert frame.loc[("ann", pd.Period("2024-01", "M")), "forms"] == "online+group"
    assert frame.loc[("ann", pd.Period("2024-01", "M")), "n_active_forms"] == 1  # the post
    assert frame.loc[("ann", pd.Period("2024-02", "M")), "forms"] == "online"
    assert frame.loc[("ann", pd.Period("2024-03", "M")), "forms"] == "group"
    assert frame.loc[("ann", pd.Period("2024-03", "M")), "n_active_forms"] == 0
    assert frame.loc[("ann", pd.Period("2024-05", "M")), "forms"] == "newsletter"
    assert frame.loc[("ann", pd.Period("2024-05", "M")), "periods_since_first_use"] == 4
    assert frame.loc[("bob", pd.Period("2024-03", "M")), "n_active_forms"] == 1
    assert set(frame.index.get_level_values("member_id")) == {"ann", "bob"}
    assert use.ignored_events == {"join": 1}
    assert use.excluded_members == 1  # the bot (its posts and its view)
    assert use.last_period == pd.Period("2024-05", "M")
    assert frame.attrs["parameters"]["freq"] == "M"
    # the first use of online is the view at 09:00 on Jan 1, before the post
    first = use.first_uses.set_index(["member_id", "form"])["first_at"]
    assert first[("ann", "online")] == pd.Timestamp("2024-01-01 09:00", tz="UTC")
    assert first[("ann", "newsletter")] == pd.Timestamp("2024-05-02 09:00", tz="UTC")
    assert len(first) == 4   # ann: online, group, newsletter; bob: one to one


def test_forms_over_tenure_by_hand(small):
    curve = pluralism.forms_over_tenure(small).frame
    # ann: first Jan, observed k = 0..4 with forms 2, 1, 1, 0, 1
    # bob: first Mar, observed k = 0..2 with forms 1, 0, 0
    assert curve["members"].tolist() == [2, 2, 2, 1, 1]
    assert curve["mean_forms"].tolist() == [1.5, 0.5, 0.5, 0.0, 1.0]
    assert curve["members_using"].tolist() == [2, 1, 1, 0, 1]
    assert curve["mean_forms_using"].tolist()[:3] == [1.5, 1.0, 1.0]
    assert np.isnan(curve["mean_forms_using"].iloc[3])
    assert curve["share_online"].tolist() == [0.5, 0.5, 0.0, 0.0, 0.0]
    assert pluralism.forms_over_tenure(small, max_periods=1).frame["mean_forms"].tolist() == [1.5, 0.5]
    assert pluralism.forms_over_tenure(small).to_frame().attrs["parameters"]["freq"] == "M"


def test_transitions_by_hand(small):
    matrix = pluralism.pathways(small).matrix
    # ann: Jan {online, group} -> Feb {online} -> Mar {group} -> Apr {} -> May {newsletter}
    # bob: Mar {one_to_one} -> Apr {} -> May {}
    expected = pd.DataFrame(0, index=matrix.index, columns=matrix.columns)
    expected.loc["online", "online"] = 1      # Jan -> Feb
    expected.loc["group", "online"] = 1       # Jan -> Feb
    expected.loc["online", "group"] = 1       # Feb -> Mar
    expected.loc["group", "none"] = 1         # Mar -> Apr
    expected.loc["none", "newsletter"] = 1    # Apr -> May
    expected.loc["one_to_one", "none"] = 1    # bob Mar -> Apr
    expected.loc["none", "none"] = 1          # bob Apr -> May
    pd.testing.assert_frame_equal(matrix, expected)
    shares = pluralism.pathways(small).transitions.set_index(["from_form", "to_form"])["share"]
    assert shares[("online", "online")] == 0.5 and shares[("none", "newsletter")] == 0.5
    assert np.isnan(shares[("newsletter", "none")])  # no newsletter month before the last


def test_pathways_and_combinations_by_hand(small):
    paths = pluralism.pathways(small)
    assert paths.members.set_index("member_id")["pathway"].to_dict() == {
        "ann": "online>group>newsletter", "bob": "one_to_one"}
    assert paths.first_forms.set_index("form")["members"].to_dict() == {
        "online": 1, "group": 0, "one_to_one": 1, "newsletter": 0}
    combos = pluralism.combinations(small).members.set_index("member_id")
    # ann: online Jan-Feb and group Jan-Mar overlap -> concurrent
    assert combos.loc["ann", "pattern"] == "concurrent" and not combos.loc["ann", "sequential"]
    assert combos.loc["bob", "pattern"] == "single" and combos.loc["bob", "sequential"]
    table = pluralism.active_passive(small).frame.set_index("form")
    assert table.loc["group", "passive_only"] == 1 and table.loc["online", "active"] == 1
    assert table.loc["any", "members"] == 2 and table.loc["any", "active"] == 2


def test_weeks_quarters_time_zone_and_window(small):
    weeks = pluralism.forms_in_use(small, freq="W").uses
    # 2024-01-01 is a Monday: the view and the Jan 2 post share the week Jan 1-7
    ann_online = weeks[(weeks["member_id"] == "ann") & (weeks["form"] == "online")]
    assert ann_online["period"].astype(str).tolist() == ["2024-01-01/2024-01-07", "2024-02-05/2024-02-11"]
    quarters = pluralism.combinations(small, freq="Q").members.set_index("member_id")
    assert quarters.loc["ann", "pattern"] == "concurrent"
    # in Hawaii (UTC-10) the 09:00 UTC Jan 1 view falls on Dec 31, 2023
    local = pluralism.forms_in_use(small, tz="Pacific/Honolulu").uses
    assert local["period"].min() == pd.Period("2023-12", "M")
    window = pluralism.forms_in_use(small, start="2024-02-01", end="2024-04-01")
    assert window.last_period == pd.Period("2024-03", "M")
    assert set(window.uses["period"].astype(str)) == {"2024-02", "2024-03"}
    assert pluralism.forms_over_tenure(small, start="2024-02-01", end="2024-04-01").frame[
        "members"].tolist() == [2, 1]


def test_kind_classification_can_be_changed(small):
    table = pluralism.active_passive(small, active_kinds=("attend",),
                                     passive_kinds=("view", "session")).frame.set_index("form")
    assert table.loc["group", "active"] == 1
    assert table.loc["one_to_one", "active"] == 0
    everyone = pluralism.forms_in_use(small, exclude_roles=())
    assert "bot" in set(everyone.uses["member_id"]) and everyone.excluded_members == 0


def test_bad_arguments_raise_peerscope_errors(small):
    with pytest.raises(errors.PeerscopeError, match="freq"):
        pluralism.forms_in_use(small, freq="D")
    with pytest.raises(errors.PeerscopeError, match="both active and passive"):
        pluralism.forms_in_use(small, active_kinds=("view",))
    use = pluralism.forms_in_use(small)
    with pytest.raises(errors.PeerscopeError, match="only when a corpus"):
        pluralism.forms_over_tenure(use, freq="W")
    with pytest.raises(errors.PeerscopeError, match="unknown form"):
        pluralism.combinations(use).count("forum")
    with pytest.raises(errors.PeerscopeError, match="no table"):
        pluralism.pathways(use).to_frame("nope")


def test_empty_corpus_gives_empty_results():
    corpus = Corpus.from_frames(schema.empty_frame(schema.POSTS))
    use = pluralism.forms_in_use(corpus)
    assert len(use.uses) == 0 and use.last_period is None and use.to_frame().empty
    assert len(pluralism.forms_over_tenure(use).frame) == 0
    assert pluralism.combinations(use).sets.empty
    assert pluralism.pathways(use).matrix.to_numpy().sum() == 0
    assert pluralism.active_passive(use).frame["members"].sum() == 0
