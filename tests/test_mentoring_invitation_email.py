"""Invited mentees get a mentoring invitation email (messaging/notifications.py): who
invited them, the time in their own zone, the meeting link or when it comes, the calendar
entry attached, and where to leave; people who enroll themselves keep the confirmation."""

import dataclasses
from datetime import datetime

import pytest
from test_mentoring_pages import create_in_app, emails_to

from models import Company, Role, Session, db
from sessions import mentoring

START = datetime(2030, 5, 14, 15, 0)  # UTC: 00:00 next day in Tokyo


@pytest.fixture
def mentor(make_user):
    return make_user(Role.HOST, name="Maria Mentor", handle="maria")


def test_an_invited_mentee_gets_the_invitation_in_their_zone_with_the_calendar(
    app, mentor, make_user
):
    mentee = make_user(name="Tom Mentee", timezone="Asia/Tokyo")
    session = create_in_app(app, mentor, start=START, mentees=[mentee])
    (email,) = emails_to(mentee)
    assert email.kind == "mentoring_invitation"
    assert email.subject == "You are invited to Career talk"
    text = email.text_body
    assert "You are invited to Career talk by Maria Mentor." in text
    assert "May 15, 2030" in text and "Japan (UTC+9)" in text  # 00:00 in Tokyo, with its zone
    assert "https://meet.google.com/abc-defg-hij" in text
    assert f"/s/{session.id}" in text and "Leave the session" in text
    assert "Leave" in email.html_body and f"/s/{session.id}" in email.html_body
    (calendar,) = email.attachments
    assert "METHOD:REQUEST" in calendar["data"] and "Career talk" in calendar["data"]


def test_without_a_link_the_invitation_says_when_it_comes(app, mentor, make_user):
    mentee = make_user()
    create_in_app(app, mentor, start=START, mentees=[mentee], link_later=True, meeting_url="")
    (email,) = emails_to(mentee, "mentoring_invitation")
    assert "The meeting link will be on My events before the start." in email.text_body


def test_in_russian(app, mentor, make_user):
    mentee = make_user(locale="ru")
    create_in_app(app, mentor, start=START, mentees=[mentee])
    (email,) = emails_to(mentee, "mentoring_invitation")
    assert "Вас пригласил" in email.text_body and "Maria Mentor" in email.text_body


def test_someone_who_enrolls_gets_the_ordinary_confirmation(app, mentor, make_user):
    session = create_in_app(app, mentor, start=START)
    member = make_user()
    with app.test_request_context("/"), db.connection_context():
        mentoring.enroll(member, Session.get_by_id(session.id))
    assert [email.kind for email in emails_to(member)] == ["registration_confirmed"]


def test_a_mentee_added_by_editing_is_invited_too(app, mentor, make_user):
    first, added = make_user(), make_user()
    session = create_in_app(app, mentor, start=START, mentees=[first])
    with app.test_request_context("/"), db.connection_context():
        values = mentoring.values_of(Session.get_by_id(session.id))
        mentoring.edit(
            session, dataclasses.replace(values, mentees=[first, added]), Company.current()
        )
    assert [email.kind for email in emails_to(added)] == ["mentoring_invitation"]
