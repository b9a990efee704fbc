"""Benchmark: reply graph + reciprocity summary on synthetic communities.

Targets (issue "Reciprocity and responsiveness", 2 cores): 1M posts <= 5 s and
<= 500 MB peak RSS; 10M posts <= 60 s and <= 4 GB.  Each size is measured in
a fresh child process (so peak RSS is that run's own, imports included) on a
corpus saved to disk by :func:`peerscope.datasets.synth.generate` (generated once,
without text, and reused).  The generation is not timed.

Usage::

    python benchmarks/reciprocity.py                  # 1M and 10M
    python benchmarks/reciprocity.py --sizes 1000000 --data /tmp/peerscope-bench

Writes ``benchmarks/results/reciprocity-<hostname>-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {1_000_000: {"seconds": 5.0, "peak_rss_mb": 500.0},
           10_000_000: {"seconds": 60.0, "peak_rss_mb": 4096.0}}

_CHILD = """
import json, resource, time
from peerscope import open_corpus
from peerscope.reciprocity import summary
corpus = open_corpus({path!r}, engine={engine!r})
started = time.perf_counter()
result = summary(corpus)
seconds = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "peak_rss_mb": rss, "edges": result.edges,
                  "dyadic_reciprocity": result.dyadic_reciprocity,
                  "reply_structure": result.reply_structure}}))
"""


def corpus_path(data: Path, n_posts: int, seed: int) -> Path:
    """A saved synthetic corpus of ``n_posts`` posts (generated when missing)."""
    path = data / f"synth-{n_posts}-seed{seed}"
    if not (path / "corpus.json").is_file():
        from peerscope import synth

        print(f"generating {n_posts:,} posts in {path} ...", file=sys.stderr)
        synth.generate(n_posts, seed=seed, path=path, with_text=False)
    return path


def measure(path: Path, n_posts: int, engine: str) -> dict:
    """Run the summary in a child process and return its timings."""
    code = _CHILD.format(path=str(path), engine=engine)
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    run = json.loads(done.stdout.strip().splitlines()[-1])
    target = TARGETS.get(n_posts)
    run.update(n_posts=n_posts, engine=engine, rows_per_second=n_posts / run["seconds"],
               target=target,
               within_target=(None if target is None else
                              run["seconds"] <= target["seconds"]
                              and run["peak_rss_mb"] <= target["peak_rss_mb"]))
    return run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--engine", choices=["pandas", "dask"], default="pandas")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "peerscope-bench",
                        help="folder for the generated corpora (kept between runs)")
    args = parser.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    runs = []
    for n_posts in args.sizes:
        run = measure(corpus_path(args.data, n_posts, args.seed), n_posts, args.engine)
        print(f"{n_posts:>12,} posts: {run['seconds']:7.2f} s, {run['peak_rss_mb']:8.1f} MB peak, "
              f"{run['rows_per_second']:,.0f} rows/s, within target: {run['within_target']}")
        runs.append(run)
    host = socket.gethostname()
    report = {"benchmark": "reciprocity.summary", "host": host, "cpus": os.cpu_count(),
              "python": platform.python_version(), "platform": platform.platform(),
              "load_average": os.getloadavg(), "seed": args.seed,
              "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    target = RESULTS / f"reciprocity-{host}-{date.today().isoformat()}.json"
    target.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
