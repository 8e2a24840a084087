"""The hot requests' statements built once (foundation/prepared.py) on both databases: what
they read and write, that the SQL is not built again, that nothing read from a cache goes
stale (the company row, cards after a change), and that the statement counts of a sign-up
and a day save stay constant."""

import time

import pytest
from conftest import count_queries

from foundation import i18n
from foundation.prepared import Prepared, PreparedByLength, slot
from messaging import mail
from models import (
    Broadcast,
    Company,
    Email,
    Registration,
    RegistrationRole,
    Role,
    Session,
    Status,
    User,
    db,
    utcnow,
)

pytestmark = pytest.mark.every_database


def _user_named(name):
    return Prepared(lambda: User.select().where(User.name == slot("name")).order_by(User.id))


def test_prepared_statements_read_insert_and_update_with_their_values(ctx, backend, make_user):
    ada, bob = make_user(name="Ada"), make_user(name="Bob")
    named = _user_named("name")
    assert [user.id for user in named.rows(name="Ada")] == [ada.id]
    assert named.first(name="Bob").email == bob.email  # the same statement, other values
    assert named.first(name="Nobody") is None
    renamed = Prepared(lambda: User.update(name=slot("name")).where(User.id == slot("id")))
    assert renamed.run(name="Ada L.", id=ada.id) == 1
    assert User.get_by_id(ada.id).name == "Ada L."
    insert = Prepared(
        lambda: Company.insert(name=slot("name"), timezone="UTC").on_conflict_ignore()
    )
    new_id = insert.insert(name="Second")
    assert Company.get_by_id(new_id).name == "Second"
    by_ids = PreparedByLength(lambda ids: User.select().where(User.id.in_(ids)), longest=1)
    assert {user.name for user in by_ids.rows([bob.id])} == {"Bob"}
    assert {user.name for user in by_ids.rows([ada.id, bob.id])} == {"Ada L.", "Bob"}


def test_a_prepared_statement_is_built_once(ctx, make_user, monkeypatch):
    make_user(name="Ada")
    named, built = _user_named("name"), []
    real_context = db.obj.get_sql_context
    monkeypatch.setattr(
        db.obj, "get_sql_context", lambda *a, **k: built.append(1) or real_context(*a, **k)
    )
    for _ in range(3):
        assert named.first(name="Ada").name == "Ada"
    assert len(built) == 1


def test_outbox_rows_carry_the_time_they_were_queued(ctx, make_user):
    user = make_user()
    mail.queue_email("first", user, "registration_confirmed", session_id=1)
    time.sleep(0.01)
    mail.queue_email("second", user, "registration_confirmed", session_id=1)
    mail.queue_email("second", user, "registration_confirmed", session_id=2)  # ignored
    first, second = (Email.get(Email.key == key) for key in ("first", "second"))
    assert second.created_at > first.created_at  # not the time the statement was built
    assert second.context == {"session_id": 1}
    assert Email.select().count() == 2


# Company settings: read fresh, rebuilt only when the row changed ---------------------------


def test_company_settings_changed_elsewhere_show_at_once(app, ctx):
    assert i18n._read_company().timezone == "Europe/Moscow"
    # Another worker (any other connection) saves new settings.
    Company.update(timezone="Asia/Tokyo", locales=["en"]).execute()
    company = i18n._read_company()
    assert (company.timezone, company.locales) == ("Asia/Tokyo", ["en"])


def test_a_changed_copy_of_the_company_does_not_leak_to_the_next_request(app, ctx):
    company = i18n._read_company()
    company.timezone = "Asia/Tokyo"  # a form that failed validation: never saved
    company.locales.append("de")
    again = i18n._read_company()
    assert (again.timezone, again.locales) == ("Europe/Moscow", ["en", "ru"])


def test_another_app_on_the_same_database_sees_saved_settings(app, sign_in, backend):
    admin = sign_in(Role.ADMIN)
    member = sign_in(Role.MEMBER)
    assert "Moscow" in member.get("/profile").text or "Москва" in member.get("/profile").text
    form = {
        "timezone": "Asia/Tokyo",
        "locales": ["en", "ru"],
        "default_locale": "en",
        "mentees_per_session_limit": "20",
        "bulk_rows_limit": "10000",
        "min_duration_minutes": "30",
        "group_minimum_cutoff_hours": "24",
    }
    answer = admin.htmx("post", "/admin/settings", data=form)
    assert answer.status_code in (200, 204)
    with db.connection_context():
        assert Company.get().timezone == "Asia/Tokyo"
        assert i18n._read_company().timezone == "Asia/Tokyo"


