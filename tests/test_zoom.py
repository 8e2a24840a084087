"""Zoom for real: the client, the jobs and the webhook endpoint against the local Zoom
stand-in (tests/zoom_standin.py) on loopback."""

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from zoom_standin import ZoomStandin

from meetings.zoom import connections, meeting_sync, oauth, webhooks
from meetings.zoom.client import ZoomClient
from models import (
    Attendance,
    Day,
    DayFormat,
    Email,
    Recording,
    Registration,
    Role,
    Status,
    ZoomConnection,
    ZoomMeeting,
    ZoomRole,
    ZoomSettings,
    db,
    utcnow,
)

WEBHOOK_VECTOR_BODY = (
    b'{"event":"meeting.started","payload":{"account_id":"AAAA","object":{"id":"85746065432",'
    b'"uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"z8yAAAAA8bbbQ","topic":"Workshop day 1",'
    b'"type":2,"start_time":"2026-03-14T04:30:00Z","timezone":"Asia/Kolkata","duration":120}},'
    b'"event_ts":1773462600123}'
)


@pytest.fixture
def standin(app):
    server = ZoomStandin().start()
    app.config.update(server.config())
    yield server
    server.stop()


@pytest.fixture
def connected(app, standin):
    """The company's account, connected through the OAuth round trip's token call."""
    with app.test_request_context("/"), db.connection_context():
        return connections.connect(None, oauth_tokens(standin))


def oauth_tokens(standin):
    """A code from the stand-in's authorize redirect, exchanged by the real client."""
    verifier, challenge = oauth.new_pkce()
    redirect_uri = "http://127.0.0.1:5000/zoom/oauth/callback"
    answer = standin.dispatch_url(oauth.authorize_url(redirect_uri, "s", challenge))
    code = parse_qs(urlsplit(answer).query)["code"][0]
    return oauth.exchange_code(code, redirect_uri, verifier)


def _authorize_redirect(self, url):
    from werkzeug.test import Client

    response = Client(self).get(url.removeprefix(self.url))
    return response.headers["Location"]


ZoomStandin.dispatch_url = _authorize_redirect


@pytest.fixture
def zoom_day(make_event, make_session, make_day, make_user):
    def make(role=ZoomRole.ADMINISTRATOR, hours=2, start="2030-03-01T10:00", **fields):
        session = make_session(make_event(is_active=True))
        organizer = make_user(Role.HOST)
        return make_day(
            session,
            start=start,
            hours=hours,
            format=DayFormat.ZOOM,
            address="",
            zoom_role=role,
            zoom_organizer=organizer,
            **fields,
        )

    return make


def reload(day):
    with db.connection_context():
        return Day.get_by_id(day.id)


# OAuth and tokens --------------------------------------------------------------------------


def test_zoom_oauth_round_trip_checks_state_and_stores_tokens_encrypted(app, admin, standin):
    start = admin.post("/admin/zoom/connect")
    assert start.status_code == 302
    authorize = urlsplit(start.headers["Location"])
    query = parse_qs(authorize.query)
    assert query["code_challenge_method"] == ["S256"] and query["state"][0]

    forged = standin.dispatch_url(start.headers["Location"].replace(query["state"][0], "forged"))
    refused = admin.get(urlsplit(forged).path + "?" + urlsplit(forged).query)
    assert refused.status_code == 400
    assert "did not start here" in refused.text
    with db.connection_context():
        assert ZoomConnection.select().count() == 0

    start = admin.post("/admin/zoom/connect")
    back = urlsplit(standin.dispatch_url(start.headers["Location"]))
    done = admin.get(f"{back.path}?{back.query}")
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/settings")
    with app.app_context(), db.connection_context():
        connection = ZoomConnection.get()
        assert connection.user_id is None
        assert connection.email == "host@example.org" and connection.account_type == 2
        assert connection.access_token and connection.access_token not in standin.tokens
        assert oauth.unseal(connection.access_token) in standin.tokens
    page = admin.get("/admin/settings")
    assert "host@example.org" in page.text and "Disconnect Zoom" in page.text

    # The callback cannot be replayed: the state was spent.
    assert admin.get(f"{back.path}?{back.query}").status_code == 400


def test_zoom_token_is_refreshed_before_expiry_and_the_new_refresh_token_kept(
    app, connected, standin
):
    with app.test_request_context("/"), db.connection_context():
        old_refresh = oauth.unseal(connected.refresh_token)
        ZoomConnection.update(expires_at=utcnow() + timedelta(seconds=30)).execute()
        client = ZoomClient(ZoomConnection.get())
        assert client.me()["type"] == 2
        stored = ZoomConnection.get()
        assert stored.expires_at > utcnow() + timedelta(minutes=50)
        assert oauth.unseal(stored.refresh_token) != old_refresh
        assert old_refresh not in standin.refresh_tokens  # rotated at Zoom


