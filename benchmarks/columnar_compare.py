"""peerscope against plain DuckDB SQL over the same Parquet files: same numbers, time and memory.

A performance-minded researcher would point DuckDB at a saved corpus rather
than use a library, so that is the bar for the counting questions under
peerscope's measures.  For each size, on the monthly synthetic corpus that
``benchmarks/run.py`` writes (``benchmarks/work/run-<n>-seed<seed>-monthly``,
made here when missing), two comparisons run, each step in a fresh process
(:func:`measure.run_step`, Arrow on the system allocator).

"summary + dyadic"

duckdb
    Three plain SQL queries over ``posts/*.parquet`` and ``members.parquet``:
    (1) posts per person of the roster (roles bot, deleted and anonymous
    left out, members without posts as 0); (2) the Gini coefficient of
    those counts, ``sum((2i - n - 1) x_i) / (n sum x)`` over the sorted
    counts; (3) dyadic reciprocity of the person-to-person reply graph
    (distinct ordered pairs replier -> replied-to author, self-replies and
    non-persons left out; the share of pairs whose reverse pair exists).
peerscope
    ``participation.summary`` + ``reciprocity.dyadic_reciprocity`` (pandas
    engine), which compute these numbers and more (bootstrap interval of the
    Gini, super-users, bands, Zipf and power-law fits).

Asserted equal: members, lurkers, Gini, edges and reciprocated edges.

"reciprocity.summary"

duckdb
    Plain SQL for every headline number of ``reciprocity.summary`` at its
    defaults (``RECIPROCITY_NUMBERS``: each ``statistic`` of its
    ``to_frame()``, and the reply structure).  A person is a non-null author
    whose member role (null read as ``member``; authors missing from
    ``members`` are persons) is not bot, deleted or anonymous.

    - *linked posts*: every post joined to its parent and grandparent and to
      both authors' roles, with its status: ``opening`` (no parent), else the
      first reason a reply is not an edge, in the order from_unknown,
      from_bot, from_deleted, from_anonymous, parent_not_in_corpus,
      to_unknown, to_bot, to_deleted, to_anonymous, self_reply, else
      ``edge`` (person to another person); kept as a temporary table, as is
      the edge list (source, target, replies, first and last reply, first
      reply of the reverse edge).
    - *replies*: replies per status and in all; the reply structure (nested
      when some reply's parent is a reply); edges, reciprocated edges and
      dyadic reciprocity.
    - *give and receive*: over the persons who posted or were replied to,
      replies given g and received c; members giver (g > 0 = c), receiver,
      both, neither; the share of "both" with g / c in [1/2, 2]
      (``balanced_ratio`` 2); the median of (g - c) / (g + c) where g + c > 0.
    - *generalised reciprocity*: receivers (with a first reply received R);
      paid forward, those with a first reply given after R (strictly) on an
      edge whose reverse edge's first reply is not earlier; its share; the
      returned share (receivers with an edge whose last reply is at or after
      the reverse edge's first); the median hours from R to paying forward.
    - *serial reciprocity*: persons with 3 or more posts and a tenure longer
      than zero (``min_posts`` 3); each post in part
      ``min(floor(4 (t - first) / (last - first)), 3)`` of its author's
      tenure (``tenure_bins`` 4); per member and part the share of edges
      among the posts; the mean share per part, the least-squares slope of
      those means on the part (``regr_slope``), the members measured and
      the share of those with posts in the first and last part whose share
      rose.
    - *responsiveness* (``responses="others"``): per opening post, the
      first reply of its thread by neither its author nor a bot (null
      authors count) and the author's own last reply in it; opening posts,
      answered, answered share, quantiles 0.25, 0.5, 0.75 and 0.9 of the
      hours to the first response (linear interpolation, as
      ``numpy.quantile``), and the return share (answered threads opened by
      a person in which that person replied at or after the first
      response).  A thread's replies are those with its ``thread_id``;
      peerscope follows the chain of parents instead, which is the same on
      a valid corpus (validation keeps each reply in its parent's thread).
    - *exchanges*: edges whose grandparent post has the reply's own author,
      and the threads with one (undefined, None, in flat threads).

    Small Python only copies the few aggregate rows into the result.
peerscope
    ``reciprocity.summary`` (pandas engine), its ``to_frame()`` read into
    the same names; it also builds the per-member and per-thread tables
    behind those numbers.

Not compared: nothing of the headline table is left out.  The per-member
and per-thread tables behind it (``Balance.members``,
``GeneralisedReciprocity.members``, ``SerialReciprocity.members``,
``Responsiveness.threads``, ``Motifs.threads``) and the trend's per-part
member counts and pooled shares are not compared, only the numbers the
summary reports.  The synthetic times have no ties, so the corpus does not
exercise the tie rules (paying forward strictly after R, returning at or
after); the SQL follows the definitions there as written.

The script asserts that both give the same numbers (floats to a relative
1e-9: DuckDB sums and medians in another order), writes
``results/columnar_compare-<host>-<date>.json`` with the ratio of
peerscope's time and peak RSS to DuckDB's, and replaces the section
"peerscope against DuckDB" of ``docs/benchmarks.md``.  Each pair of steps
runs ``--repeat`` times (DuckDB then peerscope, each time in fresh
processes): at 1M posts both sides take a third of a second and one pair's
ratio varied from 1.06x to 1.24x between runs on an idle machine, so the
page reports the median pair and the range of the ratios.

Usage::

    python benchmarks/columnar_compare.py                       # 1M and 10M posts, 3 pairs each
    python benchmarks/columnar_compare.py --sizes 100000 --repeat 1   # quick
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

from measure import run_step, write_results

WORK = Path(__file__).resolve().parent / "work"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SECTION = "## peerscope against DuckDB"

#: Roles that are not people (participation.summary's population leaves them out).
NOT_PERSONS = "('bot', 'deleted', 'anonymous')"

#: Peak RSS when the step's imports are done, before any work (MB): what the libraries alone hold.
IMPORTED = "import resource\nimported_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"

DUCKDB_STEP = """
import duckdb
""" + IMPORTED + """
con = duckdb.connect()
posts = "read_parquet('{path}/posts/*.parquet')"
members = "read_parquet('{path}/members.parquet')"
persons = f"SELECT member_id FROM {{members}} WHERE coalesce(role, 'member') NOT IN {not_persons}"
c0, t0 = time.process_time(), time.perf_counter()
counts = con.execute(f'''
    SELECT coalesce(c.n, 0) AS n
    FROM ({{persons}}) r
    LEFT JOIN (SELECT author_id, count(*) AS n FROM {{posts}} WHERE author_id IS NOT NULL GROUP BY author_id) c
           ON r.member_id = c.author_id''').fetchnumpy()["n"]
