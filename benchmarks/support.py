"""Benchmark: classifying a saved synthetic corpus for support types, streamed.

Steps (each in a fresh child process, via ``measure.run_step``):

* ``lexicon``: :class:`~peerscope.support.LexiconLabeller` over every post,
  streamed from ``posts.parquet`` in batches (target >= 20,000 posts/s);
* ``fit``: :class:`~peerscope.support.SupportClassifier` trained on 5,000
  posts of the synthetic truth, saved as JSON + numpy arrays;
* ``supervised``: the saved model loaded and applied to every post,
  streamed (target >= 5,000 posts/s).

Usage: ``python benchmarks/support.py [--posts 100000] [--seed 1] [--batch 20000]``.
Writes ``benchmarks/results/support-<hostname>-<date>.json``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from measure import run_step, write_results

WORK = Path(__file__).resolve().parent / "work"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=20_000)
    args = parser.parse_args()
    corpus_dir = WORK / f"support-{args.posts}-seed{args.seed}"
    model_dir = WORK / f"support-model-{args.seed}"
    steps = []
    if not (corpus_dir / "corpus.json").exists():
        steps.append(run_step(f"""
from peerscope import synth
synth.generate({args.posts}, seed={args.seed}, path={str(corpus_dir)!r})
""", rows=args.posts, label="generate synthetic corpus"))
    steps.append(run_step(f"""
from peerscope import open_corpus
from peerscope.support import LexiconLabeller, classify
labels = classify(open_corpus({str(corpus_dir)!r}), LexiconLabeller(), batch_size={args.batch}, progress=False)
result = labels["label"].value_counts(normalize=True).round(4).to_dict()
""", rows=args.posts, label="lexicon (streamed)"))
    steps.append(run_step(f"""
import pyarrow.parquet as pq
from peerscope.support import SupportClassifier
posts = pq.read_table({str(corpus_dir / "posts.parquet")!r}, columns=["post_id", "text"]).slice(0, 5000).to_pandas()
truth = pq.read_table({str(corpus_dir / "truth_posts.parquet")!r}).to_pandas()
posts = posts.merge(truth, on="post_id")
SupportClassifier(scheme="ssbc", random_state=0).fit(posts["text"], posts["support_type"]).save({str(model_dir)!r})
""", rows=5000, label="supervised fit (5,000 posts)"))
    steps.append(run_step(f"""
import pyarrow.parquet as pq
from peerscope import open_corpus
from peerscope.support import SupportClassifier, classify
model = SupportClassifier.load({str(model_dir)!r})
labels = classify(open_corpus({str(corpus_dir)!r}), model, batch_size={args.batch}, progress=False)
truth = pq.read_table({str(corpus_dir / "truth_posts.parquet")!r}).to_pandas()
merged = labels.merge(truth, on="post_id")
result = {{"accuracy": round(float((merged["label"] == merged["support_type"]).mean()), 4)}}
""", rows=args.posts, label="supervised (load + streamed)"))
    write_results("support", steps, targets={"lexicon posts/s": 20_000, "supervised posts/s": 5_000},
                  parameters=vars(args))


if __name__ == "__main__":
    main()
