"""Text preprocessing for topic models: tokenise, normalise, count, prune, cache.

Forum posts about distress are short, informal and full of contact details,
emoticons and the small talk of forums ("thanks", "hugs", "hi all").  A
:class:`Preprocessor` turns each post into a list of terms:

1. HTML tags and entities left by scrapers are removed; personal details are replaced by placeholders with
   :func:`peerscope.privacy.scrub_pii` (e-mail, URL, phone, @handle), and
   numbers by a placeholder, so that they neither leak into topic terms nor
   split into junk tokens (placeholders are dropped unless
   ``keep_placeholders=True``);
2. the text is lower-cased and tokenised with an NLTK tokeniser that needs no
   downloaded data: a :class:`~nltk.tokenize.RegexpTokenizer` with
   :data:`TOKEN_PATTERN` (words with inner apostrophes, emoticons,
   placeholders; the default, and fast) or NLTK's
   :class:`~nltk.tokenize.TweetTokenizer` (``tokenizer="tweet"``);
3. stop words are removed: scikit-learn's ``ENGLISH_STOP_WORDS`` (or gensim's
   ``STOPWORDS``) plus :data:`FORUM_STOPWORDS`, a list written for forum
   talk, plus any you add; tokens shorter than ``min_length`` letters go too
   (emoticons are kept);
4. optionally terms are stemmed (NLTK Porter or Snowball, no data needed) and
   frequent word pairs joined into bigrams with gensim's
   :class:`~gensim.models.phrases.Phrases` (this costs a second pass);
5. when the vocabulary is pruned, people's names go (``drop_names=True``, the
   default): :data:`FIRST_NAMES` and, for a corpus, the words of its member
   ids and display names, so that no topic's top terms name a member.

:func:`bag_of_words` runs the preprocessor over a corpus, streaming the
``text`` column from Parquet in record batches (the column is never whole in
memory), and prunes the vocabulary by document frequency (``min_df``,
``max_df``, ``keep_n``).

Which text: ``table="posts"`` (the default) reads the forum's posts,
``table="newsletter_items"`` the items of peer-written newsletters and
``table="all"`` both, posts first, in one vocabulary (one topic space across
forms of support).  Every document keeps its ``doc_id`` (the row's own id:
``post_id`` of a post, ``item_id`` of an item, unchanged), its ``source``
(the table it came from), ``author_id`` and ``created_at`` (a post's
``created_at``; an item's ``published_at``).  ``post_id`` stays a column of
posts-only documents (equal to ``doc_id``), as before; with items, a
document is known by the pair ``(source, doc_id)``, since a post and an item
may share an id.  Word-level work is done once per *distinct* token of
a batch, not per token, and counting is vectorised with numpy.

On a corpus opened with ``engine="dask"`` the tokenising runs on the Dask
workers, one task per partition of the posts (a monthly file or a row
group), and the client merges the per-partition counts.  Terms are numbered
in the order they first occur in the corpus, whichever engine and however
the posts are batched, so both engines give the same vocabulary, term ids,
documents (in the same order) and counts.  With ``phrases=True`` the
bigram counts are summed over partitions as gensim sums them over batches:
identical while gensim's ``Phrases`` holds fewer than ``max_vocab_size``
(40 million) unigrams and bigrams; beyond that gensim prunes rare entries,
and where it does depends on the batching in either engine.

Caching: for a saved corpus the token sequences are written to
``<corpus>/cache/bow-<key>/`` where ``key`` hashes the preprocessing
parameters (pruning and name removal excluded), the stop words, the corpus
manifest, its time window, the table read (other than posts) and the
peerscope version; a second model, or a
sweep over ``k``, reads them back instead of tokenising again, and pruning
and name removal are re-applied on reading (they are cheap).  In-memory corpora (:meth:`peerscope.Corpus.from_frames`) are not
cached: keep the :class:`BagOfWords` and pass it to every model instead.

Comparing groups: :func:`keyness` ranks the terms that set one group of
members (a member attribute, e.g. carers against patients) apart from the
rest by the weighted log-odds ratio with an informative Dirichlet prior
(Monroe, Colaresi & Quinn 2008), and :func:`plot_keyness` draws the top
terms of each group; :func:`kwic` shows a term in its context in the posts
(text shown only when asked for).

Example
-------
>>> from peerscope.text import Preprocessor
>>> Preprocessor().tokenize(["Hi all :) My mum's carer visits at 9 - see www.x.org, thanks!"])
[[':)', "mum's", 'carer', 'visits']]
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from itertools import chain, cycle
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy import sparse
from tqdm.auto import tqdm

from peerscope import __version__, errors
from peerscope._kernels.display import axes, style_axes
from peerscope._kernels.runs import run_starts
from peerscope.privacy import scrub_pii

__all__ = ["BATCH_SIZE", "CACHE_DIR", "DOC_COLUMNS", "DOC_TABLES", "EMOTICON_PATTERN", "FIRST_NAMES",
           "FORUM_STOPWORDS", "PLACEHOLDERS", "STEMMERS", "STOPWORD_LISTS", "TOKENIZERS", "TOKEN_PATTERN",
           "BagOfWords", "GensimCorpus", "Preprocessor", "bag_of_words", "cache_key",
           "iter_post_batches", "keyness", "kwic", "plot_keyness", "stopwords"]

#: Words, with inner apostrophes ("don't", "mum's"); emoticons; placeholders.
TOKEN_PATTERN = (r"_(?:url|email|phone|user|num)_"
                 r"|<3|[<>]?[:;=8][\-o*']?[()\[\]dp/\\|}{@]"
                 r"|[^\W\d_]+(?:'[^\W\d_]+)*")
#: Emoticons: kept whatever ``min_length`` says.
EMOTICON_PATTERN = r"<3|[<>]?[:;=8][\-o*']?[()\[\]dDpP/\\|}{@]"
#: Placeholders that normalisation writes (scrub_pii's, plus numbers).
PLACEHOLDERS = ("_url_", "_email_", "_phone_", "_user_", "_num_")
#: Numbers, times, dates and ordinals (RE2 syntax, for Arrow compute).
#: (Not after a letter, digit or "<", so "covid19" and the "<3" heart stay.)
_NUMBER = r"(^|[^<\p{L}\p{N}_])\p{Nd}+(?:[.,:/]\p{Nd}+)*(?:st|nd|rd|th|am|pm|s)?\b"
#: HTML tags and character entities that scrapes leave in forum text ("<br>", "&amp;").
_MARKUP = r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,300})?/?>|&(?:[A-Za-z]{2,8}|#\d{1,6});"
#: Texts that may hold a personal detail: a superset of the privacy patterns (RE2).
_PII_SUSPECT = r"@|(?i:https?://|www\.)|u/| at \S*\.|\p{Nd}[\p{Nd} ().-]{7,}\p{Nd}"

#: Small talk, greetings, sign-offs, forum mechanics, contractions and
#: conversational filler that sklearn's and gensim's lists miss.  The filler
#: (last three lines) was chosen by document frequency across communities:
#: words in at least 2% of the posts of six of seven real communities on
#: different subjects (two caregiver forums, mental-health subreddits,
#: quantum-computing Q&A, OffMyChest, ESConv, CounselChat), less the words
#: that carry a support topic ("feel", "help", "family", "care", "life").
FORUM_STOPWORDS = frozenset("""
hi hello hey hiya dear everyone everybody guys folks welcome
thanks thank thankyou thx ty cheers appreciate appreciated bye xx xxx xo x
lol lmao haha hahaha omg btw imo imho tbh idk fyi ok okay yeah yes yep yup nope oh ah um
edit edited update updated post posts posted posting thread threads reply replies replied
forum forums board quote quoted wrote link pm dm op
just really like know think get got getting going go went gone say said says
would could should might also still even much many lot lots bit thing things
i'm i've i'd i'll you're you've you'd you'll he's she's it's we're we've they're they've
that's there's what's who's let's don't doesn't didn't can't cannot won't wouldn't couldn't
shouldn't isn't aren't wasn't weren't haven't hasn't hadn't ain't im ive dont cant didnt
time times make makes making need needed needs way want wanted wants good better best new right
sure come look looking kind let point thought used use start started taking takes tried trying
try actually probably pretty maybe mean long little real place having doing gets ask believe
""".split())

#: Common English-language first names (lower case), never kept as terms with
#: ``drop_names=True``: members greet and thank each other by name, and a name
#: among a topic's top terms identifies people in a published table.  Written
#: for peerscope (``topics/first_names.txt``, one per line); names that are
#: also common words ("grace", "joy", "dawn", "june", "will") are left out.
FIRST_NAMES = frozenset((Path(__file__).parent / "topics" / "first_names.txt")
                        .read_text(encoding="utf-8").split())

TOKENIZERS = ("regexp", "tweet")
STOPWORD_LISTS = ("sklearn", "gensim", "none")
STEMMERS = (None, "porter", "snowball")
#: Posts read per record batch.
BATCH_SIZE = 50_000
CACHE_DIR = "cache"


def stopwords(base: str = "sklearn", forum: bool = True, extra: Iterable[str] = ()) -> frozenset[str]:
    """The stop-word set: a general English list, the forum list, and extra words.

    Parameters
    ----------
    base : {"sklearn", "gensim", "none"}
        scikit-learn's ``ENGLISH_STOP_WORDS`` (318 words), gensim's
        ``STOPWORDS`` (337 words) or none.
    forum : bool
        Add :data:`FORUM_STOPWORDS`.
    extra : iterable of str
        More words (lower-cased).

    Returns
    -------
    frozenset of str

    Examples
    --------
    >>> "thanks" in stopwords() and "the" in stopwords() and "the" not in stopwords("none", False)
    True
    """
    if base not in STOPWORD_LISTS:
        raise errors.PeerscopeError(f"stopwords={base!r}: choose one of {list(STOPWORD_LISTS)}")
    words: set[str] = set()
    if base == "sklearn":
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
        words |= set(ENGLISH_STOP_WORDS)
    elif base == "gensim":
        from gensim.parsing.preprocessing import STOPWORDS
        words |= set(STOPWORDS)
    if forum:
        words |= FORUM_STOPWORDS
    return frozenset(words | {w.lower() for w in extra})


@dataclass(frozen=True)
class Preprocessor:
    """How posts become terms (see the module docstring for each step).

    Parameters
    ----------
    tokenizer : {"regexp", "tweet"}
        NLTK ``RegexpTokenizer(TOKEN_PATTERN)`` or ``TweetTokenizer``.
    normalise : bool
        Replace e-mail addresses, URLs, phone numbers, handles (via
        :func:`peerscope.privacy.scrub_pii`) and numbers with placeholders.
    keep_placeholders : bool
        Keep the placeholders (``_url_``, ``_num_``, ...) as terms.
    stopwords : {"sklearn", "gensim", "none"}
        The general stop-word list.
    forum_stopwords : bool
        Also remove :data:`FORUM_STOPWORDS`.
    extra_stopwords : tuple of str
        Further words to remove (e.g. the forum's name).
    min_length : int
        Shortest word kept, in characters (emoticons are always kept).
    stem : {None, "porter", "snowball"}
        Stem terms with NLTK's Porter or English Snowball stemmer.
    phrases : bool
        Join frequent pairs into bigrams (``"panic_attacks"``) with gensim
        ``Phrases(min_count=phrases_min_count, threshold=phrases_threshold)``
        learned on the same posts in a first pass.
    min_df, max_df : int or float
        Keep terms in at least ``min_df`` documents and at most ``max_df``
        (an int is a count of documents, a float a share of them).
    keep_n : int, optional
        Then keep only the ``keep_n`` terms in most documents.
    drop_names : bool
        Remove people's names from the vocabulary when pruning:
        :data:`FIRST_NAMES` and, for a corpus, each word of letters (two or
        more) of its member ids (authors and the members table) and of a
        ``display_name`` column of the members table.  Not applied by
        :meth:`tokenize`, which does no pruning.

    Examples
    --------
    Stop words go, the URL becomes a placeholder (dropped), the emoticon stays:

    >>> Preprocessor().tokenize(["I can't sleep, see https://example.org :)", None])
    [['sleep', ':)'], []]
    >>> Preprocessor(stem="porter").tokenize(["sleeping badly"])
    [['sleep', 'badli']]
    """

    tokenizer: str = "regexp"
    normalise: bool = True
    keep_placeholders: bool = False
    stopwords: str = "sklearn"
    forum_stopwords: bool = True
    extra_stopwords: tuple[str, ...] = ()
    min_length: int = 2
    stem: str | None = None
    phrases: bool = False
    phrases_min_count: int = 5
    phrases_threshold: float = 10.0
    min_df: int | float = 5
    max_df: int | float = 0.5
    keep_n: int | None = None
    drop_names: bool = True
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.tokenizer not in TOKENIZERS:
            raise errors.PeerscopeError(f"tokenizer={self.tokenizer!r}: choose one of {list(TOKENIZERS)}")
        if self.stem not in STEMMERS:
            raise errors.PeerscopeError(f"stem={self.stem!r}: choose one of {list(STEMMERS)}")
        stopwords(self.stopwords)
        object.__setattr__(self, "extra_stopwords", tuple(sorted({w.lower() for w in self.extra_stopwords})))

    def params(self) -> dict:
        """The parameters, as stored beside every model and cache."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init}

    def tokenize(self, texts: Iterable[str | None]) -> list[list[str]]:
        """Terms of each text, before pruning by document frequency (bigrams not applied).

        This is the plain per-document path (the NLTK tokeniser on each whole
        text); :func:`bag_of_words` gives the same terms, faster, in batches.
        """
        normalised = self.normalise_texts(pa.array(list(texts), type=pa.large_string()))
        tokenize = self._tokenizer().tokenize
        return [[term for term in map(self._term, tokenize(text or "")) if term is not None]
                for text in normalised.to_pylist()]

    def normalise_texts(self, texts: pa.Array) -> pa.Array:
        """Placeholders for personal details and numbers (if ``normalise``), lower case.

        Only texts that may hold a personal detail (a cheap vectorised test,
        a superset of :data:`peerscope.privacy.PII_PATTERNS`) go through
        :func:`~peerscope.privacy.scrub_pii`; the rest is Arrow compute.
        """
        texts = pc.fill_null(texts, "")
        texts = pc.replace_substring_regex(texts, _MARKUP, " ")
        if self.normalise:
            suspect = pc.match_substring_regex(texts, _PII_SUSPECT)
            rows = np.flatnonzero(suspect.to_numpy(zero_copy_only=False))
            if len(rows):
                scrubbed = scrub_pii(pd.Series(texts.take(rows).to_pylist(), dtype="str"))
                texts = pc.replace_with_mask(texts, suspect, pa.array(scrubbed.tolist(), type=texts.type))
            texts = pc.replace_substring_regex(texts, r"\[(url|email|phone|user)\]", r" _\1_ ")
            texts = pc.replace_substring_regex(texts, _NUMBER, r"\1 _num_ ")
        texts = pc.replace_substring(texts, "\u2019", "'")
        return pc.utf8_lower(texts)

    # -- batch work --------------------------------------------------------

    def _batch(self, texts) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Per text, how many terms; the terms as codes into a list of distinct terms.

        With the regexp tokeniser a text is split at white space (Arrow) and
        each *distinct* chunk tokenised once: no token of
        :data:`TOKEN_PATTERN` holds white space, so this gives exactly the
        tokens of the tokeniser run on the whole text.  The tweet tokeniser
        (whose tokens may span spaces) runs on whole texts.
        """
        if not isinstance(texts, (pa.Array, pa.ChunkedArray)):
            texts = pa.array(texts, from_pandas=True)
        if isinstance(texts, pa.ChunkedArray):
            texts = texts.combine_chunks() if texts.num_chunks else pa.array([], type=pa.large_string())
        texts = self.normalise_texts(texts)
        if self.tokenizer == "regexp":
            chunks = pc.utf8_split_whitespace(texts)
            per_text = pc.list_value_length(chunks).to_numpy(zero_copy_only=False).astype(np.int64)
            encoded = pc.dictionary_encode(pc.list_flatten(chunks))
            occurrences = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
            chunk_terms = [self._chunk_terms(c) for c in encoded.dictionary.to_pylist()]
        else:
            tokenize = self._tokenizer().tokenize
            per_text = np.ones(len(texts), dtype=np.int64)
            occurrences = np.arange(len(texts), dtype=np.int64)
            chunk_terms = [[t for t in map(self._term, tokenize(text)) if t is not None]
                           for text in texts.to_pylist()]
        # expand each chunk occurrence into its terms
        n_terms = np.fromiter(map(len, chunk_terms), dtype=np.int64, count=len(chunk_terms))
        codes, terms = pd.factorize(np.fromiter(chain.from_iterable(chunk_terms), dtype=object,
                                                count=int(n_terms.sum())))
        first = np.cumsum(n_terms) - n_terms
        per_occurrence = n_terms[occurrences]
        total = int(per_occurrence.sum())
        step = np.arange(total) - np.repeat(np.cumsum(per_occurrence) - per_occurrence, per_occurrence)
        term_codes = codes[np.repeat(first[occurrences], per_occurrence) + step].astype(np.int64)
        text_of_occurrence = np.repeat(np.arange(len(per_text)), per_text)
        lengths = np.bincount(text_of_occurrence, weights=per_occurrence, minlength=len(per_text))
        return lengths.astype(np.int64), term_codes, list(terms)

    def _chunk_terms(self, chunk: str) -> list[str]:
        """The terms of one white-space-free chunk (memoised)."""
        memo = self._memo.setdefault("chunks", {})
        terms = memo.get(chunk)
        if terms is None:
            terms = memo[chunk] = [t for t in map(self._term, self._tokenizer().tokenize(chunk))
                                   if t is not None]
        return terms

    def _term(self, token: str) -> str | None:
        """The term a token becomes, or None when it is dropped (memoised)."""
        memo = self._memo.setdefault("terms", {})
        if token in memo:
            return memo[token]
        term = None
        if token in PLACEHOLDERS:
            term = token if self.keep_placeholders else None
        elif _emoticon().fullmatch(token):
            term = token
        elif (len(token) >= self.min_length and _word().fullmatch(token)
              and token not in self._stopwords()):
            term = self._stemmer()(token) if self.stem else token
        memo[token] = term
        return term

    def _tokenizer(self):
        if "tokenizer" not in self._memo:
            if self.tokenizer == "tweet":
                from nltk.tokenize import TweetTokenizer
                self._memo["tokenizer"] = TweetTokenizer(preserve_case=False, reduce_len=True)
            else:
                from nltk.tokenize import RegexpTokenizer
                self._memo["tokenizer"] = RegexpTokenizer(TOKEN_PATTERN)
        return self._memo["tokenizer"]

    def _stopwords(self) -> frozenset[str]:
        if "stopwords" not in self._memo:
            self._memo["stopwords"] = stopwords(self.stopwords, self.forum_stopwords, self.extra_stopwords)
        return self._memo["stopwords"]

    def _stemmer(self):
        if "stemmer" not in self._memo:
            from nltk.stem import PorterStemmer, SnowballStemmer
            stemmer = PorterStemmer() if self.stem == "porter" else SnowballStemmer("english")
            self._memo["stemmer"] = stemmer.stem
        return self._memo["stemmer"]


_PATTERNS: dict[str, object] = {}


def _emoticon():
    if "emoticon" not in _PATTERNS:
        import re
        _PATTERNS["emoticon"] = re.compile(EMOTICON_PATTERN)
    return _PATTERNS["emoticon"]


def _separator():
    if "separator" not in _PATTERNS:
        import re
        _PATTERNS["separator"] = re.compile(r"[\W_]+")
    return _PATTERNS["separator"]


def _word():
    if "word" not in _PATTERNS:
        import re
        _PATTERNS["word"] = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
    return _PATTERNS["word"]


# ---------------------------------------------------------------------------
# Streaming the text column
# ---------------------------------------------------------------------------

DOC_COLUMNS = ("post_id", "author_id", "created_at", "text")
#: What ``table=`` may name: one text table, or ``"all"`` (posts, then newsletter items).
DOC_TABLES = ("posts", "newsletter_items", "all")
#: Per text table: its id column and its time column.
_ID_TIME = {"posts": ("post_id", "created_at"), "newsletter_items": ("item_id", "published_at")}


def iter_post_batches(corpus, batch_size: int = BATCH_SIZE) -> Iterator[pd.DataFrame]:
    """Posts (``post_id, author_id, created_at, text``) in batches of at most ``batch_size``.

    Streams through :meth:`peerscope.Corpus.iter_batches`, so the text column
    of a saved corpus is never whole in memory; the corpus's time window
    applies.

    Parameters
    ----------
    corpus : peerscope.Corpus
    batch_size : int
        Most posts per batch.

    Yields
    ------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "thread_id": ["p1"] * 3,
    ...     "parent_id": [None, "p1", "p1"], "author_id": ["ann", "bob", "cat"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
    ...     "text": ["Cannot sleep again", "Sleep is hard", None]})
    >>> corpus = Corpus.from_frames(posts)
    >>> [len(batch) for batch in iter_post_batches(corpus, batch_size=2)]
    [2, 1]
    """
    yield from corpus.iter_batches("posts", list(DOC_COLUMNS), batch_size=batch_size)


def _post_count(corpus) -> int:
    return int(corpus.manifest["tables"]["posts"]["rows"])


def _text_tables(corpus, table: str) -> list[str]:
    """The tables ``table`` reads (checked): ``["posts"]``, ``["newsletter_items"]`` or both.

    Raises
    ------
    peerscope.errors.PeerscopeError
        For a name outside :data:`DOC_TABLES`, or newsletter items asked of
        a corpus that has none.
    """
    if not isinstance(table, str) or table not in DOC_TABLES:
        raise errors.PeerscopeError(f"table={table!r}: choose one of {list(DOC_TABLES)}")
    tables = ["posts", "newsletter_items"] if table == "all" else [table]
    if "newsletter_items" in tables and not corpus.has_table("newsletter_items"):
        raise errors.PeerscopeError(
            f"table={table!r}: this corpus has no newsletter_items table (load a newsletter, e.g. "
            f"peerscope.loaders.newsletter, or pass table='posts')")
    return tables


def _doc_count(corpus, tables: list[str]) -> int:
    """Rows of the text tables, from the manifest (before any time window)."""
    return sum(int(corpus.manifest["tables"][t]["rows"]) for t in tables if t in corpus.manifest["tables"])


def _as_documents(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Rows of a text table as documents: ``doc_id, source, author_id, created_at, text``."""
    id_column, time_column = _ID_TIME[source]
    frame = frame.reset_index(drop=True)
    return pd.DataFrame({"doc_id": frame[id_column].astype("str"),
                         "source": pd.Series([source] * len(frame), dtype="str"),
                         "author_id": frame["author_id"], "created_at": frame[time_column],
                         "text": frame["text"]})


