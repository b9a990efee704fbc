"""Writing a report: CSV, Markdown and LaTeX tables, PNG/SVG figures, report.md and report.html.

Layout of the output folder::

    report.html          one self-contained file: tables, figures (embedded), methods
    report.md            the same in Markdown, figures linked from figures/
    methods.md           the methods paragraph and references
    parameters.json      every parameter of the run
    suppression.csv      every suppressed cell: table, row, column, rule, because
    tables/index.csv     name, title and notes of each table
    tables/<name>.csv    full precision; suppressed cells as "<K" / "suppressed"
    tables/<name>.md     pipe table with caption and notes
    tables/<name>.tex    booktabs table (\\toprule, \\midrule, \\bottomrule)
    figures/<name>.png   300 dpi, 3.5 in wide (and/or .svg)

Markdown and LaTeX show numbers rounded for reading (3 decimals, thousands
separators); the CSV files keep full precision for reuse.  Every file is
written to a temporary name in its folder and renamed, so a crash never
leaves a half-written table behind.

Names and ids come from the data (corpus, channel and newsletter names,
member ids with ``include_ids``) and may be hostile, so every output escapes
them:

- **CSV** (safe to open in a spreadsheet): a text cell, column name or row
  key that begins with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return
  or a line feed (or their full-width forms ``＝＋－＠``) is written with a
  single quote ``'`` in front, so that a spreadsheet shows it as text
  instead of running it as a formula (OWASP, "CSV Injection").  Numbers are
  never changed: a number cell (``-0.5``) stays a number, and a text cell
  that is a plain number (``-12``, ``+1.5e3``) is left as it is, since a
  spreadsheet reads it as that number.  See :func:`spreadsheet_safe`.
- **Markdown** (tables, captions, notes, the title and headings of
  ``report.md``): characters with Markdown meaning are backslash-escaped,
  ``<`` before a letter, ``/``, ``!`` or ``?`` and ``&`` before an entity are
  written as entities, and line breaks become spaces, so that a name can
  neither add HTML, a link or an image nor break a table.  See
  :func:`markdown_escape`.
- **HTML** is escaped with :func:`html.escape`, **LaTeX** with
  :func:`tex_escape`.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import re
import tempfile
from pathlib import Path

import pandas as pd

from peerscope.errors import PeerscopeError

__all__ = ["FIGURE_FORMATS", "SECTIONS", "TABLE_FORMATS", "RenderError", "html_table",
           "latex_table", "markdown_escape", "markdown_table", "spreadsheet_safe", "write"]

TABLE_FORMATS = ("md", "csv", "tex")
FIGURE_FORMATS = ("png", "svg")
#: Text columns that LaTeX sets as wrapped paragraphs.
_WRAPPED = {"detail": "4.5cm", "reason": "6cm", "terms": "5cm", "posts_in": "3cm", "quote": "6cm", "label": "5.5cm",
            "reference": "3.2cm"}

#: Sections of a report, in order: title -> (tables, figures) that belong to it.
SECTIONS = {
    "Corpus": (["overview", "measurability"], []),
    "Participation": (["participation", "bands", "fits", "super_user_ids"],
                      ["lorenz", "rank_frequency", "bands"]),
    "Engagement": (["engagement", "ladder_levels"], ["time_of_day", "survival", "ladder_monthly"]),
    "Reciprocity and responsiveness": (["reciprocity", "responsiveness"], ["give_receive"]),
    "Groups": (["participation_by_group", "participation_by_group_tests", "tenure_by_group",
                "tenure_by_group_tests", "reciprocity_by_group", "reciprocity_by_group_tests"], []),
    "Forms of support and pathways": (["forms_over_tenure", "form_combinations", "use_patterns",
                                       "first_forms", "pathways", "active_passive"],
                                      ["forms_over_tenure"]),
    "Newsletters": (["newsletters"], []),
    "Topics": (["topics", "topic_sweep", "topic_odds", "topic_quotes"], ["topic_odds"]),
    "Support types": (["support_types"], ["support_by_month", "support_shares"]),
    "Newsletter text": (["newsletter_topics", "newsletter_topic_odds", "newsletter_topic_echo",
                         "newsletter_support_by_form", "newsletter_support_by_writer"],
                        ["newsletter_topics_by_month"]),
}


class RenderError(PeerscopeError):
    """A report cannot be written (unknown format, unwritable folder).

    Examples
    --------
    >>> try:
    ...     write(None, "report", formats=["md", "docx"])
    ... except RenderError as error:
    ...     print(error)
    unknown table format(s) ['docx']; use any of ['md', 'csv', 'tex']
    """


def _check(formats, known, what) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in formats if f.strip())
    unknown = sorted(set(formats) - set(known))
    if unknown:
        raise RenderError(f"unknown {what} format(s) {unknown}; use any of {list(known)}")
    return formats


def _atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _text(path: Path, text: str) -> None:
    _atomic(path, text.encode("utf-8"))


# ---------------------------------------------------------------------------
# CSV: safe to open in a spreadsheet
# ---------------------------------------------------------------------------

#: How a cell that a spreadsheet would run as a formula begins (OWASP "CSV Injection"),
#: with the full-width forms some spreadsheets read the same way.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: A plain number written as text (``-12``, ``+1.5e3``, ``-1,200``): a spreadsheet reads it as that number.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_safe(value):
    """A CSV cell that a spreadsheet shows as text instead of running it as a formula.

    Text that begins with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return
    or a line feed (or ``＝＋－＠``) gets a single quote ``'`` in front, unless
    it is a plain number.  Anything that is not text (numbers, including
    negative ones, booleans, times, missing values) is returned unchanged.

    Parameters
    ----------
    value : object

    Returns
    -------
    object

    Examples
    --------
    >>> for cell in ('=HYPERLINK("http://x","y")', "@SUM(A1)", "-0.5", "ann", "<5"):
    ...     print(spreadsheet_safe(cell))
    '=HYPERLINK("http://x","y")
    '@SUM(A1)
    -0.5
    ann
    <5
    >>> spreadsheet_safe(-0.5)
    -0.5
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _safe_labels(index: pd.Index) -> pd.Index:
    """Row keys or column names with :func:`spreadsheet_safe` applied (unchanged when nothing is)."""
    if isinstance(index, pd.MultiIndex):
        keys = list(index)
        tuples = [tuple(spreadsheet_safe(v) for v in key) for key in keys]
        names = [spreadsheet_safe(n) for n in index.names]
        if tuples == keys and names == list(index.names):
            return index
        return pd.MultiIndex.from_tuples(tuples, names=names)
    name = spreadsheet_safe(index.name)
    if index.dtype != object and not pd.api.types.is_string_dtype(index.dtype):
        return index.rename(name)  # numbers or times: no text key to change
    keys = list(index)
    values = [spreadsheet_safe(v) for v in keys]
    if name is index.name and all(a is b for a, b in zip(values, keys)):
        return index
    return pd.Index(values, dtype=object, name=name)


