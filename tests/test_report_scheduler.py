"""``peerscope report CORPUS --scheduler ...``: the report on the Dask engine, table for table the pandas one."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from peerscope import synth
from peerscope.cli.commands import cli

pytest.importorskip("dask")

OPTIONS = ["--topics", "none", "--support", "none", "--figures", "", "--format", "csv", "--no-progress"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    corpus, _ = synth.generate(3_000, seed=5, months=4, with_text=False)
    folder = tmp_path_factory.mktemp("scheduler") / "forum"
    corpus.save(folder, partition="month")
    return folder


def test_report_on_dask_writes_the_tables_of_the_pandas_engine(saved, tmp_path):
    runs = {}
    for name, extra in (("pandas", []), ("dask", ["--scheduler", "synchronous"])):
        out = tmp_path / name
        done = CliRunner().invoke(cli, ["report", str(saved), "--out", str(out), *OPTIONS, *extra])
        assert done.exit_code == 0, done.output
        runs[name] = {path.name: path.read_text(encoding="utf-8")
                      for path in sorted((out / "tables").glob("*.csv"))}
    assert len(runs["pandas"]) > 5
    assert runs["dask"].keys() == runs["pandas"].keys()
    differing = [name for name in runs["pandas"] if runs["dask"][name] != runs["pandas"][name]]
    assert differing == []


def test_scheduler_needs_a_saved_corpus(tmp_path):
    done = CliRunner().invoke(cli, ["report", "--sample", "--out", str(tmp_path / "r"), "--scheduler", "threads"])
    assert done.exit_code == 2 and "--scheduler needs a saved CORPUS" in done.output
