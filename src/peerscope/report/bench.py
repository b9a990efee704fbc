"""Benchmark corpora: every public corpus found in a folder, side by side and beside published figures.

:func:`bench` looks in a data folder for the public corpora peerscope knows
(:data:`SOURCES`: Stack Exchange data dumps, the ALSForums and AgingCare
caregiver boards, Reddit mental-health comments, the numpy-discussion
mailing-list archive, ConvoKit corpora, and the labelled support sets ESConv,
MI-labelled CounselChat and CL-Aff OffMyChest), loads each one with its
loader, and writes

- one comparison of the communities with :func:`peerscope.report.compare.compare`
  (the files of ``peerscope compare``: participation, bands, reciprocity,
  responsiveness, engagement, with tests of the differences);
- ``published``: every published figure the project cites
  (:data:`PUBLISHED`, from ``docs/concepts.md``) with the value measured on
  each corpus beside it, or why it cannot be measured there;
- ``labelled_support``: the shares of emotional (nurturant) and
  informational support in the labelled support sets, from their own labels;
- ``corpora``: each known source, found or ``not found``, with its path,
  loader, rows and load time.

A source the folder lacks is listed as ``not found``; it is not an error.
Every corpus is read whole (no sample).  Topics are left out by default
(``topics=None``): each community would get its own topic model, and topics
are not matched across communities, so no published figure is compared with
them.  Support types of the communities' posts are left out by default too
(``support=None``): the support shares compared with the published ones come
from the labelled sets' own labels.

References
----------
van Mierlo, T. (2014). The 1% rule in four digital health social networks: an
observational study. *J Med Internet Res* 16(2):e33.
Nonnecke, B., Preece, J. (2000). Lurker demographics: counting the silent. *CHI 2000*, 73-80.
van Uden-Kraan, C. F., et al. (2008). Self-reported differences in empowerment between lurkers
and posters in online patient support groups. *J Med Internet Res* 10(2):e18.
Joglekar, S., et al. (2018). How online communities of people with long-term conditions function
and evolve. *J Med Internet Res* 20(7):e238.
Graham, T., Wright, S. (2014). Discursive equality and everyday talk online: the impact of
"superparticipants". *J Comput-Mediat Comm* 19(3):625-642.
van Mierlo, T., Hyatt, D., Ching, A. T. (2015). Mapping power law distributions in digital health
social networks. *J Med Internet Res* 17(6):e160.
Finn, J. (1999). An exploration of helping processes in an online self-help group focusing on
issues of disability. *Health & Social Work* 24(3):220-231.
Chuang, K. Y., Yang, C. C. (2012). Interaction patterns of nurturant support exchanged in online
health social networking. *J Med Internet Res* 14(3):e54.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from peerscope.errors import PeerscopeError
from peerscope.participation.inequality import top_share
from peerscope.report.render import TABLE_FORMATS, markdown_table

if TYPE_CHECKING:
    from peerscope.report.compare import Comparison

__all__ = ["PUBLISHED", "SOURCES", "Bench", "BenchError", "PublishedFigure", "Source", "beside_published",
           "bench", "default_data_dir"]


class BenchError(PeerscopeError):
    """The benchmark cannot run: no data folder, nothing found in it, or a corpus that does not load."""


# ---------------------------------------------------------------------------
# The sources peerscope knows
# ---------------------------------------------------------------------------

#: Column mapping of the ALSForums caregivers board (``als.csv``; docs/loaders/table.md).
ALS_MAPPING = {"thread_id": "post_id", "author_id": "user_name", "created_at": "date", "text": "body",
               "title": "title", "is_reply": "reply"}
#: Column mapping of the AgingCare caregiver forum (``ac.json``): the thread id is in the URL.
AGINGCARE_MAPPING = {"thread_id": "url", "author_id": "user_name", "created_at": "date", "text": "body",
                     "title": "title", "is_reply": "reply"}
#: CL-Aff OffMyChest files and the corrected (unprefixed) label columns used.
CLAFF_FILES = ("labeled_training_set.csv", "labeled_test_set.csv")
CLAFF_LABELS = ("Emo_support", "Info_support")


@dataclass(frozen=True)
class Source:
    """A kind of public corpus :func:`bench` looks for.

    Attributes
    ----------
    key : str
        Short name; the column name of a single-corpus source.
    label : str
        What the source is, for the ``corpora`` table.
    kind : str
        ``"community"`` (loaded as a :class:`~peerscope.Corpus`) or
        ``"labelled"`` (a labelled support set, loaded as a frame of units).
    where : str
        Where it is looked for under the data folder.
    loader : str
        The loader call, for the ``corpora`` table.
    find : callable
        ``find(data_dir) -> [(name, path), ...]``: the corpora of this kind present.
    load : callable
        ``load(path)``: a Corpus (community) or a frame with boolean
        ``emotional`` and ``informational`` columns, one row per unit (labelled).
    unit : str
        The unit of a labelled set's labels (empty for communities).
    """

    key: str
    label: str
    kind: str
    where: str
    loader: str
    find: Callable
    load: Callable
    unit: str = ""


def _file(relative: str, key: str) -> Callable:
    def find(data_dir: Path):
        path = data_dir / relative
        return [(key, path)] if path.exists() else []
    return find


def _folders_with(*names: str, prefix: str = "") -> Callable:
    """Finder of every folder directly under the data folder holding all of ``names``."""
    def find(data_dir: Path):
        found = []
        for folder in sorted(p for p in data_dir.iterdir() if p.is_dir()):
            if all((folder / n).is_file() for n in names):
                name = folder.name[len(prefix):] if prefix and folder.name.startswith(prefix) else folder.name
                found.append((name, folder))
        return found
    return find


def _stackexchange(path: Path):
    from peerscope.loaders import stackexchange

    return stackexchange(path, progress=False)


def _als(path: Path):
    from peerscope.loaders import table

    return table(path, ALS_MAPPING, replies="flat", assume_tz="UTC", name="alsforums-caregivers")


def _agingcare(path: Path):
    from peerscope.loaders import table

    return table(path, AGINGCARE_MAPPING, replies="flat", extract={"thread_id": r"-(\d+)\.htm"},
                 assume_tz="UTC", repair=True, name="agingcare-caregivers")


def _reddit(path: Path):
    from peerscope.loaders import reddit

    return reddit(path, name="reddit-mh-comments")


def _mbox(path: Path):
    from peerscope.loaders import mbox

    return mbox(path)


def _convokit(path: Path):
    from peerscope.loaders import convokit

    return convokit(path)


def _units(emotional, informational) -> pd.DataFrame:
    return pd.DataFrame({"emotional": np.asarray(emotional, dtype=bool),
                         "informational": np.asarray(informational, dtype=bool)})


def _esconv(path: Path) -> pd.DataFrame:
    from peerscope.loaders import esconv
    from peerscope.support.schemes import ESCONV_TO_SSBC

    turns = esconv(path)
    strategies = turns.loc[(turns["role"] == "supporter") & turns["strategy"].notna(), "strategy"]
    coarse = ESCONV_TO_SSBC.coarse(strategies)
    return _units(coarse == "emotional", coarse == "informational")


def _counselchat(path: Path) -> pd.DataFrame:
    from peerscope.loaders import counselchat_mi
    from peerscope.support.schemes import MI_TO_SSBC

    sentences = counselchat_mi(path)
    labels = sentences.loc[sentences["role"] == "supporter", "mi_union"]
    coarse = MI_TO_SSBC.coarse(labels)  # unlabelled sentences stay null: no support behaviour
    return _units(coarse == "emotional", coarse == "informational")


def _claff(folder: Path) -> pd.DataFrame:
    """CL-Aff OffMyChest sentences (train and test), with their corrected 0/1 support labels."""
    frames = []
    for name in CLAFF_FILES:
        path = folder / name
        if not path.is_file():
            continue
        try:
            frame = pd.read_csv(path, usecols=list(CLAFF_LABELS))
        except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
            raise BenchError(f"file {path}: cannot read the columns {list(CLAFF_LABELS)}: {error}") from None
        for column in CLAFF_LABELS:
            bad = ~frame[column].isin([0, 1])
            if bad.any():
                raise BenchError(f"file {path}, column {column!r}: {int(bad.sum())} value(s) are not 0 or 1 "
                                 f"(first at data row {int(np.flatnonzero(bad.to_numpy())[0]) + 1})")
        frames.append(frame)
    both = pd.concat(frames, ignore_index=True)
    return _units(both["Emo_support"] == 1, both["Info_support"] == 1)


def _claff_find(data_dir: Path):
    folder = data_dir / "claff-offmychest"
    return [("claff-offmychest", folder)] if any((folder / n).is_file() for n in CLAFF_FILES) else []


#: Every source :func:`bench` looks for, in column order.
SOURCES = (
    Source("stackexchange", "Stack Exchange data dumps", "community",
           "any folder holding Posts.xml and Users.xml", "loaders.stackexchange(folder)",
           _folders_with("Posts.xml", "Users.xml", prefix="stackexchange-"), _stackexchange),
    Source("alsforums-caregivers", "ALSForums caregivers board", "community",
           "forum-alsforums-caregivers/als.csv", "loaders.table(path, ALS_MAPPING, replies='flat', "
           "assume_tz='UTC')", _file("forum-alsforums-caregivers/als.csv", "alsforums-caregivers"), _als),
    Source("agingcare-caregivers", "AgingCare caregiver forum", "community",
           "forum-agingcare-caregivers/ac.json", "loaders.table(path, AGINGCARE_MAPPING, replies='flat', "
           "extract={'thread_id': r'-(\\d+)\\.htm'}, assume_tz='UTC', repair=True)",
           _file("forum-agingcare-caregivers/ac.json", "agingcare-caregivers"), _agingcare),
    Source("reddit-mh-comments", "Reddit mental-health comments", "community",
           "reddit-mh-comments/reddit_post_comments.csv", "loaders.reddit(path)",
           _file("reddit-mh-comments/reddit_post_comments.csv", "reddit-mh-comments"), _reddit),
    Source("numpy-discussion", "numpy-discussion mailing list, Nov 2001", "community",
           "mbox-numpy-discussion-2001/numpy-discussion-2001-November.txt", "loaders.mbox(path)",
           _file("mbox-numpy-discussion-2001/numpy-discussion-2001-November.txt", "numpy-discussion"), _mbox),
    Source("convokit", "ConvoKit corpora", "community", "any folder holding utterances.jsonl",
           "loaders.convokit(folder)", _folders_with("utterances.jsonl"), _convokit),
    Source("esconv", "ESConv emotional-support dialogues", "labelled", "esconv/ (train, valid, test .txt)",
           "loaders.esconv(folder)", _file("esconv", "esconv"), _esconv,
           unit="supporter turn (human strategy label, mapped to SSBC)"),
    Source("counselchat-mi", "CounselChat with MI labels", "labelled",
           "counselchat-mi/MI_Augmented_CounselChat.csv", "loaders.counselchat_mi(path)",
           _file("counselchat-mi/MI_Augmented_CounselChat.csv", "counselchat-mi"), _counselchat,
           unit="listener sentence (automatic MI label, Union column, mapped to SSBC)"),
    Source("claff-offmychest", "CL-Aff OffMyChest", "labelled",
           "claff-offmychest/labeled_training_set.csv, labeled_test_set.csv",
           "pandas.read_csv (Emo_support, Info_support)", _claff_find, _claff,
           unit="comment sentence (human Emo_support / Info_support labels)"),
)


def default_data_dir() -> Path:
    """``$PEERSCOPE_SHARED_DATA``, else ``../shared/data`` from the working folder.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"PEERSCOPE_SHARED_DATA": "/data"}):
    ...     str(default_data_dir())
    '/data'
    """
    configured = os.environ.get("PEERSCOPE_SHARED_DATA")
    return Path(configured) if configured else Path("..") / "shared" / "data"


# ---------------------------------------------------------------------------
# Published figures
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PublishedFigure:
    """A figure from the literature (``docs/concepts.md``) and how peerscope measures the same thing.

    Attributes
    ----------
    key : str
        Row key of the ``published`` table.
    label : str
        What the figure is.
    value : float or tuple of float
        The published value (a share as a fraction), or a (low, high) range.
    source : str
        Where it was published.
    measured_as : str
        The peerscope measure set beside it.
    """

    key: str
    label: str
    value: float | tuple
    source: str
    measured_as: str


#: The published figures the project cites, as data with their sources (docs/concepts.md).
PUBLISHED = (
    PublishedFigure("band_top_1", "Share of posts by the top 1% of members", 0.747, "van Mierlo 2014",
                    "bands: superusers (share of posts, members ranked by posts, lurkers included)"),
    PublishedFigure("band_next_9", "Share of posts by the next 9% of members", 0.240, "van Mierlo 2014",
                    "bands: contributors"),
    PublishedFigure("band_bottom_90", "Share of posts by the bottom 90% of members", 0.013, "van Mierlo 2014",
                    "bands: lurkers"),
    PublishedFigure("lurker_share_health_lists", "Lurker share of members, health mailing lists", 0.46,
                    "Nonnecke & Preece 2000", "participation: lurker_share"),
    PublishedFigure("lurker_share_software_lists", "Lurker share of members, software mailing lists", 0.82,
                    "Nonnecke & Preece 2000", "participation: lurker_share"),
    PublishedFigure("lurker_share_survey", "Lurker share of surveyed members of patient support groups", 0.21,
                    "van Uden-Kraan et al. 2008", "participation: lurker_share (from logs, not a survey)"),
    PublishedFigure("top_1_share_asthma_uk", "Share of posts by the top 1% of users, Asthma UK", 0.32,
                    "Joglekar et al. 2018", "participation: top_0.01_share (top 1% of posters)"),
    PublishedFigure("top_1_share_blf", "Share of posts by the top 1% of users, British Lung Foundation", 0.49,
                    "Joglekar et al. 2018", "participation: top_0.01_share (top 1% of posters)"),
    PublishedFigure("top_0.4_share", "Share of posts by the top 0.4% of users", 0.47, "Graham & Wright 2014",
                    "inequality.top_share(posts per poster, 0.004)"),
    PublishedFigure("zipf_r_squared", "Zipf rank-frequency fit, R squared", (0.95, 0.975),
                    "van Mierlo et al. 2015", "fits: zipf_r_squared (posts per poster)"),
    PublishedFigure("forms_month_0", "Mean forms of support in use, month 0", 2.5, "Side by Side evaluation",
                    "forms_over_tenure: mean_forms at month 0"),
    PublishedFigure("forms_month_5", "Mean forms of support in use, month 5", 2.0, "Side by Side evaluation",
                    "forms_over_tenure: mean_forms at month 5"),
    PublishedFigure("forms_month_11", "Mean forms of support in use, month 11", 1.5, "Side by Side evaluation",
                    "forms_over_tenure: mean_forms at month 11"),
    PublishedFigure("forms_all_three", "Share using exactly group, online and one to one", 6 / 18,
                    "Interview study (18 people)", "form_combinations: share of the exclusive set"),
    PublishedFigure("forms_group_online", "Share using exactly group and online", 3 / 18,
                    "Interview study (18 people)", "form_combinations: share of the exclusive set"),
    PublishedFigure("forms_group_one_to_one", "Share using exactly group and one to one", 7 / 18,
                    "Interview study (18 people)", "form_combinations: share of the exclusive set"),
    PublishedFigure("forms_online_one_to_one", "Share using exactly online and one to one", 2 / 18,
                    "Interview study (18 people)", "form_combinations: share of the exclusive set"),
    PublishedFigure("socio_emotional_share", "Share of messages giving socio-emotional support", 0.553,
                    "Finn 1999", "share of units labelled emotional (nurturant: emotional, esteem, network)"),
    PublishedFigure("nurturant_share", "Share of comments giving nurturant support", 0.670,
                    "Chuang & Yang 2012", "share of units labelled emotional (nurturant: emotional, esteem, "
                    "network)"),
)

_BANDS = {"band_top_1": "superusers", "band_next_9": "contributors", "band_bottom_90": "lurkers"}
_COMBINATIONS = {"forms_all_three": {"group", "online", "one_to_one"}, "forms_group_online": {"group", "online"},
                 "forms_group_one_to_one": {"group", "one_to_one"},
                 "forms_online_one_to_one": {"online", "one_to_one"}}
_SUPPORT = ("socio_emotional_share", "nurturant_share")
_NOT_A_COMMUNITY = "not applicable: a labelled support set, not a community"


def _why(report, capability: str) -> str:
    description = report.results["description"]
    reason = next((c.reason for c in description.capabilities if c.measure == capability), "not measured")
    return f"not measurable: {reason}"


def _not_computed(report, prefix: str) -> str:
    note = next((n for n in report.not_computed if n.startswith(prefix)), f"{prefix} not computed")
    return f"not measured: {note}"


def _value(frame: pd.DataFrame, row: str, column: str):
    """A published cell; an empty one says so instead of standing in as a number."""
    value = frame.at[row, column]
    if value is None or (isinstance(value, float) and np.isnan(value)):
        detail = frame.at[row, "detail"] if "detail" in frame.columns else ""
        return f"not measurable: {detail}" if isinstance(detail, str) and detail else "not measurable"
    return value


def _measure(figure: PublishedFigure, report, column):
    """The value of one community beside ``figure``: a number, or why there is none."""
    key = figure.key
    if key in _BANDS:
        return column["bands"][_BANDS[key]]
    if key.startswith("lurker_share"):
        return column["participation"]["lurker_share"]
    if key.startswith("top_1_share"):
        return column["participation"]["top_0.01_share"]
    if key == "top_0.4_share":
        posts = report.results["activity"]["posts"].to_numpy(dtype=np.int64)
        share = top_share(posts[posts > 0], 0.004)
        return share if share is not None else "not measurable: no posts by members"
    if key == "zipf_r_squared":
        return _value(report.tables["fits"], "zipf_r_squared", "value")
    if key.startswith("forms_month_"):
        table = report.tables.get("forms_over_tenure")
        if table is None:
            return _why(report, "pluralistic use")
        row = f"month_{key.rsplit('_', 1)[1]}"
        return _value(table, row, "mean_forms") if row in table.index else "not measurable: no member that long"
    if key in _COMBINATIONS:
        table = report.tables.get("form_combinations")
        if table is None:
            return _why(report, "pluralistic use")
        rows = [r for r in table.index if r != "total" and set(str(table.at[r, "label"]).split("+"))
                == _COMBINATIONS[key]]
        return table.at[rows[0], "share"] if rows else 0.0
    table = report.tables.get("support_types")  # the two support figures
    if table is None:
        return _not_computed(report, "support types:")
    shares = table[(table["group"] == "all") & (table["support_type"] == "emotional")]["share"]
    return shares.iloc[0] if len(shares) else 0.0


def beside_published(comparison: Comparison | None, labelled: dict | None = None) -> pd.DataFrame:
    """Every figure of :data:`PUBLISHED` with the value measured on each community and labelled set.

    Parameters
    ----------
    comparison : Comparison or None
        The communities side by side (:func:`peerscope.report.compare.compare`);
        the community values are its published cells (small cells
        suppressed as there) or, for rows it does not have, its reports'.
    labelled : dict of str -> DataFrame, optional
        Labelled support sets: name -> one row per unit with boolean
        ``emotional`` and ``informational`` columns.

    Returns
    -------
    DataFrame
        Indexed by figure key: ``label``, ``source``, ``published`` (a
        number, or ``low to high`` for a range), one column per community
        and labelled set (a number, or ``not measurable: <reason>``), and
        ``measured_as``.

    Examples
    --------
    >>> from peerscope.datasets import synth
    >>> from peerscope.report.compare import compare
    >>> corpus, _ = synth.generate(2000, seed=1, with_text=False)
    >>> both = compare([corpus], names=["synthetic"], topics=None, support=None, replicates=50,
    ...                figures=False)
    >>> frame = beside_published(both)
    >>> frame.loc["band_top_1", ["source", "published"]].tolist()
    ['van Mierlo 2014', 0.747]
    >>> frame.loc["lurker_share_health_lists", ["published", "synthetic"]].tolist()
    [0.46, 0.6]
    >>> frame.loc["band_top_1", "synthetic"]  # 3 people: suppressed, as in the report
    'suppressed'
    >>> frame.loc["nurturant_share", "synthetic"]
    'not measured: support types: not computed (not asked for (support=None))'
    """
    labelled = labelled or {}
    columns = {}
    if comparison is not None:
        for name, report in zip(comparison.names, comparison.reports):
            cells = {key: comparison.tables[key][name].to_dict() for key in ("participation", "bands")}
            columns[name] = [_measure(f, report, cells) for f in PUBLISHED]
    for name, units in labelled.items():
        share = float(units["emotional"].mean()) if len(units) else "not measurable: no units"
        columns[name] = [share if f.key in _SUPPORT else _NOT_A_COMMUNITY for f in PUBLISHED]
    index = pd.Index([f.key for f in PUBLISHED], name="figure")
    frame = pd.DataFrame({
        "label": [f.label for f in PUBLISHED], "source": [f.source for f in PUBLISHED],
        "published": pd.Series([f"{f.value[0]:g} to {f.value[1]:g}" if isinstance(f.value, tuple) else f.value
                                for f in PUBLISHED], index=index, dtype=object)}, index=index)
    for name, values in columns.items():
        frame[name] = pd.Series(values, index=index, dtype=object)
    frame["measured_as"] = [f.measured_as for f in PUBLISHED]
    return frame


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

@dataclass(eq=False)
class Bench:
    """The result of :func:`bench`.

    Attributes
    ----------
    data_dir : pathlib.Path
    corpora : DataFrame
        One row per corpus found, or per source not found: ``source``,
        ``kind``, ``status`` (``found`` or ``not found``), ``looked_for``,
        ``path``, ``loader``, ``rows`` (posts kept, or labelled units) and
        ``load_seconds``.
    comparison : Comparison
        The communities side by side.
    published : DataFrame
        :func:`beside_published` of the communities and labelled sets.
    labelled_support : DataFrame
        Per labelled set: ``unit``, ``units``, ``emotional_share``,
        ``informational_share``.
    seconds : float
        Wall time of the whole run (loading, reports, comparison).
    notes : list of str
        What was sampled or skipped, and what was not found.
    """

    data_dir: Path
    corpora: pd.DataFrame
    comparison: Comparison
    published: pd.DataFrame
    labelled_support: pd.DataFrame
    seconds: float
    notes: list

    def summary_line(self, where: str | None = None) -> str:
        """One line: where the output is, what was found and how long it took."""
        found = self.corpora[self.corpora["status"] == "found"]
        missing = self.corpora[self.corpora["status"] == "not found"]
        prefix = f"bench written to {where}" if where else "bench"
        return (f"{prefix}: {len(found)} corpora found ({', '.join(found.index)}), "
                f"{len(missing)} not found ({', '.join(missing['source']) or 'none'}), "
                f"{self.seconds:.1f} s")

    def write(self, out, formats=TABLE_FORMATS, figure_formats=("png",)) -> Path:
        """Write the comparison and the bench tables to folder ``out``; returns ``out/bench.md``.

        The folder holds the files of ``peerscope compare`` (``report.html``,
        ``tables/NAME.{csv,md,tex}``, ...) with three more tables:
        ``corpora``, ``published`` and ``labelled_support``; ``bench.md``
        shows the three with the notes.

        Parameters
        ----------
        out : path-like
        formats : sequence of str
            Table formats: any of ``md``, ``csv``, ``tex``.
        figure_formats : sequence of str
            Figure formats: any of ``png``, ``svg`` (empty: none).

        Returns
        -------
        pathlib.Path
        """
        extra = self._tables()
        combined = dataclasses.replace(
            self.comparison, tables={**self.comparison.tables, **{k: v[0] for k, v in extra.items()}},
            titles={**self.comparison.titles, **{k: v[1] for k, v in extra.items()}},
            notes={**self.comparison.notes, **{k: v[2] for k, v in extra.items()}})
        combined.write(out, formats=formats, figure_formats=figure_formats)
        lines = ["# peerscope bench", "", self.summary_line(), ""]
        lines += [f"- {note}" for note in self.notes] + [""]
        lines += [markdown_table(frame, title, notes) + "\n" for frame, title, notes in extra.values()]
        lines.append("The communities side by side, with tests of their differences: report.html, report.md.")
        target = Path(out) / "bench.md"
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return target

    def _tables(self) -> dict:
        sources = ", ".join(dict.fromkeys(f.source for f in PUBLISHED))
        return {
            "corpora": (self.corpora, "Benchmark corpora found in " + str(self.data_dir),
                        ["rows: posts kept (communities) or labelled units (labelled sets)."]),
            "published": (self.published, "Published figures beside the values measured on each corpus",
                          [f"Sources: {sources} (docs/concepts.md). Units differ: the labelled sets are "
                           "turns or sentences, the published support shares messages or comments.",
                           *self.notes]),
            "labelled_support": (self.labelled_support, "Support shares in the labelled support sets",
                                 ["emotional: nurturant (SSBC emotional, esteem or network); a unit can "
                                  "carry both labels in CL-Aff."]),
        }


def bench(data_dir=None, out=None, *, replicates: int = 1000, random_state: int | None = 0,
          topics=None, support=None, figures: bool = True, formats=TABLE_FORMATS,
          figure_formats=("png",)) -> Bench:
    """Run the analysis on every known public corpus under ``data_dir`` and set it beside published figures.

    Parameters
    ----------
    data_dir : path-like, optional
        The data folder (default :func:`default_data_dir`).
    out : path-like, optional
        Write the result there (:meth:`Bench.write`).
    replicates, random_state
        Bootstrap of the Gini intervals and of the differences.
    topics, support
        Passed to :func:`peerscope.report.build.build` for every community
        (default None: left out, see the module docstring).
    figures : bool
        Draw the comparison's figures (needs matplotlib).
    formats, figure_formats
        As for :meth:`Bench.write`.

    Returns
    -------
    Bench

    Raises
    ------
    BenchError
        When ``data_dir`` is not a folder, holds no community corpus, or a
        corpus found there does not load (the message names its file).

    Examples
    --------
    >>> bench("/no/such/folder")
    Traceback (most recent call last):
    ...
    peerscope.report.bench.BenchError: data folder /no/such/folder does not exist or is not a folder
    """
    from peerscope.report.compare import compare

    started = time.perf_counter()
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    if not data_dir.is_dir():
        raise BenchError(f"data folder {data_dir} does not exist or is not a folder")
    rows, communities, labelled, units = [], {}, {}, {}
    for source in SOURCES:
        found = source.find(data_dir)
        if not found:
            rows.append((source.key, source.label, source.kind, "not found", source.where, None, source.loader,
                         None, None))
        for name, path in found:
            begun = time.perf_counter()
            try:
                loaded = source.load(path)
            except PeerscopeError as error:
                raise BenchError(f"{source.label} at {path}: {error}") from error
            if name in communities or name in labelled:
                name = f"{source.key}: {name}"
            if source.kind == "community":
                communities[name] = loaded
            else:
                labelled[name], units[name] = loaded, source.unit
            size = len(loaded) if source.kind == "labelled" else \
                loaded.manifest["accounting"]["posts"]["rows_kept"]
            rows.append((name, source.label, source.kind, "found", source.where, str(path), source.loader, size,
                         round(time.perf_counter() - begun, 2)))
    if not communities:
        raise BenchError(f"no community corpus found under {data_dir}; looked for: "
                         + "; ".join(f"{s.label} ({s.where})" for s in SOURCES if s.kind == "community"))
    corpora = pd.DataFrame(rows, columns=["name", "source", "kind", "status", "looked_for", "path", "loader",
                                          "rows", "load_seconds"], dtype=object).set_index("name")
    comparison = compare(list(communities.values()), names=list(communities), figures=figures,
                         replicates=replicates, random_state=random_state, topics=topics, support=support)
    support_frame = pd.DataFrame({
        "unit": [units[n] for n in labelled],
        "units": [len(f) for f in labelled.values()],
        "emotional_share": [float(f["emotional"].mean()) if len(f) else None for f in labelled.values()],
        "informational_share": [float(f["informational"].mean()) if len(f) else None for f in labelled.values()],
    }, index=pd.Index(list(labelled), name="set"), dtype=object)
    notes = ["Every corpus read whole (no sample)."]
    notes.append("Topics: " + ("left out (topics=None): each community would get its own topic model and no "
                               "published figure is compared with topics." if topics is None
                               else f"topics={topics!r} (see report.html)."))
    notes.append("Support types of community posts: " + (
        "left out (support=None); the support figures are compared with the labelled sets' own labels."
        if support is None else f"support={support!r}: the shipped classifier's shares, not labels."))
    missing = corpora[corpora["status"] == "not found"]
    if len(missing):
        notes.append("Not found: " + "; ".join(f"{s} ({w})" for s, w in zip(missing["source"], missing["looked_for"])))
    result = Bench(data_dir=data_dir, corpora=corpora, comparison=comparison,
                   published=beside_published(comparison, labelled), labelled_support=support_frame,
                   seconds=0.0, notes=notes)
    result.seconds = time.perf_counter() - started
    if out is not None:
        result.write(out, formats=formats, figure_formats=figure_formats if figures else ())
        result.seconds = time.perf_counter() - started
    return result
