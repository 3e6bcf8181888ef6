"""The poll service's refusals and what every part of it shares."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from core.errors import DomainError
from voting import messages


class PollError(DomainError):
    """A refused request: HTTP status, the protocol's machine code, and parameters
    for the translated message (see ``voting.messages``)."""

    def __init__(self, status: int, code: str, **params):
        super().__init__(status, code=code)
        self.params = params

    @property
    def message(self) -> str:
        return messages.message(self.code, self.params)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None)


def key_encryption_key() -> str:
    return current_app.config["YISHI_KEY_ENCRYPTION_KEY"]


class LogMismatch(PollError):
    """The stored ballots do not match the signed log state: refuse to publish. ``str()``
    is the detail, for the operator."""

    def __init__(self, detail: str):
        super().__init__(500, "log_mismatch", detail=detail)
        self.args = (detail,)
