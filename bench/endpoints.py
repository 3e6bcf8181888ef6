"""Baseline endpoints served by the same server in the same run (only when
``YISHI_BENCH=1``): a bare answer, and one durable insert of a 300-byte row."""

import os

from flask import Blueprint, Flask
from sqlalchemy import text

from extensions import csrf, db

bp = Blueprint("bench", __name__, url_prefix="/_bench")
ROW = "x" * 300


@bp.get("/bare")
def bare():
    return "ok"


@bp.post("/insert")
@csrf.exempt
def insert():
    db.session.execute(text("INSERT INTO bench_insert (payload) VALUES (:p)"), {"p": ROW})
    db.session.commit()
    return "ok", 201


def register(app: Flask) -> None:
    if os.environ.get("YISHI_BENCH") == "1":
        app.register_blueprint(bp)
