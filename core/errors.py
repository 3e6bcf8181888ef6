"""Error pages and JSON errors in the user's language. Every error rolls back."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from extensions import db


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("请求有误"), _("请求无法处理，请检查后重试。")),
        401: (_("需要登录"), _("请先登录。")),
        403: (_("没有权限"), _("您没有访问此页面的权限。")),
        404: (_("页面不存在"), _("您要找的页面不存在或尚未公开。")),
        405: (_("方法不允许"), _("此页面不接受这种请求。")),
        409: (_("状态冲突"), _("此操作与当前状态冲突，可能已经完成过。")),
        413: (_("内容过大"), _("提交的内容超过了允许的大小。")),
        422: (_("无法处理"), _("提交的内容不符合要求。")),
        429: (_("请求过于频繁"), _("请求过于频繁，请稍后再试。")),
        500: (_("服务器错误"), _("服务器出现错误，已记录，请稍后再试。已保存的数据不受影响。")),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"
    )


def error_response(status: int, message: str | None = None, code: str | None = None):
    """Render an error page or a JSON error of the protocol's shape."""
    title, default = _messages().get(status, _messages()[500])
    message = message or default
    if wants_json():
        body = {"error": code or _CODES.get(status, "error"), "message": message}
        return jsonify(body), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


_CODES = {
    400: "bad_request",
    401: "login_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "bad_request",
    429: "rate_limited",
    500: "server_error",
}


def refuse_nul_bytes():
    """NUL has no place in a URL or a form field, and PostgreSQL refuses it in text:
    answer 400 before any query runs."""
    values = [request.path, *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values.extend(request.form.values())
    if any("\x00" in value for value in values):
        return error_response(400, _("请求中含有不允许的控制字符。"))
    return None


class DomainError(Exception):
    """A request the rules refuse: an HTTP status, a machine code and a message for the
    user, in the request's language. Each package's refusals derive from it
    (``PollError``, ``CycleError``, ``AssessmentError``, ``DeliberationError``), and one
    handler answers them all: rolled back, as a page or as JSON as the request wants."""

    def __init__(self, status: int, message: str = "", code: str | None = None):
        super().__init__(message or code or status)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self._message = message

    @property
    def message(self) -> str:
        """The text for the user; a subclass may build it from its code lazily."""
        return self._message


def register_error_handlers(app: Flask) -> None:
    app.before_request(refuse_nul_bytes)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        if exc.status >= 500:
            app.logger.error("refused with %s on %s %s: %s", exc.code, request.method, request.path, exc)
        return error_response(exc.status, exc.message, exc.code)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        db.session.rollback()
        return error_response(400, _("表单已过期或缺少安全令牌（CSRF），请刷新页面后重新提交。"), "csrf_failed")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        db.session.rollback()
        status = exc.code or 500
        # Only messages we wrote ourselves (abort(…, description=…)) are shown.
        custom = exc.description if getattr(exc, "yishi_message", False) else None
        return error_response(status, custom)

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)


class UserError(HTTPException):
    """An HTTP error with a message meant for the user (already translated)."""

    yishi_message = True

    def __init__(self, status: int, message: str):
        self.code = status
        super().__init__(description=message)


def fail(status: int, message: str):
    """Abort the request with ``status`` and a translated message for the user."""
    raise UserError(status, message)
