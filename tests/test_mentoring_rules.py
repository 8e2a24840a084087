"""The rules of mentoring sessions (sessions/mentoring.py): the mentor-clash rule as a true
interval test with touching counted, seats, immutability after publishing, sessions that
have started, and two concurrent creations for one mentor on SQLite and PostgreSQL."""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models import (
    Company,
    Day,
    Email,
    Invitation,
    MentoringDetails,
    Registration,
    Role,
    Session,
    Status,
    TagOption,
    db,
)
from sessions import booking, hosting, mentoring
from sessions.mentoring import MentoringValues, Problems

BASE = datetime(2030, 5, 14, 15, 0, tzinfo=UTC)  # 15:00 UTC


def values(mentor, start=BASE, minutes=60, **fields):
    fields.setdefault("platform", "Google Meet")
    fields.setdefault("meeting_url", "https://meet.google.com/abc-defg-hij")
    return MentoringValues(
        title=fields.pop("title", "Career talk"),
        description=fields.pop("description", "How to plan the next step."),
        mentor=mentor,
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        **fields,
    )


@pytest.fixture
def company(ctx):
    return Company.current()


@pytest.fixture
def mentor(make_user, ctx):
    return make_user(Role.HOST, name="Maria Mentor")


def refusal(operation):
    with pytest.raises(Problems) as caught:
        operation()
    return caught.value.errors


def test_create_publishes_a_session_with_its_day_host_and_tags(company, mentor, make_user):
    mentee = make_user()
    session = mentoring.create(
        values(mentor, mentees=[mentee], categories=["Life skills", " life  skills "]), company
    )
    day = Day.get(Day.session == session)
    assert (session.kind, session.host_id, session.is_public) == ("mentoring", mentor.id, True)
    assert (day.start_at, day.end_at) == (datetime(2030, 5, 14, 15), datetime(2030, 5, 14, 16))
    assert (day.platform, day.url) == ("google_meet", "https://meet.google.com/abc-defg-hij")
    assert MentoringDetails.get(MentoringDetails.session == session).categories == ["Life skills"]
    assert [row.label for row in TagOption.select()] == ["Life skills"]
    assert session.participant_limit == company.mentees_per_session_limit
    seat = Registration.get(Registration.session == session, Registration.user == mentee)
    assert seat.status == Status.APPROVED and Invitation.get(registration=seat)
    assert session.seats_taken == 1
    assert Email.select().where(Email.user == mentee).count() == 1  # confirmation + calendar


@pytest.mark.parametrize(
    ("label", "start_minutes", "minutes"),
    [
        ("inside", 15, 30),
        ("containing", -30, 120),
        ("same", 0, 60),
        ("overlapping the start", -30, 45),
        ("overlapping the end", 30, 60),
        ("touching the end (15:00-16:00 blocks 16:00)", 60, 30),
        ("touching the start", -30, 30),
    ],
)
def test_clash_rule_refuses_overlapping_and_touching_sessions(
    company, mentor, label, start_minutes, minutes
):
    mentoring.create(values(mentor), company)
    start = BASE + timedelta(minutes=start_minutes)
    errors = refusal(lambda: mentoring.create(values(mentor, start, minutes), company))
    assert "Maria Mentor already has a session at this time: Career talk" in errors["start"], label


@pytest.mark.parametrize(("start_minutes", "minutes"), [(61, 30), (-31, 30)])
def test_clash_rule_allows_a_minute_apart(company, mentor, start_minutes, minutes):
    mentoring.create(values(mentor), company)
    start = BASE + timedelta(minutes=start_minutes)
    assert mentoring.create(values(mentor, start, minutes), company).id


def test_clash_rule_across_days_and_time_zones(company, mentor, make_user):
    # 23:30 in Moscow to 00:30 the next day = 20:30-21:30 UTC.
    moscow = ZoneInfo("Europe/Moscow")
    late = datetime(2030, 5, 14, 23, 30, tzinfo=moscow)
    mentoring.create(values(mentor, late, 60, timezone="Europe/Moscow"), company)
    # The same instant written in India's zone (02:00 the next day) clashes...
    india = datetime(2030, 5, 15, 1, 30, tzinfo=ZoneInfo("Asia/Kolkata"))  # 20:00 UTC
    errors = refusal(lambda: mentoring.create(values(mentor, india, 30), company))
    assert "already has a session" in errors["start"]
    # ... and so does a naive UTC start that touches the end, the next calendar day in Moscow.
    errors = refusal(
        lambda: mentoring.create(values(mentor, datetime(2030, 5, 14, 21, 30)), company)
    )
    assert "already has a session" in errors["start"]
    # Another mentor, or a minute later, is free.
    assert mentoring.create(values(make_user(Role.HOST), india, 30), company)
    assert mentoring.create(values(mentor, datetime(2030, 5, 14, 21, 31)), company)


