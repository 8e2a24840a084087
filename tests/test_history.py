"""The history of who changed what: every kind of change writes exactly one entry, by the
right actor, in the transaction of the change (none for a refused change, none left by a
rolled-back one), batches in one INSERT; and nobody but admins (and a session's host) reads it."""

import io
from datetime import timedelta

import pytest
from assessment_fixtures import BEFORE as BEFORE_INVITATION
from assessment_fixtures import make_assessment, session_form
from conftest import count_queries
from flask import g
from werkzeug.datastructures import MultiDict

from assessments import planning as assessment_planning
from foundation.forms import Invalid
from models import (
    AssessmentParticipant,
    Attendance,
    Company,
    Day,
    DayFormat,
    Event,
    HistoryEntry,
    Registration,
    Role,
    Session,
    SessionKind,
    Status,
    Upload,
    User,
    ZoomMeeting,
    db,
    utcnow,
)
from sessions import after_last_day, attendance, booking, history, hosting, planning
from sessions.history import Actor, Change


def person(email, name=None, role=Role.MEMBER):
    with db.connection_context():
        return User.create(
            email=email, name=name or email.split("@")[0].title(), password_hash="x", role=role
        )


def entries(since=0):
    """(change, actor, actor user id, person id, session id, before, after) of every entry
    after id `since`, oldest first."""
    with db.connection_context():
        return [
            (e.change, e.actor, e.actor_user_id, e.person_id, e.session_id, e.before, e.after)
            for e in HistoryEntry.select().where(HistoryEntry.id > since).order_by(HistoryEntry.id)
        ]


def last_id():
    with db.connection_context():
        return HistoryEntry.select(HistoryEntry.id).order_by(HistoryEntry.id.desc()).scalar() or 0


def history_inserts(statements):
    return [sql for sql in statements if sql.lstrip().upper().startswith('INSERT INTO "HISTORY"')]


@pytest.fixture
def acting(app):
    """`acting(user, operation, *args)`: the operation as `user`'s request runs it (None: a
    background job, outside any request)."""

    def call(user, operation, *args, **kwargs):
        if user is None:
            with db.connection_context():
                return operation(*args, **kwargs)
        with app.test_request_context("/"), db.connection_context():
            g.user = user
            return operation(*args, **kwargs)

    return call


@pytest.fixture
def event_of_two(make_event, make_session, make_day):
    """An active event with Daytime (1 seat) and Evening (no limit), a day each."""
    event = make_event(is_active=True)
    daytime = make_session(event, "Daytime", participant_limit=1)
    evening = make_session(event, "Evening")
    make_day(daytime)
    make_day(evening, start="2030-03-01T18:00")
    return event, daytime, evening


@pytest.fixture
def people(app):
    return {
        "admin": person("boss@example.com", "Ada Admin", Role.ADMIN),
        "ann": person("ann@example.com"),
        "bob": person("bob@example.com"),
    }


def registration_of(user, session):
    with db.connection_context():
        return Registration.get(Registration.user == user, Registration.session == session)


# Each kind of registration change: one entry, the right actor --------------------------------


def test_history_sign_up_and_waiting_list_write_one_entry_each_by_the_member(
    acting, event_of_two, people
):
    _event, daytime, _evening = event_of_two
    acting(people["ann"], booking.sign_up, people["ann"], daytime)
    assert entries() == [
        (Change.REGISTERED, Actor.USER, people["ann"].id, people["ann"].id, daytime.id, None,
         {"status": Status.APPROVED}),
    ]  # fmt: skip
    since = last_id()
    acting(people["bob"], booking.join_waiting_list, people["bob"], daytime)
    assert entries(since) == [
        (Change.REGISTERED, Actor.USER, people["bob"].id, people["bob"].id, daytime.id, None,
         {"status": Status.WAITLISTED}),
    ]  # fmt: skip


