"""The deputy roster: CSV import (UTF-8 or GBK), all or nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
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


def import_roster(congress: Congress, data: bytes, progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Import deputies into ``congress``; nothing is added if any row is bad.

    Creates a deputy account per row with a generated initial password, which the
    caller shows once; only its hash is stored. The caller commits.
    """
    result = ImportResult()
    rows, result.errors = check_roster(congress, data)
    if not result.errors:
        result.created = create_deputies(congress, rows, progress)
    return result


def check_roster(congress: Congress, data: bytes) -> tuple[list[dict], list[tuple[int, str]]]:
    """The file's rows and its problems by line, against the file itself and what the
    database holds: quick, so the page answers at once; ``create_deputies`` is the
    slow part (one password hash per row)."""
    rows, errors = parse_roster(data)
    if errors:
        return rows, errors
    return rows, _taken(congress, rows)


def _taken(congress: Congress, rows: list[dict]) -> list[tuple[int, str]]:
    """Rows whose code the congress or the accounts already hold."""
    errors: list[tuple[int, str]] = []
    codes = [r["code"] for r in rows]
    taken_codes = set(
        db.session.scalars(select(Deputy.code).where(Deputy.congress_id == congress.id, Deputy.code.in_(codes)))
    )
    taken_users = set(db.session.scalars(select(User.username).where(User.username.in_(codes))))
    for row in rows:
        if row["code"] in taken_codes:
            errors.append((row["line"], _("代表证号 %(code)s 已在名册中", code=row["code"])))
        elif row["code"] in taken_users:
            errors.append((row["line"], _("账号 %(code)s 已被占用", code=row["code"])))
    return errors


def run_import_job(job, params: dict, progress: Callable[[int, int], None]) -> dict:
    """The roster import's background part (``core.jobs``): the checked rows become
    deputies and accounts, all or nothing; the initial passwords are sealed for the
    browser that uploaded the file (the hold it reserved)."""
    from flask import url_for

    from core import held
    from core.jobs import JobFailed

    congress = db.session.get(Congress, params["congress_id"])
    if congress is None:
        raise JobFailed(_("这个人民代表大会已被删除，名册没有导入。"))
    rows = params["rows"]
    errors = _taken(congress, rows)  # another import may have come first
    if errors:
        listed = _("；").join(_("第 %(line)d 行：%(problem)s", line=line, problem=p) for line, p in errors[:5])
        raise JobFailed(_("未导入：%(problems)s。请修改文件后重新上传。", problems=listed))
    created = create_deputies(congress, rows, progress)
    held_id, key = params["hold"]
    held.seal(held_id, key, "passwords", held.passwords_payload(congress.id, created, params["back"]))
    db.session.commit()
    return {
        "summary": _("已导入 %(n)d 名代表，并为每人生成了初始密码。", n=len(created)),
        "next": url_for("core.passwords", congress_id=congress.id, held_id=held_id),
        "next_label": _("查看并打印初始密码"),
    }


def create_deputies(
    congress: Congress, rows: list[dict], progress: Callable[[int, int], None] | None = None
) -> list[tuple[Deputy, str]]:
    """Add checked rows as deputies with accounts; ``progress(done, total)`` is called
    as rows are made. The caller commits (all or nothing)."""
    created = []
    for i, row in enumerate(rows):
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
        created.append((deputy, password))
        if progress is not None and (i + 1) % 50 == 0:
            progress(i + 1, len(rows))
    db.session.flush()
    audit.record("roster.import", "congress", congress.id, {"count": len(rows)})
    if progress is not None:
        progress(len(rows), len(rows))
    return created


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