def _iter_documents(corpus, table: str = "posts", batch_size: int = BATCH_SIZE) -> Iterator[pd.DataFrame]:
    """Documents of one text table or both, in batches: ``doc_id, source, author_id, created_at, text``.

    Posts (``post_id``, ``created_at``) and newsletter items (``item_id``,
    ``published_at``) are streamed through
    :meth:`peerscope.Corpus.iter_batches` (the time window applies to each
    table's own time column) and given the same columns; with
    ``table="all"`` the posts come first.

    Parameters
    ----------
    corpus : peerscope.Corpus
    table : {"posts", "newsletter_items", "all"}
    batch_size : int
        Most documents per batch.

    Yields
    ------
    pandas.DataFrame

    Raises
    ------
    peerscope.errors.PeerscopeError
        For an unknown table, or newsletter items of a corpus without them.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1"], "thread_id": ["p1"], "parent_id": [None],
    ...     "author_id": ["ann"], "created_at": pd.to_datetime(["2024-01-01"], utc=True),
    ...     "text": ["Cannot sleep again"]})
    >>> items = pd.DataFrame({"item_id": ["i1"], "issue_id": ["2024-01"], "newsletter": ["Echo"],
    ...     "published_at": pd.to_datetime(["2024-01-05"], utc=True), "author_id": [None],
    ...     "text": ["Sleep clinics near you"]})
    >>> corpus = Corpus.from_frames(posts, newsletter_items=items)
    >>> batches = list(_iter_documents(corpus, "all"))
    >>> pd.concat(batches)[["doc_id", "source"]].values.tolist()
    [['p1', 'posts'], ['i1', 'newsletter_items']]
    """
    for source in _text_tables(corpus, table):
        id_column, time_column = _ID_TIME[source]
        columns = [id_column, "author_id", time_column, "text"]
        for batch in corpus.iter_batches(source, columns, batch_size=batch_size):
            yield _as_documents(batch, source)


