"""Paper-ready reports: tables, figures, a methods paragraph, small-cell suppression.

>>> from peerscope.datasets import synth  # doctest: +SKIP
>>> from peerscope.report import build                # doctest: +SKIP
>>> corpus, truth = synth.generate(20_000, seed=1)    # doctest: +SKIP
>>> report = build(corpus)                            # doctest: +SKIP
>>> report.write("report")                            # doctest: +SKIP

Modules: :mod:`~peerscope.report.build` (run the metrics, :class:`Report`),
:mod:`~peerscope.report.tables` (results -> paper tables),
:mod:`~peerscope.report.figures` (matplotlib, optional),
:mod:`~peerscope.report.methods` (the methods paragraph),
:mod:`~peerscope.report.suppression` (small cells),
:mod:`~peerscope.report.render` (CSV, Markdown, LaTeX, report.md, report.html),
:mod:`~peerscope.cli.report` (the ``peerscope report`` command).
"""

from peerscope.report.build import Report, ReportError, build, parse_super_users

__all__ = ["Report", "ReportError", "build", "parse_super_users"]
