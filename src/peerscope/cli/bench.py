"""The ``peerscope bench`` command: every public corpus found in a folder, beside the published figures.

Registered in :mod:`peerscope.cli.commands` as ``cli.add_command(bench_command, "bench")``.
``peerscope bench [--data DIR] --out DIR`` runs :func:`peerscope.report.bench.bench`:
it loads every known corpus under ``--data`` (default
``$PEERSCOPE_SHARED_DATA``, else ``../shared/data``), writes their
comparison (the files of ``peerscope compare``) and the ``corpora``,
``published`` and ``labelled_support`` tables with ``bench.md``, and lists
the sources it did not find.

Errors in the data or options are one line on stderr and exit code 2
(:func:`peerscope.cli.errors.friendly`).
"""

from __future__ import annotations

import click

from peerscope.cli.errors import friendly
from peerscope.cli.options import topics_option

__all__ = ["bench_command"]


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@click.command(name="bench")
@click.option("--data", "data_dir", default=None, type=click.Path(file_okay=False),
              help="Folder of public corpora (default: $PEERSCOPE_SHARED_DATA, else ../shared/data).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write the bench to.")
@click.option("--replicates", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Bootstrap replicates of the Gini intervals and of the differences.")
@click.option("--topics", "topics", default="none", show_default=True, callback=topics_option,
              help="Topics of each community's posts: none, auto, or a number of topics.")
@click.option("--support", "support", default="none", show_default=True,
              help="Support types of the communities' posts: none, forum (the shipped model) or a saved model.")
@click.option("--format", "formats", default="md,csv,tex", show_default=True,
              help="Table formats to write, comma-separated: md, csv, tex.")
@click.option("--figures", "figure_formats", default="png", show_default=True,
              help="Figure formats, comma-separated: png, svg (empty: no figures).")
@friendly
def bench_command(data_dir, out, replicates, topics, support, formats, figure_formats):
    """Run the analysis on every public corpus found in --data and set it beside the published figures."""
    from peerscope.report.bench import bench

    pictures = _list(figure_formats)
    result = bench(data_dir, out, replicates=replicates, topics=topics,
                   support=None if support.strip().lower() == "none" else support,
                   figures=bool(pictures), formats=_list(formats), figure_formats=pictures)
    click.echo(result.summary_line(out))
