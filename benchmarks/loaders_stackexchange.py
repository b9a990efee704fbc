"""Benchmark: import a synthetic Stack Exchange dump of about ``--size-mb`` MB.

Generates ``Users.xml``, ``Posts.xml`` and ``Comments.xml`` in the shape of a
real dump (byte shares as on Stack Overflow: users ~7%, posts ~70%, comments
~23%; HTML bodies of ~1.2 kB, comments of ~250 B, 1% tag-wiki posts, some
deleted authors) into ``benchmarks/work/`` (git-ignored), imports it with
``stackexchange(dump, out=...)`` and writes wall time, rows/s and peak RSS to
``benchmarks/results/loaders_stackexchange-<hostname>-<date>.json``.

Target: <= 1 GB peak RSS at >= 100k rows/s on 2 cores.

Usage::

    python benchmarks/loaders_stackexchange.py --size-mb 1024
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import socket
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

import psutil

from peerscope.loaders.stackexchange import stackexchange

HERE = Path(__file__).resolve().parent
WORDS = ("i feel alone tonight cannot sleep again my doctor changed the dose does anyone "
         "else get this quantum state gate circuit measure noise error thanks for sharing "
         "you are not alone it gets better try a diary talk to someone").split()
SHARES = {"Users": 0.07, "Posts": 0.70, "Comments": 0.23}


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _time(rng: random.Random, start: datetime) -> str:
    return (start + timedelta(seconds=rng.randrange(0, 3 * 365 * 86400),
                              milliseconds=rng.randrange(1000))).isoformat(timespec="milliseconds")


def generate(folder: Path, size_mb: float, seed: int = 0) -> dict[str, int]:
    """Write a synthetic dump of about ``size_mb`` MB; return the row counts written."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2015, 1, 1)
    bodies = [quoteattr(f"<p>{_sentence(rng, 90)}</p>\n\n<p>{_sentence(rng, 80)} &amp; "
                        f"<code>x &lt; y</code></p>\n<pre><code>{_sentence(rng, 20)}</code></pre>\n")
              for _ in range(500)]
    comments = [quoteattr(_sentence(rng, rng.randrange(20, 60))) for _ in range(500)]
    budget = {name: share * size_mb * 1e6 for name, share in SHARES.items()}
    counts = {}

    with open(folder / "Users.xml", "w", encoding="utf-8") as out:
        out.write('\ufeff<?xml version="1.0" encoding="utf-8"?>\n<users>\n')
        written, uid = 0, 0
        out.write('  <row Id="-1" Reputation="1" CreationDate="2015-01-01T00:00:00.000" '
                  'DisplayName="Community" Views="0" UpVotes="1" DownVotes="0" AccountId="-1" />\n')
        while written < budget["Users"]:
            uid += 1
            line = (f'  <row Id="{uid}" Reputation="{rng.randrange(1, 5000)}" '
                    f'CreationDate="{_time(rng, start)}" DisplayName="user {uid}" '
                    f'LastAccessDate="{_time(rng, start)}" Location="Somewhere" '
                    f'AboutMe={comments[uid % 500]} Views="{rng.randrange(0, 300)}" '
                    f'UpVotes="{rng.randrange(50)}" DownVotes="0" AccountId="{uid + 100}" />\n')
            out.write(line)
            written += len(line)
        out.write("</users>\n")
    counts["users"] = uid + 1

    questions = []
    with open(folder / "Posts.xml", "w", encoding="utf-8") as out:
        out.write('\ufeff<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
        written, pid = 0, 0
        while written < budget["Posts"]:
            pid += 1
            owner = (f'OwnerUserId="{rng.randrange(1, uid + 1)}"' if rng.random() > 0.02
                     else 'OwnerDisplayName="user{}"'.format(rng.randrange(10**6)))
            kind = rng.random()
            if kind < 0.01:
                line = (f'  <row Id="{pid}" PostTypeId="{rng.choice((4, 5))}" '
                        f'CreationDate="{_time(rng, start)}" Score="0" Body={bodies[pid % 500]} '
                        f'OwnerUserId="-1" CommentCount="0" />\n')
            elif kind < 0.4 or not questions:
                questions.append(pid)
                line = (f'  <row Id="{pid}" PostTypeId="1" CreationDate="{_time(rng, start)}" '
                        f'Score="{rng.randrange(-3, 50)}" ViewCount="{rng.randrange(5, 9000)}" '
                        f'Body={bodies[pid % 500]} {owner} LastActivityDate="{_time(rng, start)}" '
                        f'Title="{_sentence(rng, 8)}" Tags="&lt;support&gt;&lt;sleep&gt;" '
                        f'AnswerCount="1" CommentCount="2" />\n')
            else:
                line = (f'  <row Id="{pid}" PostTypeId="2" ParentId="{rng.choice(questions[-5000:])}" '
                        f'CreationDate="{_time(rng, start)}" Score="{rng.randrange(-3, 50)}" '
                        f'Body={bodies[pid % 500]} {owner} LastActivityDate="{_time(rng, start)}" '
                        f'CommentCount="1" />\n')
            out.write(line)
            written += len(line)
        out.write("</posts>\n")
    counts["posts"] = pid

    with open(folder / "Comments.xml", "w", encoding="utf-8") as out:
        out.write('\ufeff<?xml version="1.0" encoding="utf-8"?>\n<comments>\n')
        written, cid = 0, 0
        while written < budget["Comments"]:
            cid += 1
            user = f'UserId="{rng.randrange(1, uid + 1)}"' if rng.random() > 0.02 else 'UserDisplayName="x"'
            line = (f'  <row Id="{cid}" PostId="{rng.randrange(1, pid + 1)}" Score="{rng.randrange(5)}" '
                    f'Text={comments[cid % 500]} CreationDate="{_time(rng, start)}" {user} />\n')
            out.write(line)
            written += len(line)
        out.write("</comments>\n")
    counts["comments"] = cid
    return counts


class PeakRSS:
    """Sample this process's resident set size every 50 ms; keep the maximum."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._process = psutil.Process()

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            self._stop.wait(0.05)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=1024, help="dump size in MB (default 1024)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the generated dump and corpus")
    args = parser.parse_args(argv)

    work = HERE / "work" / "stackexchange"
    dump, corpus_dir = work / "dump", work / "corpus"
    shutil.rmtree(work, ignore_errors=True)
    began = time.perf_counter()
    generated = generate(dump, args.size_mb, args.seed)
    generate_seconds = time.perf_counter() - began
    dump_bytes = sum(f.stat().st_size for f in dump.iterdir())

    process = psutil.Process()
    with PeakRSS() as rss:
        cpu_before = sum(process.cpu_times()[:2])
        began = time.perf_counter()
        corpus = stackexchange(dump, out=corpus_dir)
        seconds = time.perf_counter() - began
        cpu_seconds = sum(process.cpu_times()[:2]) - cpu_before
    accounting = corpus.manifest["accounting"]
    rows_read = sum(a["rows_read"] for a in accounting.values())
    result = {
        "benchmark": "loaders_stackexchange",
        "host": socket.gethostname(),
        "date": date.today().isoformat(),
        "python": platform.python_version(),
        "cpus": psutil.cpu_count(),
        "dump_mb": round(dump_bytes / 1e6, 1),
        "generated_rows": generated,
        "generate_seconds": round(generate_seconds, 1),
        "import_seconds": round(seconds, 2),
        # CPU time of the import (user + system): a machine shared with other
        # work inflates wall time, not this
        "import_cpu_seconds": round(cpu_seconds, 2),
        "load_average_1min": round(psutil.getloadavg()[0], 2),
        "rows_read": rows_read,
        "rows_kept": {t: a["rows_kept"] for t, a in accounting.items()},
        "rows_skipped": {t: a["skipped_reasons"] for t, a in accounting.items()},
        "rows_per_second": round(rows_read / seconds),
        "rows_per_cpu_second": round(rows_read / cpu_seconds),
        "mb_per_second": round(dump_bytes / 1e6 / seconds, 1),
        "peak_rss_mb": round(rss.peak / 2**20, 1),
        "corpus_mb": round(sum(f.stat().st_size for f in corpus_dir.rglob("*") if f.is_file()) / 1e6, 1),
        "target": {"peak_rss_mb_max": 1024, "rows_per_second_min": 100_000},
    }
    result["meets_target"] = (result["peak_rss_mb"] <= 1024 and result["rows_per_second"] >= 100_000)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    target = results / f"loaders_stackexchange-{result['host']}-{result['date']}.json"
    target.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    main()
