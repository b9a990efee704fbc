"""The ``peerscope`` command: synth, validate, describe; one-line errors, exit code 2."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from peerscope.cli import cli


@pytest.fixture(scope="module")
def community(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "community"
    result = CliRunner().invoke(cli, ["synth", str(out), "--posts", "3000", "--seed", "7"])
    assert result.exit_code == 0, result.output
    return out


def test_synth_writes_a_corpus_and_its_truth(community):
    manifest = json.loads((community / "corpus.json").read_text())
    assert manifest["tables"]["posts"]["rows"] == 3000
    assert manifest["provenance"]["source_format"] == "synthetic"
    assert (community / "truth.json").is_file()


def test_validate_passes_on_a_valid_corpus(community):
    result = CliRunner().invoke(cli, ["validate", str(community)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "posts 3,000 rows" in result.output


def test_describe_text_and_csv(community):
    result = CliRunner().invoke(cli, ["describe", str(community)])
    assert result.exit_code == 0
    assert "[x] lurkers: member roster present" in result.output
    result = CliRunner().invoke(cli, ["describe", str(community), "--format", "csv"])
    assert result.output.splitlines()[0] == "section,item,value"
    assert "rows,posts,3000" in result.output


def test_describe_a_window(community):
    whole = CliRunner().invoke(cli, ["describe", str(community), "--format", "csv"]).output
    part = CliRunner().invoke(cli, ["describe", str(community), "--format", "csv",
                                    "--start", "2022-06-01", "--end", "2022-07-01"]).output
    assert "rows,posts,3000" in whole and "rows,posts,3000" not in part


def test_broken_corpus_is_one_line_and_exit_2(community, tmp_path):
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(community, broken)
    table = pq.read_table(broken / "posts.parquet")
    parents = table["parent_id"].to_pylist()
    first_reply = next(i for i, p in enumerate(parents) if p is not None)
    parents[first_reply] = "no-such-post"
    table = table.set_column(table.schema.get_field_index("parent_id"), "parent_id",
                             pa.array(parents, pa.string()))
    pq.write_table(table, broken / "posts.parquet")
    result = CliRunner().invoke(cli, ["validate", str(broken)])
    assert result.exit_code == 2
    message = result.output.strip()
    assert len(message.splitlines()) == 1
    assert message.startswith("peerscope: error: table 'posts', column 'parent_id'")
    assert "no-such-post" in message and "Traceback" not in result.output


def test_not_a_corpus_exit_2_and_debug_shows_the_traceback(tmp_path):
    result = CliRunner().invoke(cli, ["describe", str(tmp_path)])
    assert result.exit_code == 2 and "not a peerscope corpus" in result.output
    result = CliRunner().invoke(cli, ["--debug", "describe", str(tmp_path)])
    assert result.exit_code != 0 and result.exception is not None
    assert type(result.exception).__name__ == "CorpusNotFoundError"


def test_bad_time_bound_is_a_clear_error(community):
    result = CliRunner().invoke(cli, ["describe", str(community), "--start", "last tuesday"])
    assert result.exit_code == 2 and "start='last tuesday' is not a time" in result.output