def _texts_as_batches(texts, batch_size: int) -> Iterator[pd.DataFrame]:
    """Plain texts (a Series or a sequence of str) as document batches; ids from the index."""
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts))
    post_id = series.index.astype("str") if isinstance(texts, pd.Series) else pd.RangeIndex(len(series)).astype("str")
    frame = pd.DataFrame({"doc_id": pd.array(post_id, dtype="str"),
                          "source": pd.array([None] * len(series), dtype="str"),
                          "author_id": pd.array([None] * len(series), dtype="str"),
                          "created_at": pd.Series(pd.NaT, index=range(len(series)), dtype="datetime64[us, UTC]"),
                          "text": pd.array(series.tolist(), dtype="str")})
    for start in range(0, len(frame), batch_size):
        yield frame.iloc[start:start + batch_size].reset_index(drop=True)


# ---------------------------------------------------------------------------
# The bag of words
# ---------------------------------------------------------------------------

class BagOfWords:
    """Preprocessed documents: term sequences over a pruned vocabulary.

    Made by :func:`bag_of_words`.  Documents keep their order, their
    ``doc_id`` and ``source`` (see the module docstring); a document whose
    terms were all removed stays, with no terms (models give it no dominant
    topic).

    Attributes
    ----------
    preprocessor : Preprocessor
    vocabulary : DataFrame
        ``term, df, cf``: the kept terms in id order, with document and
        corpus frequencies.
    docs : DataFrame
        ``doc_id, source, author_id, created_at, n_terms`` per document,
        led by ``post_id`` (= ``doc_id``) for posts and plain texts
        (``source`` is null for plain texts).
    table : str or None
        The table read: ``"posts"``, ``"newsletter_items"`` or ``"all"``
        (None for plain texts).
    stats : dict
        ``documents``, ``empty_documents`` (no term before pruning),
        ``tokens`` and ``vocabulary`` before pruning, ``dropped_names``
        (terms removed as names, see ``Preprocessor.drop_names``),
        ``kept_tokens``, ``kept_vocabulary`` and ``nonempty_documents`` after it.
    source : pathlib.Path or None
        The cache folder, for a bag of words read from disk.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "thread_id": ["p1"] * 3,
    ...     "parent_id": [None, "p1", "p1"], "author_id": ["ann", "bob", "cat"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
    ...     "text": ["Cannot sleep again", "Sleep is hard", None]})
    >>> corpus = Corpus.from_frames(posts)
    >>> bow = bag_of_words(corpus, Preprocessor(min_df=1, max_df=1.0), progress=False)
    >>> bow
    <BagOfWords documents=3 vocabulary=2 tokens=3>
    >>> bow.terms, bow.docs["n_terms"].tolist()
    (['sleep', 'hard'], [1, 2, 0])
    """

    def __init__(self, preprocessor: Preprocessor, raw_vocabulary: pd.DataFrame, docs: pd.DataFrame,
                 sequences, stats: dict, source: Path | None = None, names: Iterable[str] = (),
                 table: str | None = "posts"):
        self.preprocessor = preprocessor
        self.source = source
        self.table = table
        docs = _document_frame(docs.drop(columns="n_terms", errors="ignore"), table)
        self._sequences = sequences  # a pyarrow ListArray (memory) or a Parquet path
        df = raw_vocabulary["df"].to_numpy(dtype=np.int64)
        keep = _keep_mask(df, len(docs), preprocessor)
        named = np.zeros(len(keep), dtype=bool)
        if preprocessor.drop_names:
            excluded = FIRST_NAMES | _name_words(chain(docs["author_id"].dropna().unique(), names))
            named = raw_vocabulary["term"].isin(excluded).to_numpy()
        keep &= ~named
        self._remap = np.where(keep, np.cumsum(keep) - 1, -1).astype(np.int64)
        self.vocabulary = raw_vocabulary[keep].reset_index(drop=True)
        counts = np.zeros(len(docs), dtype=np.int64)
        cf = np.zeros(len(self.vocabulary), dtype=np.int64)
        for start, offsets, values in self.iter_sequences():
            counts[start:start + len(offsets) - 1] = np.diff(offsets)
            cf += np.bincount(values, minlength=len(cf))
        self.docs = docs.assign(n_terms=counts)
        self.vocabulary = self.vocabulary.assign(cf=cf)
        self.stats = {**stats, "dropped_names": int(named.sum()), "kept_vocabulary": len(self.vocabulary),
                      "kept_tokens": int(counts.sum()),
                      "nonempty_documents": int((counts > 0).sum())}

    def __len__(self) -> int:
        return len(self.docs)

    def __repr__(self) -> str:
        return (f"<BagOfWords documents={len(self)} vocabulary={len(self.vocabulary)} "
                f"tokens={self.stats['kept_tokens']}>")

    @property
    def terms(self) -> list[str]:
        return self.vocabulary["term"].tolist()

    def iter_sequences(self, batch_size: int = BATCH_SIZE) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """``(first_document, offsets, term_ids)`` per batch, over the pruned vocabulary."""
        if isinstance(self._sequences, (str, Path)):
            parquet = pq.ParquetFile(self._sequences)
            arrays = (b.column(0) for b in parquet.iter_batches(batch_size=batch_size, columns=["terms"]))
        else:
            arrays = (self._sequences.slice(s, batch_size) for s in range(0, len(self._sequences), batch_size))
        start = 0
        for array in arrays:
            offsets = array.offsets.to_numpy().astype(np.int64)
            values = array.values.to_numpy()[offsets[0]:offsets[-1]].astype(np.int64)
            offsets = offsets - offsets[0]
            mapped = self._remap[values]
            keep = mapped >= 0
            doc = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
            new_offsets = np.concatenate([[0], np.cumsum(np.bincount(doc[keep], minlength=len(offsets) - 1))])
            yield start, new_offsets, mapped[keep]
            start += len(offsets) - 1
        # Arrow's pool keeps the pages the Parquet reader freed: 390 MB of RSS after a pass over 10 million posts
        pa.default_memory_pool().release_unused()

    def iter_matrices(self, batch_size: int = BATCH_SIZE,
                      dtype=np.int64) -> Iterator[tuple[int, sparse.csr_matrix]]:
        """``(first_document, counts)`` per batch: a documents x terms CSR matrix of counts of ``dtype``."""
        for start, offsets, values in self.iter_sequences(batch_size):
            n = len(offsets) - 1
            doc = np.repeat(np.arange(n), np.diff(offsets))
            matrix = sparse.csr_matrix((np.ones(len(values), dtype=dtype), (doc, values)),
                                       shape=(n, len(self.vocabulary)))
            matrix.sum_duplicates()
            yield start, matrix

    def matrix(self, dtype=np.int64, rows: np.ndarray | None = None) -> sparse.csr_matrix:
        """All documents (or those at the sorted positions ``rows``) as a documents x terms CSR matrix of counts.

        Built batch by batch in ``dtype`` (float64 for scikit-learn's models),
        keeping only the wanted rows of each batch, so a large corpus is
        never held whole (topic models train on a sample of its rows).
        """
        blocks = [m if rows is None else m[rows[(rows >= start) & (rows < start + m.shape[0])] - start]
                  for start, m in self.iter_matrices(dtype=dtype)]
        if not blocks:
            return sparse.csr_matrix((0, len(self.vocabulary)), dtype=dtype)
        return sparse.vstack(blocks, format="csr")

    def gensim_corpus(self, batch_size: int = BATCH_SIZE, on_batch=None) -> "GensimCorpus":
        """A re-iterable gensim corpus (lists of ``(term_id, count)``), streamed.

        ``on_batch(n)`` is called after each batch of ``n`` documents (progress bars).
        """
        return GensimCorpus(self, batch_size, on_batch)

    def dictionary(self):
        """A gensim :class:`~gensim.corpora.Dictionary` of the pruned vocabulary (no re-reading)."""
        from gensim.corpora import Dictionary

        dictionary = Dictionary()
        terms = self.terms
        dictionary.token2id = {t: i for i, t in enumerate(terms)}
        dictionary.dfs = dict(enumerate(self.vocabulary["df"].astype(int).tolist()))
        dictionary.cfs = dict(enumerate(self.vocabulary["cf"].astype(int).tolist()))
        dictionary.num_docs = len(self)
        dictionary.num_pos = int(self.vocabulary["cf"].sum())
        dictionary.num_nnz = int(self.vocabulary["df"].sum())
        return dictionary

    def texts(self, rows: np.ndarray | None = None, batch_size: int = BATCH_SIZE) -> Iterator[list[str]]:
        """Each document's kept terms in order (for sliding-window coherence).

        ``rows``: a sorted array of document positions to yield (default all).
        """
        terms = np.asarray(self.terms, dtype=object)
        for start, offsets, values in self.iter_sequences(batch_size):
            n = len(offsets) - 1
            wanted = range(n) if rows is None else rows[(rows >= start) & (rows < start + n)] - start
            words = terms[values]
            for i in wanted:
                yield words[offsets[i]:offsets[i + 1]].tolist()