def test_clash_rule_ignores_cancelled_sessions_and_the_session_itself(company, mentor):
    session = mentoring.create(values(mentor), company)
    mentoring.cancel(session)
    again = mentoring.create(values(mentor), company)
    edited = mentoring.edit(again, values(mentor, BASE + timedelta(minutes=30)), company)
    assert Day.get(Day.session == edited).start_at == datetime(2030, 5, 14, 15, 30)


def test_time_rules(company, mentor):
    errors = refusal(lambda: mentoring.create(values(mentor, minutes=29), company))
    assert errors["end"] == "A session lasts at least 30 minutes."
    errors = refusal(lambda: mentoring.create(values(mentor, minutes=24 * 60 + 1), company))
    assert errors["end"] == "A session lasts at most 24 hours."
    past = datetime(2020, 1, 1, tzinfo=UTC)
    assert refusal(lambda: mentoring.create(values(mentor, past), company))["start"] == (
        "Choose a time in the future."
    )
    assert mentoring.create(values(mentor, minutes=24 * 60), company)


def test_required_fields_and_private_needs_a_mentee(company, mentor, make_user):
    errors = refusal(
        lambda: mentoring.create(
            MentoringValues(session_type="Private", start_at=BASE, end_at=BASE), company
        )
    )
    assert errors["title"] == errors["description"] == "This field is required."
    assert errors["mentor"] == "Choose a mentor."
    errors = refusal(lambda: mentoring.create(values(mentor, session_type=" PRIVATE "), company))
    assert errors == {"mentees": "A private session needs at least one invited mentee."}
    member = make_user(name="Not A Host")
    errors = refusal(lambda: mentoring.create(values(member), company))
    assert errors["mentor"] == "Not A Host cannot be a mentor: mentors are active hosts."
    assert refusal(lambda: mentoring.create(values(mentor, session_type="open"), company)) == {
        "session_type": "Choose Public or Private."
    }


def test_seat_limit_is_the_company_setting(company, mentor, make_user):
    company.mentees_per_session_limit = 2
    company.save()
    three = [make_user() for _ in range(3)]
    errors = refusal(lambda: mentoring.create(values(mentor, mentees=three), company))
    assert errors == {"mentees": "Session seats full"}
    session = mentoring.create(values(mentor, mentees=three[:1]), company)
    mentoring.enroll(make_user(), session)
    with pytest.raises(booking.BookingError, match="Session seats full"):
        mentoring.enroll(make_user(), Session.get_by_id(session.id))
    errors = refusal(lambda: mentoring.edit(session, values(mentor, mentees=three[:2]), company))
    assert errors == {"mentees": "Session seats full"}
    assert Session.get_by_id(session.id).seats_taken == 2  # nothing half-applied


def test_default_limit_is_twenty(app):
    with db.connection_context():
        assert Company.create().mentees_per_session_limit == 20


def test_type_and_mentor_cannot_change_after_publishing(company, mentor, make_user):
    session = mentoring.create(values(mentor), company)
    other = make_user(Role.HOST)
    errors = refusal(
        lambda: mentoring.edit(
            session, values(other, session_type="private", mentees=[make_user()]), company
        )
    )
    assert errors == {
        "session_type": "The session type cannot be changed after publishing.",
        "mentor": "The mentor cannot be changed after publishing.",
    }


def test_edit_changes_mentees_and_time_and_sends_a_higher_sequence(company, mentor, make_user):
    kept, dropped, added = make_user(), make_user(), make_user()
    session = mentoring.create(values(mentor, mentees=[kept, dropped]), company)
    mentoring.edit(
        session, values(mentor, BASE + timedelta(hours=2), mentees=[kept, added]), company
    )
    day = Day.get(Day.session == session)
    assert day.sequence == 1 and day.start_at == datetime(2030, 5, 14, 17)
    statuses = {
        registration.user_id: registration.status
        for registration in Registration.select().where(Registration.session == session)
    }
    assert statuses[dropped.id] == Status.CANCELLED
    assert statuses[added.id] == statuses[kept.id] == Status.APPROVED
    assert Session.get_by_id(session.id).seats_taken == 2
    assert Session.get_by_id(session.id).registration_end_at == datetime(2030, 5, 14, 17)


def test_a_started_session_cannot_be_edited_cancelled_or_deleted(company, mentor):
    session = mentoring.create(values(mentor), company)
    during = datetime(2030, 5, 14, 15, 10)
    message = {"session": "A session that has started cannot be edited or deleted."}
    assert refusal(lambda: mentoring.edit(session, values(mentor), company, now=during)) == message
    assert refusal(lambda: mentoring.cancel(session, now=during)) == message
    assert refusal(lambda: mentoring.delete(session, now=during)) == message
    assert (
        refusal(lambda: mentoring.set_meeting(session, "zoom", "123456789", now=during)) == message
    )


