"""The benchmark suite: every area of peerscope at 100k, 1M and 10M posts, in one run.

For each size a synthetic community (:func:`peerscope.datasets.synth.generate`, with
texts) is written once to ``benchmarks/work/`` and then measured step by
step, each step in a fresh child process (:func:`measure.run_step`) so that
its wall time and peak RSS are its own:

import
    Generate the community and stream it to Parquet through
    :class:`peerscope.corpus.CorpusWriter` (per-chunk coercion and row rules,
    cross-row reference checks at the end): the code path of the streaming
    loaders.  Rows/s counts posts; events, members and newsletter items are
    written too.
partition
    :func:`peerscope.corpus.repartition` to one file per month.
validate
    :func:`peerscope.corpus.validate_saved` on the monthly corpus.
participation + reciprocity
    ``participation.summary`` then ``reciprocity.summary`` (pandas engine,
    monthly corpus), timed separately inside the step; the issue's targets
    apply to the pair.
dask participation + reciprocity
    The same on the Dask engine with a 2-worker ``distributed.LocalCluster``
    (in-process workers, so the peak RSS includes them); the numbers must
    equal the pandas ones, and the overhead is reported.
report
    :func:`peerscope.report.build` and ``write`` (tables, PNG figures,
    methods text, topics and support types included) on the monthly corpus
    (sizes in ``--report-sizes``); at 10M posts judged against issue 21's
    target, <= 5 min and <= 3 GB peak RSS on the pandas engine.
dask client growth
    At 1M and 10M posts (``--client-sizes``): how much the *client* process
    grows while participation + reciprocity, and while the whole report
    (topics and support off), run on a 2-worker ``LocalCluster`` of worker
    processes (``benchmarks/dask_client.py``'s child, which samples the
    client's RSS every 5 ms); issue 21's targets are <= 100 MB and <= 300 MB.
topics
    Bag of words and a 10-topic LDA (scikit-learn batch variational Bayes) at 100k posts only.
support
    :func:`peerscope.support.classify` with the lexicon labeller, streamed
    in batches from the one-file corpus.

The Markdown page also gets the latest ``benchmarks/results/convokit_compare-*.json``
(written by ``benchmarks/convokit_compare.py``), when there is one.

Results go to ``benchmarks/results/<machine>-<date>.json`` and a Markdown
table to ``docs/benchmarks.md``.

Usage::

    python benchmarks/run.py                          # 100k, 1M, 10M
    python benchmarks/run.py --sizes 100000 1000000   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
from datetime import date, datetime, timezone
from pathlib import Path

from dask_client import child_code as client_growth_code
from measure import RESULTS, machine, run_step

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
DOCS = HERE.parent / "docs" / "benchmarks.md"
#: The issue's targets (2 cores): participation + reciprocity summaries.
TARGETS = {1_000_000: {"seconds": 2.0, "peak_rss_mb": 300.0},
           10_000_000: {"seconds": 20.0, "peak_rss_mb": 3000.0}}
TOPICS_SIZES = (100_000,)
#: Issue 21's targets for the full report on the pandas engine.
REPORT_TARGETS = {10_000_000: {"seconds": 300.0, "peak_rss_mb": 3000.0}}
#: The measures of ``benchmarks/dask_client.py`` whose client growth is measured, with issue 21's
#: targets (MB), which are for 1M posts; at other sizes the growth is reported without a target.
CLIENT_TARGETS = {"participation_reciprocity": 100.0, "report": 300.0}
CLIENT_TARGET_SIZE = 1_000_000


def _paths(n_posts: int, seed: int) -> tuple[Path, Path]:
    return WORK / f"run-{n_posts}-seed{seed}", WORK / f"run-{n_posts}-seed{seed}-monthly"


def _summaries(engine: str, path: Path, cluster: bool) -> str:
    """Child code: participation + reciprocity summaries, timed apart, with their key numbers."""
    opening = "corpus = open_corpus({path!r})"
    if cluster:
        opening = """
import warnings
warnings.simplefilter("ignore")
from distributed import Client, LocalCluster
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
client = Client(cluster)
opened = time.perf_counter()
corpus = open_corpus({path!r}, engine="dask", scheduler=client)"""
    return f"""
