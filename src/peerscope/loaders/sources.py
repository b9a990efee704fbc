"""Readers of source files that several loaders share.

They turn an unreadable or malformed file into a
:class:`~peerscope.errors.SourceError` that names the file and line, so no
loader needs its own copy of that handling.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from peerscope.errors import SourceError

__all__ = []

#: Pushshift compresses with a 2 GiB window (``zstd --long=31``); a zstandard
#: stream may use up to this window.
ZSTD_WINDOW = 2**31
#: Compressed bytes read at a time from a ``.zst`` file.
_ZSTD_CHUNK = 1 << 20
#: What a damaged or truncated compressed stream (gzip, bzip2, xz, zip) raises while it is read.
STREAM_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)


class ZstdReader(io.RawIOBase):
    """The decompressed bytes of a zstandard file whose every frame must be complete.

    ``zstandard``'s stream reader ends quietly when the file ends inside a
    frame, so a file cut at a line boundary would lose its last lines
    unnoticed; this reader raises :class:`SourceError` instead.  Several
    frames one after another (``cat a.zst b.zst``) are read in turn.
    """

    def __init__(self, raw, path: str):
        import zstandard

        super().__init__()
        self._raw = raw
        self._path = path
        self._decompressor = zstandard.ZstdDecompressor(max_window_size=ZSTD_WINDOW)
        self._frame = self._decompressor.decompressobj()
        self._in_frame = False         # compressed bytes of the current frame were fed
        self._pending = b""
        self._zstd_error = zstandard.ZstdError

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            compressed = self._raw.read(_ZSTD_CHUNK)
            if not compressed:
                if self._in_frame:
                    raise SourceError("truncated zstandard file: it ends inside a frame, so its "
                                      "last rows are missing", path=self._path)
                return 0
            self._pending = self._feed(compressed)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _feed(self, compressed: bytes) -> bytes:
        out = []
        while compressed:
            try:
                out.append(self._frame.decompress(compressed))
            except self._zstd_error as exc:
                raise SourceError(f"not a valid zstandard file: {exc}", path=self._path) from None
            self._in_frame = not self._frame.eof
            if not self._frame.eof:
                break
            compressed = self._frame.unused_data
            self._frame = self._decompressor.decompressobj()
        return b"".join(out)


#: Compressed formats read by suffix, and how each is opened on the raw file.
_OPENERS = {".gz": lambda raw, path: gzip.GzipFile(fileobj=raw),
            ".bz2": lambda raw, path: bz2.BZ2File(raw),
            ".xz": lambda raw, path: lzma.LZMAFile(raw),
            ".zst": lambda raw, path: io.BufferedReader(ZstdReader(raw, path)),
            ".zip": lambda raw, path: _zip_member(raw, path)}


def _zip_member(raw, path: str):
    try:
        archive = zipfile.ZipFile(raw)
    except zipfile.BadZipFile as exc:
        raise SourceError(f"not a valid zip file: {exc}", path=path) from None
    names = [info.filename for info in archive.infolist() if not info.is_dir()]
    if len(names) != 1:
        raise SourceError(f"a zip file must hold exactly one file, this one holds {len(names)}",
                          path=path)
    return archive.open(names[0])


@contextmanager
def open_binary(path: str | os.PathLike):
    """The bytes of a source file, decompressed by its suffix (``.gz``, ``.bz2``, ``.xz``,
    ``.zst``, ``.zip`` holding one file), as a binary stream that reads lines.

    A zstandard file that ends inside a frame raises :class:`SourceError`
    when its end is read (see :class:`ZstdReader`); gzip, bzip2 and xz
    readers raise :class:`EOFError` on a truncated stream, which
    :func:`json_lines` reports as a :class:`SourceError`.

    Examples
    --------
    >>> import gzip, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "posts.jsonl.gz"
    >>> _ = path.write_bytes(gzip.compress(b'{"id": 1}\\n'))
    >>> with open_binary(path) as handle:
    ...     handle.read()
    b'{"id": 1}\\n'
    """
    path = os.fspath(path)
    try:
        raw = open(path, "rb")
    except OSError as exc:
        raise SourceError(f"cannot open: {exc.strerror}", path=path) from None
    with raw:
        opener = _OPENERS.get(Path(path).suffix.lower())
        if opener is None:
            yield raw
            return
        try:
            stream = opener(raw, path)
        except ImportError:    # only the zstandard reader imports a package
            raise SourceError("reading .zst needs the zstandard package: pip install "
                              "'peerscope[reddit]'", path=path) from None
        with stream:
            yield stream


def check_complete(path: str | os.PathLike) -> None:
    """Raise :class:`SourceError` unless a compressed file decompresses to its end.

    For readers that decompress on their own (pandas): a ``.zst`` file cut
    at a line boundary would otherwise lose its last rows without an error.
    Files of other suffixes are not read.
    """
    if Path(os.fspath(path)).suffix.lower() != ".zst":
        return
    with open_binary(path) as stream:
        while stream.read(_ZSTD_CHUNK):
            pass


def json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """Yield ``(line number, parsed value)`` for every non-blank line of a JSON Lines file.

    Each line is decoded as UTF-8 on its own, so an encoding error names its
    line; blank lines are not records and are passed over.  A compressed
    file (``.gz``, ``.bz2``, ``.xz``, ``.zst``, ``.zip``) is decompressed as
    it is read (:func:`open_binary`); a truncated one raises.

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
    with open_binary(path) as handle:
        lines = enumerate(handle, start=1)
        while True:
            try:
                number, raw = next(lines, (None, None))
            except STREAM_ERRORS as exc:
                raise SourceError(f"cannot decompress: {exc}", path=os.fspath(path)) from None
            if number is None:
                return
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
