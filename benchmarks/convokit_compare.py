"""peerscope against ConvoKit on the same corpus: load it, count posts per speaker and reply pairs.

The same synthetic community (:func:`peerscope.datasets.synth.generate`, with texts)
is saved as a peerscope corpus (Parquet) and exported in ConvoKit's folder
format with :func:`peerscope.loaders.convokit.to_convokit`.  Then, each in a fresh
process that reports its wall time (split into import, load and count) and
peak RSS:

peerscope (Parquet)
    ``open_corpus`` and read ``post_id``, ``parent_id``, ``author_id`` from
    Parquet (the columns the question needs: how peerscope is used); posts
    per author (``groupby``) and reply pairs (replier, author of the parent)
    with their counts.
peerscope (Parquet, every posts column)
    The same, reading every posts column, texts included: what ConvoKit
    always loads.  It shows how much of the gap is column pruning.
ConvoKit (Corpus(filename))
    ``convokit.Corpus(filename=...)`` with the default in-memory backend
    (the whole corpus as Python objects, texts and metadata included), then
    the same counts in one pass over ``iter_utterances()``.

Every side returns the number of utterances, of utterances with a speaker,
of speakers, of replies, of reply pairs and of replies between known
speakers, plus SHA-256 digests of the full sorted ``(speaker, posts)`` and
``(replier, parent speaker, replies)`` lists (computed after the clock and
the memory reading stop).  The script exits with status 1 if any side
disagrees with the first.  Utterances with no speaker are not counted as
anyone's posts, and a reply counts towards a pair only when both ends have a
speaker; self-replies count on both sides.

Both files are read once before the timed runs so that every process finds
them in the page cache; load averages (``os.getloadavg()``) are recorded
before and after each run, since the machine may be shared.  Times are
reported with the interpreter's start-up left out and the imports in
(``seconds``), and without the imports (``work_seconds``); the ratios use
the medians over ``--repeats`` runs.

ConvoKit pulls in spaCy and PyTorch, so it lives in its own virtual
environment, passed with ``--convokit-python``::

    python -m venv /opt/convokit && /opt/convokit/bin/pip install convokit
    python benchmarks/convokit_compare.py --posts 1000000 --convokit-python /opt/convokit/bin/python

Without it (and without ``convokit`` importable here) only the peerscope side
is measured and ConvoKit is reported as not measured.  A published reference
for ConvoKit 5.0 on a 2-core machine: about 66 s and 3.4 GB for 1M
utterances.  Results go to ``benchmarks/results/convokit_compare-<host>-<date>.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

from measure import run_step, write_results

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"

_CHILD = """
import hashlib, json, resource, time
started = time.perf_counter()
{imports}
imported = time.perf_counter()
{load}
loaded = time.perf_counter()
{count}
counted = time.perf_counter()
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def digest(rows):
    lines = sorted("\\t".join(map(str, row)) for row in rows)
    return hashlib.sha256("\\n".join(lines).encode("utf-8")).hexdigest()


{check}
print("\\n__MEASURE__" + json.dumps({{
    "seconds": counted - started, "work_seconds": counted - imported,
    "import_seconds": imported - started, "load_seconds": loaded - imported,
    "count_seconds": counted - loaded, "peak_rss_mb": peak_kib / 1024, "result": result}}))
