"""Export files as text, before anything is staged: the CSV header, empty and binary files refused
early, whole-file UTF-8 checks, and names and paths as DuckDB must be given them."""
from __future__ import annotations

import codecs
import contextlib
import csv
import os
import tempfile
from pathlib import Path
from typing import Protocol

from pmo_analytics.exceptions import InputError


class _Export(Protocol):
    """What header() reads of a discovery.Source (importing it here would make a circle)."""

    path: Path


# DuckDB expands these in a file name, so 'exports[1]/projects.csv' would read 'exports1/projects.csv'.
GLOB_CHARACTERS = frozenset("*?[]{}")


@contextlib.contextmanager
def literal(path: Path):
    """`path` as DuckDB must be given it to read that file and no other: a path with glob characters
    is read through a link with a plain name in a private temporary folder."""
    if not GLOB_CHARACTERS & set(str(path)):
        yield str(path)
        return
    with tempfile.TemporaryDirectory(prefix="pmo-literal-") as folder:
        link = Path(folder) / f"input{path.suffix.lower()}"
        os.symlink(Path(path).resolve(), link)
        yield str(link)


def header(source: _Export, strict: bool = True) -> list[str] | None:
    """The column names of a CSV file's first record (a quoted name may span lines).

    strict=False returns None instead of raising when the file is not UTF-8 text.
    """
    _sniff_text(source.path)
    if not strict and not _is_utf8(source.path):
        return None
    try:
        with open(source.path, encoding="utf-8-sig", newline="") as fh:
            names = next(csv.reader(fh), [])
    except UnicodeDecodeError as exc:
        if not strict:
            return None
        raise InputError(f"{source.path}: not UTF-8 text (byte {exc.start} of the file); save it as "
                         "UTF-8 CSV or give --profile european") from None
    except csv.Error as exc:
        raise InputError(f"{source.path}: cannot read the header: {exc}") from None
    return names


def ident(name: str) -> str:
    """A column name quoted for SQL, whatever characters the export put in its header."""
    return '"' + str(name).replace('"', '""') + '"'


def _is_utf8(path: Path) -> bool:
    """Whether the whole file decodes as UTF-8 (an export can turn Windows-1252 on line 90,000)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                # ASCII is UTF-8, and telling it is several times cheaper than decoding (unless the
                # block before ended inside a character, which the decoder must then see complete)
                if not (block.isascii() and not decoder.getstate()[0]):
                    decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _sniff_text(path: Path) -> None:
    """Fails early, with a clear message, on files that are empty or not text at all."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise InputError(f"{path}: the file is empty")
    if b"\x00" in head or head.startswith(b"PK\x03\x04"):
        hint = " (it looks like an Excel workbook: name it .xlsx)" if head.startswith(b"PK") else ""
        raise InputError(f"{path}: not a text CSV file; it contains binary data{hint}")


def first_error_line(exc: Exception) -> str:
    """The first line of a DuckDB error (the rest is its internals), or the error's kind."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
