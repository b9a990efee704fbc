"""Reciprocity and responsiveness: who gives and who receives support.

Reciprocity -- giving as well as receiving -- is the mechanism the
peer-support literature puts at the centre; online it is "more generalised"
and less balanced than one to one (docs/concepts.md, "Reciprocity").  As in
networkx, the graph is built once and every measure is one function of it,
one module per measure, whose docstring gives the definition as a formula,
the case where it is undefined and its source:

===================================  =============================================  ==================
function                             measure                                        module
===================================  =============================================  ==================
:func:`reply_graph`                  who replies to whom: a :class:`ReplyGraph`     ``graph``
                                     (edge list, accounting, flat or nested
                                     threads; networkx / GraphML)
:func:`dyadic_reciprocity`           share of edges whose reverse exists            ``dyadic``
:func:`give_receive`                 replies given/received, balance, roles         ``balance``
:func:`generalised_reciprocity`      paying forward after receiving                 ``generalised``
:func:`serial_reciprocity`           giving share over each member's tenure         ``serial``
:func:`responsiveness`               answered opening posts, time to first reply,   ``response_times``
                                     return of the opening poster
:func:`exchanges`                    A -> B -> A exchanges per thread               ``motifs``
:func:`summary`                      all of the above from one graph                ``overview``
===================================  =============================================  ==================

The modules of ``responsiveness`` and ``summary`` are ``response_times`` and
``overview``, so that ``peerscope.reciprocity.summary`` and
``peerscope.reciprocity.responsiveness`` always name the functions.

Every measure takes as its first argument ``graph``: a :class:`ReplyGraph`,
or a :class:`~peerscope.Corpus` (pandas or Dask engine, same numbers) from
which it builds one, for the optional window ``[start, end)``.  Build the
graph once with :func:`reply_graph` to compute several measures from one
read; a graph's window is fixed, so ``start``/``end`` with a graph raise a
:class:`~peerscope.PeerscopeError`.  Results are frozen dataclasses whose
``to_frame()`` carries the parameters used.  Only the id and time columns
of ``posts`` are read, never the text.

Examples
--------
>>> from peerscope.datasets.examples import tiny_thread
>>> from peerscope import reciprocity
>>> graph = reciprocity.reply_graph(tiny_thread())   # ann <-> bob, cat -> ann
>>> reciprocity.dyadic_reciprocity(graph).reciprocated_edges, reciprocity.exchanges(graph).total
(2, 1)
"""

from peerscope.reciprocity.balance import Balance, give_receive
from peerscope.reciprocity.dyadic import DyadicReciprocity, dyadic_reciprocity
from peerscope.reciprocity.generalised import GeneralisedReciprocity, generalised_reciprocity
from peerscope.reciprocity.graph import ReplyGraph, reply_graph
from peerscope.reciprocity.motifs import Motifs, exchanges
from peerscope.reciprocity.response_times import Responsiveness, responsiveness
from peerscope.reciprocity.serial import SerialReciprocity, serial_reciprocity
from peerscope.reciprocity.overview import ReciprocitySummary, summary

__all__ = ["Balance", "DyadicReciprocity", "GeneralisedReciprocity", "Motifs",
           "ReciprocitySummary", "ReplyGraph", "Responsiveness", "SerialReciprocity",
           "dyadic_reciprocity", "exchanges", "generalised_reciprocity", "give_receive",
           "reply_graph", "responsiveness", "serial_reciprocity", "summary"]
