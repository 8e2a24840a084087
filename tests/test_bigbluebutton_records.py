"""BigBlueButton after a meeting, end to end against the stand-in (tests/bbb_standin.py): the
room is created with recording and Convene's callbacks, the stand-in calls back as the
server does, and what people then see. Forged callbacks are refused and change nothing;
repeated ones change nothing either."""

import json
import time
from datetime import timedelta
from urllib.parse import urlencode
from urllib.request import Request

import jwt
import pytest
from bbb_standin import send, sign
from test_meeting_room_paths import bbb_session_starting_in, signed_in

from meetings import bigbluebutton, bigbluebutton_records
from models import (
    Attendance,
    Company,
    Day,
    Recording,
    Registration,
    RegistrationRole,
    Role,
    Status,
    User,
    db,
    utcnow,
)

PLAY = "/playback/presentation/2.3/"


@pytest.fixture
def meeting(app, bbb, live_server, make_user):
    """A BigBlueButton session of an hour with two mentees, whose room the host opened; the
    callbacks reach the app on `live_server`. Then the session is moved an hour back, so it
    has ended."""
    app.config["PUBLIC_URL"] = live_server.url
    mentor = make_user(Role.HOST, name="Maria Mentor")
    session = bbb_session_starting_in(app, mentor, 5)
    people = {"host": signed_in(app, mentor)}
    for key, name in (("ann", "Ann Early"), ("bob", "Bob Brief")):
        user = make_user(name=name)
        people[key] = signed_in(app, user)
        people[key].user = user
        assert people[key].htmx("post", f"/s/{session.id}/join").status_code == 200
    assert people["host"].get(f"/s/{session.id}/meeting").status_code == 302
    people["ann_join"] = people["ann"].get(f"/s/{session.id}/meeting").headers["Location"]
    with db.connection_context():
        day = Day.get(Day.session == session.id)
        day.start_at, day.end_at = (
            utcnow() - timedelta(minutes=70),
            utcnow() - timedelta(minutes=10),
        )
        day.save()
    people.update(session=session, day=day, room=f"convene-{session.id}-{day.id}")
    return people


def recordings():
    with db.connection_context():
        return list(Recording.select().order_by(Recording.id))


def statuses(meeting):
    """{name: status} of the session's participants."""
    with db.connection_context():
        return {
            registration.user.name: registration.status
            for registration in Registration.select().where(
                Registration.session == meeting["session"].id,
                Registration.role == RegistrationRole.PARTICIPANT,
            )
        }


def test_the_room_is_created_with_recording_and_convenes_callbacks(meeting, bbb):
    created = bbb.meetings[meeting["room"]]
    assert created["record"] and not created["autoStartRecording"]
    assert set(created["meta"]) == {
        "endCallbackUrl",
        "bbb-recording-ready-url",
        "analytics-callback-url",
    }
    assert "/bigbluebutton/meetings/" in created["meta"]["endCallbackUrl"]
    assert "role=VIEWER" in meeting["ann_join"]
    assert f"userID={meeting['ann'].user.id}&" in meeting["ann_join"]


def test_a_recording_appears_after_the_callback(meeting, bbb):
    record_id = bbb.add_recording(meeting["room"], minutes=55)
    assert bbb.fire_recording_ready(meeting["room"], record_id)[0] == 204
    [kept] = recordings()
    assert (kept.file_id, kept.platform, kept.recording_type) == (
        record_id,
        "bigbluebutton",
        "presentation",
    )
    assert kept.duration == timedelta(minutes=55)
    host_page = meeting["host"].get(f"/host/sessions/{meeting['session'].id}").text
    assert PLAY + record_id in host_page and "55 minutes" in host_page
    assert PLAY + record_id in meeting["ann"].get(f"/s/{meeting['session'].id}").text


def test_a_member_outside_the_session_does_not_see_its_recordings(meeting, bbb, app, make_user):
    record_id = bbb.add_recording(meeting["room"])
    bbb.fire_recording_ready(meeting["room"], record_id)
    outsider = signed_in(app, make_user(name="Olga Outside"))
    page = outsider.get(f"/s/{meeting['session'].id}").text
    assert "Career talk" in page and PLAY not in page and "Recordings" not in page


