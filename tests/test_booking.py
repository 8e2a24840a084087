"""Seats, the waiting list and the statuses of docs/product-rules.md, on SQLite and PostgreSQL."""

from datetime import datetime, timedelta

import peewee as pw
import pytest
from werkzeug.datastructures import MultiDict

from models import Company, Registration, Status, db
from sessions import after_last_day, booking, planning

pytestmark = [pytest.mark.every_database, pytest.mark.usefixtures("ctx")]

NOW = datetime(2030, 2, 1, 12, 0)  # before the registration end of the factories (Feb 27)


@pytest.fixture
def event(make_event):
    return make_event(is_active=True)


def fresh(row):
    return type(row).get_by_id(row.id)


def status_of(user, session):
    return Registration.get(Registration.user == user, Registration.session == session).status


def refusal(call, *args, **kwargs):
    with pytest.raises(booking.BookingError) as caught:
        call(*args, **kwargs)
    return caught.value.message


def test_sign_up_approves_and_takes_a_seat(backend, event, make_session, make_user):
    session = make_session(event, participant_limit=2)
    member = make_user()
    registration = booking.sign_up(member, session, NOW)
    assert registration.status == Status.APPROVED and registration.event_id == event.id
    assert fresh(session).seats_taken == 1 and fresh(session).seats_left == 1


def test_a_full_session_answers_session_seats_full_and_changes_nothing(
    backend, event, make_session, make_user
):
    session = make_session(event, participant_limit=1)
    booking.sign_up(make_user(), session, NOW)
    late = make_user()
    assert refusal(booking.sign_up, late, session, NOW) == "Session seats full"
    assert Registration.select().where(Registration.user == late).count() == 0
    assert fresh(session).seats_taken == 1


def test_one_live_registration_per_event(backend, event, make_session, make_user):
    daytime, evening = make_session(event, name="Daytime"), make_session(event, name="Evening")
    member = make_user()
    booking.sign_up(member, daytime, NOW)
    assert (
        refusal(booking.sign_up, member, evening, NOW)
        == "You are already registered in this event."
    )
    assert fresh(evening).seats_taken == 0


def test_the_database_itself_forbids_two_live_registrations_in_an_event(
    backend, event, make_session, make_user
):
    daytime, evening = make_session(event, name="Daytime"), make_session(event, name="Evening")
    member = make_user()
    Registration.create(session=daytime, event=event, user=member)
    with pytest.raises(pw.IntegrityError), db.atomic():
        Registration.create(session=evening, event=event, user=member)
    # A cancelled registration does not count.
    Registration.update(status=Status.CANCELLED).execute()
    Registration.create(session=evening, event=event, user=member)


def test_sign_up_is_refused_after_the_registration_end_and_for_hidden_events(
    backend, make_event, make_session, make_user
):
    member = make_user()
    open_session = make_session(make_event(is_active=True))
    after_end = datetime(2030, 2, 28)
    assert (
        refusal(booking.sign_up, member, open_session, after_end)
        == "Registration for this session has ended."
    )
    hidden = make_session(make_event(is_active=False))
    assert (
        refusal(booking.sign_up, member, hidden, NOW) == "This event is not open for registration."
    )
    assert Registration.select().count() == 0


def test_switch_moves_the_seat_in_one_step(backend, event, make_session, make_user):
    daytime = make_session(event, name="Daytime", participant_limit=5)
    evening = make_session(event, name="Evening", participant_limit=5)
    member = make_user()
    registration = booking.sign_up(member, daytime, NOW)
    moved = booking.switch(registration, evening, NOW)
    assert moved.session_id == evening.id and moved.status == Status.APPROVED
    assert status_of(member, daytime) == Status.CANCELLED
    assert (fresh(daytime).seats_taken, fresh(evening).seats_taken) == (0, 1)
    # And back again: the cancelled row is revived, not duplicated.
    booking.switch(moved, daytime, NOW)
    assert Registration.select().where(Registration.user == member).count() == 2
    assert (fresh(daytime).seats_taken, fresh(evening).seats_taken) == (1, 0)


def test_switch_to_a_full_session_changes_nothing(backend, event, make_session, make_user):
    daytime = make_session(event, name="Daytime")
    evening = make_session(event, name="Evening", participant_limit=1)
    booking.sign_up(make_user(), evening, NOW)
    member = make_user()
    registration = booking.sign_up(member, daytime, NOW)
    assert refusal(booking.switch, registration, evening, NOW) == "Session seats full"
    assert status_of(member, daytime) == Status.APPROVED
    assert (fresh(daytime).seats_taken, fresh(evening).seats_taken) == (1, 1)


def test_withdraw_frees_the_seat_and_promotes_the_first_in_line(
    backend, event, make_session, make_user
):
    session = make_session(event, participant_limit=1)
    seated, first, second = make_user(), make_user(), make_user()
    registration = booking.sign_up(seated, session, NOW)
    booking.join_waiting_list(first, session, NOW)
    booking.join_waiting_list(second, session, NOW + timedelta(minutes=1))
    assert status_of(first, session) == Status.WAITLISTED
    booking.withdraw(registration, NOW)
    assert status_of(seated, session) == Status.CANCELLED
    assert status_of(first, session) == Status.APPROVED
    assert status_of(second, session) == Status.WAITLISTED
    assert fresh(session).seats_taken == 1


