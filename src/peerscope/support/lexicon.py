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

Address
    Support is other-directed: supportive replies speak *to* the seeker
    (Cutrona & Suhr's behaviours are acts toward the recipient; Sharma et
    al. 2020 find emotional reactions and interpretations phrased to the
    seeker).  Each second-person word (``you``, ``your``, ``yourself``,
    ``u``, ``ur``, ``ya``) adds weak evidence, ``address_weight`` (0.05)
    each and at most 0.5 in all, to the emotional, esteem and
    informational scores: below one cue, so it orders posts without cues
    (a reply addressed to someone before a post about oneself) but never
    makes a label on its own.  On CL-Aff training pseudo-posts it raised
    the emotional AUC from 0.72 to 0.81.

The cue lists were rewritten for forum replies from the SSBC sub-categories
(sympathy, understanding/empathy and disclosure of a like experience,
encouragement and well-wishing for emotional support; compliment,
validation and relief of blame for esteem; suggestion/advice including
sentence-initial imperatives, referral and teaching for informational
support) and from the forms that studies of online health communities
report (Wang, Kraut & Levine 2012, 2015; Sharma et al. 2020); measured on
CL-Aff training pseudo-posts and ESConv *valid* turns only (results in
``docs/models/forum.md``).

Matching runs with pyarrow's RE2 engine over whole columns, one pass per cue
list (no Python loop over texts), after lower-casing and folding typographic
apostrophes.  Scores are ``1 - exp(-evidence)`` per type, the evidence being the cues
found plus the address evidence (0 nothing, 0.63 one cue, 0.86 two): monotone evidence, **not** calibrated probabilities.
Use :class:`~peerscope.support.classifier.SupportClassifier` with a coded
sample when probabilities or prevalence estimates matter.

References
----------
Cutrona, C. E., & Suhr, J. A. (1992). Controllability of stressful events and
satisfaction with spouse support behaviors. Communication Research 19(2).
Wang, Y.-C., Kraut, R., & Levine, J. M. (2012). To stay or leave? The
relationship of emotional and informational support to commitment in online
health support groups. CSCW.
Wang, Y.-C., Kraut, R. E., & Levine, J. M. (2015). Eliciting and receiving
online support. Journal of Medical Internet Research 17(4).
Sharma, A., Miner, A. S., Atkins, D. C., & Althoff, T. (2020). A
Computational Approach to Understanding Empathy Expressed in Text-Based
Mental Health Support. EMNLP.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator, TransformerMixin

from peerscope.support._text import _LOWER_APOSTROPHES, _as_array
from peerscope.support.schemes import DIRECTIONS, NO_SUPPORT, SUPPORT_TYPES

__all__ = ["ADDRESS", "CUES", "NEGATOR", "LexiconLabeller"]

