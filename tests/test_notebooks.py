"""The notebooks are stored with their outputs, and those outputs are what the code prints now.

The documentation site shows ``notebooks/*.ipynb`` with the outputs stored in
them (mkdocs-jupyter, ``execute: false``; docs/notebooks.md), so that a
reader learns from them without running them.  ``python
docs/execute_notebooks.py`` executes them (with the settings of the
documentation, on the real data) and stores the outputs.  Here:

- the stored notebooks are checked without running anything: every code
  cell has outputs, from one run in order with the documentation settings,
  no errors, figures stored as PNG, each file under 1.5 MB, the headline
  figures present, and each notebook says where its public data are;
- each notebook is executed again, the same way (the real data from the
  ``shared_data`` fixture, so in CI they fail when the data are missing),
  and the text of every code cell's output must equal the stored text
  (figures are compared by their presence): a change in the library that
  changes what a notebook shows fails here until the notebooks are executed
  and stored again;
- without the real data, the notebooks that need them run on the built-in
  synthetic sample (in fast mode, ``PEERSCOPE_NOTEBOOK_FAST=1``) and say so.

nbclient, nbformat and ipykernel (the docs extra) are skipped with the reason
when missing, except in CI.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
QUICKSTART = "01-quickstart.ipynb"
PARTICIPATION = "02-participation-and-reciprocity.ipynb"
TOPICS_SUPPORT = "03-topics-and-support.ipynb"
REFRESH = "python docs/execute_notebooks.py"


def _require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        reason = f"{module} is not installed (pip install -e '.[docs]')"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def _executor():
    """docs/execute_notebooks.py, the script that executes and stores the notebooks."""
    spec = importlib.util.spec_from_file_location("execute_notebooks", REPO / "docs" / "execute_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stored(name: str):
    nbformat = _require("nbformat")
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def _text(shown: list[list[str]]) -> str:
    return "\n".join(text for cell in shown for text in cell)


def _run(name: str, shared_data: Path | None, **kw) -> list[list[str]]:
    """Execute the notebook as the stored one was executed; return each code cell's text outputs."""
    _require("nbformat")
    _require("nbclient")
    _require("ipykernel")
    executor = _executor()
    notebook = executor.execute(NOTEBOOKS / name, shared_data=shared_data, **kw)  # raises naming the failed cell
    return executor.text_outputs(notebook)


def _assert_same_as_stored(name: str, now: list[list[str]]) -> None:
    """Every code cell shows now what the stored notebook shows, else name the first cell that differs."""
    stored_notebook = _stored(name)
    stored = _executor().text_outputs(stored_notebook)
    sources = [cell.source for cell in stored_notebook.cells if cell.cell_type == "code"]
    assert len(now) == len(stored)
    for number, (old, new) in enumerate(zip(stored, now), start=1):
        if old != new:
            diff = "\n".join(difflib.unified_diff("\n".join(old).splitlines(), "\n".join(new).splitlines(),
                                                  "stored", "now", lineterm="", n=1))
            pytest.fail(f"{name}: code cell {number} ({sources[number - 1].splitlines()[0]!r}) shows something "
                        f"else now than its stored output; run `{REFRESH} {name}` and commit it:\n{diff[:3000]}")


# ---------------------------------------------------------------------------
# The stored notebooks, without running them
# ---------------------------------------------------------------------------

def test_notebooks_are_stored_with_outputs_of_one_run():
    nbformat = _require("nbformat")
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == [QUICKSTART, PARTICIPATION, TOPICS_SUPPORT]
    for name in names:
        size = (NOTEBOOKS / name).stat().st_size
        assert size < 1_500_000, f"{name} weighs {size:,} bytes: make its figures smaller or fewer"
        notebook = _stored(name)
        nbformat.validate(notebook)
        assert notebook.metadata.get("peerscope", {}).get("fast") is False, \
            f"{name} is not stored with the documentation settings: run `{REFRESH} {name}`"
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert code, name
        # one run, top to bottom, every cell showing something, nothing failing
        assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), \
            f"{name} was not stored from one run in order: run `{REFRESH} {name}`"
        empty = [i for i, c in enumerate(code, start=1) if not c.outputs]
        assert not empty, f"{name}: code cells {empty} have no stored output: run `{REFRESH} {name}`"
        errors = [o.get("ename") for c in code for o in c.outputs if o.output_type == "error"]
        assert not errors, f"{name} is stored with errors {errors}"
        for cell in code:
            for output in cell.outputs:
                data = output.get("data", {})
                # figures as PNG only (no SVG or PDF copies), and no widget outputs a static page cannot show
                assert not {"image/svg+xml", "application/pdf"} & set(data), name
                assert "application/vnd.jupyter.widget-view+json" not in data, name
                assert "execution" not in cell.metadata, f"{name}: timing metadata stored"