t1 = time.perf_counter()
gini = con.execute(f'''
    WITH counts AS (
        SELECT coalesce(c.n, 0)::DOUBLE AS n
        FROM ({{persons}}) r
        LEFT JOIN (SELECT author_id, count(*) AS n FROM {{posts}} WHERE author_id IS NOT NULL GROUP BY author_id) c
               ON r.member_id = c.author_id),
    ranked AS (SELECT n, row_number() OVER (ORDER BY n) AS i, count(*) OVER () AS k, sum(n) OVER () AS s
               FROM counts)
    SELECT sum((2 * i - k - 1) * n) / (any_value(k) * any_value(s)) FROM ranked''').fetchone()[0]
t2 = time.perf_counter()
edges, reciprocated = con.execute(f'''
    WITH p AS (SELECT post_id, parent_id, author_id FROM {{posts}}),
    edges AS (
        SELECT DISTINCT reply.author_id AS source, parent.author_id AS target
        FROM p reply JOIN p parent ON reply.parent_id = parent.post_id
        WHERE reply.author_id <> parent.author_id
          AND reply.author_id IN ({{persons}}) AND parent.author_id IN ({{persons}}))
    SELECT count(*), count(back.source)
    FROM edges e LEFT JOIN edges back ON e.source = back.target AND e.target = back.source''').fetchone()
t3 = time.perf_counter()
result = {{"members": int(len(counts)), "lurkers": int((counts == 0).sum()), "gini_members": float(gini),
          "edges": int(edges), "reciprocated_edges": int(reciprocated),
          "seconds_by_query": {{"posts_per_member": t1 - t0, "gini": t2 - t1, "dyadic": t3 - t2}},
          "metric_seconds": t3 - t0, "metric_cpu_seconds": time.process_time() - c0, "imported_mb": imported_mb}}
