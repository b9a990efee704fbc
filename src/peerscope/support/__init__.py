"""Socio-emotional support: label schemes, a lexicon labeller, trained models, agreement, prevalence.

Researchers hand-code a sample of posts for support types (Cutrona & Suhr's
SSBC: informational, emotional, esteem, network, tangible), train a model,
apply it to the whole corpus, and report agreement and prevalence.  Content
analyses report figures such as "55.3% of messages were socio-emotional
support" (Finn 1999); computational studies classify emotional and
informational support at scale (Wang, Kraut & Levine 2012, 2015).

=====================  ====================================================
``schemes``            SSBC types and directions; mappings from ESConv,
                       MI (CounselChat) and EPITOME labels, with rationale
``LexiconLabeller``    cue lexicons, no training data (the default when no
                       coded sample exists)
``SupportClassifier``  tf-idf + one-vs-rest linear SVMs, Platt-calibrated;
                       saved as JSON + numpy arrays (never unpickled);
                       ``unit="post"`` scores posts sentence by sentence
``pretrained``         a shipped, fitted model: ``pretrained("forum")``
                       (CL-Aff OffMyChest, CC BY 4.0; docs/models/forum.md)
``direction``          seeking / providing / neither from thread position
                       and wording
``sample_for_coding``  a stratified, weighted sample as a coding sheet and
                       codebook; ``read_codes`` reads coders' sheets back
``evaluate`` ...       per-class P/R/F1, Cohen's kappa, Krippendorff's alpha
``prevalence``         raw and adjusted classify-and-count shares with a
                       bootstrap interval (Forman 2008); raw shares with
                       an interval when no validation sample exists
``prevalence_by``      shares per group of a member attribute (the
                       author's ``reason_joined``, ...) with a chi-square
                       test; ``plot_prevalence`` draws them side by side
``classify``           a model (default ``pretrained("forum")``) over a
                       whole corpus, streamed in batches (on a
                       Dask corpus, per partition on the workers:
                       ``label_partitions``)
=====================  ====================================================
"""

from peerscope.support.classifier import SupportClassifier
from peerscope.support.direction import direction
from peerscope.support.pretrained import PRETRAINED, pretrained
from peerscope.support.labelling import label_partitions
from peerscope.support.coding import read_codes, read_design, sample_for_coding, scheme_codes
from peerscope.support.evaluate import (Evaluation, agreement, code_set, cross_validate, evaluate,
                                        krippendorff_alpha)
from peerscope.support.lexicon import LexiconLabeller
from peerscope.support.prevalence import (adjusted_share, author_groups, classify, month_of, plot_prevalence,
                                          prevalence, prevalence_by)
from peerscope.support.schemes import (DIRECTIONS, EPITOME_TO_SSBC, ESCONV_TO_SSBC, MI_TO_SSBC,
                                       NO_SUPPORT, NURTURANT, SUPPORT_TYPES, SchemeMapping,
                                       epitome_types, to_coarse)

__all__ = ["DIRECTIONS", "EPITOME_TO_SSBC", "ESCONV_TO_SSBC", "Evaluation", "LexiconLabeller",
           "MI_TO_SSBC", "NO_SUPPORT", "NURTURANT", "PRETRAINED", "SUPPORT_TYPES", "SchemeMapping",
           "SupportClassifier", "adjusted_share", "agreement", "author_groups", "classify", "code_set",
           "cross_validate", "direction", "epitome_types", "evaluate", "krippendorff_alpha",
           "label_partitions", "month_of", "plot_prevalence", "prevalence", "prevalence_by", "pretrained",
           "read_codes", "read_design", "sample_for_coding", "scheme_codes", "to_coarse"]