def test_stored_outputs_show_the_headline_figures():
    executor = _executor()
    shown = {name: executor.text_outputs(_stored(name)) for name in (QUICKSTART, PARTICIPATION, TOPICS_SUPPORT)}
    figures = {name: _text(cells).count("[image/png]") for name, cells in shown.items()}
    assert figures[QUICKSTART] >= 2 and figures[PARTICIPATION] >= 3, figures

    quickstart = _text(shown[QUICKSTART])
    # 20,000 posts, seed 1 (the sample of `peerscope report --sample`): the planted truth is recovered
    assert "members: 2500 | posters: 1000 | lurker share: 0.6\n" in quickstart
    assert "planted lurker share: 0.6\n" in quickstart
    measured, planted = re.search(r"dyadic reciprocity: ([\d.]+) \(\d+ of \d+ edges returned\); planted: ([\d.]+)",
                                  quickstart).groups()
    assert measured == planted
    assert "report: lurkers 60.0%" in quickstart

    participation = _text(shown[PARTICIPATION])
    assert "data: the Stack Exchange dump of quantumcomputing.stackexchange.com, 2018" in participation
    assert "members 3460 | posters 402 | lurkers 3058 | lurker share 0.8838 | basis: roster" in participation
    assert "Gini over members n= 3460: 0.9752" in participation
    for row in ("superusers             71.35             74.7", "contributors           27.55             24.0",
                "lurkers                 1.10              1.3"):
        assert row in participation
    assert "dyadic reciprocity 0.3715: 658 of 1771 distinct edges returned" in participation
    assert "cannot be counted from posts alone" in participation

    topics_support = _text(shown[TOPICS_SUPPORT])
    assert "ALSForums documents: 2447 | terms kept: 2960" in topics_support   # names and forum filler left out
    assert "supporter turns: train 12759 | test 2895" in topics_support
    assert "macro F1            0.703    0.497" in topics_support
    # the documented pitfall: ESConv's error rates do not fit the forum
    adjusted_sum = float(topics_support.split("sum of adjusted shares:")[1].split()[0])
    assert adjusted_sum > 1.05


def test_notebooks_say_where_their_data_are():
    def markdown(name):
        return " ".join(" ".join(c.source.split()) for c in _stored(name).cells if c.cell_type == "markdown")

    assert "No real data are needed" in markdown(QUICKSTART)
    participation = markdown(PARTICIPATION)
    assert "https://archive.org/download/stackexchange/quantumcomputing.stackexchange.com.7z" in participation
    assert 'fetch("stackexchange/quantumcomputing")' in participation
    topics_support = markdown(TOPICS_SUPPORT)
    assert "https://github.com/thu-coai/Emotional-Support-Conversation" in topics_support
    assert 'fetch("esconv")' in topics_support
    for text in (participation, topics_support):
        assert "built-in synthetic sample" in text and "not redistributable" in text


# ---------------------------------------------------------------------------
# Executed again: the stored outputs are what the code shows now
# ---------------------------------------------------------------------------

def test_a_changed_output_is_caught():
    """The comparison names the cell whose text changed (and accepts the stored outputs themselves)."""
    stored = _executor().text_outputs(_stored(PARTICIPATION))
    _assert_same_as_stored(PARTICIPATION, stored)
    number = next(i for i, cell in enumerate(stored) if any("members 3460 |" in text for text in cell))
    changed = [list(cell) for cell in stored]
    changed[number] = [text.replace("members 3460 |", "members 3461 |") for text in changed[number]]
    with pytest.raises(pytest.fail.Exception, match=f"(?s)code cell {number + 1} .*[+]members 3461"):
        _assert_same_as_stored(PARTICIPATION, changed)


def test_quickstart_matches_its_stored_outputs(tmp_path):
    now = _run(QUICKSTART, None, out=tmp_path)   # the built-in sample: no real data needed
    assert (tmp_path / "report" / "report.html").is_file() and (tmp_path / "sample-community" / "corpus.json").is_file()
    _assert_same_as_stored(QUICKSTART, now)


def test_participation_notebook_matches_its_stored_outputs(shared_data):
    now = _run(PARTICIPATION, shared_data)
    assert "members 3460 | posters 402" in _text(now)
    _assert_same_as_stored(PARTICIPATION, now)


def test_topics_and_support_notebook_matches_its_stored_outputs(shared_data):
    now = _run(TOPICS_SUPPORT, shared_data)
    assert "supporter turns: train 12759 | test 2895" in _text(now)
    _assert_same_as_stored(TOPICS_SUPPORT, now)


# ---------------------------------------------------------------------------
# Without the data: the built-in sample
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", [PARTICIPATION, TOPICS_SUPPORT])
def test_notebooks_run_on_the_sample_without_the_data(name, tmp_path):
    text = _text(_run(name, tmp_path / "no-data-here", fast=True))
    assert "settings: fast" in text
    assert "the built-in synthetic sample community stands in" in text
    if name == PARTICIPATION:
        assert "basis: roster" in text and "ALSForums was not found" in text
    else:
        assert "the sample's planted support types stand in" in text
        assert "sum of adjusted shares:" in text
