"""The ``peerscope compare`` command: communities side by side, with tests of their differences.

Registered in :mod:`peerscope.cli` as ``cli.add_command(compare_command, "compare")``.
Three designs, one output (the files of ``peerscope report``, one column
per community; see :mod:`peerscope.report.compare`):

- ``peerscope compare A B C --out DIR``: several corpora;
- ``peerscope compare A --windows 2019,2020,2021 --out DIR``: one corpus by
  calendar year (or by boundaries ``2020-01-01,2020-03-15,2021-01-01``);
- ``peerscope compare A --by-channel --out DIR``: one corpus by channel.

Errors in the data or options are one line on stderr and exit code 2
(:func:`peerscope.cli.errors.friendly`).
"""

from __future__ import annotations

import click

from peerscope.cli.errors import friendly
from peerscope.cli.options import CorpusSource, storage_option, storage_options, topics_option

__all__ = ["compare_command"]


def _list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


@click.command(name="compare")
@click.argument("corpora", nargs=-1, required=True, type=CorpusSource())
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write the comparison to.")
@click.option("--names", default=None,
              help="Column names, comma-separated (default: the corpora's names, the years or the channels).")
@click.option("--windows", default=None,
              help="One corpus by time window: years (2019,2020,2021) or boundaries "
                   "(2020-01-01,2020-03-15,2021-01-01).")
@click.option("--by-channel", is_flag=True, help="One corpus by channel of its posts.")
@click.option("--super-users", "super_users", default="top:0.01", show_default=True,
              help="Super-user rule: top:SHARE, share:SHARE, min:POSTS or log:K.")
@click.option("--min-cell", type=click.IntRange(min=1), default=5, show_default=True,
              help="Suppress counts of fewer than K people in published tables.")
@click.option("--replicates", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Bootstrap replicates of the Gini intervals and of the differences.")
@click.option("--topics", "topics", default="auto", show_default=True, callback=topics_option,
              help="Topics of the posts: auto, a number of topics, or none.")
@click.option("--support", "support", default="forum", show_default=True,
              help="Support types of the posts: forum (the shipped model), the folder of a saved model, or none.")
@click.option("--format", "formats", default="md,csv,tex", show_default=True,
              help="Table formats to write, comma-separated: md, csv, tex.")
@click.option("--figures", "figure_formats", default="png", show_default=True,
              help="Figure formats, comma-separated: png, svg (empty: no figures).")
@storage_option
@friendly
def compare_command(corpora, out, names, windows, by_channel, super_users, min_cell, replicates, topics,
                    support, formats, figure_formats, storage_option_pairs):
    """Compare CORPORA (folders or URLs) side by side and write tables, figures and methods to --out.

    With --windows or --by-channel give one CORPUS.
    """
    from peerscope import open_corpus
    from peerscope.report.build import parse_super_users
    from peerscope.report.compare import compare, compare_channels, compare_windows
    from peerscope.report.render import FIGURE_FORMATS, TABLE_FORMATS

    if windows is not None and by_channel:
        raise click.UsageError("give --windows or --by-channel, not both")
    if (windows is not None or by_channel) and len(corpora) != 1:
        raise click.UsageError("--windows and --by-channel split one CORPUS: give exactly one")
    if by_channel and names is not None:
        raise click.UsageError("--names does not apply with --by-channel (the columns are the channels)")
    table_formats = tuple(_list(formats) or ())
    pictures = tuple(_list(figure_formats) or ())
    for chosen, known, option in ((table_formats, TABLE_FORMATS, "--format"),
                                  (pictures, FIGURE_FORMATS, "--figures")):
        unknown = [f for f in chosen if f not in known]
        if unknown:
            raise click.BadParameter(f"unknown {unknown}; choose from {', '.join(known)}", param_hint=option)
    rule = parse_super_users(super_users)  # checked before the (slow) corpora are opened
    options = dict(super_users=rule, min_cell=min_cell, replicates=replicates, topics=topics,
                   support=None if support.strip().lower() == "none" else support)
    opened = [open_corpus(c, storage_options=storage_options(storage_option_pairs, c)) for c in corpora]
    if windows is not None:
        comparison = compare_windows(opened[0], _list(windows), names=_list(names),
                                     figures=bool(pictures), **options)
    elif by_channel:
        comparison = compare_channels(opened[0], figures=bool(pictures), **options)
    else:
        comparison = compare(opened, names=_list(names), figures=bool(pictures), **options)
    target = comparison.write(out, formats=table_formats, figure_formats=pictures)
    click.echo(comparison.summary_line(str(target)))
