"""iCalendar (RFC 5545) text for one event, written by hand: CRLF line ends,
TEXT escaping, lines folded at 75 octets without splitting a UTF-8 character."""

from __future__ import annotations

from datetime import datetime


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def utc_stamp(moment: datetime) -> str:
    """A naive UTC datetime as a DATE-TIME in UTC form: 20270112T013000Z."""
    return moment.strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Fold one content line into pieces of at most 75 octets (§3.1)."""
    out: list[str] = []
    current = b""
    limit = 75
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            out.append(current.decode("utf-8"))
            current = b""
            limit = 74  # continuation lines start with one space
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def event(
    *,
    uid: str,
    stamp: datetime,
    start: datetime,
    end: datetime,
    summary: str,
    description: str = "",
    location: str = "",
    url: str = "",
    status: str = "CONFIRMED",
    sequence: int = 0,
) -> str:
    """A VCALENDAR with one VEVENT; datetimes are naive UTC."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Yishi//Deliberation//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(start)}",
        f"DTEND:{utc_stamp(end)}",
        f"SEQUENCE:{sequence}",
        f"SUMMARY:{escape_text(summary)}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if url:
        lines.append(f"URL:{url}")
    lines += [f"STATUS:{status}", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
