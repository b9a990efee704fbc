"""Benchmark: pluralistic use and newsletter measures on a synthetic corpus.

Steps, each in its own process (see ``measure.py``) on a corpus of
``--posts`` posts streamed to ``benchmarks/work`` by :func:`peerscope.datasets.synth.generate`
(events and newsletter items scale with the posts):

1. ``forms_in_use`` (reads posts, events and newsletter items, no text);
2. ``forms_over_tenure`` on a fresh ``forms_in_use``;
3. ``pathways`` (order of first use, first forms, transition matrix);
4. ``combinations`` (UpSet sets, sequential vs concurrent);
5. ``newsletters.summary``;
6. all of them sharing one ``forms_in_use``, as a study would run them;
7. optionally (``--dask``) the shared run on the Dask engine.

Rows per second count every row read: posts + events + newsletter items.

    python benchmarks/pluralism.py                 # 1M posts
    python benchmarks/pluralism.py --posts 100000 --dask
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import run_step, write_results  # noqa: E402

WORK = Path(__file__).resolve().parent / "work"

STEPS = {
    "forms_in_use": """
use = pluralism.forms_in_use(corpus)
result = {"member_periods": len(use.to_frame()), "members": use.n_members}
""",
    "forms_over_tenure": """
curve = pluralism.forms_over_tenure(corpus).frame
result = {"mean_forms_k0_k5_k11": [round(float(curve['mean_forms'][k]), 4) for k in (0, 5, 11)]}
""",
    "pathways": """
paths = pluralism.pathways(corpus)
result = {"first_forms": paths.first_forms.set_index("form")["members"].astype(int).to_dict()}
""",
    "combinations": """
combos = pluralism.combinations(corpus)
result = {"sets": len(combos.sets), "patterns": combos.patterns.set_index("pattern")["members"].astype(int).to_dict()}
""",
    "newsletters.summary": """
row = newsletters.summary(corpus).frame.iloc[0]
result = {"issues": int(row["issues"]), "recipients": int(row["recipients"]),
          "contributors": int(row["contributors"])}
""",
    "all, sharing forms_in_use": """
use = pluralism.forms_in_use(corpus)
pluralism.forms_over_tenure(use); pluralism.pathways(use); pluralism.combinations(use)
pluralism.active_passive(use); newsletters.summary(corpus, uses=use)
result = {"members": use.n_members}
""",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dask", action="store_true", help="also run the shared step on Dask")
    parser.add_argument("--keep", action="store_true", help="reuse an existing corpus")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    path = WORK / f"pluralism-{args.posts}-seed{args.seed}"
    if not (args.keep and (path / "corpus.json").is_file()):
        shutil.rmtree(path, ignore_errors=True)
        run_step(f"""
from peerscope import synth
synth.generate({args.posts}, seed={args.seed}, path={str(path)!r}, with_text=False)
""", label=f"generate {args.posts:,} posts (not timed)")
    tables = json.loads((path / "corpus.json").read_text())["tables"]
    rows = sum(tables[t]["rows"] for t in ("posts", "events", "newsletter_items") if t in tables)
    setup = f"""
import time
import peerscope
from peerscope import pluralism, newsletters
corpus = peerscope.open_corpus({str(path)!r}, engine={{engine!r}})
_started = time.perf_counter()
"""
    # the step's own time, without imports and opening, goes into its result
    finish = '\nresult["compute_seconds"] = round(time.perf_counter() - _started, 3)\n'
    steps = []
    for label, code in STEPS.items():
        steps.append(run_step(setup.format(engine="pandas") + code + finish, rows=rows, label=label))
    if args.dask:
        steps.append(run_step(setup.format(engine="dask") + STEPS["all, sharing forms_in_use"] + finish,
                              rows=rows, label="all, sharing forms_in_use (dask)"))
    write_results("pluralism", steps, targets={},
                  parameters={**vars(args), "rows": {t: tables[t]["rows"] for t in tables}})


if __name__ == "__main__":
    main()