def _csv(frame: pd.DataFrame, index: bool = True) -> str:
    """``frame.to_csv()`` with every text cell, column name and row key spreadsheet-safe; numbers as they are."""
    safe = frame.copy(deep=False)
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
            continue
        original = list(column)
        cells = [spreadsheet_safe(v) for v in original]
        if any(a is not b for a, b in zip(cells, original)):
            safe.isetitem(position, pd.Series(cells, index=column.index, dtype=object))
    safe.columns = _safe_labels(safe.columns)
    if index:
        safe.index = _safe_labels(safe.index)
    return safe.to_csv(index=index)


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------

def format_cell(value) -> str:
    """A cell as text for reading: thousands separators, 3 decimals, dates, '' for missing.

    Parameters
    ----------
    value : object
        A number, text, boolean, time or missing value.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> [format_cell(v) for v in (12345, 0.123456, True, None, pd.Timestamp("2024-01-05"))]
    ['12,345', '0.123', 'yes', '', '2024-01-05']
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return f"{int(value):,}"
    if isinstance(value, float) or hasattr(value, "dtype"):
        number = float(value)
        if math.isnan(number):
            return ""
        if number != 0 and abs(number) < 0.001:
            return f"{number:.2g}"
        if abs(number) >= 1000:
            return f"{number:,.0f}"
        if abs(number) >= 100:
            return f"{number:.1f}"
        return f"{number:.3f}"
    return str(value)


def _display(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as it is shown: row keys replaced by labels when a label column exists."""
    if "label" in frame.columns:
        return frame.reset_index(drop=True)
    return frame.reset_index()


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------

