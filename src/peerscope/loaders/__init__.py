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

The one exporter, ``to_convokit(corpus, folder)``, writes a corpus back in
ConvoKit's format (``loaders.convokit``).

The loader functions are bound here after their modules, so
``peerscope.loaders.table`` is always the function, even once the module of
the same name has been imported.  Optional dependencies (defusedxml,
zstandard) are imported inside the loaders that need them.
"""

from __future__ import annotations

from peerscope.loaders.convokit import convokit, to_convokit
from peerscope.loaders.labelled import counselchat_mi, epitome, esconv
from peerscope.loaders.mbox import mbox
from peerscope.loaders.newsletter import newsletter
from peerscope.loaders.reddit import reddit
from peerscope.loaders.stackexchange import stackexchange
from peerscope.loaders.table import nested, table

__all__ = ["convokit", "counselchat_mi", "epitome", "esconv", "mbox", "nested", "newsletter",
           "reddit", "stackexchange", "table", "to_convokit"]
