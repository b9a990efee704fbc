"""Benchmark: preprocessing and LDA on synthetic posts, peerscope vs gensim directly.

Measures, side by side in one run on a saved synthetic corpus:

* preprocessing throughput (posts/s) of :func:`peerscope.text.bag_of_words`,
  streamed from Parquet, cache off;
* LDA throughput of gensim ``LdaMulticore`` called directly on the same bag
  of words held in memory as gensim wants it (lists of ``(id, count)``);
* peerscope's whole :func:`peerscope.topics.fit` (streamed corpus,
  doc-topic inference of every post) on the same bag of words, and its
  overhead over gensim;
* peak resident memory (psutil, sampled) of each stage.

Usage: ``python benchmarks/topics.py [--posts 100000] [--k 20] [--passes 1] [--workers 2]``.
Writes ``benchmarks/results/topics-<hostname>-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import psutil

from peerscope import synth, topics


class PeakRSS:
    """Peak resident set size of this process while the block runs (sampled every 20 ms)."""

    def __enter__(self):
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)
        return False


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from gensim.models import LdaMulticore

    result = {"host": socket.gethostname(), "date": date.today().isoformat(), "cpus": os.cpu_count(),
              "python": platform.python_version(), **vars(args)}
    with tempfile.TemporaryDirectory() as folder:
        corpus, _ = synth.generate(args.posts, seed=args.seed, path=Path(folder) / "corpus")
        with PeakRSS() as rss:
            started = time.perf_counter()
            bow = topics.bag_of_words(corpus, cache=False, progress=False)
            seconds = time.perf_counter() - started
        result["preprocessing"] = {"seconds": seconds, "posts_per_second": len(bow) / seconds,
                                   "peak_rss_mb": rss.peak / 2**20, **bow.stats}

        in_memory = list(bow.gensim_corpus())
        dictionary = bow.dictionary()
        with PeakRSS() as rss:
            started = time.perf_counter()
            LdaMulticore(in_memory, id2word=dictionary, num_topics=args.k, passes=args.passes,
                         workers=args.workers, random_state=args.seed, eval_every=None)
            seconds = time.perf_counter() - started
        result["gensim_lda"] = {"seconds": seconds, "posts_per_second": len(bow) * args.passes / seconds,
                                "peak_rss_mb": rss.peak / 2**20}
        del in_memory

        with PeakRSS() as rss:
            started = time.perf_counter()
            topics.fit(bow, args.k, seed=args.seed, passes=args.passes, workers=args.workers, progress=False)
            seconds = time.perf_counter() - started
        result["peerscope_fit"] = {"seconds": seconds, "posts_per_second": len(bow) * args.passes / seconds,
                                   "peak_rss_mb": rss.peak / 2**20,
                                   "overhead_vs_gensim": seconds / result["gensim_lda"]["seconds"] - 1}
    out = Path(__file__).parent / "results" / f"topics-{result['host']}-{result['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
