"""Benchmark: what one Dask partition costs, at 1M, 10M and 100M posts, for projecting larger corpora.

``docs/scaling.md`` projects a corpus of a billion posts from these numbers.
For each size, one child process (:func:`measure.run_step`) starts a
``distributed.LocalCluster`` of 2 worker processes (1 thread each) with a
memory limit per worker below the size of the data (``--worker-memory``,
3 GiB: the 100M-post corpus is 6.3 GB of compressed Parquet, several times
that as frames), opens the monthly synthetic corpus (made by
:func:`dask_client.corpus_path` when missing) and runs one measure of
:data:`dask_client.MEASURES` (default ``participation_reciprocity``:
``participation.summary`` and ``reciprocity.summary``).  A thread samples
every 20 ms, during the measure:

- the client's RSS (growth = peak - before) and each worker's RSS (the
  highest of the workers' peaks);
- the CPU seconds of the workers (user + system, both workers together);
- bytes sent over the loopback interface (``/proc/net/dev``, ``lo``): every
  transfer between the client, the scheduler and the workers (task results,
  P2P shuffle transfers), the machine being otherwise idle;
- bytes the workers wrote to disk (``/proc/<pid>/io``: P2P shuffle buffers
  and spilled data).

Each size's record also has the posts' partitions and rows, so the per-
partition and per-million-post costs follow.  Results go to
``benchmarks/results/dask_scale-<host>-<date>.json``.

``--project FILE ...`` reads such result files instead and prints, per
measure, the costs per million posts at each size and their projection to
``--posts`` (default a billion): worker CPU seconds, bytes over the
loopback and to disk, and client growth scaled linearly from the largest
size measured (the table shows whether the per-post costs held from size to
size), and the workers needed for a one-hour run at the CPU use per worker
measured at that size.

Usage::

    python benchmarks/dask_scale.py                               # 1M and 10M
    python benchmarks/dask_scale.py --sizes 100000000 --label 100M
    python benchmarks/dask_scale.py --project results/dask_scale-*.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

from dask_client import MEASURES, corpus_path
from measure import run_step, sampled_call, write_results

CHILD = """
import gc, os, threading, time, warnings
warnings.simplefilter("ignore")
import psutil
from distributed import Client, LocalCluster
from peerscope import open_corpus
from peerscope.participation import engagement

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                       memory_limit={memory!r})
client = Client(cluster)
corpus = open_corpus({path!r}, engine="dask", scheduler=client)
client.submit(sum, [1, 2]).result()   # warm up the connection
partitions = corpus.posts(columns=["post_id"]).npartitions
workers = [psutil.Process(pid) for pid in client.run(os.getpid).values()]
process = psutil.Process()
gc.collect()


def loopback() -> int:
    with open("/proc/net/dev") as dev:
        for line in dev:
            name, _, counters = line.partition(":")
            if name.strip() == "lo":
                return int(counters.split()[8])   # transmitted bytes
    return 0


def disk_written() -> int:
    return sum(worker.io_counters().write_bytes for worker in workers)


def cpu() -> float:
    return sum(sum(worker.cpu_times()[:2]) for worker in workers)


state = dict(client=process.memory_info().rss, workers=[w.memory_info().rss for w in workers])
before = dict(client=state["client"], cpu=cpu(), lo=loopback(), disk=disk_written())
{sampled}result = dict(measure_seconds=seconds, partitions=partitions,
              client_growth_mb=(state["client"] - before["client"]) / 2**20,
              worker_peak_mb=max(state["workers"]) / 2**20,
              worker_cpu_seconds=cpu() - before["cpu"],
              loopback_mb=(loopback() - before["lo"]) / 2**20,
              worker_disk_written_mb=(disk_written() - before["disk"]) / 2**20,
              numbers={numbers})
