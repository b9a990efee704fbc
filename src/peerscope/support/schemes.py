"""Label schemes of support, as data, and documented mappings between them.

The reference scheme is the Social Support Behavior Code (SSBC; Cutrona &
Suhr 1992), which codes supportive behaviour into five types:

``informational``
    suggestion/advice, referral, situation appraisal, teaching.
``emotional``
    relationship, physical affection, confidentiality, sympathy, listening,
    understanding/empathy (including disclosing a similar experience),
    encouragement, prayer.
``esteem``
    compliment, validation, relief of blame.
``network``
    access (to new companions), presence, companions ("you are not alone").
``tangible``
    loan, direct task, indirect task, active participation, willingness to help.

"Nurturant" support is emotional + esteem + network (Cutrona & Suhr 1992);
content analyses of forums report it as "socio-emotional" support (Finn
1999: 55.3% of 718 messages).  A second axis is the direction, ``seeking``
or ``providing`` support (Wang, Zhao & Street 2017; Wang, Kraut & Levine
2012, 2015 model emotional and informational support both sought and given).

Other schemes met in data are mapped onto the SSBC types by
:class:`SchemeMapping` objects that carry, for every source label, the
types it maps to and *why*: ESConv supporter strategies (Liu et al. 2021),
motivational-interviewing behaviours of MI-labelled CounselChat (Welivita &
Pu 2023) and EPITOME empathy mechanisms (Sharma et al. 2020).  A source
label that is not support in the SSBC sense (a question, small talk) maps to
no type; its posts count as :data:`NO_SUPPORT`.

References
----------
Cutrona, C. E., & Suhr, J. A. (1992). Controllability of stressful events and
satisfaction with spouse support behaviors. Communication Research 19(2).
Finn, J. (1999). An exploration of helping processes in an online self-help
group focusing on issues of disability. Health & Social Work 24(3).
Liu, S. et al. (2021). Towards Emotional Support Dialog Systems. ACL.
Welivita, A., & Pu, P. (2023). Boosting Distress Support Dialogue Responses
with Motivational Interviewing Strategy. Findings of ACL.
Sharma, A., Miner, A. S., Atkins, D. C., & Althoff, T. (2020). A
Computational Approach to Understanding Empathy Expressed in Text-Based
Mental Health Support. EMNLP.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from peerscope.errors import PeerscopeError

__all__ = ["COARSE_LABELS", "DIRECTIONS", "EPITOME_TO_SSBC", "ESCONV_TO_SSBC", "MAPPINGS",
           "MI_TO_SSBC", "NO_SUPPORT", "NURTURANT", "SUPPORT_TYPES", "SchemeMapping",
           "epitome_types", "to_coarse"]

#: The SSBC support types (Cutrona & Suhr 1992), in a fixed order.
SUPPORT_TYPES = ("informational", "emotional", "esteem", "network", "tangible")
#: Nurturant ("socio-emotional") types.
NURTURANT = ("emotional", "esteem", "network")
#: Directions of support.
DIRECTIONS = ("seeking", "providing")
#: The label of a text that carries none of the support types.
NO_SUPPORT = "none"
#: The coarse three-way view used by most computational studies.
COARSE_LABELS = ("emotional", "informational", "other")


@dataclass(frozen=True)
class SchemeMapping:
    """A mapping from a source label scheme onto SSBC support types.

    Parameters
    ----------
    name : str
        The source scheme.
    types : dict
        Source label -> tuple of SSBC types (empty: not support in SSBC terms).
        The first type is the label's *primary* type, used for single-label
        analyses.
    rationale : dict
        Source label -> why it maps as it does, citing the SSBC sub-category.
    citation : str
        Where the source scheme is defined.

    Examples
    --------
    >>> ESCONV_TO_SSBC.primary(["Providing Suggestions", "Question"]).tolist()
    ['informational', 'none']
    >>> ESCONV_TO_SSBC.coarse(["Affirmation and Reassurance", "Information"]).tolist()
    ['emotional', 'informational']
    """

    name: str
    types: dict[str, tuple[str, ...]]
    rationale: dict[str, str]
    citation: str
    labels: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        unknown = {t for mapped in self.types.values() for t in mapped} - set(SUPPORT_TYPES)
        if unknown:
            raise PeerscopeError(f"{self.name}: unknown support type(s) {sorted(unknown)}")
        if set(self.types) != set(self.rationale):
            raise PeerscopeError(f"{self.name}: every label needs a rationale")
        object.__setattr__(self, "labels", tuple(self.types))

    def _check(self, labels) -> pd.Series:
        series = pd.Series(labels, dtype="str")
        unknown = sorted(set(series.dropna()) - set(self.types))
        if unknown:
            raise PeerscopeError(f"{self.name}: unknown label(s) {unknown[:5]}; expected one of "
                                 f"{list(self.types)}")
        return series

    def primary(self, labels: Iterable[str]) -> pd.Series:
        """The primary SSBC type of each label (:data:`NO_SUPPORT` when none; null stays null)."""
        series = self._check(labels)
        first = {label: (mapped[0] if mapped else NO_SUPPORT) for label, mapped in self.types.items()}
        return series.map(first).astype("str")

    def coarse(self, labels: Iterable[str]) -> pd.Series:
        """``emotional`` (any nurturant primary type), ``informational`` or ``other``."""
        return to_coarse(self.primary(labels))

    def indicators(self, labels: Iterable[str]) -> pd.DataFrame:
        """A 0/1 frame, one column per SSBC type, for multilabel analyses."""
        series = self._check(labels)
        out = {t: series.map({label: int(t in mapped) for label, mapped in self.types.items()})
               for t in SUPPORT_TYPES}
        return pd.DataFrame(out).fillna(0).astype("int8")

    def to_frame(self) -> pd.DataFrame:
        """The mapping as a table (one row per source label) for a paper's appendix."""
        return pd.DataFrame({
            "scheme": self.name, "label": list(self.types),
            "primary_type": [m[0] if m else NO_SUPPORT for m in self.types.values()],
            "types": ["+".join(m) if m else NO_SUPPORT for m in self.types.values()],
            "rationale": [self.rationale[label] for label in self.types]}).astype("str")


