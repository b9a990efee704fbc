"""``peerscope repartition`` and ``peerscope synth --partition``: corpora stored by month.

Two click commands for the ``peerscope`` group (registered in
:mod:`peerscope.cli`):

``peerscope repartition CORPUS OUT --by month``
    Rewrite a saved corpus with one Parquet file per month for posts, events
    and newsletter items (``--by none``: back to one file per table); the
    manifest's provenance and row accounting are kept
    (:func:`peerscope.corpus.repartition`).
``peerscope synth OUT [--posts N] ... [--partition month]``
    The synthetic community of :func:`peerscope.datasets.synth.generate`, optionally
    written in the monthly layout, with its ground truth beside it.

Examples
--------
.. code-block:: console

    $ peerscope synth big --posts 10000000 --partition month
    $ peerscope repartition reddit-import reddit-monthly --by month
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import click

from peerscope.cli.errors import friendly
from peerscope.cli.options import CorpusSource, storage_option, storage_options

__all__ = ["TRUTH_FILES", "repartition_command", "synth_command"]

#: Files :func:`peerscope.datasets.synth.generate` writes beside the corpus.
TRUTH_FILES = ("truth.json", "truth_members.parquet", "truth_posts.parquet")
_LAYOUTS = {"month": "month", "none": None}


def _describe(corpus) -> str:
    layout = corpus.layout
    parts = {t: len(corpus.manifest["tables"][t].get("parts", [])) for t, how in layout.items() if how}
    if not parts:
        return "one file per table"
    return "by month (" + ", ".join(f"{t}: {n} files" for t, n in parts.items()) + ")"


@click.command(name="repartition")
@click.argument("corpus", type=CorpusSource())
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--by", type=click.Choice(sorted(_LAYOUTS)), default="month", show_default=True,
              help="month: one Parquet file per month (UTC) for posts, events and newsletter "
                   "items; none: one file per table.")
@storage_option
@friendly
def repartition_command(corpus, out, by, storage_option_pairs):
    """Rewrite the saved CORPUS (a folder or URL) into the folder OUT with another file layout.

    OUT may be CORPUS itself (it is replaced atomically).  Rows, provenance
    and row accounting are unchanged.
    """
    from peerscope.corpus import repartition

    written = repartition(corpus, out, by=_LAYOUTS[by],
                          storage_options=storage_options(storage_option_pairs, corpus))
    rows = written.manifest["tables"]["posts"]["rows"]
    click.echo(f"wrote {corpus} -> {out}: {rows:,} posts, {_describe(written)}")


@click.command(name="synth")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--posts", "n_posts", type=click.IntRange(min=10), default=20_000, show_default=True,
              help="Number of posts to generate.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same corpus).")
@click.option("--members", "n_members", type=click.IntRange(min=10), default=None,
              help="Roster size (default: posts / 8, at least 50).")
@click.option("--lurker-share", type=click.FloatRange(0, 0.95), default=0.6, show_default=True,
              help="Share of members who never post.")
@click.option("--partition", type=click.Choice(sorted(_LAYOUTS)), default="none", show_default=True,
              help="month: write posts, events and newsletter items as one Parquet file per month.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar (default: on a terminal).")
@friendly
def synth_command(out, n_posts, seed, n_members, lurker_share, partition, progress):
    """Generate a synthetic community with planted ground truth into OUT.

    OUT/truth.json holds what was planted (lurkers, super-users, reciprocity,
    topics, support types, pathways), for checking that metrics recover it.
    """
    from peerscope.datasets import synth as synthetic

    if progress is None:
        progress = sys.stderr.isatty()
    options = {"seed": seed, "n_members": n_members, "lurker_share": lurker_share, "progress": progress}
    if _LAYOUTS[partition] is None:
        corpus, _ = synthetic.generate(n_posts, path=out, **options)
    else:
        corpus = _generate_partitioned(Path(out), n_posts, _LAYOUTS[partition], options)
    click.echo(f"wrote {corpus.manifest['tables']['posts']['rows']:,} posts, "
               f"{corpus.manifest['tables']['members']['rows']:,} members to {out}, "
               f"{_describe(corpus)} (ground truth in {out}/truth.json)")


def _generate_partitioned(out: Path, n_posts: int, partition: str, options: dict):
    """Generate into a scratch folder beside ``out``, then rewrite it into ``out`` by month.

    :func:`peerscope.datasets.synth.generate` writes one file per table; the monthly
    copy is streamed, and the ground-truth files move along.
    """
    from peerscope.datasets import synth as synthetic

    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.synth-", dir=out.parent))
    try:
        staged = scratch / "corpus"
        synthetic.generate(n_posts, path=staged, **options)
        from peerscope.corpus import open_corpus

        corpus = open_corpus(staged).save(out, partition=partition)
        for name in TRUTH_FILES:
            if (staged / name).exists():
                shutil.move(os.fspath(staged / name), os.fspath(out / name))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return corpus
