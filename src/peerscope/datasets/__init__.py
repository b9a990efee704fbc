"""Communities to try peerscope on: a synthetic one with planted truth, and tiny examples.

:mod:`peerscope.datasets.synth`
    :func:`~peerscope.datasets.synth.generate` builds a forum, roster,
    events and peer newsletter of any size in which every measured quantity
    has a known value (the :class:`~peerscope.datasets.synth.Truth`).
:mod:`peerscope.datasets.examples`
    Corpora of a few posts used by the docstring examples.

``peerscope.synth`` is the same module as ``peerscope.datasets.synth``.
"""

from peerscope.datasets import examples, synth

__all__ = ["examples", "synth"]
