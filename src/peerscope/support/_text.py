"""Column-wise text preparation for the support models: quotes, sentences, word n-gram counts.

Everything here runs over whole pyarrow string columns (RE2 regular
expressions, list kernels, numpy), with no Python loop over texts, so that
a post can be split into sentences and every sentence scored at tens of
thousands of posts per second on one core.

* :func:`_prepare` folds typographic apostrophes (and the ``<U+0092>``
  escape left in some Reddit dumps) to ``'`` and removes text quoted from
  earlier posts: lines that start with ``>`` (Reddit, e-mail), and blocks
  that open with a header line ``Quote:``, ``Quote from NAME:``,
  ``Originally Posted by NAME`` or ``... wrote:`` and run to the next blank
  line; an inline ``Quote: "..."`` loses the quoted passage.
* :func:`_split_sentences` cuts after ``.``, ``!``, ``?`` or ``…`` (with
  any closing quote or bracket) followed by white space, and at every line
  break; the punctuation stays with its sentence.
* :func:`_word_counts` tokenises exactly as scikit-learn's ``TfidfVectorizer``
  with :data:`~peerscope.support.classifier.TOKEN_PATTERN` and
  ``lowercase=True`` (runs of word characters and apostrophes that start
  with a word character; each ``?`` and ``!`` alone) and counts the n-grams
  of a fitted vocabulary (:class:`_Terms`), as a sparse matrix.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

__all__: list[str] = []

_APOSTROPHES = "[\u2018\u2019\u02bc`]|<U\\+0092>"
#: The same apostrophes once a text is lower-cased (the cue patterns read lower-cased text).
_LOWER_APOSTROPHES = "[\u2018\u2019\u02bc`]|<u\\+0092>"
_QUOTED_LINES = r"(?m)^[ \t]*>[^\n]*(?:\n|$)"
_QUOTE_BLOCK = (r"(?im)^[ \t]*(?:quote(?: from [^\n]*)?:|originally posted by[^\n]*|[^\n]{0,80}\bwrote:)"
                r"[ \t]*\n(?:[^\n]*\S[^\n]*(?:\n|$))*")
_INLINE_QUOTE = "(?i)\\bquote:\\s*(?:\"[^\"]*\"|\u201c[^\u201d]*\u201d)"
_BOUNDARY = "\x1f"
_SENTENCE_END = "([.!?\u2026]+[\"'\u201d\u2019)\\]]*)\\s+|\\s*\\n\\s*"
#: A separator between tokens, or a ``?``/``!`` (a token of its own); in Unicode and ASCII-only text.
_SEPARATORS = {False: r"([?!])|[^\pL\pN\pM_'?!]+", True: r"([?!])|[^a-z0-9_'?!]+"}
#: Literal hints that a text may hold a quote (the quote expressions run only when one is found).
_QUOTE_HINTS = "(?i)>|quote|wrote:|originally posted"


def _as_array(texts) -> pa.Array:
    """A pyarrow string array of ``texts`` (an Arrow array, Series or sequence; nulls as empty strings).

    A Series of pandas' Arrow-backed ``str`` dtype (what a corpus reads) hands
    over its Arrow data without making a Python string per text.
    """
    if hasattr(getattr(texts, "array", None), "__arrow_array__"):
        texts = pa.array(texts.array)
    if isinstance(texts, (pa.Array, pa.ChunkedArray)):
        array = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
        return pc.fill_null(array.cast(pa.large_string()), "")
    values = texts.to_numpy(dtype=object) if hasattr(texts, "to_numpy") else np.asarray(texts, dtype=object)
    array = pa.array(values, type=pa.large_string(), from_pandas=True)
    return pc.fill_null(array, "")


def _prepare(texts) -> pa.Array:
    """Texts with apostrophes folded and quoted earlier posts removed (see the module notes)."""
    array = pc.replace_substring_regex(_as_array(texts), _APOSTROPHES, "'")
    if not pc.any(pc.match_substring_regex(array, _QUOTE_HINTS)).as_py():
        return array
    array = pc.replace_substring_regex(array, _QUOTED_LINES, "")
    array = pc.replace_substring_regex(array, _QUOTE_BLOCK, "")
    return pc.replace_substring_regex(array, _INLINE_QUOTE, "")


def _split_sentences(array: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """(non-empty sentences, index of the text each came from) of prepared texts."""
    marked = pc.replace_substring_regex(array, _SENTENCE_END, "\\1" + _BOUNDARY)
    pieces = pc.split_pattern(marked, _BOUNDARY)
    parents = pc.list_parent_indices(pieces).to_numpy()
    sentences = pc.utf8_trim_whitespace(pc.list_flatten(pieces))
    keep = pc.greater(pc.utf8_length(sentences), 0)
    return sentences.filter(keep), parents[keep.to_numpy(zero_copy_only=False)]


def _tokens(array: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """(tokens, index of the text each came from), as ``TOKEN_PATTERN`` finds them, lower-cased.

    Texts in plain ASCII (most of them) are cut by byte arithmetic in
    numpy; the others by RE2 with Unicode classes.  Both give exactly what
    scikit-learn's regular expression finds.
    """
    ascii_rows = pc.string_is_ascii(array).fill_null(True)
    if pc.all(ascii_rows).as_py():
        return _ascii_tokens(pc.ascii_lower(array))
    rows = np.flatnonzero(ascii_rows.to_numpy(zero_copy_only=False))
    others = np.flatnonzero(~ascii_rows.to_numpy(zero_copy_only=False))
    plain, plain_parents = _ascii_tokens(pc.ascii_lower(array.take(pa.array(rows))))
    rich, rich_parents = _unicode_tokens(array.take(pa.array(others)))
    parents = np.concatenate([rows[plain_parents], others[rich_parents]])
    order = np.argsort(parents, kind="stable")
    tokens = pa.concat_arrays([plain.cast(pa.large_string()), rich.cast(pa.large_string())])
    return tokens.take(pa.array(order)), parents[order]


def _unicode_tokens(array: pa.Array) -> tuple[pa.Array, np.ndarray]:
    spaced = pc.replace_substring_regex(pc.utf8_lower(array), _SEPARATORS[False], " \\1 ")
    pieces = pc.utf8_split_whitespace(spaced)
    parents = pc.list_parent_indices(pieces).to_numpy()
    # a token starts with a word character: leading apostrophes go, apostrophe-only runs vanish
    tokens = pc.utf8_ltrim(pc.list_flatten(pieces), "'")
    keep = pc.greater(pc.utf8_length(tokens), 0)
    return tokens.filter(keep), parents[keep.to_numpy(zero_copy_only=False)]


#: Byte classes of ASCII text: 0 separator, 1 word character, 2 apostrophe, 3 ``?`` or ``!``.
_BYTE_CLASS = np.zeros(256, dtype=np.uint8)
_BYTE_CLASS[np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789_", dtype=np.uint8)] = 1
_BYTE_CLASS[ord("'")] = 2
_BYTE_CLASS[[ord("?"), ord("!")]] = 3


def _ascii_tokens(array: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Tokens of lower-cased ASCII texts: runs of word characters and apostrophes (leading
    apostrophes dropped), and each ``?``/``!``; found with numpy over the bytes.

    Every step is one pass over the bytes or over the tokens: a run starts
    with a word character almost always, so only the runs that start with an
    apostrophe look for their first word character (which follows an
    apostrophe), and the tokens' bytes are kept with one mask rather than
    gathered one by one.
    """
    array = array.cast(pa.large_string())
    n = len(array)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset:array.offset + n + 1]
    data = array.buffers()[2]
    if n == 0 or data is None or offsets[-1] == offsets[0]:
        return pa.array([], type=pa.large_string()), np.zeros(0, dtype=np.int64)
    base = offsets[0]
    text = np.frombuffer(data, dtype=np.uint8)[base:offsets[-1]]
    bounds = offsets - base
    kind = _BYTE_CLASS[text]
    in_run = kind == 1
    in_run |= kind == 2
    edges = bounds[1:-1]   # runs never cross from one text into the next
    after = np.empty_like(in_run)
    after[0], after[1:] = False, in_run[:-1]
    after[edges] = False
    before = np.empty_like(in_run)
    before[-1], before[:-1] = False, in_run[1:]
    before[edges - 1] = False
    run_start = np.flatnonzero(in_run & ~after)
    run_stop = np.flatnonzero(in_run & ~before) + 1
    first_word = run_start.copy()
    quoted = np.flatnonzero(kind[run_start] == 2)
    if len(quoted):
        # the first word character of a run that opens with apostrophes follows an apostrophe;
        # none before the run's end (or the end of the text, the last entry): no token
        follows = np.append(np.flatnonzero((kind[1:] == 1) & (kind[:-1] == 2)) + 1, len(text))
        first_word[quoted] = np.minimum(follows[np.searchsorted(follows, run_start[quoted])], run_stop[quoted])
    keep = first_word < run_stop
    is_start = kind == 3
    is_start[first_word[keep]] = True
    is_stop = np.zeros(len(text) + 1, dtype=bool)
    is_stop[run_stop[keep]] = True
    is_stop[1:] |= kind == 3
    starts, stops = np.flatnonzero(is_start), np.flatnonzero(is_stop)
    inside = is_start.view(np.int8) - is_stop[:-1].view(np.int8)   # +1 opens a token, -1 closes one
    kept = text[np.cumsum(inside, dtype=np.int8).view(bool)]
    new_offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(stops - starts, out=new_offsets[1:])
    tokens = pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(new_offsets), pa.py_buffer(kept))
    parents = np.searchsorted(bounds, starts, side="right") - 1
    return tokens, parents