#: Line breaks and other control characters: a space in a Markdown cell or heading.
_MD_BREAKS = re.compile(r"\r\n|[\x00-\x1f\x7f\x85\u2028\u2029]")
#: What has Markdown meaning inline.  A backslash for what CommonMark and
#: Python-Markdown both take escaped; entities for ``<`` that could open a tag,
#: an autolink or a comment, and for ``&`` that could start an entity; ``_``
#: only where it could open or close emphasis (not inside a word, so that
#: ``share_of_posts`` stays readable); ``(`` only after ``]`` (no link).
_MD_SPECIAL = re.compile(r"""[\\`*\[\]{}|#~]|<(?=[A-Za-z/!?])|&(?=#?\w+;)|\((?<=\]\()"""
                         r"|(?<![^\W_])_|_(?![^\W_])")
_MD_REPLACE = {"<": "&lt;", "&": "&amp;"}


def markdown_escape(text) -> str:
    """Text made inert in Markdown: shown as it is, never markup (a table cell, caption or heading).

    Characters with Markdown meaning (``\\ ` * _ [ ] { } | # ~``) get a
    backslash, ``<`` before a letter, ``/``, ``!`` or ``?`` becomes ``&lt;``
    (no HTML tag, comment or autolink), ``&`` before an entity becomes
    ``&amp;``, ``(`` right after ``]`` gets a backslash (no link), and line
    breaks and other control characters become spaces (a cell cannot break
    its table).  For text inside a line (after ``| ``, ``# Report: ``, ``*``):
    it does not escape what only has meaning at the start of a line.

    Parameters
    ----------
    text : object
        Converted with :class:`str`.

    Returns
    -------
    str

    Examples
    --------
    >>> print(markdown_escape("<script>alert(1)</script> [x](javascript:alert(1)) a|b\\nc"))
    &lt;script>alert(1)&lt;/script> \\[x\\]\\(javascript:alert(1)) a\\|b c
    >>> print(markdown_escape("share_of_posts <5 *bold* _it_ R&D &amp;"))
    share_of_posts <5 \\*bold\\* \\_it\\_ R&D &amp;amp;
    """
    text = _MD_BREAKS.sub(" ", str(text))
    return _MD_SPECIAL.sub(lambda m: _MD_REPLACE.get(m.group(), "\\" + m.group()), text)


_md_escape = markdown_escape


def markdown_table(frame: pd.DataFrame, title: str, notes) -> str:
    """A pipe table with its caption above and its notes below.

    Parameters
    ----------
    frame : DataFrame
        The table; its index is shown as the first column unless it has a
        ``label`` column.
    title : str
        Caption.
    notes : list of str
        Printed in italics below the table.

    Returns
    -------
    str
        Markdown, numbers right-aligned and rounded (:func:`format_cell`).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"label": ["Members", "Lurker share"], "value": [1200, 0.25]},
    ...                      index=pd.Index(["members", "lurker_share"], name="measure"))
    >>> print(markdown_table(frame, "Participation", ["Roster present."]))  # doctest: +NORMALIZE_WHITESPACE
    **Table: Participation**
    <BLANKLINE>
    | label | value |
    |:---|---:|
    | Members | 1,200 |
    | Lurker share | 0.250 |
    <BLANKLINE>
    *Roster present.*
    <BLANKLINE>
    """
    shown = _display(frame)
    header = "| " + " | ".join(_md_escape(str(c)) for c in shown.columns) + " |"
    align = "|" + "|".join("---:" if _numeric(shown[c]) else ":---" for c in shown.columns) + "|"
    body = ["| " + " | ".join(_md_escape(format_cell(v)) for v in row) + " |"
            for row in shown.itertuples(index=False, name=None)]
    lines = [f"**Table: {_md_escape(title).strip()}**", "", header, align, *body]
    if notes:  # stripped: emphasis must not end on a space
        lines += [""] + [f"*{_md_escape(n).strip()}*  " for n in notes]
    return "\n".join(lines) + "\n"


def _numeric(column: pd.Series) -> bool:
    """Right-align a column: numbers (and suppression marks), or the value column of key-value tables."""
    if column.name == "value":
        return True
    values = [v for v in column if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                or (isinstance(v, str) and (v.startswith("<") or v == "suppressed"))
                                for v in values) and any(not isinstance(v, str) for v in values)


# ---------------------------------------------------------------------------
# LaTeX
# ---------------------------------------------------------------------------

_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}"}
_TEX_PATTERN = re.compile("|".join(re.escape(k) for k in _TEX_SPECIAL))


def tex_escape(text: str) -> str:
    """Escape LaTeX's special characters; line breaks become spaces (a cell cannot end a row or paragraph).

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> print(tex_escape("50% of R&D_costs #1"))
    50\\% of R\\&D\\_costs \\#1
    """
    return _TEX_PATTERN.sub(lambda m: _TEX_SPECIAL[m.group()], _MD_BREAKS.sub(" ", text))


def latex_table(frame: pd.DataFrame, title: str, notes, name: str) -> str:
    """A booktabs table (needs ``\\usepackage{booktabs}``) with caption, label and notes.

    Parameters
    ----------
    frame : DataFrame
        The table (see :func:`markdown_table`).
    title : str
        Caption.
    notes : list of str
        Set in small type below the table.
    name : str
        The label is ``tab:<name>``.

    Returns
    -------
    str
        A LaTeX ``table`` environment.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"label": ["Members", "Lurker share"], "value": [1200, 0.25]},
    ...                      index=pd.Index(["members", "lurker_share"], name="measure"))
    >>> print(latex_table(frame, "Participation", [], "participation"))
    \\begin{table}[htbp]
    \\centering
    \\footnotesize
    \\caption{Participation}
    \\label{tab:participation}
    \\begin{tabular}{p{5.5cm}r}
    \\toprule
    label & value \\\\
    \\midrule
    Members & 1,200 \\\\
    Lurker share & 0.250 \\\\
    \\bottomrule
    \\end{tabular}
    \\end{table}
    <BLANKLINE>
    """
    shown = _display(frame)
    spec = "".join(f"p{{{_WRAPPED[c]}}}" if c in _WRAPPED else "r" if _numeric(shown[c]) else "l"
                   for c in shown.columns)
    lines = [r"\begin{table}[htbp]", r"\centering", r"\footnotesize",
             rf"\caption{{{tex_escape(title)}}}", rf"\label{{tab:{name}}}",
             rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
             " & ".join(tex_escape(str(c)) for c in shown.columns) + r" \\", r"\midrule"]
    lines += [" & ".join(tex_escape(format_cell(v)) for v in row) + r" \\"
              for row in shown.itertuples(index=False, name=None)]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if notes:
        lines.append(r"\par\smallskip\parbox{\linewidth}{\scriptsize "
                     + r" \\ ".join(tex_escape(n) for n in notes) + "}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

_CSS = """
body{font-family:Georgia,serif;max-width:60em;margin:2em auto;padding:0 1em;color:#111;line-height:1.45}
h1,h2,h3{font-family:Helvetica,Arial,sans-serif}
table{border-collapse:collapse;margin:.5em 0 .3em;font-size:.85em}
caption{text-align:left;font-weight:bold;padding-bottom:.3em}
thead th{border-top:2px solid #000;border-bottom:1px solid #000;padding:.2em .6em;text-align:left}
tbody td{padding:.15em .6em;vertical-align:top}
tbody tr:last-child td{border-bottom:2px solid #000}
td.num{text-align:right;font-variant-numeric:tabular-nums}
p.note{font-size:.8em;color:#333;margin:.1em 0}
p.missing{font-style:italic;color:#444}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.85em}
"""


def html_table(frame: pd.DataFrame, title: str, notes, name: str) -> str:
    """An HTML table with caption and notes (booktabs-like rules via CSS).

    Parameters
    ----------
    frame : DataFrame
        The table (see :func:`markdown_table`).
    title : str
        Caption.
    notes : list of str
        One ``<p class="note">`` each.
    name : str
        The table's id is ``table-<name>``.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"label": ["Members", "Lurker share"], "value": [1200, 0.25]},
    ...                      index=pd.Index(["members", "lurker_share"], name="measure"))
    >>> text = html_table(frame, "Participation", ["Roster present."], "participation")
    >>> text.startswith('<table id="table-participation"><caption>Participation</caption>')
    True
    >>> '<td class="num">1,200</td>' in text, '<p class="note">Roster present.</p>' in text
    (True, True)
    """
    shown = _display(frame)
    numeric = {c: _numeric(shown[c]) for c in shown.columns}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for row in shown.itertuples(index=False, name=None):
        cells = "".join(f'<td class="num">{html.escape(format_cell(v))}</td>' if numeric[c]
                        else f"<td>{html.escape(format_cell(v))}</td>" for c, v in zip(shown.columns, row))
        rows.append(f"<tr>{cells}</tr>")
    parts = [f'<table id="table-{html.escape(name)}"><caption>{html.escape(title)}</caption>',
             f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"]
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    return "\n".join(parts)


def _markdown_to_html(text: str) -> str:
    """The small Markdown subset of the methods text (paragraphs, **bold**, '- ' lists)."""
    blocks = []
    for block in text.strip().split("\n\n"):
        escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(block))
        if all(line.startswith("- ") for line in block.splitlines()):
            items = "".join(f"<li>{line[2:]}</li>" for line in escaped.splitlines())
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append(f"<p>{escaped}</p>")
    return "\n".join(blocks)


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------

def figure_bytes(figure, fmt: str) -> bytes:
    """A figure saved to PNG (300 dpi) or SVG, with its parameters in the file's metadata.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        Its ``peerscope_parameters`` attribute, when set, becomes the
        ``Description`` metadata.
    fmt : {"png", "svg"}

    Returns
    -------
    bytes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> figure = Figure(figsize=(1, 1))
    >>> figure_bytes(figure, "png")[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    >>> b"<svg" in figure_bytes(figure, "svg")
    True
    """
    buffer = io.BytesIO()
    parameters = getattr(figure, "peerscope_parameters", "")
    figure.savefig(buffer, format=fmt, dpi=300 if fmt == "png" else None,
                   metadata={"Description": parameters})
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# The whole report
# ---------------------------------------------------------------------------

def write(report, out, formats=TABLE_FORMATS, figure_formats=("png",)) -> Path:
    """Write ``report`` into folder ``out`` (module docstring); returns the path of report.html.

    Parameters
    ----------
    report : peerscope.report.build.Report
    out : path-like
        The folder (created when missing; files in it are replaced).
    formats : sequence of str
        Table formats: any of ``md``, ``csv``, ``tex``.
    figure_formats : sequence of str
        Figure formats: any of ``png``, ``svg``.

    Returns
    -------
    pathlib.Path
        ``out/report.html``.

    Raises
    ------
    RenderError
        For an unknown format or a folder that cannot be created.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from peerscope.datasets import synth
    >>> from peerscope.report import build
    >>> corpus, _ = synth.generate(2000, seed=1, with_text=False)
    >>> report = build(corpus, replicates=50, figures=False)
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> write(report, folder, formats=["csv", "md"]).name
    'report.html'
    >>> sorted(p.name for p in folder.iterdir())
    ['methods.md', 'parameters.json', 'report.html', 'report.md', 'suppression.csv', 'tables']
    >>> (folder / "tables" / "participation.csv").is_file()
    True
    """
    formats = _check(formats, TABLE_FORMATS, "table")
    figure_formats = _check(figure_formats, FIGURE_FORMATS, "figure")
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"cannot create the report folder {out}: {exc}") from None
    tables_dir, figures_dir = out / "tables", out / "figures"
    markdown = {}
    for name, frame in report.tables.items():
        title, notes = report.titles[name], report.notes.get(name, [])
        markdown[name] = markdown_table(frame, title, notes)
        if "csv" in formats:
            _text(tables_dir / f"{name}.csv", _csv(frame))
        if "md" in formats:
            _text(tables_dir / f"{name}.md", markdown[name])
        if "tex" in formats:
            _text(tables_dir / f"{name}.tex", latex_table(frame, title, notes, name))
    index = pd.DataFrame({"name": list(report.tables),
                          "title": [report.titles[n] for n in report.tables],
                          "notes": [" ".join(report.notes.get(n, [])) for n in report.tables]})
    _text(tables_dir / "index.csv", _csv(index, index=False))
    images = {}
    for name, figure in report.figures.items():
        for fmt in figure_formats:
            data = figure_bytes(figure, fmt)
            _atomic(figures_dir / f"{name}.{fmt}", data)
            images.setdefault(name, (fmt, data))
    _text(out / "methods.md", _methods_markdown(report))
    _text(out / "parameters.json", json.dumps(report.parameters, indent=2, default=str) + "\n")
    _text(out / "suppression.csv", _csv(report.suppression, index=False))
    _text(out / "report.md", _report_markdown(report, markdown, figure_formats, SECTIONS))
    target = out / "report.html"
    _text(target, _report_html(report, images, SECTIONS))
    return target


