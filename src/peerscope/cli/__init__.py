"""The ``peerscope`` command line: click commands over the public API.

Nothing outside this package imports click.  The commands live in
:mod:`peerscope.cli.commands` (``validate``, ``describe``, ``import``,
``export``), :mod:`peerscope.cli.report` (``report``),
:mod:`peerscope.cli.partition` (``repartition``, ``synth``),
:mod:`peerscope.cli.compare` (``compare``), :mod:`peerscope.cli.classify` (``classify``) and
:mod:`peerscope.cli.bench` (``bench``: every public corpus found, compared, beside published figures);
the options they share in :mod:`peerscope.cli.options`, and the mapping of
:class:`~peerscope.errors.PeerscopeError` to exit code 2 in
:mod:`peerscope.cli.errors`.
"""

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``peerscope`` console script.

    The command is a process of its own, so, unlike ``import peerscope``, it
    chooses Arrow's memory pool for itself before Arrow is loaded
    (:func:`peerscope.set_memory_pool`, ``"system"``), unless
    ``ARROW_DEFAULT_MEMORY_POOL`` is already set; then it runs the click
    group :func:`peerscope.cli.commands.cli`.
    """
    from peerscope._kernels.memory import set_memory_pool

    set_memory_pool("system", override=False)
    from peerscope.cli import commands

    commands.main()
