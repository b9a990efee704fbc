"""Benchmark: classifying a saved synthetic corpus for support types, streamed.

Steps (each in a fresh child process, via ``measure.run_step``):

* ``pretrained``: ``classify(corpus, out=..., return_labels=False)`` with
  its default model, ``pretrained("forum")`` (loaded from the package,
  posts split into sentences and scored, direction from thread position and
  wording), streamed from ``posts.parquet`` in batches and each labelled
  batch written straight to ``work/support-labels-<posts>-seed<seed>.parquet``
  (only counts kept in memory, as ``peerscope classify`` does); target
  >= 20,000 posts/s on one core, peak memory flat in corpus size (compare
  the peak RSS of two sizes: ``--posts 100000`` and ``--posts 1000000``);
  the result also records the CPU seconds of ``classify`` alone and posts
  per CPU-second;
* ``lexicon``: :class:`~peerscope.support.LexiconLabeller` the same way
  (target >= 20,000 posts/s);
* ``fit`` and ``supervised`` (``--steps fit,supervised``): a
  :class:`~peerscope.support.SupportClassifier` trained on 5,000 posts of
  the synthetic truth, saved, loaded and applied to every post (target
  >= 5,000 posts/s).

Every step runs with one thread for numpy/BLAS and Arrow
(``OMP_NUM_THREADS=1``, ``pyarrow.set_cpu_count(1)``), so posts/s is the
rate of one core.

Usage: ``python benchmarks/support.py [--posts 100000] [--seed 1] [--batch 20000]
[--steps pretrained,lexicon]``.
Writes ``benchmarks/results/support-<posts>-<hostname>-<date>.json``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from measure import run_step, write_results

WORK = Path(__file__).resolve().parent / "work"
STEPS = ("pretrained", "lexicon", "fit", "supervised")
_ONE_CORE = """
import pyarrow
pyarrow.set_cpu_count(1)
pyarrow.set_io_thread_count(1)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--steps", default="pretrained,lexicon",
                        help=f"comma-separated, from {', '.join(STEPS)}")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps {unknown}; expected some of {list(STEPS)}")
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    corpus_dir = WORK / f"support-{args.posts}-seed{args.seed}"
    model_dir = WORK / f"support-model-{args.seed}"
    labels_file = WORK / f"support-labels-{args.posts}-seed{args.seed}.parquet"
    steps = []
    if not (corpus_dir / "corpus.json").exists():
        steps.append(run_step(f"""
from peerscope import synth
synth.generate({args.posts}, seed={args.seed}, path={str(corpus_dir)!r})
""", rows=args.posts, label="generate synthetic corpus"))
    if "pretrained" in chosen:
        steps.append(run_step(_ONE_CORE + f"""
import time
from peerscope import open_corpus
from peerscope.support import classify
cpu = time.process_time()
summary = classify(open_corpus({str(corpus_dir)!r}), batch_size={args.batch}, out={str(labels_file)!r},
                   return_labels=False, progress=False)
cpu = time.process_time() - cpu
result = {{"label": summary.shares().round(4).to_dict(),
           "direction": (summary.directions / summary.rows).round(4).to_dict(),
           "rows": summary.rows, "cpu_seconds": round(cpu, 2),
           "posts_per_cpu_second": round(summary.rows / cpu)}}
""", rows=args.posts, label="pretrained forum model (load + streamed to Parquet)"))
    if "lexicon" in chosen:
        steps.append(run_step(_ONE_CORE + f"""
from peerscope import open_corpus
from peerscope.support import LexiconLabeller, classify
labels = classify(open_corpus({str(corpus_dir)!r}), LexiconLabeller(), batch_size={args.batch}, progress=False)
result = labels["label"].value_counts(normalize=True).round(4).to_dict()
""", rows=args.posts, label="lexicon (streamed)"))
    if "fit" in chosen:
        steps.append(run_step(_ONE_CORE + f"""
import pyarrow.parquet as pq
from peerscope.support import SupportClassifier
posts = pq.read_table({str(corpus_dir / "posts.parquet")!r}, columns=["post_id", "text"]).slice(0, 5000).to_pandas()
truth = pq.read_table({str(corpus_dir / "truth_posts.parquet")!r}).to_pandas()
posts = posts.merge(truth, on="post_id")
SupportClassifier(scheme="ssbc", random_state=0).fit(posts["text"], posts["support_type"]).save({str(model_dir)!r})
""", rows=5000, label="supervised fit (5,000 posts)"))
    if "supervised" in chosen:
        steps.append(run_step(_ONE_CORE + f"""
import pyarrow.parquet as pq
from peerscope import open_corpus
from peerscope.support import SupportClassifier, classify
model = SupportClassifier.load({str(model_dir)!r})
labels = classify(open_corpus({str(corpus_dir)!r}), model, batch_size={args.batch}, progress=False)
truth = pq.read_table({str(corpus_dir / "truth_posts.parquet")!r}).to_pandas()
merged = labels.merge(truth, on="post_id")
result = {{"accuracy": round(float((merged["label"] == merged["support_type"]).mean()), 4)}}
""", rows=args.posts, label="supervised (load + streamed)"))
    write_results(f"support-{args.posts}", steps,
                  targets={"pretrained posts/s": 20_000, "lexicon posts/s": 20_000, "supervised posts/s": 5_000},
                  parameters=vars(args))


if __name__ == "__main__":
    main()
