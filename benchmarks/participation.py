"""Benchmark: ``participation.summary`` + ``participation.activity`` on synthetic corpora.

Generates (once, cached in the git-ignored ``benchmarks/work/``) synthetic
communities of 1M and 10M posts with :func:`peerscope.datasets.synth.generate`
(streamed to disk, no text: the metrics never read it), then times
``summary`` and ``activity`` together in a fresh child process per size, so
that the peak RSS is theirs alone (:mod:`measure`).  The synthetic corpus has
about 4 events (views, deliveries, attendance, sessions) per post, which
``activity`` reads too.  Results go to
``benchmarks/results/participation-<hostname>-<date>.json``.

Targets on 2 cores: 1M posts <= 2 s and <= 300 MB peak RSS; 10M posts
<= 20 s and <= 3 GB.  The time is reported twice: the step's (interpreter
imports included, about 0.4 s) and the metrics' own (``metrics_seconds``:
open, summary, activity), which is what the targets measure, as in
``benchmarks/run.py``; the peak RSS is always the whole process's.  For comparison, loading 1M utterances in ConvoKit and
counting posts per speaker takes about 66 s and 3.4 GB on such a machine.

Usage::

    python benchmarks/participation.py --sizes 1000000 10000000
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from measure import run_step, write_results

HERE = Path(__file__).resolve().parent
TARGETS = {"1000000": {"seconds": 2, "peak_rss_mb": 300},
           "10000000": {"seconds": 20, "peak_rss_mb": 3000}}


def corpus_path(n_posts: int, seed: int) -> Path:
    """Generate the synthetic corpus once (in a child process) and return its folder."""
    path = HERE / "work" / f"participation-{n_posts}-seed{seed}"
    if not (path / "corpus.json").is_file():
        run_step(f"""
            from peerscope import synth
            synth.generate({n_posts}, seed={seed}, path={str(path)!r}, with_text=False)
        """, rows=n_posts, label=f"generate {n_posts:,} posts")
    return path


def measure(path: Path, n_posts: int, engine: str) -> dict:
    """Summary then activity in a fresh process: total ``seconds`` (imports included) and,
    in ``result``, the metrics' own ``summary_seconds``, ``activity_seconds`` and ``metrics_seconds``."""
    step = run_step(f"""
        from peerscope import open_corpus, participation
        t0 = time.perf_counter()
        corpus = open_corpus({str(path)!r}, engine={engine!r})
        s = participation.summary(corpus)
        t1 = time.perf_counter()
        a = participation.activity(corpus)
        t2 = time.perf_counter()
        result = {{"members": s.members, "posters": s.posters, "lurker_share": s.lurker_share,
                  "gini_members": s.gini_members.value, "activity_rows": len(a),
                  "events": corpus.manifest["tables"].get("events", {{}}).get("rows", 0),
                  "summary_seconds": t1 - t0, "activity_seconds": t2 - t1,
                  "metrics_seconds": t2 - t0}}
    """, rows=n_posts, label=f"summary+activity {n_posts:,} ({engine})")
    print(f"  of which summary {step['result']['summary_seconds']:.2f} s + activity "
          f"{step['result']['activity_seconds']:.2f} s; the rest imports")
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engines", nargs="+", default=["pandas"], choices=["pandas", "dask"])
    args = parser.parse_args()
    steps = []
    for n_posts in args.sizes:
        path = corpus_path(n_posts, args.seed)
        for engine in args.engines:
            step = measure(path, n_posts, engine)
            step.update(n_posts=n_posts, engine=engine, target=TARGETS.get(str(n_posts)),
                        corpus=str(path.resolve()))  # a symlink to another synthetic corpus shows here
            steps.append(step)
    write_results("participation", steps, TARGETS,
                  {"sizes": args.sizes, "seed": args.seed, "engines": args.engines,
                   "load_average_at_end": os.getloadavg()})


if __name__ == "__main__":
    main()
