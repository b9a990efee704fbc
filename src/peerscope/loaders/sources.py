"""Readers of source files that several loaders share.

They turn an unreadable or malformed file into a
:class:`~peerscope.errors.SourceError` that names the file and line, so no
loader needs its own copy of that handling.
"""

from __future__ import annotations

import csv
import json
import os
import re
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
                yield number, load_json(line)
            except ValueError as exc:
                raise SourceError(f"not valid JSON ({exc})", path=os.fspath(path),
                                  line=number) from None


def load_json(text: str | bytes):
    """Parse JSON text like :func:`json.loads`, however deeply it nests.

    :func:`json.loads` recurses once per level and fails with RecursionError
    on a few hundred or thousand levels (a long reply chain written as a
    tree); such text is parsed again without recursion.

    Raises
    ------
    json.JSONDecodeError
        Malformed JSON (with the line and column, as :func:`json.loads`).
    UnicodeDecodeError
        Bytes that are not UTF-8.

    Examples
    --------
    >>> deep = "[" * 5000 + "]" * 5000
    >>> value = load_json(deep)
    >>> depth = 0
    >>> while value:
    ...     value, depth = value[0], depth + 1
    >>> depth
    4999
    """
    try:
        return json.loads(text)
    except RecursionError:
        pass
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8-sig" if bytes(text[:3]) == b"\xef\xbb\xbf" else "utf-8")
    return _load_json_iteratively(text)


_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_CONSTANTS = (("null", None), ("true", True), ("false", False), ("NaN", float("nan")),
              ("Infinity", float("inf")), ("-Infinity", float("-inf")))


def _load_json_iteratively(text: str):
    """A JSON parser with an explicit stack of open arrays and objects."""
    fail = json.JSONDecodeError
    scan = json.decoder.scanstring

    def space(at: int) -> int:
        return _SPACE.match(text, at).end()

    def key_at(at: int) -> tuple[str, int]:
        if text[at:at + 1] != '"':
            raise fail("Expecting property name enclosed in double quotes", text, at)
        key, at = scan(text, at + 1)
        at = space(at)
        if text[at:at + 1] != ":":
            raise fail("Expecting ':' delimiter", text, at)
        return key, space(at + 1)

    stack: list[list] = []   # [container, pending key] of every open array or object
    at = space(0)
    while True:
        char = text[at:at + 1]
        if char == "{":
            at = space(at + 1)
            if text[at:at + 1] != "}":
                key, at = key_at(at)
                stack.append([{}, key])
                continue
            value, at = {}, at + 1
        elif char == "[":
            at = space(at + 1)
            if text[at:at + 1] != "]":
                stack.append([[], None])
                continue
            value, at = [], at + 1
        elif char == '"':
            value, at = scan(text, at + 1)
        else:
            number = _NUMBER.match(text, at)
            if number and not text.startswith("-Infinity", at):
                integer = number.group(1) is None and number.group(2) is None
                value = int(number.group()) if integer else float(number.group())
                at = number.end()
            else:
                for word, constant in _CONSTANTS:
                    if text.startswith(word, at):
                        value, at = constant, at + len(word)
                        break
                else:
                    raise fail("Expecting value", text, at)
        # hand the value to the open containers, closing those that end here
        while True:
            if not stack:
                at = space(at)
                if at != len(text):
                    raise fail("Extra data", text, at)
                return value
            container, key = stack[-1]
            if key is None:
                container.append(value)
            else:
                container[key] = value
            at = space(at)
            char = text[at:at + 1]
            if char == ",":
                at = space(at + 1)
                if key is not None:
                    stack[-1][1], at = key_at(at)
                break
            if char == ("}" if key is not None else "]"):
                stack.pop()
                value, at = container, at + 1
                continue
            raise fail("Expecting ',' delimiter", text, at)


def long_csv_rows(handle, sep: str) -> tuple[list[str], list[tuple[int, int, int]]]:
    """The header of a CSV text and its records with more fields than the header.

    Parameters
    ----------
    handle : text file
        The open CSV text (RFC 4180 quoting).
    sep : str
        The field separator.

    Returns
    -------
    tuple
        The header fields, and ``(record, line, fields)`` of each long record:
        its 0-based number among the records after the header (blank lines
        are not records), the 1-based line where it starts, its field count.

    Examples
    --------
    >>> import io
    >>> long_csv_rows(io.StringIO('a,b\\n1,2\\n\\n3,"x\\ny",4\\n5,6\\n'), ",")
    (['a', 'b'], [(1, 4, 3)])
    """
    reader = csv.reader(handle, delimiter=sep)
    header, long, record, line = None, [], 0, 0
    for fields in reader:
        start, line = line + 1, reader.line_num
        if not fields:
            continue
        if header is None:
            header = fields
            continue
        if len(fields) > len(header):
            long.append((record, start, len(fields)))
        record += 1
    return header or [], long
