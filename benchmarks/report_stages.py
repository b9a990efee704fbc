"""Benchmark: the report's stages one by one, each in a fresh process, to find what sets its peak memory.

``benchmarks/report.py`` measures the whole report; when its peak RSS is
too high (issue 23: 3 GB at 10M posts), this script runs each stage that
``report.build`` runs (describe, participation, engagement, reciprocity,
pluralism, topics, support) alone on the same saved corpus with text, so
the largest is found without a memory profiler.  Results go to
``benchmarks/results/report_stages-<posts>-<host>-<date>.json``.

With ``--whole`` it instead runs ``report.build`` once, in one process, and
records each of its stages as the build reaches it (the stage names of its
progress bar): seconds, the peak RSS during the stage (a thread samples it
every 50 ms) and the RSS when the stage ends, which shows what the report
keeps from one stage to the next.

Usage::

    python benchmarks/report_stages.py --posts 1000000
    python benchmarks/report_stages.py --posts 10000000 --stages describe participation engagement
    python benchmarks/report_stages.py --posts 10000000 --whole
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

#: Child code of ``--whole``: the build with its stages timed and sampled (``corpus`` is open in the child).
WHOLE = """
import importlib, threading
import psutil
build_module = importlib.import_module("peerscope.report.build")
process, peak, stages = psutil.Process(), [0], []
current = ["start", time.perf_counter()]

def sample():
    while True:
        peak[0] = max(peak[0], process.memory_info().rss)
        time.sleep(0.05)

def close(following):
    name, began = current
    now = process.memory_info().rss
    stages.append({"stage": name, "seconds": time.perf_counter() - began,
                   "peak_rss_mb": max(peak[0], now) / 2**20, "end_rss_mb": now / 2**20})
    peak[0] = now
    current[:] = [following, time.perf_counter()]

threading.Thread(target=sample, daemon=True).start()
stage = build_module._Progress.stage
build_module._Progress.stage = lambda self, name: (close(name), stage(self, name))
report = build_module.build(corpus)
close("write")
report.write(str(WORK / "stage-report"), figure_formats=("png",))
close("done")
result = {"stages": stages[1:], "tables": len(report.tables), "figures": len(report.figures)}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stages", nargs="+", default=list(STAGES), choices=list(STAGES))
    parser.add_argument("--whole", action="store_true",
                        help="one build of the whole report, each stage's seconds and RSS recorded")
    args = parser.parse_args()
    corpus = HERE / "work" / f"report-text-{args.posts}-seed{args.seed}"
    if not (corpus / "corpus.json").is_file():
        raise SystemExit(f"{corpus} is missing: run `python benchmarks/report.py --sizes {args.posts}` first")
    opening = (f"from pathlib import Path\nfrom peerscope import open_corpus\nWORK = Path({str(HERE / 'work')!r})\n"
               f"corpus = open_corpus({str(corpus)!r})\n")
    if args.whole:
        step = run_step(opening + WHOLE, rows=args.posts, label=f"whole report {args.posts:,}")
        for stage in step["result"]["stages"]:
            print(f"  {stage['stage']:<26} {stage['seconds']:8.1f} s  peak {stage['peak_rss_mb']:7.0f} MB  "
                  f"end {stage['end_rss_mb']:7.0f} MB")
        write_results(f"report_whole-{args.posts}", [step], targets={"peak_rss_mb": 3000, "seconds": 300},
                      parameters=vars(args))
        return
    steps = []
    for stage in args.stages:
        step = run_step(opening + STAGES[stage], rows=args.posts, label=f"{stage} {args.posts:,}")
        step["stage"] = stage
        steps.append(step)
    write_results(f"report_stages-{args.posts}", steps, targets={"peak_rss_mb": 3000}, parameters=vars(args))


if __name__ == "__main__":
    main()
