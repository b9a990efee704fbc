"""How every ``peerscope`` command reports bad input: one line on stderr, exit code 2.

Shell scripts can then tell bad data (exit 2) from a crash (exit 1); the
root option ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import functools
import sys

import click

from peerscope.errors import PeerscopeError

#: Exit code for bad input (a file, corpus or option that cannot be used).
EXIT_BAD_INPUT = 2


def friendly(command):
    """Report PeerscopeError as one line and exit 2, unless --debug was given."""

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