class GensimCorpus:
    """A :class:`BagOfWords` as gensim wants it: an iterable of ``[(term_id, count), ...]``.

    Parameters
    ----------
    bow : BagOfWords
    batch_size : int
        Documents turned into a sparse matrix at a time.
    on_batch : callable, optional
        Called with the number of documents after each batch (progress bars).

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "thread_id": ["p1"] * 3,
    ...     "parent_id": [None, "p1", "p1"], "author_id": ["ann", "bob", "cat"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
    ...     "text": ["Cannot sleep again", "Sleep is hard", None]})
    >>> corpus = Corpus.from_frames(posts)
    >>> bow = bag_of_words(corpus, Preprocessor(min_df=1, max_df=1.0), progress=False)
    >>> documents = bow.gensim_corpus()
    >>> len(documents), list(documents)
    (3, [[(0, 1)], [(0, 1), (1, 1)], []])
    """

    def __init__(self, bow: BagOfWords, batch_size: int = BATCH_SIZE, on_batch=None):
        self.bow = bow
        self.batch_size = batch_size
        self.on_batch = on_batch

    def __len__(self) -> int:
        return len(self.bow)

    def __iter__(self):
        for _, matrix in self.bow.iter_matrices(self.batch_size):
            indptr, indices, data = matrix.indptr, matrix.indices.tolist(), matrix.data.tolist()
            for i in range(matrix.shape[0]):
                s, e = indptr[i], indptr[i + 1]
                yield list(zip(indices[s:e], data[s:e]))
            if self.on_batch is not None:
                self.on_batch(matrix.shape[0])


