"""The documentation: a strict MkDocs build, the doctests, and the figures the pages quote.

CI runs only ``python -m pytest``, so this file is what keeps the docs honest:

- ``mkdocs build --strict`` (Material, mkdocstrings) must pass: a broken
  link, a missing page or a docstring griffe cannot parse fails it;
- every module of ``src/peerscope`` has an API page and every page is in
  the navigation;
- the doctests of every module pass;
- the headline numbers the pages quote from real data are what the code
  gives now, so a change in a loader or measure cannot leave a page stale.

The docs tools (the ``docs`` extra) are skipped with the reason when missing,
except in CI, where they must be installed.
"""

from __future__ import annotations

import doctest
import tempfile
import importlib
import os
import pkgutil
import re
import subprocess
import sys

import pytest

import peerscope

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
MKDOCS_YML = REPO / "mkdocs.yml"

MODULES = sorted(m.name for m in pkgutil.walk_packages(peerscope.__path__, "peerscope."))


def _require(module: str) -> None:
    """Skip without ``module`` (the docs extra), except in CI, where it must be installed."""
    try:
        importlib.import_module(module)
    except ImportError:
        reason = f"{module} is not installed (pip install -e '.[docs]')"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def _page(relative: str) -> str:
    return (DOCS / relative).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------

def test_mkdocs_build_is_strict_and_renders_the_api(tmp_path):
    _require("mkdocs")
    _require("material")
    _require("mkdocstrings_handlers.python")
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(MKDOCS_YML), "--site-dir", str(site)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    assert "WARNING" not in done.stderr
    participation_api = (site / "api" / "participation" / "index.html").read_text(encoding="utf-8")
    # mkdocstrings rendered the docstrings, not just the ::: directive
    assert "Gini coefficient of posts per person" in participation_api
    assert ":::" not in participation_api
    bands = (site / "measures" / "bands" / "index.html").read_text(encoding="utf-8")
    assert "74.7%" in bands and "arithmatex" in bands  # the formula went through arithmatex


def test_every_module_has_an_api_page():
    directives = set()
    for page in (DOCS / "api").glob("*.md"):
        directives |= set(re.findall(r"^::: (peerscope[\w.]*)\s*$", page.read_text(encoding="utf-8"), re.M))
    missing = [m for m in MODULES if m not in directives]
    assert not missing, f"modules without an API page (add '::: module' to docs/api/*.md): {missing}"
    unknown = sorted(directives - set(MODULES))
    assert not unknown, f"API pages name modules that do not exist: {unknown}"


def test_every_page_is_in_the_navigation():
    nav = set(re.findall(r":\s*([\w./-]+\.md)\s*$", MKDOCS_YML.read_text(encoding="utf-8"), re.M))
    own_pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert own_pages - nav == set(), f"pages missing from the nav of mkdocs.yml: {sorted(own_pages - nav)}"
    # scaling.md and benchmarks.md are written separately; everything else the nav names must exist
    absent = sorted(nav - own_pages)
    assert set(absent) <= {"scaling.md", "benchmarks.md"}, f"nav names missing pages: {absent}"


# ---------------------------------------------------------------------------
# Doctests
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", MODULES)
def test_doctests(name, tmp_path, monkeypatch):
    """The Examples of every module's docstrings run and print what they show."""
    monkeypatch.chdir(tmp_path)  # an example that writes files writes them here
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # and its tempfile.mkdtemp() folders too
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    for test in finder.find(module, name, globs=vars(module).copy()):
        test.globs = dict(test.globs)
        runner.run(test, out=report.append)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, "".join(report)


def test_the_doctests_are_many():
    """Guard against a finder that silently finds nothing."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    examples = sum(len(t.examples) for name in MODULES
                   for t in finder.find(importlib.import_module(name), name))
    assert examples >= 50


# ---------------------------------------------------------------------------
# The figures quoted on the pages are what the code gives
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def quantumcomputing(shared_data):
    from peerscope import loaders
    return loaders.stackexchange(shared_data / "stackexchange-quantumcomputing-2018", progress=False)


def test_stackexchange_figures_on_the_pages(quantumcomputing):
    from peerscope import participation, reciprocity

    account = quantumcomputing.manifest["accounting"]["posts"]
    assert (account["rows_read"], account["rows_kept"], account["rows_skipped"]) == (5399, 5085, 314)
    assert "| posts | 5,399 | 5,085 | 314" in _page("loaders/stackexchange.md")

    summary = participation.summary(quantumcomputing)
    assert (summary.members, summary.posters) == (3460, 402)
    lurkers = _page("measures/lurkers.md")
    assert f"{summary.lurker_share:.4f}" == "0.8838" and "**0.8838**" in lurkers
    assert "| 3,460 | 402 |" in lurkers

    inequality_page = _page("measures/superusers-inequality.md")
    assert f"{summary.gini_members.value:.4f}" == "0.9752"
    assert f"**{summary.gini_members.value:.4f}** (95% CI {summary.gini_members.ci_low:.4f}-" \
           f"{summary.gini_members.ci_high:.4f})" in inequality_page
    assert f"{summary.gini_posters.value:.4f} (95% CI {summary.gini_posters.ci_low:.4f}-" \
           f"{summary.gini_posters.ci_high:.4f})" in inequality_page

    bands = {band: f"{100 * share:.2f}%" for band, share in summary.band_shares.items()}
    assert bands == {"superusers": "71.35%", "contributors": "27.55%", "lurkers": "1.10%"}
    bands_page = _page("measures/bands.md")
    for shown, reference in zip(bands.values(), ("74.7%", "24.0%", "1.3%")):
        assert f"**{shown}** | {reference} |" in bands_page

    dyadic = reciprocity.dyadic_reciprocity(quantumcomputing)
    assert (dyadic.reciprocated_edges, dyadic.edges) == (658, 1771)
    assert f"**r = {dyadic.value:.4f}**" in _page("measures/reciprocity.md")


def test_flat_forum_figures_on_the_pages(shared_data):
    from peerscope import loaders, reciprocity

    mapping = {"thread_id": "post_id", "author_id": "user_name", "created_at": "date",
               "text": "body", "title": "title", "is_reply": "reply"}
    als = loaders.table(shared_data / "forum-alsforums-caregivers" / "als.csv", mapping,
                        replies="flat", assume_tz="UTC")
    assert als.manifest["accounting"]["posts"]["rows_kept"] == 2447
    assert "2,447 rows read, 2,447 kept" in _page("loaders/table.md")
    flat = reciprocity.dyadic_reciprocity(als)
    assert f"| ALSForums caregivers | flat | {flat.edges:,} | {flat.value:.4f} |" in _page("measures/reciprocity.md")

    archive = loaders.mbox(shared_data / "mbox-numpy-discussion-2001" / "numpy-discussion-2001-November.txt")
    account = archive.manifest["accounting"]["posts"]
    assert f"| {account['rows_read']} | {account['rows_kept']} | {account['rows_skipped']} (`duplicate Message-ID`)" \
        in _page("loaders/mbox.md")
