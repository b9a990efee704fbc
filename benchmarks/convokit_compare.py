"""peerscope against ConvoKit on the same corpus: load it, count posts per speaker and reply pairs.

The same synthetic community (:func:`peerscope.synth.generate`, with texts)
is saved as a peerscope corpus (Parquet) and exported in ConvoKit's folder
format with :meth:`peerscope.Corpus.to_convokit`.  Then, each in a fresh
process that reports its wall time and peak RSS:

peerscope
    ``open_corpus`` and read ``post_id``, ``parent_id``, ``author_id`` from
    Parquet; posts per author (``groupby``) and reply pairs (replier,
    author of the parent) with their counts.
ConvoKit
    ``convokit.Corpus(filename=...)`` (the whole corpus as Python objects),
    then the same two counts over ``iter_utterances()``.

Both sides return the number of speakers, of reply pairs and of replies
between known speakers; they must agree.  ConvoKit pulls in spaCy and
PyTorch, so it lives in its own virtual environment, passed with
``--convokit-python``::

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
import subprocess
import sys
import textwrap
from pathlib import Path

from measure import run_step, write_results

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"

_CHILD = """
import json, resource, time
started = time.perf_counter()
{code}
elapsed = time.perf_counter() - started
print("\\n__MEASURE__" + json.dumps({{"seconds": elapsed,
      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "result": result}}))
"""

PEERSCOPE = """
from peerscope import engine, open_corpus
posts = open_corpus({path!r}).posts(columns=["post_id", "parent_id", "author_id"])
per_speaker = posts.groupby("author_id", observed=True).size()
posts = engine.attach(posts, "parent_id", posts, "post_id", "author_id", "parent_author_id")
replies = posts[posts["author_id"].notna() & posts["parent_author_id"].notna()]
pairs = replies.groupby(["author_id", "parent_author_id"], observed=True).size()
result = {{"posts": int(per_speaker.sum()), "speakers": int(len(per_speaker)),
          "reply_pairs": int(len(pairs)), "replies": int(pairs.sum())}}
"""

CONVOKIT = """
from collections import Counter
from convokit import Corpus
corpus = Corpus(filename={path!r})
per_speaker = Counter()
pairs = Counter()
for utterance in corpus.iter_utterances():
    speaker = utterance.speaker.id if utterance.speaker is not None else None
    if speaker is None:
        continue
    per_speaker[speaker] += 1
    if utterance.reply_to is not None:
        parent = corpus.get_utterance(utterance.reply_to).speaker
        if parent is not None and parent.id is not None:
            pairs[(speaker, parent.id)] += 1
result = {{"posts": sum(per_speaker.values()), "speakers": len(per_speaker),
          "reply_pairs": len(pairs), "replies": sum(pairs.values())}}
"""


def run_in(python: str, code: str, label: str) -> dict:
    """Run ``code`` with interpreter ``python``; wall time, peak RSS and ``result``."""
    completed = subprocess.run([python, "-c", _CHILD.format(code=textwrap.dedent(code))],
                               capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{label} failed:\n{completed.stderr[-4000:]}")
    measured = json.loads(completed.stdout.rsplit("__MEASURE__", 1)[-1])
    measured["label"] = label
    print(f"{label:<40} {measured['seconds']:9.2f} s  {measured['peak_rss_mb']:9.0f} MB", flush=True)
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
            open_corpus({str(corpus_dir)!r}).to_convokit({str(export_dir)!r})
        """, rows=n_posts, label="export to ConvoKit format")
    return corpus_dir, export_dir


def convokit_python(given: str | None) -> str | None:
    """The interpreter that can import convokit: ``given``, else this one if it can, else None."""
    if given:
        return given
    return sys.executable if importlib.util.find_spec("convokit") is not None else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--convokit-python", default=None,
                        help="Python of a virtual environment with convokit installed")
    args = parser.parse_args(argv)
    WORK.mkdir(exist_ok=True)
    corpus_dir, export_dir = prepare(args.posts, args.seed)
    steps = [run_in(sys.executable, PEERSCOPE.format(path=str(corpus_dir)), "peerscope (Parquet)")]
    python = convokit_python(args.convokit_python)
    comparison = {"convokit_measured": python is not None}
    if python is None:
        print("ConvoKit was not measured: convokit is not importable here; pass --convokit-python "
              "PATH to the Python of an environment where it is installed.")
    else:
        steps.append(run_in(python, CONVOKIT.format(path=str(export_dir)), "ConvoKit (Corpus(filename))"))
        ours, theirs = steps[0], steps[1]
        comparison.update(
            same_counts=ours["result"] == theirs["result"],
            speedup=theirs["seconds"] / ours["seconds"],
            memory_ratio=theirs["peak_rss_mb"] / ours["peak_rss_mb"])
        print(f"ConvoKit / peerscope: {comparison['speedup']:.1f}x the time, "
              f"{comparison['memory_ratio']:.1f}x the peak memory; same counts: {comparison['same_counts']}")
    for step in steps:
        step["rows"] = args.posts
    write_results("convokit_compare", steps,
                  targets={"speedup": 30, "memory_ratio": 10,
                           "published_convokit_1M": {"seconds": 66, "peak_rss_mb": 3400}},
                  parameters={**vars(args), **comparison})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
