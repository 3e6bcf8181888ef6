"""The pure parts: the published lot algorithm and the iCalendar writer."""

import hashlib
import hmac
from datetime import datetime

from deliberation import ical, lot


def test_lot_draw_follows_the_published_algorithm():
    seed = "3f2a9c0d1e5b7a66c4d2e1f0a9b8c7d6"
    numbers = list(range(1, 21))
    drawn, waiting = lot.draw(seed, numbers, 5)
    # Re-implemented from the description alone.
    keyed = sorted(numbers, key=lambda n: hmac.new(seed.encode(), str(n).encode(), hashlib.sha256).hexdigest())
    assert drawn == keyed[:5] and waiting == keyed[5:]
    assert sorted(drawn + waiting) == numbers
    # The input order does not matter; another seed gives another draw.
    assert lot.draw(seed, list(reversed(numbers)), 5) == (drawn, waiting)
    assert lot.draw(seed + "0", numbers, 5)[0] != drawn
    assert lot.seed_commitment(seed) == hashlib.sha256(seed.encode()).hexdigest()


def test_ical_escapes_folds_and_uses_crlf():
    text = ical.event(
        uid="meeting-7@example.org",
        stamp=datetime(2027, 3, 1, 2, 0),
        start=datetime(2027, 3, 10, 6, 30),
        end=datetime(2027, 3, 10, 8, 30),
        summary="民主恳谈会：老旧小区加装电梯; 费用, 分摊",
        description="第一行\n第二行 \\ 反斜杠" + "很长的说明" * 30,
        location="清溪街道",
    )
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "DTSTART:20270310T063000Z\r\n" in text and "DTEND:20270310T083000Z\r\n" in text
    assert "DTSTAMP:20270301T020000Z\r\n" in text and "UID:meeting-7@example.org\r\n" in text
    assert "SUMMARY:民主恳谈会：老旧小区加装电梯\\; 费用\\, 分摊" in text
    for line in text.split("\r\n"):
        assert len(line.encode()) <= 75
    unfolded = text.replace("\r\n ", "")
    assert "DESCRIPTION:第一行\\n第二行 \\\\ 反斜杠" + "很长的说明" * 30 + "\r\n" in unfolded
