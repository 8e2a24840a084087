"""One change, one email: a notice still waiting in the outbox that shows the session as it
is when sent (the mentoring invitation) makes a "day changed" about the same session, for the
same person, redundant. Setting the meeting link right after publishing sends each invited
mentee one email, the invitation, with the link in it; a mentee whose invitation went out
before the change still hears of it."""

from datetime import timedelta

from test_mail import text_of
from test_mentoring_pages import create_in_app

from messaging import mail
from models import Email, Role, Session, db, utcnow
from sessions import mentoring

LINK = "https://meet.google.com/abc-defg-hij"


def kinds_to(user):
    with db.connection_context():
        return sorted(email.kind for email in Email.select().where(Email.user == user.id))


def test_setting_the_link_after_publishing_sends_one_email_per_mentee(app, smtp, make_user):
    """As on a running site: the worker delivers at once after every change; the invitation
    waits its short hold, and the link set meanwhile arrives in it."""
    app.config["NOTICE_HOLD_SECONDS"] = 60
    mentor = make_user(Role.HOST, name="Maria Mentor")
    first, second = make_user(name="Ann Mentee"), make_user(name="Bob Mentee")
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=7)
    session = create_in_app(
        app,
        mentor,
        start=start,
        platform="Google Meet",
        meeting_url="",
        link_later=True,
        mentees=[first, second],
    )
    with app.test_request_context("/"), db.connection_context():
        mentoring.set_meeting(Session.get_by_id(session.id), "Google Meet", LINK)
        assert [m["To"] for m in smtp.messages] == [mentor.email]  # the mentor's day change
        mail.deliver_due(now=utcnow() + timedelta(minutes=2))  # the minutely sweep, later

    for mentee in (first, second):
        [message] = [m for m in smtp.messages if m["To"] == mentee.email]
        assert LINK in text_of(message)
        assert kinds_to(mentee) == ["mentoring_invitation"]
    assert kinds_to(mentor) == ["day_changed"]  # no invitation waits for the mentor


def test_a_change_after_the_invitation_went_out_is_still_told(app, smtp, make_user):
    mentor, mentee = make_user(Role.HOST), make_user(name="Ann Mentee")
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=7)
    session = create_in_app(
        app,
        mentor,
        start=start,
        platform="Google Meet",
        meeting_url="",
        link_later=True,
        mentees=[mentee],
    )
    assert kinds_to(mentee) == ["mentoring_invitation"]  # delivered at once
    with app.test_request_context("/"), db.connection_context():
        mentoring.set_meeting(Session.get_by_id(session.id), "Google Meet", LINK)
    assert kinds_to(mentee) == ["day_changed", "mentoring_invitation"]
    assert len([m for m in smtp.messages if m["To"] == mentee.email]) == 2
