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
:mod:`~peerscope.report.bench` (every public corpus found, beside published figures;
bound here as the function :func:`bench`, like the loaders),
:mod:`~peerscope.cli.report` (the ``peerscope report`` command).
"""

from peerscope.report.build import Report, ReportError, build, parse_super_users
from peerscope.report.bench import bench

__all__ = ["Report", "ReportError", "bench", "build", "parse_super_users"]
