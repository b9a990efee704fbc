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
           "latex_table", "markdown_table", "write"]

TABLE_FORMATS = ("md", "csv", "tex")
FIGURE_FORMATS = ("png", "svg")
#: Text columns that LaTeX sets as wrapped paragraphs.
_WRAPPED = {"detail": "4.5cm", "reason": "6cm", "terms": "5cm", "quote": "6cm", "label": "5.5cm",
            "reference": "3.2cm"}

#: Sections of a report, in order: title -> (tables, figures) that belong to it.
SECTIONS = {
    "Corpus": (["overview", "measurability"], []),
    "Participation": (["participation", "bands", "fits", "super_user_ids"],
                      ["lorenz", "rank_frequency", "bands"]),
    "Engagement": (["engagement", "ladder_levels"], ["time_of_day", "survival", "ladder_monthly"]),
    "Reciprocity and responsiveness": (["reciprocity", "responsiveness"], ["give_receive"]),
    "Forms of support and pathways": (["forms_over_tenure", "form_combinations", "use_patterns",
                                       "first_forms", "pathways", "active_passive"],
                                      ["forms_over_tenure"]),
    "Newsletters": (["newsletters"], []),
    "Topics": (["topics", "topics_by_super_users", "topic_quotes"], []),
    "Support types": (["support"], []),
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

def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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
    lines = [f"**Table: {title}**", "", header, align, *body]
    if notes:
        lines += [""] + [f"*{_md_escape(n)}*  " for n in notes]
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
    """Escape LaTeX's special characters.

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
    return _TEX_PATTERN.sub(lambda m: _TEX_SPECIAL[m.group()], text)


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
            _text(tables_dir / f"{name}.csv", frame.to_csv())
        if "md" in formats:
            _text(tables_dir / f"{name}.md", markdown[name])
        if "tex" in formats:
            _text(tables_dir / f"{name}.tex", latex_table(frame, title, notes, name))
    index = pd.DataFrame({"name": list(report.tables),
                          "title": [report.titles[n] for n in report.tables],
                          "notes": [" ".join(report.notes.get(n, [])) for n in report.tables]})
    _text(tables_dir / "index.csv", index.to_csv(index=False))
    images = {}
    for name, figure in report.figures.items():
        for fmt in figure_formats:
            data = figure_bytes(figure, fmt)
            _atomic(figures_dir / f"{name}.{fmt}", data)
            images.setdefault(name, (fmt, data))
    _text(out / "methods.md", report.methods)
    _text(out / "parameters.json", json.dumps(report.parameters, indent=2, default=str) + "\n")
    _text(out / "suppression.csv", report.suppression.to_csv(index=False))
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


def _report_markdown(report, markdown: dict, figure_formats, sections) -> str:
    parameters = report.parameters
    lines = [f"# Report: {parameters['corpus']}", "",
             report.summary_line(), "",
             f"peerscope {parameters['peerscope_version']}; super-users: {parameters['super_users']}; "
             f"small cells: counts of fewer than {parameters['min_cell']} people suppressed.", ""]
    for title, (names, figure_names) in sections.items():
        present = [n for n in names if n in report.tables]
        drawn = [f for f in figure_names if f in report.figures]
        missing = _missing_for(title, figure_names, report.not_computed)
        if not (present or drawn or missing):
            continue
        lines += [f"## {title}", ""]
        lines += [f"*{m}*" + "  " for m in missing] + ([""] if missing else [])
        for name in present:
            lines += [markdown[name], ""]
        fmt = figure_formats[0] if figure_formats else None
        for name in drawn:
            if fmt:
                lines += [f"![{report.titles[name]}](figures/{name}.{fmt})", "",
                          f"*Figure: {report.titles[name]}.*", ""]
    lines += ["## Methods", "", report.methods]
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
