"""Sign-up with capacity and waiting list, the lot draw, and check-in at the door."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core import audit
from core.models import User, utcnow
from core.times import local_time, local_today
from deliberation import lot
from deliberation.models import (
    Meeting,
    Signup,
    SignupStatus,
)
from deliberation.services.common import (
    SIGNUP_CODE_LENGTH,
    DeliberationError,
    lock_meeting,
    new_code,
    normalise_phone,
    signup_digest,
    unseal_lot_secret,
)
from extensions import db

# --- Sign-up -------------------------------------------------------------------------


def _status_count(meeting_id: int, status: SignupStatus) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Signup).where(Signup.meeting_id == meeting_id, Signup.status == status)
        )
        or 0
    )


def signups_open(meeting: Meeting) -> bool:
    return meeting.is_announced and utcnow() < meeting.signup_deadline and not meeting.lot_drawn_at


def sign_up(meeting: Meeting, *, name: str, phone: str, area: str) -> tuple[Signup, str]:
    """Register someone; returns the sign-up and its code (shown once, stored hashed)."""
    meeting = lock_meeting(meeting.id)
    if not meeting.is_announced:
        raise DeliberationError(409, _("会议已结束，不能再报名。"))
    if utcnow() >= meeting.signup_deadline or meeting.lot_drawn_at:
        raise DeliberationError(409, _("报名已于 %(when)s 截止。", when=local_time(meeting.signup_deadline)))
    phone = normalise_phone(phone)
    duplicate = db.session.scalar(
        select(Signup.id).where(
            Signup.meeting_id == meeting.id, Signup.phone == phone, Signup.status != SignupStatus.CANCELLED
        )
    )
    if duplicate is not None:
        raise DeliberationError(
            409, _("这个手机号已经报名了本次会议，不能重复报名。如需更改，请先用报名码取消原报名。")
        )
    queue = None
    if meeting.is_lot:
        status = SignupStatus.APPLIED
    elif _status_count(meeting.id, SignupStatus.CONFIRMED) < meeting.capacity:
        status = SignupStatus.CONFIRMED
    elif _status_count(meeting.id, SignupStatus.WAITING) < meeting.waitlist:
        status = SignupStatus.WAITING
        queue = (db.session.scalar(select(func.max(Signup.queue)).where(Signup.meeting_id == meeting.id)) or 0) + 1
    else:
        raise DeliberationError(
            409,
            _(
                "名额已满：%(capacity)s 个参会名额和 %(waitlist)s 个候补名额都已报满。",
                capacity=meeting.capacity,
                waitlist=meeting.waitlist,
            ),
        )
    code = new_code(SIGNUP_CODE_LENGTH)
    while db.session.scalar(select(Signup.id).where(Signup.code_hash == signup_digest(code))) is not None:
        code = new_code(SIGNUP_CODE_LENGTH)
    signup = Signup(
        meeting_id=meeting.id,
        number=_new_number(meeting),
        code_hash=signup_digest(code),
        name=name.strip(),
        phone=phone,
        area=area.strip(),
        status=status,
        queue=queue,
    )
    db.session.add(signup)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the partial unique index on the phone
        db.session.rollback()
        raise DeliberationError(409, _("这个手机号已经报名了本次会议，不能重复报名。")) from exc
    audit.record("meeting.signup", "meeting", meeting.id, {"number": signup.number, "status": status})
    return signup, code


NUMBER_RANGE = (100000, 999999)  # six digits, easy to read out


def _new_number(meeting: Meeting) -> int:
    """A random unused sign-up number (under the meeting lock): nobody can choose or
    foresee their number by the order in which they sign up (or cancel)."""
    taken = set(db.session.scalars(select(Signup.number).where(Signup.meeting_id == meeting.id)))
    generator = secrets.SystemRandom()
    while True:
        number = generator.randint(*NUMBER_RANGE)
        if number not in taken:
            return number


def find_signup(meeting: Meeting, code_text: str | None) -> Signup:
    digest = signup_digest(code_text)
    if digest is None:
        raise DeliberationError(
            422, _("报名码格式不对：应为 16 位字母数字（不含 I、O、0、1），如 K7QF-M2XA-3PRT-9WXC。")
        )
    signup = db.session.scalars(
        select(Signup)
        .where(Signup.meeting_id == meeting.id, Signup.code_hash == digest)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if signup is None:
        raise DeliberationError(404, _("本次会议没有这个报名码，请核对后重新输入。"))
    return signup


def cancel_signup(meeting: Meeting, code_text: str | None) -> tuple[Signup, Signup | None]:
    """Cancel by code; a freed place goes to the first on the waiting list.

    Under the meeting lock, so concurrent cancellations promote different people,
    each once.
    """
    if signup_digest(code_text) is None:
        find_signup(meeting, code_text)  # raises the format message
    meeting = lock_meeting(meeting.id)
    signup = find_signup(meeting, code_text)
    if signup.is_cancelled:
        raise DeliberationError(409, _("这个报名已经取消过了。"))
    if not meeting.is_announced:
        raise DeliberationError(409, _("会议已结束，不能再取消报名。"))
    if signup.checked_in_at is not None:
        raise DeliberationError(409, _("已经签到的报名不能取消。"))
    freed = signup.is_confirmed
    signup.status = SignupStatus.CANCELLED
    signup.queue = None
    signup.cancelled_at = utcnow()
    db.session.flush()
    audit.record("meeting.signup_cancel", "meeting", meeting.id, {"number": signup.number})
    promoted = promote_next(meeting) if freed else None
    return signup, promoted


def promote_next(meeting: Meeting) -> Signup | None:
    """Give a free place to the first on the waiting list (caller holds the lock)."""
    if _status_count(meeting.id, SignupStatus.CONFIRMED) >= meeting.capacity:
        return None
    first = db.session.scalars(
        select(Signup)
        .where(Signup.meeting_id == meeting.id, Signup.status == SignupStatus.WAITING)
        .order_by(Signup.queue, Signup.number)
        .limit(1)
        .execution_options(populate_existing=True)
    ).first()
    if first is None:
        return None
    first.status = SignupStatus.CONFIRMED
    first.queue = None
    first.promoted_at = utcnow()
    db.session.flush()
    audit.record("meeting.signup_promote", "meeting", meeting.id, {"number": first.number})
    return first


def waiting_position(signup: Signup) -> int | None:
    if not signup.is_waiting:
        return None
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Signup)
            .where(
                Signup.meeting_id == signup.meeting_id,
                Signup.status == SignupStatus.WAITING,
                Signup.queue < signup.queue,
            )
        )
        or 0
    ) + 1


# --- Lot draw ------------------------------------------------------------------------


def draw_lot(meeting: Meeting, beacon_value: str | None = None) -> tuple[list[int], list[int]]:
    """Draw the participants among the applicants.

    ``yishi-lot/2``: ``beacon_value`` is the public value named in the notice, as
    published; the sealed secret is revealed and the seed derived from the secret,
    that value and the entrant list (``deliberation.lot``).
    """
    meeting = lock_meeting(meeting.id)
    if not meeting.is_lot:
        raise DeliberationError(409, _("这次会议不是抽签报名。"))
    if not meeting.is_announced:
        raise DeliberationError(409, _("只有已公告、未结束的会议才能抽签。"))
    if meeting.lot_drawn_at is not None:
        raise DeliberationError(409, _("已经抽过签了，抽签结果不能更改。"))
    if utcnow() < meeting.signup_deadline:
        raise DeliberationError(409, _("报名截止后才能抽签。"))
    v2 = meeting.lot_algorithm != lot.ALGORITHM_V1
    if v2:
        if local_today() < meeting.lot_beacon_date:
            raise DeliberationError(
                409,
                _(
                    "公开随机源要到 %(day)s 才公布，届时再抽签。",
                    day=meeting.lot_beacon_date.isoformat(),
                ),
            )
        beacon_value = lot.normalise_beacon(beacon_value or "")
        if not beacon_value:
            raise DeliberationError(
                422, _("请填写公开随机源公布的值（%(source)s）。", source=meeting.lot_beacon_source)
            )
        if len(beacon_value) > 300:
            raise DeliberationError(422, _("公开随机源的值过长（最多 300 个字符）。"))
    applicants = {
        s.number: s
        for s in db.session.scalars(
            select(Signup).where(Signup.meeting_id == meeting.id, Signup.status == SignupStatus.APPLIED)
        )
    }
    entrants = sorted(applicants)
    if v2:
        meeting.lot_secret = unseal_lot_secret(meeting)
        meeting.lot_beacon_value = beacon_value
        meeting.lot_entrants_sha256 = lot.entrants_digest(entrants)
        meeting.lot_seed = lot.derive_seed(meeting.lot_secret, beacon_value, meeting.lot_entrants_sha256)
    drawn, waiting = lot.draw(meeting.lot_seed, entrants, meeting.capacity)
    for number in drawn:
        applicants[number].status = SignupStatus.CONFIRMED
    for place, number in enumerate(waiting, start=1):
        applicants[number].status = SignupStatus.WAITING
        applicants[number].queue = place
    meeting.lot_entrants = entrants
    meeting.lot_drawn_at = utcnow()
    audit.record(
        "meeting.lot_draw",
        "meeting",
        meeting.id,
        {
            "algorithm": meeting.lot_algorithm or lot.ALGORITHM_V1,
            "beacon": meeting.lot_beacon_value,
            "seed": meeting.lot_seed,
            "entrants": len(applicants),
            "drawn": len(drawn),
        },
    )
    return drawn, waiting


def draw_record(meeting: Meeting) -> dict:
    """The public record of the draw: every input, enough for anyone to re-run it
    (``deliberation.lot.check_record``, ``flask meeting verify-draw``)."""
    algorithm = meeting.lot_algorithm or lot.ALGORITHM_V1
    record = {
        "meeting": meeting.id,
        "algorithm": algorithm,
        "capacity": meeting.capacity,
        "drawn_at": None,
        "seed": None,
        "entrants": [],
        "order": [],
        "drawn": [],
    }
    if algorithm == lot.ALGORITHM_V1:
        record["seed_sha256"] = meeting.lot_seed_sha256
    else:
        record.update(
            secret_sha256=meeting.lot_seed_sha256,
            beacon_source=meeting.lot_beacon_source,
            beacon_date=meeting.lot_beacon_date.isoformat() if meeting.lot_beacon_date else None,
            beacon_value=None,
            secret=None,
            entrants_sha256=None,
        )
    if meeting.lot_drawn_at is not None:
        order = lot.draw_order(meeting.lot_seed, meeting.lot_entrants or [])
        record.update(
            seed=meeting.lot_seed,
            drawn_at=meeting.lot_drawn_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            entrants=meeting.lot_entrants or [],
            order=order,
            drawn=order[: meeting.capacity],
        )
        if algorithm != lot.ALGORITHM_V1:
            record.update(
                secret=meeting.lot_secret,
                beacon_value=meeting.lot_beacon_value,
                entrants_sha256=meeting.lot_entrants_sha256,
            )
    return record


# --- Check-in ------------------------------------------------------------------------


@dataclass
class CheckInOutcome:
    signup: Signup
    already: bool


def check_in(meeting: Meeting, code_text: str | None, by: User | None) -> CheckInOutcome:
    """Check a participant in at the door by registration code (typed or scanned)."""
    if not meeting.is_announced:
        raise DeliberationError(409, _("只有已公告、未结束的会议才能签到。"))
    signup = find_signup(meeting, code_text)
    if signup.is_cancelled:
        raise DeliberationError(409, _("报名序号 %(n)s 已取消，不能签到。", n=signup.number))
    if signup.is_waiting:
        raise DeliberationError(409, _("报名序号 %(n)s 仍在候补名单上，尚未获得参会名额。", n=signup.number))
    if signup.is_applied:
        raise DeliberationError(409, _("还没有抽签，报名序号 %(n)s 尚未确定能否参会。", n=signup.number))
    done = db.session.execute(
        update(Signup)
        .where(Signup.id == signup.id, Signup.checked_in_at.is_(None))
        .values(checked_in_at=utcnow(), checked_in_by=by.id if by else None)
    ).rowcount
    if not done:
        return CheckInOutcome(signup, True)
    db.session.refresh(signup)
    audit.record("meeting.checkin", "meeting", meeting.id, {"number": signup.number})
    return CheckInOutcome(signup, False)


def attendance(meeting: Meeting) -> dict:
    rows = dict(
        db.session.execute(
            select(Signup.status, func.count()).where(Signup.meeting_id == meeting.id).group_by(Signup.status)
        ).all()
    )
    present = (
        db.session.scalar(
            select(func.count())
            .select_from(Signup)
            .where(Signup.meeting_id == meeting.id, Signup.checked_in_at.is_not(None))
        )
        or 0
    )
    return {
        "capacity": meeting.capacity,
        "applied": rows.get("applied", 0),
        "confirmed": rows.get("confirmed", 0),
        "waiting": rows.get("waiting", 0),
        "cancelled": rows.get("cancelled", 0),
        "present": present,
    }


def present_count(meeting: Meeting) -> int:
    return attendance(meeting)["present"]


def quorum_met(members: int | None, present: int) -> bool:
    """Two thirds of the members must be present (no rule without a member count)."""
    return members is None or 3 * present >= 2 * members