"""

PEERSCOPE_STEP = """
from peerscope import open_corpus, participation, reciprocity
""" + IMPORTED + """
corpus = open_corpus({path!r})
c0, t0 = time.process_time(), time.perf_counter()
p = participation.summary(corpus)
t1 = time.perf_counter()
d = reciprocity.dyadic_reciprocity(corpus)
t2 = time.perf_counter()
result = {{"members": int(p.members), "lurkers": int(p.lurkers), "gini_members": float(p.gini_members.value),
          "edges": int(d.edges), "reciprocated_edges": int(d.reciprocated_edges),
          "seconds_by_query": {{"participation.summary": t1 - t0, "reciprocity.dyadic_reciprocity": t2 - t1}},
          "metric_seconds": t2 - t0, "metric_cpu_seconds": time.process_time() - c0, "imported_mb": imported_mb}}
"""

#: What ``reciprocity.summary`` reports (the ``statistic`` column of its ``to_frame()``, every one) and the
#: reply structure: the numbers the reciprocity comparison asserts equal.
RECIPROCITY_NUMBERS = (
    "replies", "edge", "from_unknown", "from_bot", "from_deleted", "from_anonymous", "parent_not_in_corpus",
    "to_unknown", "to_bot", "to_deleted", "to_anonymous", "self_reply", "reply_structure",
    "edges", "reciprocated_edges", "dyadic_reciprocity",
    "members_giver", "members_receiver", "members_both", "members_neither", "balanced_share", "median_balance",
    "receivers", "paid_forward", "paid_forward_share", "returned_share", "median_hours_to_pay_forward",
    "members", "mean_giving_share_part_0", "mean_giving_share_part_1", "mean_giving_share_part_2",
    "mean_giving_share_part_3", "slope", "rising_share",
    "opening_posts", "answered", "answered_share", "hours_to_first_response_q25", "hours_to_first_response_q50",
    "hours_to_first_response_q75", "hours_to_first_response_q90", "return_share",
    "exchanges", "threads_with_exchanges")

#: Plain SQL for the numbers of ``reciprocity.summary`` at its defaults (balanced_ratio 2, tenure_bins 4,
#: min_posts 3, responses "others"); the module docstring says what each query computes.
DUCKDB_RECIPROCITY_STEP = """
import duckdb
""" + IMPORTED + """
con = duckdb.connect()
con.execute("CREATE VIEW posts AS SELECT * FROM read_parquet('{path}/posts/*.parquet')")
con.execute("CREATE VIEW members AS SELECT * FROM read_parquet('{path}/members.parquet')")
t0 = time.perf_counter()
# every post with its author's role, its parent's author and role, its grandparent's author, and its
# status: opening post, person-to-person edge, or the first reason a reply is not an edge
con.execute('''
    CREATE TEMP TABLE linked AS
    WITH roles AS (SELECT member_id, coalesce(role, 'member') AS role FROM members),
    joined AS (
        SELECT p.post_id, p.thread_id, p.author_id, epoch_us(p.created_at) AS t,
               p.parent_id IS NOT NULL AS is_reply, parent.post_id IS NOT NULL AS parent_found,
               parent.parent_id IS NOT NULL AS to_reply, parent.author_id AS target, grand.author_id AS grand,
               coalesce(ra.role, 'member') AS author_role, coalesce(rt.role, 'member') AS target_role
        FROM posts p
        LEFT JOIN posts parent ON p.parent_id = parent.post_id
        LEFT JOIN posts grand ON parent.parent_id = grand.post_id
        LEFT JOIN roles ra ON p.author_id = ra.member_id
        LEFT JOIN roles rt ON parent.author_id = rt.member_id)
    SELECT *, author_id IS NOT NULL AND author_role NOT IN {not_persons} AS by_person,
           CASE WHEN NOT is_reply THEN 'opening'
                WHEN author_id IS NULL THEN 'from_unknown'
                WHEN author_role IN {not_persons} THEN 'from_' || author_role
                WHEN NOT parent_found THEN 'parent_not_in_corpus'
                WHEN target IS NULL THEN 'to_unknown'
                WHEN target_role IN {not_persons} THEN 'to_' || target_role
                WHEN author_id = target THEN 'self_reply'
                ELSE 'edge' END AS status
    FROM joined''')