class _Terms:
    """A fitted vocabulary of word n-grams, indexed to look n-grams up by word ids.

    Term ``j`` (its words joined by single spaces, as scikit-learn writes
    them) is column ``j``.  Words get ids (their rank among the distinct
    words of the vocabulary); a unigram's column is looked up by its id; the
    ``k``-word prefixes of longer terms get ids level by level, each the
    rank of ``(id of its first k - 1 words) * words + id of its last word``
    among the prefixes of that length, so an n-gram of a text is found with
    integer arithmetic and binary search rather than by joining and hashing
    strings (the keys stay below ``terms * words``).

    Examples
    --------
    >>> terms = _Terms(["you", "sorry", "so sorry", "so", "are you ok"])
    >>> len(terms), terms.words.to_pylist()
    (5, ['are', 'ok', 'so', 'sorry', 'you'])
    >>> _word_counts(pa.array(["So sorry, so sorry!", "Are you OK?"]), terms, (1, 3)).toarray().tolist()
    [[0.0, 2.0, 2.0, 2.0, 0.0], [1.0, 0.0, 0.0, 0.0, 1.0]]
    """

    def __init__(self, terms):
        parts = [term.split(" ") for term in terms]
        self.size = len(parts)
        words = sorted({word for words in parts for word in words})
        self.words = pa.array(words, type=pa.large_string())
        ids = {word: i for i, word in enumerate(words)}
        #: level k - 1 (k-word terms and prefixes): (sorted keys, column of each, -1 for a prefix only)
        self.levels: list[tuple[np.ndarray, np.ndarray]] = []
        unigrams = np.full(len(words), -1, dtype=np.int64)
        for column, words_of in enumerate(parts):
            if len(words_of) == 1:
                unigrams[ids[words_of[0]]] = column
        self.levels.append((np.arange(len(words), dtype=np.int64), unigrams))
        prefix_ids = {(word,): ids[word] for word in words}
        for k in range(2, max((len(p) for p in parts), default=1) + 1):
            keyed = {tuple(p[:k]): prefix_ids[tuple(p[:k - 1])] * len(words) + ids[p[k - 1]]
                     for p in parts if len(p) >= k}
            prefixes = sorted(keyed, key=keyed.get)
            keys = np.array([keyed[prefix] for prefix in prefixes], dtype=np.int64)
            prefix_ids = {prefix: i for i, prefix in enumerate(prefixes)}
            columns = np.full(len(prefixes), -1, dtype=np.int64)
            for column, words_of in enumerate(parts):
                if len(words_of) == k:
                    columns[prefix_ids[tuple(words_of)]] = column
            self.levels.append((keys, columns))

    def __len__(self) -> int:
        return self.size