def _missing_for(section: str, section_figures, not_computed) -> list[str]:
    """The "not computed" notes that belong to a section."""
    keys = {"Reciprocity and responsiveness": ("reciprocity", "responsiveness"),
            "Forms of support and pathways": ("forms and pathways",),
            "Newsletters": ("newsletters",), "Topics": ("topics",), "Support types": ("support types",)}
    wanted = set(section_figures)
    return [n for n in not_computed
            if any(n.startswith(f"figure {f}:") for f in wanted)
            or any(n.startswith(f"{k}:") for k in keys.get(section, ()))]


def _methods_markdown(report) -> str:
    """The methods paragraph with the corpus name in it escaped (the rest is the paragraph's own Markdown)."""
    name = str(report.parameters.get("corpus", ""))
    return report.methods.replace(f"'{name}'", f"'{_md_escape(name)}'") if name else report.methods


def _report_markdown(report, markdown: dict, figure_formats, sections) -> str:
    parameters = report.parameters
    esc = _md_escape
    lines = [f"# Report: {esc(parameters['corpus'])}", "",
             esc(report.summary_line()), "",
             f"peerscope {esc(parameters['peerscope_version'])}; super-users: {esc(parameters['super_users'])}; "
             f"small cells: counts of fewer than {esc(parameters['min_cell'])} people suppressed.", ""]
    for title, (names, figure_names) in sections.items():
        present = [n for n in names if n in report.tables]
        drawn = [f for f in figure_names if f in report.figures]
        missing = _missing_for(title, figure_names, report.not_computed)
        if not (present or drawn or missing):
            continue
        lines += [f"## {esc(title)}", ""]
        lines += [f"*{esc(m).strip()}*" + "  " for m in missing] + ([""] if missing else [])
        for name in present:
            lines += [markdown[name], ""]
        fmt = figure_formats[0] if figure_formats else None
        for name in drawn:
            if fmt:
                lines += [f"![{esc(report.titles[name])}](figures/{name}.{fmt})", "",
                          f"*Figure: {esc(report.titles[name])}.*", ""]
    lines += ["## Methods", "", _methods_markdown(report)]
    return "\n".join(lines) + "\n"


