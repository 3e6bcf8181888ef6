"""One-time secrets held for the browser that made them, until its user says they are
noted (我已记下).

A POST that creates a secret (initial passwords, code slips, a sign-up code) calls
``hold()`` and redirects to a page that reads it back with ``read()``; that page can be
reloaded as often as needed. The payload is stored in the database sealed with
AES-256-GCM under a fresh key that only this browser's session cookie holds:

* another browser, or another user after a logout (which clears the session), has no
  key and gets 404; a hold made while logged in is also bound to that account, and only
  holds made before anyone logged in are carried over a login;
* someone reading the database or a backup sees only sealed bytes;
* the URL carries only the random id of the hold, never the secret, so access logs and
  the Referer hold nothing that reveals it;
* ``release()`` (the "noted" button) deletes the row and forgets the key.

Rows nobody acknowledged are deleted after ``YISHI_HELD_DAYS``.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import zlib
from datetime import timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app, make_response, session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, select

from core.errors import fail
from core.models import HeldSecret, utcnow
from extensions import db

SESSION_KEY = "held"
# The session cookie must stay small: at most this many holds per browser (oldest go).
MAX_HELD = 20


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _aad(hold_id: str, kind: str) -> bytes:
    return f"yishi-held/1\x00{hold_id}\x00{kind}".encode()


def _owner() -> str:
    """Who makes or reads a hold: the account's id, or "" for someone not logged in."""
    return str(current_user.id) if current_user.is_authenticated else ""


def _entries() -> list[list[str]]:
    """[hold id, key, owner] of this browser's session, oldest first."""
    value = session.get(SESSION_KEY)
    if not isinstance(value, list):
        return []
    return [e for e in value if isinstance(e, list) and len(e) == 3 and all(isinstance(x, str) for x in e)]


def _key_for(hold_id: str) -> bytes | None:
    """The hold's key, if this browser has it and the hold is this account's (or was
    made before anyone logged in)."""
    for entry_id, key, owner in _entries():
        if _same_id(entry_id, hold_id) and owner in ("", _owner()):
            return _unb64(key)
    return None


def _same_id(entry_id: str, hold_id: str) -> bool:
    """Compared as bytes: any text a URL carries (``compare_digest`` refuses non-ASCII
    ``str``, which would be a 500)."""
    return secrets.compare_digest(entry_id.encode(), hold_id.encode())


def hold(kind: str, payload: dict) -> str:
    """Seal ``payload`` for this browser and return the hold's id (for the URL).

    The caller commits, together with whatever made the secret."""
    hold_id, key = reserve()
    seal(hold_id, key, kind, payload)
    return hold_id


def reserve() -> tuple[str, bytes]:
    """A hold's id and key, the key put in this browser's session now, for a payload
    sealed later by ``seal`` (a background job's: see ``core.jobs``). The key is
    handed to the job in memory only; until the job seals, ``read`` answers 404."""
    purge_expired()
    hold_id = secrets.token_urlsafe(16)
    key = AESGCM.generate_key(bit_length=256)
    entries = [*_entries(), [hold_id, _b64(key), _owner()]]
    for dropped, *_rest in entries[:-MAX_HELD]:
        db.session.execute(delete(HeldSecret).where(HeldSecret.id == dropped))
    session[SESSION_KEY] = entries[-MAX_HELD:]
    return hold_id, key


def seal(hold_id: str, key: bytes, kind: str, payload: dict) -> None:
    """Store ``payload`` sealed under a reserved key. The caller commits."""
    nonce = os.urandom(12)
    data = zlib.compress(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    sealed = nonce + AESGCM(key).encrypt(nonce, data, _aad(hold_id, kind))
    db.session.add(HeldSecret(id=hold_id, kind=kind, sealed=sealed))


def hold_passwords(congress_id: int, created: list, back: str) -> str:
    """Hold new initial passwords, ``[(deputy, password), …]``, for the ``core.passwords``
    page; ``back`` is where "noted" leads."""
    return hold("passwords", passwords_payload(congress_id, created, back))


def passwords_payload(congress_id: int, created: list, back: str) -> dict:
    rows = [[d.code, d.name, d.delegation, password] for d, password in created]
    return {"congress_id": congress_id, "rows": rows, "back": back}


def read(kind: str, hold_id: str) -> dict:
    """The payload of a hold of this browser; 404 for anyone else, or once noted."""
    key = _key_for(hold_id)
    row = db.session.get(HeldSecret, hold_id) if key is not None and len(hold_id) <= 32 else None
    if row is None or row.kind != kind:
        fail(404, _("这一页只在生成它的浏览器中显示；点击“我已记下”或退出登录后就不再显示。"))
    try:
        data = AESGCM(key).decrypt(row.sealed[:12], row.sealed[12:], _aad(row.id, row.kind))
    except InvalidTag:
        fail(404, _("这一页只在生成它的浏览器中显示；点击“我已记下”或退出登录后就不再显示。"))
    return json.loads(zlib.decompress(data))


def release_all() -> None:
    """Delete every hold of this browser's session (at logout: a copy of the old cookie
    must not open them afterwards). The caller commits."""
    ids = [entry[0] for entry in _entries()]
    if ids:
        db.session.execute(delete(HeldSecret).where(HeldSecret.id.in_(ids)))
    session.pop(SESSION_KEY, None)


def release(hold_id: str) -> bool:
    """Forget a hold of this browser and delete its row; False if it holds no such hold.

    Only the browser holding the key may release a hold, so an id seen in a log cannot
    be used to destroy someone's codes. The caller commits."""
    entries = _entries()
    kept = [e for e in entries if not (_same_id(e[0], hold_id) and e[2] in ("", _owner()))]
    if len(kept) == len(entries):
        return False
    session[SESSION_KEY] = kept
    db.session.execute(delete(HeldSecret).where(HeldSecret.id == hold_id))
    return True


def release_kind(kind: str) -> None:
    """Release every hold of ``kind`` this browser has (a new tracking code replaces the
    last one). The caller commits."""
    ids = [e[0] for e in _entries()]
    if ids:
        for hold_id in db.session.scalars(
            select(HeldSecret.id).where(HeldSecret.id.in_(ids), HeldSecret.kind == kind)
        ).all():
            release(hold_id)


def carried() -> list[list[str]]:
    """The holds to carry over a login, which starts a fresh session (see ``keep``):
    only those made before anyone logged in, never another account's."""
    return [e for e in _entries() if e[2] == ""]


def keep(entries: list[list[str]]) -> None:
    """Put holds made before the login (an anonymous sign-up, say) into the new session."""
    if entries:
        session[SESSION_KEY] = entries[-MAX_HELD:]


def purge_expired() -> None:
    """Delete holds older than ``YISHI_HELD_DAYS``."""
    cutoff = utcnow() - timedelta(days=current_app.config["YISHI_HELD_DAYS"])
    db.session.execute(delete(HeldSecret).where(HeldSecret.created_at < cutoff))


def page(html: str):
    """A response showing a held secret: never stored by the browser or a proxy."""
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response
