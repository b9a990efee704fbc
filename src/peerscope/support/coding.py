"""Hand-coding workflow: a coding sheet of sampled posts for human coders, and their codes read back.

Content analyses of support forums rest on a hand-coded sample (Finn 1999
coded 718 messages; Chuang & Yang 2012 coded forum comments for nurturant
support).  This module makes that sample reproducible and its codes
checkable:

:func:`sample_for_coding`
    draws a random sample of posts, optionally stratified (by channel, by
    calendar month, by a model's predicted support type so that rare types
    get enough examples, or by any grouping the caller gives), and writes
    a *coding sheet* (CSV, one row per post: ``post_id``, thread context,
    ``text``, one empty column per code, ``coder``, ``notes``) and a
    *codebook* beside it (JSON: the scheme, its definitions, the
    instructions, the sampling design and every post's sampling weight).
:func:`read_codes`
    reads one or several coders' filled sheets into a tidy frame
    (``post_id``, ``coder``, one 0/1 column per code), checking every cell
    against the scheme and naming the file, line and column of the first
    bad one.
:func:`read_design`
    reads the sampling weights back from the codebook.

Sampling design
---------------
Posts are sorted by ``post_id`` before drawing, so one ``seed`` gives the
same sample whatever the storage order (one file or monthly parts).  In
stratum ``h`` with ``N_h`` posts, ``n_h`` posts are drawn without
replacement; the *sampling weight* of each is ``N_h / n_h`` (the inverse
of its inclusion probability), so a share estimated from the coded sample
as ``sum(w_i * y_i) / sum(w_i)`` is unbiased for the corpus (Horvitz &
Thompson 1952) even when rare strata were over-sampled.  Pass the weights
as ``validation_weights`` to :func:`peerscope.support.prevalence.prevalence`
so a model's true and false positive rates are those of the corpus, not of
the over-sampled design.  A stratum allotted no post cannot be represented;
it is listed in the codebook with ``sampled = 0`` (and a warning is given
when the allocation, not the caller, left it out).

Blind coding
------------
The sheet never shows the stratum or the weight (when stratifying by a
model's predicted type they would tell the coder the model's answer); both
are in the returned frame and the codebook only.  Rows are shuffled, so
strata do not come in blocks.  Text cells that a spreadsheet would run as a
formula (starting with ``=``, ``+``, ``-``, ``@``) are prefixed with an
apostrophe (OWASP's advice on CSV injection), because forum text is
untrusted input.

References
----------
Cutrona, C. E., & Suhr, J. A. (1992). Controllability of stressful events and
satisfaction with spouse support behaviors. Communication Research 19(2).
Horvitz, D. G., & Thompson, D. J. (1952). A generalization of sampling
without replacement from a finite universe. JASA 47(260).
Krippendorff, K. (2004). Content Analysis: An Introduction to Its
Methodology (2nd ed.). Sage.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import warnings
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from peerscope.corpus import schema
from peerscope.errors import PeerscopeError, SourceError
from peerscope.privacy import scrub_pii
from peerscope.support.lexicon import LexiconLabeller
from peerscope.support.prevalence import classify, month_of
from peerscope.support.schemes import MAPPINGS, NO_SUPPORT, SUPPORT_TYPES, SchemeMapping

__all__ = ["CONTEXT_COLUMNS", "INSTRUCTIONS", "SSBC_DEFINITIONS", "codebook_path", "read_codes",
           "read_design", "sample_for_coding", "scheme_codes"]

#: What coders read for each SSBC type: Cutrona & Suhr's (1992) sub-categories, both directions.
SSBC_DEFINITIONS = {
    "informational": "Advice or suggestions, referral to a service or expert ('talk to your GP'), "
                     "appraisal of the situation, facts or teaching; or asking for any of these "
                     "('does anyone know ...?').",
    "emotional": "Sympathy, caring, listening, understanding or empathy (including telling a "
                 "similar experience to show understanding), encouragement, prayer; or asking to "
                 "be listened to, comforted or cared for.",
    "esteem": "Compliments, validation of the person's feelings, choices or abilities, relief of "
              "blame ('it's not your fault'); or seeking reassurance about one's own worth "
              "('I feel like a failure').",
    "network": "Presence and belonging ('you're not alone', 'we're here for you'), invitations to "
               "join others (a group, a meet-up, this forum); or looking for others in a like "
               "situation ('is there anyone else who ...?').",
    "tangible": "Offers of practical help or doing a task for the person (lending, driving, "
                "calling, filling in a form), willingness to help; or asking for such help.",
}

#: The instructions written into every codebook.
INSTRUCTIONS = (
    "Code the post in the 'text' column; the other text columns are context only.",
    "Put 1 in every code column that applies (a post may carry several codes) and leave the "
    "others empty or 0. Code support both given and asked for.",
    "If no code applies, put 1 in the 'none' column.",
    "Write your name or initials in 'coder' on every row you code; leave rows you have not "
    "coded entirely empty (they are counted as uncoded, not as 'none').",
    "Use 'notes' for doubts. Do not add, rename or delete columns, and never edit 'post_id'.",
    "Code alone: do not discuss posts with other coders until agreement has been computed.",
    "Save as 'CSV UTF-8' (comma separated).",
)

#: Sheet columns that hold context, not codes (read_codes ignores their content).
CONTEXT_COLUMNS = ("channel", "thread_title", "parent_text", "text")
#: Columns of a sheet that are neither context nor codes.
ID_COLUMN, CODER_COLUMN, NOTES_COLUMN, LABEL_COLUMN = "post_id", "coder", "notes", "label"
_RESERVED = {ID_COLUMN, CODER_COLUMN, NOTES_COLUMN, LABEL_COLUMN, *CONTEXT_COLUMNS,
             "stratum", "sampling_weight"}
_ONE = {"1", "1.0", "x", "yes", "y", "true"}
_ZERO = {"0", "0.0", "no", "n", "false", ""}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MISSING_STRATUM = "(missing)"
_LABEL_SEPARATORS = r"[;+]"


def scheme_codes(scheme=None) -> tuple[str, tuple[str, ...], dict[str, str]]:
    """The name, codes and per-code definitions of a coding scheme.

    Parameters
    ----------
    scheme : None, str, SchemeMapping or sequence of str
        None or ``"ssbc"``: the five SSBC types with :data:`SSBC_DEFINITIONS`;
        ``"esconv"``, ``"mi"``, ``"epitome"`` or a :class:`SchemeMapping`: that
        scheme's source labels, defined by their mapping rationale; a
        sequence: those codes, undefined.

    Returns
    -------
    tuple
        ``(name, codes, definitions)``: the scheme's name, its codes and a
        dict code -> definition (empty for an explicit sequence).

    Raises
    ------
    peerscope.errors.PeerscopeError
        For an unknown scheme name, or codes that are empty, repeated or reserved.

    Examples
    --------
    >>> scheme_codes()[1]
    ('informational', 'emotional', 'esteem', 'network', 'tangible')
    """
    if scheme is None or scheme == "ssbc":
        return "ssbc", SUPPORT_TYPES, dict(SSBC_DEFINITIONS)
    if isinstance(scheme, str):
        if scheme not in MAPPINGS:
            raise PeerscopeError(f"unknown scheme {scheme!r}; expected 'ssbc', one of {sorted(MAPPINGS)}, "
                                 "a SchemeMapping or a sequence of codes")
        scheme = MAPPINGS[scheme]
    if isinstance(scheme, SchemeMapping):
        return scheme.name, scheme.labels, dict(scheme.rationale)
    codes = tuple(str(c).strip() for c in scheme)
    clashes = sorted({c.lower() for c in codes} & (_RESERVED | {NO_SUPPORT}))
    if not codes or len({c.lower() for c in codes}) != len(codes) or clashes or "" in codes:
        raise PeerscopeError(f"codes {list(codes)}: expected distinct, non-empty names other than "
                             f"{sorted(_RESERVED | {NO_SUPPORT})}")
    return "custom", codes, {}


# -- sampling ----------------------------------------------------------------------------------

def sample_for_coding(corpus, n, *, stratify=None, allocation: str = "equal", seed: int = 0,
                      scheme=None, out: str | os.PathLike | None = None, model=None,
                      context_chars: int = 300, scrub: bool = True,
                      progress: bool | None = None) -> pd.DataFrame:
    """Draw a reproducible (stratified) random sample of posts and write a coding sheet.

    Parameters
    ----------
    corpus : peerscope.Corpus
        The corpus to sample from (in memory or saved; any engine).
    n : int or dict
        Posts to draw in all, allotted to strata by ``allocation``; or a dict
        ``stratum -> posts`` giving each stratum's count (strata left out get
        none).
    stratify : None, str or Series
        None: a simple random sample.  ``"month"``: calendar month (UTC) of
        ``created_at``.  ``"predicted"``: the support type ``model`` predicts
        (so rare types are sampled enough).  Another string: a column of
        the posts table (``channel``, ``kind``, ...).  A Series indexed by
        ``post_id``: its values (posts missing from it form a stratum
        ``"(missing)"``, as do null values).
    allocation : {"equal", "proportional"}
        How an integer ``n`` is split: the same number per stratum (strata
        smaller than their share are taken whole and the rest goes to the
        others), or in proportion to stratum size (largest remainders).
    seed : int
        Seed of the draw; one seed gives the same sample and row order.
    scheme : see :func:`scheme_codes`
        The codes, one empty sheet column each (plus ``none``).
    out : path-like, optional
        Write the sheet here (CSV, UTF-8 with a byte-order mark so that
        spreadsheets read it right) and the codebook beside it
        (``<stem>.codebook.json``), each atomically.
    model : optional
        For ``stratify="predicted"``: anything :func:`peerscope.support.classify`
        accepts (default :class:`~peerscope.support.LexiconLabeller`).
    context_chars : int
        The parent post's text is cut to this many characters (``...`` added).
    scrub : bool
        Replace e-mail addresses, URLs, phone numbers and handles in the
        sheet's texts (:func:`peerscope.privacy.scrub_pii`): the sheet leaves
        the research team more often than the corpus does.
    progress : bool, optional
        Progress bar while ``model`` labels the corpus.

    Returns
    -------
    DataFrame
        The sheet's rows and columns (``post_id``, ``channel`` and
        ``thread_title`` when the corpus has them, ``parent_text``, ``text``,
        the codes, ``none``, ``coder``, ``notes``) plus ``stratum`` and
        ``sampling_weight`` (``N_h / n_h``), which the CSV leaves out so that
        coding stays blind.  ``attrs["design"]`` holds the design as written
        to the codebook; ``attrs["paths"]`` the files written.

    Examples
    --------
    >>> from peerscope.datasets import synth
    >>> corpus, _ = synth.generate(600, seed=1)
    >>> sheet = sample_for_coding(corpus, 40, stratify="channel", seed=3)
    >>> len(sheet), sheet["post_id"].is_unique
    (40, True)
    >>> bool((sheet.groupby("stratum")["sampling_weight"].nunique() == 1).all())
    True
    """
    name, codes, definitions = scheme_codes(scheme)
    if allocation not in ("equal", "proportional"):
        raise PeerscopeError(f"allocation={allocation!r}: expected 'equal' or 'proportional'")
    if context_chars < 0:
        raise PeerscopeError(f"context_chars={context_chars}: expected a number of characters >= 0")
    available = corpus.manifest["tables"]["posts"]["columns"]
    index = _index_frame(corpus, available, stratify)
    strata, described = _strata(corpus, index, stratify, model, progress)
    sizes = strata.value_counts().sort_index()
    counts = _allocate(n, sizes, allocation)
    empty = counts.index[counts == 0].tolist()
    if empty and not isinstance(n, Mapping):
        warnings.warn(f"strata {empty[:5]} got no post; estimates from this sample cannot "
                      "represent them", stacklevel=2)
    rng = np.random.default_rng(seed)
    members = pd.Series(np.arange(len(strata))).groupby(strata.to_numpy()).indices
    drawn = [rng.choice(members[s], size=int(k), replace=False) for s, k in counts.items() if k]
    chosen = rng.permutation(np.concatenate(drawn)) if drawn else np.array([], dtype=np.int64)
    sample = index.iloc[chosen].reset_index(drop=True)
    sample["stratum"] = strata.iloc[chosen].to_numpy()
    weights = (sizes / counts.where(counts > 0)).astype("float64")
    sample["sampling_weight"] = sample["stratum"].map(weights).astype("float64")
    sheet = _sheet(corpus, index, sample, available, codes, context_chars, scrub)
    requested = {str(k): int(v) for k, v in n.items()} if isinstance(n, Mapping) else int(n)
    design = {"n_requested": requested,
              "n_sampled": len(sheet), "population": len(index), "seed": seed,
              "stratify": described, "allocation": allocation if isinstance(n, int) else "given",
              "strata": [{"stratum": str(s), "population": int(sizes[s]), "sampled": int(counts[s]),
                          "weight": float(weights[s]) if counts[s] else None} for s in sizes.index]}
    sheet.attrs["design"] = design
    sheet.attrs["paths"] = []
    if out is not None:
        sheet.attrs["paths"] = _write_sheet(sheet, Path(out), corpus, name, codes, definitions, design)
    return sheet


def _index_frame(corpus, available: list[str], stratify) -> pd.DataFrame:
    """Ids, thread links and the stratifying column of every post, sorted by ``post_id``."""
    columns = ["post_id", "thread_id", "parent_id", "created_at"]
    columns += [c for c in ("channel",) if c in available]
    if isinstance(stratify, str) and stratify not in ("month", "predicted") and stratify not in columns:
        if stratify not in available or stratify in ("text", "title"):
            raise PeerscopeError(f"stratify={stratify!r}: not a column of the posts table "
                                 f"({available}), 'month', 'predicted' or a Series")
        columns.append(stratify)
    frame = schema.to_pandas(corpus.arrow("posts", columns=columns))
    return frame.sort_values("post_id", kind="stable", ignore_index=True)


def _strata(corpus, index: pd.DataFrame, stratify, model, progress) -> tuple[pd.Series, str | None]:
    """Each post's stratum as strings (nulls -> ``"(missing)"``), and how it was formed."""
    if stratify is None:
        return pd.Series("all", index=index.index, dtype="str"), None
    if isinstance(stratify, pd.Series):
        values, described = index["post_id"].map(stratify.groupby(level=0).first()), "given"
    elif stratify == "month":
        values, described = month_of(index["created_at"]), "month (UTC) of created_at"
    elif stratify == "predicted":
        model = LexiconLabeller() if model is None else model
        labels = classify(corpus, model, progress=progress).set_index("post_id")["label"]
        values, described = index["post_id"].map(labels), f"type predicted by {model!r}"
    else:
        values, described = index[stratify], f"posts column {stratify!r}"
    strata = pd.Series(values, dtype="str").fillna(_MISSING_STRATUM)
    return strata, described


