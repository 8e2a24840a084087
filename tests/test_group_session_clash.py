"""Creating a group session runs the host-clash rule of sessions/hosting.py (issue 12 item
4): a host never has two live sessions that overlap or touch, also when one of them is a
group session being created, and also when two creations race (SQLite and PostgreSQL)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from models import Company, Day, Role, Session, SessionKind, db
from sessions import group_sessions, hosting, mentoring
from sessions.mentoring import MentoringValues

BASE = datetime(2030, 5, 14, 15, 0, tzinfo=UTC)  # 15:00 UTC = 18:00 in Moscow


def group_form(local_start="2030-05-14T18:00", hours="1", minutes="0", title="Pitch practice"):
    return MultiDict(
        {
            "title": title,
            "description": "Practise your pitch",
            "start": local_start,
            "duration_hours": hours,
            "duration_minutes": minutes,
            "min_participants": "2",
            "max_participants": "4",
            "timezone": "Europe/Moscow",
        }
    )


def mentoring_values(mentor, start=BASE, minutes=60):
    return MentoringValues(
        title="Career talk",
        description="How to plan the next step.",
        mentor=mentor,
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        platform="Google Meet",
        meeting_url="https://meet.google.com/abc-defg-hij",
    )


@pytest.fixture
def company(ctx):
    Company.update(allows_group_sessions=True).execute()
    return Company.current()


@pytest.fixture
def mentor(make_user, ctx):
    return make_user(Role.HOST, name="Maria Mentor")


def refused(creator, form, company):
    with pytest.raises(hosting.Problems) as caught:
        group_sessions.create_group_session(creator, form, company)
    return caught.value.errors


@pytest.mark.every_database
@pytest.mark.parametrize(
    ("label", "local_start", "hours", "minutes"),
    [
        ("touching the end (15:00-16:00 blocks 16:00)", "2030-05-14T19:00", "1", "0"),
        ("touching the start", "2030-05-14T17:00", "1", "0"),
        ("containing", "2030-05-14T17:30", "2", "0"),
        ("inside", "2030-05-14T18:15", "0", "30"),
    ],
)
def test_a_group_session_that_touches_or_contains_a_mentoring_session_is_refused(
    company, mentor, label, local_start, hours, minutes
):
    mentoring.create(mentoring_values(mentor), company)
    errors = refused(mentor, group_form(local_start, hours, minutes), company)
    assert "Maria Mentor already has a session at this time: Career talk" in errors["start"], label
    assert not Session.select().where(Session.kind == SessionKind.GROUP).exists()


def test_a_minute_apart_is_allowed_and_cancelled_sessions_do_not_block(company, mentor):
    talk = mentoring.create(mentoring_values(mentor), company)
    group_sessions.create_group_session(mentor, group_form("2030-05-14T19:01"), company)
    hosting.cancel(talk)
    group_sessions.create_group_session(mentor, group_form("2030-05-14T18:00"), company)
    assert Session.select().where(Session.kind == SessionKind.GROUP).count() == 2


def test_a_group_session_blocks_the_next_group_session_of_its_host(company, mentor, make_user):
    group_sessions.create_group_session(mentor, group_form(), company)
    errors = refused(mentor, group_form("2030-05-14T18:30", title="Second"), company)
    assert "already has a session at this time: Pitch practice" in errors["start"]
    other = make_user(Role.HOST)
    group_sessions.create_group_session(other, group_form(), company)  # another host: fine


def test_the_form_shows_the_clash_next_to_the_start(sign_in, app):
    client = sign_in(Role.HOST, name="Maria Mentor")
    with app.app_context(), db.connection_context():
        Company.update(allows_group_sessions=True).execute()
        mentoring.create(mentoring_values(client.user), Company.current())
    response = client.htmx("post", "/group-sessions", data=dict(group_form("2030-05-14T19:00")))
    assert response.status_code == 422
    assert "already has a session at this time" in response.text
    with app.app_context(), db.connection_context():
        assert not Session.select().where(Session.kind == SessionKind.GROUP).exists()


RACERS = 4


@pytest.mark.every_database
def test_a_group_creation_racing_a_mentoring_creation_cannot_both_pass(backend, app, make_user):
    with app.app_context(), db.connection_context():
        mentor = make_user(Role.HOST, name="Maria Mentor")
        Company.update(allows_group_sessions=True).execute()
        company = Company.current()
    outcomes, start = [], threading.Barrier(RACERS)

    def attempt(index):
        with app.test_request_context("/"), db.connection_context():
            start.wait()
            try:
                if index % 2:
                    mentoring.create(
                        mentoring_values(mentor, BASE + timedelta(minutes=index)), company
                    )
                else:
                    local = f"2030-05-14T18:{index:02d}"
                    group_sessions.create_group_session(mentor, group_form(local), company)
                outcomes.append("ok")
            except hosting.Problems as problems:
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
        assert Day.select().count() == 1
