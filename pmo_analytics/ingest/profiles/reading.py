"""Reading an export as rows of text, as a profile says: decoding (mixed encodings too), delimiter
sniffing, Excel through workbooks.py, transposing; and picking the profile that reads a file."""
from __future__ import annotations

import codecs
import csv
import io
from functools import lru_cache
from pathlib import Path

from pmo_analytics.exceptions import InputError
from pmo_analytics.ingest.profiles.model import Profile, candidates, matches, norm, shipped

DELIMITERS = [",", ";", "\t", "|"]


def decode(raw: bytes, encoding: str) -> tuple[str, str, int]:
    """Text, the encoding used and the count of bytes that had to be guessed.

    'auto' is UTF-8 (with or without BOM) when the bytes are valid UTF-8, else Windows-1252. The five
    bytes Windows-1252 leaves undefined are read as Latin-1, and counted, so a stray byte in a long
    export costs one character, not the file.
    """
    if encoding in ("auto", "utf-8", "utf-8-sig", "utf8"):
        try:
            return raw.decode("utf-8-sig"), "utf-8", 0
        except UnicodeDecodeError as exc:
            if encoding != "auto":
                raise InputError(f"not UTF-8 text (byte {exc.start}); is it Windows-1252? "
                                 "set encoding = 'cp1252' in the profile") from None
        return _decode_mixed(raw)
    guessed = 0

    def latin1(err):
        nonlocal guessed
        guessed += err.end - err.start
        return err.object[err.start:err.end].decode("latin-1"), err.end

    codecs.register_error("pmo_latin1", latin1)
    return raw.decode(encoding, errors="pmo_latin1"), encoding, guessed


def _decode_mixed(raw: bytes) -> tuple[str, str, int]:
    """Line by line: UTF-8 where a line is valid UTF-8, Windows-1252 elsewhere (files pasted together
    from two tools). Returns the count of lines read as Windows-1252; all of them when none was UTF-8."""
    lines = raw.removeprefix(codecs.BOM_UTF8).split(b"\n")
    out, legacy, multibyte = [], 0, False
    for line in lines:
        try:
            out.append(line.decode("utf-8"))
            multibyte = multibyte or any(b > 0x7F for b in line)  # a line that really is UTF-8, not ASCII
        except UnicodeDecodeError:
            out.append(line.decode("cp1252", errors="pmo_latin1_quiet"))
            legacy += 1
    return "\n".join(out), ("utf-8 and cp1252" if multibyte else "cp1252"), legacy


def _latin1_quiet(err):
    return err.object[err.start:err.end].decode("latin-1"), err.end


codecs.register_error("pmo_latin1_quiet", _latin1_quiet)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines most consistently (quotes respected)."""
    sample = "\n".join(text.splitlines()[:20])
    best, best_score = ",", -1
    for d in DELIMITERS:
        rows = list(csv.reader(io.StringIO(sample), delimiter=d))[:10]
        widths = [len(r) for r in rows if r]
        if not widths or widths[0] < 2:
            continue
        score = widths[0] * sum(w == widths[0] for w in widths)
        if score > best_score:
            best, best_score = d, score
    return best


@lru_cache(maxsize=8)
def _read_cached(path: str, mtime: float, encoding: str, delimiter: str, header_row: int,
                 transpose: bool, sheet: str | None):
    p = Path(path)
    notes = []
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        from pmo_analytics.ingest import (
            workbooks,  # checks the archive, refuses formula and error cells, notes what it changed
        )

        read = workbooks.read(p, sheet=sheet, header_row=0 if transpose else header_row)
        rows = read.rows if transpose else [[]] * (read.header_row - 1) + [read.header] + read.rows
        notes += read.notes
    else:
        raw = p.read_bytes()
        if not raw.strip():
            raise InputError(f"{p}: the file is empty")
        if b"\x00" in raw[:65536]:
            raise InputError(f"{p}: not a text file; it contains binary data")
        try:
            text, used, guessed = decode(raw, encoding)
        except InputError as exc:
            raise InputError(f"{p}: {exc}") from None
        if guessed and used == "utf-8 and cp1252":
            notes.append(f"mixed encodings: {guessed} line(s) are not UTF-8; read them as Windows-1252")
        elif guessed and used == "cp1252" and encoding == "auto":
            notes.append("not UTF-8; read as Windows-1252")
        elif guessed:
            notes.append(f"{guessed} byte(s) are not valid {used}; read as Latin-1")
        delim = sniff_delimiter(text) if delimiter == "auto" else delimiter.replace("\\t", "\t")
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
        except csv.Error as exc:
            raise InputError(f"{p}: cannot read as CSV: {exc}") from None
    if transpose:
        width = max((len(r) for r in rows), default=0)
        rows = [list(col) for col in zip(*[r + [""] * (width - len(r)) for r in rows])]
    if len(rows) < header_row:
        raise InputError(f"{p}: no header on line {header_row}")
    header = [h.strip() for h in rows[header_row - 1]]
    body = [r for r in rows[header_row:] if any(c.strip() for c in r)]
    return header, body, tuple(notes)


def read_table(path: Path, profile: Profile, sheet: str | None = None):
    """(header, rows of text, notes) of an export, read as the profile says; cached per file."""
    return _read_cached(str(path), path.stat().st_mtime, profile.encoding, profile.delimiter,
                        profile.header_row, profile.transpose, sheet)


def header_of(path: Path) -> list[str]:
    """The header of any text or Excel export, read with auto-detected encoding and delimiter."""
    return read_table(path, Profile(name="sniff"))[0]


def fallback(path: Path) -> Profile:
    """How to read a file that has the contract's columns but is not plain UTF-8 comma-separated.

    ';'-delimited files are European exports (decimal comma, day-first dates); any other delimiter
    keeps '.' decimals and ISO dates, with the encoding detected.
    """
    text, _, _ = decode(path.read_bytes()[:65536], "auto")
    delimiter = sniff_delimiter(text)
    if delimiter == ";":
        return shipped()["european"]
    shown = {"\t": "tab", ",": "comma", "|": "pipe"}[delimiter]
    return Profile(name="delimited", description=f"contract columns, {shown}-delimited, encoding detected",
                   delimiter=delimiter)


def detect(path: Path, header: list[str]) -> Profile | None:
    """The first profile whose [detect] columns are all in the header (for a transposed profile: in
    the header of the file once transposed; those are tried last, as they read the file again)."""
    names = {norm(h) for h in header}
    for profile in sorted(candidates(path.parent), key=lambda p: p.transpose):
        if not profile.detect:
            continue
        seen = names
        if profile.transpose:
            try:
                seen = {norm(h) for h in read_table(path, profile)[0]}
            except InputError:
                continue
        if all(matches(c, seen) for c in profile.detect):
            return profile
    return None
