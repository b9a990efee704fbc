"""Benchmark: how much the *client* process grows while measures (and the report) run on Dask.

Issue 21 asks that nothing per post reach the client when a corpus is opened
with ``open_corpus(path, engine="dask", scheduler=client)``: the workers
aggregate, the client only receives per-person (or smaller) results.  This
script checks that on a 2-worker ``distributed.LocalCluster`` with worker
*processes*, so the client's resident memory is the client's alone.

Each measure runs in a fresh child process (:func:`measure.run_step`) that
starts the cluster, opens the monthly synthetic corpus of ``benchmarks/run.py``
(generated there, or here when missing) and warms up (one small computation),
then records the client's RSS just before the call and its peak during the
call (a thread samples ``psutil`` every 5 ms).  ``growth_mb`` = peak - before:
what the measure itself cost the client.  ``peak_rss_mb`` is the child's
high-water mark (imports and cluster start-up included).

Results go to ``benchmarks/results/dask_client-<host>-<date>.json``.

Usage::

    python benchmarks/dask_client.py                      # 1M posts
    python benchmarks/dask_client.py --sizes 100000 1000000 --measures frequency survival
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from measure import run_step, sampled_call, write_results

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"

#: The responsiveness numbers of a reciprocity summary ``r`` (computed on the workers on Dask).
RESPONSIVENESS = ("'answered': int(r.responsiveness.answered), 'return_share': r.responsiveness.return_share,"
                  " 'hours_to_first_response': [r.responsiveness.hours_to_first_response[q]"
                  " for q in (0.25, 0.5, 0.75, 0.9)], 'exchanges': r.motifs.total")

#: What each measure's call is, in the child (``corpus`` and ``engagement`` are defined there),
#: and a few of its numbers (JSON-able) to compare runs and engines.
MEASURES = {
    "frequency": ("out = engagement.frequency(corpus)",
                  "{'rows': len(out), 'posts': int(out['posts'].sum()),"
                  " 'mean_burstiness': float(out['burstiness'].mean())}"),
    "survival": ("out = engagement.survival(corpus)",
                 "{'rows': len(out.members), 'median_tenure_days': out.median_tenure_days,"
                 " 'withdrawn': int(out.members['withdrawn'].sum())}"),
    "time_profile": ("out = engagement.time_profile(corpus)",
                     "{'posts': int(out.table['posts'].sum()), 'busiest': int(out.table['posts'].max())}"),
    "ladder_by_month": ("out = engagement.ladder_by_month(corpus)",
                        "{'levels': len(out.levels), 'members': out.members, 'climbers': out.climbers}"),
    "delurking": ("out = engagement.delurking(corpus)",
                  "{'rows': len(out), 'delurked': int(out['delurked'].sum())}"),
    "monthly": ("out = engagement.monthly(corpus)",
                "{'months': len(out), 'posts': int(out['posts'].sum()),"
                " 'withdrawn': int(out['withdrawn'].sum())}"),
    "participation_summary": ("from peerscope import participation; p = participation.summary(corpus)",
                              "{'posters': int(p.posters), 'gini_posters': float(p.gini_posters.value)}"),
    "reciprocity_summary": ("from peerscope import reciprocity; r = reciprocity.summary(corpus)",
                            "{'edges': int(r.edges), 'dyadic': float(r.dyadic.value), "
                            + RESPONSIVENESS + "}"),
    "participation_reciprocity": (
        "from peerscope import participation, reciprocity\n"
        "p = participation.summary(corpus); r = reciprocity.summary(corpus)",
        "{'posters': int(p.posters), 'gini_posters': float(p.gini_posters.value), 'edges': int(r.edges),"
        " 'dyadic': float(r.dyadic.value), " + RESPONSIVENESS + "}"),
    "report": ("from peerscope.report import build; out = build(corpus, topics=None, support=None, figures=False)",
               "{'tables': len(out.tables)}"),
    "pluralism": ("from peerscope import pluralism; from peerscope.pluralism import newsletters\n"
                  "uses = pluralism.forms_in_use(corpus); curve = pluralism.forms_over_tenure(uses)\n"
                  "sets = pluralism.combinations(uses); paths = pluralism.pathways(uses)\n"
                  "active = pluralism.active_passive(uses); letters = newsletters.summary(corpus, uses=uses)",
                  "{'uses': len(uses.uses), 'members': uses.n_members,"
                  " 'mean_forms_0': float(curve.frame['mean_forms'].iloc[0]),"
                  " 'concurrent': int(sets.patterns['members'].iloc[2]),"
                  " 'transitions': int(paths.transitions['n'].sum()),"
                  " 'active_any': int(active.frame['active'].iloc[-1]),"
                  " 'recipients': int(letters.frame['recipients'].sum())}"),
    "describe": ("from peerscope import describe; out = describe(corpus)",
                 "{'posts': out.rows['posts'], 'posters': out.posters, 'replies': out.replies,"
                 " 'structure': out.reply_structure}"),
    "activity": ("from peerscope import participation; out = participation.activity(corpus)",
                 "{'rows': len(out), 'posts': int(out['posts'].sum()),"
                 " 'mean_level': float(out['ladder_level'].mean())}"),
}


def corpus_path(n_posts: int, seed: int) -> Path:
    """The monthly synthetic corpus of ``benchmarks/run.py`` (made here when missing)."""
    monthly = WORK / f"run-{n_posts}-seed{seed}-monthly"
    if not (monthly / "corpus.json").is_file():
        flat = WORK / f"dask-client-{n_posts}-seed{seed}"
        run_step(f"""
            from peerscope import synth
            from peerscope.corpus import repartition
            synth.generate({n_posts}, seed={seed}, path={str(flat)!r}, with_text=False)
            repartition({str(flat)!r}, {str(monthly)!r}, by="month")
        """, rows=n_posts, label=f"generate {n_posts:,} posts")
    return monthly


#: A 2-worker LocalCluster in a process of its own: prints its scheduler's address, stops when stdin closes.
CLUSTER_PROCESS = """
import sys
from distributed import LocalCluster
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                       memory_limit="4GiB")
print(cluster.scheduler_address, flush=True)
sys.stdin.read()
cluster.close()
"""


def child_code(path: Path, name: str, engine: str, separate_scheduler: bool = False) -> str:
    """Child source: cluster (Dask) or nothing (pandas), then one measure with RSS sampling.

    A ``LocalCluster`` runs its scheduler in the process that starts it, so
    by default the client's growth includes the scheduler's bookkeeping of
    the task graph; with ``separate_scheduler`` the cluster (scheduler and
    both workers) starts in a process of its own and the client connects to
    its address, as a client of a real cluster does.
    """
    call, numbers = MEASURES[name]
    if engine == "dask" and separate_scheduler:
        opening = f"""