def _document_frame(docs: pd.DataFrame, table: str | None) -> pd.DataFrame:
    """Documents with ``doc_id`` and ``source``, led by ``post_id`` for posts and plain texts.

    Frames made before documents knew their table (an older cache) have
    ``post_id`` only: they were posts (or plain texts, ``table=None``).
    """
    docs = docs.reset_index(drop=True)
    if "doc_id" not in docs:
        source = "posts" if table == "posts" else None
        docs = docs.assign(doc_id=docs["post_id"], source=pd.array([source] * len(docs), dtype="str"))
    if table in ("posts", None):
        if "post_id" not in docs:
            docs = docs.assign(post_id=docs["doc_id"])
    else:
        docs = docs.drop(columns="post_id", errors="ignore")
    first = [c for c in ("post_id", "doc_id", "source", "author_id", "created_at") if c in docs]
    return docs[first + [c for c in docs.columns if c not in first]]


def _name_words(values: Iterable[str]) -> set[str]:
    """Lower-case words of two or more letters in member ids or display names.

    A part between separators that holds a digit ("u_2e0b4db310") is no
    name, so hexadecimal pseudonyms give no words (their letter runs would
    otherwise remove "bed" or "dad").
    """
    words = set()
    for value in values:
        for part in _separator().split(str(value).lower()):
            if len(part) >= 2 and part.isalpha():
                words.add(part)
    return words


def _member_names(corpus) -> list[str]:
    """Member ids and display names of a corpus's members table (authors come with the documents)."""
    if "members" not in corpus.manifest["tables"]:
        return []
    available = corpus.manifest["tables"]["members"].get("columns", ["member_id"])
    columns = [c for c in ("member_id", "display_name") if c in available]
    names = []
    for batch in corpus.iter_batches("members", columns):
        for column in columns:
            names.extend(batch[column].dropna().unique().tolist())
    return names


def _keep_mask(df: np.ndarray, n_docs: int, p: Preprocessor) -> np.ndarray:
    """Terms kept by the document-frequency rules (gensim's ``filter_extremes`` semantics)."""
    low = p.min_df if isinstance(p.min_df, (int, np.integer)) else np.ceil(p.min_df * n_docs)
    high = p.max_df if isinstance(p.max_df, (int, np.integer)) else np.floor(p.max_df * n_docs)
    keep = (df >= low) & (df <= high)
    if p.keep_n is not None and keep.sum() > p.keep_n:
        order = np.argsort(-np.where(keep, df, -1), kind="stable")[: p.keep_n]
        keep = np.zeros_like(keep)
        keep[order] = True
    return keep


# ---------------------------------------------------------------------------
# Building (streamed), caching
# ---------------------------------------------------------------------------

def bag_of_words(source, preprocessor: Preprocessor | None = None, *, table: str = "posts", cache: bool = True,
                 progress: bool | None = None, batch_size: int = BATCH_SIZE, **options) -> BagOfWords:
    """Preprocess a corpus (or plain texts) into a pruned bag of words.

    Parameters
    ----------
    source : peerscope.Corpus, pandas.Series of str or sequence of str
        The documents.  For a corpus, one document per row of ``table``; a
        Series keeps its index as ``post_id`` (and ``doc_id``).
    preprocessor : Preprocessor, optional
        How to tokenise and prune; default ``Preprocessor(**options)``.
    table : {"posts", "newsletter_items", "all"}
        For a corpus: its posts (default), its newsletter items, or both in
        one vocabulary (posts first); see the module docstring for the
        document ids.  Ignored for plain texts.
    cache : bool
        For a saved corpus, read/write ``<corpus>/cache/bow-<key>/`` (see the
        module docstring).  In-memory sources and corpora opened from a URL are never cached.
    progress : bool, optional
        Show a tqdm bar; default: only when stderr is a terminal.
    batch_size : int
        Posts per record batch (on the Dask engine: most posts tokenised at
        once inside a partition).
    **options
        :class:`Preprocessor` parameters, when ``preprocessor`` is not given.

    Returns
    -------
    BagOfWords

    Raises
    ------
    peerscope.errors.PeerscopeError
        For an unknown ``table``, newsletter items asked of a corpus without
        them, or a source that is no corpus and no texts.

    Examples
    --------
    >>> bow = bag_of_words(["my sleep is bad", "sleep clinic helped", "bad night"], min_df=2, max_df=1.0)
    >>> bow.terms, bow.docs["n_terms"].tolist()
    (['sleep', 'bad'], [2, 1, 1])
    """
    if preprocessor is None:
        preprocessor = Preprocessor(**options)
    elif options:
        raise errors.PeerscopeError("pass either a preprocessor or its options, not both")
    is_corpus = hasattr(source, "manifest") and hasattr(source, "posts")
    if isinstance(source, str) or not (is_corpus or isinstance(source, (pd.Series, Sequence, np.ndarray))):
        raise errors.PeerscopeError(
            f"bag_of_words takes a Corpus or a sequence of texts, not {type(source).__name__}")
    if progress is None:
        progress = sys.stderr.isatty()
    folder = None
    names = _member_names(source) if is_corpus and preprocessor.drop_names else []
    if is_corpus:
        tables = _text_tables(source, table)
        total = _doc_count(source, tables)
        batches = lambda: _iter_documents(source, table, batch_size)  # noqa: E731
        if cache and isinstance(source.path, Path):  # a local folder: remote corpora are not cached
            folder = Path(source.path) / CACHE_DIR / f"bow-{cache_key(source, preprocessor, table)}"
            if (folder / "done.json").is_file():
                return _read_cached(folder, preprocessor, names, table)
    else:
        table = None
        total = len(source)
        batches = lambda: _texts_as_batches(source, batch_size)  # noqa: E731
    if is_corpus and source.engine == "dask":
        docs, sequences, vocabulary, stats = _count_on_workers(source, preprocessor, total, progress, batch_size,
                                                               tables)
    else:
        phraser = _learn_phrases(batches(), preprocessor, total, progress) if preprocessor.phrases else None
        docs, sequences, vocabulary, stats = _count(batches(), preprocessor, phraser, total, progress)
    if folder is None:
        return BagOfWords(preprocessor, vocabulary, docs, sequences, stats, names=names, table=table)
    _write_cache(folder, preprocessor, docs, sequences, vocabulary, stats, table)
    return _read_cached(folder, preprocessor, names, table)


def cache_key(corpus, preprocessor: Preprocessor, table: str = "posts") -> str:
    """The cache key: a hash of the tokenising parameters, stop words, manifest, window, table and version.

    The pruning options (``min_df``, ``max_df``, ``keep_n``, ``drop_names``)
    are left out: they are applied after the cached counting.  The table
    enters the hash only when it is not ``"posts"``, so that caches of
    posts written before tables could be chosen stay valid.

    Parameters
    ----------
    corpus : peerscope.Corpus
    preprocessor : Preprocessor
    table : {"posts", "newsletter_items", "all"}
        The text read (see :func:`bag_of_words`).

    Returns
    -------
    str
        16 hexadecimal digits.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "thread_id": ["p1"] * 3,
    ...     "parent_id": [None, "p1", "p1"], "author_id": ["ann", "bob", "cat"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
    ...     "text": ["Cannot sleep again", "Sleep is hard", None]})
    >>> corpus = Corpus.from_frames(posts)
    >>> key = cache_key(corpus, Preprocessor())
    >>> len(key), key == cache_key(corpus, Preprocessor(min_df=1)), key == cache_key(corpus, Preprocessor(stem="porter"))
    (16, True, False)
    >>> key == cache_key(corpus, Preprocessor(), "all")
    False
    """
    if table not in DOC_TABLES:
        raise errors.PeerscopeError(f"table={table!r}: choose one of {list(DOC_TABLES)}")
    params = {k: v for k, v in preprocessor.params().items()
              if k not in ("min_df", "max_df", "keep_n", "drop_names")}
    window = corpus.time_window
    content = {"params": params, "stopwords": sorted(preprocessor._stopwords()),
               "manifest": corpus.manifest, "version": __version__,
               "window": [str(window.start), str(window.end)]}
    if table != "posts":
        content["table"] = table
    payload = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _bar(total: int, progress: bool, what: str):
    return tqdm(total=total, unit="posts", desc=what, disable=not progress)


def _learn_phrases(batches, p: Preprocessor, total: int, progress: bool):
    """First pass: learn bigrams with gensim ``Phrases`` on the filtered terms."""
    from gensim.models.phrases import Phrases

    phrases = Phrases(min_count=p.phrases_min_count, threshold=p.phrases_threshold)
    with _bar(total, progress, "bigrams") as bar:
        for batch in batches:
            phrases.add_vocab(_sentences(p, batch["text"]))
            bar.update(len(batch))
    return phrases.freeze()


def _sentences(p: Preprocessor, texts) -> list[list[str]]:
    """Each text's terms as a list (what gensim ``Phrases`` reads)."""
    lengths, codes, terms = p._batch(texts)
    words = np.asarray(terms, dtype=object)[codes]
    return [list(w) for w in np.split(words, np.cumsum(lengths)[:-1])] if len(lengths) else []


