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
  of a fitted vocabulary, as a sparse matrix.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

__all__: list[str] = []

_APOSTROPHES = "[\u2018\u2019\u02bc`]|<U\\+0092>"
_QUOTED_LINES = r"(?m)^[ \t]*>[^\n]*(?:\n|$)"
_QUOTE_BLOCK = (r"(?im)^[ \t]*(?:quote(?: from [^\n]*)?:|originally posted by[^\n]*|[^\n]{0,80}\bwrote:)"
                r"[ \t]*\n(?:[^\n]*\S[^\n]*(?:\n|$))*")
_INLINE_QUOTE = "(?i)\\bquote:\\s*(?:\"[^\"]*\"|\u201c[^\u201d]*\u201d)"
_BOUNDARY = "\x1f"
_SENTENCE_END = "([.!?\u2026]+[\"'\u201d\u2019)\\]]*)\\s+|\\s*\\n\\s*"
#: A separator between tokens, or a ``?``/``!`` (a token of its own); in Unicode and ASCII-only text.
_SEPARATORS = {False: r"([?!])|[^\pL\pN\pM_'?!]+", True: r"([?!])|[^a-z0-9_'?!]+"}
#: Literal hints that a text may hold a quote (the quote expressions run only when one is found).
_QUOTE_HINTS = (">", "quote", "wrote:", "originally posted")


def _as_array(texts) -> pa.Array:
    """A pyarrow string array of ``texts`` (an Arrow array, Series or sequence; nulls as empty strings)."""
    if isinstance(texts, (pa.Array, pa.ChunkedArray)):
        array = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
        return pc.fill_null(array.cast(pa.large_string()), "")
    values = texts.to_numpy(dtype=object) if hasattr(texts, "to_numpy") else np.asarray(texts, dtype=object)
    array = pa.array(values, type=pa.large_string(), from_pandas=True)
    return pc.fill_null(array, "")


def _prepare(texts) -> pa.Array:
    """Texts with apostrophes folded and quoted earlier posts removed (see the module notes)."""
    array = pc.replace_substring_regex(_as_array(texts), _APOSTROPHES, "'")
    if not any(pc.any(pc.match_substring(array, hint, ignore_case=True)).as_py() for hint in _QUOTE_HINTS):
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
    apostrophes dropped), and each ``?``/``!``; found with numpy over the bytes."""
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
    in_run = (kind == 1) | (kind == 2)
    edges = bounds[1:-1]   # runs never cross from one text into the next
    after = np.empty_like(in_run)
    after[0], after[1:] = False, in_run[:-1]
    after[edges] = False
    before = np.empty_like(in_run)
    before[-1], before[:-1] = False, in_run[1:]
    before[edges - 1] = False
    run_start = np.flatnonzero(in_run & ~after)
    run_stop = np.flatnonzero(in_run & ~before) + 1
    word = np.flatnonzero(kind == 1)
    first = np.searchsorted(word, run_start)
    has_word = first < len(word)
    first_word = np.where(has_word, word[np.minimum(first, len(word) - 1)], run_stop)
    keep = first_word < run_stop
    marks = np.flatnonzero(kind == 3)
    starts = np.concatenate([first_word[keep], marks])
    stops = np.concatenate([run_stop[keep], marks + 1])
    order = np.argsort(starts, kind="stable")
    starts, stops = starts[order], stops[order]
    lengths = stops - starts
    new_offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    index = np.int32 if len(text) < 2**31 else np.int64   # half the memory traffic in a usual batch
    shift = (starts - new_offsets[:-1]).astype(index)
    gather = np.arange(new_offsets[-1], dtype=index) + np.repeat(shift, lengths)
    tokens = pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(new_offsets),
                                              pa.py_buffer(text[gather].tobytes()))
    parents = np.searchsorted(bounds, starts, side="right") - 1
    return tokens, parents


def _word_counts(array: pa.Array, vocabulary: pa.Array, ngram_range: tuple[int, int]) -> sp.csr_matrix:
    """Counts of the vocabulary's word n-grams in each text, shape (texts, vocabulary)."""
    tokens, parents = _tokens(array)
    rows, columns = [], []
    low, high = ngram_range
    for n in range(low, high + 1):
        if n == 1:
            grams, owner = tokens, parents
        else:
            if len(tokens) < n:
                continue
            same = np.ones(len(tokens) - n + 1, dtype=bool)
            for k in range(1, n):
                same &= parents[k:len(parents) - n + 1 + k] == parents[:len(parents) - n + 1]
            starts = np.flatnonzero(same)
            parts = [tokens.take(pa.array(starts + k)) for k in range(n)]
            grams, owner = pc.binary_join_element_wise(*parts, pa.scalar(" ", pa.large_string())), parents[starts]
        found = pc.index_in(grams, value_set=vocabulary).to_numpy(zero_copy_only=False)
        hit = ~np.isnan(found) if found.dtype.kind == "f" else np.ones(len(found), dtype=bool)
        rows.append(owner[hit])
        columns.append(found[hit].astype(np.int64))
    rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    columns = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    counts = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)),
                           shape=(len(array), len(vocabulary)))
    counts.sum_duplicates()
    return counts


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf times idf, rows scaled to unit length (scikit-learn's ``TfidfVectorizer``)."""
    weighted = counts.copy()
    weighted.data = (1.0 + np.log(weighted.data)) * idf[weighted.indices].astype(np.float32)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags((1.0 / norms).astype(np.float32)) @ weighted, dtype=np.float32)
