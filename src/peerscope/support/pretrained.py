"""Support models that ship with peerscope, ready to use without training data.

``pretrained("forum")`` returns a fitted
:class:`~peerscope.support.classifier.SupportClassifier` that scores forum
posts for emotional and informational support (multilabel: a post may give
both; ``other`` is the probability that it gives neither).  It was trained
by ``benchmarks/train_forum_model.py`` on the sentences of the CL-Aff
"Get it #OffMyChest" shared task (Jaidka et al. 2020; Reddit comments in
r/offmychest and r/CasualConversation, human-labelled ``Emo_support`` and
``Info_support``; CC BY 4.0, which allows redistributing a model trained on
it), and it scores a post by splitting it into sentences and combining
their scores (``unit="post"``; see
:meth:`~peerscope.support.classifier.SupportClassifier.predict_proba`).  Its
model card, ``docs/models/forum.md``, gives the training data, the
held-out and cross-domain results, calibration, failure modes, the
intended use (shares of support in a community, not decisions about a
person) and the SHA-256 of the shipped files.

The model is a folder of JSON and numpy arrays inside the installed
package, read with :meth:`SupportClassifier.load` (nothing is unpickled,
downloaded or trained at run time).

References
----------
Jaidka, K., Singh, I., Liu, J., Buffone, A., & Ungar, L. (2020). The CL-Aff
Happiness Shared Task: Results and Key Insights. Proceedings of the 3rd
Workshop on Affective Content Analysis (AffCon) @ AAAI 2020.
"""

from __future__ import annotations

from pathlib import Path

from peerscope.errors import PeerscopeError
from peerscope.support.classifier import SupportClassifier

__all__ = ["PRETRAINED", "pretrained", "pretrained_path"]

#: Names of the shipped models and what each is for.
PRETRAINED = {
    "forum": "emotional / informational / other support in forum posts; trained on CL-Aff OffMyChest "
             "(Reddit, CC BY 4.0); see docs/models/forum.md",
}

_MODELS = Path(__file__).resolve().parent / "models"


def pretrained_path(name: str = "forum") -> Path:
    """The folder of a shipped model (to hash it, or to copy it beside a study's results).

    Parameters
    ----------
    name : str
        A key of :data:`PRETRAINED`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    peerscope.errors.PeerscopeError
        For an unknown name.

    Examples
    --------
    >>> sorted(p.name for p in pretrained_path("forum").iterdir() if p.suffix in (".json", ".npz"))
    ['arrays.npz', 'model.json']
    """
    if name not in PRETRAINED:
        raise PeerscopeError(f"no pretrained support model {name!r}; available: {sorted(PRETRAINED)}")
    return _MODELS / name


def pretrained(name: str = "forum") -> SupportClassifier:
    """A fitted support classifier shipped with peerscope.

    Parameters
    ----------
    name : str
        ``"forum"``: emotional and informational support in posts of online
        peer-support forums (model card: ``docs/models/forum.md``).

    Returns
    -------
    SupportClassifier
        Multilabel, classes ``emotional``, ``informational``, ``other``;
        ``predict_proba`` takes whole posts and gives calibrated
        probabilities; ``predict_frame`` adds the most probable ``label``.

    Raises
    ------
    peerscope.errors.PeerscopeError
        For an unknown name, or when the installed model files are damaged.

    Examples
    --------
    >>> model = pretrained("forum")
    >>> model.classes_.tolist()
    ['emotional', 'informational', 'other']
    >>> scores = model.predict_frame(["I'm so sorry, sending you a big hug.",
    ...                               "Ask your doctor about a referral to a neurologist."])
    >>> scores["label"].tolist()
    ['emotional', 'informational']
    """
    return SupportClassifier.load(pretrained_path(name))
