"""Benchmark: generate, save, open and read a synthetic corpus.

Targets on 2 cores (issue "Foundation"): open + read the non-text columns of
1M posts in <= 1 s and <= 500 MB peak RSS; generate 10M posts with <= 2 GB
peak RSS.  Every step runs in its own process (see ``measure.py``).

    python benchmarks/corpus_io.py                      # 1M read, 10M generate
    python benchmarks/corpus_io.py --posts 100000 --big-posts 0
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import run_step, write_results  # noqa: E402

WORK = Path(__file__).resolve().parent / "work"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--big-posts", type=int, default=10_000_000,
                        help="posts for the bounded-memory generation step (0 skips it)")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    path = WORK / f"corpus-io-{args.posts}"
    shutil.rmtree(path, ignore_errors=True)
    steps = [
        run_step(f"""
from peerscope import synth
synth.generate({args.posts}, seed=1, path={str(path)!r})
""", rows=args.posts, label=f"generate + save {args.posts:,} posts"),
        run_step(f"""
import peerscope
corpus = peerscope.open_corpus({str(path)!r})
posts = corpus.posts()
result = {{"rows": len(posts), "columns": list(posts.columns)}}
""", rows=args.posts, label="open + read non-text columns"),
        run_step(f"""
import peerscope
posts = peerscope.open_corpus({str(path)!r}).posts(columns="all")
result = {{"rows": len(posts)}}
""", rows=args.posts, label="open + read all columns (with text)"),
        run_step(f"""
from peerscope.corpus import validate_saved
result = validate_saved({str(path)!r})
""", rows=args.posts, label="validate saved corpus (streaming)"),
    ]
    if args.big_posts:
        big = WORK / f"corpus-io-{args.big_posts}"
        shutil.rmtree(big, ignore_errors=True)
        steps.append(run_step(f"""
from peerscope import synth
synth.generate({args.big_posts}, seed=1, path={str(big)!r})
""", rows=args.big_posts, label=f"generate + save {args.big_posts:,} posts"))
        shutil.rmtree(big, ignore_errors=True)
    write_results("corpus_io", steps,
                  targets={"open_read_non_text_1M": {"seconds": 1.0, "peak_rss_mb": 500},
                           "generate_10M": {"peak_rss_mb": 2048}},
                  parameters=vars(args))


if __name__ == "__main__":
    main()
