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

__all__ = ["CorpusSource", "storage_options", "topics_option"]


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


def topics_option(context, parameter, value: str):
    """The ``--topics`` callback of ``report`` and ``compare``: 'auto', None ('none') or a whole number >= 2.

    Examples
    --------
    >>> topics_option(None, None, " Auto "), topics_option(None, None, "none"), topics_option(None, None, "6")
    ('auto', None, 6)
    """
    value = value.strip().lower()
    if value in ("auto", "none"):
        return None if value == "none" else value
    if value.isdigit() and int(value) >= 2:
        return int(value)
    raise click.BadParameter(f"{value!r}: give auto, none or a number of topics (at least 2)",
                             param_hint="--topics")