import time
from peerscope import open_corpus, participation, reciprocity
{opening.format(path=str(path))}
t0 = time.perf_counter()
p = participation.summary(corpus)
t1 = time.perf_counter()
r = reciprocity.summary(corpus)
t2 = time.perf_counter()
frame = r.to_frame()
result = {{"participation_seconds": t1 - t0, "reciprocity_seconds": t2 - t1,
          "numbers": {{"posters": int(p.posters), "lurkers": int(p.lurkers),
                       "gini_members": float(p.gini_members.value),
                       "super_user_share": float(p.super_user_share),
                       "reciprocity": frame.astype(str).to_dict(orient="list")}}}}
"""


def _metric_seconds(step: dict) -> float:
    """Seconds of the two summaries alone (no imports, no cluster start-up)."""
    return step["result"]["participation_seconds"] + step["result"]["reciprocity_seconds"]


def _within(step: dict) -> bool:
    """Whether the summaries met their target: the metrics' own seconds, the step's peak RSS."""
    target = step["target"]
    return _metric_seconds(step) <= target["seconds"] and step["peak_rss_mb"] <= target["peak_rss_mb"]


def measure_size(n_posts: int, seed: int, report_sizes: set[int], support_sizes: set[int], dask: bool,
                 reuse: bool, client_sizes: set[int] = frozenset()) -> list[dict]:
    """Every step at one size; returns the step records."""
    flat, monthly = _paths(n_posts, seed)
    if not reuse:
        for folder in (flat, monthly):
            shutil.rmtree(folder, ignore_errors=True)
    steps = []

    def step(name: str, code: str, rows: int | None = n_posts, **extra) -> dict:
        record = run_step(code, rows=rows, label=f"{name} {n_posts:,}")
        record.update(step=name, n_posts=n_posts, **extra)
        steps.append(record)
        return record

    if not (flat / "corpus.json").is_file():
        step("import", f"""
from peerscope import synth
corpus, _ = synth.generate({n_posts}, seed={seed}, path={str(flat)!r})
result = {{t: e["rows"] for t, e in corpus.manifest["tables"].items()}}
""")
    if not (monthly / "corpus.json").is_file():
        step("partition", f"""
from peerscope.corpus import repartition
corpus = repartition({str(flat)!r}, {str(monthly)!r}, by="month")
result = {{t: len(e.get("parts", [])) for t, e in corpus.manifest["tables"].items()}}
""")
    step("validate", f"""
from peerscope.corpus import validate_saved
result = validate_saved({str(monthly)!r})
""")
    pandas_run = step("participation + reciprocity", _summaries("pandas", monthly, False),
                      target=TARGETS.get(n_posts))
    target = TARGETS.get(n_posts)
    if target:
        # judged on the metrics' own time (the step's also counts importing pandas, pyarrow and peerscope)
        pandas_run["within_target"] = _within(pandas_run)
    if dask:
        dask_run = step("dask participation + reciprocity", _summaries("dask", monthly, True))
        dask_run["equal_to_pandas"] = dask_run["result"]["numbers"] == pandas_run["result"]["numbers"]
        dask_run["overhead"] = _metric_seconds(dask_run) / _metric_seconds(pandas_run)
    if dask and n_posts in client_sizes:
        for measure, limit in CLIENT_TARGETS.items():
            target = {"growth_mb": limit} if n_posts == CLIENT_TARGET_SIZE else None
            growth = step(f"dask client growth: {measure}", client_growth_code(monthly, measure, "dask"),
                          target=target)
            if target:
                growth["within_target"] = growth["result"]["growth_mb"] <= limit
    if n_posts in report_sizes:
        report_run = step("report", f"""
import tempfile
from peerscope import open_corpus
from peerscope.report import build
with tempfile.TemporaryDirectory() as out:
    report = build(open_corpus({str(monthly)!r}))
    report.write(out, figure_formats=("png",))
result = {{"tables": len(report.tables), "figures": len(report.figures)}}
""", target=REPORT_TARGETS.get(n_posts))
        if report_run["target"]:
            report_run["within_target"] = (report_run["seconds"] <= report_run["target"]["seconds"]
                                           and report_run["peak_rss_mb"] <= report_run["target"]["peak_rss_mb"])
    if n_posts in TOPICS_SIZES:
        step("topics", f"""