def test_zoom_401_refreshes_once_then_revoked_token_shows_on_the_day(
    app, connected, standin, zoom_day
):
    day = zoom_day()
    standin.expire_tokens()  # Zoom answers 401 code 124: the client refreshes and goes on
    with app.test_request_context("/"), db.connection_context():
        assert ZoomClient(ZoomConnection.get()).me()["email"] == "host@example.org"
    standin.revoke_all()
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.sync_day_meeting.call_local(day.id)
        assert ZoomConnection.get().problem == "revoked"
    day = reload(day)
    assert day.zoom.state == "refused"
    assert "connect the account again" in day.zoom.error
    assert day.zoom.meeting_id is None


def test_zoom_server_to_server_token(admin, standin):
    answer = admin.htmx("post", "/admin/zoom/server-to-server")
    assert answer.status_code == 200
    assert "Server-to-Server app" in answer.text
    with db.connection_context():
        connection = ZoomConnection.get()
        assert connection.kind == "s2s" and connection.refresh_token == ""


def test_zoom_disconnect_revokes_the_token(admin, standin, connected):
    answer = admin.htmx("post", "/admin/zoom/disconnect")
    assert "Connect Zoom account" in answer.text
    assert standin.tokens == {}
    with db.connection_context():
        assert ZoomConnection.select().count() == 0


# Meetings follow days ----------------------------------------------------------------------


@pytest.mark.every_database
def test_zoom_day_create_update_delete_idempotent_under_retried_job(
    app, admin, connected, standin, zoom_day
):
    day = zoom_day()
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.sync_day_meeting.call_local(day.id)
        meeting_sync.sync_day_meeting.call_local(day.id)  # the same job again
        # A worker that died after Zoom made the meeting but before the id was kept:
        ZoomMeeting.update(meeting_id=None).where(ZoomMeeting.day == day.id).execute()
        meeting_sync.sync_day_meeting.call_local(day.id)
    assert len(standin.meetings) == 1
    meeting = next(iter(standin.meetings.values()))
    day = reload(day)
    assert day.zoom.state == "ready" and day.zoom.meeting_id == str(meeting["id"])
    assert meeting["type"] == 2 and meeting["start_time"] == "2030-03-01T07:00:00Z"
    assert meeting["duration"] == 120 and meeting["timezone"] == "Europe/Moscow"
    assert meeting["topic"] == "Leadership Training — Daytime"
    assert meeting["settings"]["waiting_room"] and not meeting["settings"]["join_before_host"]

    edit = admin.htmx(
        "post",
        f"/admin/days/{day.id}",
        data={
            "start": "2030-03-01T11:00",
            "end": "2030-03-01T12:30",
            "format": "zoom",
            "zoom_role": "administrator",
            "zoom_organizer": str(day.zoom_organizer_id),
        },
    )
    assert edit.status_code == 200, edit.text
    assert "Ready" in edit.text and "Start conference" in edit.text
    assert len(standin.meetings) == 1
    assert meeting["start_time"] == "2030-03-01T08:00:00Z" and meeting["duration"] == 90
    assert ("POST", "/users/me/meetings") in standin.calls
    assert standin.rest_calls("PATCH")

    admin.htmx("delete", f"/admin/days/{day.id}")
    assert standin.meetings == {}
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.delete_meeting.call_local(meeting["id"], connected.id)  # retried: still fine


def test_zoom_429_waits_for_retry_after_and_5xx_backs_off(app, connected, standin, zoom_day):
    day = zoom_day()
    standin.fail_next("GET", "/users/me/meetings", 429, {"Retry-After": "7"})
    with app.test_request_context("/"), db.connection_context():
        scheduled_before = len(meeting_sync.sync_day_meeting.huey.scheduled())
        meeting_sync.sync_day_meeting.call_local(day.id)
        later = meeting_sync.sync_day_meeting.huey.scheduled()
    day = reload(day)
    assert day.zoom.state == "creating"
    assert "trying again in 7 s" in day.zoom.error
    assert len(later) == scheduled_before + 1
    assert later[-1].args == (day.id, 1)
    assert standin.meetings == {}

    standin.fail_next("POST", "/users/me/meetings", 503)
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.sync_day_meeting.call_local(day.id, 1)
        assert "trying again in 60 s" not in reload(day).zoom.error
        meeting_sync.sync_day_meeting.call_local(day.id, 2)  # the scheduled retry runs
    assert reload(day).zoom.state == "ready"
    assert len(standin.meetings) == 1