def test_history_withdrawal_promotes_the_waiting_list_with_an_entry_each(
    acting, event_of_two, people
):
    _event, daytime, _evening = event_of_two
    ann, bob = people["ann"], people["bob"]
    acting(ann, booking.sign_up, ann, daytime)
    acting(bob, booking.join_waiting_list, bob, daytime)
    since = last_id()

    acting(ann, booking.withdraw, registration_of(ann, daytime))

    assert entries(since) == [
        (Change.PROMOTED, Actor.USER, ann.id, bob.id, daytime.id,
         {"status": Status.WAITLISTED}, {"status": Status.APPROVED}),
        (Change.STATUS_CHANGED, Actor.USER, ann.id, ann.id, daytime.id,
         {"status": Status.APPROVED}, {"status": Status.CANCELLED}),
    ]  # fmt: skip


def test_history_switch_is_one_move_entry(acting, event_of_two, people):
    _event, daytime, evening = event_of_two
    ann = people["ann"]
    acting(ann, booking.sign_up, ann, daytime)
    since = last_id()

    acting(ann, booking.switch, registration_of(ann, daytime), evening)

    assert entries(since) == [
        (Change.MOVED, Actor.USER, ann.id, ann.id, evening.id,
         {"session": daytime.id, "status": Status.APPROVED},
         {"session": evening.id, "status": Status.APPROVED}),
    ]  # fmt: skip


def test_history_admin_status_change_names_the_admin(acting, event_of_two, people):
    _event, daytime, _evening = event_of_two
    admin, ann = people["admin"], people["ann"]
    acting(ann, booking.sign_up, ann, daytime)
    since = last_id()

    acting(admin, booking.set_status, registration_of(ann, daytime), Status.DENIED)

    assert entries(since) == [
        (Change.STATUS_CHANGED, Actor.USER, admin.id, ann.id, daytime.id,
         {"status": Status.APPROVED}, {"status": Status.DENIED}),
    ]  # fmt: skip


def test_history_refused_changes_write_nothing(acting, event_of_two, people):
    _event, daytime, _evening = event_of_two
    ann, bob, admin = people["ann"], people["bob"], people["admin"]
    acting(ann, booking.sign_up, ann, daytime)
    since = last_id()

    with pytest.raises(booking.BookingError):  # the one seat is Ann's
        acting(bob, booking.sign_up, bob, daytime)
    with pytest.raises(booking.BookingError):
        acting(admin, booking.set_status, registration_of(ann, daytime), "nonsense")
    with pytest.raises(Invalid):
        acting(admin, planning.save_session, daytime.event, daytime, {"name_en": ""},
               planning_company())  # fmt: skip

    assert entries(since) == []


def planning_company():
    with db.connection_context():
        return Company.current()


def test_history_entries_roll_back_with_a_failed_bulk_change(acting, event_of_two, people):
    """Setting two people approved where one seat is left: all or nothing, entries too."""
    _event, daytime, _evening = event_of_two
    ann, bob, admin = people["ann"], people["bob"], people["admin"]
    acting(ann, booking.sign_up, ann, daytime)
    acting(admin, booking.set_status, registration_of(ann, daytime), Status.DENIED)
    acting(bob, booking.sign_up, bob, daytime)
    acting(admin, booking.set_status, registration_of(bob, daytime), Status.DENIED)
    since = last_id()
    ids = [registration_of(ann, daytime).id, registration_of(bob, daytime).id]

    with pytest.raises(booking.BookingError):
        acting(admin, booking.set_statuses, ids, Status.APPROVED)

    assert entries(since) == []
    assert registration_of(ann, daytime).status == Status.DENIED


# Bulk actions and imports: one INSERT of many rows ------------------------------------------


def test_history_bulk_status_is_one_insert_of_an_entry_each(
    app, make_event, make_session, make_day, people, acting
):
    event = make_event(is_active=True)
    session = make_session(event)
    make_day(session)
    members = [person(f"m{n}@example.com") for n in range(3)]
    for member in members:
        acting(member, booking.sign_up, member, session)
    ids = [registration_of(member, session).id for member in members]
    since = last_id()

    with count_queries() as statements:
        acting(people["admin"], booking.set_statuses, ids, Status.PARTICIPATED)

    assert len(history_inserts(statements)) == 1
    assert entries(since) == [
        (Change.BULK_STATUS, Actor.USER, people["admin"].id, member.id, session.id,
         {"status": Status.APPROVED}, {"status": Status.PARTICIPATED})
        for member in members
    ]  # fmt: skip


