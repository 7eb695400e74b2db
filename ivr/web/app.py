"""The operator page (Starlette + Jinja2): the report's views, the comments with transcript, labels and audio,
label corrections and their export for retraining. Every query is limited to the user's municipality."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import PackageLoader
from sqlalchemy import select
from sqlmodel import Session, col
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ivr.nlu.labels import AREAS, SENTIMENTS
from ivr.nlu.masking import mask_personal_data
from ivr.report.charts import render_charts
from ivr.report.data import (
    PeriodError,
    load_corrections,
    load_figures,
    local_period,
    tenants_in_store,
    with_corrections,
)
from ivr.report.figures import LOCAL_TIME, Period, comment_area_sentiments
from ivr.report.render import period_text, template_context, template_environment
from ivr.settings import Settings
from ivr.store.database import Database
from ivr.store.results import ResultsRepository
from ivr.store.tables import Comment, SurveyResponse
from ivr.web.corrections import CorrectionError, export_corrections, store_correction
from ivr.web.users import User, UserStore

log = logging.getLogger("ivr.web")
SESSION_MAX_AGE_S = 8 * 3600
MAX_FAILURES = 5  # failed logins in a row before the name is locked for LOCKOUT_S
LOCKOUT_S = 300
MAX_COMMENTS = 200  # the newest of the matching comments on one page
# The query parameters a page keeps when it links or redirects.
FILTER_NAMES = ("from", "to", "tenant", "sentiment", "area")


@dataclass(frozen=True)
class Filters:
    first_day: date | None
    last_day: date | None
    tenant: str | None  # the user's own municipality, or an admin's choice (None: all)
    period: Period
    sentiment: str | None = None  # comments: only those with this sentiment
    area: str | None = None  # comments: only those about this area

    def shows(self, comment: Comment) -> bool:
        """Whether the comment (with its effective labels) passes the sentiment and area filters."""
        if self.sentiment and comment.sentiment != self.sentiment:
            return False
        return not self.area or self.area in comment_area_sentiments(comment)

    def query(self) -> str:
        parts = [
            ("from", self.first_day),
            ("to", self.last_day),
            ("tenant", self.tenant),
            ("sentiment", self.sentiment),
            ("area", self.area),
        ]
        return urlencode([(name, str(value)) for name, value in parts if value])


def create_app(settings: Settings, database: Database | None = None) -> Starlette:
    """The page over the settings' database (or `database`); users from the settings' users file."""
    db = database or Database(settings.effective_database_url)
    users = UserStore(settings.effective_web_users_file)
    throttle = LoginThrottle()
    templates = template_environment(PackageLoader("ivr.web", "templates"))
    templates.globals.update(mask=mask_personal_data, local_time=_local_time)
    recordings_dir = settings.effective_recordings_dir.resolve()
    secret = settings.web_secret_key or secrets.token_urlsafe(32)
    if not settings.web_secret_key:
        log.warning(
            "IVR_WEB_SECRET_KEY is not set: a random key is used, sessions end when the page restarts"
        )

    def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        user = current_user(request)
        html = templates.get_template(name).render(
            {**context, "user": user, "csrf_token": csrf_token(request), "request": request}
        )
        return HTMLResponse(html, status_code=status_code)

    def current_user(request: Request) -> User | None:
        name = request.session.get("user")
        return users.get(name) if isinstance(name, str) else None

    def require_user(request: Request) -> User:
        user = current_user(request)
        if user is None:
            raise HTTPException(303, headers={"Location": "/login"})
        return user

    async def check_csrf(request: Request) -> dict[str, Any]:
        form = dict(await request.form())
        sent = str(form.get("csrf_token", ""))
        expected = request.session.get("csrf", "")
        if not expected or not hmac.compare_digest(sent, str(expected)):
            raise HTTPException(
                403, "Formuläret har gått ut eller kom inte från sidan. Ladda om och försök igen."
            )
        return form

    def filters(request: Request, user: User) -> Filters:
        try:
            first = _day(request.query_params.get("from"))
            last = _day(request.query_params.get("to"))
            period = local_period(first, last)
        except (ValueError, PeriodError) as error:
            raise HTTPException(400, f"Ogiltig period: {error}. Ange datum som ÅÅÅÅ-MM-DD.") from None
        chosen = request.query_params.get("tenant") or None
        tenant = user.tenant if not user.is_admin else chosen
        sentiment = request.query_params.get("sentiment") or None
        area = request.query_params.get("area") or None
        if sentiment not in (None, *SENTIMENTS) or area not in (None, *AREAS):
            raise HTTPException(
                400, f"Okänd klassning: välj bland {', '.join(SENTIMENTS)} och {', '.join(AREAS)}."
            )
        return Filters(first, last, tenant, period, sentiment, area)

    async def login_form(request: Request) -> Response:
        return page(request, "login.html", {"error": None})

    async def login(request: Request) -> Response:
        form = await check_csrf(request)
        name = str(form.get("username", ""))
        if throttle.locked(name):
            message = f"För många misslyckade försök. Vänta {LOCKOUT_S // 60} minuter och försök igen."
            return page(request, "login.html", {"error": message}, 429)
        user = await run_in_threadpool(users.authenticate, name, str(form.get("password", "")))
        if user is None:
            throttle.failed(name)
            return page(request, "login.html", {"error": "Fel användarnamn eller lösenord."}, 401)
        throttle.succeeded(name)
        request.session.clear()  # a new session at login: no fixation
        request.session.update({"user": user.name, "csrf": secrets.token_urlsafe(32)})
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        await check_csrf(request)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    async def report(request: Request) -> Response:
        user = require_user(request)
        chosen = filters(request, user)
        figures = await run_in_threadpool(
            load_figures, db, chosen.period, tenant=chosen.tenant, pseudonym_key=settings.caller_salt
        )
        context = template_context(figures, await run_in_threadpool(render_charts, figures))
        choices = await run_in_threadpool(_filter_context, db, user, chosen)
        return page(request, "report.html", {**context, **choices})

    async def comments(request: Request) -> Response:
        user = require_user(request)
        chosen = filters(request, user)
        repo = ResultsRepository(db)
        period = chosen.period
        records = await run_in_threadpool(repo.responses, chosen.tenant, period.since, period.until)
        corrections = await run_in_threadpool(load_corrections, db, chosen.tenant)
        effective = {c.id: c for r in with_corrections(records, corrections) for c in r.comments}
        rows = [
            {
                "record": record,
                "comment": comment,
                "labels": comment_area_sentiments(comment),
                "correction": corrections.get(comment.id),
            }
            for record in reversed(records)
            for comment in record.comments
            if chosen.shows(effective[comment.id])
        ]
        context = {
            "rows": rows[:MAX_COMMENTS],
            "matching": len(rows),
            "max_comments": MAX_COMMENTS,
            "areas": AREAS,
            "sentiments": SENTIMENTS,
            "period_text": period_text(chosen.period),
        }
        choices = await run_in_threadpool(_filter_context, db, user, chosen)
        return page(request, "comments.html", {**context, **choices})

    async def correct(request: Request) -> Response:
        user = require_user(request)
        form = await check_csrf(request)
        comment_id = _uuid(request.path_params["comment_id"])
        by_area: dict[str, str] = {a: str(form[f"area_{a}"]) for a in AREAS if form.get(f"area_{a}")}
        try:
            sentiment = str(form.get("sentiment", ""))
            await run_in_threadpool(
                store_correction, db, comment_id, user.tenant, sentiment, by_area, user.name
            )
        except (CorrectionError, ValueError) as error:
            raise HTTPException(400, f"Rättelsen sparades inte: {error}") from None
        back = urlencode([(k, v) for k, v in parse_qsl(str(form.get("back", ""))) if k in FILTER_NAMES])
        return RedirectResponse(f"/kommentarer?{back}#c-{comment_id}", status_code=303)

    async def recording(request: Request) -> Response:
        user = require_user(request)
        comment_id = _uuid(request.path_params["comment_id"])
        path, tenant = await run_in_threadpool(_comment_recording, db, comment_id)
        if path is None or (user.tenant is not None and tenant != user.tenant):
            raise HTTPException(404, "Ingen sådan inspelning.")
        resolved = await run_in_threadpool(_inside, recordings_dir / str(tenant), path)
        if resolved is None:
            raise HTTPException(404, "Ingen sådan inspelning.")
        return FileResponse(resolved, media_type="audio/wav")

    async def export(request: Request) -> Response:
        user = require_user(request)
        await check_csrf(request)
        if not user.is_admin:
            raise HTTPException(403, "Bara en administratör kan exportera rättelser till träningsdata.")
        path, count = await run_in_threadpool(export_corrections, db, settings.nlu_dir / "data")
        return page(request, "exported.html", {"path": path, "count": count})

    routes = [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", report, methods=["GET"]),
        Route("/kommentarer", comments, methods=["GET"]),
        Route("/kommentarer/{comment_id}", correct, methods=["POST"]),
        Route("/inspelning/{comment_id}", recording, methods=["GET"]),
        Route("/export", export, methods=["POST"]),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=secret,
            session_cookie="ivr_session",
            max_age=SESSION_MAX_AGE_S,
            same_site="strict",
            https_only=settings.web_secure_cookies,
        ),
    ]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 303:
            return RedirectResponse(exc.headers["Location"] if exc.headers else "/login", status_code=303)
        return page(request, "error.html", {"message": exc.detail}, exc.status_code)

    return Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: http_error})


class LoginThrottle:
    """Locks a user name for LOCKOUT_S after MAX_FAILURES failed logins in a row (per page process)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, tuple[int, float]] = {}

    def locked(self, name: str) -> bool:
        count, last = self._failures.get(name, (0, 0.0))
        if count >= MAX_FAILURES and self._clock() - last < LOCKOUT_S:
            return True
        if count >= MAX_FAILURES:
            del self._failures[name]
        return False

    def failed(self, name: str) -> None:
        count, _ = self._failures.get(name, (0, 0.0))
        self._failures[name] = (count + 1, self._clock())

    def succeeded(self, name: str) -> None:
        self._failures.pop(name, None)


