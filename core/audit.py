"""The audit log: one append-only line for every state change."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from core.models import AuditEntry
from extensions import db


def record(
    action: str,
    target_type: str,
    target_id: Any,
    detail: dict | None = None,
    *,
    actor=None,
    on_behalf_of: str | None = None,
) -> AuditEntry:
    """Add an audit line in the current transaction (the caller commits).

    ``actor`` defaults to the logged-in user; command-line actions pass ``None``
    and are labelled ``cli``. ``on_behalf_of`` names the deputy when staff act for one.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if actor is not None:
        label = f"{actor.role}:{actor.username}"
    elif has_request_context():
        label = "public"
    else:
        label = "cli"
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_label=label,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail or {},
        on_behalf_of=on_behalf_of,
    )
    db.session.add(entry)
    return entry