def to_coarse(types: Iterable[str]) -> pd.Series:
    """Collapse SSBC types to ``emotional`` (nurturant), ``informational`` or ``other``.

    Parameters
    ----------
    types : iterable of str
        SSBC types (or ``none``).

    Returns
    -------
    pandas.Series

    Examples
    --------
    >>> to_coarse(["esteem", "informational", "tangible", "none"]).tolist()
    ['emotional', 'informational', 'other', 'other']
    """
    series = pd.Series(types, dtype="str")
    coarse = np.where(series.isin(NURTURANT), "emotional",
                      np.where(series == "informational", "informational", "other"))
    return pd.Series(coarse, index=series.index, dtype="str").where(series.notna())


def _mapping(name: str, citation: str, rows: dict[str, tuple[tuple[str, ...], str]]) -> SchemeMapping:
    return SchemeMapping(name, {k: v[0] for k, v in rows.items()}, {k: v[1] for k, v in rows.items()},
                         citation)


#: ESConv supporter strategies (Liu et al. 2021) -> SSBC types.
ESCONV_TO_SSBC = _mapping("esconv", "Liu et al. (2021), Towards Emotional Support Dialog Systems, ACL", {
    "Question": ((), "Asks about the seeker's problem to elicit disclosure; the SSBC codes "
                     "no support behaviour for information gathering."),
    "Restatement or Paraphrasing": (("emotional",), "Restating shows attentive listening and "
                                    "understanding: SSBC emotional 'listening' and 'understanding/empathy'."),
    "Reflection of feelings": (("emotional",), "Naming the seeker's feelings is SSBC emotional "
                               "'understanding/empathy' and 'sympathy'."),
    "Self-disclosure": (("emotional",), "Sharing a similar experience to convey understanding is "
                        "SSBC emotional 'understanding/empathy' (disclosure of a like situation)."),
    "Affirmation and Reassurance": (("esteem", "emotional"), "Affirming the seeker's strengths and "
                                    "worth is SSBC esteem 'compliment'/'validation'; reassurance "
                                    "is emotional 'encouragement'."),
    "Providing Suggestions": (("informational",), "Suggesting what to do is SSBC informational "
                              "'suggestion/advice' (and 'referral' when naming a service)."),
    "Information": (("informational",), "Facts, statistics and resources are SSBC informational "
                    "'teaching' and 'situation appraisal'."),
    "Others": ((), "Greetings, thanks and small talk: no SSBC support behaviour."),
})