class SecurityHeaders:
    """No framing, no scripts, nothing loaded from elsewhere (the charts are inline images), no referrer."""

    HEADERS = (
        (
            b"content-security-policy",
            b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            b"script-src 'none'; frame-ancestors 'none'; form-action 'self'",
        ),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"cache-control", b"no-store"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _filter_context(db: Database, user: User, chosen: Filters) -> dict[str, Any]:
    return {
        "filters": chosen,
        "tenant_choices": tenants_in_store(db) if user.is_admin else [],
    }


def _comment_recording(db: Database, comment_id: uuid.UUID) -> tuple[str | None, str | None]:
    with Session(db.engine) as session:
        row = session.execute(
            select(col(Comment.recording_path), col(SurveyResponse.tenant))
            .join(SurveyResponse, col(SurveyResponse.id) == col(Comment.response_id))
            .where(col(Comment.id) == comment_id)
        ).first()
    return (row[0], row[1]) if row else (None, None)


def _inside(own_dir: Path, path: str) -> Path | None:
    """The recording's real path when it is a file inside `own_dir` (links and '..' resolved first)."""
    resolved = (own_dir.parent / path).resolve()  # an absolute `path` stays as it is
    return resolved if resolved.is_relative_to(own_dir.resolve()) and resolved.is_file() else None


def _local_time(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise HTTPException(404, "Ingen sådan kommentar.") from None