def _word_counts(array: pa.Array, terms: _Terms, ngram_range: tuple[int, int]) -> sp.csr_matrix:
    """Counts of the vocabulary's word n-grams in each text, shape (texts, vocabulary)."""
    tokens, parents = _tokens(array)
    word = pc.fill_null(pc.index_in(tokens, value_set=terms.words), -1).to_numpy().astype(np.int64)
    width = len(terms.words)
    rows, columns = [], []
    low, high = ngram_range
    for n in range(low, min(high, len(terms.levels)) + 1):
        if len(tokens) < n:
            continue
        starts = np.arange(len(tokens) - n + 1)
        for k in range(n):   # n-grams inside one text, of words the vocabulary knows
            starts = starts[(word[starts + k] >= 0) & (parents[starts + k] == parents[starts])]
        ids = word[starts]
        for k in range(1, n):
            keys, _ = terms.levels[k]
            key = ids * width + word[starts + k]
            found = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
            known = keys[found] == key
            starts, ids = starts[known], found[known]
        column = terms.levels[n - 1][1][ids]
        hit = column >= 0
        rows.append(parents[starts[hit]])
        columns.append(column[hit])
    rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    columns = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    counts = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)),
                           shape=(len(array), len(terms)))
    counts.sum_duplicates()
    return counts


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf times idf, rows scaled to unit length (scikit-learn's ``TfidfVectorizer``)."""
    weighted = counts.copy()
    weighted.data = (1.0 + np.log(weighted.data)) * idf[weighted.indices].astype(np.float32)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags((1.0 / norms).astype(np.float32)) @ weighted, dtype=np.float32)