# Sign-up ------------------------------------------------------------------------------------


def test_sign_up_revives_a_cancelled_registration_and_refuses_a_second_one(
    sign_in, make_event, make_session
):
    event = make_event(is_active=True)
    daytime = make_session(event, name="Daytime", participant_limit=2)
    evening = make_session(event, name="Evening", participant_limit=2)
    member = sign_in(Role.MEMBER)

    def sign_up(session):
        return member.htmx("post", f"/sessions/{session.id}/signup")

    def mine(session):
        with db.connection_context():
            return Registration.get(
                Registration.user == member.user.id, Registration.session == session.id
            )

    assert "You are registered" in sign_up(daytime).headers["HX-Trigger"]
    first = mine(daytime)
    member.htmx("post", f"/registrations/{first.id}/withdraw")
    assert "You are registered" in sign_up(evening).headers["HX-Trigger"]
    refused = sign_up(daytime)
    assert refused.status_code == 422 and "already registered" in refused.text
    with db.connection_context():
        seats = [Session.get_by_id(s.id).seats_taken for s in (daytime, evening)]
    assert seats == [0, 1] and mine(daytime).status == Status.CANCELLED
    member.htmx("post", f"/registrations/{mine(evening).id}/withdraw")
    revived = sign_up(daytime)
    assert revived.status_code == 200 and "1 seat left" in revived.text
    again = mine(daytime)
    assert again.id == first.id and again.status == Status.APPROVED  # the same row, revived
    with db.connection_context():
        confirmations = Email.select().where(
            Email.user == member.user.id, Email.kind == "registration_confirmed"
        )
        assert confirmations.count() == 3


def test_sign_up_statements_stay_the_same_whatever_the_event_holds(
    sign_in, make_event, make_session, make_day, make_user, monkeypatch
):
    monkeypatch.setattr(mail, "request_delivery", lambda: None)  # count the request alone

    def signup_queries(sessions, others):
        event = make_event(is_active=True)
        chosen = [make_session(event, name=f"S{n}", participant_limit=50) for n in range(sessions)]
        for session in chosen:
            make_day(session)
        with db.connection_context():
            for _ in range(others):
                user = make_user()
                Registration.create(session=chosen[0], event=event, user=user)
        member = sign_in(Role.MEMBER)
        token = {"X-CSRFToken": member.csrf_token()}  # read before: only the sign-up counts
        with count_queries() as queries:
            answer = member.htmx("post", f"/sessions/{chosen[-1].id}/signup", headers=token)
        assert answer.status_code == 200
        return queries

    small, large = signup_queries(1, 0), signup_queries(10, 20)
    assert len(small) == len(large), large
    # One read of the person's rows in the event, one seat step, one row, one notice, and the
    # change's one history entry.
    writes = [sql for sql in large if sql.startswith(("UPDATE", "INSERT"))]
    tables = [sql.split('"')[1] for sql in writes]
    assert tables == ["session", "registration", "email", "history"]


# Day save -----------------------------------------------------------------------------------


def _day_form(address="Hall"):
    return {
        "start": "2030-03-01T09:00",
        "end": "2030-03-01T11:00",
        "format": "offline",
        "address": address,
    }


def test_day_save_tells_everyone_in_the_session_once(
    app, sign_in, make_event, make_session, make_day, make_user
):
    session = make_session(make_event(is_active=True))
    day = make_day(session)
    with db.connection_context():
        people = {status: make_user() for status in (Status.APPROVED, Status.MISSED)}
        waiting, gone, host = make_user(), make_user(), make_user()
        for status, user in people.items():
            Registration.create(session=session, event=session.event_id, user=user, status=status)
        Registration.create(session=session, user=waiting, status=Status.WAITLISTED)
        Registration.create(session=session, user=gone, status=Status.CANCELLED)
        Registration.create(session=session, user=host, role=RegistrationRole.HOST)
    admin = sign_in(Role.ADMIN)
    answer = admin.htmx("post", f"/admin/days/{day.id}", data=_day_form())
    assert answer.status_code == 200 and "Hall" in answer.text
    with db.connection_context():
        broadcast = Broadcast.get(Broadcast.kind == "day_changed")
        expected = {user.id for user in people.values()} | {host.id}
        assert sorted(broadcast.user_ids) == sorted(expected)
        assert broadcast.context["day"]["address"] == "Hall"
        assert broadcast.context["day"]["sequence"] == 1
    with app.app_context(), db.connection_context():
        mail.expand_broadcasts()  # what the worker does after the commit
        told = Email.select(Email.user).where(Email.kind == "day_changed")
        assert sorted(email.user_id for email in told) == sorted(expected)  # once each