_YOU = "(?:you|u|ya)"
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
        # sympathy: sorrow for the other's trouble, condolence, affection at a distance
        f"{_INTENS}sorry (?:to hear|to read|for (?:your|you|the|what)|about (?:your|the|what)|that (?:you|this|it|happened)|"
        f"{_YOURE}|{_YOU} (?:have|had|feel|felt|went|are|lost|got|were|had to|have to))",
        "(?:so|very|really|truly|terribly|deeply) sorry", "sorry", "(?:my|our) (?:condolences|sympathies|thoughts)",
        "(?:my|our) hearts? (?:goes|go|breaks|break|aches|ache|hurts|is with)", "heart goes out",
        "(?:that|this|it) (?:breaks|broke) my heart", "heartbreaking", "(?:that|this|it) (?:sucks|stinks)",
        "(?:that's|that is|this is|what an?|how) {_INTENS}(?:awful|terrible|horrible|sad|unfair|heartbreaking|cruel)",
        "(?:sending|send|big|virtual|warm|gentle|internet|many|lots of) (?:you )?(?:hugs?|love|strength|prayers|"
        "good vibes|positive vibes|healing|light)", "hugs?", "aww+", "praying",
        "(?:thinking|praying) (?:of|for|about) (?:you|u)", "in my (?:thoughts|prayers)", "prayers",
        f"i feel {_INTENS}(?:fucking )?(?:bad|sad|sorry|awful|terrible) (?:for|about) (?:you|u|what|both)",
        "(?:i )?feel for (?:you|u)", "thank(?:s| you) (?:so much )?for sharing", "i admire",
        "(?:please )?(?:don't|do not) (?:think|talk about yourself) (?:that|like that)",
        "(?:love|forgive|believe in) yourself",
        # understanding / empathy, disclosure of a like experience
        f"(?:sounds|must be|must have been|that's|that is|it's|that was|seems|sounds like it was) {_INTENS}{_HARD}",
        "(?:that|it|this) (?:sounds|seems|must feel) (?:so |really |very )*(?:awful|terrible|horrible|sad|scary)",
        "i (?:can|could) (?:only )?(?:imagine|understand|relate|hear|see|tell|feel)",
        f"i (?:completely |totally |really |fully )?(?:understand|get it|get that|relate|know how {_YOU} feel|"
        f"know the feeling|know what {_YOU} mean|know what {_YOURE} going|feel {_YOU}|hear {_YOU})",
        "(?:completely|totally|perfectly|so|very) (?:understandable|normal|natural|valid|human)",
        f"(?:understandable|natural|normal|okay|ok|fine|alright|human) (?:to|that {_YOU}|if {_YOU}) (?:feel|be|cry|grieve|want|miss)",
        "i(?:'ve| have) been (?:there|through|in (?:your|the same|a similar))", "(?:been|was) in your shoes",
        "i went through (?:the same|something|this|that|it)", "same (?:here|thing happened|boat|situation)",
        "i (?:have|had|went through|experienced|lost) (?:a )?(?:similar|the same)",
        "(?:i've|i have) (?:also )?(?:had|felt|struggled|suffered|dealt|lost)",
        # encouragement, reassurance and well-wishing
        "(?:hang|hold) in there", "(?:stay|be|keep) (?:strong|safe|positive)", "chin up", "head up",
        "keep (?:going|fighting|pushing|your head up|your chin up|it up|at it)",
        "(?:don't|do not|never) (?:give up|lose hope|stop trying)",
        "(?:it|things|life|this) (?:will|can|does|do|did|is going to|'ll) get (?:so much |much |a lot )?(?:easier|better)",
        "(?:it|things|everything|this|you) (?:will|'ll|is going to|are going to|'re going to|should) "
        "(?:be|work out|turn out|all work out|get through|pull through|come through) "
        "(?:ok|okay|fine|alright|all right|well|great|for the best|eventually|in the end)?",
        f"(?:{_YOU}'ll|{_YOU} will|{_YOU} can|{_YOU}'re going to|{_YOU} are going to) "
        "(?:get through|make it|pull through|come through|beat|find|get there|do (?:it|this|great|well|fine)|"
        "be (?:ok|okay|fine|alright|all right|great))",
        f"{_YOU}(?:'ve| have)? got this", f"{_YOU} can do (?:it|this)",
        "(?:good|best of|the best of) luck", "all the best", "best wishes", "wishing (?:you|u|the best)",
        f"i (?:really |truly |sincerely |do |just )?(?:wish|hope) (?:{_YOU}|things|it|everything|that|the best|he|she|they|your)",
        "take care", "be (?:kind|gentle|patient) (?:to|with) yourself", "look after yourself",
        "(?:don't|do not|try not to) be (?:so |too )?hard on yourself",
        # sharing joy, caring
        f"(?:glad|happy|pleased|relieved|thrilled) (?:for {_YOU}|to (?:hear|read|see|know)|that {_YOU}|{_YOU}(?:'re| are| got| found| have| made))",
        "congrat(?:s|ulations)", "(?:great|good|awesome|wonderful|fantastic|amazing) news",
        "(?:that's|that is|so) (?:great|awesome|amazing|wonderful|fantastic|lovely) to (?:hear|read|see)",
        f"(?:we|i) (?:love|care about) (?:{_YOU}|ya)", f"{_YOU} matter", "hope (?:this|it) helps",
        f"(?:it |that )?(?:sounds|seems) (?:like|as though|as if) {_YOU}", f"{_YOU} (?:sound|seem) (?:like|to be|so|really)",
        f"i can tell (?:that )?{_YOU}", "i (?:completely |totally |really )?(?:understand|empathi[sz]e|sympathi[sz]e)",
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
        "have you (?:tried|considered|thought (?:about|of)|looked (?:into|at)|spoken|talked|asked|been|checked)",
        f"{_YOU} (?:could|should|might|may|can|need to|might want to|may want to|could always|have to|must|"
        "ought to|shouldn't|should not|don't have to|could also|should also|can also|can always) "
        "(?:try|ask|talk|speak|see|call|ring|contact|look|get|go|apply|check|keep|consider|write|find|"
        "book|request|join|use|read|start|stop|tell|make|take|give|let|put|do|just|also|probably|definitely|"
        "really|still|avoid|focus|think|set|leave|move|save|learn|practice|practise|work|spend|reach|seek|look)",
        "(?:i'd|i would|i) (?:suggest|recommend|advise|encourage|urge)", "(?:i'd|i would) (?:say|try|go|talk|look|start|get|ask)",
        "(?:my|one|the best|some|a) (?:suggestion|advice|tip|recommendation)", "if i were you", "if i was you",
        "(?:it|it's|it is|it may be|it might be|might be|may be) (?:well )?worth",
        "what (?:helped|helps|worked|works) (?:for )?me", "try (?:to|and|not to|keeping|writing|talking|using|getting|it|this)",
        "(?:make sure|don't forget|remember) (?:to|you|that)", "(?:keep|keeping|try keeping) a (?:diary|journal|log|record)",
        f"my {_PROFESSIONAL} (?:suggested|recommended|advised|told me to)",
        "(?:check out|look into|look up|google|search for|read up on|sign up for)",
        # sentence-initial imperatives of advice
        "(?:^|[.!?]\\s+|\\n)(?:try|ask|talk|tell|go|get|call|see|find|look|make|keep|write|check|consider|read|take|"
        "stop|avoid|start|give|use|join|contact|speak|seek|let|put|don't|do not|just|maybe|perhaps|definitely|"
        "focus|think about|set|leave|move|save|learn|practice|practise|spend|reach out|apply|book|buy|bring)\\b",
        # referral
        f"(?:see|talk to|speak to|speak with|talk with|ask|call|ring|phone|contact|visit|find|get) (?:a|your|the|an|some) "
        f"(?:good |local |new )?{_PROFESSIONAL}",
        "(?:ask|asking) (?:for|about) a referral", "referral", "(?:there's|there is|there are) (?:a |an |some |lots of |plenty of |many )?"
        "(?:helplines?|hotlines?|numbers?|websites?|sites?|services?|charit(?:y|ies)|leaflets?|books?|apps?|programs?|"
        "programmes?|resources?|videos?|subreddits?|organi[sz]ations?|courses?|classes|support groups?)",
        "r/[a-z0-9_]+", "https?://", "www\\.",
        "(?:apply|sign up|register|qualify) (?:for|through|with)",
        # teaching / situation appraisal
        "(?:research|studies|evidence|science) (?:shows?|suggests?|says)", "(?:it's|it is) (?:common|normal|usual) for",
        "side effects?", f"{_YOURE} entitled to", "(?:legally|by law)", "(?:the|a) (?:law|rule|policy) (?:is|says)",
        f"(?:maybe|perhaps|i think|probably) (?:it (?:would|might|could) (?:be|help)|{_YOU} (?:could|should|can|might|need))",
        "(?:it|that|this) (?:would|might|could|may|will|should) help", "(?:it|that|this) (?:helps|helped|works|worked) (?:for|me|a lot|wonders)",
        "(?:perhaps|maybe) (?:try|trying|ask|talk|look|get|see)", "(?:best|better) (?:to|off|if you)",
        "(?:the|a) (?:best|easiest|only|good|better) way (?:to|is)",
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
        f"{_YOURE} {_INTENS}(?:such )?(?:an? )?(?:strong|brave|amazing|awesome|wonderful|courageous|resilient|inspiring|"
        "stronger|braver|incredible|beautiful|lovely|kind|caring|sweet|smart|talented|good|great|fantastic|"
        "special|worth it|worthy|enough|valuable|loved|important|lucky|a (?:good|great|wonderful|lovely|caring|loving|"
        "amazing|strong|kind) (?:person|mum|mom|dad|parent|friend|carer|caregiver|son|daughter|wife|husband|human|man|woman))",
        f"{_YOURE} (?:doing|coping|handling (?:it|this)) {_INTENS}(?:well|great|good|brilliantly|amazingly|fantastic|the right thing|"
        "a (?:great|good|fantastic|wonderful) job|an amazing job|everything right)",
        f"proud of (?:{_YOU}|yourself)", "must be (?:so |very |really )?proud", "well done", "good job", "great job",
        "(?:that|it|this) (?:took|takes) (?:real |a lot of |so much )?(?:courage|guts|strength|bravery)",
        "(?:great|good|huge|big|brave|first) (?:job|step|achievement|progress|move)", "give yourself (?:credit|a pat|a break)",
        f"(?:lucky|blessed|fortunate) to have {_YOU}", f"{_YOU} (?:should|can) be proud",
        f"{_YOU} (?:did|made|handled|are doing|'re doing) (?:the )?(?:right|good|great|well|best|amazing|nothing wrong|"
        "an? (?:good|great|right|brave) (?:thing|choice|decision|job))",
        "(?:you|you've|you have) (?:did|done) (?:the right thing|nothing wrong|your best|everything you could|so well|great|amazing)",
        # validation
        "(?:your|those|these) (?:feelings|emotions|concerns|reactions) are (?:completely |totally |perfectly )?(?:valid|normal|understandable|justified)",
        f"{_YOURE} (?:right|correct|not wrong|justified) (?:to|in)", f"{_YOU} (?:deserve|deserved)",
        f"{_YOURE} (?:not|never) (?:a failure|weak|stupid|silly|selfish|a burden|crazy|overreacting|wrong|the problem|"
        "a bad person|broken|worthless|useless|to blame)", f"{_YOU} (?:did|do) nothing wrong",
        f"(?:there's|there is) nothing wrong with {_YOU}",
        # relief of blame
        "(?:not|isn't|wasn't|never) your fault", "(?:don't|do not|shouldn't|should not|try not to|never) blame yourself",
        "(?:nothing|no) (?:to be ashamed|need to feel guilty|shame in|reason to feel)",
        "(?:don't|do not|shouldn't) (?:feel )?(?:guilty|ashamed|bad about)",
        "(?:that's|that is|what an?|such an?) (?:great|good|fantastic|wonderful|excellent|brilliant|positive) "
        "(?:idea|plan|thing|attitude|step|start|way|outlook)", f"{_YOU} (?:seem|sound) like (?:a|such a|an) (?:good|nice|kind|caring|strong|lovely|great|amazing|awesome|wonderful)",
        f"{_YOU} (?:can|will|could) do (?:it|this|great|well)", f"i believe in {_YOU}", "good for you", "(?:you go|go you)",
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

