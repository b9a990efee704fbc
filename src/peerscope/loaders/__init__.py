"""Loaders: real sources -> validated :class:`~peerscope.Corpus` (or tidy frames).

One module per source format.  Every loader accounts for every row it read
(kept, skipped with a reason, or quarantined) in the corpus manifest, and
turns malformed input into a :class:`~peerscope.errors.PeerscopeError` that
names the file, line or row and column.

==================  =========================================  ==================
function            source                                     module
==================  =========================================  ==================
``table``           CSV/TSV, JSON, JSON Lines, Parquet, frame  ``loaders.table``
``nested``          JSON reply trees with a children list      ``loaders.table``
``stackexchange``   Stack Exchange data dump folder            ``loaders.stackexchange``
``reddit``          Pushshift NDJSON (.zst) or PRAW-style CSV  ``loaders.reddit``
``mbox``            mbox / pipermail mailing-list archives     ``loaders.mbox``
``newsletter``      a folder of issues, or an mbox of issues   ``loaders.newsletter``
``convokit``        a ConvoKit corpus folder                   ``loaders.convokit``
``esconv`` ...      labelled support data (tidy DataFrames)    ``loaders.labelled``
==================  =========================================  ==================

Functions are imported on first use, so that one loader's optional
dependency never slows or breaks another's import.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "table": "table",
    "nested": "table",
    "stackexchange": "stackexchange",
    "reddit": "reddit",
    "mbox": "mbox",
    "newsletter": "newsletter",
    "convokit": "convokit",
    "esconv": "labelled",
    "counselchat_mi": "labelled",
    "epitome": "labelled",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'peerscope.loaders' has no attribute {name!r}")
    return getattr(importlib.import_module(f"peerscope.loaders.{module}"), name)
