"""The deputy roster: CSV import (UTF-8 or GBK), all or nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.csvfile import read_records
from core.models import Congress, Deputy, Role, User
from core.passwords import generate_initial_password, hash_password
from extensions import db

# Accepted header names, Chinese first.
COLUMNS = {
    "code": ("代表证号", "code"),
    "name": ("姓名", "name"),
    "delegation": ("代表团", "delegation"),
    "phone": ("手机", "电话", "phone"),
}
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
MAX_ROWS = 5000


@dataclass
class ImportResult:
    errors: list[tuple[int, str]] = field(default_factory=list)
    created: list[tuple[Deputy, str]] = field(default_factory=list)  # (deputy, password)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_roster(data: bytes) -> tuple[list[dict], list[tuple[int, str]]]:
    """Parse a roster file into rows; returns (rows, errors by line number)."""
    records, errors = read_records(data, COLUMNS, ("code", "name", "delegation"), max_rows=MAX_ROWS)
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for line_no, row in records:
        problems = _row_problems(row, seen)
        if problems:
            errors.append((line_no, _("；").join(problems)))
            continue
        seen[row["code"]] = line_no
        row["phone"] = row["phone"].replace(" ", "") or None
        row["line"] = line_no
        rows.append(row)
    if not rows and not errors:
        errors.append((2, _("文件中没有代表。")))
    errors.sort(key=lambda problem: problem[0])
    return rows, errors


def _row_problems(row: dict[str, str], seen: dict[str, int]) -> list[str]:
    problems = []
    if not CODE_RE.match(row["code"]):
        problems.append(_("代表证号须为 1–32 位字母、数字或 . _ -，以字母或数字开头"))
    elif row["code"] in seen:
        problems.append(_("代表证号与第 %(line)d 行重复", line=seen[row["code"]]))
    if not row["name"] or len(row["name"]) > 64:
        problems.append(_("姓名不能为空且不超过 64 字"))
    if not row["delegation"] or len(row["delegation"]) > 64:
        problems.append(_("代表团不能为空且不超过 64 字"))
    if row["phone"] and not PHONE_RE.match(row["phone"].replace(" ", "")):
        problems.append(_("手机号码格式不正确"))
    return problems


def import_roster(congress: Congress, data: bytes) -> ImportResult:
    """Import deputies into ``congress``; nothing is added if any row is bad.

    Creates a deputy account per row with a generated initial password, which the
    caller shows once; only its hash is stored. The caller commits.
    """
    result = ImportResult()
    rows, result.errors = parse_roster(data)
    if result.errors:
        return result
    codes = [r["code"] for r in rows]
    taken_codes = set(
        db.session.scalars(select(Deputy.code).where(Deputy.congress_id == congress.id, Deputy.code.in_(codes)))
    )
    taken_users = set(db.session.scalars(select(User.username).where(User.username.in_(codes))))
    for row in rows:
        if row["code"] in taken_codes:
            result.errors.append((row["line"], _("代表证号 %(code)s 已在名册中", code=row["code"])))
        elif row["code"] in taken_users:
            result.errors.append((row["line"], _("账号 %(code)s 已被占用", code=row["code"])))
    if result.errors:
        return result
    for row in rows:
        deputy = Deputy(
            congress=congress,
            code=row["code"],
            name=row["name"],
            delegation=row["delegation"],
            phone=row["phone"],
        )
        password = generate_initial_password()
        db.session.add(deputy)
        db.session.add(
            User(
                username=row["code"],
                display_name=row["name"],
                password_hash=hash_password(password, initial=True),
                role=Role.deputy.value,
                deputy=deputy,
                must_change_password=True,
            )
        )
        result.created.append((deputy, password))
    db.session.flush()
    audit.record("roster.import", "congress", congress.id, {"count": len(rows)})
    return result


def delete_deputy(deputy: Deputy) -> bool:
    """Delete a deputy added by mistake; False once they have taken part in anything.

    The foreign keys decide: a deputy in a poll's register, checked in at a session,
    or whose account has acted (audit log) cannot be deleted, only deactivated.
    """
    code, congress_id = deputy.code, deputy.congress_id
    try:
        with db.session.begin_nested():
            if deputy.user is not None:
                db.session.delete(deputy.user)
            db.session.delete(deputy)
    except IntegrityError:
        return False
    audit.record("deputy.delete", "congress", congress_id, {"deputy": code})
    return True
