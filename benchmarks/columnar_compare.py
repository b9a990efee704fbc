"""peerscope against plain DuckDB SQL over the same Parquet files: same numbers, time and memory.

A performance-minded researcher would point DuckDB at a saved corpus rather
than use a library, so that is the bar for the counting questions under
peerscope's measures.  For each size, on the monthly synthetic corpus that
``benchmarks/run.py`` writes (``benchmarks/work/run-<n>-seed<seed>-monthly``,
made here when missing), two steps run in fresh processes
(:func:`measure.run_step`, Arrow on the system allocator):

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

The script asserts that both give the same members, lurkers, Gini, edges
and reciprocated edges, writes ``results/columnar_compare-<host>-<date>.json``
with the ratio of peerscope's time and peak RSS to DuckDB's, and replaces
the section "peerscope against DuckDB" of ``docs/benchmarks.md``.

Usage::

    python benchmarks/columnar_compare.py                       # 1M and 10M posts
    python benchmarks/columnar_compare.py --sizes 100000        # quick
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
t0 = time.perf_counter()
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
          "metric_seconds": t3 - t0, "imported_mb": imported_mb}}
"""

PEERSCOPE_STEP = """
from peerscope import open_corpus, participation, reciprocity
""" + IMPORTED + """
corpus = open_corpus({path!r})
t0 = time.perf_counter()
p = participation.summary(corpus)
t1 = time.perf_counter()
d = reciprocity.dyadic_reciprocity(corpus)
t2 = time.perf_counter()
result = {{"members": int(p.members), "lurkers": int(p.lurkers), "gini_members": float(p.gini_members.value),
          "edges": int(d.edges), "reciprocated_edges": int(d.reciprocated_edges),
          "seconds_by_query": {{"participation.summary": t1 - t0, "reciprocity.dyadic_reciprocity": t2 - t1}},
          "metric_seconds": t2 - t0, "imported_mb": imported_mb}}
"""

DUCKDB_RECIPROCITY_STEP = """
import duckdb
""" + IMPORTED + """
con = duckdb.connect()
con.execute("CREATE VIEW posts AS SELECT * FROM read_parquet('{path}/posts/*.parquet')")
con.execute("CREATE VIEW members AS SELECT * FROM read_parquet('{path}/members.parquet')")
persons = "SELECT member_id FROM members WHERE coalesce(role, 'member') NOT IN {not_persons}"
t0 = time.perf_counter()
edges, reciprocated, replies = con.execute(f'''
    WITH edges AS (
        SELECT reply.author_id AS source, parent.author_id AS target, count(*) AS replies
        FROM posts reply JOIN posts parent ON reply.parent_id = parent.post_id
        WHERE reply.author_id <> parent.author_id
          AND reply.author_id IN ({{persons}}) AND parent.author_id IN ({{persons}})
        GROUP BY ALL)
    SELECT count(*), count(back.source), sum(e.replies)
    FROM edges e LEFT JOIN edges back ON e.source = back.target AND e.target = back.source''').fetchone()
t1 = time.perf_counter()
answered, median_hours = con.execute('''
    WITH opening AS (SELECT post_id, thread_id, author_id, created_at FROM posts WHERE parent_id IS NULL),
    answered AS (
        SELECT o.post_id, (epoch_us(min(r.created_at)) - epoch_us(any_value(o.created_at))) / 3.6e9 AS hours
        FROM opening o JOIN posts r ON r.thread_id = o.thread_id AND r.parent_id IS NOT NULL
        WHERE NOT coalesce(r.author_id = o.author_id, false)
          AND (r.author_id IS NULL OR r.author_id NOT IN (SELECT member_id FROM members WHERE role = 'bot'))
        GROUP BY o.post_id)
    SELECT (SELECT count(*) FROM answered) / (SELECT count(*) FROM opening),
           (SELECT median(hours) FROM answered)''').fetchone()
t2 = time.perf_counter()
result = {{"edges": int(edges), "reciprocated_edges": int(reciprocated), "edge_replies": int(replies),
          "answered_share": float(answered), "median_hours_to_first_response": float(median_hours),
          "seconds_by_query": {{"edges_and_dyadic": t1 - t0, "responsiveness": t2 - t1}},
          "metric_seconds": t2 - t0, "imported_mb": imported_mb}}
"""

PEERSCOPE_RECIPROCITY_STEP = """
from peerscope import open_corpus, reciprocity
""" + IMPORTED + """
corpus = open_corpus({path!r})
t0 = time.perf_counter()
r = reciprocity.summary(corpus)
t1 = time.perf_counter()
result = {{"edges": int(r.edges), "reciprocated_edges": int(r.dyadic.reciprocated_edges),
          "edge_replies": int(r.graph.edges["replies"].sum()),
          "answered_share": float(r.responsiveness.answered_share),
          "median_hours_to_first_response": float(r.responsiveness.hours_to_first_response[0.5]),
          "seconds_by_query": {{"reciprocity.summary": t1 - t0}}, "metric_seconds": t1 - t0, "imported_mb": imported_mb}}
"""

