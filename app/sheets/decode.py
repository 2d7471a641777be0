"""Bytes to text: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from app.sheets.errors import SheetErrors


@dataclass(frozen=True)
class DecodedText:
    """The text of a file and the encoding it was read in (`utf-8`, `utf-16`, `cp1252`)."""

    text: str
    encoding: str


def decode_text(data: bytes) -> DecodedText:
    """Decode a text file as people save them.

    UTF-8 with or without a BOM; UTF-16 when it starts with a UTF-16 BOM (Excel's "Unicode
    text"); Windows-1252 when the bytes are not valid UTF-8. Raises SheetErrors for an empty
    file, binary data (NUL bytes), or bytes that are neither UTF-8 nor Windows-1252 (line,
    column and value of the first such byte; the column is the field, counting `,` `;` or tab).
    """
    if not data.strip():
        raise SheetErrors.one("the file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return DecodedText(_check_text(data.decode("utf-16")), "utf-16")
        except UnicodeDecodeError:
            raise SheetErrors.one(
                "the file starts as UTF-16 text but is not valid UTF-16"
            ) from None
    if b"\x00" in data:
        raise SheetErrors.one("binary data (NUL bytes): not a CSV, TSV or Markdown text file")
    try:
        return DecodedText(_check_text(data.decode("utf-8-sig")), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return DecodedText(_check_text(data.decode("cp1252")), "cp1252")
    except UnicodeDecodeError as error:
        raise _undecodable(data, error.start) from None


def _check_text(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _undecodable(data: bytes, position: int) -> SheetErrors:
    line = data.count(b"\n", 0, position) + 1
    start = data.rfind(b"\n", 0, position) + 1
    end = data.find(b"\n", position)
    text = data[start : end if end >= 0 else len(data)].rstrip(b"\r")
    separator = max(b",;\t", key=lambda byte: text.count(byte))
    offset = position - start
    column = text.count(separator, 0, offset) + 1
    field_start = text.rfind(separator, 0, offset) + 1
    field_end = text.find(separator, offset)
    raw = text[field_start : field_end if field_end >= 0 else len(text)]
    value = raw.decode("cp1252", errors="backslashreplace")
    return SheetErrors.one(
        f"byte 0x{data[position]:02X} is neither UTF-8 nor Windows-1252 text: "
        "save the file as UTF-8",
        line=line,
        column=column,
        value=value,
    )