# the distinct edges: replies, first and last reply, and the first reply of the reverse edge (null: none)
con.execute('''
    CREATE TEMP TABLE edges AS
    WITH e AS (SELECT author_id AS source, target, count(*) AS replies, min(t) AS first, max(t) AS last
               FROM linked WHERE status = 'edge' GROUP BY ALL)
    SELECT e.*, back.first AS back_first
    FROM e LEFT JOIN e back ON e.source = back.target AND e.target = back.source''')
t1 = time.perf_counter()
result = {{name: 0 for name in ("edge", "from_unknown", "from_bot", "from_deleted", "from_anonymous",
                                "parent_not_in_corpus", "to_unknown", "to_bot", "to_deleted", "to_anonymous",
                                "self_reply")}}
result.update(con.execute("SELECT status, count(*) FROM linked WHERE is_reply GROUP BY status").fetchall())
result["replies"], nested = con.execute(
    "SELECT count(*), count(*) FILTER (to_reply) > 0 FROM linked WHERE is_reply").fetchone()
result["reply_structure"] = "no replies" if not result["replies"] else "nested" if nested else "flat"
result["edges"], result["reciprocated_edges"], result["dyadic_reciprocity"] = con.execute('''
    SELECT count(*), count(back_first), count(back_first) / count(*) FROM edges''').fetchone()
t2 = time.perf_counter()
# give and receive: persons who posted or were replied to; balanced: g / c in [1/2, 2] (balanced_ratio 2)
(result["members_giver"], result["members_receiver"], result["members_both"], result["members_neither"],
 result["balanced_share"], result["median_balance"]) = con.execute('''
    WITH posted AS (SELECT DISTINCT author_id AS member FROM linked WHERE by_person),
    gave AS (SELECT source AS member, sum(replies)::BIGINT AS g FROM edges GROUP BY ALL),
    got AS (SELECT target AS member, sum(replies)::BIGINT AS c FROM edges GROUP BY ALL),
    people AS (SELECT coalesce(posted.member, got.member) AS member, coalesce(got.c, 0) AS c
               FROM posted FULL JOIN got ON posted.member = got.member),
    m AS (SELECT coalesce(gave.g, 0) AS g, people.c FROM people LEFT JOIN gave ON people.member = gave.member)
    SELECT count(*) FILTER (g > 0 AND c = 0), count(*) FILTER (g = 0 AND c > 0),
           count(*) FILTER (g > 0 AND c > 0), count(*) FILTER (g = 0 AND c = 0),
           avg(CASE WHEN g::DOUBLE / c BETWEEN 0.5 AND 2.0 THEN 1.0 ELSE 0.0 END) FILTER (g > 0 AND c > 0),
           median((g - c)::DOUBLE / (g + c)) FILTER (g + c > 0)
    FROM m''').fetchone()
t3 = time.perf_counter()
# generalised reciprocity: R_u first reply received; P_u first reply given after R_u on an edge whose
# reverse did not come first; returned: a reply u -> v at or after v's first reply to u
(result["receivers"], result["paid_forward"], result["paid_forward_share"], result["returned_share"],
 result["median_hours_to_pay_forward"]) = con.execute('''
    WITH got AS (SELECT target AS member, min(first) AS received FROM edges GROUP BY ALL),
    forward AS (
        SELECT e.source AS member, min(e.first) AS paid
        FROM edges e JOIN got ON e.source = got.member
        WHERE coalesce(e.back_first >= e.first, true) AND e.first > got.received
        GROUP BY ALL),
    returned AS (SELECT DISTINCT source AS member FROM edges WHERE last >= back_first)
    SELECT count(*), count(forward.paid), count(forward.paid) / count(*), count(returned.member) / count(*),
           median((forward.paid - got.received) / 3.6e9)
    FROM got LEFT JOIN forward ON got.member = forward.member
             LEFT JOIN returned ON got.member = returned.member''').fetchone()
