"""Readers of source files that several loaders share.

They turn an unreadable or malformed file into a
:class:`~peerscope.errors.SourceError` that names the file and line, so no
loader needs its own copy of that handling.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from peerscope.errors import SourceError

__all__ = []


def json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """Yield ``(line number, parsed value)`` for every non-blank line of a JSON Lines file.

    Each line is decoded as UTF-8 on its own, so an encoding error names its
    line; blank lines are not records and are passed over.

    Parameters
    ----------
    path : pathlib.Path
        The JSON Lines file.

    Yields
    ------
    tuple of (int, object)
        The 1-based line number and the parsed JSON value.

    Raises
    ------
    peerscope.errors.SourceError
        The file is unreadable, a line is not UTF-8 or not JSON.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "utterances.jsonl"
    >>> _ = path.write_text('{"id": "u1"}\\n\\n{"id": "u2"}\\n{broken\\n', encoding="utf-8")
    >>> lines = json_lines(path)
    >>> next(lines), next(lines)
    ((1, {'id': 'u1'}), (3, {'id': 'u2'}))
    >>> try:
    ...     next(lines)
    ... except SourceError as error:
    ...     print(error.line)
    4
    """
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise SourceError(f"cannot open: {exc.strerror}", path=os.fspath(path)) from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SourceError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                                  path=os.fspath(path), line=number) from None
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except (ValueError, RecursionError) as exc:
                raise SourceError(f"not valid JSON ({exc})", path=os.fspath(path),
                                  line=number) from None