def test_history_bulk_removal_through_the_list_names_the_admin(
    sign_in, make_event, make_session, make_day, acting
):
    admin = sign_in(Role.ADMIN, name="Rita Remover")
    event = make_event(is_active=True)
    session = make_session(event, participant_limit=2)
    make_day(session)
    members = [person(f"r{n}@example.com") for n in range(3)]
    for member in members[:2]:
        acting(member, booking.sign_up, member, session)
    acting(members[2], booking.join_waiting_list, members[2], session)
    ids = [str(registration_of(member, session).id) for member in members[:2]]
    since = last_id()

    with count_queries() as statements:
        response = admin.htmx(
            "post",
            f"/admin/events/{event.id}/registrations/bulk",
            data={"registration_ids": ids, "action": "remove", "confirmed": "1"},
        )

    assert response.status_code == 200
    changes = entries(since)
    assert sorted(changes[:2], key=lambda row: row[3]) == [
        (Change.REMOVED, Actor.USER, admin.user.id, member.id, session.id,
         {"status": Status.APPROVED}, None)
        for member in members[:2]
    ]  # fmt: skip
    assert changes[2][:5] == (
        Change.PROMOTED, Actor.USER, admin.user.id, members[2].id, session.id
    )  # fmt: skip
    # The removals are one INSERT; the promotion that followed is its own change.
    assert len(history_inserts(statements)) == 2


def test_history_import_writes_its_batch_in_one_insert_by_the_import(
    sign_in, make_event, make_session, make_day
):
    admin = sign_in(Role.ADMIN, name="Ivan Importer")
    event = make_event(is_active=True)
    session = make_session(event)
    make_day(session)
    members = [person(f"i{n}@example.com") for n in range(4)]
    data = "Session,Email\n" + "".join(f"Daytime,{m.email}\n" for m in members)
    admin.htmx(
        "post",
        f"/admin/events/{event.id}/imports",
        data={"file": (io.BytesIO(data.encode()), "people.csv")},
        content_type="multipart/form-data",
    )
    with db.connection_context():
        upload = Upload.get()
    since = last_id()

    with count_queries() as statements:
        admin.htmx("post", f"/admin/imports/{upload.id}/apply")

    assert len(history_inserts(statements)) == 1
    assert entries(since) == [
        (Change.IMPORTED, Actor.IMPORT, admin.user.id, member.id, session.id, None,
         {"status": Status.APPROVED})
        for member in members
    ]  # fmt: skip


# Machine actors: Zoom attendance, the scheduled job --------------------------------------


def test_history_zoom_attendance_marks_are_the_platforms(acting, make_event, make_session, people):
    event = make_event(is_active=True)
    session = make_session(event, registration_end=None)
    ann, bob, admin = people["ann"], people["bob"], people["admin"]
    with db.connection_context():
        start = utcnow() - timedelta(hours=3)
        day = Day.create(
            session=session,
            start_at=start,
            end_at=start + timedelta(hours=1),
            format=DayFormat.ZOOM,
            zoom_role="administrator",
        )
        ZoomMeeting.create(day=day, meeting_id="123")
        for member in (ann, bob):
            Registration.create(session=session, event=event, user=member)
        Attendance.create(day=day, person=ann.email, email=ann.email, seconds=3600)
        Session.update(seats_taken=2).where(Session.id == session.id).execute()
    since = last_id()

    acting(admin, attendance.apply_event_attendance, event)

    marked = {row[3]: row for row in entries(since)}
    assert marked == {
        ann.id: (Change.ATTENDANCE_MARKED, Actor.ZOOM_ATTENDANCE, admin.id, ann.id, session.id,
                 {"status": Status.APPROVED}, {"status": Status.PARTICIPATED}),
        bob.id: (Change.ATTENDANCE_MARKED, Actor.ZOOM_ATTENDANCE, admin.id, bob.id, session.id,
                 {"status": Status.APPROVED}, {"status": Status.MISSED}),
    }  # fmt: skip