def _allocate(n, sizes: pd.Series, allocation: str) -> pd.Series:
    """Posts to draw per stratum (index as ``sizes``)."""
    if isinstance(n, Mapping):
        wanted = pd.Series({str(k): v for k, v in n.items()}, dtype="object")
        unknown = sorted(set(wanted.index) - set(sizes.index))
        if unknown:
            raise PeerscopeError(f"unknown strata {unknown[:5]}; the strata are {list(sizes.index)[:20]}")
        counts = wanted.reindex(sizes.index, fill_value=0)
        bad = [s for s, k in counts.items()
               if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 0 <= k <= sizes[s]]
        if bad:
            raise PeerscopeError(f"stratum {bad[0]!r}: {counts[bad[0]]!r} posts asked for, but it "
                                 f"holds {int(sizes[bad[0]])} (expected a whole number between 0 and that)")
        return counts.astype("int64")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise PeerscopeError(f"n={n!r}: expected a positive number of posts or a dict stratum -> posts")
    remaining = min(int(n), int(sizes.sum()))
    counts = pd.Series(0, index=sizes.index, dtype="int64")
    if allocation == "proportional":
        exact = remaining * sizes / sizes.sum()
        counts[:] = np.floor(exact).astype("int64")
        leftover = remaining - int(counts.sum())
        counts[(exact - counts).sort_values(ascending=False, kind="stable").index[:leftover]] += 1
        return counts
    by_size = sizes.sort_values(kind="stable").index
    for position, stratum in enumerate(by_size):
        take = min(int(sizes[stratum]), remaining // (len(by_size) - position))
        counts[stratum] = take
        remaining -= take
    while remaining:
        for stratum in reversed(by_size):
            if remaining and counts[stratum] < sizes[stratum]:
                counts[stratum] += 1
                remaining -= 1
    return counts


def _sheet(corpus, index, sample, available, codes, context_chars, scrub) -> pd.DataFrame:
    """The coding sheet: ids, context, text, empty code columns; stratum and weight last."""
    thread_opener = index.loc[index["parent_id"].isna()].drop_duplicates("thread_id")
    opener_of = thread_opener.set_index("thread_id")["post_id"]
    wanted = set(sample["post_id"]) | set(sample["parent_id"].dropna())
    text_columns = ["post_id", "text"]
    if "title" in available:
        wanted |= set(sample["thread_id"].map(opener_of).dropna())
        text_columns.append("title")
    texts = pd.concat([batch.loc[batch["post_id"].isin(wanted)]
                       for batch in corpus.iter_batches("posts", text_columns)]
                      or [pd.DataFrame(columns=text_columns)]).set_index("post_id")
    text_of = texts["text"].astype("str").fillna("")
    sheet = pd.DataFrame({"post_id": sample["post_id"].astype("str")})
    if "channel" in sample:
        sheet["channel"] = sample["channel"].astype("str").fillna("")
    if "title" in available:
        titles = texts["title"].astype("str")
        sheet["thread_title"] = sample["thread_id"].map(opener_of).map(titles).astype("str").fillna("")
    parent = sample["parent_id"].map(text_of).astype("str").fillna("")
    sheet["text"] = sample["post_id"].map(text_of).astype("str").fillna("")
    if scrub:  # before cutting, so that no half address survives
        parent, sheet["text"] = scrub_pii(parent), scrub_pii(sheet["text"])
        if "thread_title" in sheet:
            sheet["thread_title"] = scrub_pii(sheet["thread_title"])
    kept = parent.str.slice(0, context_chars)
    sheet.insert(sheet.columns.get_loc("text"), "parent_text",
                 kept.where(parent.str.len() <= context_chars, kept.str.rstrip() + "..."))
    for code in (*codes, NO_SUPPORT, CODER_COLUMN, NOTES_COLUMN):
        sheet[code] = ""
    sheet = sheet.astype("str")
    sheet["stratum"] = sample["stratum"].astype("str")
    sheet["sampling_weight"] = sample["sampling_weight"].to_numpy()
    return sheet


def _spreadsheet_safe(values: pd.Series) -> pd.Series:
    """Prefix cells a spreadsheet would run as a formula with an apostrophe."""
    return values.where(~values.str.startswith(_FORMULA_START), "'" + values)


def _write_sheet(sheet, out: Path, corpus, name, codes, definitions, design) -> list[str]:
    if out.suffix.lower() != ".csv":
        raise PeerscopeError(f"{out}: the coding sheet is a CSV file; give a path ending in .csv")
    blind = sheet.drop(columns=["stratum", "sampling_weight"])
    for column in ("channel", "thread_title", "parent_text", "text"):
        if column in blind:
            blind[column] = _spreadsheet_safe(blind[column])
    columns = {"post_id": "the post's id (never edit)",
               "channel": "the board or forum the post is in",
               "thread_title": "title of the thread's opening post",
               "parent_text": "the post this one replies to (context only; cut)",
               "text": "the post to code",
               **{code: f"1 if the post carries {code!r}" for code in codes},
               NO_SUPPORT: "1 if no code applies",
               CODER_COLUMN: "your name or initials", NOTES_COLUMN: "doubts, comments"}
    codebook = {"format": "peerscope.coding-sheet", "version": 1, "sheet": out.name,
                "corpus": corpus.name,
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "scheme": {"name": name, "codes": list(codes), "none_code": NO_SUPPORT,
                           "definitions": definitions},
                "instructions": list(INSTRUCTIONS),
                "columns": {c: d for c, d in columns.items() if c in blind.columns},
                "design": design,
                "units": {"post_id": sheet["post_id"].tolist(), "stratum": sheet["stratum"].tolist(),
                          "sampling_weight": sheet["sampling_weight"].tolist()}}
    target_json = codebook_path(out)
    _write_atomic(out, blind.to_csv(index=False).encode("utf-8-sig"))
    _write_atomic(target_json, json.dumps(codebook, indent=2, ensure_ascii=False).encode("utf-8"))
    return [str(out), str(target_json)]


def codebook_path(sheet: str | os.PathLike) -> Path:
    """The codebook written beside a coding sheet: ``<stem>.codebook.json``.

    Parameters
    ----------
    sheet : path-like
        The coding sheet (CSV).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> codebook_path("sheets/march.csv").as_posix()
    'sheets/march.codebook.json'
    """
    sheet = Path(sheet)
    return sheet.with_name(f"{sheet.stem}.codebook.json")


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(staging, target)
    finally:
        if os.path.exists(staging):
            os.remove(staging)


def read_design(path: str | os.PathLike) -> pd.DataFrame:
    """The sampled posts with their stratum and sampling weight, from a codebook.

    Parameters
    ----------
    path : path-like
        The codebook (``.codebook.json``) or the sheet it was written beside.

    Returns
    -------
    DataFrame
        ``post_id, stratum, sampling_weight``; ``attrs["design"]`` and
        ``attrs["scheme"]`` hold the rest of the codebook.

    Raises
    ------
    peerscope.errors.SourceError
        When the codebook cannot be read or is not a peerscope codebook.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "thread_id": ["p1"] * 3,
    ...     "parent_id": [None, "p1", "p1"], "author_id": ["ann", "bob", "cat"],
    ...     "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
    ...     "text": ["Cannot sleep again", "So sorry, hugs", "Try your GP"]})
    >>> sheet = pathlib.Path(tempfile.mkdtemp()) / "sheet.csv"
    >>> _ = sample_for_coding(Corpus.from_frames(posts), 2, seed=0, out=sheet)
    >>> design = read_design(sheet)
    >>> len(design), design["sampling_weight"].tolist(), design.attrs["design"]["population"]
    (2, [1.5, 1.5], 3)
    """
    path = Path(path)
    target = path if path.name.endswith(".codebook.json") else codebook_path(path)
    try:
        codebook = json.loads(target.read_text(encoding="utf-8"))
        units = pd.DataFrame(codebook["units"]).astype({"post_id": "str", "stratum": "str",
                                                         "sampling_weight": "float64"})
        units.attrs["design"], units.attrs["scheme"] = codebook["design"], codebook["scheme"]
    except OSError as error:
        raise SourceError(f"cannot read the codebook: {error.strerror}", path=str(target)) from None
    except (ValueError, KeyError, TypeError) as error:
        raise SourceError(f"not a peerscope codebook ({error!r})", path=str(target)) from None
    return units


# -- reading codes -----------------------------------------------------------------------------

def read_codes(paths, scheme=None, *, label_column: str | None = None) -> pd.DataFrame:
    """Read one or several coders' filled coding sheets into one tidy frame.

    A sheet gives codes either as one column per code (cells ``1``/``x``/
    ``yes`` or ``0``/``no``/empty, plus a ``none`` column for "no code
    applies") or as a single label column (``label`` by default: one code
    per cell, or several joined by ``;`` or ``+``, or ``none``; matched
    without regard to case).  A row whose code cells are all empty is
    *uncoded*: it is left out and counted in ``attrs["uncoded"]``.

    Parameters
    ----------
    paths : path-like or iterable of path-like
        CSV files (UTF-8, optionally with a byte-order mark; comma separated).
    scheme : see :func:`scheme_codes`
        The scheme the sheets were coded with.
    label_column : str, optional
        Read codes from this single column (default: the code columns, else
        a ``label`` column).

    Returns
    -------
    DataFrame
        ``post_id``, ``coder`` (str) and one int8 0/1 column per code; a row
        of zeros is "none".  Ready for :func:`peerscope.support.agreement`.

    Raises
    ------
    SourceError
        Naming the file, the line and the column: a file that is missing,
        not UTF-8 or not CSV; a missing ``post_id``/``coder``/code column; a
        column that is neither a code of the scheme nor a sheet column; a
        cell that is not 0/1 or not a code; ``none`` together with a code;
        a coded row without ``post_id`` or ``coder``; a post coded twice by
        one coder (within or across files).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "ann.csv").write_text("post_id,coder,label\\np1,ann,emotional\\np2,ann,none\\n")
    >>> read_codes(folder / "ann.csv")[["post_id", "coder", "emotional", "esteem"]].to_dict("list")
    {'post_id': ['p1', 'p2'], 'coder': ['ann', 'ann'], 'emotional': [1, 0], 'esteem': [0, 0]}
    """
    _, codes, _ = scheme_codes(scheme)
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    frames, uncoded = [], {}
    for path in paths:
        frame, skipped = _read_sheet(Path(path), codes, label_column)
        frames.append(frame)
        uncoded[str(path)] = skipped
    if not frames:
        raise PeerscopeError("read_codes needs at least one file")
    codes_read = pd.concat(frames, ignore_index=True)
    repeated = codes_read.duplicated([ID_COLUMN, CODER_COLUMN], keep=False)
    if repeated.any():
        key = codes_read.loc[repeated, [ID_COLUMN, CODER_COLUMN]].iloc[0]
        same = (codes_read[ID_COLUMN] == key[ID_COLUMN]) & (codes_read[CODER_COLUMN] == key[CODER_COLUMN])
        first, second = codes_read.loc[same].iloc[:2].itertuples(index=False)
        raise SourceError(f"post {second.post_id!r} coded twice by coder {second.coder!r} "
                          f"(first at {first.file} line {first.line})",
                          path=second.file, line=int(second.line), column=ID_COLUMN)
    result = codes_read.drop(columns=["file", "line"]).reset_index(drop=True)
    result.attrs["uncoded"] = uncoded
    result.attrs["codes"] = list(codes)
    return result


def _read_sheet(path: Path, codes: tuple[str, ...], label_column: str | None) -> tuple[pd.DataFrame, int]:
    header, lines, rows = _parse_csv(path)
    where = {"path": str(path)}
    by_lower = {c.lower(): c for c in codes}
    named = {}
    for position, column in enumerate(header):
        canonical = by_lower.get(column.lower(), column.lower() if column.lower() in _RESERVED | {
            NO_SUPPORT} else None)
        if canonical is None and column != label_column:
            raise SourceError(f"column {column!r} is neither a code of the scheme {list(codes)} nor a "
                              f"column of a coding sheet", **where, line=1, column=column)
        if canonical in named:
            raise SourceError("column appears twice", **where, line=1, column=column)
        named[canonical if canonical is not None else column] = position
    for required in (ID_COLUMN, CODER_COLUMN):
        if required not in named:
            raise SourceError(f"missing column {required!r} (a sheet needs post_id, coder and codes)",
                              **where, line=1, column=required)
    table = pd.DataFrame(rows, columns=range(len(header)), dtype="str").fillna("") if rows else \
        pd.DataFrame(columns=range(len(header)), dtype="str")
    cell = {name: table[position].str.strip() for name, position in named.items()}
    line = pd.Series(lines, dtype="int64")
    present = [c for c in codes if c in named]
    label = label_column if label_column is not None else (LABEL_COLUMN if not present else None)
    if label is not None:
        if present:
            raise SourceError(f"codes given both as columns {present} and as a label column",
                              **where, line=1, column=label)
        if label not in named:
            raise SourceError(f"missing code columns {list(codes)} (or a {label!r} column)",
                              **where, line=1, column=label)
        matrix, coded = _from_labels(cell[label], codes, line, where, label)
    else:
        missing = [c for c in codes if c not in named]
        if missing:
            raise SourceError(f"missing code column(s) {missing}", **where, line=1, column=missing[0])
        matrix, coded = _from_columns(cell, codes, line, where)
    for required in (ID_COLUMN, CODER_COLUMN):
        blank = coded & (cell[required] == "")
        if blank.any():
            first = int(np.flatnonzero(blank.to_numpy())[0])
            raise SourceError(f"a coded row needs a {required}", **where, line=int(line[first]),
                              column=required)
    frame = pd.DataFrame({ID_COLUMN: cell[ID_COLUMN], CODER_COLUMN: cell[CODER_COLUMN]}).astype("str")
    for position, code in enumerate(codes):
        frame[code] = matrix[:, position]
    frame["file"], frame["line"] = str(path), line
    return frame.loc[coded.to_numpy()].reset_index(drop=True), int((~coded).sum())


def _parse_csv(path: Path) -> tuple[list[str], list[int], list[list[str]]]:
    """Header, the first line of every record, and the records (empty records left out)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read the file: {error.strerror}", path=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(f"not UTF-8 text (byte 0x{data[error.start]:02x}); save the sheet as "
                          "'CSV UTF-8'", path=str(path), line=data.count(b"\n", 0, error.start) + 1) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header, lines, rows, start = None, [], [], 1
    try:
        for record in reader:
            if header is None:
                header = [name.strip() for name in record]
            elif any(value.strip() for value in record):
                if len(record) > len(header):
                    raise SourceError(f"{len(record)} fields but the header has {len(header)}",
                                      path=str(path), line=start)
                rows.append(record + [""] * (len(header) - len(record)))
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as error:
        raise SourceError(f"malformed CSV: {error}", path=str(path), line=reader.line_num) from None
    if not header or not any(header):
        raise SourceError("empty file: no header row", path=str(path), line=1)
    return header, lines, rows


def _from_columns(cell: dict, codes, line: pd.Series, where: dict) -> tuple[np.ndarray, pd.Series]:
    """0/1 matrix from one column per code; a row is coded when any code cell is filled."""
    names = [*codes, NO_SUPPORT] if NO_SUPPORT in cell else list(codes)
    values = pd.DataFrame({name: cell[name].str.lower() for name in names})
    known = values.isin(_ONE | _ZERO)
    if not known.to_numpy().all():
        row, column = np.argwhere(~known.to_numpy())[0]
        raise SourceError(f"code value {values.iat[row, column]!r} is not 0/1 (1, x, yes or 0, no, empty)",
                          **where, line=int(line[row]), column=names[column])
    ones = values.isin(_ONE).to_numpy()
    coded = pd.Series((values != "").to_numpy().any(axis=1))
    if NO_SUPPORT in cell:
        clash = ones[:, -1] & ones[:, :-1].any(axis=1)
        if clash.any():
            raise SourceError(f"'{NO_SUPPORT}' marked together with a code", **where,
                              line=int(line[np.flatnonzero(clash)[0]]), column=NO_SUPPORT)
    return ones[:, :len(codes)].astype("int8"), coded


def _from_labels(labels: pd.Series, codes, line: pd.Series, where: dict, column: str):
    """0/1 matrix from one label cell per row (several codes joined by ``;`` or ``+``)."""
    by_lower = {c.lower(): i for i, c in enumerate(codes)}
    parts = labels.str.lower().str.split(_LABEL_SEPARATORS, regex=True).explode().str.strip()
    parts = parts[parts != ""]
    coded = pd.Series(labels != "")
    unknown = ~parts.isin(list(by_lower) + [NO_SUPPORT])
    if unknown.any():
        row = unknown.index[unknown.to_numpy()][0]
        raise SourceError(f"label {parts[unknown].iloc[0]!r} is not a code of the scheme "
                          f"{list(codes)} nor {NO_SUPPORT!r}", **where, line=int(line[row]), column=column)
    none_rows = set(parts.index[parts == NO_SUPPORT])
    with_codes = set(parts.index[parts != NO_SUPPORT])
    if none_rows & with_codes:
        row = min(none_rows & with_codes)
        raise SourceError(f"'{NO_SUPPORT}' given together with a code", **where, line=int(line[row]),
                          column=column)
    matrix = np.zeros((len(labels), len(codes)), dtype="int8")
    hits = parts[parts != NO_SUPPORT]
    matrix[hits.index.to_numpy(dtype=np.int64), hits.map(by_lower).to_numpy(dtype=np.int64)] = 1
    return matrix, coded