def test_zoom_refusal_shows_on_the_row_with_retry(app, admin, connected, standin, zoom_day):
    day = zoom_day()
    standin.fail_next("POST", "/users/me/meetings", 400)
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.sync_day_meeting.call_local(day.id)
    row = admin.htmx("get", f"/admin/days/{day.id}/zoom")
    assert "Zoom refused: Stand-in failure 400" in row.text and "Retry" in row.text
    again = admin.htmx("post", f"/admin/days/{day.id}/zoom/retry")
    assert "Ready" in again.text
    assert len(standin.meetings) == 1


def test_zoom_start_fetches_a_fresh_start_url_for_the_organizer_only(
    app, sign_in, admin, connected, standin, zoom_day
):
    day = zoom_day()
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.sync_day_meeting.call_local(day.id)
    first = admin.get(f"/zoom/days/{day.id}/start").headers["Location"]
    second = admin.get(f"/zoom/days/{day.id}/start").headers["Location"]
    assert "/s/" in first and first != second  # fetched each time
    member = sign_in(Role.MEMBER)
    assert member.get(f"/zoom/days/{day.id}/start").status_code == 404


def test_zoom_role_warnings_and_free_limit(app, admin, connected, standin, zoom_day):
    standin.account_type = 1
    with app.test_request_context("/"), db.connection_context():
        connections.refresh_account_type(ZoomConnection.get())
    day = zoom_day(role=ZoomRole.ADMINISTRATOR)
    text = admin.htmx("get", f"/admin/days/{day.id}/zoom").text
    assert "Basic (free) account" in text
    long_day = zoom_day(role=ZoomRole.PARTICIPANT, hours=1, start="2030-03-02T10:00")
    text = admin.htmx("get", f"/admin/days/{long_day.id}/zoom").text
    assert "after 40 minutes" in text and "up to 100 people" in text
    assert "Basic (free)" not in text


# Webhooks ----------------------------------------------------------------------------------


def test_zoom_webhook_signature_matches_the_documented_vectors():
    assert (
        webhooks.signature("test_secret_token", "1773462600", WEBHOOK_VECTOR_BODY)
        == "v0=9d484fd0360315b638ae57b6033132d2f608a1fbe1f122ed242edce5861fc6ab"
    )
    assert webhooks.url_validation("test_secret_token", "qgg8vlvZRS6UYooatFL8Aw")[
        "encryptedToken"
    ] == ("4efea922935c335d972476de138d2208a0d46ab28c79ee592d497a1b216419b8")
    validation = (
        b'{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,'
        b'"event":"endpoint.url_validation"}'
    )
    assert webhooks.signature("test_secret_token", "1654503849", validation) == (
        "v0=66ce5d2b1decb80b90438894342aa45e31db6c152ee8e7269f15008248678bf5"
    )


def test_zoom_webhook_url_validation_and_refused_signatures(app, live_server, standin):
    url = f"{live_server.url}/zoom/webhook"
    status, body = standin.send_webhook(
        url, "endpoint.url_validation", {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}
    )
    assert status == 200
    assert "4efea922935c335d972476de138d2208a0d46ab28c79ee592d497a1b216419b8" in body

    bad, _ = standin.send_webhook(url, "meeting.started", {"id": "1"}, secret="wrong")
    stale, _ = standin.send_webhook(
        url, "meeting.started", {"id": "1"}, timestamp=int(time.time()) - 301
    )
    assert (bad, stale) == (401, 401)
    client = app.test_client()
    unsigned = client.post("/zoom/webhook", data=b"{}", without_csrf=True)
    assert unsigned.status_code == 401


