"""Benchmark: the report's stages one by one, each in a fresh process, to find what sets its peak memory.

``benchmarks/report.py`` measures the whole report; when its peak RSS is
too high (issue 23: 3 GB at 10M posts), this script runs each stage that
``report.build`` runs (describe, participation, engagement, reciprocity,
pluralism, topics, support) alone on the same saved corpus with text, so
the largest is found without a memory profiler.  Results go to
``benchmarks/results/report_stages-<posts>-<host>-<date>.json``.

Usage::

    python benchmarks/report_stages.py --posts 1000000
    python benchmarks/report_stages.py --posts 10000000 --stages describe participation engagement
"""

from __future__ import annotations

import argparse
from pathlib import Path

from measure import run_step, write_results

HERE = Path(__file__).resolve().parent

#: Each stage: the calls ``report.build`` makes for it (``corpus`` is open in the child).
STAGES = {
    "describe": "from peerscope.corpus.description import describe; describe(corpus)",
    "participation": ("from peerscope import participation\n"
                      "participation.summary(corpus); participation.activity(corpus)"),
    "engagement": ("from peerscope.participation import engagement\n"
                   "engagement.delurking(corpus); engagement.ladder_by_month(corpus)\n"
                   "engagement.frequency(corpus); engagement.survival(corpus); engagement.time_profile(corpus)"),
    "ladder_by_month": "from peerscope.participation import engagement; engagement.ladder_by_month(corpus)",
    "reciprocity": "from peerscope import reciprocity; reciprocity.summary(corpus)",
    "pluralism": "from peerscope import pluralism; pluralism.forms_in_use(corpus)",
    "topics": "from peerscope import topics; topics.fit(corpus, k='auto', method='nmf', seed=0)",
    "support": ("from peerscope import support\n"
                "support.classify(corpus, out=str(WORK / 'stage-support.parquet'), return_labels=False)"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stages", nargs="+", default=list(STAGES), choices=list(STAGES))
    args = parser.parse_args()
    corpus = HERE / "work" / f"report-text-{args.posts}-seed{args.seed}"
    if not (corpus / "corpus.json").is_file():
        raise SystemExit(f"{corpus} is missing: run `python benchmarks/report.py --sizes {args.posts}` first")
    steps = []
    for stage in args.stages:
        code = (f"from pathlib import Path\nfrom peerscope import open_corpus\nWORK = Path({str(HERE / 'work')!r})\n"
                f"corpus = open_corpus({str(corpus)!r})\n{STAGES[stage]}\n")
        step = run_step(code, rows=args.posts, label=f"{stage} {args.posts:,}")
        step["stage"] = stage
        steps.append(step)
    write_results(f"report_stages-{args.posts}", steps, targets={"peak_rss_mb": 3000}, parameters=vars(args))


if __name__ == "__main__":
    main()
