"""Hostile names and ids cannot inject formulas into the CSV files or markup into the Markdown.

A corpus whose name, channel names, newsletter name and member ids are
spreadsheet formulas, HTML, Markdown links and table-breaking text is
reported with ``include_ids`` and written as CSV, Markdown and LaTeX.
"""

from __future__ import annotations

import csv
import io
import math
import re

import pandas as pd
import pytest

from peerscope import Corpus, synth
from peerscope.report import build
from peerscope.report.render import _csv, markdown_escape, markdown_table, spreadsheet_safe

HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "<script>alert(1)</script>",
           "[x](javascript:alert(1))", "a|b\nc", "-2+3", "@SUM(A1:A9)", "\tTAB", "\rCR"]
CORPUS_NAME = " ".join(HOSTILE[:5])
NEWSLETTER = "=1+1 <img src=x onerror=alert(1)> [n](javascript:alert(2)) |x|\nnews"
#: How a cell begins that a spreadsheet runs as a formula (OWASP "CSV Injection").
FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf|nan")
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


@pytest.fixture(scope="module")
def hostile():
    corpus, _ = synth.generate(2000, seed=1)
    posts, members, events, items = (corpus.table(n, "all")
                                     for n in ("posts", "members", "events", "newsletter_items"))
    channels = sorted(posts["channel"].unique())
    mapping = {c: HOSTILE[i % len(HOSTILE)] + ("" if i < len(HOSTILE) else f" {i}")
               for i, c in enumerate(channels)}
    posts["channel"] = posts["channel"].map(mapping)
    events["channel"] = events["channel"].map(lambda v: mapping.get(v, v))
    items["newsletter"] = NEWSLETTER
    ids = {m: HOSTILE[i % len(HOSTILE)][:12] + m for i, m in enumerate(members["member_id"])}
    for frame, column in ((posts, "author_id"), (members, "member_id"), (events, "member_id"),
                          (items, "author_id")):
        frame[column] = frame[column].map(lambda v: ids.get(v, v))
    return Corpus.from_frames(posts, members, events, items, name=CORPUS_NAME)


@pytest.fixture(scope="module")
def report(hostile):
    return build(hostile, replicates=20, figures=False, include_ids=True, topics=None, support=None)