@pytest.mark.every_database
def test_zoom_webhooks_are_handled_once_and_attendance_sets_statuses(
    app, admin, live_server, connected, standin, zoom_day, make_user
):
    day = zoom_day(start="2024-03-01T10:00")  # over
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.sync_day_meeting.call_local(day.id)
    day = reload(day)
    alice, bob, carol = (
        make_user(Role.MEMBER, email=f"{n}@example.com") for n in ("alice", "bob", "carol")
    )
    with db.connection_context():
        for person in (alice, bob, carol):
            Registration.create(
                session=day.session_id,
                event=day.session.event_id,
                user=person,
                status=Status.CONFIRM_PARTICIPATION,
            )
    url = f"{live_server.url}/zoom/webhook"
    obj = {"id": day.zoom.meeting_id, "uuid": "abc//def==", "topic": "T", "type": 2}
    joined = {
        **obj,
        "participant": {
            "user_name": "Bob",
            "email": "BOB@example.com",
            "join_time": "2030-03-01T07:01:00Z",
        },
    }
    for _ in range(2):
        assert standin.send_webhook(url, "meeting.started", obj)[0] == 204
        assert standin.send_webhook(url, "meeting.participant_joined", joined)[0] == 204
    # The report (paginated, two rows a page): Alice in two segments, 70 minutes of 120.
    standin.attend("abc//def==", "alice@example.com", "Alice", 40)
    standin.attend("abc//def==", "alice@example.com", "Alice", 30)
    standin.attend("abc//def==", "bob@example.com", "Bob", 20)
    standin.attend("abc//def==", "guest@example.com", "Guest", 100)
    assert (
        standin.send_webhook(url, "meeting.ended", {**obj, "end_time": "2030-03-01T09:00:00Z"})[0]
        == 204
    )
    assert ("GET", "/report/meetings/abc%2F%2Fdef%3D%3D/participants") in standin.calls
    with db.connection_context():
        minutes = {row.person: row.seconds // 60 for row in Attendance.select()}
    assert minutes == {"alice@example.com": 70, "bob@example.com": 20, "guest@example.com": 100}

    page = admin.get(f"/admin/events/{day.session.event_id}/registrations")
    assert "70 min" in page.text
    tab = f"/admin/events/{day.session.event_id}/registrations"
    applied = admin.htmx("post", f"{tab}/zoom-attendance")
    assert applied.status_code == 200, applied.text
    with db.connection_context():
        statuses = {r.user.email: r.status for r in Registration.select()}
    assert statuses["alice@example.com"] == Status.PARTICIPATED  # 70 of 120 ≥ 50 %
    assert statuses["bob@example.com"] == Status.MISSED
    assert statuses["carol@example.com"] == Status.MISSED  # never came

    recording = {
        **obj,
        "recording_files": [
            {
                "id": "rec-1",
                "recording_type": "shared_screen_with_speaker_view",
                "file_type": "MP4",
                "recording_start": "2030-03-01T07:00:00Z",
                "recording_end": "2030-03-01T08:55:00Z",
                "play_url": "https://zoom.example/rec/play/1",
                "download_url": "https://zoom.example/rec/download/1",
            }
        ],
    }
    for _ in range(2):
        standin.send_webhook(url, "recording.completed", recording)
    with db.connection_context():
        assert Recording.select().count() == 1
        ZoomSettings.update(keeps_records=False).execute()
    shown = admin.get(f"/zoom/days/{day.id}/recordings")
    assert "https://zoom.example/rec/play/1" in shown.text and "1 h 55 min" in shown.text.replace(
        "\xa0", " "
    )


# Participants ------------------------------------------------------------------------------


def test_zoom_join_shortly_before_start_and_in_the_ics(app, sign_in, connected, standin, zoom_day):
    soon = (utcnow() + timedelta(hours=3, minutes=10)).strftime("%Y-%m-%dT%H:%M")  # Moscow
    day = zoom_day(start=soon, hours=1)
    later = zoom_day(start="2030-03-05T10:00", hours=1)
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.sync_day_meeting.call_local(day.id)
        meeting_sync.sync_day_meeting.call_local(later.id)
    day, later = reload(day), reload(later)
    member = sign_in(Role.MEMBER)
    with db.connection_context():
        for each in (day, later):
            Registration.create(
                session=each.session_id, event=each.session.event_id, user=member.user
            )

    page = member.get(f"/events/{day.session.event_id}")
    assert f"/zoom/days/{day.id}/join" in page.text
    joined = member.get(f"/zoom/days/{day.id}/join")
    assert joined.status_code == 302 and joined.headers["Location"] == day.zoom.join_url

    page = member.get(f"/events/{later.session.event_id}")
    assert "appears 15 minutes before the start" in page.text
    assert f"/zoom/days/{later.id}/join" not in page.text
    assert member.get(f"/zoom/days/{later.id}/join").status_code == 409

    ics = member.get(f"/days/{later.id}.ics").text.replace("\r\n ", "")
    assert f"LOCATION:{later.zoom.join_url}" in ics and f"URL:{later.zoom.join_url}" in ics
    stranger = sign_in(Role.MEMBER)
    assert stranger.get(f"/zoom/days/{later.id}/join").status_code == 404


def test_zoom_organizer_connects_own_account_for_participant_days_presence_only(
    app, sign_in, admin, live_server, connected, standin, zoom_day
):
    organizer = sign_in(Role.HOST)
    start = organizer.post("/zoom/connect")
    back = urlsplit(standin.dispatch_url(start.headers["Location"]))
    assert organizer.get(f"{back.path}?{back.query}").headers["Location"].endswith("/profile")
    assert "Disconnect Zoom" in organizer.get("/profile").text
    day = zoom_day(role=ZoomRole.PARTICIPANT, start="2024-03-01T10:00", hours=1)
    with db.connection_context():
        Day.update(zoom_organizer=organizer.user.id).where(Day.id == day.id).execute()
        mine = ZoomConnection.get(ZoomConnection.user == organizer.user.id)
    with app.test_request_context("/"), db.connection_context():
        assert connections.connection_for(reload(day)).id == mine.id
        meeting_sync.sync_day_meeting.call_local(day.id)
    day = reload(day)
    member = sign_in(Role.MEMBER, email="dana@example.com")
    with db.connection_context():
        Registration.create(
            session=day.session_id,
            event=day.session.event_id,
            user=member.user,
            status=Status.CONFIRM_PARTICIPATION,
        )
    url = f"{live_server.url}/zoom/webhook"
    obj = {"id": day.zoom.meeting_id, "uuid": "inst-1", "topic": "T", "type": 2}
    joined = {
        **obj,
        "participant": {
            "user_name": "Dana",
            "email": "dana@example.com",
            "join_time": "2024-03-01T07:02:00Z",
        },
    }
    standin.send_webhook(url, "meeting.participant_joined", joined)
    standin.send_webhook(url, "meeting.ended", obj)
    assert not any(path.startswith("/report/") for _, path in standin.calls)  # presence only
    page = admin.get(f"/admin/events/{day.session.event_id}/registrations")
    assert "Present" in page.text and " min" not in page.text.split("zoom-attended")[1][:60]
    admin.htmx("post", f"/admin/events/{day.session.event_id}/registrations/zoom-attendance")
    with db.connection_context():
        assert Registration.get(Registration.user == member.user.id).status == Status.PARTICIPATED


def test_zoom_webhook_of_any_shape_never_fails(app, live_server, connected, standin, zoom_day):
    day = zoom_day()
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.sync_day_meeting.call_local(day.id)
    meeting_id = reload(day).zoom.meeting_id
    url = f"{live_server.url}/zoom/webhook"
    shapes = [
        {"id": meeting_id, "participant": []},
        {"id": meeting_id, "recording_files": [1, None, {"id": "x", "file_size": "big"}]},
        {"id": meeting_id, "recording_files": "none"},
        {"id": [meeting_id]},
    ]
    for event in ("meeting.participant_joined", "recording.completed", "meeting.ended"):
        for obj in shapes:
            assert standin.send_webhook(url, event, obj)[0] == 204
    assert standin.send_webhook(url, "meeting.started", None, extra={"payload": [1]})[0] == 204
    signed_list = b"[1, 2]"
    stamp = str(int(time.time()))
    answer = app.test_client().post(
        "/zoom/webhook",
        data=signed_list,
        headers={
            "x-zm-request-timestamp": stamp,
            "x-zm-signature": standin.sign(signed_list, stamp),
        },
        without_csrf=True,
    )
    assert answer.status_code == 400


def test_zoom_join_link_in_the_confirmation_email(app, sign_in, connected, standin, zoom_day):
    day = zoom_day()
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.sync_day_meeting.call_local(day.id)
    day = reload(day)
    member = sign_in(Role.MEMBER)
    assert member.htmx("post", f"/sessions/{day.session_id}/signup").status_code == 200
    with db.connection_context():
        email = Email.get(Email.user == member.user.id)
    assert email.status == "sent"
    assert f"Join: {day.zoom.join_url}" in email.text_body
    assert f'href="{day.zoom.join_url}"' in email.html_body.replace("&amp;", "&")
    calendar = email.attachments[0]["data"].replace("\r\n ", "")
    assert f"URL:{day.zoom.join_url}" in calendar


def test_zoom_one_job_per_day_at_a_time(app, connected, standin, zoom_day):
    day = zoom_day()
    with app.test_request_context("/"), db.connection_context():
        huey = meeting_sync.sync_day_meeting.huey
        huey.flush()  # nothing scheduled by earlier tests
        with huey.lock_task(f"zoom-day-{day.id}"):  # another worker is on this day
            meeting_sync.sync_day_meeting.call_local(day.id)
        assert standin.meetings == {}
        assert [task.args for task in huey.scheduled()] == [(day.id, 0)]
        meeting_sync.sync_day_meeting.call_local(day.id)  # the postponed run
    assert reload(day).zoom.state == "ready" and len(standin.meetings) == 1