#: MI behaviours of MI-labelled CounselChat (Welivita & Pu 2023) -> SSBC types.
MI_TO_SSBC = _mapping("mi", "Welivita & Pu (2023), Findings of ACL; MITI behaviour codes", {
    "Give Information": (("informational",), "Educating or explaining is SSBC informational 'teaching'."),
    "Advise with Permission": (("informational",), "Advice is SSBC informational 'suggestion/advice'."),
    "Advise without Permission": (("informational",), "Advice is SSBC informational 'suggestion/advice'."),
    "Direct": (("informational",), "An order or command tells the client what to do: SSBC "
               "informational 'suggestion/advice' in imperative form."),
    "Warn": (("informational",), "A warning of consequences is SSBC informational 'situation appraisal'."),
    "Support": (("emotional",), "Sympathetic, compassionate or understanding statements are SSBC "
                "emotional 'sympathy'/'encouragement'."),
    "Affirm": (("esteem",), "Praise and appreciation of the client's strengths or efforts are SSBC "
               "esteem 'compliment'/'validation'."),
    "Emphasize Autonomy": (("esteem",), "Stressing the client's control and capability validates "
                           "them: SSBC esteem 'validation'."),
    "Simple Reflection": (("emotional",), "Reflecting what the client said is listening and "
                          "understanding: SSBC emotional 'listening'/'understanding/empathy'."),
    "Complex Reflection": (("emotional",), "Reflecting meaning or feeling is SSBC emotional "
                           "'understanding/empathy'."),
    "Self-Disclose": (("emotional",), "Disclosing a like experience conveys SSBC emotional "
                      "'understanding/empathy'."),
    "Open Question": ((), "Questions gather information; no SSBC support behaviour."),
    "Closed Question": ((), "Questions gather information; no SSBC support behaviour."),
    "Confront": ((), "Disagreeing, criticising or shaming is not supportive in SSBC terms."),
    "Other": ((), "Uncoded or other utterances."),
})

#: EPITOME mechanisms (Sharma et al. 2020) -> SSBC types, applied when the level >= ``min_level``.
EPITOME_TO_SSBC = _mapping("epitome", "Sharma et al. (2020), EMNLP", {
    "emotional_reactions": (("emotional",), "Expressing warmth, compassion or concern is SSBC "
                            "emotional 'sympathy'."),
    "interpretations": (("emotional",), "Communicating an understanding of the seeker's feelings "
                        "and experiences is SSBC emotional 'understanding/empathy'."),
    "explorations": ((), "Exploring questions invite the seeker to say more; like ESConv "
                     "'Question' they are information gathering, not an SSBC behaviour."),
})

#: Every mapping by source scheme name.
MAPPINGS = {m.name: m for m in (ESCONV_TO_SSBC, MI_TO_SSBC, EPITOME_TO_SSBC)}


def epitome_types(ratings: pd.DataFrame, min_level: int = 1) -> pd.DataFrame:
    """SSBC types of EPITOME-rated responses, one row per response.

    Parameters
    ----------
    ratings : DataFrame
        Rows of :func:`peerscope.loaders.epitome` (``response_post_id``,
        ``mechanism``, ``level``), from one or several mechanism files.
    min_level : {1, 2}
        The least level that counts as the mechanism being present (1 weak,
        2 strong communication).

    Returns
    -------
    DataFrame
        Indexed by ``response_post_id``: one 0/1 column per SSBC type.

    Examples
    --------
    >>> ratings = pd.DataFrame({"response_post_id": ["r1", "r1", "r2"],
    ...     "mechanism": ["emotional_reactions", "explorations", "interpretations"],
    ...     "level": [2, 1, 0]})
    >>> epitome_types(ratings)["emotional"].to_dict()
    {'r1': 1, 'r2': 0}
    """
    if min_level not in (1, 2):
        raise PeerscopeError(f"min_level={min_level!r}: expected 1 (weak) or 2 (strong)")
    present = EPITOME_TO_SSBC.indicators(ratings["mechanism"]).mul(
        (ratings["level"].to_numpy() >= min_level).astype("int8"), axis=0)
    present.index = ratings["response_post_id"].to_numpy()
    present.index.name = "response_post_id"
    return present.groupby(level=0, sort=True).max().astype("int8")
