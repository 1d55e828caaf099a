"""CSV that spreadsheet programs open correctly and safely.

* Encoding: UTF-8 with a byte-order mark. Excel and LibreOffice read a BOM-less CSV in the system's
  legacy code page, which garbles Arabic, Chinese, Devanagari and emoji; the BOM makes them detect
  UTF-8. Python's ``utf-8-sig`` codec writes it.
* Member ids: written as text after a tab, in a quoted cell, so spreadsheets keep all 17-19 digits
  (``bot.digest.people``).
* Formula injection: a cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return,
  which some programs strip before looking) is run as a formula by spreadsheets. Such text cells get a
  leading apostrophe, the spreadsheet convention for "this is text" (OWASP's advice). Numbers we write
  ourselves are left alone so they stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
# A member id written as text (``bot.digest.people.id_text``): a tab and digits is never a formula.
ID_TEXT = re.compile(r"\t-?[0-9]+")


def neutralise(value: object) -> object:
    """A cell value safe to open in a spreadsheet: text that could start a formula is prefixed."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not ID_TEXT.fullmatch(value):
        return "'" + value
    return value


class CsvFile:
    """Rows written to an in-memory UTF-8 (with BOM) CSV, every text cell neutralised."""

    def __init__(self, header: Sequence[str]) -> None:
        self._buffer = io.StringIO()
        self._buffer.write(BOM)
        # Every text cell quoted (numbers we write stay bare numbers): an id written as a tab and digits
        # stays one cell also where a spreadsheet splits on tabs as well as commas (LibreOffice's default
        # import separators include Tab).
        self._writer = csv.writer(self._buffer, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
        self._writer.writerow(header)
        self._encoded: list[bytes] = []

    def write(self, row: Sequence[object]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def write_many(self, rows: Iterable[Sequence[object]]) -> None:
        for row in rows:
            self.write(row)

    def write_checked(self, rows: Iterable[Sequence[object]]) -> None:
        """Write rows whose every text cell the caller already passed through ``neutralise``.

        For the long listings (100k feedback items): the caller neutralises only its free-text cells
        and the C writer does the rest in one call.
        """
        self._writer.writerows(rows)

    def write_encoded(self, lines: bytes) -> None:
        """Append UTF-8 lines already written as this file writes them (``bot.data.digest_listing``);
        they follow every row written with the other methods."""
        self._encoded.append(lines)

    def getvalue(self) -> bytes:
        return self._buffer.getvalue().encode("utf-8") + b"".join(self._encoded)


def cells_text(row: Sequence[object]) -> str:
    """Cells as ``CsvFile.write`` writes them, without the line end: a piece of a line built elsewhere."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="", quoting=csv.QUOTE_NONNUMERIC).writerow([neutralise(c) for c in row])
    return buffer.getvalue()
