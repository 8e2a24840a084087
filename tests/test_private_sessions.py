"""Private means invited, now: only a live invitation or registration opens a private
mentoring or group session. A mentee the mentor removed, or an invitee who withdrew, gets 404
on the page and on Join, and nothing is written."""

import dataclasses
from datetime import timedelta

from test_mentoring_pages import create_in_app
from werkzeug.datastructures import MultiDict

from models import Company, Registration, Role, Session, SessionKind, Status, db, utcnow
from sessions import group_sessions, mentoring

PASSWORD = "correct horse battery"


def signed_in(app, user):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def live_registrations(user):
    with db.connection_context():
        return list(
            Registration.select().where(
                Registration.user == user.id, Registration.status != Status.CANCELLED
            )
        )


def test_a_removed_mentee_gets_404_on_the_page_and_on_join(app, make_user):
    mentor = make_user(Role.HOST, name="Maria Mentor", handle="maria")
    kept, removed = make_user(), make_user(name="Removed Mentee")
    session = create_in_app(app, mentor, session_type="private", mentees=[kept, removed])
    client = signed_in(app, removed)
    assert "Career talk" in client.get(f"/s/{session.id}").text  # invited: it opens

    with app.test_request_context("/"), db.connection_context():
        values = mentoring.values_of(Session.get_by_id(session.id))
        mentoring.edit(session, dataclasses.replace(values, mentees=[kept]), Company.current())

    page = client.get(f"/s/{session.id}")
    assert page.status_code == 404 and "Career talk" not in page.text
    join = client.htmx("post", f"/s/{session.id}/join")
    assert join.status_code == 404
    assert live_registrations(removed) == []
    assert "Career talk" in signed_in(app, kept).get(f"/s/{session.id}").text


def test_a_private_group_session_opens_to_a_live_invitation_only(app, make_user):
    host = make_user(Role.HOST)
    leaver, decliner = make_user(name="Leaving Guest"), make_user(name="Declining Guest")
    with app.test_request_context("/"), db.connection_context():
        group_sessions.create_group_session(
            host,
            MultiDict(
                [
                    ("title", "Closed circle"),
                    ("description", "Only for the invited."),
                    ("start", (utcnow() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")),
                    ("timezone", "UTC"),
                    ("duration_hours", "1"),
                    ("duration_minutes", "0"),
                    ("min_participants", "1"),
                    ("max_participants", "5"),
                    ("meeting_url", "https://meet.google.com/abc-defg-hij"),
                    ("visibility", "private"),
                    ("invitees", str(leaver.id)),
                    ("invitees", str(decliner.id)),
                ]
            ),
            Company.current(),
        )
        session = Session.get(Session.kind == SessionKind.GROUP)
        invitation = Registration.get(Registration.user == decliner.id)
        group_sessions.answer_invitation(invitation, "decline")

    declined = signed_in(app, decliner)
    assert declined.get(f"/s/{session.id}").status_code == 404
    assert declined.htmx("post", f"/s/{session.id}/join").status_code == 404
    assert live_registrations(decliner) == []

    # Leaving is not a refusal: the invitation stands, and the guest may join again.
    client = signed_in(app, leaver)
    assert client.htmx("post", f"/s/{session.id}/join").status_code == 200
    assert client.htmx("post", f"/s/{session.id}/leave").status_code == 200
    assert "Closed circle" in client.get(f"/s/{session.id}").text
    assert [r.status for r in live_registrations(leaver)] == [Status.INVITED]
    assert client.htmx("post", f"/s/{session.id}/join").status_code == 200
    assert [r.status for r in live_registrations(leaver)] == [Status.APPROVED]
