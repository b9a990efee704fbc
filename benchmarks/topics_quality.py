"""Do default topics recover communities?  NMI on mixtures of real communities (issue 19).

Each real set in ``../shared/data`` is a different community on a different
subject.  A *mixture* samples the same number of documents from four of them;
a topic model fitted with ``k = 4`` should put each community's documents in
their own topic, so the normalised mutual information (NMI) between each
document's dominant topic and its source measures how well the model finds
the structure that is there.  For each mixture this script fits

* ``peerscope``: ``topics.fit(texts, k=4, method=m, seed=s)`` with defaults,
  for NMF and LDA and seeds 0 and 1;
* gensim's online LDA with 1 and 10 passes (seed 0), the former default;
* the plain scikit-learn pipelines of the issue:
  ``TfidfVectorizer(stop_words="english", min_df=2, max_df=0.5,
  sublinear_tf=True)`` + ``NMF``, and ``CountVectorizer`` (same pruning) +
  batch ``LatentDirichletAllocation``, same seeds;

and records NMI against the source, NMI between the two seeds' assignments
(stability), fit time, and for peerscope's models NPMI coherence beside the
shuffled-words baseline (:func:`peerscope.topics.coherence_baseline`).

Mixtures ``dev-*`` were used to choose the defaults; ``heldout-*`` were run
once, at the end (``--heldout``).  ``--auto`` also runs ``k="auto"`` on each
mixture and records the k it picks.  Results go to
``benchmarks/results/topics_quality.json``.

Documents: ALSForums and AgingCare posts; reddit mental-health comments;
Stack Exchange quantum computing questions and answers (HTML body); CL-Aff
OffMyChest sentences joined per comment author and parent post; ESConv, the
seeker's turns of a dialogue joined; CounselChat, one question or one answer
(its sentences joined).  The numpy-discussion archive (164 messages) is too
small for the equal samples and is left out.  Texts under 40 characters are
dropped before sampling.

Run: ``python benchmarks/topics_quality.py [--heldout] [--auto] [--n 600]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score as nmi

from peerscope import topics

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PEERSCOPE_SHARED_DATA", REPO.parent / "shared" / "data"))
RESULTS = REPO / "benchmarks" / "results" / "topics_quality.json"

MIXTURES = {
    "dev-a": ("als", "reddit", "quantum", "counselchat"),
    "dev-b": ("agingcare", "esconv", "claff", "quantum"),
    "dev-c": ("reddit", "counselchat", "esconv", "als"),
    "dev-d": ("agingcare", "claff", "counselchat", "quantum"),
    "heldout-1": ("agingcare", "reddit", "esconv", "quantum"),
    "heldout-2": ("als", "claff", "counselchat", "esconv"),
}


def load_sources(data: Path = DATA) -> dict[str, list[str]]:
    """Each community's documents as plain texts (see the module docstring)."""
    sources = {}
    als = pd.read_csv(data / "forum-alsforums-caregivers" / "als.csv", dtype=str, keep_default_na=False)
    sources["als"] = als["body"].tolist()
    records = json.loads((data / "forum-agingcare-caregivers" / "ac.json").read_text(encoding="utf-8"))
    sources["agingcare"] = ["\n".join(r["body"]) if isinstance(r["body"], list) else (r["body"] or "")
                            for r in records]
    reddit = pd.read_csv(data / "reddit-mh-comments" / "reddit_post_comments.csv", dtype=str,
                         keep_default_na=False)
    sources["reddit"] = reddit["body"].tolist()
    posts = ET.parse(data / "stackexchange-quantumcomputing-2018" / "Posts.xml").getroot()
    sources["quantum"] = [row.get("Body", "") for row in posts.iter("row")]
    claff = pd.read_csv(data / "claff-offmychest" / "labeled_training_set.csv", dtype=str,
                        keep_default_na=False)
    sources["claff"] = claff.groupby(["id", "author"], sort=False)["full_text"].agg(" ".join).tolist()
    esconv = []
    for line in (data / "esconv" / "train.txt").read_text(encoding="utf-8").splitlines():
        dialog = json.loads(line)["dialog"]
        esconv.append(" ".join(turn["text"] for turn in dialog if turn["speaker"] == "usr"))
    sources["esconv"] = esconv
    counsel = pd.read_csv(data / "counselchat-mi" / "MI_Augmented_CounselChat.csv", dtype=str,
                          keep_default_na=False)
    sources["counselchat"] = counsel.groupby(["dialog_id", "turn"], sort=False)["text"].agg(" ".join).tolist()
    return {name: [t for t in texts if len(t.strip()) >= 40] for name, texts in sources.items()}