"""


def project(files: list[Path], posts: int) -> str:
    """A Markdown table of the per-million-post costs in ``files`` and their projection to ``posts``."""
    steps = [step for file in files for step in json.loads(file.read_text(encoding="utf-8"))["steps"]]
    lines = []
    for measure in sorted({step["measure"] for step in steps}):
        mine = sorted((s for s in steps if s["measure"] == measure), key=lambda s: s["n_posts"])
        lines += [f"{measure}", "",
                  "| posts | partitions | wall s | worker CPU s per 1M posts | CPU use per worker | "
                  "loopback MB per 1M | disk MB per 1M | worker peak MB | client growth MB |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for step in mine:
            r, millions = step["result"], step["n_posts"] / 1e6
            lines.append(f"| {step['n_posts']:,} | {r['partitions']} | {r['measure_seconds']:.1f} | "
                         f"{r['worker_cpu_seconds'] / millions:.2f} | "
                         f"{r['worker_cpu_seconds'] / r['measure_seconds'] / 2:.0%} | "
                         f"{r['loopback_mb'] / millions:.0f} | {r['worker_disk_written_mb'] / millions:.0f} | "
                         f"{r['worker_peak_mb']:.0f} | {r['client_growth_mb']:.0f} |")
        basis = mine[-1]
        r, scale = basis["result"], posts / basis["n_posts"]
        cpu = r["worker_cpu_seconds"] * scale
        use = r["worker_cpu_seconds"] / r["measure_seconds"] / 2
        lines += ["", f"Projected to {posts:,} posts from {basis['n_posts']:,} (linear in posts): "
                  f"{cpu / 3600:,.1f} worker CPU hours; {math.ceil(cpu / 3600 / use)} workers "
                  f"(1 thread each, busy {use:.0%} of the time as measured) for one hour; "
                  f"{r['loopback_mb'] * scale / 1024:,.0f} GB between processes, "
                  f"{r['worker_disk_written_mb'] * scale / 1024:,.0f} GB written to the workers' disks; "
                  f"client growth {r['client_growth_mb'] * scale / 1024:,.1f} GB.", ""]
    return "\n".join(lines)


#: Sampled while the measure runs (:func:`measure.sampled_call`): the client's and each worker's peak RSS.
SAMPLE = """
state["client"] = max(state["client"], process.memory_info().rss)
state["workers"] = [max(peak, w.memory_info().rss) for peak, w in zip(state["workers"], workers)]
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measures", nargs="+", default=["participation_reciprocity"], choices=list(MEASURES))
    parser.add_argument("--worker-memory", default="3GiB", help="memory limit of each of the 2 workers")
    parser.add_argument("--label", default="", help="a tag in the results' file name (e.g. '100M')")
    parser.add_argument("--project", type=Path, nargs="+", help="result files to project from (runs nothing)")
    parser.add_argument("--posts", type=int, default=1_000_000_000, help="corpus size to project to")
    args = parser.parse_args()
    if args.project:
        print(project(args.project, args.posts))
        return
    steps = []
    for n_posts in args.sizes:
        path = corpus_path(n_posts, args.seed)
        for name in args.measures:
            call, numbers = MEASURES[name]
            step = run_step(CHILD.format(memory=args.worker_memory, path=str(path),
                                         sampled=sampled_call(call, SAMPLE, 0.02), numbers=numbers),
                            rows=n_posts, label=f"{name} {n_posts:,} (dask, 2 workers)")
            result = step["result"]
            print(f"    {result['partitions']} partitions; client +{result['client_growth_mb']:.0f} MB; "
                  f"worker peak {result['worker_peak_mb']:.0f} MB; worker CPU {result['worker_cpu_seconds']:.0f} s; "
                  f"loopback {result['loopback_mb']:.0f} MB; disk {result['worker_disk_written_mb']:.0f} MB",
                  flush=True)
            step.update(measure=name, n_posts=n_posts, corpus=str(path))
            steps.append(step)
    write_results("dask_scale" + (f"-{args.label}" if args.label else ""), steps,
                  {"report_hours": 1.0},
                  {"sizes": args.sizes, "seed": args.seed, "measures": args.measures, "workers": 2,
                   "threads_per_worker": 1, "worker_memory": args.worker_memory,
                   "load_average_at_end": os.getloadavg()})


if __name__ == "__main__":
    main()