@pytest.fixture(scope="module")
def written(report, tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile")
    report.write(out, formats=("csv", "md", "tex"), figure_formats=())
    return out


def _cells(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not (
        isinstance(value, float) and math.isnan(value))


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------

def test_the_hostile_names_reach_the_report(report):
    assert report.tables["overview"].at["corpus", "value"] == CORPUS_NAME
    assert NEWSLETTER in report.tables["newsletters"].columns
    assert any(str(i).startswith(("=", "+", "<", "[", "@")) for i in report.tables["super_user_ids"].iloc[:, 0])


def test_no_csv_cell_starts_a_formula(written):
    files = sorted(written.rglob("*.csv"))
    assert len(files) > 10
    for path in files:
        for line, row in enumerate(_cells(path)):
            for cell in row:
                assert not cell.startswith(FORMULA) or NUMBER.fullmatch(cell), (path.name, line, cell)


def test_hostile_csv_cells_are_quoted_not_lost(report, written):
    overview = pd.read_csv(written / "tables" / "overview.csv", index_col=0, keep_default_na=False)
    assert overview.at["corpus", "value"] == "'" + CORPUS_NAME
    header = _cells(written / "tables" / "newsletters.csv")[0]
    assert "'" + NEWSLETTER in header
    ids = pd.read_csv(written / "tables" / "super_user_ids.csv", keep_default_na=False)
    shown = report.tables["super_user_ids"].iloc[:, 0].tolist()
    assert ids.iloc[:, 1].tolist() == [spreadsheet_safe(i) for i in shown]
    assert any(i.startswith("'") for i in ids.iloc[:, 1])


def test_numbers_stay_numbers_in_every_csv(report, written):
    negatives = 0
    for name, frame in report.tables.items():
        back = pd.read_csv(written / "tables" / f"{name}.csv", index_col=0, keep_default_na=False)
        assert len(back.columns) == len(frame.columns) and len(back) == len(frame), name
        for position in range(frame.shape[1]):
            for mine, theirs in zip(frame.iloc[:, position], back.iloc[:, position]):
                if _is_number(mine):
                    assert not str(theirs).startswith("'"), (name, mine, theirs)
                    assert float(theirs) == pytest.approx(mine, rel=1e-12), (name, mine, theirs)
                    negatives += mine < 0
    assert negatives  # e.g. the Zipf slope
    fits = _cells(written / "tables" / "fits.csv")
    slope = [r for r in fits if r[0] == "zipf_slope"][0][fits[0].index("value")]
    assert NUMBER.fullmatch(slope) and slope.startswith("-")  # a negative number, not text


def test_csv_rule_on_a_small_frame():
    frame = pd.DataFrame({"x": [-0.5, 1.25, float("nan")],
                          "mixed": [-0.5, "=1+2", None],
                          "text": ["-12", "-1-1", "\uff1dSUM(A1)"],
                          "-lead": [1, 2, 3]},
                         index=pd.Index(["@a", "b", "+c"], name="=key"))
    rows = _cells_text(_csv(frame))
    assert rows[0] == ["'=key", "x", "mixed", "text", "'-lead"]
    assert rows[1] == ["'@a", "-0.5", "-0.5", "-12", "1"]
    assert rows[2] == ["b", "1.25", "'=1+2", "'-1-1", "2"]
    assert rows[3] == ["'+c", "", "", "'\uff1dSUM(A1)", "3"]
    assert frame.loc["@a", "mixed"] == -0.5 and frame.columns[-1] == "-lead"  # the frame is not changed
    plain = pd.DataFrame({"n": [1, 2]}, index=pd.Index([10, 20], name="id"))
    assert _csv(plain) == plain.to_csv()


def _cells_text(text):
    return list(csv.reader(io.StringIO(text, newline="")))


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------

def _tables(text):
    """Blocks of consecutive lines starting with '|' (one pipe table each)."""
    blocks, block = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            block.append(line)
        elif block:
            blocks.append(block)
            block = []
    return blocks


def _columns(line):
    return len(UNESCAPED_PIPE.split(line.strip())) - 2


def test_markdown_has_no_html_or_links_from_names(written):
    files = [written / "report.md", written / "methods.md", *sorted((written / "tables").glob("*.md"))]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<\s*(script|img|/)", text, re.IGNORECASE), path.name
        assert "](javascript:" not in text, path.name
        assert not re.search(r"(?<!\\)\[[^\]\n]*(?<!\\)\]\(", text.replace("](figures/", "")), path.name
    report_md = (written / "report.md").read_text(encoding="utf-8")
    assert report_md.splitlines()[0] == "# Report: " + markdown_escape(CORPUS_NAME)
    assert report_md.splitlines()[1] == ""
    assert "javascript" in report_md and "script" in report_md  # shown as text, not dropped


def test_markdown_tables_keep_their_column_counts(report, written):
    for name, frame in report.tables.items():
        text = (written / "tables" / f"{name}.md").read_text(encoding="utf-8")
        blocks = _tables(text)
        assert len(blocks) == 1, name
        shown = len(frame.columns) + ("label" not in frame.columns)
        assert len(blocks[0]) == len(frame) + 2, name
        assert {_columns(line) for line in blocks[0]} == {shown}, name
    for block in _tables((written / "report.md").read_text(encoding="utf-8")):
        assert len({_columns(line) for line in block}) == 1, block[:3]


def test_markdown_table_escapes_header_caption_and_notes():
    frame = pd.DataFrame({"a|b\nc": ["<script>x</script>", "[x](javascript:y)", "*b* _i_ `c`"]},
                         index=pd.Index(["#1", "{: onclick=1}", "r&#60;"], name="k"))
    text = markdown_table(frame, "<b>T|x</b>\n", ["note | <i>\nmore"])
    lines = text.splitlines()
    assert lines[0] == "**Table: &lt;b>T\\|x&lt;/b>**"
    assert lines[2] == "| k | a\\|b c |"
    assert lines[4:7] == ["| \\#1 | &lt;script>x&lt;/script> |",
                          "| \\{: onclick=1\\} | \\[x\\]\\(javascript:y) |",
                          "| r&amp;\\#60; | \\*b\\* \\_i\\_ \\`c\\` |"]
    assert lines[-1] == "*note \\| &lt;i> more*  "


def test_html_and_latex_stay_escaped(written):
    html = (written / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img src=x" not in html
    tex = (written / "tables" / "overview.tex").read_text(encoding="utf-8")
    corpus_row = [line for line in tex.splitlines() if line.startswith("Corpus &")]
    assert len(corpus_row) == 1 and corpus_row[0].endswith(r"\\")