def mixture(sources: dict, names, n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """``n`` documents drawn without replacement from each named source; texts and source labels."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for label, name in enumerate(names):
        pool = sources[name]
        for i in rng.choice(len(pool), min(n, len(pool)), replace=False):
            texts.append(pool[i])
            labels.append(label)
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], np.asarray(labels)[order]


def _sklearn_nmf(texts, k, seed):
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    x = TfidfVectorizer(stop_words="english", min_df=2, max_df=0.5, sublinear_tf=True).fit_transform(texts)
    return NMF(n_components=k, random_state=seed).fit_transform(x).argmax(axis=1)


def _sklearn_lda(texts, k, seed):
    from sklearn.decomposition import LatentDirichletAllocation
    from sklearn.feature_extraction.text import CountVectorizer

    x = CountVectorizer(stop_words="english", min_df=2, max_df=0.5).fit_transform(texts)
    lda = LatentDirichletAllocation(n_components=k, learning_method="batch", random_state=seed)
    return lda.fit_transform(x).argmax(axis=1)


def _gensim_lda(texts, k, seed, passes):
    """gensim's online LDA (what ``topics.fit`` used before issue 19) on peerscope's default preprocessing."""
    from gensim.models import LdaModel

    bow = topics.bag_of_words(texts, progress=False)
    lda = LdaModel(list(bow.gensim_corpus()), id2word=bow.dictionary(), num_topics=k, passes=passes,
                   random_state=seed, eval_every=None)
    shares = np.zeros((len(bow), k))
    for i, doc in enumerate(bow.gensim_corpus()):
        for topic, share in lda.get_document_topics(doc, minimum_probability=0.0):
            shares[i, topic] = share
    return shares.argmax(axis=1)


def run_mixture(name, sources, n, seed, k=4, auto=False) -> dict:
    texts, labels = mixture(sources, MIXTURES[name], n, seed)
    bow = topics.bag_of_words(texts, progress=False)
    out = {"sources": list(MIXTURES[name]), "documents": len(texts), "terms": len(bow.vocabulary),
           "runs": []}
    for method in ("nmf", "lda"):
        assignments = {}
        for s in (0, 1):
            started = time.perf_counter()
            model = topics.fit(texts, k=k, method=method, seed=s, progress=False)
            seconds = time.perf_counter() - started
            dominant = model.dominant_topics()
            assignments[s] = dominant
            npmi = model.coherence("c_npmi").value
            shuffled = topics.coherence_baseline(model, seed=s).value
            out["runs"].append({"pipeline": f"peerscope {method}", "seed": s, "nmi": float(nmi(labels, dominant)),
                                "seconds": seconds, "npmi": npmi, "npmi_shuffled": shuffled,
                                "top_terms": model.summary(8)["terms"].tolist()})
        out["runs"].append({"pipeline": f"peerscope {method}", "seed": "0 vs 1",
                            "nmi": float(nmi(assignments[0], assignments[1]))})
    for label, pipeline in (("sklearn tfidf+NMF", _sklearn_nmf), ("sklearn count+batch LDA", _sklearn_lda)):
        assignments = {}
        for s in (0, 1):
            started = time.perf_counter()
            assignments[s] = pipeline(texts, k, s)
            out["runs"].append({"pipeline": label, "seed": s, "nmi": float(nmi(labels, assignments[s])),
                                "seconds": time.perf_counter() - started})
        out["runs"].append({"pipeline": label, "seed": "0 vs 1",
                            "nmi": float(nmi(assignments[0], assignments[1]))})
    for passes in (1, 10):
        started = time.perf_counter()
        dominant = _gensim_lda(texts, k, 0, passes)
        out["runs"].append({"pipeline": f"gensim online LDA, {passes} pass{'es' if passes > 1 else ''}",
                            "seed": 0, "nmi": float(nmi(labels, dominant)),
                            "seconds": time.perf_counter() - started})
    if auto:
        for method in ("nmf", "lda"):
            started = time.perf_counter()
            model = topics.fit(bow, k="auto", method=method, seed=0, progress=False)
            out["runs"].append({"pipeline": f"peerscope {method} k=auto", "seed": 0, "k": model.k,
                                "nmi": float(nmi(labels, model.dominant_topics())),
                                "seconds": time.perf_counter() - started,
                                "sweep": model.sweep_table.to_dict(orient="list")})
    return out


def _table(results: dict) -> str:
    rows = []
    for name, mix in results["mixtures"].items():
        for run in mix["runs"]:
            rows.append({"mixture": name, "pipeline": run["pipeline"], "seed": run["seed"],
                         "nmi": run["nmi"], "k": run.get("k", ""), "seconds": run.get("seconds", np.nan),
                         "npmi": run.get("npmi", np.nan), "npmi_shuffled": run.get("npmi_shuffled", np.nan)})
    return pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="documents per community")
    parser.add_argument("--heldout", action="store_true", help="run the held-out mixtures too")
    parser.add_argument("--only", nargs="*", help="mixtures to run (default: dev, plus held-out)")
    parser.add_argument("--auto", action="store_true", help="also fit k='auto'")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sources = load_sources()
    names = args.only or [m for m in MIXTURES if m.startswith("dev") or args.heldout]
    results = {"n_per_community": args.n, "k": 4, "sizes": {s: len(t) for s, t in sources.items()},
               "mixtures": {}}
    for name in names:
        results["mixtures"][name] = run_mixture(name, sources, args.n, seed=100 + list(MIXTURES).index(name),
                                                auto=args.auto)
        print(f"{name} done", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    print(_table(results))


if __name__ == "__main__":
    main()