def test_cancel_and_delete_tell_everyone_with_a_higher_sequence(company, mentor, make_user):
    mentee = make_user()
    session = mentoring.create(values(mentor, mentees=[mentee]), company)
    mentoring.cancel(session)
    assert Day.get(Day.session == session).sequence == 1
    assert Registration.get(Registration.user == mentee).status == Status.CANCELLED
    refused = refusal(lambda: mentoring.edit(session, values(mentor), company))
    assert refused == {"session": "This session is cancelled."}
    other = mentoring.create(values(mentor, mentees=[mentee]), company)
    mentoring.delete(other)
    assert Session.get_or_none(Session.id == other.id) is None


def test_set_meeting_later_then_zoom(company, mentor):
    session = mentoring.create(
        values(mentor, platform="Zoom", meeting_url="", link_later=True), company
    )
    assert Day.get(Day.session == session).url == ""
    day = mentoring.set_meeting(
        session, "zoom", "https://us02web.zoom.us/j/12345678901?pwd=abc", "123 4567 8901", "x1y2"
    )
    assert (day.url, day.meeting_id, day.passcode, day.sequence) == (  # nobody told yet: 0
        "https://us02web.zoom.us/j/12345678901?pwd=abc",
        "12345678901",
        "x1y2",
        0,
    )


def test_private_sessions_only_for_invited_mentees(company, mentor, make_user):
    invited = make_user()
    session = mentoring.create(values(mentor, session_type="private", mentees=[invited]), company)
    with pytest.raises(booking.BookingError, match="invited people only"):
        mentoring.enroll(make_user(), session)
    mentoring.leave(invited, session)
    assert mentoring.enroll(invited, Session.get_by_id(session.id)).status == Status.APPROVED


def test_check_reports_without_writing(company, mentor):
    assert mentoring.check(values(mentor), company) == {}
    assert Session.select().count() == 0


# Two concurrent creations for one mentor ---------------------------------------------------

RACERS = 6


@pytest.mark.every_database
def test_concurrent_creations_for_one_mentor_cannot_both_pass(backend, app, make_user):
    with app.app_context(), db.connection_context():
        mentor = make_user(Role.HOST)
        company = Company.current()
    outcomes, start = [], threading.Barrier(RACERS)

    def attempt(index):
        with app.test_request_context("/"), db.connection_context():
            # Different but overlapping slots: 15:00, 15:10, ... (each 60 minutes).
            slot = values(mentor, BASE + timedelta(minutes=10 * index), title=f"Talk {index}")
            start.wait()
            try:
                mentoring.create(slot, company)
                outcomes.append("ok")
            except Problems as problems:
                outcomes.append(problems.errors.get("start", str(problems.errors)))

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1, outcomes
    assert all("already has a session" in outcome for outcome in outcomes if outcome != "ok")
    with db.connection_context():
        assert Session.select().where(Session.host == mentor.id).count() == 1


def test_a_group_session_the_mentor_hosts_clashes_too(company, mentor):
    group = Session.create(
        kind="group",
        name={"en": "Pitch practice"},
        timezone="UTC",
        host=mentor,
        registration_end_at=datetime(2030, 5, 14, 16),
    )
    Day.create(session=group, start_at=datetime(2030, 5, 14, 16), end_at=datetime(2030, 5, 14, 17))
    errors = refusal(lambda: mentoring.create(values(mentor), company))  # 15:00-16:00
    assert "already has a session at this time: Pitch practice" in errors["start"]


def test_rescheduling_into_a_clash_is_refused(company, mentor):
    first = mentoring.create(values(mentor), company)
    second = mentoring.create(values(mentor, BASE + timedelta(hours=3)), company)

    errors = refusal(
        lambda: hosting.reschedule(
            second, BASE + timedelta(minutes=30), BASE + timedelta(minutes=90), company
        )
    )
    assert "Career talk" in errors["start"]
    assert Day.get(Day.session == second).start_at == datetime(2030, 5, 14, 18)
    assert first.id != second.id


def test_people_by_email_for_files(company, make_user):
    tom = make_user(email="tom@example.com")
    ann = make_user(email="ann@example.com")
    found, missing = mentoring.people_by_email(
        [" Ann@Example.com", "", "nobody@example.com", "tom@example.com", "ann@example.com"]
    )
    assert [person.id for person in found] == [ann.id, tom.id]
    assert missing == ["nobody@example.com"]