@dataclass
class _Tally:
    """Term sequences and counts of a run of documents.

    ``terms`` lists the distinct terms in the order they first occur in the
    run; ``sequences`` holds each document's terms as positions in it, and
    ``df`` and ``cf`` the document and corpus frequency of each.  Because
    terms are numbered by first occurrence, merging tallies in document
    order (:class:`_Merger`) numbers them exactly as one tally of all the
    documents would, however the documents were split into batches or Dask
    partitions.
    """

    docs: pd.DataFrame
    sequences: pa.Array
    terms: list[str]
    df: np.ndarray
    cf: np.ndarray


def _tally_batch(batch: pd.DataFrame, p: Preprocessor, phraser) -> _Tally:
    """Tokenise one batch of posts (bigrams joined when a phraser is given) and count its terms."""
    if phraser is not None:
        docs = list(phraser[_sentences(p, batch["text"])])
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        codes, uniques = pd.factorize(np.fromiter(chain.from_iterable(docs), dtype=object,
                                                  count=int(lengths.sum())))
        codes, terms = codes.astype(np.int64), list(uniques)
    else:
        lengths, codes, terms = p._batch(batch["text"])
    width = max(len(terms), 1)
    doc = np.repeat(np.arange(len(lengths)), lengths)
    pairs = np.sort(doc * width + codes)
    pairs = pairs[run_starts(pairs)]
    df = np.bincount(pairs % width, minlength=len(terms))
    cf = np.bincount(codes, minlength=len(terms))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32 if codes.size < 2**31 else np.int64)
    sequences = pa.ListArray.from_arrays(pa.array(offsets), pa.array(codes.astype(np.int32)))
    return _Tally(batch[["doc_id", "source", "author_id", "created_at"]], sequences, terms,
                  df.astype(np.int64), cf.astype(np.int64))


class _Merger:
    """Tallies joined in document order onto one vocabulary numbered by first occurrence."""

    def __init__(self):
        self.ids: dict[str, int] = {}
        self.df = np.zeros(0, dtype=np.int64)
        self.cf = np.zeros(0, dtype=np.int64)
        self.frames: list[pd.DataFrame] = []
        self.arrays: list[pa.Array] = []

    def add(self, tally: _Tally) -> None:
        ids = self.ids
        for term in tally.terms:
            if term not in ids:
                ids[term] = len(ids)
        global_of = np.fromiter((ids[t] for t in tally.terms), dtype=np.int64, count=len(tally.terms))
        if len(ids) > len(self.df):
            grow = np.zeros(len(ids) - len(self.df), np.int64)
            self.df, self.cf = np.concatenate([self.df, grow]), np.concatenate([self.cf, grow])
        self.df[global_of] += tally.df
        self.cf[global_of] += tally.cf
        sequences = tally.sequences
        offsets = sequences.offsets.to_numpy()
        local = sequences.values.to_numpy()[offsets[0]:offsets[-1]].astype(np.int64)
        values = global_of[local].astype(np.int32)
        self.arrays.append(pa.ListArray.from_arrays(pa.array(offsets - offsets[0]), pa.array(values)))
        self.frames.append(tally.docs)

    def tally(self) -> _Tally:
        docs = (pd.concat(self.frames, ignore_index=True) if self.frames else
                pd.DataFrame({"doc_id": pd.Series(dtype="str"), "source": pd.Series(dtype="str"),
                              "author_id": pd.Series(dtype="str"),
                              "created_at": pd.Series(dtype="datetime64[us, UTC]")}))
        sequences = (pa.concat_arrays(self.arrays) if self.arrays else
                     pa.array([], type=pa.list_(pa.int32())))
        return _Tally(docs, sequences, list(self.ids), self.df, self.cf)


def _count(batches, p: Preprocessor, phraser, total: int, progress: bool):
    """Second (or only) pass: term sequences over one growing vocabulary, with df and cf."""
    merger = _Merger()
    with _bar(total, progress, "tokenising") as bar:
        for batch in batches:
            merger.add(_tally_batch(batch, p, phraser))
            bar.update(len(batch))
    return _result(merger.tally())


def _result(tally: _Tally):
    """(docs, sequences, vocabulary, stats) of the whole corpus, as :class:`BagOfWords` takes them."""
    lengths = np.diff(tally.sequences.offsets.to_numpy())
    vocabulary = pd.DataFrame({"term": pd.array(tally.terms, dtype="str"), "df": tally.df, "cf": tally.cf})
    stats = {"documents": len(tally.docs), "empty_documents": int((lengths == 0).sum()),
             "tokens": int(lengths.sum()), "vocabulary": len(tally.terms)}
    return tally.docs, tally.sequences, vocabulary, stats


# ---------------------------------------------------------------------------
# The same on Dask workers
# ---------------------------------------------------------------------------

def _count_on_workers(corpus, p: Preprocessor, total: int, progress: bool, batch_size: int,
                      tables: Sequence[str] = ("posts",)):
    """:func:`_learn_phrases` and :func:`_count` for a Dask corpus: tokenised per partition.

    Each partition of the text tables (a monthly file or a row group; posts
    first, then newsletter items) is tokenised
    and tallied on a worker, in batches of ``batch_size``; the client merges
    the tallies in partition order (the order :meth:`~peerscope.Corpus.iter_batches`
    reads), so the vocabulary, its ids, the documents and the counts equal
    the pandas engine's.  Only the preprocessing parameters and, with
    ``phrases``, the frozen bigram model travel to the workers (once each).
    """
    import dask

    partitions = []
    for name in tables:
        id_column, time_column = _ID_TIME[name]
        partitions += [(part, name) for part in
                       corpus.table(name, [id_column, "author_id", time_column, "text"]).to_delayed()]
    params = tuple(sorted(p.params().items()))
    phraser = None
    if p.phrases:
        from gensim.models.phrases import Phrases

        phrases = Phrases(min_count=p.phrases_min_count, threshold=p.phrases_threshold)
        tasks = [dask.delayed(_phrase_vocabulary)(part, params, batch_size) for part, _ in partitions]
        with _bar(total, progress, "bigrams") as bar:
            for n_docs, vocabulary, n_words in _in_order(tasks):
                # what Phrases.add_vocab does with each batch's counts (while gensim prunes nothing)
                phrases.corpus_word_count += n_words
                for key, count in vocabulary.items():
                    phrases.vocab[key] = phrases.vocab.get(key, 0) + count
                bar.update(n_docs)
        phraser = dask.delayed(phrases.freeze())
    tasks = [dask.delayed(_tally_partition)(part, params, phraser, batch_size, name) for part, name in partitions]
    merger = _Merger()
    with _bar(total, progress, "tokenising") as bar:
        for tally in _in_order(tasks):
            merger.add(tally)
            bar.update(len(tally.docs))
    return _result(merger.tally())


@lru_cache(maxsize=8)
def _worker_preprocessor(params: tuple) -> Preprocessor:
    """One Preprocessor per parameter set and worker process, so its memo serves every partition."""
    return Preprocessor(**dict(params))


def _tally_partition(posts: pd.DataFrame, params: tuple, phraser, batch_size: int,
                     source: str = "posts") -> _Tally:
    """On a worker: the tally of one partition of a text table, tokenised in batches."""
    p = _worker_preprocessor(params)
    posts = _as_documents(posts, source)
    merger = _Merger()
    for start in range(0, len(posts), batch_size):
        merger.add(_tally_batch(posts.iloc[start:start + batch_size], p, phraser))
    return merger.tally()


def _phrase_vocabulary(posts: pd.DataFrame, params: tuple, batch_size: int) -> tuple[int, dict, int]:
    """On a worker: (posts, unigram and bigram counts, words) of one partition for gensim ``Phrases``."""
    from gensim.models.phrases import Phrases

    p = _worker_preprocessor(params)
    phrases = Phrases(min_count=p.phrases_min_count, threshold=p.phrases_threshold)
    for start in range(0, len(posts), batch_size):
        phrases.add_vocab(_sentences(p, posts["text"].iloc[start:start + batch_size]))
    return len(posts), phrases.vocab, phrases.corpus_word_count


def _in_order(tasks: list) -> Iterator:
    """The results of Dask tasks in order, computed concurrently.

    On a ``distributed`` cluster the tasks are submitted together and each
    result is fetched, then released, in turn: the client receives one
    partition's result at a time (later ones wait on the workers) and a
    progress bar advances as partitions arrive.  On Dask's local schedulers
    they are computed together.
    """
    import dask

    client = _distributed_client()
    if client is None:
        yield from dask.compute(*tasks)
        return
    futures = client.compute(tasks)
    for i in range(len(futures)):
        future, futures[i] = futures[i], None
        yield future.result()
        del future


def _distributed_client():
    """The ``distributed.Client`` Dask computes on, or None for a local scheduler."""
    import dask

    from peerscope._kernels.scheduler import LOCAL_SCHEDULERS

    configured = dask.config.get("scheduler", None)
    if isinstance(configured, str) and configured in LOCAL_SCHEDULERS:
        return None
    try:
        import distributed
    except ImportError:
        return None
    if isinstance(configured, distributed.Client):
        return configured
    try:
        return distributed.default_client()
    except ValueError:
        return None


