"""Spreadsheet files staff upload (rosters, candidate projects): CSV in UTF-8 or GBK,
a header row naming the columns in Chinese or English, errors by line number."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

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
