"""Capacity under concurrency: never more approved than seats, on SQLite and PostgreSQL."""

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from models import Registration, Session, Status, User, db
from sessions import booking

THREADS = 24
SEATS = 5


def run_together(app, work, count):
    """Run `work(index)` in `count` threads released at the same instant; collect outcomes."""
    outcomes, start = [], threading.Barrier(count)

    def attempt(index):
        with app.app_context(), db.connection_context():
            start.wait()
            try:
                work(index)
                outcomes.append("ok")
            except booking.BookingError as refusal:
                outcomes.append(refusal.message)

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def approved_in(session):
    with db.connection_context():
        count = (
            Registration.select()
            .where(Registration.session == session, Registration.status == Status.APPROVED)
            .count()
        )
        return count, Session.get_by_id(session.id).seats_taken


@pytest.mark.every_database
def test_concurrent_sign_ups_never_exceed_the_limit(
    backend, app, make_event, make_session, make_user
):
    session = make_session(make_event(is_active=True), participant_limit=SEATS)
    members = [make_user() for _ in range(THREADS)]
    outcomes = run_together(
        app, lambda i: booking.sign_up(members[i], Session.get_by_id(session.id)), THREADS
    )
    assert outcomes.count("ok") == SEATS
    assert outcomes.count("Session seats full") == THREADS - SEATS
    assert approved_in(session) == (SEATS, SEATS)


@pytest.mark.every_database
def test_concurrent_withdrawals_promote_each_waiting_member_once(
    backend, app, make_event, make_session, make_user
):
    session = make_session(make_event(is_active=True), participant_limit=SEATS)
    with app.app_context(), db.connection_context():
        seated = [booking.sign_up(make_user(), session) for _ in range(SEATS)]
        for _ in range(THREADS):
            booking.join_waiting_list(make_user(), session)
    outcomes = run_together(
        app, lambda i: booking.withdraw(Registration.get_by_id(seated[i].id)), SEATS
    )
    assert outcomes == ["ok"] * SEATS
    assert approved_in(session) == (SEATS, SEATS)
    with db.connection_context():
        assert (
            Registration.select().where(Registration.status == Status.WAITLISTED).count()
            == THREADS - SEATS
        )


@pytest.mark.every_database
def test_concurrent_switches_fill_the_target_exactly(
    backend, app, make_event, make_session, make_user
):
    event = make_event(is_active=True)
    daytime = make_session(event, name="Daytime", participant_limit=THREADS)
    evening = make_session(event, name="Evening", participant_limit=SEATS)
    with app.app_context(), db.connection_context():
        registrations = [booking.sign_up(make_user(), daytime) for _ in range(THREADS)]
    outcomes = run_together(
        app,
        lambda i: booking.switch(
            Registration.get_by_id(registrations[i].id), Session.get_by_id(evening.id)
        ),
        THREADS,
    )
    assert outcomes.count("ok") == SEATS
    assert approved_in(evening) == (SEATS, SEATS)
    assert approved_in(daytime) == (THREADS - SEATS, THREADS - SEATS)  # no seat lost on the way


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_two_processes_never_exceed_the_limit(
    backend, app, postgres_url, make_event, make_session, make_user
):
    session = make_session(make_event(is_active=True), participant_limit=SEATS)
    members = [make_user().id for _ in range(2 * THREADS)]
    worker = Path(__file__).with_name("booking_race_worker.py")
    halves = [members[:THREADS], members[THREADS:]]
    processes = [
        subprocess.Popen(
            [sys.executable, worker, postgres_url, str(session.id), *map(str, half)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for half in halves
    ]
    results = [json.loads(process.communicate(timeout=120)[0]) for process in processes]
    assert sum(result["approved"] for result in results) == SEATS
    assert sum(result["full"] for result in results) == 2 * THREADS - SEATS
    assert not any(result["other"] for result in results)
    assert approved_in(session) == (SEATS, SEATS)
    with db.connection_context():
        assert User.select().count() == 2 * THREADS
