"""The ``peerscope`` command.

Every sub-command turns a :class:`~peerscope.errors.PeerscopeError` into one
line on stderr and exit code 2 (bad input), so shell scripts can tell bad data
from a crash; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import functools
import sys

import click

from peerscope import __version__
from peerscope.errors import PeerscopeError

#: Exit code for bad input (a file, corpus or option that cannot be used).
EXIT_BAD_INPUT = 2


def _friendly(command):
    """Report PeerscopeError as one line and exit 2, unless --debug was given."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return command(*args, **kwargs)
        except PeerscopeError as error:
            if debug:
                raise
            click.echo(f"peerscope: error: {error}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="peerscope")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """Analyse online peer-support communities from a validated Parquet corpus."""


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--posts", "n_posts", type=click.IntRange(min=10), default=20_000, show_default=True,
              help="Number of posts to generate.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same corpus).")
@click.option("--members", "n_members", type=click.IntRange(min=10), default=None,
              help="Roster size (default: posts / 8, at least 50).")
@click.option("--lurker-share", type=click.FloatRange(0, 0.95), default=0.6, show_default=True,
              help="Share of members who never post.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar (default: on a terminal).")
@_friendly
def synth(out, n_posts, seed, n_members, lurker_share, progress):
    """Generate a synthetic community with planted ground truth into OUT.

    OUT/truth.json holds what was planted (lurkers, super-users, reciprocity,
    topics, support types, pathways), for checking that metrics recover it.
    """
    from peerscope import synth as synthetic

    if progress is None:
        progress = sys.stderr.isatty()
    corpus, truth = synthetic.generate(n_posts, seed=seed, path=out, n_members=n_members,
                                       lurker_share=lurker_share, progress=progress)
    click.echo(f"wrote {corpus.manifest['tables']['posts']['rows']:,} posts, "
               f"{corpus.manifest['tables']['members']['rows']:,} members to {out} "
               f"(ground truth in {out}/truth.json)")


@cli.command()
@click.argument("corpus", type=click.Path(exists=True, file_okay=False))
@_friendly
def validate(corpus):
    """Check every rule of the schema on the saved CORPUS; exit 2 if one is broken."""
    from peerscope.corpus import validate_saved

    checked = validate_saved(corpus)
    click.echo(f"{corpus}: valid (" + ", ".join(f"{t} {n:,} rows" for t, n in checked.items()) + ")")


@cli.command()
@click.argument("corpus", type=click.Path(exists=True, file_okay=False))
@click.option("--start", default=None, help="Describe only from this time (UTC unless it has an offset).")
@click.option("--end", default=None, help="Describe only up to (not including) this time.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
@_friendly
def describe(corpus, start, end, fmt):
    """Counts, time span, posters vs members, and what CORPUS can and cannot measure."""
    from peerscope import open_corpus

    description = open_corpus(corpus).window(start, end).describe()
    if fmt == "csv":
        click.echo(description.to_frame().to_csv(index=False), nl=False)
    else:
        click.echo(str(description))


def main() -> None:
    """Entry point of the ``peerscope`` console script."""
    cli(prog_name="peerscope")
