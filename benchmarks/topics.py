"""Benchmark: preprocessing and LDA on synthetic posts, peerscope against gensim directly.

Steps, each in a fresh child process (``measure.run_step``: wall time and
peak RSS of that process alone), on saved synthetic corpora:

* ``preprocess``: :func:`peerscope.text.bag_of_words` streamed from
  ``posts.parquet`` (cache cleared first, so it tokenises and writes the
  bag-of-words cache), at ``--small`` and ``--posts`` posts: throughput
  (target >= 20,000 posts/s) and peak memory, which should not grow with
  the corpus (the text column is never whole in memory);
* ``gensim``: gensim ``LdaMulticore`` called directly on the cached bag of
  words, read back and held in memory as gensim wants it (lists of
  ``(id, count)``; the reading is not timed), with the options peerscope
  passes (``dtype=float64``, chunksize 2000, 50 iterations); then gensim's
  ``inference`` over every post, which a user needs for doc-topic shares;
* ``gensim defaults``: the same training with gensim's own defaults
  (``dtype=float32``), to show what peerscope's float64 costs (no inference);
* ``peerscope``: the whole :func:`peerscope.topics.fit` from the corpus
  folder (opening it, reading the cached bag of words, streaming it to
  gensim), then :meth:`~peerscope.topics.TopicModel.doc_topics` (inferred
  on first use).  Target: fit adds <= 20% to gensim's training time.

Times inside a step exclude interpreter start-up and imports (paid once
per process on either side); peak memory includes them.

The comparison runs ``--repeats`` times, alternating which side goes first,
and the summary gives medians; the machine's load average is recorded before
each step, because a shared machine makes single runs noisy.

Usage: ``python benchmarks/topics.py [--posts 100000] [--small 50000] [--k 20]
[--passes 1] [--workers 2] [--repeats 3]``.
Writes ``benchmarks/results/topics-<hostname>-<date>.json``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
from pathlib import Path

from measure import run_step, write_results

WORK = Path(__file__).resolve().parent / "work"

_READ_BOW = """
from peerscope import open_corpus, topics
bow = topics.bag_of_words(open_corpus({path!r}), progress=False)
assert bow.source is not None, "the bag-of-words cache was not found"
"""

_GENSIM = _READ_BOW + """
import time
import numpy as np
from gensim.models import LdaMulticore
documents = list(bow.gensim_corpus())
dictionary = bow.dictionary()
began = time.perf_counter()
lda = LdaMulticore(documents, id2word=dictionary, num_topics={k}, passes={passes}, workers={workers},
                   random_state={seed}, eval_every=None{options})
trained = time.perf_counter()
shares = [lda.inference(documents[s:s + 20000])[0] for s in range(0, len(documents), 20000) if {infer}]
inferred = time.perf_counter()
result = {{"train_seconds": trained - began, "doc_topics_seconds": inferred - trained}}
"""

_PEERSCOPE = """
import time
import gensim.models  # imported before the clock, as on the gensim side
from peerscope import open_corpus, topics
began = time.perf_counter()
model = topics.fit(open_corpus({path!r}), {k}, seed={seed}, passes={passes}, workers={workers}, progress=False)
fitted = time.perf_counter()
frame = model.doc_topics()
inferred = time.perf_counter()
assert model.params["implementation"] == "gensim.LdaMulticore" and model.bow.source is not None
result = {{"train_seconds": fitted - began, "doc_topics_seconds": inferred - fitted}}
"""


def corpus_folder(posts: int, seed: int) -> Path:
    """The saved synthetic corpus of ``posts`` posts, generated on first use."""
    folder = WORK / f"topics-{posts}-seed{seed}"
    if not (folder / "corpus.json").exists():
        run_step(f"""
from peerscope import synth
synth.generate({posts}, seed={seed}, path={str(folder)!r})
""", rows=posts, label=f"generate {posts:,} posts")
    return folder


def step(code: str, *, rows: int, label: str) -> dict:
    """``run_step`` with the one-minute load average before the step."""
    load = os.getloadavg()[0]
    measured = run_step(code, rows=rows, label=label)
    measured["load_average_before"] = load
    return measured


def preprocess(folder: Path, posts: int) -> dict:
    """Tokenise a corpus from scratch (cache cleared) and write its bag-of-words cache."""
    shutil.rmtree(folder / "cache", ignore_errors=True)
    return step(f"""
