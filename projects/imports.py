"""Candidate projects from a CSV file (UTF-8 or GBK), all or nothing, with a
line-by-line report."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from core.models import LeadUnit
from core.roster import decode_csv
from extensions import db
from projects.models import Project, Suggestion
from projects.services import CycleError, create_candidate

COLUMNS = {
    "title": ("项目名称", "title"),
    "lead_unit": ("承办单位", "lead_unit"),
    "investment": ("总投资（万元）", "总投资(万元)", "总投资", "investment"),
    "planned_completion": ("计划完成日期", "planned_completion"),
    "description": ("项目简介", "description"),
    "suggestions": ("来源建议", "suggestions"),
}
REQUIRED = ("title", "lead_unit", "investment", "planned_completion", "description")
MAX_ROWS = 500


@dataclass
class CandidateImport:
    errors: list[tuple[int, str]] = field(default_factory=list)
    created: list[Project] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _header(row: list[str]) -> dict[str, int]:
    found = {}
    for index, raw in enumerate(row):
        name = raw.strip().lower()
        for key, names in COLUMNS.items():
            if name in names:
                found[key] = index
    return found


def _parse_row(cell, units: dict[str, LeadUnit]) -> tuple[dict, list[str]]:
    problems = []
    row = {"title": cell("title"), "description": cell("description")}
    if not row["title"] or len(row["title"]) > 100:
        problems.append(_("项目名称不能为空且不超过 100 字"))
    unit = units.get(cell("lead_unit"))
    if unit is None:
        problems.append(_("承办单位“%(name)s”不存在", name=cell("lead_unit")))
    row["lead_unit"] = unit
    try:
        row["investment"] = int(cell("investment").replace(",", ""))
        if row["investment"] < 0:
            raise ValueError
    except ValueError:
        problems.append(_("总投资须为非负整数（万元）"))
    try:
        row["planned_completion"] = date.fromisoformat(cell("planned_completion"))
    except ValueError:
        problems.append(_("计划完成日期须写成 2028-12-31 的形式"))
    if not row["description"] or len(row["description"]) > 5000:
        problems.append(_("项目简介不能为空且不超过 5000 字"))
    ids = []
    for part in cell("suggestions").replace("；", ";").replace(",", ";").split(";"):
        part = part.strip().lstrip("#")
        if part:
            if not part.isdigit():
                problems.append(_("来源建议须为建议编号，用分号分隔"))
                break
            ids.append(int(part))
    row["suggestion_ids"] = ids
    return row, problems


def import_candidates(year: int, data: bytes) -> CandidateImport:
    """Create the year's candidates from CSV bytes; nothing is stored if any line is bad.

    On errors the caller rolls back (a savepoint guards what was flushed here).
    """
    result = CandidateImport()
    try:
        text = decode_csv(data)
    except ValueError as exc:
        result.errors.append((1, str(exc)))
        return result
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        result.errors.append((1, _("文件为空。")))
        return result
    except csv.Error as exc:
        result.errors.append((1, _("CSV 格式错误：%(e)s", e=str(exc))))
        return result
    columns = _header(header)
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in columns]
    if missing:
        result.errors.append((1, _("缺少列：%(cols)s", cols=_("、").join(missing))))
        return result
    units = {u.name: u for u in db.session.scalars(select(LeadUnit))}
    rows = []
    seen: dict[str, int] = {}
    try:
        for line_no, record in enumerate(reader, start=2):
            if not any(c.strip() for c in record):
                continue
            if len(rows) + len(result.errors) >= MAX_ROWS:
                result.errors.append((line_no, _("行数超过上限 %(n)d。", n=MAX_ROWS)))
                break

            def cell(key: str, record=record) -> str:
                i = columns.get(key)
                return record[i].strip() if i is not None and i < len(record) else ""

            row, problems = _parse_row(cell, units)
            if row["title"] in seen:
                problems.append(_("项目名称与第 %(line)d 行重复", line=seen[row["title"]]))
            if problems:
                result.errors.append((line_no, _("；").join(problems)))
            else:
                seen[row["title"]] = line_no
                row["line"] = line_no
                rows.append(row)
    except csv.Error as exc:
        result.errors.append((reader.line_num, _("CSV 格式错误：%(e)s", e=str(exc))))
    if not rows and not result.errors:
        result.errors.append((2, _("文件中没有候选项目。")))
    if result.errors:
        return result
    savepoint = db.session.begin_nested()
    for row in rows:
        suggestions = []
        for sid in row["suggestion_ids"]:
            s = db.session.get(Suggestion, sid)
            if s is None:
                result.errors.append((row["line"], _("建议 #%(id)d 不存在", id=sid)))
            else:
                suggestions.append(s)
        if result.errors and result.errors[-1][0] == row["line"]:
            continue
        try:
            with db.session.begin_nested():
                project = create_candidate(
                    year=year,
                    title=row["title"],
                    lead_unit=row["lead_unit"],
                    investment=row["investment"],
                    planned_completion=row["planned_completion"],
                    description=row["description"],
                    suggestions=suggestions,
                )
        except CycleError as exc:
            result.errors.append((row["line"], exc.message))
        else:
            result.created.append(project)
    if result.errors:
        savepoint.rollback()
        result.created = []
    else:
        savepoint.commit()
    return result
