"""Plain functions every test folder uses: accounts, logins, CSRF tokens and congresses.

Fixtures live in the conftest.py files and are built from functions like these; a
package's own builders are in ``tests/<package>/factories.py`` (docs/development.md, Tests).
"""

from __future__ import annotations

import re

from core.models import Congress, Deputy, Session, User
from extensions import db

FAST_HASH = "pbkdf2:sha256:1000"
PASSWORD = "correct-horse-42"

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|data-csrf="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def csrf_token(client, url: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page's form."""
    return csrf_from(client.get(url).get_data(as_text=True))


def last_page(client, url: str, pages: int) -> str:
    """The page of ``url``, which asks for a page past the last: it shows the last one
    (``core.listing``), not an error."""
    response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f"第 {pages} / {pages} 页" in html, url
    return html


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def make_user(
    username: str,
    role: str = "staff",
    *,
    deputy: Deputy | None = None,
    password: str = PASSWORD,
    must_change: bool = False,
) -> User:
    from werkzeug.security import generate_password_hash

    user = User(
        username=username,
        display_name=username,
        role=role,
        deputy=deputy,
        password_hash=generate_password_hash(password, method=FAST_HASH),
        must_change_password=must_change,
    )
    db.session.add(user)
    db.session.commit()
    return user


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"


def deputy_account(deputy: Deputy, pw_hash: str) -> User:
    """The deputy's login, under their code, with a known password's hash."""
    return User(
        username=deputy.code,
        display_name=deputy.name,
        role="deputy",
        deputy=deputy,
        password_hash=pw_hash,
        must_change_password=False,
    )


def make_congress(
    n: int = 10,
    *,
    delegations: int = 4,
    name: str = "测试县第十八届人民代表大会",
    with_accounts: bool = True,
    prefix: str = "D",
):
    """A congress with ``n`` deputies D001… (``prefix`` changes the D) and one session;
    accounts share PASSWORD."""
    from datetime import date

    from werkzeug.security import generate_password_hash

    congress = Congress(name=name)
    db.session.add(congress)
    pw_hash = generate_password_hash(PASSWORD, method=FAST_HASH)
    for i in range(1, n + 1):
        deputy = Deputy(
            congress=congress,
            code=f"{prefix}{i:03d}",
            name=SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[i % len(GIVEN)],
            delegation=f"第{(i % delegations) + 1}代表团",
        )
        db.session.add(deputy)
        if with_accounts:
            db.session.add(deputy_account(deputy, pw_hash))
    session = Session(
        congress=congress, name="第十八届人大第四次会议", starts_on=date(2027, 1, 12), ends_on=date(2027, 1, 15)
    )
    db.session.add(session)
    db.session.commit()
    return congress, session
