"""A cue-lexicon labeller of support types that needs no training data.

The cues are written from the definitions of the Social Support Behavior
Code (Cutrona & Suhr 1992), one list per support type and direction:

* emotional: sympathy ("so sorry", "sending hugs"), understanding/empathy
  ("that sounds hard", "I've been there"), encouragement ("hang in there");
  sought as loneliness, distress and the wish to be listened to;
* informational: suggestion/advice ("have you tried", "you could ask"),
  referral ("talk to your GP", "ring the helpline"), teaching; sought as
  questions for advice ("does anyone know", "is it normal");
* esteem: compliment ("you're doing well"), validation ("your feelings are
  valid"), relief of blame ("not your fault"); sought as negative
  self-evaluation ("I feel like a failure");
* network: presence and companions ("you're not alone", "we're here for
  you"), access ("come along to the group"); sought as the wish to find
  others ("is there anyone else", "I'm new here");
* tangible: willingness and direct tasks ("I can drive you", "happy to
  call"); sought as requests for practical help ("could someone help me").

Two rules make the cues more than keyword spotting:

Person
    Providing cues are written in the forms that address the other person
    (``you``/``your``) or offer the speaker's help (``I can``, ``I'll``);
    seeking cues in first-person self-reference (``I``, ``me``, ``my``) or
    requests to the group (``anyone``, ``someone``).  "You're doing really
    well" is esteem support, "I'm doing really well" is not.
Negation
    A cue preceded in the same clause by a negator (not, never, no, n't,
    hardly, nothing) within three words is subtracted: "I'm not sorry" does
    not count as sympathy.  Cues whose meaning contains a negation ("not
    your fault", "you're not alone") are written as whole phrases.

Matching runs with pyarrow's RE2 engine over whole columns, one pass per cue
list (no Python loop over texts), after lower-casing and folding typographic
apostrophes.  Scores are ``1 - exp(-cues found)`` per type (0 no cue, 0.63
one cue, 0.86 two): monotone evidence, **not** calibrated probabilities.
Use :class:`~peerscope.support.classifier.SupportClassifier` with a coded
sample when probabilities or prevalence estimates matter.

References
----------
Cutrona, C. E., & Suhr, J. A. (1992). Controllability of stressful events and
satisfaction with spouse support behaviors. Communication Research 19(2).
Wang, Y.-C., Kraut, R., & Levine, J. M. (2012). To stay or leave? The
relationship of emotional and informational support to commitment in online
health support groups. CSCW.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator, TransformerMixin

from peerscope.support.schemes import DIRECTIONS, NO_SUPPORT, SUPPORT_TYPES

__all__ = ["CUES", "NEGATOR", "LexiconLabeller"]

_YOU = "(?:you|u)"
_YOURE = "(?:you're|you are|youre|ur)"
_IM = "(?:i'm|i am|im)"
_INTENS = "(?:so |really |very |truly |incredibly |completely |totally |just |such )*"
_HARD = ("(?:hard|tough|difficult|awful|painful|exhausting|overwhelming|scary|horrible|"
         "frustrating|upsetting|heartbreaking|rough|stressful|lonely)")
_PROFESSIONAL = ("(?:gp|doctor|dr|therapist|counsell?or|psychiatrist|psychologist|nurse|"
                 "helpline|hotline|crisis line|samaritans|pharmacist|social worker|professional)")
_SELF_LOW = ("(?:a )?(?:failure|useless|worthless|stupid|pathetic|weak|burden|idiot|loser|mess|"
             "disappointment|bad (?:person|mother|mum|mom|father|dad|parent|friend|carer))")

#: Cue patterns (RE2 syntax, lower case; a space matches any run of white space)
#: by (support type, direction), written from the SSBC definitions.
CUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("emotional", "providing"): (
        # sympathy
        f"{_INTENS}sorry (?:to hear|for your|about your|that you|{_YOURE}|{_YOU} (?:have|had|feel))",
        "(?:so|very|really|truly|terribly) sorry", "sorry",
        "my heart (?:goes|breaks|aches)", "(?:sending|big|virtual|warm|gentle) (?:hugs?|love|prayers)",
        "hugs?", "thinking of you", "praying for you", "(?:sending )?(?:hugs|love) (?:to you|your way)",
        # understanding / empathy
        f"(?:sounds|must be|must have been|that's|that is|it's) {_INTENS}{_HARD}",
        "i can (?:hear|see|imagine|understand) (?:how|what|why|that)",
        f"i (?:completely |totally )?(?:understand|know) (?:how {_YOU} feel|what {_YOU} mean|what {_YOURE} going)",
        "(?:completely|totally|perfectly|very) (?:understandable|natural|normal)",
        f"(?:understandable|natural|normal|okay|ok|fine) (?:to|that {_YOU}) feel",
        "i(?:'ve| have) been (?:there|through)", "i went through (?:the same|something|this|that)",
        # encouragement
        "(?:hang|hold) in there", "(?:it|things) (?:will|can|does|do|did) get (?:easier|better)",
        f"(?:{_YOU}'ll|{_YOU} will|{_YOU} can) get through", "take care of yourself",
        "be (?:kind|gentle) (?:to|with) yourself", f"i (?:really |truly )?hope (?:{_YOU}|things|it gets)",
        "(?:stay|keep) strong", "take care", "i feel (?:so )?(?:bad|sad|sorry) for you",
        f"(?:it |that )?(?:sounds|seems) (?:like|as though|as if) {_YOU}", f"{_YOU} (?:sound|seem) (?:like|to be|so|really)",
        f"i can tell (?:that )?{_YOU}", "i (?:completely |totally |really )?(?:understand|empathi[sz]e)",
        "i (?:have|had|went through|experienced) (?:a )?(?:similar|the same)",
        "(?:i've|i have) (?:also )?(?:had|felt|struggled|suffered|dealt)",
        "everything will (?:be|work out) (?:ok|okay|fine|alright|all right)?",
        f"(?:{_YOU}'ll|{_YOU} will) (?:be|feel) (?:ok|okay|fine|alright|better)",
    ),
    ("emotional", "seeking"): (
        "(?:need|want) (?:someone|somebody|anyone|anybody|people) to (?:talk|listen)",
        f"i (?:feel|felt|am feeling|'m feeling) {_INTENS}(?:alone|lonely|sad|hopeless|empty|lost|scared|"
        "overwhelmed|broken|numb|awful|terrible|miserable|desperate|low|down|anxious|depressed)",
        f"{_IM} {_INTENS}(?:struggling|scared|terrified|exhausted|heartbroken|devastated|lonely|"
        "miserable|desperate|falling apart|at breaking point)",
        "(?:can't|cannot|can not) (?:cope|take (?:it|this|much more|any more|anymore)|go on|handle (?:it|this))",
        "(?:get|got|getting) (?:this|it|things) off my chest", "(?:need|needed|have) to (?:vent|rant)",
        "can (?:anyone|anybody) relate", "(?:don't|do not) know how much (?:more|longer)",
        "feel like giving up", "(?:no one|nobody) (?:cares|listens|understands)",
    ),
    ("informational", "providing"): (
        # suggestion / advice
        "have you (?:tried|considered|thought (?:about|of)|looked (?:into|at)|spoken|talked|asked|been)",
        f"{_YOU} (?:could|should|might|may|can|need to|might want to|may want to|could always) "
        "(?:try|ask|talk|speak|see|call|ring|contact|look|get|go|apply|check|keep|consider|write|find|"
        "book|request|join|use|read)",
        "(?:i'd|i would|i) (?:suggest|recommend|advise)", "(?:my|one) (?:suggestion|advice|tip) (?:is|would)",
        "(?:it|it's|it is|it may be|it might be|might be|may be) (?:well )?worth", "if i were you",
        "what (?:helped|helps|worked|works) (?:for )?me", "try (?:to|and|not to|keeping|writing|talking)",
        "(?:make sure|don't forget) (?:to|you)", "(?:keep|keeping|try keeping) a (?:diary|journal|log|record)",
        f"my {_PROFESSIONAL} (?:suggested|recommended|advised|told me to)",
        # referral
        f"(?:see|talk to|speak to|speak with|talk with|ask|call|ring|phone|contact) (?:a|your|the) {_PROFESSIONAL}",
        "(?:ask|asking) (?:for|about) a referral", "referral", "(?:there's|there is) a (?:helpline|hotline|"
        "number|website|service|charity|leaflet|book|app)",
        "(?:apply|sign up|register|qualify) (?:for|through|with)",
        # teaching / situation appraisal
        "(?:research|studies|evidence) (?:shows?|suggests?)", "(?:it's|it is) (?:common|normal) for",
        "side effects?", "(?:you're|you are) entitled to",
        f"(?:maybe|perhaps|i think) (?:it (?:would|might|could) (?:be|help)|{_YOU} (?:could|should|can|might))",
        "(?:it|that|this) (?:would|might|could|may) help", "(?:perhaps|maybe) (?:try|trying)", "(?:best|better) to",
        "(?:there are|there's|there is) (?:lots of |many |some |plenty of )?(?:resources|websites|videos|books|apps|"
        "programs|programmes|services|organi[sz]ations|groups|courses|classes)",
    ),
    ("informational", "seeking"): (
        "(?:does|do|has|have|did|can|could|would) (?:anyone|anybody|someone|somebody|any of you) "
        "(?:know|had|have|tried|recommend|suggest|advise|been|experience|got)",
        "(?:any|some) (?:advice|tips|suggestions|ideas|recommendations|information|info)",
        "what (?:should|can|do) i (?:do|ask|say|try|expect)", "(?:how|where|who) (?:do|can|should|would) i",
        "(?:is it|is this|is that) (?:normal|common|safe|usual)", "where can i (?:find|get|go)",
        f"what (?:do|would) {_YOU} (?:suggest|recommend|advise|do)", "should i (?:ask|tell|go|see|try|stop|take|call)",
        "(?:need|want|looking for) (?:some |any )?(?:advice|information|info|tips)",
    ),
    ("esteem", "providing"): (
        # compliment
        f"{_YOURE} {_INTENS}(?:strong|brave|amazing|wonderful|courageous|resilient|inspiring|stronger|braver|"
        "a (?:good|great|wonderful|lovely|caring|loving) (?:person|mum|mom|dad|parent|friend|carer|caregiver|son|daughter|wife|husband))",
        f"{_YOURE} (?:doing|coping|handling (?:it|this)) {_INTENS}(?:well|great|good|brilliantly|amazingly|fantastic|a great job|an amazing job)",
        f"proud of (?:{_YOU}|yourself)", "well done", "(?:that|it|this) (?:took|takes) (?:real |a lot of )?(?:courage|guts|strength|bravery)",
        "(?:great|good|huge|big|brave) (?:job|step|achievement|progress|move)", "give yourself (?:credit|a pat|a break)",
        # validation
        "(?:your|those|these) (?:feelings|emotions|concerns) are (?:completely |totally |perfectly )?(?:valid|normal|understandable)",
        f"{_YOURE} (?:right|correct|not wrong) to", "(?:you|you've|you have) (?:did|done) (?:the right thing|nothing wrong|your best|everything you could)",
        f"{_YOU} deserve", f"{_YOURE} (?:not|never) (?:a failure|weak|stupid|silly|selfish|a burden|crazy|overreacting)",
        # relief of blame
        "(?:not|isn't|wasn't|never) your fault", "(?:don't|do not|shouldn't|should not|try not to) blame yourself",
        "(?:nothing|no) (?:to be ashamed|need to feel guilty|shame in)",
        "(?:that's|that is|what an?|such an?) (?:great|good|fantastic|wonderful|excellent|brilliant|positive) "
        "(?:idea|plan|thing|attitude|step|start|way)", f"{_YOU} (?:seem|sound) like (?:a|such a) (?:good|nice|kind|caring|strong|lovely)",
        f"{_YOU} (?:can|will|could) do (?:it|this|great|well)", f"i believe in {_YOU}", "good for you",
    ),
    ("esteem", "seeking"): (
        f"{_IM} {_INTENS}{_SELF_LOW}", f"i (?:feel|felt) (?:like )?{_INTENS}{_SELF_LOW}",
        "am i (?:being )?(?:silly|stupid|overreacting|wrong|crazy|selfish|a bad|unreasonable)",
        "(?:it's|it is|it was) (?:all )?my fault", "(?:can't|cannot|never) do anything right",
        f"not (?:sure|certain) {_IM} doing (?:anything|this|it) right", "i hate myself",
        "what(?:'s| is) wrong with me", "i blame myself", "(?:i feel|feeling) (?:so )?(?:guilty|ashamed)",
    ),
    ("network", "providing"): (
        f"{_YOURE} not alone", f"{_YOU} aren't alone", f"{_YOURE} (?:not|never) the only one",
        "we(?:'re| are) (?:all )?(?:here|with you)", "(?:i'm|i am|we're|we are|always) here (?:for you|if you need)",
        "(?:join|come along to|come to|pop into|drop into|try|find) (?:a |the |our |us (?:in|at) the |a local )?"
        "(?:support )?(?:group|meeting|meetup|meet-up|chat|forum|community|coffee morning)",
        "(?:lots|many|loads|plenty|most|some|all|so many|a lot) of us (?:have|are|know|feel|went|understand|get)",
        "(?:welcome|glad you (?:found|joined)) (?:to )?(?:the|this|our|us|here)",
        "(?:message|pm|dm|inbox) me", f"(?:anytime|any time|whenever) {_YOU} (?:want|need) to (?:talk|chat)",
        f"(?:{_YOU}'ve|{_YOU} have) (?:found|come to) the right place", "we (?:all )?(?:understand|get it)",
        "feel free to (?:reach out|message|post|vent|come back)", "(?:keep|stay) in touch",
    ),
    ("network", "seeking"): (
        "(?:is there|are there) (?:anyone|anybody|others|other people|any groups?|a group)",
        "(?:anyone|anybody) else (?:who|feel|feeling|going|been|have|had|in|with|out there)",
        "(?:find|meet|talk to|connect with) (?:people|others|someone|other people) (?:who|like|that|in)",
        "(?:groups?|meetings?|meetups?) (?:near|in my area|around)",
        f"{_IM} new here", "(?:don't|do not) (?:know|have) anyone", "(?:no one|nobody) to talk to",
        "i (?:have|'ve got|got) no (?:friends|one)", "(?:feel|feeling) (?:so )?isolated",
    ),
    ("tangible", "providing"): (
        "(?:i can|i could|i'll|i will|happy to|glad to|i'd be happy to|i'm happy to|i am happy to|let me) "
        "(?:drive|give you|pick you|come with|go with|help you|call|ring|phone|meet|send|lend|bring|cook|"
        "look after|sit with|fill|take you|check on|pop round|drop)",
        "(?:do you want|would you like|want) me to", "let me know if (?:you need|there's|i can)",
        f"if {_YOU} need (?:a lift|a hand|anything|money|somewhere)", "(?:i'll|i will) (?:send|message|text|email|post) you",
    ),
    ("tangible", "seeking"): (
        "(?:could|can|would) (?:someone|somebody|anyone|anybody|you) (?:help me|give me|lend|drive|call|ring|"
        "pick|come|look after|check|proofread|fill)",
        "i need (?:a lift|a ride|help with|someone to (?:help|drive|come|look|take|call))",
        "help (?:me )?(?:with|to) (?:the|my|moving|move|fill)", "(?:need|looking for) (?:money|a loan|somewhere to stay|a place to stay)",
    ),
}

#: A negator opens the clause before a cue (up to three words between).
NEGATOR = r"(?:\bnot|\bnever|\bno|n't|\bnothing|\bhardly|\bnor)(?:\s+[\w']+){0,3}?\s+"


def _group_regex(cues: Iterable[str], negated: bool) -> str:
    body = "|".join(c.replace(" ", r"\s+") for c in cues)
    return (NEGATOR if negated else "") + rf"\b(?:{body})\b"


def _normalise(texts) -> pa.Array:
    """Lower-cased text with typographic apostrophes folded (null -> empty)."""
    array = pa.array(pd.Series(texts, dtype="str").fillna("").to_numpy(dtype=object), type=pa.string())
    array = pc.utf8_lower(array)
    return pc.replace_substring_regex(array, "[\u2018\u2019\u02bc`]", "'")


class LexiconLabeller(TransformerMixin, BaseEstimator):
    """Score texts for SSBC support types with hand-written cue lexicons.

    Parameters
    ----------
    cues : dict, optional
        ``(type, direction) -> tuple of RE2 patterns`` (lower case; a space
        matches any white space); default :data:`CUES`.
    threshold : float
        Least score a type needs for :meth:`predict` to return it (default
        0.5: one cue).
    negation : bool
        Subtract cues preceded by a negator in the same clause.

    Examples
    --------
    >>> labeller = LexiconLabeller()
    >>> labeller.predict(["I'm so sorry, sending hugs.", "Have you tried talking to your GP?",
    ...                   "Lovely weather today."]).tolist()
    ['emotional', 'informational', 'none']
    >>> scores = labeller.predict_proba(["I'm not sorry.", "I'm so sorry."])
    >>> scores["emotional"].round(2).tolist()
    [0.0, 0.63]
    """

    def __init__(self, cues: dict | None = None, threshold: float = 0.5, negation: bool = True):
        self.cues = cues
        self.threshold = threshold
        self.negation = negation

    def _patterns(self) -> list[tuple[str, str, str, str | None]]:
        cues = CUES if self.cues is None else self.cues
        return [(t, d, _group_regex(cues[(t, d)], False),
                 _group_regex(cues[(t, d)], True) if self.negation else None)
                for t in SUPPORT_TYPES for d in DIRECTIONS if cues.get((t, d))]

    def fit(self, texts=None, y=None):
        """Nothing to learn; present for the scikit-learn contract."""
        self.feature_names_ = np.array([f"{t}:{d}" for t, d, *_ in self._patterns()], dtype=object)
        return self

    def get_feature_names_out(self, input_features=None):
        """``type:direction`` names of the columns of :meth:`transform`."""
        return np.array([f"{t}:{d}" for t, d, *_ in self._patterns()], dtype=object)

    def cue_counts(self, texts) -> pd.DataFrame:
        """Cues found per text and (type, direction), negated cues subtracted.

        Returns
        -------
        DataFrame
            One row per text, columns ``type:direction`` (int).
        """
        array = _normalise(texts)
        counts = {}
        for stype, direction, plain, negated in self._patterns():
            found = pc.count_substring_regex(array, plain).to_numpy(zero_copy_only=False).astype(np.int32)
            hits = np.flatnonzero(found)
            if negated is not None and len(hits):
                # negated cues only where a cue was found (most texts have none)
                undone = pc.count_substring_regex(array.take(pa.array(hits)), negated)
                found[hits] -= undone.to_numpy(zero_copy_only=False).astype(np.int32)
            counts[f"{stype}:{direction}"] = np.maximum(found, 0)
        index = texts.index if isinstance(texts, pd.Series) else None
        return pd.DataFrame(counts, index=index)

    def transform(self, texts) -> np.ndarray:
        """Per (type, direction) scores ``1 - exp(-cues)`` as an array (features for a model)."""
        return 1.0 - np.exp(-self.cue_counts(texts).to_numpy(dtype=np.float64))

    def predict_proba(self, texts) -> pd.DataFrame:
        """One score in [0, 1] per SSBC type (both directions pooled); not calibrated."""
        counts = self.cue_counts(texts)
        out = {t: 1.0 - np.exp(-counts.filter(like=f"{t}:").sum(axis=1).to_numpy(dtype=np.float64))
               for t in SUPPORT_TYPES}
        return pd.DataFrame(out, index=counts.index)

    def predict(self, texts) -> pd.Series:
        """The highest-scoring type, or ``"none"`` below ``threshold`` (ties: informational first)."""
        return self._label(self.predict_proba(texts))

    def predict_frame(self, texts) -> pd.DataFrame:
        """Type scores (:meth:`predict_proba`) plus the predicted ``label``, from one pass."""
        scores = self.predict_proba(texts)
        scores["label"] = self._label(scores)
        return scores

    def _label(self, scores: pd.DataFrame) -> pd.Series:
        values = scores[list(SUPPORT_TYPES)].to_numpy()
        best = np.asarray(SUPPORT_TYPES, dtype=object)[values.argmax(axis=1)]
        label = np.where(values.max(axis=1) >= self.threshold, best, NO_SUPPORT)
        return pd.Series(label, index=scores.index, dtype="str")

    def predict_direction(self, texts) -> pd.Series:
        """``seeking`` or ``providing`` by which cues dominate; a tie with a question mark is
        seeking; null when no cue is found (or another tie)."""
        counts = self.cue_counts(texts)
        seeking = counts.filter(like=":seeking").sum(axis=1).to_numpy()
        providing = counts.filter(like=":providing").sum(axis=1).to_numpy()
        asks = pc.match_substring(_normalise(texts), "?").to_numpy(zero_copy_only=False)
        label = np.where(seeking > providing, "seeking", np.where(providing > seeking, "providing", None))
        label = np.where((seeking == providing) & (seeking > 0) & asks, "seeking", label)
        return pd.Series(label, index=counts.index, dtype="str")
