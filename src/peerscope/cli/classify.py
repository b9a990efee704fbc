"""``peerscope classify``: one support type per post of a saved corpus.

``peerscope classify CORPUS [--model forum|PATH]`` labels every post of the
saved corpus folder with a support model (default: the shipped ``forum``
model, :func:`peerscope.support.pretrained`) and streams the labels to
``CORPUS/derived/support.parquet`` batch by batch
(:func:`peerscope.support.classify` with ``return_labels=False``: memory is
bounded by one batch, whatever the corpus size), then prints the share of
each support type.

Examples
--------
.. code-block:: console

    $ peerscope classify als-corpus
    $ peerscope classify als-corpus --model my-coded-model
"""

from __future__ import annotations

import sys

import click

from peerscope.cli.errors import friendly

__all__ = ["classify_command"]


@click.command(name="classify")
@click.argument("corpus", type=click.Path(exists=True, file_okay=False))
@click.option("--model", default="forum", show_default=True,
              help="forum (the shipped model) or the folder of a saved SupportClassifier.")
@click.option("--batch-size", type=click.IntRange(min=1), default=20_000, show_default=True,
              help="Posts labelled per batch (memory is bounded by one batch).")
@click.option("--progress/--no-progress", default=None, help="Show progress (default: on a terminal).")
@friendly
def classify_command(corpus, model, batch_size, progress):
    """Label every post of the saved CORPUS folder with a support type; write CORPUS/derived/support.parquet."""
    from peerscope import support
    from peerscope.corpus import open_corpus

    fitted = support.pretrained(model) if model in support.PRETRAINED else support.SupportClassifier.load(model)
    if progress is None:
        progress = sys.stderr.isatty()
    summary = support.classify(open_corpus(corpus), fitted, batch_size=batch_size, out=True,
                               return_labels=False, progress=progress)
    click.echo(f"labelled {summary.rows:,} posts with {model}; wrote {summary.path}")
    for name, share in summary.shares().sort_index().items():
        click.echo(f"  {name}: {share:.1%}")