#: Second-person words: weak evidence of other-directed (providing) support.
ADDRESS = r"\b(?:you|your|yours|yourself|yourselves|u|ur|ya)\b"
#: Types whose scores take the address evidence.
_ADDRESSED = ("emotional", "esteem", "informational")
#: Most address evidence a text can gain (less than one cue).
_ADDRESS_CAP = 0.5

#: A negator opens the clause before a cue (up to three words between).
NEGATOR = r"(?:\bnot|\bnever|\bno|n't|\bnothing|\bhardly|\bnor)(?:\s+[\w']+){0,3}?\s+"


def _group_regex(cues: Iterable[str], negated: bool) -> str:
    body = "|".join(c.replace(" ", r"\s+") for c in cues)
    return (NEGATOR if negated else "") + rf"\b(?:{body})\b"


def _normalise(texts) -> pa.Array:
    """Lower-cased text with typographic apostrophes folded (null -> empty); an Arrow-backed
    Series is read as Arrow data, without a Python string per text."""
    return pc.replace_substring_regex(pc.utf8_lower(_as_array(texts)), _LOWER_APOSTROPHES, "'")


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
    address_weight : float
        Evidence per second-person word added to the emotional, esteem and
        informational scores of :meth:`predict_proba` (capped at 0.5 per
        text, less than one cue); 0 turns it off.

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

    def __init__(self, cues: dict | None = None, threshold: float = 0.5, negation: bool = True,
                 address_weight: float = 0.05):
        self.cues = cues
        self.threshold = threshold
        self.negation = negation
        self.address_weight = address_weight

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
        """One score in [0, 1] per SSBC type (both directions pooled, plus the address evidence); not calibrated."""
        counts = self.cue_counts(texts)
        address = np.zeros(len(counts))
        if self.address_weight:
            found = pc.count_substring_regex(_normalise(texts), ADDRESS).to_numpy(zero_copy_only=False)
            address = np.minimum(self.address_weight * found, _ADDRESS_CAP)
        out = {t: 1.0 - np.exp(-(counts.filter(like=f"{t}:").sum(axis=1).to_numpy(dtype=np.float64)
                                 + (address if t in _ADDRESSED else 0.0)))
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