import subprocess, sys
from distributed import Client
cluster = subprocess.Popen([sys.executable, "-c", {CLUSTER_PROCESS!r}], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
client = Client(cluster.stdout.readline().strip())
corpus = open_corpus({str(path)!r}, engine="dask", scheduler=client)
client.submit(sum, [1, 2]).result()   # warm up the connection
"""
    elif engine == "dask":
        opening = f"""
from distributed import Client, LocalCluster
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                       memory_limit="4GiB")
client = Client(cluster)
corpus = open_corpus({str(path)!r}, engine="dask", scheduler=client)
client.submit(sum, [1, 2]).result()   # warm up the connection
"""
    else:
        opening = f"corpus = open_corpus({str(path)!r})\n"
    return f"""
import gc, threading, warnings
warnings.simplefilter("ignore")
import psutil
from peerscope import open_corpus
from peerscope.participation import engagement
{opening}
gc.collect()
process = psutil.Process()
before = process.memory_info().rss
peak = [before]
{sampled_call(call, "peak[0] = max(peak[0], process.memory_info().rss)", 0.005)}
peak[0] = max(peak[0], process.memory_info().rss)
result = {{"measure_seconds": seconds, "rss_before_mb": before / 2**20, "rss_peak_mb": peak[0] / 2**20,
          "growth_mb": (peak[0] - before) / 2**20, "numbers": {numbers}}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measures", nargs="+", default=list(MEASURES), choices=list(MEASURES))
    parser.add_argument("--engines", nargs="+", default=["dask"], choices=["dask", "pandas"])
    parser.add_argument("--label", default="", help="a tag stored with the results (e.g. 'before')")
    parser.add_argument("--separate-scheduler", action="store_true",
                        help="start the cluster (scheduler and workers) in a process of its own")
    args = parser.parse_args()
    steps = []
    for n_posts in args.sizes:
        path = corpus_path(n_posts, args.seed)
        for engine in args.engines:
            for name in args.measures:
                step = run_step(child_code(path, name, engine, args.separate_scheduler), rows=n_posts,
                                label=f"{name} {n_posts:,} ({engine})")
                result = step["result"]
                print(f"    client growth {result['growth_mb']:7.1f} MB in {result['measure_seconds']:.2f} s",
                      flush=True)
                step.update(measure=name, n_posts=n_posts, engine=engine, corpus=str(path))
                steps.append(step)
    name = "dask_client" + (f"-{args.label}" if args.label else "")
    write_results(name, steps, {"engagement_client_growth_mb": "per person or smaller, never per post"},
                  {"sizes": args.sizes, "seed": args.seed, "measures": args.measures,
                   "engines": args.engines, "label": args.label, "workers": 2, "processes": True,
                   "separate_scheduler": args.separate_scheduler,
                   "load_average_at_end": os.getloadavg()})


if __name__ == "__main__":
    main()