t4 = time.perf_counter()
# serial reciprocity: persons with 3+ posts over a tenure longer than zero (min_posts 3); each post in
# part min(floor(4 (t - first) / (last - first)), 3) of its author's tenure (tenure_bins 4); the share
# of edges among a member's posts of a part
con.execute('''
    CREATE TEMP TABLE cells AS
    WITH tenure AS (SELECT author_id AS member, min(t) AS f, max(t) AS l FROM linked WHERE by_person
                    GROUP BY ALL HAVING count(*) >= 3 AND max(t) > min(t))
    SELECT member, least(floor((4 * (t - f))::DOUBLE / (l - f)::DOUBLE), 3)::INTEGER AS part,
           count(*) FILTER (status = 'edge') / count(*) AS share
    FROM linked JOIN tenure ON linked.author_id = tenure.member
    GROUP BY ALL''')
trend = dict(con.execute("SELECT part, avg(share) FROM cells GROUP BY part").fetchall())
result.update({{f"mean_giving_share_part_{{part}}": trend.get(part) for part in range(4)}})
result["members"], result["slope"], result["rising_share"] = con.execute('''
    SELECT (SELECT count(DISTINCT member) FROM cells),
           (SELECT regr_slope(mean, part) FROM (SELECT part, avg(share) AS mean FROM cells GROUP BY part)),
           (SELECT avg(CASE WHEN z.share > a.share THEN 1.0 ELSE 0.0 END)
            FROM cells a JOIN cells z ON a.member = z.member AND a.part = 0 AND z.part = 3)''').fetchone()
t5 = time.perf_counter()
# responsiveness: per opening post, the first reply in its thread by someone else and not a bot
# (responses "others"), and the opening poster's last reply in it
(result["opening_posts"], result["answered"], result["answered_share"], hours,
 result["return_share"]) = con.execute('''
    WITH threads AS (
        SELECT any_value(o.t) AS opened, any_value(o.by_person) AS person_op,
               min(r.t) FILTER (NOT coalesce(r.author_id = o.author_id, false)
                                AND NOT coalesce(r.author_role = 'bot' AND r.author_id IS NOT NULL, false)) AS first,
               max(r.t) FILTER (r.author_id = o.author_id) AS op_last
        FROM linked o LEFT JOIN linked r ON r.thread_id = o.thread_id AND r.is_reply
        WHERE NOT o.is_reply
        GROUP BY o.post_id)
    SELECT count(*), count(first), count(first) / count(*),
           quantile_cont((first - opened) / 3.6e9, [0.25, 0.5, 0.75, 0.9]),
           avg(CASE WHEN op_last >= first THEN 1.0 ELSE 0.0 END) FILTER (first IS NOT NULL AND person_op)
    FROM threads''').fetchone()
result.update(zip(("hours_to_first_response_q25", "hours_to_first_response_q50", "hours_to_first_response_q75",
                   "hours_to_first_response_q90"), hours or [None] * 4))
t6 = time.perf_counter()
# A -> B -> A exchanges: edges whose grandparent has the reply's author (undefined in flat threads)
result["exchanges"], result["threads_with_exchanges"] = con.execute('''
    SELECT count(*), count(DISTINCT thread_id) FROM linked WHERE status = 'edge' AND grand = author_id''').fetchone()
if result["reply_structure"] == "flat":
    result["exchanges"] = result["threads_with_exchanges"] = None
t7 = time.perf_counter()
result.update(seconds_by_query={{"linked_posts_and_edges": t1 - t0, "replies_and_dyadic": t2 - t1,
                                 "give_receive": t3 - t2, "generalised": t4 - t3, "serial": t5 - t4,
                                 "responsiveness": t6 - t5, "exchanges": t7 - t6}},
              metric_seconds=t7 - t0, imported_mb=imported_mb)
"""

PEERSCOPE_RECIPROCITY_STEP = """
import pandas as pd
from peerscope import open_corpus, reciprocity
""" + IMPORTED + """
corpus = open_corpus({path!r})
t0 = time.perf_counter()
r = reciprocity.summary(corpus)
t1 = time.perf_counter()
# every headline number of the summary, from its tidy table (NA / NaN: undefined, None)
frame = r.to_frame()
result = {{}}
for row in frame.itertuples():
    value = row.count if row.kind == "count" else row.value
    result[row.statistic] = None if pd.isna(value) else int(value) if row.kind == "count" else float(value)
