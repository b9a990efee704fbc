"""Benchmark: ``peerscope report`` end to end (every metric, figures, suppression, files).

Steps, each in a fresh child process (:mod:`measure`: wall time and peak RSS):

- ``report --sample``: the README's first command (generate the 20,000-post
  synthetic community in memory, build, write PNG figures); target < 60 s on
  2 cores;
- the Stack Exchange quantumcomputing dump in ``../shared/data`` (import from
  XML, build, write); target < 30 s;
- reports on synthetic corpora of 100k and 1M posts with text, generated
  once into the git-ignored ``benchmarks/work/`` and opened from Parquet:
  the full report with its defaults, topics (``k="auto"``) and support
  types (the pretrained forum model) included; targets (issue 19) <= 60 s
  at 100k, and <= 5 min and <= 2 GB peak RSS at 1M posts.

Results go to ``benchmarks/results/report-<hostname>-<date>.json``.

Usage::

    python benchmarks/report.py --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from measure import run_step, write_results

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data" / "stackexchange-quantumcomputing-2018"
TARGETS = {"sample": {"seconds": 60}, "stackexchange": {"seconds": 30},
           "100000": {"seconds": 60}, "1000000": {"seconds": 300, "peak_rss_mb": 2048}}


def corpus_path(n_posts: int, seed: int) -> Path:
    """Generate the synthetic corpus once (in a child process) and return its folder."""
    path = HERE / "work" / f"report-text-{n_posts}-seed{seed}"
    if not (path / "corpus.json").is_file():
        run_step(f"""
            from peerscope import synth
            synth.generate({n_posts}, seed={seed}, path={str(path)!r})
        """, rows=n_posts, label=f"generate {n_posts:,} posts")
    return path


def _report_code(open_code: str, out: str) -> str:
    return f"""
        {open_code}
        from peerscope.report import build
        report = build(corpus)
        report.write({out!r}, figure_formats=("png",))
        table = report.tables["participation"]
        result = {{"tables": len(report.tables), "figures": len(report.figures),
                  "topics_k": report.results["topics"].k if "topics" in report.results else None,
                  "support_types": "support_types" in report.tables,
                  "suppressed_cells": len(report.suppression),
                  "lurker_share": table.at["lurker_share", "value"],
                  "super_user_share": table.at["super_user_share", "value"]}}
    """


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    steps = []
    with tempfile.TemporaryDirectory() as scratch:
        step = run_step(f"""
            from click.testing import CliRunner
            from peerscope.cli.report import report_command
            outcome = CliRunner().invoke(report_command, ["--sample", "--out", {scratch + '/sample'!r}])
            assert outcome.exit_code == 0, outcome.output
            result = outcome.output.strip()
        """, label="report --sample (20,000 posts)")
        step.update(case="sample", target=TARGETS["sample"])
        steps.append(step)
        if SHARED.is_dir():
            step = run_step(_report_code(f"from peerscope.loaders import stackexchange\n"
                                         f"        corpus = stackexchange({str(SHARED)!r})",
                                         scratch + "/se"), label="stackexchange dump (import + report)")
            step.update(case="stackexchange", target=TARGETS["stackexchange"])
            steps.append(step)
        for n_posts in args.sizes:
            path = corpus_path(n_posts, args.seed)
            step = run_step(_report_code(f"from peerscope import open_corpus\n"
                                         f"        corpus = open_corpus({str(path)!r})",
                                         f"{scratch}/{n_posts}"),
                            rows=n_posts, label=f"report {n_posts:,} posts")
            step.update(case=str(n_posts), n_posts=n_posts, target=TARGETS.get(str(n_posts)))
            steps.append(step)
    write_results("report", steps, TARGETS, {"sizes": args.sizes, "seed": args.seed,
                                             "load_average_at_end": os.getloadavg()})


if __name__ == "__main__":
    main()
