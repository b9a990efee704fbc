"""Preprocessing: tokens, normalisation, stop words, pruning, streaming and the cache."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peerscope import Corpus, errors
from peerscope.text import FIRST_NAMES, FORUM_STOPWORDS, Preprocessor, bag_of_words, stopwords


def _corpus(texts, start="2024-01-01"):
    n = len(texts)
    posts = pd.DataFrame({
        "post_id": [f"p{i}" for i in range(n)], "thread_id": [f"p{i}" for i in range(n)],
        "parent_id": [None] * n, "author_id": [f"m{i % 7}" for i in range(n)],
        "created_at": pd.date_range(start, periods=n, freq="D", tz="UTC"), "text": texts})
    return Corpus.from_frames(posts, name="hand")


def test_stopwords_combine_general_and_forum_lists():
    both = stopwords("sklearn")
    assert {"the", "thanks", "lol", "edit", "i'm"} <= both
    assert "thanks" not in stopwords("sklearn", forum=False)
    assert "the" in stopwords("gensim") and "the" not in stopwords("none", forum=False)
    assert "caregiver" in stopwords("none", False, extra=["Caregiver"])
    assert FORUM_STOPWORDS <= both
    with pytest.raises(errors.PeerscopeError):
        stopwords("nltk")


def test_tokenize_normalises_contact_details_numbers_and_keeps_emoticons():
    text = ("Hi all :) To ann@example.org or see https://forum.example.org/t/12 - "
            "call 0207 946 0958, @bob. My mum's 2nd carer didn't come at 9am <3 Thanks!!")
    assert Preprocessor().tokenize([text]) == [[":)", "mum's", "carer", "<3"]]  # "come": forum filler
    kept = Preprocessor(keep_placeholders=True).tokenize([text])[0]
    assert kept.count("_num_") == 2 and {"_email_", "_url_", "_phone_", "_user_"} <= set(kept)
    assert not {"example", "org", "forum", "ann", "bob"} & set(kept)


def test_stemming_tweet_tokenizer_and_min_length():
    texts = ["Caring for carers: sleepless nights", "he was sooooo tired :-D ok"]
    assert Preprocessor(stem="porter").tokenize(texts)[0] == ["care", "carer", "sleepless", "night"]
    tweet = Preprocessor(tokenizer="tweet").tokenize(texts)
    assert tweet[1] == ["sooo", "tired", ":-d"]
    assert Preprocessor(min_length=6).tokenize(texts)[0] == ["caring", "carers", "sleepless", "nights"]
    with pytest.raises(errors.PeerscopeError):
        Preprocessor(tokenizer="spacy")


_ALPHABET = st.sampled_from(list("abcdeé xyz  '’:;)(-<3@._/8dpP0123456789\n\t!?,") + ["don't", " www.a.org ",
                                                                                        " u/someone ", "Ünïcödé"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_ALPHABET, max_size=40).map("".join) | st.none(), max_size=12))
def test_batched_tokens_equal_the_per_document_tokenizer(texts):
    for tokenizer in ("regexp", "tweet"):
        preprocessor = Preprocessor(tokenizer=tokenizer, min_df=1, max_df=1.0, min_length=1)
        expected = preprocessor.tokenize(texts)
        bow = bag_of_words(texts, preprocessor, batch_size=5)
        assert list(bow.texts()) == expected
        assert bow.stats["documents"] == len(texts)
        assert bow.stats["empty_documents"] == sum(not t for t in expected)


def test_pruning_matches_a_plain_document_frequency_count():
    rng = np.random.default_rng(4)
    words = [f"word{chr(97 + i)}" for i in range(20)] + ["common"]
    texts = [" ".join(rng.choice(words[:-1], rng.integers(0, 8))) + " common" for _ in range(300)]
    bow = bag_of_words(texts, min_df=25, max_df=0.9)
    df = Counter(w for t in Preprocessor().tokenize(texts) for w in set(t))
    kept = {w for w, n in df.items() if 25 <= n <= int(0.9 * 300)}
    assert set(bow.terms) == kept and "common" not in kept
    assert dict(zip(bow.vocabulary["term"], bow.vocabulary["df"])) == {w: df[w] for w in kept}
    matrix = bow.matrix()
    assert matrix.shape == (300, len(kept))
    assert (np.asarray((matrix > 0).sum(axis=0)).ravel() == bow.vocabulary["df"].to_numpy()).all()
    assert bow.docs["n_terms"].sum() == matrix.sum() == bow.stats["kept_tokens"]
    top = bag_of_words(texts, min_df=1, max_df=1.0, keep_n=3)
    assert set(top.terms) == {w for w, _ in df.most_common(3)}


def test_gensim_views_agree_with_the_matrix():
    texts = ["sleep sleep tired night", "tired mum", "", "night night mum"]
    bow = bag_of_words(texts, min_df=1, max_df=1.0)
    docs = list(bow.gensim_corpus(batch_size=3))
    assert docs[2] == [] and len(docs) == 4
    assert sorted(docs[0]) == sorted((bow.terms.index(w), n) for w, n in Counter(texts[0].split()).items())
    dictionary = bow.dictionary()
    assert dictionary.token2id["mum"] == bow.terms.index("mum") and dictionary.dfs[bow.terms.index("night")] == 2
    assert dictionary.num_docs == 4


def test_phrases_join_a_frequent_pair():
    texts = [f"panic attack again {w}" for w in ["today", "work", "bus", "night", "shop"]] * 4
    bow = bag_of_words(texts, phrases=True, phrases_min_count=3, phrases_threshold=0.1, min_df=1, max_df=1.0)
    assert "panic_attack" in bow.terms and "panic" not in bow.terms


def test_saved_corpus_streams_caches_and_reuses(tmp_path, monkeypatch):
    texts = [f"sleep problems night {i % 5} tired" if i % 2 else "family visit mum dad" for i in range(40)]
    saved = _corpus(texts).save(tmp_path / "c")
    memory = bag_of_words(_corpus(texts), min_df=2)
    streamed = bag_of_words(saved, min_df=2, batch_size=7)
    assert list(streamed.texts()) == list(memory.texts())
    assert streamed.docs["post_id"].tolist() == [f"p{i}" for i in range(40)]
    entries = list((tmp_path / "c" / "cache").glob("bow-*"))
    assert len(entries) == 1 and streamed.source == entries[0]
    assert json.loads((entries[0] / "done.json").read_text())["stats"]["documents"] == 40

    def no_tokenising(*args, **kwargs):
        raise AssertionError("tokenised again")

    monkeypatch.setattr(Preprocessor, "_batch", no_tokenising)
    again = bag_of_words(saved, min_df=3, batch_size=7)  # pruning differs: same cache entry
    assert again.source == entries[0] and list(again.texts()) == list(streamed.texts())
    with pytest.raises(AssertionError, match="tokenised again"):
        bag_of_words(saved, stem="porter")  # other tokenising parameters: a new entry
    monkeypatch.undo()
    window = bag_of_words(saved.window(start="2024-01-11", end="2024-01-21"), min_df=1)
    assert window.docs["post_id"].tolist() == [f"p{i}" for i in range(10, 20)]
    assert len(list((tmp_path / "c" / "cache").glob("bow-*"))) == 2


def test_bad_input_and_quiet_progress(capsys):
    with pytest.raises(errors.PeerscopeError):
        bag_of_words("one string is not a corpus")
    with pytest.raises(errors.PeerscopeError):
        bag_of_words(["a"], Preprocessor(), min_df=1)
    bag_of_words(["quiet please"] * 3, min_df=1, progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.shared_data
def test_agingcare_preprocessing_counts(shared_data):
    records = json.loads((shared_data / "forum-agingcare-caregivers" / "ac.json").read_text())
    raw = pd.DataFrame(records)
    body = raw["body"].map(lambda b: "\n".join(b) if isinstance(b, list) else b)
    keep = (raw["date"] != "") & (body.str.strip() != "")
    assert len(raw) == 4154 and int((~keep).sum()) >= 9
    texts = body[keep].tolist()
    n = len(texts)
    posts = pd.DataFrame({"post_id": [str(i) for i in range(n)], "thread_id": [str(i) for i in range(n)],
                          "parent_id": [None] * n, "author_id": raw.loc[keep, "user_name"].tolist(),
                          "created_at": pd.to_datetime(raw.loc[keep, "date"].tolist(), utc=True), "text": texts})
    corpus = Corpus.from_frames(posts, name="agingcare")
    bow = bag_of_words(corpus, min_df=5, max_df=0.5, drop_names=False)
    # the plain way: the NLTK tokeniser on each whole post, a Counter for document frequencies
    tokens = Preprocessor().tokenize(texts)
    df = Counter(w for t in tokens for w in set(t))
    kept = {w for w, c in df.items() if 5 <= c <= int(0.5 * n)}
    nonempty = sum(any(w in kept for w in t) for t in tokens)
    assert bow.stats["documents"] == n
    assert bow.stats["vocabulary"] == len(df)
    assert bow.stats["kept_vocabulary"] == len(kept) == len(bow.vocabulary)
    assert bow.stats["nonempty_documents"] == nonempty
    assert bow.stats["kept_tokens"] == sum(w in kept for t in tokens for w in t)
    print(f"AgingCare: {len(raw)} records, {n} posts with date and body, {nonempty} non-empty after "
          f"preprocessing, vocabulary {len(df)} -> {len(kept)} after min_df=5/max_df=0.5")


def test_names_of_members_and_common_first_names_leave_the_vocabulary():
    texts = ["thanks becky_w, the bed and the hoist helped", "dave says the hoist and bed are fine",
             "my dad needs a new bed and a hoist", "becky_w: the hoist helped dad at night"] * 3
    corpus = _corpus(texts)
    posts = corpus.posts(columns="all")
    posts["author_id"] = ["Becky_W", "u_2e0bdad310", "u_bed4f00d01", "Nightowl"] * 3
    corpus = Corpus.from_frames(posts, name="names")
    bow = bag_of_words(corpus, min_df=1, max_df=1.0, progress=False)
    # "dave" is a common first name, "becky" a word of a member id; hexadecimal pseudonyms name no one,
    # so "bed" and "dad" (letter runs inside them) stay
    assert {"hoist", "bed", "dad", "helped"} <= set(bow.terms)
    assert not {"becky", "dave", "nightowl"} & set(bow.terms) and bow.stats["dropped_names"] == 2
    kept = bag_of_words(corpus, min_df=1, max_df=1.0, drop_names=False, progress=False)
    assert {"becky", "dave"} <= set(kept.terms) and kept.stats["dropped_names"] == 0
    assert len(FIRST_NAMES) > 500 and {"dave", "laurie", "becky"} <= FIRST_NAMES and "grace" not in FIRST_NAMES
    # plain texts: only the list of first names applies
    assert "dave" not in bag_of_words(texts, min_df=1, max_df=1.0).terms


def test_forum_filler_is_a_stop_word():
    assert {"time", "know", "just", "like", "get", "want", "need"} <= FORUM_STOPWORDS
    assert not {"feel", "help", "family", "care", "life"} & FORUM_STOPWORDS
