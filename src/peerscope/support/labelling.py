"""Labelling a corpus's posts batch by batch, locally or on Dask workers.

:func:`label_partitions` runs a fitted labeller (a
:class:`~peerscope.support.classifier.SupportClassifier` or the
:class:`~peerscope.support.lexicon.LexiconLabeller`) over every partition of a
corpus opened with ``engine="dask"``; :func:`peerscope.support.prevalence.classify`
uses the same per-batch step on the pandas engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from peerscope.errors import PeerscopeError
from peerscope.support.direction import direction
from peerscope.support.pretrained import pretrained

__all__ = ["label_partitions"]


#: Columns of the posts table a labelling pass reads.
_COLUMNS = ["post_id", "thread_id", "parent_id", "text"]


def _label_batch(model, batch: pd.DataFrame) -> pd.DataFrame:
    """Labels, direction and scores of a batch of posts (``post_id``, ``text``; thread columns if read)."""
    texts = batch["text"].reset_index(drop=True)
    scores = model.predict_frame(texts)
    label = scores.pop("label") if "label" in scores else None
    frame = pd.DataFrame({"post_id": batch["post_id"].astype("str").to_numpy()})
    if label is not None:
        frame["label"] = label.astype("str").to_numpy()
    frame["direction"] = direction(texts, opening=_opening(batch), scores=scores).to_numpy()
    for column in scores.columns:
        frame[column] = scores[column].to_numpy(dtype=np.float32)
    return frame


def _opening(batch: pd.DataFrame):
    """Whether each post opens its thread (no parent, or its own thread's id); None when unknown."""
    if "parent_id" not in batch:
        return None
    opening = batch["parent_id"].isna().to_numpy().copy()
    if "thread_id" in batch:
        opening |= (batch["post_id"].astype("str") == batch["thread_id"].astype("str")).to_numpy()
    return opening


def label_partitions(corpus, model=None, *, batch_size: int = 20_000):
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

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; columns ``post_id``, ``label``, ``direction`` (seeking,
        providing or neither; :func:`~peerscope.support.direction.direction`
        from each post's thread position and wording) and one ``float32`` score per
        class, as ``classify`` returns them.  ``.compute()`` it, or write it
        from the workers with ``.to_parquet(...)``.

    Raises
    ------
    peerscope.errors.PeerscopeError
        When the corpus is not on the Dask engine, or ``batch_size`` < 1.

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
    if model is None:
        model = pretrained("forum")
    posts = corpus.posts(_COLUMNS)
    return posts.map_partitions(_label_partition, dask.delayed(model), batch_size,
                                meta=_no_labels(model))


def _label_partition(posts: pd.DataFrame, model, batch_size: int) -> pd.DataFrame:
    """On a worker: one partition of posts labelled in batches of ``batch_size``."""
    parts = [_label_batch(model, posts.iloc[start:start + batch_size])
             for start in range(0, len(posts), batch_size)]
    return pd.concat(parts, ignore_index=True) if parts else _no_labels(model)


def _no_labels(model) -> pd.DataFrame:
    """The labels of no post: the columns and dtypes of a result (tf-idf cannot transform zero texts)."""
    one = pd.DataFrame({"post_id": pd.Series([""], dtype="str"), "thread_id": pd.Series([""], dtype="str"),
                        "parent_id": pd.Series([None], dtype="str"), "text": pd.Series([""], dtype="str")})
    return _label_batch(model, one).iloc[:0]
