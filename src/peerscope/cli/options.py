"""Arguments the ``peerscope`` commands share: a corpus to read, locally or from a URL.

Commands that only read a corpus (``describe``, ``report``, ``export``,
``repartition``) take a local folder or any URL :func:`peerscope.open_corpus`
reads (``s3://``, ``gs://``, ``abfs://``, ``file://``, chained
``simplecache::s3://``), with the file system's options given as
``--storage-option KEY=VALUE``.  Commands that write or validate a corpus
take local folders only, as the library does.
"""

from __future__ import annotations

import json

import click

from peerscope.corpus._remote import _is_remote

__all__ = ["CorpusSource", "storage_options"]


class CorpusSource(click.ParamType):
    """A saved corpus to read: an existing local folder, or a URL (checked when opened).

    Examples
    --------
    >>> CorpusSource().convert("s3://bucket/forum", None, None)
    's3://bucket/forum'
    """

    name = "corpus"

    def convert(self, value, param, ctx):
        if _is_remote(value):
            return value
        if isinstance(value, str) and value.startswith("file://"):
            value = value[len("file://"):]
        return click.Path(exists=True, file_okay=False).convert(value, param, ctx)


#: ``--storage-option KEY=VALUE`` (repeatable), parsed by :func:`storage_options`.
storage_option = click.option(
    "--storage-option", "storage_option_pairs", multiple=True, metavar="KEY=VALUE",
    help="URLs only: an option of the file system (repeat), e.g. anon=true or "
         "endpoint_url=https://... for s3fs; values are read as JSON when they parse (true, 3), "
         "else as text.  Credentials are best left to the file system's own configuration.")


def storage_options(pairs: tuple[str, ...], corpus: str | None) -> dict | None:
    """The ``--storage-option`` pairs as a dict (None when none were given).

    Raises :class:`click.BadParameter` for a pair without ``=`` or options
    given for a local corpus.

    Examples
    --------
    >>> storage_options(("anon=true", "endpoint_url=http://minio:9000", "retries=3"), "s3://b/f")
    {'anon': True, 'endpoint_url': 'http://minio:9000', 'retries': 3}
    """
    if not pairs:
        return None
    if corpus is None or not _is_remote(corpus):
        raise click.BadParameter("storage options apply only to a corpus read from a URL",
                                 param_hint="--storage-option")
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r}: expected KEY=VALUE", param_hint="--storage-option")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options