def test_a_day_save_in_a_session_with_nobody_queues_no_notice(
    sign_in, make_event, make_session, make_day
):
    day = make_day(make_session(make_event(is_active=True)))
    assert (
        sign_in(Role.ADMIN).htmx("post", f"/admin/days/{day.id}", data=_day_form()).status_code
        == 200
    )
    with db.connection_context():
        assert Broadcast.select().count() == 0


def test_day_save_statements_stay_the_same_whatever_the_session_holds(
    sign_in, make_event, make_session, make_day, make_user, monkeypatch
):
    monkeypatch.setattr(mail, "request_delivery", lambda: None)  # count the request alone
    admin = sign_in(Role.ADMIN)

    def save_queries(participants):
        session = make_session(make_event(is_active=True))
        days = [make_day(session, start=f"2030-03-0{n + 1}T10:00") for n in range(3)]
        with db.connection_context():
            for _ in range(participants):
                Registration.create(session=session, event=session.event_id, user=make_user())
        token = {"X-CSRFToken": admin.csrf_token()}
        with count_queries() as queries:
            answer = admin.htmx(
                "post", f"/admin/days/{days[0].id}", data=_day_form(), headers=token
            )
        assert answer.status_code == 200
        return queries

    small, large = save_queries(1), save_queries(30)
    assert len(small) == len(large), large
    # The recipients are never loaded: the notice is written by one INSERT ... SELECT.
    touching_registrations = [sql for sql in large if '"registration"' in sql]
    assert len(touching_registrations) == 1 and "INSERT" in touching_registrations[0]


# Nothing stale after a change ---------------------------------------------------------------


def test_the_member_page_shows_a_renamed_session_and_a_moved_day_at_once(
    sign_in, make_event, make_session, make_day
):
    event = make_event(is_active=True)
    sessions = [make_session(event, name=f"S{n}") for n in range(10)]
    day = make_day(sessions[0])
    member, admin = sign_in(Role.MEMBER), sign_in(Role.ADMIN)
    page = member.get(f"/events/{event.id}").text
    assert "Main hall" in page and "S9" in page  # drawn, and a place below the first screen
    assert (
        admin.htmx("post", f"/admin/days/{day.id}", data=_day_form("New hall")).status_code == 200
    )
    with db.connection_context():
        Session.update(name={"en": "Renamed"}).where(Session.id == sessions[9].id).execute()
    page = member.get(f"/events/{event.id}").text
    assert "New hall" in page and "Main hall" not in page
    assert "Renamed" in page and ">S9<" not in page
    assert f'hx-get="/sessions/{sessions[9].id}/card"' in page  # the lazy card's own route
    assert "Renamed" in member.get(f"/sessions/{sessions[9].id}/card").text


def test_the_lazy_cards_paths_are_their_routes(app):
    from views import admin_event_page, event_choices

    with app.test_request_context("/"):
        from flask import url_for

        assert event_choices.card_path(7) == url_for("event_signup.session_card", session_id=7)
        assert admin_event_page.card_path(7) == url_for("event_planning.session_card", session_id=7)


def test_the_signed_in_user_is_read_fresh(sign_in):
    member = sign_in(Role.MEMBER)
    assert member.get("/home").status_code == 200
    with db.connection_context():
        User.update(is_active=False).where(User.id == member.user.id).execute()
    assert member.get("/home").status_code == 302  # signed out at once
    assert utcnow()  # the clock the statements are given


def test_requests_borrow_one_pooled_connection_again_and_again(sign_in):
    """Connections are pooled on both databases: each request borrows one and gives it back,
    so connecting (and SQLite's PRAGMAs) is paid once, not per request."""
    member = sign_in(Role.MEMBER)
    member.get("/home")
    # The pool's idle connections: (since, counter, connection) in peewee's own list.
    idle = [connection for _since, _counter, connection in db.obj._connections]
    for _ in range(3):
        assert member.get("/home").status_code == 200
    again = [connection for _since, _counter, connection in db.obj._connections]
    assert again == idle and len(idle) >= 1 and not db.obj._in_use