"""

PEERSCOPE = {
    "imports": "from peerscope import open_corpus; from peerscope._kernels import engine",
    "load": "posts = open_corpus({path!r}).posts(columns={columns!r})",
    "count": """
        per_speaker = posts.groupby("author_id", observed=True).size()
        posts = engine.attach(posts, "parent_id", posts, "post_id", "author_id", "parent_author_id")
        replies = posts[posts["author_id"].notna() & posts["parent_author_id"].notna()]
        pairs = replies.groupby(["author_id", "parent_author_id"], observed=True).size()
        result = {{"utterances": int(len(posts)), "posts_with_speaker": int(per_speaker.sum()),
                  "speakers": int(len(per_speaker)), "replies": int(posts["parent_id"].notna().sum()),
                  "reply_pairs": int(len(pairs)), "replies_between_speakers": int(pairs.sum())}}
    """,
    "check": """
        result["posts_per_speaker_sha256"] = digest(zip(per_speaker.index, per_speaker.tolist()))
        result["reply_pairs_sha256"] = digest(
            (a, b, n) for (a, b), n in zip(pairs.index, pairs.tolist()))
    """,
}

CONVOKIT = {
    "imports": "from collections import Counter\nfrom convokit import Corpus",
    "load": "corpus = Corpus(filename={path!r})",
    "count": """
        speaker_of = {{}}
        parent_of = []
        for utterance in corpus.iter_utterances():
            speaker = utterance.speaker.id if utterance.speaker is not None else None
            speaker_of[utterance.id] = speaker
            if utterance.reply_to is not None:
                parent_of.append((speaker, utterance.reply_to))
        per_speaker = Counter(s for s in speaker_of.values() if s is not None)
        pairs = Counter()
        for speaker, parent in parent_of:
            parent_speaker = speaker_of[parent]
            if speaker is not None and parent_speaker is not None:
                pairs[(speaker, parent_speaker)] += 1
        result = {{"utterances": len(speaker_of), "posts_with_speaker": sum(per_speaker.values()),
                  "speakers": len(per_speaker), "replies": len(parent_of),
                  "reply_pairs": len(pairs), "replies_between_speakers": sum(pairs.values())}}
    """,
    "check": """
        result["posts_per_speaker_sha256"] = digest(per_speaker.items())
        result["reply_pairs_sha256"] = digest((a, b, n) for (a, b), n in pairs.items())
    """,
}


def child_source(parts: dict[str, str], **values) -> str:
    """The child program: ``parts`` (imports, load, count, check) filled with ``values``."""
    return _CHILD.format(**{name: textwrap.dedent(code).strip().format(**values)
                            for name, code in parts.items()})


def run_in(python: str, source: str, label: str, timeout: float | None = None) -> dict:
    """Run ``source`` with interpreter ``python``: wall times, peak RSS, ``result`` and load averages.

    A run that outlives ``timeout`` seconds is killed and reported with
    ``timed_out`` set and no result.
    """
    load_before = os.getloadavg()
    try:
        completed = subprocess.run([python, "-c", source], capture_output=True, text=True,
                                   timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"{label:<40} killed after {timeout:.0f} s", flush=True)
        return {"label": label, "timed_out": True, "seconds": None, "timeout_seconds": timeout,
                "loadavg_before": load_before, "loadavg_after": os.getloadavg()}
    if completed.returncode != 0:
        raise RuntimeError(f"{label} failed:\n{completed.stderr[-4000:]}")
    measured = json.loads(completed.stdout.rsplit("__MEASURE__", 1)[-1])
    measured.update(label=label, timed_out=False, loadavg_before=load_before,
                    loadavg_after=os.getloadavg())
    print(f"{label:<40} {measured['seconds']:9.2f} s  {measured['peak_rss_mb']:9.0f} MB"
          f"  (import {measured['import_seconds']:.2f} s, load {measured['load_seconds']:.2f} s,"
          f" count {measured['count_seconds']:.2f} s; load avg {load_before[0]:.2f})", flush=True)
    return measured


def prepare(n_posts: int, seed: int) -> tuple[Path, Path]:
    """The peerscope corpus (generated once) and its ConvoKit export."""
    corpus_dir = WORK / f"run-{n_posts}-seed{seed}"
    export_dir = WORK / f"convokit-{n_posts}-seed{seed}"
    if not (corpus_dir / "corpus.json").is_file():
        run_step(f"""
            from peerscope import synth
            synth.generate({n_posts}, seed={seed}, path={str(corpus_dir)!r})
        """, rows=n_posts, label=f"generate {n_posts:,} posts")
    if not (export_dir / "utterances.jsonl").is_file():
        run_step(f"""
            from peerscope import open_corpus
            from peerscope.loaders.convokit import to_convokit
            to_convokit(open_corpus({str(corpus_dir)!r}), {str(export_dir)!r})
        """, rows=n_posts, label="export to ConvoKit format")
    return corpus_dir, export_dir


def folder_megabytes(folder: Path) -> float:
    """Size on disk of the files in ``folder``, in MB."""
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) / 2**20


def warm_page_cache(*folders: Path) -> None:
    """Read every file once, so that no timed run pays for the first read from disk."""
    for folder in folders:
        for path in folder.iterdir():
            if path.is_file():
                with open(path, "rb") as handle:
                    while handle.read(1 << 24):
                        pass


def convokit_python(given: str | None) -> str | None:
    """The interpreter that can import convokit: ``given``, else this one if it can, else None."""
    if given:
        return given
    return sys.executable if importlib.util.find_spec("convokit") is not None else None


def convokit_version(python: str) -> str:
    """The version of ConvoKit that ``python`` imports."""
    return subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('convokit'))"],
                          capture_output=True, text=True, check=True).stdout.strip()


def summary(runs: list[dict]) -> dict:
    """Medians over repeated runs of one side (None when a run timed out)."""
    if any(run["timed_out"] for run in runs):
        return {"label": runs[0]["label"], "timed_out": True}
    keys = ("seconds", "work_seconds", "import_seconds", "load_seconds", "count_seconds", "peak_rss_mb")
    return {"label": runs[0]["label"], "timed_out": False,
            **{key: statistics.median(run[key] for run in runs) for key in keys},
            "result": runs[0]["result"]}


def disagreements(sides: list[dict]) -> list[str]:
    """Every result (of every run) that differs from the first run's."""
    reference = next(run for runs in sides for run in runs if not run["timed_out"])
    found = []
    for run in (run for runs in sides for run in runs if not run["timed_out"]):
        for key, value in reference["result"].items():
            if run["result"].get(key) != value:
                found.append(f"{run['label']}: {key} = {run['result'].get(key)!r}, "
                             f"{reference['label']} has {value!r}")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1,
                        help="fresh-process runs of each side; the ratios use the medians")
    parser.add_argument("--convokit-python", default=None,
                        help="Python of a virtual environment with convokit installed")
    parser.add_argument("--convokit-timeout", type=float, default=1200,
                        help="seconds after which a ConvoKit run is killed and reported as timed out")
    args = parser.parse_args(argv)
    WORK.mkdir(exist_ok=True)
    corpus_dir, export_dir = prepare(args.posts, args.seed)
    python = convokit_python(args.convokit_python)
    parameters = {**vars(args), "convokit_measured": python is not None,
                  "convokit_version": convokit_version(python) if python else None,
                  "parquet_mb": folder_megabytes(corpus_dir),
                  "convokit_folder_mb": folder_megabytes(export_dir),
                  "loadavg_at_start": os.getloadavg()}
    warm_page_cache(corpus_dir, export_dir)
    variants = [(sys.executable, child_source(PEERSCOPE, path=str(corpus_dir),
                                              columns=["post_id", "parent_id", "author_id"]),
                 "peerscope (Parquet)", None),
                (sys.executable, child_source(PEERSCOPE, path=str(corpus_dir), columns="all"),
                 "peerscope (Parquet, every posts column)", None)]
    if python is None:
        print("ConvoKit was not measured: convokit is not importable here; pass --convokit-python "
              "PATH to the Python of an environment where it is installed.")
    else:
        variants.append((python, child_source(CONVOKIT, path=str(export_dir)),
                         "ConvoKit (Corpus(filename))", args.convokit_timeout))
    sides = [[] for _ in variants]
    for _ in range(args.repeats):
        for runs, (interpreter, source, label, timeout) in zip(sides, variants):
            runs.append(run_in(interpreter, source, label, timeout))
    medians = [summary(runs) for runs in sides]
    differences = disagreements(sides)
    comparison = {"same_counts": not differences, "disagreements": differences}
    if python is not None and not medians[-1]["timed_out"]:
        theirs = medians[-1]
        for ours, name in ((medians[0], ""), (medians[1], "_every_column")):
            comparison[f"speedup{name}"] = theirs["seconds"] / ours["seconds"]
            comparison[f"speedup_without_imports{name}"] = theirs["work_seconds"] / ours["work_seconds"]
            comparison[f"memory_ratio{name}"] = theirs["peak_rss_mb"] / ours["peak_rss_mb"]
        print(f"ConvoKit / peerscope: {comparison['speedup']:.1f}x the time "
              f"({comparison['speedup_without_imports']:.1f}x without imports), "
              f"{comparison['memory_ratio']:.1f}x the peak memory; against peerscope reading every "
              f"column: {comparison['speedup_every_column']:.1f}x, "
              f"{comparison['memory_ratio_every_column']:.1f}x")
    elif python is not None:
        print(f"ConvoKit did not finish within {args.convokit_timeout:.0f} s")
    print(f"same counts on every side: {comparison['same_counts']}")
    for line in differences:
        print("  DISAGREE", line)
    steps = [run for runs in sides for run in runs]
    for step in steps:
        step["rows"] = args.posts
    write_results("convokit_compare", steps,
                  targets={"speedup": 30, "memory_ratio": 10,
                           "published_convokit_1M": {"seconds": 66, "peak_rss_mb": 3400}},
                  parameters={**parameters, **comparison, "medians": medians,
                              "loadavg_at_end": os.getloadavg()})
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
