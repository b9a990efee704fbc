"""The hand-written kernels that remain, against the library way of doing the same.

peerscope keeps a hand-written kernel only where the library way is far
slower or heavier (docs/benchmarks.md).  This script measures the one left
in ``peerscope._kernels.hashing``: 64-bit hashes of member ids
(``string_hashes``), against pandas' ``hash_pandas_object`` (SipHash over
the Arrow-backed strings), on ``--ids`` ids of the synthetic community's
form (``m0000001``), each method in a fresh process.

Results go to ``results/kernels-<host>-<date>.json``.

Usage::

    python benchmarks/kernels.py                 # 10M ids, the 10M-post corpus's events scale
    python benchmarks/kernels.py --ids 1000000
"""

from __future__ import annotations

import argparse

from measure import run_step, write_results

IDS = """
import numpy as np, pyarrow as pa, pyarrow.compute as pc
numbers = pa.array(np.random.default_rng(0).integers(0, {members}, {n}))
ids = pc.utf8_lpad(pc.cast(numbers, pa.string()), 7, "0")
ids = pc.binary_join_element_wise("m", ids, "")
"""

METHODS = {
    "peerscope string_hashes": """
from peerscope._kernels.hashing import string_hashes
t0 = time.perf_counter()
hashes = string_hashes(ids)
result = {"seconds": time.perf_counter() - t0, "distinct": int(len(np.unique(hashes)))}
""",
    "pandas hash_pandas_object": """
import pandas as pd
t0 = time.perf_counter()
hashes = pd.util.hash_pandas_object(pd.Series(ids.to_pandas(), dtype="str"), index=False).to_numpy()
result = {"seconds": time.perf_counter() - t0, "distinct": int(len(np.unique(hashes)))}
""",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=10_000_000)
    args = parser.parse_args(argv)
    setup = IDS.format(n=args.ids, members=max(1, args.ids // 4))
    steps = []
    for name, code in METHODS.items():
        record = run_step(setup + code, rows=args.ids, label=f"{name} {args.ids:,}")
        record.update(step=name, ids=args.ids)
        steps.append(record)
    baseline = steps[0]["result"]["seconds"]
    for record in steps:
        record["time_ratio_to_peerscope"] = record["result"]["seconds"] / baseline
        print(f"{record['step']:<28} {record['result']['seconds']:.2f} s hashing "
              f"({record['time_ratio_to_peerscope']:.2f}x)")
    write_results("kernels", steps, targets={}, parameters={"ids": args.ids})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
