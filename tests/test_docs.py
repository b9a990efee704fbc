"""The documentation: a strict MkDocs build, the doctests, and the figures the pages quote.

CI runs only ``python -m pytest``, so this file is what keeps the docs honest:

- ``mkdocs build --strict`` (Material, mkdocstrings) must pass: a broken
  link, a missing page or a docstring griffe cannot parse fails it;
- every public module of ``src/peerscope`` has an API page (private ones,
  with a path part starting with ``_``, have none) and every page is in
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
import re
import subprocess
import sys

import pytest

import peerscope

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
MKDOCS_YML = REPO / "mkdocs.yml"

def _module_names(package_dir) -> list[str]:
    """Dotted names of every module and subpackage under ``package_dir``, found from the files.

    Read from the source tree rather than by importing (``pkgutil.walk_packages``
    silently skips a subpackage whose import fails, and its modules with it).
    """
    names = set()
    for path in package_dir.rglob("*.py"):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if len(parts) > 1 and all(part.isidentifier() for part in parts):
            names.add(".".join(parts))
    return sorted(names)


MODULES = _module_names(__import__("pathlib").Path(peerscope.__file__).resolve().parent)


def is_private(module: str) -> bool:
    """A module is private when any part of its dotted path starts with ``_`` (``peerscope._kernels.links``)."""
    return any(part.startswith("_") for part in module.split("."))


#: The modules that need an API page: the package itself and every module that is not private.
PUBLIC_MODULES = ["peerscope"] + [m for m in MODULES if not is_private(m)]


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


def _api_directives(pages) -> set[str]:
    """The targets of the ``::: module`` directives of the given Markdown pages."""
    directives = set()
    for page in pages:
        directives |= set(re.findall(r"^::: (peerscope[\w.]*)\s*$", page.read_text(encoding="utf-8"), re.M))
    return directives


def _api_page_problems(public: list[str], directives: set[str]) -> dict[str, list[str]]:
    """Public modules without a directive, directives naming private modules, and unknown targets."""
    return {
        "missing": [m for m in public if m not in directives],
        "private": sorted(d for d in directives if is_private(d)),
        "unknown": sorted(d for d in directives if not is_private(d) and d not in public),
    }


def test_every_module_has_an_api_page():
    problems = _api_page_problems(PUBLIC_MODULES, _api_directives((DOCS / "api").glob("*.md")))
    assert not problems["missing"], \
        f"public modules without an API page (add '::: module' to docs/api/*.md): {problems['missing']}"
    assert not problems["private"], \
        f"API pages document private modules (any '_' part), which get no page: {problems['private']}"
    assert not problems["unknown"], f"API pages name modules that do not exist: {problems['unknown']}"


def test_the_api_page_check_catches_what_it_should(tmp_path):
    """A public module without a page is reported; private modules need none and may not have one."""
    assert is_private("peerscope._kernels.links") and is_private("peerscope.corpus._storage")
    assert not is_private("peerscope.corpus.model")
    assert "peerscope._kernels" not in PUBLIC_MODULES and "peerscope.corpus.model" in PUBLIC_MODULES
    page = tmp_path / "api.md"
    page.write_text("# API\n\n::: peerscope.corpus\n\n::: peerscope._kernels.engine\n"
                    "    options:\n      members: false\n", encoding="utf-8")
    problems = _api_page_problems(["peerscope.corpus", "peerscope.corpus.model"], _api_directives([page]))
    assert problems == {"missing": ["peerscope.corpus.model"], "private": ["peerscope._kernels.engine"],
                        "unknown": []}


#: The sections of docs/concepts.md that the source code cites as ``docs/concepts.md, "<heading>"``.
CONCEPT_HEADINGS = ("Forms, channels and participation", "Participation ladder", "Lurker", "De-lurking",
                    "Frequency and length of engagement", "Super-users", "90-9-1", "Reciprocity",
                    "Reply graph", "Topics", "Socio-emotional support", "Newsletters", "Ethics of the data")


def test_concepts_page_has_every_cited_section():
    headings = set(re.findall(r"^## (.+?)\s*$", _page("concepts.md"), re.M))
    assert set(CONCEPT_HEADINGS) <= headings, sorted(set(CONCEPT_HEADINGS) - headings)
    assert "References" in headings
    cited = set()
    for path in (REPO / "src" / "peerscope").rglob("*.py"):
        text = re.sub(r"\s+", " ", path.read_text(encoding="utf-8"))
        cited |= set(re.findall(r'docs/concepts\.md, "([^"]+)"', text))
    assert cited and cited <= headings, f"cited but not on docs/concepts.md: {sorted(cited - headings)}"


def test_docs_point_to_concepts_md_not_to_outside_notes():
    files = [*DOCS.rglob("*.md"), REPO / "README.md", MKDOCS_YML, *(REPO / "notebooks").glob("*.ipynb")]
    stale = [f.relative_to(REPO).as_posix() for f in files
             if re.search(r"CONCEPTS\.md|shared/CONCEPTS|shared/DESIGN", f.read_text(encoding="utf-8"))]
    assert stale == [], f"link to docs/concepts.md instead: {stale}"


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
