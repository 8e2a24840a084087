"""Calendar downloads and feeds, the email log, and reminders edited on the session card."""

from datetime import datetime

import pytest
from conftest import count_queries
from icalendar import Calendar

from models import Email, EmailStatus, Reminder, Role, User, db
from sessions import booking

NOW = datetime(2030, 2, 1, 12, 0)


@pytest.fixture
def member(sign_in):
    return sign_in(Role.MEMBER)


@pytest.fixture
def booked(app, member, make_event, make_session, make_day):
    """The member is registered in a session with two days."""
    session = make_session(make_event(is_active=True))
    days = [
        make_day(session, start="2030-03-01T10:00"),
        make_day(session, start="2030-03-02T10:00"),
    ]
    with app.app_context(), db.connection_context():
        booking.sign_up(member.user, session, NOW)
    return session, days


def test_a_member_downloads_a_day_of_their_session(
    member, booked, sign_in, make_event, make_session, make_day
):
    _session, days = booked
    response = member.get(f"/days/{days[0].id}.ics")
    assert response.mimetype == "text/calendar"
    [entry] = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(entry["UID"]) == f"day-{days[0].id}@127.0.0.1"  # the installation's host
    assert str(entry["SUMMARY"]) == "Leadership Training — Daytime"
    assert str(entry["DESCRIPTION"]).endswith(f"/events/{_session.event_id}")
    assert str(entry["ORGANIZER"]) == "mailto:noreply@convene.local"
    other_day = make_day(make_session(make_event(is_active=True)))
    assert member.get(f"/days/{other_day.id}.ics").status_code == 404
    assert sign_in(Role.ADMIN).get(f"/days/{other_day.id}.ics").status_code == 200


def test_the_private_feed_lists_the_days_and_can_be_revoked(app, member, booked):
    _session, days = booked
    page = member.htmx("post", "/profile/calendar").text
    with db.connection_context():
        token = User.get_by_id(member.user.id).calendar_token
    assert f"/calendar/{token}.ics" in page
    visitor = app.test_client()
    with count_queries() as queries:
        feed = Calendar.from_ical(visitor.get(f"/calendar/{token}.ics").data)
    # The company, the user, the days with sessions and events, and one per kind of
    # assessment deadline (self-surveys, rater surveys).
    assert len(queries) <= 6
    assert {str(entry["SUMMARY"]) for entry in feed.walk("VEVENT")} == {
        "Leadership Training — Daytime"
    }
    assert sorted(str(entry["UID"]) for entry in feed.walk("VEVENT")) == sorted(
        f"day-{day.id}@127.0.0.1" for day in days
    )
    member.htmx("post", "/profile/calendar")  # a new link: the old one stops working
    assert visitor.get(f"/calendar/{token}.ics").status_code == 404


def test_the_email_log_filters_and_resends_failed_emails(admin, booked):
    with db.connection_context():
        Email.update(status=EmailStatus.FAILED, last_error="550 mailbox unavailable").execute()
        email = Email.get()
    page = admin.get("/admin/emails?status=failed").text
    assert "550 mailbox unavailable" in page and "Resend" in page
    assert "No emails match." in admin.get("/admin/emails?status=sent").text
    assert "Unknown status in the filter" in admin.get("/admin/emails?status=lost").text
    response = admin.htmx("post", f"/admin/emails/{email.id}/resend")
    assert "Queued again." in response.headers["HX-Trigger"]
    with db.connection_context():
        assert (
            Email.get_by_id(email.id).status == EmailStatus.SENT
        )  # delivered to the outbox folder


def test_admins_add_edit_and_delete_reminders_in_place(admin, booked):
    session, _days = booked
    url = f"/admin/sessions/{session.id}/reminders"
    added = admin.htmx("post", url, data={"kind": "relative", "offset": "2", "offset_unit": "days"})
    assert "2 days before the first day" in added.text and "Moscow (UTC+3)" in added.text
    with db.connection_context():
        reminder = Reminder.get()
    admin.htmx(
        "post",
        url,
        data={"reminder_id": reminder.id, "kind": "fixed", "fixed_at": "2030-02-20T09:00"},
    )
    with db.connection_context():
        assert Reminder.get_by_id(reminder.id).due_at == datetime(2030, 2, 20, 6, 0)
    bad = admin.htmx("post", url, data={"kind": "relative", "offset": "-1", "offset_unit": "days"})
    assert bad.status_code == 422 and 'data-error-for="offset"' in bad.text
    admin.htmx("delete", f"/admin/reminders/{reminder.id}")
    with db.connection_context():
        assert Reminder.select().count() == 0


def test_pages_offer_the_day_download(member, admin, booked):
    session, days = booked
    assert f"/days/{days[0].id}.ics" in member.get(f"/events/{session.event_id}").text
    assert f"/days/{days[0].id}.ics" in admin.get(f"/admin/events/{session.event_id}").text
