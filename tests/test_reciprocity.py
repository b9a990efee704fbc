"""Reciprocity and responsiveness: hand-made forums, the synthetic community's
planted truth, the Dask engine, networkx, and two real forums checked against
their raw files."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from conftest import utc
from peerscope import Corpus, errors, open_corpus, synth
from peerscope.reciprocity import (ReplyGraph, dyadic_reciprocity, exchanges, generalised_reciprocity,
                                   give_receive, reply_graph, responsiveness, serial_reciprocity,
                                   summary)


# ---------------------------------------------------------------------------
# A hand-made nested forum
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def forum():
    """Three threads: ann and bob exchange, plus every kind of reply that is not an edge.

    t1: a1 ann opens; b1 bob -> ann; a2 ann -> bob; b2 bob -> ann (two A-B-A exchanges);
        x1 bot -> ann; n1 null author -> bob; a3 ann -> ann (self reply); c4 cat -> ann (Jan 5)
    t2: c1 cat opens; d1 deleted -> cat; g1 anonymous -> cat; c2 cat -> deleted; a4 ann -> cat
    t3: b3 bob opens, no replies
    """
    rows = [  # post_id, thread_id, parent_id, author_id, created_at
        ("a1", "t1", None, "ann", "2024-01-01 10:00"),
        ("b1", "t1", "a1", "bob", "2024-01-01 12:00"),
        ("a2", "t1", "b1", "ann", "2024-01-01 13:00"),
        ("b2", "t1", "a2", "bob", "2024-01-01 14:00"),
        ("x1", "t1", "a1", "bot", "2024-01-01 10:01"),
        ("n1", "t1", "b1", None, "2024-01-01 15:00"),
        ("a3", "t1", "a1", "ann", "2024-01-01 16:00"),
        ("c1", "t2", None, "cat", "2024-01-02 09:00"),
        ("d1", "t2", "c1", "gone", "2024-01-02 10:00"),
        ("g1", "t2", "c1", "guest", "2024-01-02 11:00"),
        ("c2", "t2", "d1", "cat", "2024-01-02 12:00"),
        ("a4", "t2", "c1", "ann", "2024-01-03 09:00"),
        ("b3", "t3", None, "bob", "2024-01-04 09:00"),
        ("c4", "t1", "a1", "cat", "2024-01-05 09:00"),
    ]
    posts = pd.DataFrame(rows, columns=["post_id", "thread_id", "parent_id", "author_id", "created_at"])
    posts["created_at"] = utc(*posts["created_at"])
    posts["text"] = "."
    members = pd.DataFrame({"member_id": ["ann", "bob", "cat", "dan", "bot", "gone", "guest"],
                            "role": ["member", "member", "member", "member", "bot", "deleted",
                                     "anonymous"]})
    return Corpus.from_frames(posts, members, name="hand-made")


def test_reply_graph_edges_and_accounting_by_hand(forum):
    graph = reply_graph(forum)
    assert graph.reply_structure == "nested"
    edges = graph.edges.set_index(["source", "target"])
    assert edges["replies"].to_dict() == {("ann", "bob"): 1, ("ann", "cat"): 1,
                                          ("bob", "ann"): 2, ("cat", "ann"): 1}
    assert edges.loc[("bob", "ann"), "first_at"] == pd.Timestamp("2024-01-01 12:00", tz="UTC")
    assert edges.loc[("bob", "ann"), "last_at"] == pd.Timestamp("2024-01-01 14:00", tz="UTC")
    assert graph.accounting == {"replies": 11, "edge": 5, "from_unknown": 1, "from_bot": 1,
                                "from_deleted": 1, "from_anonymous": 1, "parent_not_in_corpus": 0,
                                "to_unknown": 0, "to_bot": 0, "to_deleted": 1, "to_anonymous": 0,
                                "self_reply": 1}
    assert sum(v for k, v in graph.accounting.items() if k != "replies") == 11
    frame = graph.to_frame()
    assert list(frame.columns[:5]) == ["source", "target", "replies", "first_at", "last_at"]
    assert "reply_structure" not in frame and frame.attrs["parameters"]["reply_structure"] == "nested"
    assert frame.attrs["parameters"]["start"] is None


def test_dyadic_balance_and_roles_by_hand(forum):
    dyadic = dyadic_reciprocity(forum)
    assert (dyadic.edges, dyadic.reciprocated_edges) == (4, 4)  # ann<->bob, ann<->cat
    assert dyadic.value == 1.0
    balance = give_receive(forum).members.set_index("member_id")
    assert balance.index.tolist() == ["ann", "bob", "cat"]  # dan never posted
    assert balance.loc["ann", ["given", "received", "posts"]].tolist() == [2, 3, 4]
    assert balance.loc["bob", "balance"] == pytest.approx((2 - 1) / 3)
    assert set(balance["role"]) == {"both"}


def test_generalised_reciprocity_by_hand(forum):
    result = generalised_reciprocity(forum).members.set_index("member_id")
    # cat first received from ann on Jan 3 09:00, then on Jan 5 replied to ann -- but ann
    # had replied to cat before, so that is a return, not paying forward
    assert pd.isna(result.loc["cat", "first_paid_forward_at"])
    assert bool(result.loc["cat", "returned"])
    # ann first received (bob, Jan 1 12:00), then replied to cat, who never replied to her
    # before (Jan 3 09:00): paid forward after 45 hours
    assert result.loc["ann", "first_paid_forward_at"] == pd.Timestamp("2024-01-03 09:00", tz="UTC")
    assert result.loc["ann", "hours_to_pay_forward"] == 45.0
    # bob's first reply (to ann, who had not replied to him) is generalised
    assert result.loc["bob", "first_generalised_at"] == pd.Timestamp("2024-01-01 12:00", tz="UTC")


def test_responsiveness_by_hand(forum):
    result = responsiveness(forum)
    threads = result.threads.set_index("thread_id")
    # t1: first non-bot, non-OP reply b1 at 12:00 (bot x1 at 10:01 does not count)
    assert threads.loc["t1", "hours_to_first_response"] == 2.0
    assert threads.loc["t1", "n_responses"] == 4  # b1, b2, n1, c4 (not x1, a2, a3)
    assert bool(threads.loc["t1", "op_returned"])
    assert threads.loc["t2", "hours_to_first_response"] == 1.0  # the deleted account's reply
    assert threads.loc["t3", "n_responses"] == 0 and pd.isna(threads.loc["t3", "op_returned"])
    assert (result.opening_posts, result.answered) == (3, 2)
    assert result.return_share == 1.0
    with_bots = responsiveness(forum, responses="others_and_bots").threads.set_index("thread_id")
    assert with_bots.loc["t1", "hours_to_first_response"] == pytest.approx(1 / 60)
    assert responsiveness(forum, responses="all").threads.set_index("thread_id").loc["t1", "n_responses"] == 7


def test_exchanges_and_serial_by_hand(forum):
    motifs = exchanges(forum)
    assert motifs.total == 2 and motifs.threads.to_dict("list") == {"thread_id": ["t1"], "exchanges": [2]}
    serial = serial_reciprocity(forum, tenure_bins=2, min_posts=3)
    ann = serial.members[serial.members["member_id"] == "ann"]
    # ann: a1 (open), a2 (give), a3 (self), a4 (give) over Jan 1 10:00 .. Jan 3 09:00
    assert ann[["part", "posts", "giving"]].values.tolist() == [[0, 3, 1], [1, 1, 1]]
    assert serial.n_members == 3


def test_window_counts_replies_to_parents_before_it(forum):
    graph = reply_graph(forum, start="2024-01-03")
    assert graph.edges[["source", "target"]].values.tolist() == [["ann", "cat"], ["cat", "ann"]]
    assert graph.accounting["replies"] == 2 and graph.accounting["parent_not_in_corpus"] == 0
    # a window *view* cannot see the earlier parent: counted, not dropped
    view = forum.window(start="2024-01-03")
    assert reply_graph(view).accounting["parent_not_in_corpus"] == 2
    # in the window, cat's reply (Jan 5) to ann's Jan 1 post: first received Jan 5 for ann
    result = summary(forum, start="2024-01-03")
    assert result.responsiveness.opening_posts == 1 and result.parameters["start"] == pd.Timestamp(
        "2024-01-03", tz="UTC")


def test_flat_threads_and_no_edges():
    posts = pd.DataFrame({
        "post_id": ["o", "r1", "r2", "r3"], "thread_id": ["o"] * 4,
        "parent_id": [None, "o", "o", "o"], "author_id": ["ann", "bob", "ann", "cat"],
        "created_at": utc("2024-01-01 00:00", "2024-01-02 00:00", "2024-01-02 00:00",
                          "2024-01-03 00:00"), "text": "."})
    result = summary(Corpus.from_frames(posts))
    assert result.reply_structure == "flat"
    assert result.graph.edges[["source", "target"]].values.tolist() == [["bob", "ann"], ["cat", "ann"]]
    assert result.motifs.total is None and "flat" in result.motifs.reason
    assert result.responsiveness.return_share == 1.0  # same day as the first response
    frame = result.to_frame()
    assert frame.attrs["parameters"]["reply_structure"] == "flat" and "reply_structure" not in frame
    assert frame.set_index("statistic").loc["exchanges", "count"] is pd.NA

    alone = summary(Corpus.from_frames(posts.iloc[:1]))
    assert alone.dyadic_reciprocity is None and "undefined" in alone.dyadic.reason
    assert alone.reply_structure == "no replies" and alone.edges == 0
    assert alone.responsiveness.answered_share == 0.0


# ---------------------------------------------------------------------------
# Planted truth, Dask engine, networkx
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def community(tmp_path_factory):
    path = tmp_path_factory.mktemp("synth") / "community"
    corpus, truth = synth.generate(4_000, seed=3, path=path, with_text=False)
    return corpus, truth


def test_planted_reciprocity_is_recovered(community):
    corpus, truth = community
    result = summary(corpus, responses="all")  # the truth counts every reply, bots' included
    assert result.edges == truth.n_edges
    assert result.dyadic.reciprocated_edges == truth.n_reciprocated_edges
    assert result.dyadic_reciprocity == truth.dyadic_reciprocity
    assert result.balance.role_counts == truth.role_counts
    planted = truth.members[truth.members["is_poster"]].set_index("member_id").sort_index()
    roles = result.balance.members.set_index("member_id").reindex(planted.index)
    assert (roles["role"] == planted["give_role"]).all()
    timing = result.generalised.members.set_index("member_id").reindex(planted.index)
    for planted_column, column in (("first_received_at", "first_received_at"),
                                   ("first_gave_at", "first_gave_at"),
                                   ("first_generalised_give_at", "first_generalised_at")):
        assert timing[column].equals(planted[planted_column].rename(column)), planted_column
    unanswered = result.responsiveness.threads.query("n_responses == 0")["post_id"]
    assert sorted(unanswered) == sorted(truth.unanswered_openers)
    assert result.responsiveness.opening_posts == truth.n_threads


def test_dask_engine_gives_the_same_numbers(community, tmp_path):
    corpus, _ = community
    pandas_result = summary(corpus).to_frame()
    dask_result = summary(open_corpus(corpus.path, engine="dask")).to_frame()
    pd.testing.assert_frame_equal(pandas_result, dask_result)
    start, end = "2022-06-01", "2023-01-01"
    assert reply_graph(corpus, start, end).edges.equals(
        reply_graph(open_corpus(corpus.path, engine="dask"), start, end).edges)


# ---------------------------------------------------------------------------
# One graph for every measure: measure(corpus) == measure(reply_graph(corpus))
# ---------------------------------------------------------------------------

MEASURES = [dyadic_reciprocity, give_receive, generalised_reciprocity, serial_reciprocity,
            responsiveness, exchanges, summary]


def _assert_same(a, b, where=""):
    """Two results are equal field by field: frames exactly, graphs by edges and accounting."""
    assert type(a) is type(b), where
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=where)
    elif isinstance(a, ReplyGraph):
        pd.testing.assert_frame_equal(a.edges, b.edges, obj=where)
        assert (a.accounting, a.reply_structure, a.window) == (b.accounting, b.reply_structure, b.window)
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, where


@pytest.mark.parametrize("engine", ["pandas", "dask"])
@pytest.mark.parametrize("window", [(None, None), ("2022-06-01", "2023-01-01")], ids=["all", "window"])
def test_every_measure_of_the_corpus_equals_the_measure_of_its_graph(community, engine, window):
    corpus, _ = community
    if engine == "dask":
        corpus = open_corpus(corpus.path, engine="dask")
    graph = reply_graph(corpus, *window)
    for measure in MEASURES:
        _assert_same(measure(corpus, *window), measure(graph), measure.__name__)
    assert summary(graph).graph is graph  # built once, passed to every measure


def _graph_from_post_table(graph):
    """Edges (source, target, replies, first, last) and accounting recounted from the per-post arrays."""
    from peerscope.reciprocity.graph import OPENING, STATUS_NAMES
    table = graph._table
    ids = np.asarray(table.ids, dtype=object)
    edges = sorted(zip(ids[table.edge_source], ids[table.edge_target], table.edge_replies.tolist(),
                       table.edge_first.tolist(), table.edge_last.tolist()))
    counts = np.bincount(table.status[table.status != OPENING], minlength=len(STATUS_NAMES))
    accounting = {"replies": int((table.status != OPENING).sum()),
                  **{name: int(counts[i]) for i, name in enumerate(STATUS_NAMES) if i != OPENING}}
    return edges, accounting


@pytest.mark.parametrize("case", ["all", "window", "view", "view and window"])
def test_columnar_edges_equal_the_per_post_arrays(community, forum, case):
    """reply_graph's edges and accounting come from one SQL query (the columnar engine); the
    measures that need every post read the per-post arrays. Both count the same replies."""
    # (corpus, its view's start, a window inside the view)
    cases = [(community[0], "2022-03-01", ("2022-06-01", "2023-01-01")),
             (forum, "2024-01-01 13:00", ("2024-01-02", "2024-01-04"))]
    for corpus, view_start, inside in cases:
        corpus = corpus.window(start=view_start) if "view" in case else corpus
        window = inside if "window" in case else (None, None)
        graph = reply_graph(corpus, *window)
        # asked first, the edges come from the columnar engine; the per-post arrays are not built
        frame, accounting, structure = graph.edges, graph.accounting, graph.reply_structure
        assert "_table" not in graph.__dict__
        edges, from_arrays = _graph_from_post_table(graph)
        as_micros = [t.value // 1000 for t in frame["first_at"]], [t.value // 1000 for t in frame["last_at"]]
        assert list(zip(frame["source"], frame["target"], frame["replies"], *as_micros)) == edges
        assert accounting == from_arrays and len(edges) > 0
        # the arrays built first, the graph counts from them: the same graph
        other = reply_graph(corpus, *window)
        other._table
        assert other.edges.equals(frame) and other.accounting == accounting
        assert other.reply_structure == structure and other.n_reciprocated == graph.n_reciprocated
        # asked only for counts (dyadic reciprocity), a third query counts the same edges without listing them
        counted = reply_graph(corpus, *window)
        assert (counted.n_edges, counted.n_reciprocated, counted.reply_structure) == (
            len(frame), graph.n_reciprocated, structure)
        assert "_found" not in counted.__dict__ and "_table" not in counted.__dict__
        assert counted._dyads.replies == accounting["replies"]


def test_start_or_end_with_a_graph_is_refused(forum):
    graph = reply_graph(forum, start="2024-01-02")
    for measure in MEASURES:
        with pytest.raises(errors.PeerscopeError, match="start/end cannot be given with a ReplyGraph"):
            measure(graph, start="2024-01-03")
        with pytest.raises(errors.PeerscopeError, match="reply_graph\\(corpus, start, end\\)"):
            measure(graph, None, "2024-01-04")
        measure(graph, None, None)  # no window given: the graph's own


def test_networkx_export_and_reciprocity(community, tmp_path):
    nx = pytest.importorskip("networkx")
    corpus, truth = community
    graph = reply_graph(corpus)
    digraph = graph.to_networkx()
    assert digraph.number_of_edges() == truth.n_edges
    assert dyadic_reciprocity(corpus).value == pytest.approx(nx.reciprocity(digraph), abs=1e-12)
    written = graph.write_graphml(tmp_path / "replies.graphml")
    back = nx.read_graphml(written)
    assert back.number_of_edges() == truth.n_edges
    source, target, replies = graph.edges.iloc[0][["source", "target", "replies"]]
    assert back.edges[source, target]["replies"] == replies


# ---------------------------------------------------------------------------
# Real data
# ---------------------------------------------------------------------------

def _xml_rows(path, fields):
    rows = [{f: row.get(f) for f in fields} for row in ET.parse(path).getroot().iter("row")]
    return pd.DataFrame(rows, columns=fields)


def _reciprocity_by_hand(pairs: pd.DataFrame) -> tuple[int, float]:
    edges = pairs.drop_duplicates()
    reverse = edges.rename(columns={"source": "target", "target": "source"})
    reciprocated = edges.merge(reverse, on=["source", "target"]).shape[0]
    return len(edges), reciprocated / len(edges)


def test_stackexchange_reciprocity_against_the_raw_xml(shared_data):
    from peerscope.loaders.stackexchange import stackexchange

    folder = shared_data / "stackexchange-quantumcomputing-2018"
    result = summary(stackexchange(folder))
    assert result.reply_structure == "nested"

    users = set(_xml_rows(folder / "Users.xml", ["Id"])["Id"])
    posts = _xml_rows(folder / "Posts.xml", ["Id", "PostTypeId", "ParentId", "OwnerUserId"])
    posts = posts[posts["PostTypeId"].isin(["1", "2"])]
    owner = posts.set_index("Id")["OwnerUserId"]
    comments = _xml_rows(folder / "Comments.xml", ["PostId", "UserId"])
    comments = comments[comments["PostId"].isin(owner.index)]
    answers = posts[posts["PostTypeId"] == "2"]
    pairs = pd.concat([
        pd.DataFrame({"source": answers["OwnerUserId"].to_numpy(),
                      "target": answers["ParentId"].map(owner).to_numpy()}),
        pd.DataFrame({"source": comments["UserId"].to_numpy(),
                      "target": comments["PostId"].map(owner).to_numpy()})])
    person = lambda ids: ids.notna() & ids.isin(users) & (ids != "-1")  # noqa: E731
    pairs = pairs[person(pairs["source"]) & person(pairs["target"])
                  & (pairs["source"] != pairs["target"])]
    n_edges, reciprocity = _reciprocity_by_hand(pairs)
    assert result.edges == n_edges
    assert round(result.dyadic_reciprocity, 4) == round(reciprocity, 4)
    assert result.dyadic_reciprocity == pytest.approx(reciprocity, abs=1e-12)

    # answered questions: an answer, or a comment on the question or its answers,
    # by someone other than the asker and not the Community bot
    questions = posts[posts["PostTypeId"] == "1"]
    question_of = pd.concat([pd.Series(questions["Id"].to_numpy(), index=questions["Id"]),
                             answers.set_index("Id")["ParentId"]])
    responders = pd.concat([
        pd.DataFrame({"question": answers["ParentId"].to_numpy(), "author": answers["OwnerUserId"].to_numpy()}),
        pd.DataFrame({"question": comments["PostId"].map(question_of).to_numpy(),
                      "author": comments["UserId"].to_numpy()})])
    responders["asker"] = responders["question"].map(owner)
    by_others = responders[(responders["author"] != "-1")
                           & ~(responders["author"].notna() & (responders["author"] == responders["asker"]))]
    answered = questions["Id"].isin(by_others["question"]).sum()
    assert result.responsiveness.opening_posts == len(questions)
    assert result.responsiveness.answered == answered
    assert result.responsiveness.answered_share == pytest.approx(answered / len(questions), abs=1e-12)


def test_alsforums_flat_graph_against_the_raw_csv(shared_data):
    raw = pd.read_csv(shared_data / "forum-alsforums-caregivers" / "als.csv")
    rows = raw.reset_index(names="row")
    rows["thread_id"] = rows["post_id"].astype("str")
    rows["created_at"] = pd.to_datetime(rows["date"]).dt.tz_localize("UTC")
    openers = (rows[~rows["reply"]].sort_values(["thread_id", "created_at", "row"])
               .drop_duplicates("thread_id"))
    opening_id = pd.Series((openers["thread_id"] + "-" + openers["row"].astype("str")).to_numpy(),
                           index=openers["thread_id"].to_numpy())
    posts = pd.DataFrame({
        "post_id": rows["thread_id"] + "-" + rows["row"].astype("str"),
        "thread_id": rows["thread_id"],
        "parent_id": rows["thread_id"].map(opening_id).where(~rows["row"].isin(openers["row"]), None),
        "author_id": rows["user_name"], "created_at": rows["created_at"], "text": rows["body"]})
    result = summary(Corpus.from_frames(posts, name="als"))
    assert result.reply_structure == "flat"

    # by hand: every non-opening row answers its thread's opening poster
    asker = openers.set_index("thread_id")["user_name"]
    replies = rows[~rows["row"].isin(openers["row"])]
    pairs = pd.DataFrame({"source": replies["user_name"].to_numpy(),
                          "target": replies["thread_id"].map(asker).to_numpy()})
    assert result.graph.accounting["self_reply"] == int((pairs["source"] == pairs["target"]).sum())
    pairs = pairs[pairs["source"] != pairs["target"]]
    n_edges, reciprocity = _reciprocity_by_hand(pairs)
    assert result.edges == n_edges
    assert round(result.dyadic_reciprocity, 4) == round(reciprocity, 4)
    answered = replies[replies["user_name"] != replies["thread_id"].map(asker)]["thread_id"].nunique()
    assert result.responsiveness.answered == answered
    assert result.responsiveness.opening_posts == len(openers) == 172
    assert result.motifs.total is None


def test_responsiveness_frame_keeps_counts_beside_the_parameter():
    import peerscope
    from peerscope import synth

    corpus, _ = synth.generate(1500, seed=2)
    frame = peerscope.reciprocity.responsiveness(corpus).to_frame()
    assert frame.attrs["parameters"]["responses"] == "others" and "responses" not in frame  # the parameter, once
    assert frame["n_responses"].dtype.kind == "i" and frame["n_responses"].max() > 0  # the counts
