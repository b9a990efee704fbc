"""peerscope: computational analysis of online peer-support communities.

Load forums, mailing lists and peer newsletters into one validated Parquet
corpus, then measure participation (lurkers, super-users, inequality,
engagement), reciprocity, pluralistic use of forms of support, topics and
support types, and write paper-ready reports.

``import peerscope`` loads nothing else and changes nothing outside
peerscope (no environment variable, no memory pool): each public module and
name below is imported on first use (PEP 562).

=====================  =====================================================
public module          what a researcher finds there
=====================  =====================================================
``corpus``             :class:`Corpus`, :func:`open_corpus`, the schema
``loaders``            Stack Exchange, Reddit, mbox, newsletters, ConvoKit, tables
``datasets``           the synthetic community (``synth``) and tiny examples
``privacy``            pseudonymous ids, PII scrubbing
``participation``      lurkers, super-users, 90-9-1 bands, activity;
                       ``inequality``, ``superusers``, ``engagement``
``reciprocity``        reply graph, dyadic / generalised / serial, balance
``pluralism``          forms of support per member; ``newsletters``
``text``, ``topics``   preprocessing; LDA / NMF, coherence, prevalence
``support``            socio-emotional support types: lexicon, classifier
``report``             tables, figures and methods text for a paper
``errors``             :class:`PeerscopeError` and its subclasses
=====================  =====================================================

``peerscope.engagement``, ``peerscope.inequality``, ``peerscope.superusers``,
``peerscope.newsletters`` and ``peerscope.synth`` name the modules where they
live (``peerscope.participation.engagement``, ...,
``peerscope.datasets.synth``).

>>> import peerscope
>>> peerscope.__version__
'0.1.0'
>>> sorted(set(peerscope.__all__) - set(dir(peerscope)))
[]
"""

import importlib

__version__ = "0.1.0"

#: Public modules, by the name they have under ``peerscope``.
_MODULES = {
    "corpus": "peerscope.corpus",
    "loaders": "peerscope.loaders",
    "datasets": "peerscope.datasets",
    "privacy": "peerscope.privacy",
    "participation": "peerscope.participation",
    "inequality": "peerscope.participation.inequality",
    "superusers": "peerscope.participation.superusers",
    "engagement": "peerscope.participation.engagement",
    "reciprocity": "peerscope.reciprocity",
    "pluralism": "peerscope.pluralism",
    "newsletters": "peerscope.pluralism.newsletters",
    "text": "peerscope.text",
    "topics": "peerscope.topics",
    "support": "peerscope.support",
    "report": "peerscope.report",
    "synth": "peerscope.datasets.synth",
    "errors": "peerscope.errors",
}
#: Public names defined in a module, by the module that defines them.
_NAMES = {
    "Corpus": "peerscope.corpus",
    "CorpusWriter": "peerscope.corpus",
    "open_corpus": "peerscope.corpus",
    "describe": "peerscope.corpus.description",
    "PeerscopeError": "peerscope.errors",
    "set_memory_pool": "peerscope._kernels.memory",
}

__all__ = sorted([*_MODULES, *_NAMES, "__version__"])


def __getattr__(name: str):
    """Import a public module or name on first use, and keep it (PEP 562)."""
    if name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    elif name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    else:
        raise AttributeError(f"module 'peerscope' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
