"""Measure one benchmark step in a fresh child process: wall time and peak RSS.

Each step runs in its own Python process so that its peak resident memory
(``ru_maxrss`` of that process) is its own and not the high-water mark of
earlier steps.  Results go to ``benchmarks/results/<name>-<host>-<date>.json``.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import textwrap
from datetime import date, datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

_CHILD = """
import json, resource, sys, time
started = time.perf_counter()
{code}
elapsed = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("\\n__MEASURE__" + json.dumps({{"seconds": elapsed, "peak_rss_mb": peak_kib / 1024,
                                      "result": globals().get("result")}}))
"""


def run_step(code: str, *, rows: int | None = None, label: str = "") -> dict:
    """Run ``code`` (Python source; it may set a JSON-able ``result``) in a child process.

    Returns wall seconds (of ``code`` alone, not interpreter start-up), peak
    RSS in MB, rows per second when ``rows`` is given, and ``result``.
    """
    source = _CHILD.format(code=textwrap.dedent(code))
    # what a script that follows docs/scaling.md does: Arrow on the system allocator
    # (peerscope.set_memory_pool), chosen before pyarrow loads; a pool already chosen stands
    environment = {"ARROW_DEFAULT_MEMORY_POOL": "system", **os.environ}
    completed = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, env=environment)
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark step {label!r} failed:\n{completed.stderr[-4000:]}")
    marker = completed.stdout.rsplit("__MEASURE__", 1)[-1]
    measured = json.loads(marker)
    measured["label"] = label
    if rows is not None:
        measured["rows"] = rows
        measured["rows_per_second"] = rows / measured["seconds"] if measured["seconds"] else None
    print(f"{label:<40} {measured['seconds']:9.2f} s  {measured['peak_rss_mb']:9.0f} MB"
          + (f"  {measured['rows_per_second']:>12,.0f} rows/s" if rows else ""), flush=True)
    return measured


def sampled_call(call: str, sample: str, interval: float) -> str:
    """Child source that runs ``call`` while a thread runs ``sample`` every ``interval`` seconds.

    For steps that record a peak while one call runs (memory of the client,
    of Dask's workers): the child must import ``threading`` and ``time``;
    afterwards ``seconds`` holds the call's wall time and the sampler has
    stopped.
    """
    return f"""
done = threading.Event()


def sample():
    while not done.is_set():
{textwrap.indent(textwrap.dedent(sample).strip(), " " * 8)}
        done.wait({interval})


sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
t0 = time.perf_counter()
{call}
seconds = time.perf_counter() - t0
done.set()
sampler.join()
"""


def machine() -> dict:
    """What the numbers were measured on."""
    import os

    return {"host": socket.gethostname(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "processor": platform.machine()}


def write_results(name: str, steps: list[dict], targets: dict, parameters: dict) -> Path:
    """Write the steps, targets and machine to ``results/<name>-<host>-<date>.json``."""
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"{name}-{socket.gethostname()}-{date.today().isoformat()}.json"
    payload = {"benchmark": name, "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": machine(), "parameters": parameters, "targets": targets, "steps": steps}
    target.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")
    return target
