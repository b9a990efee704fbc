"""The ``peerscope`` command.

Every sub-command turns a :class:`~peerscope.errors.PeerscopeError` into one
line on stderr and exit code 2 (bad input), so shell scripts can tell bad data
from a crash; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys

import click

from peerscope import __version__
from peerscope.cli.options import CorpusSource, storage_option, storage_options
from peerscope.cli.bench import bench_command
from peerscope.cli.classify import classify_command
from peerscope.cli.compare import compare_command
from peerscope.cli.errors import friendly as _friendly
from peerscope.cli.partition import repartition_command, synth_command
from peerscope.cli.report import report_command

__all__ = ["cli", "main"]

@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="peerscope")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """Analyse online peer-support communities from a validated Parquet corpus."""


@cli.command()
@click.argument("corpus", type=click.Path(exists=True, file_okay=False))
@_friendly
def validate(corpus):
    """Check every rule of the schema on the saved CORPUS; exit 2 if one is broken."""
    from peerscope.corpus import validate_saved

    checked = validate_saved(corpus)
    click.echo(f"{corpus}: valid (" + ", ".join(f"{t} {n:,} rows" for t, n in checked.items()) + ")")


@cli.command()
@click.argument("corpus", type=CorpusSource())
@click.option("--start", default=None, help="Describe only from this time (UTC unless it has an offset).")
@click.option("--end", default=None, help="Describe only up to (not including) this time.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
@storage_option
@_friendly
def describe(corpus, start, end, fmt, storage_option_pairs):
    """Counts, time span, posters vs members, and what CORPUS (a folder or URL) can and cannot measure."""
    from peerscope.corpus import open_corpus
    from peerscope.corpus.description import describe as describe_corpus

    opened = open_corpus(corpus, storage_options=storage_options(storage_option_pairs, corpus))
    description = describe_corpus(opened.window(start, end))
    if fmt == "csv":
        click.echo(description.to_frame().to_csv(index=False), nl=False)
    else:
        click.echo(str(description))


#: Options of ``peerscope import`` that only some formats take, and which.
_FORMAT_OPTIONS = {
    "table": {"mapping", "extract", "replies", "date_format", "assume_tz", "anonymous", "deleted", "bot",
              "file_format", "member_attributes"},
    "nested": {"mapping", "children_key", "date_format", "assume_tz", "anonymous", "deleted", "bot"},
    "stackexchange": {"site", "progress", "workers"},
    "reddit": {"comments", "progress"},
    "mbox": {"strip_quotes", "channel", "assume_tz"},
    "newsletter": {"newsletter", "issue_pattern", "staff"},
    "convokit": set(),
}
#: Loaders that stream straight to the output folder (bounded memory on big dumps).
_STREAMING = {"stackexchange", "reddit"}
#: Repeatable ``CORPUS_COLUMN=VALUE`` options parsed into dicts: option -> (flag, form shown in
#: errors, whether to strip spaces from the value; a pattern is kept as typed, its spaces may matter).
_PAIR_OPTIONS = {"mapping": ("--map", "CORPUS_COLUMN=SOURCE_COLUMN", True),
                 "extract": ("--extract", "CORPUS_COLUMN=REGEX", False),
                 "member_attributes": ("--member-attribute", "NAME=SOURCE_COLUMN", True)}


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    flag, form, strip = _PAIR_OPTIONS[option]
    pairs = {}
    for value in values:
        corpus_column, sep, right = value.partition("=")
        if not sep or not corpus_column.strip() or not right.strip():
            raise click.BadParameter(f"{value!r} is not {form}", param_hint=flag)
        if corpus_column.strip() in pairs:
            raise click.BadParameter(f"{corpus_column.strip()!r} is given twice", param_hint=flag)
        pairs[corpus_column.strip()] = right.strip() if strip else right
    return pairs


@cli.command(name="import")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(sorted(_FORMAT_OPTIONS)))
@click.argument("source", type=click.Path(exists=True))
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--name", default=None, help="Corpus name (default: the source's name).")
@click.option("--repair", is_flag=True, help="Quarantine rows that break a rule instead of stopping.")
@click.option("--pseudonymise-salt-env", "salt_env", metavar="VAR", default=None,
              help="Replace member ids by keyed hashes, with the secret salt read from "
                   "environment variable VAR (at least 16 characters; never stored; kept out "
                   "of shell history).")
@click.option("--scrub-pii", is_flag=True, help="Remove e-mail addresses, URLs, phone numbers and @handles from text.")
@click.option("--map", "mapping", multiple=True, metavar="COLUMN=SOURCE",
              help="table/nested: corpus column = source column (repeat).")
@click.option("--extract", multiple=True, metavar="COLUMN=REGEX",
              help="table: take a mapped column's value from the one capture group of REGEX, "
                   r"e.g. thread_id='-(\d+)\.htm' for a thread id in a URL (repeat).")
@click.option("--member-attribute", "member_attributes", multiple=True, metavar="NAME=SOURCE",
              help="table: a member attribute taken from a per-post column, e.g. "
                   "diagnosis=user_diagnosis (repeat); conflicting values are counted, the most "
                   "frequent kept.")
@click.option("--replies", type=click.Choice(["parent", "flat"]), default=None,
              help="table: replies name their parent, or are flat (all reply to the opening post).")
@click.option("--format", "file_format", default=None, help="table: csv, tsv, json, jsonl or parquet (default: by extension).")
@click.option("--children-key", default=None, help="nested: key of the list of child nodes.")
@click.option("--date-format", default=None, help="table/nested: strftime format of the dates.")
@click.option("--assume-tz", default=None, help="Timezone of times written without one (e.g. UTC, Europe/London).")
@click.option("--anonymous", multiple=True, help="table/nested: author name shared by many people, e.g. Guest (repeat).")
@click.option("--deleted", multiple=True, help="table/nested: author name of deleted accounts, e.g. [deleted] (repeat).")
@click.option("--bot", multiple=True, help="table/nested: author name of a bot (repeat).")
@click.option("--site", default=None, help="stackexchange: site host name used as channel.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="stackexchange: processes parsing big XML files (default: CPUs, at most 4).")
@click.option("--comments", type=click.Path(exists=True), default=None, help="reddit: a second file of comments.")
@click.option("--strip-quotes", is_flag=True, help="mbox: remove quoted lines and attributions.")
@click.option("--channel", default=None, help="mbox: channel name (default: the list's name).")
@click.option("--newsletter", default=None, help="newsletter: its name.")
@click.option("--issue-pattern", default=None, help="newsletter: regex with a named group 'date' for issue file names.")
@click.option("--staff", multiple=True, help="newsletter: contributor names that are staff, not members (repeat).")
@click.option("--progress/--no-progress", default=None,
              help="stackexchange/reddit: show a progress bar (default: on a terminal); the other "
                   "formats read in one pass and show none.")
@_friendly
def import_(fmt, source, out, name, repair, salt_env, scrub_pii, **options):
    """Import SOURCE in FORMAT into a validated corpus at OUT.

    Every row read is accounted for in OUT/corpus.json: kept, skipped with a
    reason, or quarantined (with --repair) in OUT/quarantine/.
    """
    import os

    from peerscope import loaders

    salt = None
    if salt_env is not None:
        salt = os.environ.get(salt_env)
        if not salt:
            raise click.BadParameter(f"environment variable {salt_env} is not set or empty",
                                     param_hint="--pseudonymise-salt-env")
        from peerscope.privacy import MIN_SALT_LENGTH

        if len(salt) < MIN_SALT_LENGTH:
            raise click.BadParameter(f"the salt in {salt_env} has {len(salt)} characters; use at least "
                                     f"{MIN_SALT_LENGTH}", param_hint="--pseudonymise-salt-env")
    given = {key for key, value in options.items() if value not in (None, False, ())}
    unusable = sorted(given - _FORMAT_OPTIONS[fmt])
    if unusable:
        flags = ", ".join("--" + key.replace("_", "-") for key in unusable)
        raise click.UsageError(f"{flags} cannot be used with format {fmt}")
    kwargs = {"name": name, "repair": repair, "pseudonymise": salt, "scrub_pii": scrub_pii}
    renames = {"anonymous": "anonymous_authors", "deleted": "deleted_authors", "bot": "bot_authors",
               "file_format": "fmt"}
    for key in given:
        value = options[key]
        kwargs[renames.get(key, key)] = _pairs(value, key) if key in _PAIR_OPTIONS else value
    if fmt in _STREAMING:
        kwargs.setdefault("progress", sys.stderr.isatty())
        corpus = getattr(loaders, fmt)(source, out=out, **kwargs)
    else:
        if fmt == "table" and "mapping" not in kwargs:
            raise click.UsageError("format table needs --map COLUMN=SOURCE for each corpus column")
        corpus = getattr(loaders, fmt)(source, **kwargs).save(out)
    accounting = corpus.manifest["accounting"]
    summary = ", ".join(f"{t}: {a['rows_read']:,} read, {a['rows_kept']:,} kept, "
                        f"{a['rows_skipped']:,} skipped, {a['rows_quarantined']:,} quarantined"
                        for t, a in accounting.items())
    click.echo(f"imported {source} -> {out} ({summary})")


@cli.command()
@click.argument("corpus", type=CorpusSource())
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--to", "target", type=click.Choice(["convokit"]), default="convokit", show_default=True)
@storage_option
@_friendly
def export(corpus, out, target, storage_option_pairs):
    """Write CORPUS (a folder or URL) to the folder OUT in another tool's format (ConvoKit)."""
    from peerscope.corpus import open_corpus
    from peerscope.loaders.convokit import to_convokit

    to_convokit(open_corpus(corpus, storage_options=storage_options(storage_option_pairs, corpus)), out)
    click.echo(f"wrote {corpus} as a ConvoKit corpus to {out}")


cli.add_command(report_command, "report")
cli.add_command(classify_command, "classify")
cli.add_command(compare_command, "compare")
cli.add_command(bench_command, "bench")
cli.add_command(synth_command, "synth")
cli.add_command(repartition_command, "repartition")


def main() -> None:
    """Entry point of the ``peerscope`` console script.

    Reads the command line from ``sys.argv`` and exits the process (click's
    standalone mode): 0 on success, 2 on bad input, 1 on a crash.

    Examples
    --------
    >>> from unittest import mock
    >>> with mock.patch("sys.argv", ["peerscope", "--version"]):
    ...     try:
    ...         main()
    ...     except SystemExit as done:
    ...         print("exit code", done.code)
    peerscope, version ...
    exit code 0
    """
    cli(prog_name="peerscope")
