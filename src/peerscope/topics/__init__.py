"""Topic models of forum posts and newsletter items: LDA and NMF, coherence, choosing k, topics by group and time.

The study this package is built to reproduce, and improve on: Carron-Arthur
et al. (2016) fitted LDA to 131,004 posts of the BlueBoard depression forum,
chose 25 topics by diagnostics and reading, and compared super-users with
other members topic by topic with odds ratios and confidence intervals.
With peerscope::

    from peerscope import participation, topics

    bow = topics.bag_of_words(corpus)                  # streamed, cached beside the corpus
    table = topics.sweep(bow, ks=range(5, 41, 5))      # NPMI, u_mass, diversity per k
    model = topics.fit(bow, k=25, seed=1)              # or k="auto": model.sweep_table
    topics.coherence_baseline(model)                   # NPMI of the same model on shuffled words
    model.top_terms(10)
    model.label(3, "Parenting role")
    supers = participation.summary(corpus).super_users
    topics.prevalence(model, by=supers)                # odds ratios, 95% CI, chi-square
    topics.prevalence(model, by="month")               # prevalence over time
    by_reason = topics.prevalence(model, by="reason_joined", corpus=corpus)   # a member attribute
    topics.plot_prevalence(by_reason)                  # the groups' topic shares side by side

    both = topics.fit(corpus, k=15, table="all")       # posts and newsletter items, one topic space
    topics.prevalence(both, by="source")               # newsletter items against forum posts
    topics.lagged_echo(both, max_lag=6)                # do newsletter topics follow the forum's?

Modules: :mod:`~peerscope.topics.model` (fit, :class:`TopicModel`, save and
load without pickle), :mod:`~peerscope.topics.quality` (coherence, diversity),
:mod:`~peerscope.topics.sweep` (choosing k), :mod:`~peerscope.topics.prevalence`
(group comparison, prevalence over time).  Preprocessing is
:mod:`peerscope.text`.
"""

from peerscope.text import BagOfWords, Preprocessor, bag_of_words
from peerscope.topics.model import METHODS, TopicModel, fit
from peerscope.topics.prevalence import (compare_groups, compare_member_groups, lagged_echo, over_time,
                                         plot_prevalence, prevalence)
from peerscope.topics.quality import Coherence, coherence, diversity
from peerscope.topics.sweep import coherence_baseline, plot_sweep, sweep

__all__ = ["BagOfWords", "Preprocessor", "bag_of_words", "METHODS", "TopicModel", "fit",
           "prevalence", "compare_groups", "compare_member_groups", "over_time", "lagged_echo",
           "plot_prevalence", "Coherence", "coherence", "diversity",
           "coherence_baseline", "sweep", "plot_sweep"]