result.update(reply_structure=r.reply_structure, seconds_by_query={{"reciprocity.summary": t1 - t0}},
              metric_seconds=t1 - t0, imported_mb=imported_mb)
"""

#: The comparisons: name, DuckDB step, peerscope step, the numbers both give.
COMPARISONS = (
    ("summary + dyadic", DUCKDB_STEP, PEERSCOPE_STEP,
     ("members", "lurkers", "gini_members", "edges", "reciprocated_edges")),
    ("reciprocity.summary", DUCKDB_RECIPROCITY_STEP, PEERSCOPE_RECIPROCITY_STEP,
     RECIPROCITY_NUMBERS),
)


def corpus_path(n_posts: int, seed: int) -> Path:
    """The monthly corpus of ``benchmarks/run.py`` at this size, generated when missing."""
    flat = WORK / f"run-{n_posts}-seed{seed}"
    monthly = WORK / f"run-{n_posts}-seed{seed}-monthly"
    if not (monthly / "corpus.json").is_file():
        run_step(f"""
from peerscope import synth
from peerscope.corpus import repartition
synth.generate({n_posts}, seed={seed}, path={str(flat)!r})
repartition({str(flat)!r}, {str(monthly)!r}, by="month")
""", label=f"generate {n_posts:,}")
    return monthly


def compare(n_posts: int, seed: int, only: tuple[str, ...] = (), repeat: int = 1) -> list[dict]:
    """Both steps of every comparison (or of those named in ``only``) at one size, ``repeat`` times
    in turn; raises when their numbers differ.  The records come in pairs (DuckDB, peerscope)."""
    path = corpus_path(n_posts, seed)
    records = []
    for name, duck_step, our_step, compared in COMPARISONS:
        if only and name not in only:
            continue
        for run in range(repeat):
            duck = run_step(duck_step.format(path=path, not_persons=NOT_PERSONS), rows=n_posts,
                            label=f"duckdb {name} {n_posts:,}")
            ours = run_step(our_step.format(path=str(path)), rows=n_posts, label=f"peerscope {name} {n_posts:,}")
            for number in compared:
                a, b = duck["result"][number], ours["result"][number]
                same = math.isclose(a, b, rel_tol=1e-9) if isinstance(a, float) else a == b
                if not same:
                    raise AssertionError(f"{name}, {number} at {n_posts:,} posts: DuckDB {a}, peerscope {b}")
            for record, step in ((duck, "duckdb"), (ours, "peerscope")):
                record.update(step=step, comparison=name, n_posts=n_posts, run=run)
            ours["time_ratio"] = ours["result"]["metric_seconds"] / duck["result"]["metric_seconds"]
            cpu = [record["result"].get("metric_cpu_seconds") for record in (duck, ours)]
            if None not in cpu:   # CPU seconds (every thread): steadier than wall time on a busy machine
                ours["cpu_time_ratio"] = cpu[1] / cpu[0]
                print(f"  {name}: CPU seconds DuckDB {cpu[0]:.2f}, peerscope {cpu[1]:.2f} "
                      f"({ours['cpu_time_ratio']:.2f}x)")
            ours["peak_rss_ratio"] = ours["peak_rss_mb"] / duck["peak_rss_mb"]
            # the memory of the work itself: peak RSS above what the step's imports alone hold
            work = {id(r): r["peak_rss_mb"] - r["result"]["imported_mb"] for r in (duck, ours)}
            ours["work_rss_ratio"] = work[id(ours)] / work[id(duck)]
            print(f"  {name}: same numbers; peerscope / DuckDB: {ours['time_ratio']:.2f}x time, "
                  f"{ours['peak_rss_ratio']:.2f}x peak RSS, {ours['work_rss_ratio']:.2f}x RSS above the imports")
            records += [duck, ours]
    return records


def markdown(steps: list[dict], results_file: str) -> str:
    """The section of ``docs/benchmarks.md`` for these steps: per comparison and size, the pair
    with the median time ratio, and the range of the ratios over the pairs."""
    lines = [SECTION, "",
             f"`python benchmarks/columnar_compare.py` (raw numbers in `benchmarks/results/{results_file}`): "
             "posts per roster person, their Gini and dyadic reciprocity, as three plain DuckDB queries over "
             "the monthly Parquet files, against `participation.summary` + `reciprocity.dyadic_reciprocity` "
             "(which also compute the Gini's bootstrap interval, super-users, bands and the Zipf and "
             "power-law fits); and every headline number of `reciprocity.summary` (replies by status, "
             "edges and dyadic reciprocity, give/receive roles and balance, generalised and serial "
             "reciprocity, responsiveness and its quantiles, exchanges) as plain DuckDB queries over a "
             "temporary table of the linked posts, against `reciprocity.summary` (which also builds the "
             "per-member and per-thread tables behind them). Same numbers asserted; "
             "seconds are the queries' or functions' own. Each pair of steps ran several times in turn "
             "(\"pairs\"); the row shows the pair with the median time ratio (the lower middle one for an "
             "even number of pairs) and the range of the ratios. "
             "Peak RSS is the process's; \"imports\" is its "
             "peak once the step's libraries are imported and before any work (DuckDB alone, against "
             "peerscope with pandas, pyarrow, SciPy and DuckDB), and \"work\" the peak above it.", "",
             "| comparison | posts | pairs | DuckDB s | peerscope s | time ratio (range) | DuckDB peak MB "
             "(imports + work) | peerscope peak MB (imports + work) | RSS ratio (range) | work ratio |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def peak(record):
        imported = record["result"]["imported_mb"]
        return f"{record['peak_rss_mb']:.0f} ({imported:.0f} + {record['peak_rss_mb'] - imported:.0f})"

    groups: dict[tuple, list] = {}
    for duck, ours in zip(steps[::2], steps[1::2]):
        groups.setdefault((ours["comparison"], ours["n_posts"]), []).append((duck, ours))
    for (comparison, n_posts), pairs in groups.items():
        pairs.sort(key=lambda pair: pair[1]["time_ratio"])
        duck, ours = pairs[(len(pairs) - 1) // 2]
        ratios = [pair[1]["time_ratio"] for pair in pairs]
        rss = sorted(pair[1]["peak_rss_ratio"] for pair in pairs)
        lines.append(f"| {comparison} | {n_posts:,} | {len(pairs)} | {duck['result']['metric_seconds']:.2f} | "
                     f"{ours['result']['metric_seconds']:.2f} | {ours['time_ratio']:.2f} "
                     f"({min(ratios):.2f}-{max(ratios):.2f}) | {peak(duck)} | {peak(ours)} | "
                     f"{ours['peak_rss_ratio']:.2f} ({rss[0]:.2f}-{rss[-1]:.2f}) | {ours['work_rss_ratio']:.2f} |")
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    """Replace (or append) the section in ``docs/benchmarks.md``, up to the next ``## `` heading."""
    page = DOCS.read_text(encoding="utf-8") if DOCS.is_file() else "# Benchmarks\n"
    pattern = re.compile(re.escape(SECTION) + r".*?(?=^## |\Z)", re.S | re.M)
    page = pattern.sub(lambda _: text + "\n", page) if SECTION in page else page.rstrip() + "\n\n" + text
    DOCS.write_text(page, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3,
                        help="pairs of steps (DuckDB, peerscope) per comparison and size, run in turn")
    parser.add_argument("--only", nargs="+", default=(), choices=[name for name, *_ in COMPARISONS],
                        help="run only these comparisons")
    parser.add_argument("--no-write", action="store_true",
                        help="print only: write no results file and leave docs/benchmarks.md as it is")
    args = parser.parse_args(argv)
    steps = [record for n_posts in args.sizes
             for record in compare(n_posts, args.seed, tuple(args.only), args.repeat)]
    if args.no_write:
        return 0
    target = write_results("columnar_compare", steps, targets={"time_ratio": 1.2, "peak_rss_ratio": 1.0},
                           parameters={"sizes": args.sizes, "seed": args.seed, "repeat": args.repeat})
    write_section(markdown(steps, target.name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
