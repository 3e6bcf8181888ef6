"""Setup helpers for the meeting tests: build meetings and sign-ups through the services."""

from __future__ import annotations

from datetime import timedelta

from core.models import LeadUnit, utcnow
from deliberation import services
from extensions import db

PHONES = iter(range(10**9))


def phone() -> str:
    return f"139{next(PHONES):08d}"


# The public value a lot draw names in advance: the day the meeting starts (after the
# deadline, which is at least a day before), a lottery of that day.
LOT_BEACON = {"lot_beacon_source": "中国福利彩票双色球开奖号码"}


def make_meeting(
    *,
    days: int = 10,
    capacity: int = 3,
    waitlist: int = 2,
    mode: str = "open",
    kind: str = "consultation",
    members: int | None = None,
    announce: bool = True,
    deadline_hours_before: int = 24,
    topic: str = "老旧小区加装电梯",
) -> object:
    """A meeting ``days`` from now with two agenda items, announced by default."""
    start = utcnow().replace(microsecond=0) + timedelta(days=days)
    meeting = services.create_meeting(
        kind=kind,
        topic=topic,
        description="议题说明",
        proposed_by="",
        organiser="清溪街道人大工委",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="清溪街道社区服务中心三楼会议室",
        online_url=None,
        capacity=capacity,
        waitlist=waitlist,
        signup_mode=mode,
        signup_deadline=start - timedelta(hours=deadline_hours_before),
        members=members,
        **(dict(LOT_BEACON, lot_beacon_date=(start + timedelta(days=1)).date()) if mode == "lot" else {}),
    )
    services.add_agenda_item(meeting, "加装电梯方案介绍")
    services.add_agenda_item(meeting, "费用分摊办法")
    if announce:
        services.announce(meeting, confirm_short_notice=True)
    db.session.commit()
    return meeting


def sign_up(meeting, n: int = 1, *, area: str = "桂花苑") -> list[tuple[object, str]]:
    out = []
    for i in range(n):
        out.append(services.sign_up(meeting, name=f"居民{i}", phone=phone(), area=area))
        db.session.commit()
    return out


def lead_unit(name: str = "县住房和城乡建设局") -> LeadUnit:
    unit = LeadUnit(name=name)
    db.session.add(unit)
    db.session.commit()
    return unit


def move(meeting, *, hours: float) -> None:
    """Shift the meeting's times (e.g. ``hours=-240`` to make its deadline pass)."""
    delta = timedelta(hours=hours)
    meeting.starts_at += delta
    meeting.ends_at += delta
    meeting.signup_deadline += delta
    db.session.commit()
