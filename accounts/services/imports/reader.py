"""Reading a CSV upload: sniffing for files that are not CSV text, the header row, and records
with the physical line they start on (header = line 1; quoted fields may span lines)."""

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO

from .base import ImportFileError

SNIFF_BYTES = 64 * 1024
NOT_UTF8 = "is not UTF-8 text; save the file as 'CSV UTF-8'."
_decode = bytes.decode  # UTF-8, strict
csv.field_size_limit(10 * 1024 * 1024)


def _header_key(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("\ufeff", "")).strip().lower()


@contextmanager
def open_source(source: str | os.PathLike | BinaryIO):
    """Yield (binary file, size in bytes or None). A path that does not exist is a file-level error."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ImportFileError(f"File not found: {path}")
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise ImportFileError(f"Cannot open {path}: {exc.strerror or exc}") from None
        with handle:
            yield handle, path.stat().st_size
        return
    size = None
    try:
        position = source.tell()
        source.seek(0, io.SEEK_END)
        size = source.tell() - position
        source.seek(position)
    except (AttributeError, OSError, ValueError):
        pass
    yield source, size


def sniff(binary: BinaryIO) -> None:
    """Reject what is obviously not a UTF-8 CSV before reading a single record."""
    head = binary.read(SNIFF_BYTES)
    binary.seek(-len(head), io.SEEK_CUR)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError("The file is empty: expected a CSV file with a header row.")
    if head.startswith(b"PK\x03\x04"):
        raise ImportFileError("This is a ZIP or Excel file, not CSV: save it as 'CSV UTF-8' and upload that.")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError("The file is UTF-16 encoded: save it as 'CSV UTF-8' and upload that.")
    if b"\x00" in head:
        raise ImportFileError("This is a binary file, not CSV text.")


class CsvRecords:
    """Iterate `(line, cells)` over the records after the header; blank lines are skipped."""

    def __init__(self, binary: BinaryIO):
        sniff(binary)
        self._binary = binary
        self._start = binary.tell()  # sniff() needs a seekable file anyway
        self._reader = csv.reader(self._decoded_lines(), strict=False)
        self.reader = self._reader  # for a caller's own loop: `translate(exc)` its errors
        self.header: list[str] = []
        first = self._next()
        while first is not None and not any(cell.strip() for cell in first):
            first = self._next()
        if first is None:
            raise ImportFileError("The file is empty: expected a CSV file with a header row.")
        self.header = [cell.strip() for cell in first]
        self.header_line = self._reader.line_num

    def _decoded_lines(self) -> Iterator[str]:
        """Physical lines (split on b"\\n" only, as they are numbered), decoded one by one so a bad
        byte is reported on its own line. After the first line the decoding runs in C (map), with
        no Python frame per line: the reader asks for a million lines on a big file. A line that
        is not UTF-8 raises UnicodeDecodeError out of the csv reader; `translate` names it."""
        lines = iter(self._binary)
        first = next(lines, None)
        if first is None:
            return iter(())
        try:
            text = first.removeprefix(codecs.BOM_UTF8).decode("utf-8")
        except UnicodeDecodeError:
            raise ImportFileError(f"Line 1 {NOT_UTF8}") from None
        return chain((text,), map(_decode, lines))

    def translate(self, exc: Exception) -> ImportFileError:
        """The file-level error for an exception raised while iterating `reader`."""
        if isinstance(exc, UnicodeDecodeError):
            # The csv reader counts the lines it got; the one that failed to decode is the next.
            return ImportFileError(f"Line {self._reader.line_num + 1} {NOT_UTF8}")
        return ImportFileError(f"Line {self._reader.line_num}: not a valid CSV file ({exc}).")

    def _next(self) -> list[str] | None:
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise self.translate(exc) from None

    def bytes_read(self) -> int:
        try:
            return self._binary.tell() - self._start
        except (OSError, ValueError):  # closed, or a stream that forgot its position
            return 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        previous_end = reader.line_num
        try:
            for record in reader:
                start = previous_end + 1
                previous_end = reader.line_num
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                yield start, record
        except (csv.Error, UnicodeDecodeError) as exc:
            raise self.translate(exc) from None


class Projector:
    """Turns a record (list of cells) into {native column: stripped text} for one header.

    A native column fed by several source headers takes the first non-empty one, or for `multi`
    columns all of them joined with ";". Absent columns read as "".
    """

    def __init__(self, header: list[str], sources: dict[str, tuple[str, ...]], multi: set[str]):
        positions: dict[str, int] = {}
        for index, name in enumerate(header):
            positions.setdefault(_header_key(name), index)
        self.width = len(header)
        self.present: set[str] = set()
        self.single: list[tuple[str, int]] = []  # the common case, done in one comprehension
        self.combined: list[tuple[str, list[int], bool]] = []
        for native, aliases in sources.items():
            indexes: list[int] = []
            for alias in aliases:
                index = positions.get(_header_key(alias))
                if index is not None and index not in indexes:
                    indexes.append(index)
            if len(indexes) <= 1:
                # An absent column points at the padding cell past the header's width.
                self.single.append((native, indexes[0] if indexes else self.width))
            else:
                self.combined.append((native, indexes, native in multi))
            if indexes:
                self.present.add(native)
        self.project = self._compile()

    def __call__(self, record: list[str]) -> dict[str, str]:
        return self.project(record)

    def indexes(self, names: tuple[str, ...]) -> tuple[int, ...] | None:
        """The cell index of each native column, for a kind's own per-record fast path; an absent
        column points at `width` (the padding cell the fast path appends). None when a column is
        fed by several source headers (then only the projection knows how to combine them)."""
        single = dict(self.single)
        if any(name not in single for name in names):
            return None
        return tuple(single[name] for name in names)

    def _compile(self):
        """The per-record function: a closure over locals (no attribute lookups), the single
        columns picked, stripped and zipped into the dict in C (itemgetter, map, zip) — this
        runs once per record, a million times for a big file."""
        width, combined = self.width, self.combined
        names = tuple(name for name, _ in self.single)
        indexes = [index for _, index in self.single]
        if len(indexes) <= 1:
            pick = lambda record: tuple(record[index] for index in indexes)  # noqa: E731
        else:
            pick = itemgetter(*indexes)
        strip = str.strip

        def project(record: list[str]) -> dict[str, str]:
            count = len(record)
            if count == width:
                record.append("")  # the padding cell absent columns read
            elif count < width:
                record.extend([""] * (width + 1 - count))
            elif record[width]:
                record[width] = ""  # cells past the header are ignored; absent columns read this one
            values = dict(zip(names, map(strip, pick(record))))
            for name, sources, joined in combined:
                cells = [record[index].strip() for index in sources]
                if joined:
                    values[name] = ";".join(cell for cell in cells if cell)
                else:
                    values[name] = next((cell for cell in cells if cell), "")
            return values

        return project