@pytest.mark.every_database
def test_history_job_asks_to_confirm_with_one_insert_select(
    acting, make_event, make_session, people
):
    event = make_event(is_active=True)
    session = make_session(event, registration_end=None)
    with db.connection_context():
        start = utcnow() - timedelta(days=1)
        Day.create(session=session, start_at=start, end_at=start + timedelta(hours=1))
        for member in (people["ann"], people["bob"]):
            Registration.create(session=session, event=event, user=member)
    since = last_id()

    with count_queries() as statements:
        acting(None, after_last_day.ask_to_confirm_participation)

    assert len(history_inserts(statements)) == 1
    assert sorted(entries(since), key=lambda row: row[3]) == [
        (Change.STATUS_CHANGED, Actor.JOB, None, member.id, session.id,
         {"status": Status.APPROVED}, {"status": Status.CONFIRM_PARTICIPATION})
        for member in (people["ann"], people["bob"])
    ]  # fmt: skip


# Sessions and events ------------------------------------------------------------------------


def test_history_session_limits_days_and_visibility_write_one_entry_each(
    acting, sign_in, make_event, make_session, make_day
):
    admin = sign_in(Role.ADMIN)
    event = make_event()
    session = make_session(event, participant_limit=5)
    day = make_day(session)
    company = planning_company()
    since = last_id()

    form = {"name_en": "Daytime", "timezone": session.timezone, "has_limit": "1",
            "participant_limit": "8", "registration_end": "2030-02-27T11:59"}  # fmt: skip
    acting(admin.user, planning.save_session, event, session, form, company)
    (limits,) = entries(since)
    assert limits[:5] == (Change.LIMITS_CHANGED, Actor.USER, admin.user.id, None, session.id)
    assert (limits[5]["limit"], limits[6]["limit"]) == (5, 8)

    since = last_id()
    day_form = {"start": "2030-03-02T10:00", "end": "2030-03-02T12:00", "format": "offline",
                "address": "Hall"}  # fmt: skip
    acting(admin.user, planning.save_day, session, day, day_form, company)
    (moved,) = entries(since)
    assert moved[:5] == (Change.DAYS_CHANGED, Actor.USER, admin.user.id, None, session.id)
    assert moved[5]["start"] < moved[6]["start"]

    since = last_id()
    response = admin.post(f"/admin/events/{event.id}/visibility", data={"active": "1"})
    assert response.status_code < 400
    assert entries(since) == [
        (Change.VISIBILITY_CHANGED, Actor.USER, admin.user.id, None, None,
         {"is_active": False}, {"is_active": True}),
    ]  # fmt: skip


def test_history_cancelling_a_hosted_session_writes_its_entry_and_each_participants(
    acting, make_user, people
):
    host = make_user(Role.HOST, name="Hal Host")
    with db.connection_context():
        session = Session.create(
            kind=SessionKind.GROUP, name={"en": "Chess"}, timezone="UTC", host=host,
            participant_limit=5, seats_taken=1,
        )  # fmt: skip
        start = utcnow() + timedelta(days=3)
        Day.create(session=session, start_at=start, end_at=start + timedelta(hours=1))
        Registration.create(session=session, user=people["ann"])
    since = last_id()

    acting(host, hosting.cancel, session)

    assert entries(since) == [
        (Change.SESSION_CANCELLED, Actor.USER, host.id, None, session.id, None,
         {"cancelled": True}),
        (Change.STATUS_CHANGED, Actor.USER, host.id, people["ann"].id, session.id,
         {"status": Status.APPROVED}, {"status": Status.CANCELLED}),
    ]  # fmt: skip


def test_history_has_no_route_that_changes_it(app):
    history_rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/history")]
    assert history_rules
    assert all(rule.methods <= {"GET", "HEAD", "OPTIONS"} for rule in history_rules)


