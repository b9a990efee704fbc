"""The ``peerscope report`` command: a corpus (or the built-in sample) to a paper-ready report.

Registered in :mod:`peerscope.cli` as ``cli.add_command(report_command, "report")``.
Errors in the data or options are one line on stderr and exit code 2, as for
every peerscope command (:func:`peerscope.cli.errors.friendly`).
"""

from __future__ import annotations

import sys

import click

from peerscope.cli.errors import friendly
from peerscope.cli.options import CorpusSource, storage_option, storage_options, topics_option

__all__ = ["report_command"]

#: The built-in synthetic community of ``--sample``: posts and seed.
SAMPLE_POSTS, SAMPLE_SEED = 20_000, 1
#: Default of ``--text-sample`` (that of :func:`peerscope.report.build`, which the command imports late).
TEXT_SAMPLE = 500_000


def _text_sample(value: str) -> int | None:
    """``--text-sample``: a whole number of posts (at least 1), or None for 'all'.

    Examples
    --------
    >>> _text_sample("200000"), _text_sample(" ALL ")
    (200000, None)
    """
    value = value.strip().lower().replace(",", "").replace("_", "")
    if value == "all":
        return None
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise click.BadParameter(f"{value!r}: give a number of posts (at least 1) or all", param_hint="--text-sample")


def _split(value: str, option: str, known: tuple[str, ...]) -> tuple[str, ...]:
    parts = tuple(p.strip().lower() for p in value.split(",") if p.strip())
    unknown = [p for p in parts if p not in known]
    if unknown:
        raise click.BadParameter(f"unknown {unknown}; choose from {', '.join(known)}", param_hint=option)
    return parts


@click.command(name="report")
@click.argument("corpus", required=False, type=CorpusSource())
@click.option("--sample", is_flag=True,
              help=f"Report on the built-in synthetic community ({SAMPLE_POSTS:,} posts, seed {SAMPLE_SEED}).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write the report to.")
@click.option("--start", default=None, help="Analyse from this time (UTC unless it has an offset).")
@click.option("--end", default=None, help="Analyse up to (not including) this time.")
@click.option("--super-users", "super_users", default="top:0.01", show_default=True,
              help="Super-user rule: top:SHARE of posters (0.01 or 1%), share:SHARE of posts, "
                   "min:POSTS, or log:K (log posts K SDs above the mean).")
@click.option("--timezone", default="UTC", show_default=True,
              help="IANA timezone of the hour-of-day profile (e.g. Europe/London).")
@click.option("--min-cell", type=click.IntRange(min=1), default=5, show_default=True,
              help="Suppress counts of fewer than K people in published tables.")
@click.option("--format", "formats", default="md,csv,tex", show_default=True,
              help="Table formats to write, comma-separated: md, csv, tex.")
@click.option("--figures", "figure_formats", default="png", show_default=True,
              help="Figure formats, comma-separated: png, svg (empty: no figures).")
@click.option("--topics", "topics", default="auto", show_default=True, callback=topics_option,
              help="Topics of the posts: auto (k chosen by coherence and stability), a number of "
                   "topics, or none.")
@click.option("--support", "support", default="forum", show_default=True,
              help="Support types of the posts: forum (the shipped model), the folder of a saved "
                   "model, or none.")
@click.option("--text-sample", "text_sample", default=str(TEXT_SAMPLE), show_default=True,
              callback=lambda context, parameter, value: _text_sample(value), metavar="POSTS|all",
              help="Measure topics and support types on a random sample of this many posts when there "
                   "are more (every other measure uses every post), or all.")
@click.option("--by", "by", default=None, metavar="ATTRIBUTE",
              help="Compare the groups of a member attribute (a column of the members table, e.g. "
                   "reason_joined): participation and reciprocity side by side, with tests.")
@click.option("--include-ids", is_flag=True, help="List super-users' member ids in the report.")
@click.option("--include-quotes", is_flag=True, help="Quote the most typical post of each topic (with topics).")
@click.option("--progress/--no-progress", default=None, help="Show progress (default: on a terminal).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Compute on Dask: a scheduler address (tcp://HOST:8786), 'local' for a LocalCluster on "
                   "this machine, or threads, processes, synchronous (needs the dask extra).")
@storage_option
@friendly
def report_command(corpus, sample, out, start, end, super_users, timezone, min_cell, formats,
                   figure_formats, topics, support, text_sample, by, include_ids, include_quotes, progress, scheduler,
                   storage_option_pairs):
    """Write the tables, figures and methods paragraph of CORPUS (a folder or URL; or --sample) to --out.

    OUT/report.html is one self-contained file; OUT/report.md, OUT/tables/
    (CSV, Markdown, LaTeX) and OUT/figures/ hold the same pieces for a paper.
    """
    from peerscope.report.build import build, check_timezone, parse_super_users
    from peerscope.report.render import FIGURE_FORMATS, TABLE_FORMATS

    if sample == (corpus is not None):
        raise click.UsageError("give a CORPUS folder or --sample (not both)")
    if sample and scheduler is not None:
        raise click.UsageError("--scheduler needs a saved CORPUS (the --sample community is built in memory)")
    table_formats = _split(formats, "--format", TABLE_FORMATS)
    pictures = _split(figure_formats, "--figures", FIGURE_FORMATS)
    rule = parse_super_users(super_users)  # checked before the (slow) corpus is opened
    options = storage_options(storage_option_pairs, corpus)
    check_timezone(timezone)
    if progress is None:
        progress = sys.stderr.isatty()
    if sample:
        from peerscope.datasets import synth

        source, _ = synth.generate(SAMPLE_POSTS, seed=SAMPLE_SEED)
    else:
        from peerscope import open_corpus

        source = (open_corpus(corpus, storage_options=options) if scheduler is None else
                  open_corpus(corpus, engine="dask", scheduler=scheduler, storage_options=options))
    report = build(source, start=start, end=end, super_users=rule, timezone=timezone,
                   min_cell=min_cell, topics=topics, text_sample=text_sample,
                   support=None if support.lower() == "none" else support, by=by, include_ids=include_ids,
                   include_quotes=include_quotes, figures=bool(pictures), progress=progress)
    target = report.write(out, formats=table_formats, figure_formats=pictures)
    click.echo(report.summary_line(str(target)))