#: The comparisons: name, DuckDB step, peerscope step, the numbers both give.
COMPARISONS = (
    ("summary + dyadic", DUCKDB_STEP, PEERSCOPE_STEP,
     ("members", "lurkers", "gini_members", "edges", "reciprocated_edges")),
    ("reciprocity.summary", DUCKDB_RECIPROCITY_STEP, PEERSCOPE_RECIPROCITY_STEP,
     ("edges", "reciprocated_edges", "edge_replies", "answered_share", "median_hours_to_first_response")),
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


def compare(n_posts: int, seed: int) -> list[dict]:
    """Both steps of every comparison at one size; raises when their numbers differ."""
    path = corpus_path(n_posts, seed)
    records = []
    for name, duck_step, our_step, compared in COMPARISONS:
        duck = run_step(duck_step.format(path=path, not_persons=NOT_PERSONS), rows=n_posts,
                        label=f"duckdb {name} {n_posts:,}")
        ours = run_step(our_step.format(path=str(path)), rows=n_posts, label=f"peerscope {name} {n_posts:,}")
        for number in compared:
            a, b = duck["result"][number], ours["result"][number]
            same = math.isclose(a, b, rel_tol=1e-9) if isinstance(a, float) else a == b
            if not same:
                raise AssertionError(f"{name}, {number} at {n_posts:,} posts: DuckDB {a}, peerscope {b}")
        for record, step in ((duck, "duckdb"), (ours, "peerscope")):
            record.update(step=step, comparison=name, n_posts=n_posts)
        ours["time_ratio"] = ours["result"]["metric_seconds"] / duck["result"]["metric_seconds"]
        ours["peak_rss_ratio"] = ours["peak_rss_mb"] / duck["peak_rss_mb"]
        # the memory of the work itself: peak RSS above what the step's imports alone hold
        work = {id(r): r["peak_rss_mb"] - r["result"]["imported_mb"] for r in (duck, ours)}
        ours["work_rss_ratio"] = work[id(ours)] / work[id(duck)]
        print(f"  {name}: same numbers; peerscope / DuckDB: {ours['time_ratio']:.2f}x time, "
              f"{ours['peak_rss_ratio']:.2f}x peak RSS, {ours['work_rss_ratio']:.2f}x RSS above the imports")
        records += [duck, ours]
    return records


def markdown(steps: list[dict], results_file: str) -> str:
    """The section of ``docs/benchmarks.md`` for these steps."""
    lines = [SECTION, "",
             f"`python benchmarks/columnar_compare.py` (raw numbers in `benchmarks/results/{results_file}`): "
             "posts per roster person, their Gini and dyadic reciprocity, as three plain DuckDB queries over "
             "the monthly Parquet files, against `participation.summary` + `reciprocity.dyadic_reciprocity` "
             "(which also compute the Gini's bootstrap interval, super-users, bands and the Zipf and "
             "power-law fits); and the reply edges, dyadic reciprocity and responsiveness (answered share "
             "and median hours to the first reply by someone else, by thread) as two queries against "
             "`reciprocity.summary` (which also computes generalised and serial reciprocity, give and "
             "receive, exchanges, and responsiveness by the chain of replies). Same numbers asserted; "
             "seconds are the queries' or functions' own. Peak RSS is the process's; \"imports\" is its "
             "peak once the step's libraries are imported and before any work (DuckDB alone, against "
             "peerscope with pandas, pyarrow, SciPy and DuckDB), and \"work\" the peak above it.", "",
             "| comparison | posts | DuckDB s | peerscope s | time ratio | DuckDB peak MB (imports + work) "
             "| peerscope peak MB (imports + work) | RSS ratio | work ratio |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def peak(record):
        imported = record["result"]["imported_mb"]
        return f"{record['peak_rss_mb']:.0f} ({imported:.0f} + {record['peak_rss_mb'] - imported:.0f})"

    for duck, ours in zip(steps[::2], steps[1::2]):
        lines.append(f"| {ours['comparison']} | {duck['n_posts']:,} | {duck['result']['metric_seconds']:.2f} | "
                     f"{ours['result']['metric_seconds']:.2f} | {ours['time_ratio']:.2f} | {peak(duck)} | "
                     f"{peak(ours)} | {ours['peak_rss_ratio']:.2f} | {ours['work_rss_ratio']:.2f} |")
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
    args = parser.parse_args(argv)
    steps = [record for n_posts in args.sizes for record in compare(n_posts, args.seed)]
    target = write_results("columnar_compare", steps, targets={"time_ratio": 1.2, "peak_rss_ratio": 1.0},
                           parameters={"sizes": args.sizes, "seed": args.seed})
    write_section(markdown(steps, target.name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
