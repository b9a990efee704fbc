"""How every ``peerscope`` command reports bad input: one line on stderr, exit code 2.

Shell scripts can then tell bad data (exit 2) from a crash (exit 1); the
root option ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import functools
import sys

import click

from peerscope.errors import PeerscopeError

__all__ = ["EXIT_BAD_INPUT", "friendly"]

#: Exit code for bad input (a file, corpus or option that cannot be used).
EXIT_BAD_INPUT = 2


def friendly(command):
    """Report PeerscopeError as one line and exit 2, unless --debug was given.

    Parameters
    ----------
    command : callable
        A click command's function (put ``@friendly`` under ``@click.command``).

    Returns
    -------
    callable
        The wrapped function.

    Examples
    --------
    >>> from click.testing import CliRunner
    >>> from peerscope.errors import SourceError
    >>> @click.command()
    ... @friendly
    ... def load():
    ...     raise SourceError("not valid JSON", path="posts.json", line=3)
    >>> result = CliRunner().invoke(load)
    >>> result.exit_code, result.stderr
    (2, 'peerscope: error: file posts.json, line 3: not valid JSON\\n')
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return command(*args, **kwargs)
        except PeerscopeError as error:
            if debug:
                raise
            click.echo(f"peerscope: error: {error}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper
