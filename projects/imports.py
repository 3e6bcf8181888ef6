"""Candidate projects from a CSV file (UTF-8 or GBK), all or nothing, with a
line-by-line report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from core.csvfile import read_records
from core.models import LeadUnit
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


def _parse_row(cells: dict[str, str], units: dict[str, LeadUnit]) -> tuple[dict, list[str]]:
    problems = []
    row = {"title": cells["title"], "description": cells["description"]}
    if not row["title"] or len(row["title"]) > 100:
        problems.append(_("项目名称不能为空且不超过 100 字"))
    unit = units.get(cells["lead_unit"])
    if unit is None:
        problems.append(_("承办单位“%(name)s”不存在", name=cells["lead_unit"]))
    row["lead_unit"] = unit
    try:
        row["investment"] = int(cells["investment"].replace(",", ""))
        if row["investment"] < 0:
            raise ValueError
    except ValueError:
        problems.append(_("总投资须为非负整数（万元）"))
    try:
        row["planned_completion"] = date.fromisoformat(cells["planned_completion"])
    except ValueError:
        problems.append(_("计划完成日期须写成 2028-12-31 的形式"))
    if not row["description"] or len(row["description"]) > 5000:
        problems.append(_("项目简介不能为空且不超过 5000 字"))
    ids = []
    for part in cells["suggestions"].replace("；", ";").replace(",", ";").split(";"):
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
    rows = _parse_rows(data, result.errors)
    if result.errors:
        return result
    savepoint = db.session.begin_nested()
    for row in rows:
        suggestions = _source_suggestions(row, result.errors)
        if suggestions is None:
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


def _parse_rows(data: bytes, errors: list[tuple[int, str]]) -> list[dict]:
    """The file's candidates, each line checked on its own; problems go to ``errors``."""
    records, file_errors = read_records(data, COLUMNS, REQUIRED, max_rows=MAX_ROWS)
    units = {u.name: u for u in db.session.scalars(select(LeadUnit))} if records else {}
    rows = []
    seen: dict[str, int] = {}
    for line_no, cells in records:
        row, problems = _parse_row(cells, units)
        if row["title"] in seen:
            problems.append(_("项目名称与第 %(line)d 行重复", line=seen[row["title"]]))
        if problems:
            errors.append((line_no, _("；").join(problems)))
        else:
            seen[row["title"]] = line_no
            row["line"] = line_no
            rows.append(row)
    errors.extend(file_errors)
    if not rows and not errors:
        errors.append((2, _("文件中没有候选项目。")))
    return rows


def _source_suggestions(row: dict, errors: list[tuple[int, str]]) -> list[Suggestion] | None:
    """The suggestions a candidate comes from; None, with the missing ones in
    ``errors``, when any is unknown."""
    suggestions = []
    for sid in row["suggestion_ids"]:
        suggestion = db.session.get(Suggestion, sid)
        if suggestion is None:
            errors.append((row["line"], _("建议 #%(id)d 不存在", id=sid)))
        else:
            suggestions.append(suggestion)
    return None if len(suggestions) < len(row["suggestion_ids"]) else suggestions
