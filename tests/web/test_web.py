"""The operator page over HTTP: login, one municipality's data only, recordings, corrections, export."""

from __future__ import annotations

import re
import uuid

from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from ivr.nlu.data import load_file
from ivr.settings import Settings
from ivr.store.database import Database
from ivr.store.tables import Comment, LabelCorrection, SurveyResponse
from ivr.web.app import LOCKOUT_S, MAX_FAILURES, LoginThrottle

from .conftest import PASSWORD, csrf, log_in


def _comment_ids(database: Database) -> dict[str, list[uuid.UUID]]:
    with Session(database.engine) as session:
        rows = session.exec(
            select(Comment.id, SurveyResponse.tenant).join(
                SurveyResponse, col(SurveyResponse.id) == col(Comment.response_id)
            )
        ).all()
    grouped: dict[str, list[uuid.UUID]] = {}
    for comment_id, tenant in rows:
        grouped.setdefault(tenant, []).append(comment_id)
    return grouped


def test_every_page_needs_a_login(client: TestClient, filled: Database) -> None:
    some_comment = _comment_ids(filled)["alfa"][0]
    for path in ("/", "/kommentarer", f"/inspelning/{some_comment}"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
    wrong = client.post("/login", data={"username": "anna", "password": "fel", "csrf_token": csrf(client)})
    assert wrong.status_code == 401
    assert "Fel användarnamn eller lösenord" in wrong.text
    forged = client.post("/login", data={"username": "anna", "password": PASSWORD, "csrf_token": "x"})
    assert forged.status_code == 403


def test_repeated_failed_logins_lock_the_name_for_a_while(client: TestClient) -> None:
    for _ in range(5):
        failed = client.post(
            "/login", data={"username": "anna", "password": "fel", "csrf_token": csrf(client)}
        )
        assert failed.status_code == 401
    right = {"username": "anna", "password": PASSWORD, "csrf_token": csrf(client)}
    locked = client.post("/login", data=right, follow_redirects=False)
    assert locked.status_code == 429
    assert "För många misslyckade försök" in locked.text
    log_in(client, "bert")  # another name is not locked


def test_the_lock_ends_after_its_time() -> None:
    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for _ in range(MAX_FAILURES):
        throttle.failed("anna")
    assert throttle.locked("anna")
    now[0] += LOCKOUT_S + 1
    assert not throttle.locked("anna")
    throttle.failed("anna")
    assert not throttle.locked("anna")  # counting starts again


def test_the_session_cookie_is_secure_http_only_and_strict(client: TestClient) -> None:
    header = log_in(client, "anna")
    cookie = next(c for c in client.cookies.jar if c.name == "ivr_session")
    assert cookie.secure
    page = client.get("/")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert "httponly" in header.lower()
    assert "samesite=strict" in header.lower()


def test_a_municipality_sees_only_its_own_report_and_comments(client: TestClient) -> None:
    log_in(client, "anna")
    report = client.get("/?from=2026-03-01&to=2026-03-31&tenant=beta")  # asking for another's is ignored
    assert report.status_code == 200
    ranking = report.text.split('id="kommuner"')[1].split("</table>")[0]
    assert "<td>alfa</td>" in ranking
    assert "beta" not in ranking
    assert 'data-chart="kommuner"' in report.text
    comments = client.get("/kommentarer?tenant=beta")
    assert "det tog lite tid" in comments.text
    assert "bra upplevelse" not in comments.text  # beta's comment
    assert "070-123 45 67" not in comments.text  # transcripts are shown masked
    assert "[TELEFONNUMMER]" in comments.text


def test_comments_filtered_by_sentiment_and_area(client: TestClient) -> None:
    log_in(client, "admin")
    negative_wait = client.get("/kommentarer?sentiment=negativ&area=vantetid").text
    assert "trevlig men lång kö" in negative_wait
    assert "det tog lite tid" not in negative_wait  # skeptisk about the wait
    about_agent = client.get("/kommentarer?area=handlaggaren").text
    assert "trevlig men lång kö" in about_agent
    assert "[TELEFONNUMMER]" in about_agent
    assert "bra upplevelse" not in about_agent
    assert "2 kommentarer" in about_agent
    assert client.get("/kommentarer?area=parkering").status_code == 400


def test_an_admin_sees_every_municipality_and_filters_by_one(client: TestClient) -> None:
    log_in(client, "admin")
    everything = client.get("/").text.split('id="kommuner"')[1].split("</table>")[0]
    assert "<td>alfa</td>" in everything
    assert "<td>beta</td>" in everything
    only_beta = client.get("/?tenant=beta").text.split('id="kommuner"')[1].split("</table>")[0]
    assert "<td>alfa</td>" not in only_beta
    bad = client.get("/?from=2026-13-01")
    assert bad.status_code == 400
    assert "ÅÅÅÅ-MM-DD" in bad.text


def test_recordings_only_of_the_users_municipality(client: TestClient, filled: Database) -> None:
    ids = _comment_ids(filled)
    log_in(client, "anna")
    own = client.get(f"/inspelning/{ids['alfa'][0]}")
    assert own.status_code == 200
    assert own.content == b"RIFFalfa"
    assert own.headers["content-type"] == "audio/wav"
    assert client.get(f"/inspelning/{ids['beta'][0]}").status_code == 404
    assert client.get("/inspelning/inte-ett-id").status_code == 404
    # A stored path that climbs out of the municipality's folder is refused, though the file exists.
    with Session(filled.engine) as session:
        comment = session.get(Comment, ids["alfa"][0])
        assert comment is not None
        comment.recording_path = "alfa/../" + session.get(Comment, ids["beta"][0]).recording_path  # type: ignore[union-attr]
        session.add(comment)
        session.commit()
    assert client.get(f"/inspelning/{ids['alfa'][0]}").status_code == 404


def test_a_correction_is_stored_with_who_and_when_and_exported(
    client: TestClient, filled: Database, settings: Settings
) -> None:
    ids = _comment_ids(filled)
    with Session(filled.engine) as session:
        target = next(c for c in session.scalars(select(Comment)) if c.transcript == "det tog lite tid")
    log_in(client, "anna")
    token = csrf(client, "/kommentarer")
    stored = client.post(
        f"/kommentarer/{target.id}",
        data={"csrf_token": token, "sentiment": "negativ", "area_vantetid": "negativ"},
        follow_redirects=False,
    )
    assert stored.status_code == 303
    foreign = client.post(
        f"/kommentarer/{ids['beta'][0]}",
        data={"csrf_token": token, "sentiment": "negativ"},
        follow_redirects=False,
    )
    assert foreign.status_code == 400
    no_token = client.post(f"/kommentarer/{target.id}", data={"sentiment": "positiv"}, follow_redirects=False)
    assert no_token.status_code == 403
    with Session(filled.engine) as session:
        (correction,) = session.scalars(select(LabelCorrection)).all()
    assert (correction.comment_id, correction.tenant, correction.corrected_by) == (target.id, "alfa", "anna")
    assert (correction.sentiment, correction.by_area) == ("negativ", {"vantetid": "negativ"})
    assert correction.corrected_at is not None
    assert "Rättad av anna" in client.get("/kommentarer").text

    assert client.post("/export", data={"csrf_token": token}).status_code == 403  # only an admin exports
    client.post("/logout", data={"csrf_token": token})
    log_in(client, "admin")
    exported = client.post("/export", data={"csrf_token": csrf(client, "/")})
    assert exported.status_code == 200
    (example,) = load_file(settings.nlu_dir / "data" / "corrections.yml")
    assert (example.text, example.sentiment, example.areas) == ("det tog lite tid", "negativ", ("vantetid",))
    assert re.search(r"1 rättade kommentarer", exported.text)