def _report_html(report, images: dict, sections) -> str:
    parameters = report.parameters
    body = [f"<h1>Report: {html.escape(parameters['corpus'])}</h1>",
            f"<p><strong>{html.escape(report.summary_line())}</strong></p>",
            f"<p>peerscope {html.escape(parameters['peerscope_version'])}; super-users: "
            f"{html.escape(parameters['super_users'])}; counts of fewer than {parameters['min_cell']} "
            "people are suppressed.</p>"]
    for title, (names, figure_names) in sections.items():
        present = [n for n in names if n in report.tables]
        drawn = [f for f in figure_names if f in report.figures]
        missing = _missing_for(title, figure_names, report.not_computed)
        if not (present or drawn or missing):
            continue
        body.append(f"<h2>{html.escape(title)}</h2>")
        body += [f'<p class="missing">{html.escape(m)}</p>' for m in missing]
        for name in present:
            body.append(html_table(report.tables[name], report.titles[name], report.notes.get(name, []), name))
        for name in drawn:
            if name in images:
                fmt, data = images[name]
                mime = "image/png" if fmt == "png" else "image/svg+xml"
                encoded = base64.b64encode(data).decode("ascii")
                body.append(f'<figure id="figure-{name}"><img alt="{html.escape(report.titles[name])}" '
                            f'src="data:{mime};base64,{encoded}"><figcaption>'
                            f"{html.escape(report.titles[name])}</figcaption></figure>")
    body += ["<h2>Methods</h2>", _markdown_to_html(report.methods)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Report: {html.escape(parameters['corpus'])}</title><style>{_CSS}</style></head>"
            "<body>\n" + "\n".join(body) + "\n</body></html>\n")
