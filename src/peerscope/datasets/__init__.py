"""Communities to try peerscope on: a synthetic one with planted truth, tiny examples, and public data.

:mod:`peerscope.datasets.synth`
    :func:`~peerscope.datasets.synth.generate` builds a forum, roster,
    events and peer newsletter of any size in which every measured quantity
    has a known value (the :class:`~peerscope.datasets.synth.Truth`).
:mod:`peerscope.datasets.examples`
    Corpora of a few posts used by the docstring examples.
:func:`fetch` (module ``peerscope.datasets.fetch``)
    Downloads a public source (Stack Exchange dumps by site, ConvoKit
    corpora, CL-Aff OffMyChest, ESConv) into a cache, resumably and
    verified, when called; nothing else in peerscope goes to the network.

``peerscope.synth`` is the same module as ``peerscope.datasets.synth``.
"""

from peerscope.datasets import examples, synth
from peerscope.datasets.fetch import SOURCES, fetch

__all__ = ["SOURCES", "examples", "fetch", "synth"]