@pytest.mark.parametrize(
    "forge",
    [
        "wrong secret",
        "alg none",
        "unsigned",
        "not a token",
        "missing record id",
    ],
)
def test_a_forged_recording_callback_is_refused_and_changes_nothing(
    meeting, bbb, live_server, forge
):

    record_id = bbb.add_recording(meeting["room"])
    payload = {"meeting_id": meeting["room"], "record_id": record_id}
    tokens = {
        "wrong secret": sign(payload, "not-the-shared-secret"),
        "alg none": jwt.encode(payload, None, algorithm="none"),
        "unsigned": None,
        "not a token": "abc.def.ghi",
        "missing record id": sign({"meeting_id": meeting["room"]}, bbb.secret),
    }
    token = tokens[forge]
    body = urlencode({"signed_parameters": token} if token else {"other": "1"}).encode()
    url = f"{live_server.url}/bigbluebutton/recording-ready"
    status, _ = send(Request(url, data=body, method="POST"))
    assert status == 401
    assert recordings() == []


def test_a_repeated_recording_callback_keeps_one_row(meeting, bbb):
    record_id = bbb.add_recording(meeting["room"])
    for _ in range(2):
        assert bbb.fire_recording_ready(meeting["room"], record_id)[0] == 204
    assert [row.file_id for row in recordings()] == [record_id]


def test_a_callback_for_an_unknown_meeting_is_gone(meeting, bbb):
    bbb.meetings["convene-999-999"] = dict(bbb.meetings[meeting["room"]], name="Other")
    record_id = bbb.add_recording("convene-999-999")
    assert bbb.fire_recording_ready("convene-999-999", record_id)[0] == 410
    assert recordings() == []


def test_the_sweep_finds_a_recording_without_a_callback_within_the_window(meeting, bbb, app):
    record_id = bbb.add_recording(meeting["room"])
    with app.test_request_context("/"), db.connection_context():
        assert bigbluebutton_records.sweep_recordings() == 1
    assert [row.file_id for row in recordings()] == [record_id]


def test_the_sweep_skips_days_that_ended_before_the_window(meeting, bbb, app):
    bbb.add_recording(meeting["room"])
    app.config["BBB_RECORDINGS_LOOKBACK_HOURS"] = 48
    with db.connection_context():
        Day.update(
            start_at=utcnow() - timedelta(hours=50), end_at=utcnow() - timedelta(hours=49)
        ).execute()
    asked_before = [args for call, args in bbb.calls if call == "getRecordings"]
    with app.test_request_context("/"), db.connection_context():
        assert bigbluebutton_records.sweep_recordings() == 0
    assert [args for call, args in bbb.calls if call == "getRecordings"] == asked_before
    assert recordings() == []


def test_a_hidden_recording_never_comes_back(meeting, bbb, app):
    record_id = bbb.add_recording(meeting["room"])
    bbb.fire_recording_ready(meeting["room"], record_id)
    [kept] = recordings()
    hidden = meeting["host"].htmx("post", f"/host/recordings/{kept.id}/hide")
    assert hidden.status_code == 200 and "Recording hidden." in hidden.headers["HX-Trigger"]
    assert record_id not in hidden.text
    bbb.fire_recording_ready(meeting["room"], record_id)
    with app.test_request_context("/"), db.connection_context():
        bigbluebutton_records.sweep_recordings()
    [again] = recordings()
    assert again.hidden_at is not None
    assert record_id not in meeting["host"].get(f"/host/sessions/{meeting['session'].id}").text
    assert record_id not in meeting["ann"].get(f"/s/{meeting['session'].id}").text


def test_only_the_host_or_an_admin_hides_a_recording(meeting, bbb, admin):
    record_id = bbb.add_recording(meeting["room"])
    bbb.fire_recording_ready(meeting["room"], record_id)
    [kept] = recordings()
    assert meeting["ann"].htmx("post", f"/host/recordings/{kept.id}/hide").status_code in (403, 404)
    forged = meeting["host"].post(f"/host/recordings/{kept.id}/hide", without_csrf=True)
    assert forged.status_code == 400
    assert recordings()[0].hidden_at is None
    assert admin.htmx("post", f"/host/recordings/{kept.id}/hide").status_code == 200
    assert recordings()[0].hidden_at is not None


def test_attendance_marks_statuses_with_the_threshold_in_one_click(meeting, bbb):
    ann, bob = meeting["ann"].user, meeting["bob"].user
    report = [(ann.id, ann.name, 50 * 60), (bob.id, bob.name, 10 * 60)]
    page = meeting["host"].get(f"/host/sessions/{meeting['session'].id}").text
    assert "Attendance appears here once BigBlueButton has sent its report" in page
    assert bbb.fire_analytics(meeting["room"], report)[0] == 204
    page = meeting["host"].get(f"/host/sessions/{meeting['session'].id}").text
    assert "Mark participated / missed from attendance" in page
    assert "50 min" in page and "10 min" in page
    clicked = meeting["host"].htmx("post", f"/host/sessions/{meeting['session'].id}/attendance")
    assert "2 statuses changed." in clicked.headers["HX-Trigger"]
    assert statuses(meeting) == {"Ann Early": Status.PARTICIPATED, "Bob Brief": Status.MISSED}

    assert bbb.fire_analytics(meeting["room"], report)[0] == 204  # BigBlueButton calls again
    with db.connection_context():
        rows = {(row.user_id, row.seconds) for row in Attendance.select()}
    assert rows == {(ann.id, 3000), (bob.id, 600)}
    again = meeting["host"].htmx("post", f"/host/sessions/{meeting['session'].id}/attendance")
    assert "0 statuses changed." in again.headers["HX-Trigger"]
    assert statuses(meeting) == {"Ann Early": Status.PARTICIPATED, "Bob Brief": Status.MISSED}


@pytest.mark.parametrize("forge", ["no token", "wrong secret", "alg none", "no expiry"])
def test_a_forged_analytics_callback_is_refused_and_changes_nothing(meeting, bbb, forge):
    ann = meeting["ann"].user
    later = {"exp": int(utcnow().timestamp()) + 3600}
    tokens = {
        "no token": "",
        "wrong secret": sign(later, "not-the-shared-secret", "HS512"),
        "alg none": jwt.encode(later, None, algorithm="none"),
        "no expiry": sign({"meeting": "x"}, bbb.secret, "HS512"),
    }
    status, _ = bbb.fire_analytics(meeting["room"], [(ann.id, ann.name, 3600)], tokens[forge])
    assert status == 401
    with db.connection_context():
        assert Attendance.select().count() == 0
    assert statuses(meeting) == {"Ann Early": Status.APPROVED, "Bob Brief": Status.APPROVED}


def test_the_end_callback_needs_convenes_token(meeting, bbb, live_server):

    bbb.add_recording(meeting["room"])
    forged = f"{live_server.url}/bigbluebutton/meetings/{meeting['room']}/ended?token=0f"
    assert send(Request(forged))[0] == 403
    other = meeting["room"].replace("convene-", "convene-1")
    assert send(Request(forged.replace(meeting["room"], other)))[0] == 403
    assert recordings() == []
    assert bbb.fire_end(meeting["room"], recordingmarks=True)[0] == 204
    assert len(recordings()) == 1  # the meeting's end looks for its recordings


def test_rooms_follow_the_company_recording_settings(app, bbb, make_user, admin):
    answer = admin.htmx(
        "post",
        "/admin/settings",
        data={
            "timezone": "Europe/Moscow",
            "locales": ["en", "ru"],
            "default_locale": "en",
            "mentees_per_session_limit": "20",
            "bulk_rows_limit": "10000",
            "min_duration_minutes": "30",
            "group_minimum_cutoff_hours": "24",
            "bbb_recording_section": "1",
            "bbb_auto_start_recording": "on",
        },
    )
    assert answer.status_code == 422
    assert "Recording can start automatically only where recordings are allowed." in answer.text
    with app.test_request_context("/"), db.connection_context():
        Company.update(allows_bbb_recordings=False).execute()
        assert bigbluebutton_records.room_parameters("e", "r", "a")["record"] == "false"
        Company.update(allows_bbb_recordings=True, bbb_auto_start_recording=True).execute()
    with app.test_request_context("/"), db.connection_context():
        chosen = bigbluebutton_records.room_parameters("e", "r", "a")
    assert (chosen["record"], chosen["autoStartRecording"]) == ("true", "true")


def test_get_recordings_reads_the_documented_answer(ctx, bbb):
    bigbluebutton.create_meeting("convene-5-6", "Career talk")
    assert bigbluebutton.recordings_of("convene-5-6") == []
    record_id = bbb.add_recording("convene-5-6", minutes=20)
    [found] = bigbluebutton.recordings_of("convene-5-6")
    assert found["record_id"] == record_id and found["type"] == "presentation"
    assert found["url"].endswith(PLAY + record_id)
    assert int(found["end_ms"]) - int(found["start_ms"]) == 20 * 60_000


def post_analytics(url, body, secret):
    token = sign({"exp": int(utcnow().timestamp()) + 60}, secret, "HS512")
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    return send(Request(url, data=body, headers=headers, method="POST"))[0]


def test_odd_callbacks_are_answered_without_a_server_error(meeting, bbb, live_server):
    analytics = f"{live_server.url}/bigbluebutton/analytics"
    assert post_analytics(analytics, b"not json", bbb.secret) == 400
    assert post_analytics(analytics, b"[1, 2]", bbb.secret) == 400
    assert post_analytics(analytics, b'{"meeting_id": {"a": 1}}', bbb.secret) == 410
    assert post_analytics(analytics, b'{"meeting_id": "convene-1-99999999999"}', bbb.secret) == 410
    attendees = [
        "x",
        {"ext_user_id": {"a": 1}},
        {"ext_user_id": "99999999999999999999"},
        {"ext_user_id": "4242", "duration": "long"},
        {"ext_user_id": str(meeting["ann"].user.id), "duration": True, "joins": "soon"},
    ]
    odd = json.dumps({"meeting_id": meeting["room"], "data": {"attendees": attendees}})
    assert post_analytics(analytics, odd.encode(), bbb.secret) == 204
    with db.connection_context():
        assert [(row.user_id, row.seconds) for row in Attendance.select()] == [
            (meeting["ann"].user.id, 0)
        ]
    ready = f"{live_server.url}/bigbluebutton/recording-ready"
    wrong_kind = sign({"meeting_id": 7, "record_id": ["x"]}, bbb.secret)
    body = urlencode({"signed_parameters": wrong_kind}).encode()
    assert send(Request(ready, data=body, method="POST"))[0] == 401
    for odd_id in ("%00%27%22", "convene-1-1%20", "x" * 300):
        ended = f"{live_server.url}/bigbluebutton/meetings/{odd_id}/ended?token=%FF"
        assert send(Request(ended))[0] in (400, 403)
    assert recordings() == []


def test_by_hand_the_stand_in_reports_when_the_host_ends_the_meeting(
    app, bbb, live_server, make_user
):
    """`make bbb-standin`: pressing End meeting in Convene brings the recording and the
    attendance, as a real server would a moment later."""
    app.config["PUBLIC_URL"] = live_server.url
    bbb.reports_on_end = True
    mentor = make_user(Role.HOST, name="Maria Mentor")
    session = bbb_session_starting_in(app, mentor, 5)
    ann = make_user(name="Ann Early")
    mentee = signed_in(app, ann)
    mentee.htmx("post", f"/s/{session.id}/join")
    host = signed_in(app, mentor)
    for client in (host, mentee):
        open_join_link = client.get(f"/s/{session.id}/meeting").headers["Location"]
        send(Request(open_join_link))  # the browser follows the join link
    assert host.htmx("post", f"/host/sessions/{session.id}/meeting/end").status_code == 200
    deadline = utcnow() + timedelta(seconds=10)
    while utcnow() < deadline and not (recordings() and attendance_rows()):
        time.sleep(0.2)
    assert [row.platform for row in recordings()] == ["bigbluebutton"]
    assert {user_id for user_id, _seconds in attendance_rows()} == {mentor.id, ann.id}


def attendance_rows():
    with db.connection_context():
        return [(row.user_id, row.seconds) for row in Attendance.select()]


def test_the_demo_host_sees_the_recording_and_marks_attendance(app, bbb, live_server):
    """`make run` with the stand-in: the demo's finished BigBlueButton hour, the stand-in's
    `--report`, and the host's one click."""
    import demo

    app.config["PUBLIC_URL"] = live_server.url
    with app.test_request_context("/"), db.connection_context():
        assert demo.load_once()
        command = demo.bigbluebutton_report_command()
        member = User.get(User.email == "member@convene.test")
    meeting_id = command.split("--report ")[1].split()[0]
    order = {"meeting_id": meeting_id, "app": live_server.url, "attendees": [[member.id, 50]]}
    answer = bbb.report_by_hand(order).get_json()
    assert answer == {"recording ready": [204, ""], "analytics": [204, ""]}

    host = app.test_client()
    host.post("/login", data={"email": "host@convene.test", "password": demo.PASSWORD})
    session_id = meeting_id.split("-")[1]
    page = host.get(f"/host/sessions/{session_id}").text
    assert PLAY in page and "55 minutes" in page and "50 min" in page
    clicked = host.htmx("post", f"/host/sessions/{session_id}/attendance")
    assert "1 status changed." in clicked.headers["HX-Trigger"]
    with db.connection_context():
        taken = Registration.get(Registration.user == member.id, Registration.session == session_id)
    assert taken.status == Status.PARTICIPATED