def test_history_recording_outside_a_request_is_the_job_and_inside_a_batch_is_one_insert(app):
    ann = person("solo@example.com")
    with db.connection_context():
        event = Event.create(title={"en": "E"})
        with count_queries() as statements, db.atomic():
            with history.batch(Actor.IMPORT):
                history.record(Change.REGISTERED, event=event, person=ann)
                history.record(Change.REGISTERED, event=event, person=ann)
    assert len(history_inserts(statements)) == 1
    assert [row[:4] for row in entries()] == [(Change.IMPORTED, Actor.IMPORT, None, ann.id)] * 2


# Reading it ---------------------------------------------------------------------------------


@pytest.fixture
def removed_ann(acting, event_of_two, people):
    """Ann signed up for Daytime and was removed by Ada Admin; Bob is in Evening."""
    _event, daytime, evening = event_of_two
    acting(people["ann"], booking.sign_up, people["ann"], daytime)
    acting(people["bob"], booking.sign_up, people["bob"], evening)
    registration = registration_of(people["ann"], daytime)
    acting(people["admin"], booking.remove_registrations, [registration.id])
    return event_of_two


def many_entries(event, session, user, count):
    """`count` status changes of `user` in `session`, written straight to the table."""
    with db.connection_context():
        HistoryEntry.insert_many(
            [
                {"actor": Actor.JOB, "change": Change.STATUS_CHANGED, "event": event,
                 "session": session, "person": user, "before": {"status": Status.APPROVED},
                 "after": {"status": Status.MISSED}}
                for _ in range(count)
            ]
        ).execute()  # fmt: skip


def table_rows(html_text):
    return html_text.count('<tr id="history-')


def test_history_person_page_shows_who_removed_them_and_when_in_the_readers_zone(
    sign_in, removed_ann, people
):
    admin = sign_in(Role.ADMIN)
    page = admin.get(f"/history/people/{people['ann'].id}")
    assert page.status_code == 200
    assert "History of Ann" in page.text
    assert table_rows(page.text) == 2  # registered, then removed
    removed = page.text.split('<tr id="history-')[1]  # newest first
    assert "Removed" in removed and "Ada Admin" in removed and "Daytime" in removed
    assert "Status: Approved" in removed
    assert "(UTC" in removed  # the time names its zone

    admin.post("/locale", data={"locale": "ru", "next": "/"})
    russian = admin.get(f"/history/people/{people['ann'].id}")
    removed = russian.text.split('<tr id="history-')[1]
    assert "Удалён" in removed and "Статус: Одобрено" in removed


def test_history_event_page_filters_by_change_and_actor(sign_in, removed_ann, people):
    admin = sign_in(Role.ADMIN)
    event = removed_ann[0]
    everything = admin.get(f"/history/events/{event.id}")
    assert table_rows(everything.text) == 3
    removals = admin.get(f"/history/events/{event.id}?change=removed")
    assert table_rows(removals.text) == 1 and "Ann" in removals.text
    by_jobs = admin.get(f"/history/events/{event.id}?actor=job")
    assert table_rows(by_jobs.text) == 0 and "No changes match." in by_jobs.text
    searched = admin.get(f"/history/events/{event.id}?q=bob")
    assert table_rows(searched.text) == 1
    unknown = admin.get(f"/history/events/{event.id}?change=rewritten")
    assert "Unknown change in the filter" in unknown.text and table_rows(unknown.text) == 3


def test_history_pages_newest_first_and_keeps_a_constant_query_count(sign_in, event_of_two, people):
    admin = sign_in(Role.ADMIN)
    event, daytime, _evening = event_of_two

    def page_queries(count):
        many_entries(event, daytime, people["ann"], count)
        with count_queries() as statements:
            page = admin.get(f"/history/events/{event.id}")
        return page, len(statements)

    few_page, few = page_queries(5)
    many_page, many = page_queries(45)  # 50 in all: 10 times as many
    assert table_rows(few_page.text) == 5 and table_rows(many_page.text) == 50
    assert few == many
    many_entries(event, daytime, people["ann"], 10)
    second = admin.get(f"/history/events/{event.id}?page=2")
    assert table_rows(second.text) == 10 and "page 2 of 2" in second.text


