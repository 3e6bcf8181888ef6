"""Spreadsheet files: those staff upload (rosters, candidate projects: CSV in UTF-8 or
GBK, a header row naming the columns in Chinese or English, errors by line number), and
every CSV file the site writes (``write_csv``: no cell can run as a formula)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from flask_babel import gettext as _

Record = tuple[int, dict[str, str]]  # (line number, cell text by column key)
Problem = tuple[int, str]  # (line number, message for the user)


def decode_csv(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), else GBK as Chinese spreadsheets export."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gbk")
    except UnicodeDecodeError as exc:
        raise ValueError(_("文件编码无法识别：请另存为 UTF-8 或 GBK 编码的 CSV。")) from exc


def read_records(
    data: bytes, columns: Mapping[str, Sequence[str]], required: Sequence[str], *, max_rows: int
) -> tuple[list[Record], list[Problem]]:
    """The file's non-empty lines as cells by column key (every key of ``columns``,
    stripped, "" when the column or cell is absent), and the problems of the file
    itself: its encoding, an empty file, missing columns, broken CSV, too many lines.

    ``columns`` maps each key to the header names it accepts (matched case-blind);
    ``required`` keys must have a column. At most ``max_rows`` lines are read.
    """
    try:
        text = decode_csv(data)
    except ValueError as exc:
        return [], [(1, str(exc))]
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return [], [(1, _("文件为空。"))]
    except csv.Error as exc:
        return [], [(1, _("CSV 格式错误：%(e)s", e=str(exc)))]
    index = _header_index(header, columns)
    missing = [columns[key][0] for key in required if key not in index]
    if missing:
        return [], [(1, _("缺少列：%(cols)s", cols=_("、").join(missing)))]
    records: list[Record] = []
    try:
        for line_no, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(records) >= max_rows:
                return records, [(line_no, _("行数超过上限 %(n)d。", n=max_rows))]
            records.append((line_no, {key: _cell(cells, index.get(key)) for key in columns}))
    except csv.Error as exc:
        return records, [(reader.line_num, _("CSV 格式错误：%(e)s", e=str(exc)))]
    return records, []


def _header_index(header: list[str], columns: Mapping[str, Sequence[str]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for position, raw in enumerate(header):
        name = raw.strip().lower()
        for key, names in columns.items():
            if name in names:
                found[key] = position
    return found


def _cell(cells: list[str], position: int | None) -> str:
    return cells[position].strip() if position is not None and position < len(cells) else ""


# A spreadsheet reads a cell that starts with one of these as a formula (or, for tab and
# carriage return, may shift it into one): "=HYPERLINK(...)", "+1+cmd|...", "-2+3", "@SUM(...)".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """One cell of a CSV file the site writes, as text a spreadsheet shows and never runs.

    Text that starts with ``= + - @``, a tab or a carriage return gets a single quote in
    front (OWASP's advice): Excel, LibreOffice and WPS then show it as text. This holds for
    every text cell, even one that looks like a number ("-1" typed as a title becomes
    "'-1"). Numbers the server computes (int, float, Decimal; not bool) are written as they
    are, so a negative count or amount stays a number: they cannot carry a formula. None is
    an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def write_csv(fieldnames: Sequence[str], rows: Iterable[Mapping], *, bom: bool = True) -> str:
    """CSV text of ``rows`` (dicts; keys not in ``fieldnames`` are left out, a list is
    joined with ";"), every cell through ``safe_cell``, CRLF line ends, and a BOM so that
    Excel opens Chinese text correctly. The one way the site writes CSV (a test checks)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in fieldnames])
    for row in rows:
        cells = []
        for name in fieldnames:
            value = row.get(name)
            if isinstance(value, (list, tuple)):
                value = ";".join(map(str, value))
            cells.append(safe_cell(value))
        writer.writerow(cells)
    return ("\ufeff" if bom else "") + out.getvalue()
