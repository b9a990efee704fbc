"""Benchmark: streaming import of a Pushshift-style NDJSON dump with ``reddit(..., out=...)``.

Generates a synthetic, deterministic dump (submissions and comments mixed in
one file, comment trees with replies to replies, orphans, deleted authors
and AutoModerator, the extra fields real dumps carry) of about ``--size-mb``
megabytes into ``benchmarks/work/`` (git-ignored; reused when present), then
imports it in a child process and records wall time, rows per second and the
child's peak resident memory (``resource.getrusage(RUSAGE_CHILDREN)``) in
``benchmarks/results/loaders_reddit-<hostname>-<date>.json``.

Targets (the issue "Loaders for real sources"): a 1 GB file in at most 1 GB
peak RSS at 100,000 rows/s or more on 2 cores.  Wall time depends on what
else the machine runs, so the import's CPU time (all threads) and the load
average are recorded too: on an otherwise idle machine with c cores the
wall time is about ``import_cpu_s / c`` when the import keeps every core
busy.

Usage::

    python benchmarks/loaders_reddit.py                 # 1 GB
    python benchmarks/loaders_reddit.py --size-mb 50    # quick run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
RESULTS = HERE / "results"
TARGET_ROWS_PER_S = 100_000
TARGET_PEAK_RSS_MB = 1024

_WORDS = ("i feel like nobody understands what this is like and the nights are the worst part "
          "my therapist said to try writing things down which helps a little sometimes "
          "thank you for sharing this it means a lot to know someone else gets it "
          "have you talked to your doctor about changing the dose it took me months "
          "sending hugs you are not alone here we are all rooting for you keep going "
          "anxiety panic sleep meds work family friends school job tired hope better day").split()
_SUBREDDITS = ("depression", "Anxiety", "mentalhealth", "BPD", "bipolar", "ptsd", "lonely",
               "SuicideWatch", "socialanxiety", "ADHD")


def _base36(numbers: np.ndarray) -> list[str]:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    for n in numbers.tolist():
        text = ""
        while n:
            n, r = divmod(n, 36)
            text = digits[r] + text
        out.append(text or "0")
    return out


def generate(path: Path, size_mb: float, seed: int = 0) -> dict:
    """Write a synthetic dump of about ``size_mb`` MB to ``path``; return what it holds."""
    rng = np.random.default_rng(seed)
    bodies = [" ".join(rng.choice(_WORDS, size=int(k))) for k in rng.integers(3, 60, size=4096)]
    bodies[0] = "[deleted]"
    bodies[1] = "caf\\u00e9 \\\"quoted\\\" line\\nbreak"
    titles = [" ".join(rng.choice(_WORDS, size=int(k))) for k in rng.integers(2, 12, size=512)]
    authors = [f"user_{a}" for a in _base36(rng.integers(36**5, 36**7, size=200_000))]
    target = int(size_mb * 2**20)
    written = rows = submissions = 0
    next_comment, next_submission = 36**6, 36**5
    start_time = 1_546_300_800
    with open(path, "w", encoding="utf-8") as handle:
        while written < target:
            n_threads = 500
            sizes = rng.geometric(1 / 25, size=n_threads)
            lines = []
            sub_ids = _base36(np.arange(next_submission, next_submission + n_threads))
            next_submission += n_threads
            n_comments = int(sizes.sum())
            com_ids = _base36(np.arange(next_comment, next_comment + n_comments))
            next_comment += n_comments
            author_of = rng.zipf(1.6, size=n_comments + n_threads) % len(authors)
            special = rng.random(n_comments + n_threads)
            body_of = rng.integers(0, len(bodies), size=n_comments + n_threads)
            score = rng.integers(-5, 500, size=n_comments + n_threads)
            offset = 0
            for t in range(n_threads):
                created = start_time + rows
                sub = sub_ids[t]
                sub_author = "[deleted]" if special[n_comments + t] < 0.05 else authors[author_of[n_comments + t]]
                subreddit = _SUBREDDITS[t % len(_SUBREDDITS)]
                lines.append(
                    f'{{"id":"{sub}","author":"{sub_author}","created_utc":{created},'
                    f'"title":"{titles[body_of[n_comments + t] % len(titles)]}","selftext":"{bodies[body_of[n_comments + t]]}",'
                    f'"subreddit":"{subreddit}","score":{score[n_comments + t]},"num_comments":{sizes[t]},'
                    f'"over_18":false,"url":"https://www.reddit.com/r/{subreddit}/comments/{sub}/",'
                    f'"retrieved_on":{created + 86400},"stickied":false}}')
                k = int(sizes[t])
                earlier = rng.integers(0, np.maximum(np.arange(k), 1))
                to_submission = (rng.random(k) < 0.4) | (np.arange(k) == 0)
                for j in range(k):
                    i = offset + j
                    if special[i] < 0.004:
                        parent = "t1_zzzzzzzz"  # a comment outside the dump: an orphan
                    elif to_submission[j]:
                        parent = f"t3_{sub}"
                    else:
                        parent = f"t1_{com_ids[offset + earlier[j]]}"
                    author = ("[deleted]" if special[i] < 0.06 else "AutoModerator" if special[i] < 0.07
                              else authors[author_of[i]])
                    lines.append(
                        f'{{"id":"{com_ids[i]}","author":"{author}","parent_id":"{parent}",'
                        f'"link_id":"t3_{sub}","created_utc":{created + j + 1},'
                        f'"body":"{bodies[body_of[i]]}","subreddit":"{subreddit}",'
                        f'"subreddit_id":"t5_2qqqf","score":{score[i]},"controversiality":0,'
                        f'"gilded":0,"distinguished":null,"edited":false,"stickied":false,'
                        f'"author_flair_text":null,"is_submitter":{"true" if author == sub_author else "false"},'
                        f'"retrieved_on":{created + 86400}}}')
                offset += k
                rows += k + 1
            submissions += n_threads
            text = "\n".join(lines) + "\n"
            handle.write(text)
            written += len(text.encode("utf-8"))
    return {"rows": rows, "submissions": submissions, "comments": rows - submissions,
            "bytes": path.stat().st_size}


def _child(source: str, out: str, chunk_rows: int) -> None:
    """Run the import (in a child process, so its peak RSS is measured alone)."""
    from peerscope.loaders.reddit import reddit

    started, cpu = time.perf_counter(), _cpu_seconds()
    corpus = reddit(source, out=out, chunk_rows=chunk_rows)
    wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    account = corpus.manifest["accounting"]["posts"]
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "rows_read": account["rows_read"],
                      "rows_kept": account["rows_kept"], "skipped": account["skipped_reasons"],
                      "kept_notes": account["kept_notes"]}))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # all threads of this process
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=1024, help="size of the dump (default 1024)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk-rows", type=int, default=200_000)
    parser.add_argument("--work", type=Path, default=WORK, help="folder for the dump and the corpus")
    parser.add_argument("--child", nargs=2, metavar=("SOURCE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child, args.chunk_rows)
        return {}
    args.work.mkdir(parents=True, exist_ok=True)
    source = args.work / f"reddit-{args.size_mb:g}mb-seed{args.seed}.ndjson"
    meta = source.with_suffix(".json")
    if not (source.exists() and meta.exists()):
        started = time.perf_counter()
        info = generate(source, args.size_mb, args.seed)
        info["generate_s"] = round(time.perf_counter() - started, 1)
        meta.write_text(json.dumps(info))
    info = json.loads(meta.read_text())
    out = args.work / "reddit-corpus"
    shutil.rmtree(out, ignore_errors=True)
    load_before = os.getloadavg()
    started = time.perf_counter()
    child = subprocess.run([sys.executable, __file__, "--child", str(source), str(out),
                            "--chunk-rows", str(args.chunk_rows)],
                           capture_output=True, text=True, check=False)
    total = time.perf_counter() - started
    if child.returncode:
        sys.stderr.write(child.stderr)
        raise SystemExit(child.returncode)
    run = json.loads(child.stdout.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    import pandas
    import pyarrow

    import peerscope

    result = {
        "benchmark": "loaders_reddit", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(), "cpus": os.cpu_count(), "python": platform.python_version(),
        "peerscope": peerscope.__version__, "pandas": pandas.__version__, "pyarrow": pyarrow.__version__,
        "source_mb": round(info["bytes"] / 2**20, 1), "rows_in_source": info["rows"],
        "chunk_rows": args.chunk_rows, "import_wall_s": round(run["wall_s"], 2),
        "process_wall_s": round(total, 2), "rows_per_s": round(info["rows"] / run["wall_s"]),
        "mb_per_s": round(info["bytes"] / 2**20 / run["wall_s"], 1),
        "import_cpu_s": round(run["cpu_s"], 2),
        "rows_per_cpu_s": round(info["rows"] / run["cpu_s"]),
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "peak_rss_mb": round(peak_mb, 1), "rows_read": run["rows_read"], "rows_kept": run["rows_kept"],
        "skipped": run["skipped"], "notes": run["notes"],
        "corpus_mb": round(sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 2**20, 1),
        "targets": {"rows_per_s": TARGET_ROWS_PER_S, "peak_rss_mb": TARGET_PEAK_RSS_MB},
    }
    result["meets_targets"] = (result["rows_per_s"] >= TARGET_ROWS_PER_S
                               and result["peak_rss_mb"] <= TARGET_PEAK_RSS_MB)
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"loaders_reddit-{result['host']}-{datetime.now().date()}.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {target}")
    shutil.rmtree(out, ignore_errors=True)
    return result


if __name__ == "__main__":
    main()