def _write_cache(folder: Path, p: Preprocessor, docs, sequences, vocabulary, stats, table: str = "posts") -> None:
    """Write the cache entry atomically: a temporary sibling folder, then a rename."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        pq.write_table(pa.table({"terms": sequences}), tmp / "terms.parquet", row_group_size=BATCH_SIZE)
        pq.write_table(pa.Table.from_pandas(docs, preserve_index=False), tmp / "docs.parquet")
        pq.write_table(pa.Table.from_pandas(vocabulary, preserve_index=False), tmp / "vocabulary.parquet")
        (tmp / "done.json").write_text(json.dumps({"preprocessor": p.params(), "stats": stats, "table": table,
                                                   "peerscope_version": __version__}, indent=1),
                                       encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _read_cached(folder: Path, p: Preprocessor, names: list[str], table: str = "posts") -> BagOfWords:
    from peerscope.corpus import schema

    meta = json.loads((folder / "done.json").read_text(encoding="utf-8"))
    docs = schema.to_pandas(pq.read_table(folder / "docs.parquet"))
    vocabulary = pq.read_table(folder / "vocabulary.parquet").to_pandas()
    return BagOfWords(p, vocabulary, docs, folder / "terms.parquet", meta["stats"], source=folder, names=names,
                      table=table)


def keyness(corpus, by: str, *, table: str = "posts", min_count: int = 5, prior_size: float | None = None,
            preprocessor: Preprocessor | None = None, **preprocessing) -> pd.DataFrame:
    """Terms that set one group's documents apart from everyone else's, for each group of a member attribute.

    The ranking statistic is the weighted log-odds ratio with an informative
    Dirichlet prior of Monroe, Colaresi & Quinn (2008, "Fightin' Words").
    For a group i, the rest of the documents j and a term w, with y_iw and
    y_jw the term's occurrences on each side and n_i, n_j all term
    occurrences of each side, the prior is the term's share of the whole
    (grouped) corpus scaled to a prior size a0: alpha_w = a0 * n_w / n, with
    n_w = y_iw + y_jw and n = n_i + n_j.  Then

    - ``log_odds`` (delta) = log((y_iw + alpha_w) / (n_i + a0 - y_iw - alpha_w)) minus
      log((y_jw + alpha_w) / (n_j + a0 - y_jw - alpha_w)),
    - its variance is approximately 1 / (y_iw + alpha_w) + 1 / (y_jw + alpha_w),
    - ``z`` = delta / sqrt(variance).

    The prior shrinks the log odds of rare terms towards zero, so that the
    top of the list is not made of words seen once or twice, and ``z``
    weighs each difference by its certainty.  By default a0 = n (the prior
    is the whole corpus's counts, the empirical-Bayes choice of tidylo's
    ``bind_log_odds``); a smaller ``prior_size`` shrinks less.  Positive
    ``z``: the group uses the term more than the rest.

    Two classic statistics are kept beside it under their own names:
    ``z_proportions``, the z of two proportions (y_iw/n_i - y_jw/n_j) /
    sqrt(p(1 - p)(1/n_i + 1/n_j)) with p the pooled rate, and ``g2``, the
    log-likelihood ratio G2 = 2 sum O ln(O / E) over the 2 x 2 table (term
    or not, group or not; Dunning 1993) with its chi-square ``p_value`` (1
    df), the keyness statistic of corpus linguistics (Rayson & Garside
    2000; quanteda's ``textstat_keyness(measure = "lr")``).  Draw the result
    with :func:`plot_keyness`.

    Parameters
    ----------
    corpus : peerscope.Corpus
        With a members table holding the attribute ``by`` (e.g. filled from
        the posts: ``loaders.table(..., member_attributes=...)``).
    by : str
        A member attribute; documents by authors without a value are left
        out (counted in ``attrs["documents_without_group"]``).
    table : {"posts", "newsletter_items", "all"}
        The documents.
    min_count : int
        Terms with fewer occurrences in the grouped documents are left out
        (at least 1 is always required).
    prior_size : float, optional
        a0, the total of the prior's pseudo-counts; default: n, all term
        occurrences of the grouped documents.
    preprocessor, **preprocessing
        As for :func:`bag_of_words` (stop words and names removed by default).

    Returns
    -------
    DataFrame
        One row per group and term: ``group, term, count, count_rest, rate,
        rate_rest, log_odds, z, z_proportions, g2, p_value``, each group's
        terms by ``z``, highest first.  ``attrs`` holds ``by``, ``table``,
        ``min_count``, ``prior_size`` (the a0 used) and
        ``documents_without_group``.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When the members table has no attribute ``by`` (the message lists
        those it has), fewer than two groups have documents, or
        ``prior_size`` is not positive.

    References
    ----------
    Monroe, B. L., Colaresi, M. P., & Quinn, K. M. (2008). Fightin' words:
    Lexical feature selection and evaluation for identifying the content of
    political conflict. Political Analysis, 16(4), 372-403.
    Dunning, T. (1993). Accurate methods for the statistics of surprise and
    coincidence. Computational Linguistics, 19(1), 61-74.
    Rayson, P., & Garside, R. (2000). Comparing corpora using frequency
    profiling. Workshop on Comparing Corpora, ACL 2000.

    Examples
    --------
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(8)], "thread_id": ["p0"] * 8,
    ...     "parent_id": [None] + ["p0"] * 7, "author_id": ["ann"] * 4 + ["bob"] * 4,
    ...     "created_at": pd.date_range("2024-01-01", periods=8, freq="D", tz="UTC"),
    ...     "text": ["feeding tube nurse"] * 2 + ["feeding tube"] * 2 + ["ventilator nurse"] * 2
    ...             + ["ventilator mask"] * 2})
    >>> members = pd.DataFrame({"member_id": ["ann", "bob"], "reason_joined": ["carer", "patient"]})
    >>> frame = keyness(Corpus.from_frames(posts, members), "reason_joined", min_count=1, min_df=1)
    >>> carer = frame[frame["group"] == "carer"].set_index("term")
    >>> carer.loc[["feeding", "nurse", "ventilator"], ["count", "count_rest"]].values.tolist()
    [[4, 0], [2, 2], [0, 4]]
    >>> bool(carer.at["feeding", "z"] > 0 > carer.at["ventilator", "z"])
    True
    >>> carer["log_odds"].round(2).to_dict()
    {'feeding': 0.79, 'tube': 0.79, 'nurse': -0.1, 'mask': -0.86, 'ventilator': -0.98}
    """
    members = corpus.members(columns="all")
    if by not in members.columns or by in ("member_id",):
        available = [c for c in members.columns if c not in ("member_id", "joined_at", "left_at")]
        raise errors.PeerscopeError(f"by={by!r}: the members table has no such attribute; it has {available}")
    if prior_size is not None and not prior_size > 0:
        raise errors.PeerscopeError(f"prior_size={prior_size!r}: give a positive number of pseudo-counts")
    bow = bag_of_words(corpus, preprocessor, table=table, **preprocessing)
    group_of = pd.Series(members[by].to_numpy(dtype=object), index=members["member_id"].astype(str))
    groups = bow.docs["author_id"].map(group_of)
    known = groups.notna().to_numpy()
    names, codes = np.unique(groups[known].astype(str).to_numpy(), return_inverse=True)
    if len(names) < 2:
        raise errors.PeerscopeError(f"keyness by {by!r} needs documents from at least two groups; "
                                    f"found {list(names)}")
    code_of = np.full(len(bow), -1)
    code_of[known] = codes
    counts = np.zeros((len(names), len(bow.vocabulary)))
    for start, matrix in bow.iter_matrices(dtype=np.float64):
        rows = code_of[start:start + matrix.shape[0]]
        for code in range(len(names)):
            counts[code] += np.asarray(matrix[rows == code].sum(axis=0)).ravel()
    total = counts.sum(axis=0)
    a0 = float(total.sum()) if prior_size is None else float(prior_size)
    prior = a0 * total / total.sum()
    frames = []
    for code, name in enumerate(names):
        frames.append(_keyness_of(name, counts[code], total - counts[code], prior, bow.terms, min_count))
    frame = pd.concat(frames, ignore_index=True)
    frame.attrs.update({"by": by, "table": table, "min_count": min_count, "prior_size": a0,
                        "documents_without_group": int((~known).sum())})
    return frame


def _keyness_of(group: str, a: np.ndarray, b: np.ndarray, prior: np.ndarray, terms,
                min_count: int) -> pd.DataFrame:
    """Monroe et al.'s weighted log odds, the two-proportion z and G2 of each term, one group (``a``) vs the rest."""
    from scipy import stats

    n_group, n_rest, a0 = a.sum(), b.sum(), prior.sum()
    keep = (a + b) >= max(min_count, 1)
    a, b, alpha = a[keep], b[keep], prior[keep]
    log_odds = (np.log((a + alpha) / (n_group + a0 - a - alpha))
                - np.log((b + alpha) / (n_rest + a0 - b - alpha)))
    monroe_z = log_odds / np.sqrt(1 / (a + alpha) + 1 / (b + alpha))
    pooled = (a + b) / (n_group + n_rest)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate, rate_rest = a / n_group, b / n_rest
        z = (rate - rate_rest) / np.sqrt(pooled * (1 - pooled) * (1 / n_group + 1 / n_rest))
        observed = np.stack([a, b, n_group - a, n_rest - b])
        expected = np.stack([(a + b) * n_group, (a + b) * n_rest,
                             (n_group + n_rest - a - b) * n_group,
                             (n_group + n_rest - a - b) * n_rest]) / (n_group + n_rest)
        g2 = 2 * np.where(observed > 0, observed * np.log(observed / expected), 0.0).sum(axis=0)
    frame = pd.DataFrame({"group": group, "term": np.asarray(terms, dtype=object)[keep],
                          "count": a.astype(np.int64), "count_rest": b.astype(np.int64),
                          "rate": rate, "rate_rest": rate_rest, "log_odds": log_odds, "z": monroe_z,
                          "z_proportions": z, "g2": g2, "p_value": stats.chi2.sf(g2, 1)})
    return frame.sort_values("z", ascending=False, kind="stable").reset_index(drop=True)