def test_history_csv_exports_the_filtered_entries_safely(sign_in, removed_ann, people):
    admin = sign_in(Role.ADMIN)
    with db.connection_context():
        User.update(name="=HYPERLINK(1)").where(User.id == people["ann"].id).execute()
    response = admin.get(f"/history/people/{people['ann'].id}/history.csv?change=removed")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.data.decode("utf-8-sig").strip().splitlines()
    assert lines[0] == "When,Who,What,Person,Session,Before,After"
    assert len(lines) == 2
    assert ",Ada Admin,Removed,'=HYPERLINK(1),Daytime,Status: Approved," in lines[1]


def test_history_a_host_sees_their_own_sessions_only(sign_in, make_user, people, acting):
    host = sign_in(Role.HOST, name="Hal Host")
    other_host = make_user(Role.HOST)
    with db.connection_context():
        mine = Session.create(kind=SessionKind.GROUP, name={"en": "Mine"}, timezone="UTC",
                              host=host.user.id, participant_limit=5)  # fmt: skip
        theirs = Session.create(kind=SessionKind.GROUP, name={"en": "Theirs"}, timezone="UTC",
                                host=other_host, participant_limit=5)  # fmt: skip
        for session in (mine, theirs):
            start = utcnow() + timedelta(days=3)
            Day.create(session=session, start_at=start, end_at=start + timedelta(hours=1))
    acting(people["ann"], booking.sign_up, people["ann"], mine)
    acting(people["bob"], booking.sign_up, people["bob"], theirs)

    page = host.get(f"/history/sessions/{mine.id}")
    assert page.status_code == 200 and table_rows(page.text) == 1 and "Ann" in page.text
    assert host.get(f"/history/sessions/{theirs.id}").status_code == 404
    assert host.get(f"/history/sessions/{theirs.id}/history.csv").status_code == 404
    assert host.get(f"/history/people/{people['ann'].id}").status_code == 403
    member = sign_in(Role.MEMBER)
    for url in (f"/history/sessions/{mine.id}", f"/history/people/{people['ann'].id}"):
        refused = member.get(url)
        assert refused.status_code == 403 and "Ann" not in refused.text


def test_history_is_linked_from_the_event_and_the_users_pages(sign_in, removed_ann, people):
    admin = sign_in(Role.ADMIN)
    event = removed_ann[0]
    assert f'href="/history/events/{event.id}"' in admin.get(f"/admin/events/{event.id}").text
    assert f'href="/history/people/{people["ann"].id}"' in admin.get("/admin/users").text


# The bulk upload and assessment sessions ----------------------------------------------------


def test_history_bulk_upload_is_the_uploads(app, admin, make_user):
    make_user(Role.HOST, email="host@example.com")
    sample = admin.get("/bulk-upload/sample.csv").data
    since = last_id()

    with count_queries() as statements:
        admin.post(
            "/bulk-upload",
            data={"file": (io.BytesIO(sample), "sessions.csv"), "mode": "apply"},
            headers={"HX-Request": "true"},
        )

    changes = entries(since)
    created = [row for row in changes if row[0] == Change.SESSION_CREATED]
    assert len(created) == 2  # the sample's two new sessions, in one INSERT
    assert {row[1:3] for row in changes} == {(Actor.BULK_UPLOAD, admin.user.id)}
    assert len(history_inserts(statements)) <= 2  # the sessions, and any invited mentees