import time
from peerscope import open_corpus, topics
began = time.perf_counter()
bow = topics.bag_of_words(open_corpus({str(folder)!r}), progress=False)
seconds = time.perf_counter() - began
result = {{"seconds": seconds, "posts_per_second": len(bow) / seconds, **bow.stats}}
""", rows=posts, label=f"preprocess {posts:,} posts (streamed)")


def summarise(steps: list[dict], args) -> dict:
    """Medians over the repeats, overheads and throughputs."""
    def median(label, key):
        return statistics.median(s["result"][key] for s in steps if s["label"].startswith(label))

    gensim_train, gensim_infer = median("gensim LdaMulticore (", "train_seconds"), median(
        "gensim LdaMulticore (", "doc_topics_seconds")
    ours_train, ours_infer = median("peerscope", "train_seconds"), median("peerscope", "doc_topics_seconds")
    defaults_train = median("gensim defaults", "train_seconds")
    lda_posts = args.posts * args.passes
    by_size = {s["rows"]: s for s in steps if s["label"].startswith("preprocess")}
    return {
        "repeats": args.repeats,
        "preprocess_posts_per_second": by_size[args.posts]["result"]["posts_per_second"],
        "preprocess_peak_rss_mb": {str(n): s["peak_rss_mb"] for n, s in sorted(by_size.items())},
        "gensim_train_seconds": gensim_train, "gensim_doc_topics_seconds": gensim_infer,
        "gensim_float32_train_seconds": defaults_train,
        "peerscope_fit_seconds": ours_train, "peerscope_doc_topics_seconds": ours_infer,
        "lda_posts_per_second_gensim": lda_posts / gensim_train,
        "lda_posts_per_second_peerscope": lda_posts / ours_train,
        "fit_overhead_vs_gensim": ours_train / gensim_train - 1,
        "fit_and_doc_topics_overhead_vs_gensim": (ours_train + ours_infer) / (gensim_train + gensim_infer) - 1,
        "fit_overhead_vs_gensim_float32_defaults": ours_train / defaults_train - 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=50_000, help="second size, for peak memory")
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    folders = {n: corpus_folder(n, args.seed) for n in (args.small, args.posts)}
    steps = [preprocess(folders[n], n) for n in (args.small, args.posts)]
    path = str(folders[args.posts])
    shared = dict(path=path, k=args.k, passes=args.passes, workers=args.workers, seed=args.seed)
    sides = [
        ("gensim LdaMulticore (peerscope's options)", _GENSIM.format(
            options=", dtype=np.float64, chunksize=2000, iterations=50", infer=True, **shared)),
        ("peerscope topics.fit + doc_topics", _PEERSCOPE.format(**shared)),
        ("gensim defaults (float32)", _GENSIM.format(options="", infer=False, **shared)),
    ]
    for repeat in range(args.repeats):
        order = sides if repeat % 2 == 0 else [sides[1], sides[0], sides[2]]
        for label, code in order:
            measured = step(code, rows=args.posts, label=f"{label} #{repeat + 1}")
            print(f"    train {measured['result']['train_seconds']:.1f} s, "
                  f"doc-topics {measured['result']['doc_topics_seconds']:.1f} s", flush=True)
            steps.append(measured)
    summary = summarise(steps, args)
    steps.append({"label": f"summary (medians of {args.repeats} repeats)", "result": summary})
    for key, value in summary.items():
        print(f"{key:<45} {value}")
    write_results("topics", steps,
                  targets={"preprocess posts/s": 20_000, "fit overhead vs gensim": 0.20,
                           "preprocess peak memory": "independent of corpus size"},
                  parameters={**vars(args), "load_average_at_start": load_at_start,
                              "load_average_at_end": os.getloadavg()})


if __name__ == "__main__":
    main()
