"""The data model: a corpus is a folder of Parquet tables plus a ``corpus.json`` manifest.

Everything in peerscope accepts a :class:`Corpus`, either held in memory
(:meth:`Corpus.from_frames`, a loader) or opened lazily from disk or object
storage (:func:`open_corpus`).

=================================  ===============================================
module                             its one job
=================================  ===============================================
:mod:`~peerscope.corpus.model`     :class:`Corpus`: reading tables lazily, windows, saving
:mod:`~peerscope.corpus.window`    :class:`Window`, a time window [start, end)
:mod:`~peerscope.corpus.schema`    the four tables, their columns and row rules
:mod:`~peerscope.corpus.validation`  :func:`validate_frames`, the gate every corpus passes
:mod:`~peerscope.corpus.writer`    :class:`CorpusWriter`, streaming a corpus to disk
:mod:`~peerscope.corpus.integrity`  :func:`validate_saved`, checking a saved corpus
:mod:`~peerscope.corpus.partition`  monthly files and :func:`repartition`
:mod:`~peerscope.corpus.description`  :func:`describe`: what a corpus can measure
=================================  ===============================================

The manifest, atomic writes, the save lock and remote folders are private
(``_manifest``, ``_storage``, ``_lock``, ``_remote``).  The data model never imports
the measures that use it.
"""

from peerscope.corpus.integrity import validate_saved
from peerscope.corpus.model import Corpus, open_corpus, repartition
from peerscope.corpus.window import Window
from peerscope.corpus.writer import CorpusWriter

__all__ = ["Corpus", "CorpusWriter", "Window", "open_corpus", "repartition", "validate_saved"]
