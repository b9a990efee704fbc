"""Labelling a corpus's posts (or newsletter items) batch by batch, locally or on Dask workers.

:func:`label_partitions` runs a fitted labeller (a
:class:`~peerscope.support.classifier.SupportClassifier` or the
:class:`~peerscope.support.lexicon.LexiconLabeller`) over every partition of a
corpus opened with ``engine="dask"``; :func:`peerscope.support.prevalence.classify`
uses the same per-batch step on the pandas engine.

Both read ``table="posts"`` (default), ``"newsletter_items"`` or ``"all"``
(posts, then items).  A posts-only result keeps its columns as before
(``post_id``, ``label``, ``direction``, scores); a result with newsletter
items starts with ``doc_id`` (the row's own id: a post's ``post_id``, an
item's ``item_id``) and ``source`` (the table it came from) instead.
Newsletter items have no thread, so their direction comes from their
wording alone (:func:`~peerscope.support.direction.direction` with no
opening-post flag).

``label`` and ``direction`` are pandas categoricals with fixed categories
(the model's classes, or its score columns plus ``none`` for a labeller
without classes, such as the lexicon;
:data:`~peerscope.support.direction.DIRECTION_LABELS`), and
scores are ``float32``: a post's labels take 14 bytes beside its id (three
scores), and every batch has the same dtypes, so batches concatenate and
stream to one Parquet file (as dictionary-encoded strings) unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from peerscope.errors import PeerscopeError
from peerscope.support.direction import DIRECTION_LABELS, direction
from peerscope.support.pretrained import pretrained
from peerscope.support.schemes import NO_SUPPORT

__all__ = ["label_partitions"]


#: Columns of the posts table a labelling pass reads.
_COLUMNS = ["post_id", "thread_id", "parent_id", "text"]
#: Columns read per text table.
_TABLE_COLUMNS = {"posts": _COLUMNS, "newsletter_items": ["item_id", "text"]}
#: What ``table=`` may name.
_TABLES = ("posts", "newsletter_items", "all")


def _tables(corpus, table: str) -> list[str]:
    """The text tables ``table`` names (checked against the corpus)."""
    if not isinstance(table, str) or table not in _TABLES:
        raise PeerscopeError(f"table={table!r}: choose one of {list(_TABLES)}")
    tables = ["posts", "newsletter_items"] if table == "all" else [table]
    if "newsletter_items" in tables and not corpus.has_table("newsletter_items"):
        raise PeerscopeError(f"table={table!r}: this corpus has no newsletter_items table (load a "
                             f"newsletter, e.g. peerscope.loaders.newsletter, or pass table='posts')")
    return tables


def _label_batch(model, batch: pd.DataFrame, source: str = "posts", post_id: bool = True) -> pd.DataFrame:
    """Labels, direction and scores of a batch of one text table.

    ``batch`` holds the table's id column (``post_id`` or ``item_id``) and
    ``text`` (and a post's thread columns if read); the result starts with
    ``post_id`` (posts, when ``post_id``: a posts-only result) or with
    ``doc_id`` and ``source``.
    """
    texts = batch["text"].reset_index(drop=True)
    scores = model.predict_frame(texts)
    label = scores.pop("label") if "label" in scores else None
    ids = batch["post_id" if source == "posts" else "item_id"].astype("str").to_numpy()
    if source == "posts" and post_id:  # a posts-only result: its columns as before tables could be chosen
        frame = pd.DataFrame({"post_id": ids})
    else:
        frame = pd.DataFrame({"doc_id": ids, "source": pd.array([source] * len(ids), dtype="str")})
    if label is not None:
        frame["label"] = _categorical(label, _label_categories(model, scores.columns), "label", model)
    frame["direction"] = pd.Categorical(direction(texts, opening=_opening(batch), scores=scores).to_numpy(),
                                        categories=DIRECTION_LABELS)
    for column in scores.columns:
        frame[column] = scores[column].to_numpy(dtype=np.float32)
    return frame


def _label_categories(model, score_columns) -> list[str]:
    """The labels a model can give: its classes, else its score columns plus ``none``."""
    classes = getattr(model, "classes_", None)
    if classes is not None:
        return [str(c) for c in classes]
    names = [str(c) for c in score_columns]
    return names if NO_SUPPORT in names else [*names, NO_SUPPORT]


def _categorical(values: pd.Series, categories: list[str], column: str, model) -> pd.Categorical:
    """``values`` as a categorical of ``categories``; a value outside them is an error, not a silent null."""
    result = pd.Categorical(values.astype("str").to_numpy(), categories=categories)
    unknown = result.isna() & values.notna().to_numpy()
    if unknown.any():
        raise PeerscopeError(f"{column} {values[unknown].iloc[0]!r} from {type(model).__name__} is not one of "
                             f"its classes {categories}")
    return result


def _opening(batch: pd.DataFrame):
    """Whether each post opens its thread (no parent, or its own thread's id); None when unknown."""
    if "parent_id" not in batch or "post_id" not in batch:
        return None
    opening = batch["parent_id"].isna().to_numpy().copy()
    if "thread_id" in batch:
        opening |= (batch["post_id"].astype("str") == batch["thread_id"].astype("str")).to_numpy()
    return opening


def label_partitions(corpus, model=None, *, batch_size: int = 20_000, table: str = "posts"):
    """Label every post of a Dask corpus with a support model, per partition on the workers.

    The Dask counterpart of :func:`peerscope.support.classify`: each
    partition of the posts (a monthly file or a row group; only ``post_id``,
    ``thread_id``, ``parent_id`` and ``text`` are read) is labelled where it is read, in batches of
    ``batch_size``.  The model goes into the task graph once, as one
    ``dask.delayed`` object that every partition task depends on, so a
    ``distributed`` scheduler ships it to each worker once rather than with
    every task.  Computed, the result equals ``classify`` on the pandas
    engine, row for row and in the same order (the order
    :meth:`~peerscope.Corpus.iter_batches` reads), once its index is reset
    (each partition counts its rows from 0).

    Parameters
    ----------
    corpus : peerscope.Corpus
        A corpus opened with ``engine="dask"``.
    model : SupportClassifier or LexiconLabeller, optional
        Anything with ``predict_frame(texts)`` returning scores and a
        ``label`` column; it must pickle (both peerscope models do).
        Default: :func:`~peerscope.support.pretrained.pretrained` ``("forum")``.
    batch_size : int
        Most posts labelled at once inside a partition (bounds the size of
        the feature matrices).
    table : {"posts", "newsletter_items", "all"}
        Label the posts (default), the newsletter items (``item_id`` and
        ``text`` read) or both, posts first.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; columns ``post_id`` (``table="posts"``) or ``doc_id`` and
        ``source`` (with newsletter items), categorical ``label`` and
        ``direction`` (seeking, providing or neither;
        :func:`~peerscope.support.direction.direction` from each post's
        thread position and wording) and one ``float32`` score per
        class, as ``classify`` returns them.  ``.compute()`` it, or write it
        from the workers with ``.to_parquet(...)``.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When the corpus is not on the Dask engine, ``batch_size`` < 1, an
        unknown ``table``, or newsletter items of a corpus without them.

    Examples
    --------
    >>> from peerscope import open_corpus
    >>> from peerscope.support import LexiconLabeller
    >>> corpus = open_corpus("forum-monthly", engine="dask", scheduler="local")   # doctest: +SKIP
    >>> labels = label_partitions(corpus, LexiconLabeller()).compute()           # doctest: +SKIP
    >>> labels = labels.reset_index(drop=True)                                   # doctest: +SKIP
    """
    import dask

    if corpus.engine != "dask":
        raise PeerscopeError(f"label_partitions needs a corpus opened with engine='dask', not "
                             f"{corpus.engine!r}; use peerscope.support.classify")
    if batch_size < 1:
        raise PeerscopeError(f"batch_size={batch_size}: expected a positive number of posts")
    tables = _tables(corpus, table)
    if model is None:
        model = pretrained("forum")
    delayed = dask.delayed(model)
    post_id = table == "posts"
    parts = [corpus.table(name, _TABLE_COLUMNS[name]).map_partitions(
                 _label_partition, delayed, batch_size, name, post_id, meta=_no_labels(model, name, post_id))
             for name in tables]
    if len(parts) == 1:
        return parts[0]
    import dask.dataframe as dd

    return dd.concat(parts)


def _label_partition(posts: pd.DataFrame, model, batch_size: int, source: str = "posts",
                     post_id: bool = True) -> pd.DataFrame:
    """On a worker: one partition of a text table labelled in batches of ``batch_size``."""
    parts = [_label_batch(model, posts.iloc[start:start + batch_size], source, post_id)
             for start in range(0, len(posts), batch_size)]
    return pd.concat(parts, ignore_index=True) if parts else _no_labels(model, source, post_id)


def _no_labels(model, source: str = "posts", post_id: bool = True) -> pd.DataFrame:
    """The labels of no document: the columns and dtypes of a result (tf-idf cannot transform zero texts)."""
    if source == "posts":
        one = pd.DataFrame({"post_id": pd.Series([""], dtype="str"), "thread_id": pd.Series([""], dtype="str"),
                            "parent_id": pd.Series([None], dtype="str"), "text": pd.Series([""], dtype="str")})
    else:
        one = pd.DataFrame({"item_id": pd.Series([""], dtype="str"), "text": pd.Series([""], dtype="str")})
    return _label_batch(model, one, source, post_id).iloc[:0]