def test_withdrawing_from_the_waiting_list_holds_no_seat(backend, event, make_session, make_user):
    session = make_session(event, participant_limit=1)
    booking.sign_up(make_user(), session, NOW)
    waiting = booking.join_waiting_list(make_user(), session, NOW)
    booking.withdraw(waiting, NOW)
    assert fresh(session).seats_taken == 1


def test_after_the_last_day_members_are_asked_to_confirm(
    backend, event, make_session, make_day, make_user
):
    session = make_session(event)
    make_day(session, start="2030-03-01T10:00", hours=2)
    member = make_user()
    registration = booking.sign_up(member, session, NOW)
    assert (
        after_last_day.ask_to_confirm_participation(datetime(2030, 3, 1, 8, 0)) == 0
    )  # not over yet
    assert (
        after_last_day.ask_to_confirm_participation(datetime(2030, 3, 1, 9, 0)) == 1
    )  # 12:00 Moscow
    assert status_of(member, session) == Status.CONFIRM_PARTICIPATION
    booking.confirm_participation(fresh(registration), took_part=True)
    assert status_of(member, session) == Status.PARTICIPATED
    assert refusal(booking.confirm_participation, fresh(registration), True).startswith(
        "This registration"
    )


def test_answering_no_marks_missed(backend, event, make_session, make_user):
    session = make_session(event)
    registration = booking.sign_up(make_user(), session, NOW)
    Registration.update(status=Status.CONFIRM_PARTICIPATION).execute()
    booking.confirm_participation(fresh(registration), took_part=False)
    assert fresh(registration).status == Status.MISSED


def test_admin_statuses_keep_the_seat_count_true(backend, event, make_session, make_user):
    session = make_session(event, participant_limit=1)
    registration = booking.sign_up(make_user(), session, NOW)
    waiting = booking.join_waiting_list(make_user(), session, NOW)
    booking.set_status(fresh(registration), Status.DENIED)
    assert fresh(session).seats_taken == 1 and fresh(waiting).status == Status.APPROVED
    assert refusal(booking.set_status, fresh(registration), Status.APPROVED) == "Session seats full"
    assert fresh(registration).status == Status.DENIED
    booking.set_status(fresh(waiting), Status.PARTICIPATED)
    booking.set_status(fresh(waiting), Status.MISSED)
    assert fresh(session).seats_taken == 1
    assert refusal(booking.set_status, fresh(waiting), "cancelled") == "Choose one of the options."


def test_admin_registers_a_member_even_after_the_registration_end(
    backend, event, make_session, make_user
):
    daytime, evening = make_session(event, name="Daytime"), make_session(event, name="Evening")
    member = make_user()
    booking.register_user(member, daytime, datetime(2030, 2, 28))
    assert status_of(member, daytime) == Status.APPROVED
    booking.register_user(member, evening, datetime(2030, 2, 28))  # moves them
    assert (
        status_of(member, daytime) == Status.CANCELLED
        and status_of(member, evening) == Status.APPROVED
    )
    assert refusal(booking.register_user, member, evening) == "Already registered for this session."


# A future day added to a finished session ---------------------------------------------------

DIALOG_DAY = {
    "start": "2030-04-01T10:00",
    "end": "2030-04-01T12:00",
    "format": "offline",
    "address": "Hall",
}
AFTER = datetime(2030, 3, 10)


@pytest.fixture
def finished(event, make_session, make_day, make_user):
    """A session whose only day has passed, with one registration in each status."""
    session = make_session(event, participant_limit=10)
    make_day(session, start="2030-03-01T10:00")
    registrations = {}
    for status in (
        Status.APPROVED,
        Status.CONFIRM_PARTICIPATION,
        Status.PARTICIPATED,
        Status.MISSED,
        Status.DENIED,
    ):
        member = make_user()
        booking.register_user(member, session, NOW)
        Registration.update(status=status).where(Registration.user == member).execute()
        registrations[status] = member
    return session, registrations


def test_adding_a_future_day_to_a_finished_session_asks_for_confirmation(backend, finished):
    session, _members = finished
    with pytest.raises(planning.NeedsConfirmation):
        planning.save_day(session, None, MultiDict(DIALOG_DAY), Company.current(), AFTER)
    assert session.days.count() == 1  # nothing saved before the admin confirms


def test_confirming_the_new_day_returns_finished_registrations_to_approved(backend, finished):
    session, members = finished
    seats_before = fresh(session).seats_taken
    planning.save_day(
        session, None, MultiDict({**DIALOG_DAY, "confirmed": "1"}), Company.current(), AFTER
    )
    statuses = {before: status_of(member, session) for before, member in members.items()}
    assert statuses == {
        Status.APPROVED: Status.APPROVED,
        Status.CONFIRM_PARTICIPATION: Status.APPROVED,
        Status.PARTICIPATED: Status.APPROVED,
        Status.MISSED: Status.APPROVED,  # stays visible in "Participating", not lost
        Status.DENIED: Status.DENIED,
    }
    assert fresh(session).seats_taken == seats_before  # all of these statuses hold a seat


def test_a_past_day_needs_no_confirmation(backend, finished):
    session, _members = finished
    past = {**DIALOG_DAY, "start": "2030-03-02T10:00", "end": "2030-03-02T12:00"}
    planning.save_day(session, None, MultiDict(past), Company.current(), AFTER)
    assert session.days.count() == 2
