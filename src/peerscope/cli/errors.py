"""How every ``peerscope`` command reports bad input: one line on stderr, exit code 2.

Shell scripts can then tell bad data (exit 2) from a crash (exit 1); the
root option ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import functools
import re
import sys

import click

from peerscope.errors import PeerscopeError

__all__ = ["EXIT_BAD_INPUT", "FLAGS", "as_flags", "friendly"]

#: Exit code for bad input (a file, corpus or option that cannot be used).
EXIT_BAD_INPUT = 2
#: Python keyword arguments that messages from the library name, and the command-line flag of each.
FLAGS = {"repair": "--repair", "replies": "--replies", "assume_tz": "--assume-tz",
         "date_format": "--date-format", "issue_pattern": "--issue-pattern", "mapping": "--map",
         "extract": "--extract", "strip_quotes": "--strip-quotes", "scrub_pii": "--scrub-pii",
         "min_cell": "--min-cell", "super_users": "--super-users", "timezone": "--timezone",
         "children_key": "--children-key", "batch_size": "--batch-size",
         "member_attributes": "--member-attribute"}
_KEYWORD = re.compile(r"\b(" + "|".join(FLAGS) + r")=(True\b|'[^']*'|\"[^\"]*\"|[^\s,;:)]+)?")


def as_flags(message: str) -> str:
    """A library message with its Python keyword arguments written as the command's flags.

    Parameters
    ----------
    message : str

    Returns
    -------
    str

    Examples
    --------
    >>> as_flags("3 bad rows; pass repair=True to skip them")
    '3 bad rows; pass --repair to skip them'
    >>> as_flags("replies='flat' derives parents; assume_tz='Mars': unknown")
    '--replies flat derives parents; --assume-tz Mars: unknown'
    """
    def flag(match: re.Match) -> str:
        name, value = FLAGS[match.group(1)], match.group(2)
        if value is None or value == "True":
            return name
        return f"{name} {value.strip(chr(39) + chr(34))}"

    return _KEYWORD.sub(flag, message)


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
            click.echo(f"peerscope: error: {as_flags(str(error))}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper
