"""A meeting room can be ended once it can be started, and a mentee whose room cannot open
is told so in words meant for them while the host is emailed. Without BigBlueButton no room
is ever started, so no End button is offered."""

from datetime import timedelta

from test_mentoring_pages import create_in_app

from models import Email, Role, db, utcnow

PASSWORD = "correct horse battery"


def signed_in(app, user):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def bbb_session_starting_in(app, mentor, minutes):
    soon = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=minutes)
    return create_in_app(app, mentor, start=soon, platform="", meeting_url="")


def test_end_meeting_is_offered_as_soon_as_the_room_can_be_started(app, bbb, make_user):
    mentor = make_user(Role.HOST, name="Maria Mentor")
    session = bbb_session_starting_in(app, mentor, 5)  # opens 10 minutes before: open now
    host = signed_in(app, mentor)
    page = host.get(f"/host/sessions/{session.id}").text
    assert "End meeting" in page
    assert host.get(f"/s/{session.id}/meeting").status_code == 302  # the host starts the room
    ended = host.htmx("post", f"/host/sessions/{session.id}/meeting/end")
    assert ended.status_code == 200 and "The meeting is ended." in ended.headers["HX-Trigger"]

    later = bbb_session_starting_in(app, mentor, 60 * 24)
    assert "End meeting" not in host.get(f"/host/sessions/{later.id}").text


def test_without_bigbluebutton_a_mentee_is_told_and_the_host_emailed(app, bbb, make_user):
    mentor = make_user(Role.HOST, name="Maria Mentor")
    mentee = make_user(name="Tom Mentee")
    session = bbb_session_starting_in(app, mentor, 5)
    client = signed_in(app, mentee)
    client.htmx("post", f"/s/{session.id}/join")
    app.config.update(BBB_URL=None)  # BigBlueButton goes away

    for _press in range(2):
        answer = client.get(f"/s/{session.id}/meeting")
        assert answer.status_code == 503
        assert "The meeting room is not available; your host has been told." in answer.text
        assert "Choose Google Meet" not in answer.text
    with db.connection_context():
        told = list(Email.select().where(Email.user == mentor.id))
    assert [email.kind for email in told] == ["meeting_room_unavailable"]  # once
    assert "the meeting room is not available" in told[0].subject

    host = signed_in(app, mentor)
    assert "Choose Google Meet" in host.get(f"/s/{session.id}/meeting").text  # the host's words
    assert "End meeting" not in host.get(f"/host/sessions/{session.id}").text