from peerscope import open_corpus, topics
bow = topics.bag_of_words(open_corpus({str(monthly)!r}), cache=False, progress=False)
model = topics.fit(bow, 10, seed=0, progress=False)
result = {{"documents": len(bow)}}
""")
    if n_posts not in support_sizes:
        return steps
    step("support", f"""
from peerscope import open_corpus
from peerscope.support import LexiconLabeller, classify
labels = classify(open_corpus({str(flat)!r}), LexiconLabeller(), batch_size=20_000, progress=False)
result = {{"labelled": len(labels)}}
""")
    return steps


def markdown(payload: dict) -> str:
    """The results as the Markdown page ``docs/benchmarks.md``."""
    info = payload["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured {payload['measured_at']} on `{info['host']}` ({info['cpus']} CPUs, "
        f"{info['platform']}, Python {info['python']}) with `python benchmarks/run.py`; raw numbers "
        f"in `benchmarks/results/{payload['file']}`.  Each step runs in a fresh process; peak RSS is "
        "that process's high-water mark (interpreter and imports included, about 150 MB).  "
        "Synthetic communities from `peerscope.datasets.synth` (about 4 events per post), stored by month.",
        "",
        "| step | posts | seconds | posts/s | peak RSS (MB) | note |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for step in payload["steps"]:
        note = []
        if step["step"].endswith("participation + reciprocity"):
            result = step["result"]
            note.append(f"participation {result['participation_seconds']:.2f} s + "
                        f"reciprocity {result['reciprocity_seconds']:.2f} s; the rest imports"
                        + (" and cluster start-up" if step["step"].startswith("dask") else ""))
            if step.get("target"):
                note.append(f"target (metrics' time, peak RSS) <= {step['target']['seconds']:g} s and "
                            f"<= {step['target']['peak_rss_mb']:g} MB: "
                            + ("met" if _within(step) else "**not met**"))
        if step["step"] == "report" and step.get("target"):
            note.append(f"target <= {step['target']['seconds']:g} s and <= {step['target']['peak_rss_mb']:g} MB: "
                        + ("met" if step["within_target"] else "**not met**"))
        if step["step"].startswith("dask client growth"):
            note.append(f"client grew {step['result']['growth_mb']:.0f} MB in "
                        f"{step['result']['measure_seconds']:.1f} s"
                        + (f"; target <= {step['target']['growth_mb']:g} MB: "
                           + ("met" if step["within_target"] else "**not met**") if step.get("target")
                           else "; no target at this size"))
        if "overhead" in step:
            pandas_step = next(s for s in payload["steps"] if s["n_posts"] == step["n_posts"]
                               and s["step"] == "participation + reciprocity")
            overhead = _metric_seconds(step) / _metric_seconds(pandas_step)
            note.append(f"{overhead:.1f}x the pandas metrics' time; numbers "
                        + ("equal" if step["equal_to_pandas"] else "**differ**"))
        rate = f"{step['rows_per_second']:,.0f}" if step.get("rows_per_second") else ""
        lines.append(f"| {step['step']} | {step['n_posts']:,} | {step['seconds']:.2f} | {rate} | "
                     f"{step['peak_rss_mb']:,.0f} | {'; '.join(note)} |")
    lines += ["", "Steps: see the docstring of `benchmarks/run.py`.", ""]
    lines += convokit_section()
    return "\n".join(lines)


def convokit_section() -> list[str]:
    """Markdown lines for the latest ConvoKit comparison in ``benchmarks/results`` (none: a pointer)."""
    files = sorted((HERE / "results").glob("convokit_compare-*.json"), key=lambda f: f.stat().st_mtime)
    if not files:
        return ["The comparison with ConvoKit is `benchmarks/convokit_compare.py` (see "
                "`docs/scaling.md`); it has not been run here.", ""]
    payload = json.loads(files[-1].read_text(encoding="utf-8"))
    parameters = payload["parameters"]
    if not parameters.get("convokit_measured"):
        return [f"`benchmarks/convokit_compare.py` ran without ConvoKit (`{files[-1].name}`): "
                "only peerscope's side was measured.", ""]
    load = parameters.get("loadavg_at_start", [None])[0]
    lines = [
        "## peerscope against ConvoKit",
        "",
        f"`benchmarks/convokit_compare.py`, {payload['measured_at']}, {parameters['posts']:,} posts "
        f"(seed {parameters['seed']}): the same synthetic community as Parquet "
        f"({parameters['parquet_mb']:.0f} MB) and, through `Corpus.to_convokit`, as a ConvoKit "
        f"{parameters['convokit_version']} folder ({parameters['convokit_folder_mb']:.0f} MB).  Each "
        "side loads it and counts posts per speaker and reply pairs in a fresh process; both must return "
        "the same counts and the same SHA-256 digests of the full per-speaker and per-pair counts "
        f"({'they did' if parameters['same_counts'] else '**they did not**'}).  Medians of "
        f"{parameters['repeats']} runs; load average {load:.1f} at the start; raw numbers in "
        f"`benchmarks/results/{files[-1].name}`.",
        "",
        "| side | seconds | of which import | peak RSS (MB) |",
        "|---|---:|---:|---:|",
    ]
    for median in parameters["medians"]:
        lines.append(f"| {median['label']} | {median['seconds']:.2f} | {median['import_seconds']:.2f} | "
                     f"{median['peak_rss_mb']:,.0f} |")
    lines += ["",
              f"peerscope reading three columns was {parameters['speedup']:.0f}x faster "
              f"({parameters['speedup_without_imports']:.0f}x leaving out imports) and used "
              f"{parameters['memory_ratio']:.1f}x less memory; reading every posts column, texts "
              f"included, {parameters['speedup_every_column']:.0f}x faster and "
              f"{parameters['memory_ratio_every_column']:.1f}x less memory.  The issue's target "
              "(>= 30x faster, >= 10x less memory at 1M) is "
              + ("met." if parameters["speedup"] >= 30 and parameters["memory_ratio"] >= 10
                 else "**not met**."), ""]
    return lines


#: Hand-written sections of docs/benchmarks.md, kept when the measured tables are rewritten.
KEPT_SECTIONS = ("## The redesign, before and after", "## Why the kernels are written as they are",
                 "## peerscope against DuckDB", "## The report's stages at 10M posts")


def _kept_sections() -> str:
    """Each hand-written section of the current ``docs/benchmarks.md``, up to the next ``## `` heading."""
    if not DOCS.is_file():
        return ""
    text = DOCS.read_text(encoding="utf-8")
    kept = []
    for heading in KEPT_SECTIONS:
        if heading in text:
            start = text.index(heading)
            end = text.find("\n## ", start + len(heading))
            kept.append(text[start:end if end >= 0 else len(text)].rstrip() + "\n")
    return "".join("\n" + section for section in kept)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--report-sizes", type=int, nargs="*", default=[100_000, 1_000_000, 10_000_000],
                        help="sizes at which to build the full report (topics and support included)")
    parser.add_argument("--support-sizes", type=int, nargs="*", default=None,
                        help="sizes at which to classify support (default: every size)")
    parser.add_argument("--client-sizes", type=int, nargs="*", default=[1_000_000, 10_000_000],
                        help="sizes at which to measure the Dask client's growth (2 worker processes)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask engine steps")
    parser.add_argument("--combine", type=Path, nargs="*", default=None,
                        help="also include the steps of these earlier result files (e.g. a 10M run "
                             "made separately) in the results and the Markdown table")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse corpora left in benchmarks/work (skips the import and partition steps)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    WORK.mkdir(exist_ok=True)
    steps = []
    for earlier in args.combine or []:
        steps += json.loads(earlier.read_text(encoding="utf-8"))["steps"]
    support_sizes = set(args.sizes if args.support_sizes is None else args.support_sizes)
    for n_posts in args.sizes:
        steps += measure_size(n_posts, args.seed, set(args.report_sizes), support_sizes,
                              not args.no_dask, args.reuse, set(args.client_sizes))
    host = socket.gethostname()
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"{host}-{date.today().isoformat()}.json"
    payload = {"benchmark": "run", "file": target.name,
               "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": machine(), "load_average_at_end": os.getloadavg(),
               "parameters": {k: [str(p) for p in v] if k == "combine" and v else v
                              for k, v in vars(args).items()}, "targets": {str(k): v for k, v in TARGETS.items()},
               "steps": steps}
    target.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    DOCS.write_text(markdown(payload) + _kept_sections(), encoding="utf-8")
    print(f"wrote {target} and {DOCS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
