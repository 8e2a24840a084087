"""Reminders with a frozen clock: when they are due, who gets them, and exactly once."""

from datetime import datetime

import pytest
from werkzeug.datastructures import MultiDict

from foundation import schedule
from foundation.forms import Invalid
from models import Company, Email, Registration, Reminder, Status
from sessions import booking, planning, reminders

pytestmark = [pytest.mark.every_database, pytest.mark.usefixtures("ctx")]
NOW = datetime(2030, 2, 1, 12, 0)


def relative(days=None, hours=None):
    unit = "days" if days else "hours"
    return MultiDict({"kind": "relative", "offset": str(days or hours), "offset_unit": unit})


@pytest.fixture
def session(make_event, make_session, make_day):
    session = make_session(make_event(is_active=True))
    make_day(session, start="2030-03-01T10:00")  # 07:00 UTC
    return session


def test_a_relative_reminder_is_due_before_the_first_day(backend, session):
    reminder = reminders.save_reminder(session, None, relative(days=2))
    assert reminder.due_at == datetime(2030, 2, 27, 7, 0)
    hourly = reminders.save_reminder(session, None, relative(hours=3))
    assert hourly.due_at == datetime(2030, 3, 1, 4, 0)


def test_a_fixed_reminder_is_entered_in_the_session_zone(backend, session):
    form = MultiDict({"kind": "fixed", "fixed_at": "2030-02-20T09:30"})
    assert reminders.save_reminder(session, None, form).due_at == datetime(2030, 2, 20, 6, 30)


def test_at_most_three_reminders(backend, session):
    for days in (1, 2, 3):
        reminders.save_reminder(session, None, relative(days=days))
    with pytest.raises(Invalid) as caught:
        reminders.save_reminder(session, None, relative(days=4))
    assert caught.value.errors == {"kind": "A session has at most three reminders."}
    assert Reminder.select().count() == 3


def test_bad_reminder_input_names_the_field(backend, session):
    for form, field in [
        (MultiDict({"kind": "sometimes"}), "kind"),
        (MultiDict({"kind": "relative", "offset": "0", "offset_unit": "days"}), "offset"),
        (MultiDict({"kind": "relative", "offset": "2", "offset_unit": "weeks"}), "offset_unit"),
        (MultiDict({"kind": "fixed", "fixed_at": "soon"}), "fixed_at"),
    ]:
        with pytest.raises(Invalid) as caught:
            reminders.save_reminder(session, None, form)
        assert field in caught.value.errors
    assert Reminder.select().count() == 0


def test_reminders_follow_a_day_that_moves(backend, session):
    reminder = reminders.save_reminder(session, None, relative(days=1))
    day = session.days.get()
    form = MultiDict(
        {
            "start": "2030-03-05T10:00",
            "end": "2030-03-05T12:00",
            "format": "offline",
            "address": "A",
        }
    )
    planning.save_day(session, day, form, Company.current(), NOW)
    assert Reminder.get_by_id(reminder.id).due_at == datetime(2030, 3, 4, 7, 0)


def test_day_offsets_keep_the_wall_clock_across_daylight_saving(
    backend, make_event, make_session, make_day
):
    # Berlin moves to summer time on 31 March 2030, the day of the session (10:00 CEST).
    event = make_event(is_active=True)
    session = make_session(event, timezone="Europe/Berlin", registration_end="2030-03-20T11:59")
    make_day(session, start="2030-03-31T10:00")
    by_days = reminders.save_reminder(session, None, relative(days=1))
    by_hours = reminders.save_reminder(session, None, relative(hours=24))
    # "1 day before" is the same time of day the day before, in winter time ...
    assert schedule.to_local_naive(by_days.due_at, "Europe/Berlin") == datetime(2030, 3, 30, 10, 0)
    assert by_days.due_at == datetime(2030, 3, 30, 9, 0)
    # ... while "24 hours before" is exactly 24 hours earlier: 09:00 on the local clock.
    assert by_hours.due_at == datetime(2030, 3, 30, 8, 0)


def test_reminders_go_once_to_those_who_have_not_completed(backend, session, make_user):
    approved, participated, cancelled = make_user(), make_user(), make_user()
    for member in (approved, participated, cancelled):
        booking.sign_up(member, session, NOW)
    Registration.update(status=Status.PARTICIPATED).where(
        Registration.user == participated
    ).execute()
    booking.withdraw(Registration.get(Registration.user == cancelled), NOW)
    reminder = reminders.save_reminder(session, None, relative(days=1))
    before = Email.select().count()
    assert reminders.send_due(datetime(2030, 2, 28, 6, 59)) == 0  # a minute early
    assert reminders.send_due(datetime(2030, 2, 28, 7, 0)) == 1
    assert reminders.send_due(datetime(2030, 2, 28, 7, 5)) == 0  # never twice
    sent = Email.select().where(Email.key.startswith(f"reminder:{reminder.id}:"))
    assert [email.to_address for email in sent] == [approved.email]
    assert Email.select().count() == before + 1
    stored = Reminder.get_by_id(reminder.id)
    assert stored.sent_count == 1 and stored.is_sent