#: Fill and hatching of each group's bars in :func:`plot_keyness` (greyscale, told apart without colour).
_KEYNESS_FILLS = (("0.25", None), ("white", "///"), ("0.65", None), ("white", "..."), ("0.45", "xx"))


def plot_keyness(frame: pd.DataFrame, ax=None, top: int = 20, **kw):
    """Horizontal bars of each group's ``top`` key terms, by the ``z`` of :func:`keyness`.

    The groups are drawn one under the other on one Axes, each with its own
    grey or hatching, its terms highest ``z`` first, with the group named
    in the legend; only terms with a positive ``z`` (used more by the group
    than by the rest) are drawn.  The same drawing for any number of groups.

    Parameters
    ----------
    frame : DataFrame
        The result of :func:`keyness` (``group``, ``term``, ``z``).
    ax : matplotlib.axes.Axes, optional
        Draw here; default: the Axes of a new figure.
    top : int
        Most terms per group.
    **kw
        Passed to ``ax.barh`` (e.g. ``height``).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``frame`` lacks the columns of :func:`keyness`.
    peerscope._kernels.display.MissingDependencyError
        When ``ax`` is None and matplotlib is not installed.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> frame = pd.DataFrame({"group": ["carer", "carer", "patient", "patient"],
    ...                       "term": ["respite", "nurse", "ventilator", "nurse"], "z": [3.1, -0.2, 2.4, 0.2]})
    >>> ax = plot_keyness(frame, top=5)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['respite', 'ventilator', 'nurse']
    """
    missing = {"group", "term", "z"} - set(frame.columns)
    if missing:
        raise errors.PeerscopeError(f"plot_keyness needs the result of text.keyness; missing columns "
                                    f"{sorted(missing)}")
    shown = {group: rows[rows["z"] > 0].nlargest(top, "z") for group, rows in frame.groupby("group", sort=True)}
    shown = {group: rows for group, rows in shown.items() if len(rows)}
    if ax is None:
        ax = axes()
        bars = sum(map(len, shown.values())) + len(shown)
        ax.figure.set_size_inches(6.4, max(4.8, 0.16 * bars + 1.2))
    position, ticks, labels = 0, [], []
    for (fill, hatch), (group, rows) in zip(cycle(_KEYNESS_FILLS), shown.items()):
        y = position - np.arange(len(rows))
        ax.barh(y, rows["z"].to_numpy(), **{"color": fill, "edgecolor": "0", "linewidth": 0.4, "hatch": hatch,
                                            "label": str(group), **kw})
        ticks.extend(y)
        labels.extend(rows["term"].astype(str))
        position -= len(rows) + 1
    ax.set_yticks(ticks, labels)
    by = frame.attrs.get("by")
    ax.set_title(f"Key terms by {by}" if by else "Key terms by group")
    ax.set_xlabel("z of the weighted log-odds ratio, group against the rest")
    ax.legend(frameon=False, loc="best")
    ax.set_ylim(position + 0.5, 0.5)
    style_axes(ax)
    return ax


def kwic(corpus, term: str, window: int = 5, *, limit: int | None = 100,
         preprocessor: Preprocessor | None = None, batch_size: int = BATCH_SIZE) -> pd.DataFrame:
    """Keyword in context: each occurrence of ``term`` in the posts, with ``window`` words either side.

    The posts are read in batches (the text column is never whole in
    memory) and cut into tokens by the same steps as a :class:`Preprocessor`:
    markup removed, e-mail addresses, URLs, phone numbers, handles and
    numbers replaced by placeholders (``_url_``, ``_num_``, ... with
    ``normalise=True``, the default), lower case, then the preprocessor's
    tokeniser.  Stop words are kept, so that the context reads as written.
    A token matches when it equals a token of ``term`` (after the same
    steps, and the preprocessor's stemmer when it has one: with
    ``stem="porter"``, "sleeping" also finds "sleeps").  A term of several
    words (``"feeding tube"``, or a bigram ``"feeding_tube"``) matches them
    in a row.

    Post text is shown only when asked for: nothing else in peerscope
    quotes posts unless told to (the report only with ``include_quotes``);
    calling ``kwic`` is that request, and the contexts keep the
    preprocessor's placeholders for personal details.  Paraphrase before
    publishing a quote from a distress forum (``docs/privacy.md``).

    Parameters
    ----------
    corpus : peerscope.Corpus
        Its posts (the corpus's time window applies).
    term : str
        A word, or several in a row.
    window : int
        Tokens shown on each side.
    limit : int or None
        Stop after this many occurrences (None: all of them).
    preprocessor : Preprocessor, optional
        Whose tokeniser, normalisation and stemmer to use; default
        ``Preprocessor()``.
    batch_size : int
        Posts read at a time.

    Returns
    -------
    DataFrame
        One row per occurrence, in corpus order: ``post_id``, ``left``,
        ``keyword`` (the tokens as written, lower-cased), ``right``.
        ``attrs`` holds ``term``, ``window``, ``limit`` and ``truncated``
        (True when ``limit`` stopped the search early).

    Raises
    ------
    peerscope.errors.PeerscopeError
        When ``term`` holds no token, or ``window`` is negative.

    Examples
    --------
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "thread_id": ["p1"] * 3,
    ...     "parent_id": [None, "p1", "p1"], "author_id": ["ann", "bob", "ann"],
    ...     "created_at": pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC"),
    ...     "text": ["Mum's feeding tube came out, call 0161 496 0000", "Respite helped me sleep",
    ...              "The Feeding tube nurse visits at 9"]})
    >>> kwic(Corpus.from_frames(posts), "feeding tube", window=3).values.tolist()
    [['p1', "mum's", 'feeding tube', 'came out call'], ['p3', 'the', 'feeding tube', 'nurse visits at']]
    >>> kwic(Corpus.from_frames(posts), "visit", window=2, preprocessor=Preprocessor(stem="porter")).values.tolist()
    [['p3', 'tube nurse', 'visits', 'at _num_']]
    """
    if window < 0:
        raise errors.PeerscopeError(f"window={window!r}: give a number of tokens, 0 or more")
    p = preprocessor or Preprocessor()
    tokenize = p._tokenizer().tokenize
    wanted = [_kwic_key(p, token) for token in tokenize(p.normalise_texts(pa.array([term])).to_pylist()[0])]
    if not wanted:
        raise errors.PeerscopeError(f"kwic: term {term!r} holds no word the tokeniser keeps")
    width = len(wanted)
    rows: list[tuple[str, str, str, str]] = []
    truncated = False
    for batch in corpus.iter_batches("posts", ["post_id", "text"], batch_size=batch_size):
        texts = p.normalise_texts(pa.array(batch["text"].to_numpy(dtype=object), type=pa.large_string(),
                                           from_pandas=True))
        for post_id, text in zip(batch["post_id"].astype(str), texts.to_pylist()):
            tokens = tokenize(text)
            keys = [_kwic_key(p, token) for token in tokens]
            for at in range(len(tokens) - width + 1):
                if keys[at:at + width] == wanted:
                    if limit is not None and len(rows) >= limit:
                        truncated = True
                        break
                    rows.append((post_id, " ".join(tokens[max(at - window, 0):at]),
                                 " ".join(tokens[at:at + width]),
                                 " ".join(tokens[at + width:at + width + window])))
            if truncated:
                break
        if truncated:
            break
    frame = pd.DataFrame(rows, columns=["post_id", "left", "keyword", "right"], dtype=object)
    frame.attrs.update({"term": term, "window": window, "limit": limit, "truncated": truncated})
    return frame


def _kwic_key(p: Preprocessor, token: str) -> str:
    """What a token is matched by in :func:`kwic`: itself, or its stem when ``p`` stems words."""
    return p._stemmer()(token) if p.stem and _word().fullmatch(token) else token