def test_history_assessment_host_change_and_participants(acting, app, make_user, people):
    first, second = make_user(Role.HOST, name="First"), make_user(Role.HOST, name="Second")
    admin = people["admin"]
    with db.connection_context():
        assessment = make_assessment()
    form = session_form(assessment, host=str(first.id))
    detail = acting(admin, assessment_planning.save_session, None, form, now=BEFORE_INVITATION)
    since = last_id()

    form = session_form(assessment, host=str(second.id))
    acting(admin, assessment_planning.save_session, detail, form, now=BEFORE_INVITATION)
    assert entries(since) == [
        (Change.HOST_CHANGED, Actor.USER, admin.id, None, detail.session_id,
         {"host": first.id}, {"host": second.id}),
    ]  # fmt: skip

    since = last_id()
    participant = acting(
        admin, assessment_planning.add_participant, detail,
        MultiDict({"person": str(people["ann"].id)}), now=BEFORE_INVITATION,
    )  # fmt: skip
    with db.connection_context():
        participant = AssessmentParticipant.get_by_id(participant.id)
    acting(
        admin, assessment_planning.remove_participant, detail, participant, now=BEFORE_INVITATION
    )
    assert [row[:4] for row in entries(since)] == [
        (Change.REGISTERED, Actor.USER, admin.id, people["ann"].id),
        (Change.REMOVED, Actor.USER, admin.id, people["ann"].id),
    ]


# More of the walk: deletions, a member's answer, a reschedule, a reopened session ----------


def test_history_deleting_a_day_and_a_session_writes_one_entry_each(acting, event_of_two, people):
    event, daytime, evening = event_of_two
    admin = people["admin"]
    with db.connection_context():
        day = Day.get(Day.session == evening)
    since = last_id()

    acting(admin, planning.delete_day, day)
    (removed_day,) = entries(since)
    assert removed_day[:5] == (Change.DAYS_CHANGED, Actor.USER, admin.id, None, evening.id)
    assert removed_day[6] is None  # the day is gone

    since = last_id()
    acting(admin, planning.delete_session, daytime)
    with db.connection_context():
        (deleted,) = HistoryEntry.select().where(HistoryEntry.id > since)
    assert (deleted.change, deleted.actor_user_id, deleted.event_id) == (
        Change.SESSION_DELETED, admin.id, event.id
    )  # fmt: skip
    assert deleted.session_id is None and deleted.before == {"name": {"en": "Daytime"}}


def test_history_members_answer_and_a_reopened_session(acting, make_event, make_session, people):
    event = make_event(is_active=True)
    session = make_session(event, registration_end=None)
    ann = people["ann"]
    with db.connection_context():
        start = utcnow() - timedelta(days=1)
        Day.create(session=session, start_at=start, end_at=start + timedelta(hours=1))
        Registration.create(
            session=session, event=event, user=ann, status=Status.CONFIRM_PARTICIPATION
        )
    since = last_id()

    acting(ann, booking.confirm_participation, registration_of(ann, session), True)
    assert entries(since) == [
        (Change.STATUS_CHANGED, Actor.USER, ann.id, ann.id, session.id,
         {"status": Status.CONFIRM_PARTICIPATION}, {"status": Status.PARTICIPATED}),
    ]  # fmt: skip

    since = last_id()
    acting(people["admin"], after_last_day.reopen_after_new_day, session)
    assert entries(since) == [
        (Change.STATUS_CHANGED, Actor.USER, people["admin"].id, ann.id, session.id,
         {"status": Status.PARTICIPATED}, {"status": Status.APPROVED}),
    ]  # fmt: skip


def test_history_a_host_rescheduling_writes_the_days_move(acting, make_user):
    host = make_user(Role.HOST)
    with db.connection_context():
        session = Session.create(
            kind=SessionKind.GROUP, name={"en": "Chess"}, timezone="UTC", host=host,
            participant_limit=5,
        )  # fmt: skip
        start = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
        Day.create(session=session, start_at=start, end_at=start + timedelta(hours=1))
    since = last_id()

    later = start + timedelta(days=1)
    acting(host, hosting.reschedule, session, later, later + timedelta(hours=1), planning_company())

    (moved,) = entries(since)
    assert moved[:5] == (Change.DAYS_CHANGED, Actor.USER, host.id, None, session.id)
    assert (moved[5]["start"], moved[6]["start"]) == (
        start.isoformat(timespec="minutes"), later.isoformat(timespec="minutes")
    )  # fmt: skip
