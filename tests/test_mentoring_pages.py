"""The mentoring screens and what hosts and participants do with their sessions: create
("Publish and add link"), the meeting-link step, edit with locked type and mentor,
reschedule and cancel (emails with the calendar), Join (BigBlueButton signed, other
platforms by link), My events (Upcoming / Past, Leave, .ics), public page and profile."""

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import BBB_SECRET

from meetings.bigbluebutton import checksum
from messaging import mail
from models import (
    Company,
    Day,
    Email,
    MentoringDetails,
    Registration,
    Role,
    Session,
    SessionKind,
    Status,
    TagOption,
    User,
    db,
    utcnow,
)
from sessions import mentoring, reminders
from sessions.mentoring import MentoringValues

ZONE = "Europe/Moscow"


def form(mentor, **fields):
    data = {
        "title": "Career talk",
        "description": "How to plan the next step.",
        "session_type": "public",
        "mentor": str(mentor.id),
        "start": "2030-05-14T18:00",
        "end": "2030-05-14T19:00",
        "timezone": ZONE,
        "platform": "zoom",
        "link_later": "1",
        "categories": ["Life skills"],
        "medium_new": "English, Hindi",
    }
    data.update(fields)
    return data


def the_session():
    with db.connection_context():
        return Session.get(Session.kind == SessionKind.MENTORING)


def the_day(session):
    with db.connection_context():
        return Day.get(Day.session == session)


def emails_to(user, kind=None):
    with db.connection_context():
        query = Email.select().where(Email.user == user.id)
        if kind:
            query = query.where(Email.kind == kind)
        return list(query.order_by(Email.id))


@pytest.fixture
def mentor(make_user):
    return make_user(Role.HOST, name="Maria Mentor", handle="maria")


def create_in_app(app, mentor, start=None, minutes=60, **fields):
    """A session made through the rules, starting `start` (UTC) or in a week."""
    start = start or (utcnow().replace(second=0, microsecond=0) + timedelta(days=7))
    fields.setdefault("platform", "Google Meet")
    fields.setdefault("meeting_url", "https://meet.google.com/abc-defg-hij")
    with app.test_request_context("/"), db.connection_context():
        return mentoring.create(
            MentoringValues(
                title=fields.pop("title", "Career talk"),
                description="How to plan the next step.",
                mentor=mentor,
                start_at=start,
                end_at=start + timedelta(minutes=minutes),
                timezone=ZONE,
                **fields,
            ),
            Company.current(),
        )


def test_an_admin_publishes_and_is_taken_to_the_link_step(admin, mentor, make_user):
    mentee = make_user(name="Tom Mentee")
    response = admin.htmx("post", "/mentoring", data=form(mentor, mentees=[str(mentee.id)]))
    session = the_session()
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/host/sessions/{session.id}?step=link"
    page = admin.get(response.headers["HX-Redirect"]).text
    assert "Meeting link" in page and "Tom Mentee" in page and "Invited" in page
    assert "BigBlueButton is not configured" in page
    day = the_day(session)
    assert (day.start_at, day.end_at) == (datetime(2030, 5, 14, 15), datetime(2030, 5, 14, 16))
    with db.connection_context():
        details = MentoringDetails.get(MentoringDetails.session == session)
        assert details.medium == ["English", "Hindi"] and details.categories == ["Life skills"]
        assert {option.label for option in TagOption.select()} == {
            "Life skills",
            "English",
            "Hindi",
        }
    assert "The meeting link will be on My events before the start." in (
        emails_to(mentee, "mentoring_invitation")[0].text_body
    )


def test_problems_show_next_to_their_fields(admin, mentor, make_user):
    response = admin.htmx(
        "post",
        "/mentoring",
        data=form(mentor, title="", end="2030-05-14T18:10", session_type="private"),
    )
    assert response.status_code == 422
    assert 'data-error-for="title"' in response.text
    assert "A session lasts at least 30 minutes." in response.text
    assert "A private session needs at least one invited mentee." in response.text
    with db.connection_context():
        assert Session.select().count() == 0


def test_a_clash_is_refused_on_the_form(admin, app, mentor):
    create_in_app(app, mentor, start=datetime(2030, 5, 14, 14))  # 17:00-18:00 in Moscow
    response = admin.htmx("post", "/mentoring", data=form(mentor))  # 18:00: touching
    assert response.status_code == 422
    assert "Maria Mentor already has a session at this time" in response.text


def test_hosts_create_only_when_allowed_and_only_as_mentor(sign_in, app, make_user):
    host = sign_in(Role.HOST)
    assert host.get("/mentoring/new").status_code == 404
    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()
    other = make_user(Role.HOST)
    assert host.get("/mentoring/new").status_code == 200
    response = host.htmx("post", "/mentoring", data=form(other))
    assert response.status_code == 204
    assert the_session().host_id == host.user.id  # a host's own sessions only
    assert sign_in(Role.MEMBER).get("/mentoring/new").status_code == 403


def test_edit_keeps_type_and_mentor_and_refuses_a_forged_change(admin, app, mentor, make_user):
    session = create_in_app(app, mentor)
    page = admin.get(f"/mentoring/{session.id}/edit").text
    assert "The session type cannot be changed after publishing." in page
    assert 'name="session_type"' in page and 'type="hidden" name="session_type"' in page
    forged = form(make_user(Role.HOST), session_type="private", mentees=[str(make_user().id)])
    forged.update(platform="google_meet", meeting_url="https://meet.google.com/abc-defg-hij")
    response = admin.htmx("post", f"/mentoring/{session.id}", data=forged)
    assert response.status_code == 422
    assert "The mentor cannot be changed after publishing." in response.text
    assert "The session type cannot be changed after publishing." in response.text
    assert the_session().is_public and the_session().host_id == mentor.id


def test_the_link_step_validates_for_the_platform(admin, app, mentor):
    session = create_in_app(app, mentor)
    url = f"/host/sessions/{session.id}/meeting"
    response = admin.htmx(
        "post", url, data={"platform": "google_meet", "meeting_url": "https://zoom.us/j/123456789"}
    )
    assert response.status_code == 422 and "Paste a Google Meet link" in response.text
    response = admin.htmx("post", url, data={"platform": "bigbluebutton"})
    assert "BigBlueButton is not configured" in response.text
    response = admin.htmx(
        "post",
        url,
        data={
            "platform": "zoom",
            "meeting_url": "https://us02web.zoom.us/j/12345678901",
            "meeting_id": "123 4567 8901",
            "passcode": "pass1",
        },
    )
    assert response.status_code == 200 and "Meeting link saved." in response.headers["HX-Trigger"]
    day = the_day(session)
    assert (day.platform, day.meeting_id, day.passcode, day.sequence) == (
        "zoom",
        "12345678901",
        "pass1",
        0,  # nobody holds a seat yet: nobody's calendar to update
    )


def test_reschedule_sends_an_update_with_a_higher_sequence(app, mentor, make_user, sign_in):
    mentee = make_user()
    session = create_in_app(app, mentor, mentees=[mentee])
    host = sign_in(Role.HOST)
    assert host.get(f"/host/sessions/{session.id}").status_code == 404  # not theirs
    client = app.test_client()
    client.post("/login", data={"email": mentor.email, "password": "correct horse battery"})
    response = client.htmx(
        "post",
        f"/host/sessions/{session.id}/reschedule",
        data={"start": "2030-06-01T10:00", "end": "2030-06-01T11:30"},
    )
    assert response.status_code == 200, response.text
    assert the_day(session).start_at == datetime(2030, 6, 1, 7)
    update = emails_to(mentee, "day_changed")[-1]
    ics = update.attachments[0]["data"]
    assert "SEQUENCE:1" in ics and "METHOD:REQUEST" in ics
    first = emails_to(mentee, "mentoring_invitation")[0].attachments[0]["data"]
    uid = re.search(r"UID:(\S+)", first).group(1)
    assert f"UID:{uid}" in ics
    question = client.htmx("post", f"/host/sessions/{session.id}/cancel")
    assert "1 attendee will be emailed the cancellation." in question.text
    assert "data-modal" in question.text and the_session().cancelled_at is None
    response = client.htmx("post", f"/host/sessions/{session.id}/cancel", data={"confirmed": "1"})
    assert "everyone in it has been told" in response.headers["HX-Trigger"]
    cancel = emails_to(mentee, "day_cancelled")[-1].attachments[0]["data"]
    assert "METHOD:CANCEL" in cancel and "SEQUENCE:2" in cancel and f"UID:{uid}" in cancel


def test_group_sessions_get_edit_reschedule_and_cancel(app, sign_in, make_user):
    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()
    host = sign_in(Role.HOST)
    host.htmx(
        "post",
        "/group-sessions",
        data={
            "title": "Pitch practice",
            "description": "Practise",
            "start": "2030-05-01T18:00",
            "duration_hours": "1",
            "duration_minutes": "0",
            "min_participants": "1",
            "max_participants": "4",
            "timezone": ZONE,
        },
    )
    with db.connection_context():
        session = Session.get(Session.kind == SessionKind.GROUP)
    member = sign_in(Role.MEMBER)
    member.htmx("post", f"/s/{session.id}/join")
    page = host.get(f"/host/sessions/{session.id}").text
    assert member.user.name in page and "Registered" in page
    response = host.htmx(
        "post",
        f"/host/sessions/{session.id}/edit",
        data={"title": "Pitch clinic", "description": "New"},
    )
    assert response.status_code == 204
    response = host.htmx(
        "post",
        f"/host/sessions/{session.id}/reschedule",
        data={"start": "2030-05-02T18:00", "end": "2030-05-02T19:00"},
    )
    assert response.status_code == 200
    assert "SEQUENCE:1" in emails_to(member.user, "day_changed")[-1].attachments[0]["data"]
    host.htmx("post", f"/host/sessions/{session.id}/cancel", data={"confirmed": "1"})
    assert emails_to(member.user, "day_cancelled")
    with db.connection_context():
        assert Session.get_by_id(session.id).name["en"] == "Pitch clinic"
        assert Session.get_by_id(session.id).cancelled_at is not None


def test_a_started_session_cannot_be_changed_on_screen(app, admin, mentor):
    start = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=5)
    session = create_in_app(app, mentor, start=start + timedelta(days=1))
    with db.connection_context():
        Day.update(start_at=start, end_at=start + timedelta(hours=1)).execute()
    page = admin.get(f"/host/sessions/{session.id}").text
    assert "A session that has started cannot be edited or deleted." in page
    assert "Live" in page
    response = admin.htmx("post", f"/host/sessions/{session.id}/cancel")
    assert response.status_code == 422 and "data-modal" not in response.text
    response = admin.htmx("post", f"/host/sessions/{session.id}/cancel", data={"confirmed": "1"})
    assert response.status_code == 422
    assert the_session().cancelled_at is None


def test_my_events_lists_upcoming_and_past_with_join_calendar_and_leave(app, sign_in, mentor):
    member = sign_in(Role.MEMBER)
    soon = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=5)
    later = create_in_app(app, mentor, title="Later talk", start=soon + timedelta(days=2))
    now_session = create_in_app(
        app,
        mentor,
        title="Soon talk",
        start=soon,
        platform="Zoom",
        meeting_url="https://zoom.us/j/123456789",
    )
    for session in (later, now_session):
        assert member.htmx("post", f"/s/{session.id}/join").status_code == 200
    home = member.get("/home").text
    assert "Soon talk" in home and "Later talk" in home
    assert home.index("Soon talk") < home.index("Later talk")
    assert f'href="/s/{now_session.id}/meeting"' in home  # open: 5 minutes before the start
    assert f'href="/s/{later.id}/meeting"' not in home  # not yet: a disabled button
    assert "Opens 10 minutes before the start." in home
    joined = member.get(f"/s/{now_session.id}/meeting")
    assert joined.status_code == 302 and joined.headers["Location"] == "https://zoom.us/j/123456789"
    assert "opens 10 minutes before" in member.get(f"/s/{later.id}/meeting").text
    ics = member.get(f"/days/{the_day(later).id}.ics")
    assert ics.status_code == 200 and "Later talk" in ics.text
    left = member.htmx("post", f"/home/sessions/{later.id}/leave")
    assert "You have withdrawn." in left.headers["HX-Trigger"] and "Later talk" not in left.text
    assert member.get(f"/days/{the_day(later).id}.ics").status_code == 404
    assert member.get(f"/s/{later.id}/meeting").status_code == 404
    past = member.get("/home/sessions?when=past").text
    assert "No sessions here." in past


def test_bbb_join_signs_moderator_and_viewer(app, bbb, sign_in, mentor):
    soon = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=5)
    session = create_in_app(app, mentor, start=soon, platform="", meeting_url="")
    member = sign_in(Role.MEMBER)
    member.htmx("post", f"/s/{session.id}/join")
    viewer = member.get(f"/s/{session.id}/meeting")
    assert viewer.status_code == 302
    target = urlsplit(viewer.headers["Location"])
    assert target.geturl().startswith(bbb.url + "/api/join?")
    query = target.query.rsplit("&checksum=", 1)
    assert checksum("join", query[0], BBB_SECRET) == query[1]
    assert parse_qs(query[0])["role"] == ["VIEWER"]
    assert bbb.meetings[f"convene-{session.id}-{the_day(session).id}"]["running"]
    client = app.test_client()
    client.post("/login", data={"email": mentor.email, "password": "correct horse battery"})
    moderator = client.get(f"/s/{session.id}/meeting").headers["Location"]
    assert parse_qs(urlsplit(moderator).query)["role"] == ["MODERATOR"]


def test_public_page_profile_and_privacy(app, sign_in, mentor, make_user):
    public = create_in_app(app, mentor, title="Open talk")
    invited = make_user()
    private = create_in_app(
        app,
        mentor,
        title="One to one",
        start=datetime(2031, 1, 1, 10),
        session_type="private",
        mentees=[invited],
    )
    visitor = sign_in(None)
    assert "Open talk" in visitor.get(f"/s/{public.id}").text
    profile = visitor.get("/u/maria").text
    assert "Open talk" in profile and "One to one" not in profile
    assert visitor.get(f"/s/{private.id}").status_code == 404
    assert sign_in(Role.MEMBER).get(f"/s/{private.id}").status_code == 404
    client = app.test_client()
    client.post("/login", data={"email": invited.email, "password": "correct horse battery"})
    assert "One to one" in client.get(f"/s/{private.id}").text
    assert "One to one" in client.get("/home").text
    stranger = sign_in(Role.MEMBER)
    assert stranger.htmx("post", f"/s/{private.id}/join").status_code == 404
    with db.connection_context():
        assert not Registration.select().where(Registration.user == stranger.user.id).exists()


def test_admin_lists_sessions_and_manages_tag_options(admin, app, mentor):
    create_in_app(app, mentor, title="Listed talk", categories=["Communication"])
    page = admin.get("/mentoring").text
    assert "Listed talk" in page and "Maria Mentor" in page and "Upcoming" in page
    response = admin.htmx(
        "post", "/admin/mentoring/options", data={"kind": "medium", "label": "Tamil"}
    )
    assert "Tamil" in response.text
    with db.connection_context():
        option = TagOption.get(TagOption.label == "Communication")
    assert "Communication" not in admin.htmx("delete", f"/admin/mentoring/options/{option.id}").text
    assert "Tamil" in admin.get("/mentoring/new").text


def test_people_search_offers_hosts_as_mentors(admin, mentor, make_user):
    make_user(name="Maria Member")
    mentors = admin.get("/mentoring/people?for=mentor&q=Maria").text
    assert "Maria Mentor" in mentors and "Maria Member" not in mentors
    mentees = admin.get("/mentoring/people?for=mentees&q=Maria").text
    assert "Maria Member" in mentees


def test_status_is_derived_from_time(app, mentor):
    from sessions.hosting import display_status

    session = create_in_app(app, mentor, start=datetime(2030, 5, 14, 15))
    with app.test_request_context("/"), db.connection_context():
        day = Day.get(Day.session == session)
        session = Session.get_by_id(session.id)
        assert display_status(session, day, datetime(2030, 5, 14, 14)) == "upcoming"
        assert display_status(session, day, datetime(2030, 5, 14, 15)) == "live"
        assert display_status(session, day, datetime(2030, 5, 14, 16)) == "completed"
        session.cancelled_at = datetime(2030, 1, 1)
        assert display_status(session, day, datetime(2030, 5, 14, 14)) == "cancelled"
    assert User is not None and Status is not None


def test_my_sessions_lists_each_sessions_attendees(app, mentor, make_user):
    session = create_in_app(app, mentor, mentees=[make_user(name="Tom Mentee")])
    client = app.test_client()
    client.post("/login", data={"email": mentor.email, "password": "correct horse battery"})
    page = client.get("/host/sessions").text
    assert f'href="/host/sessions/{session.id}"' in page
    assert "Tom Mentee" in page and "Invited" in page and "Attendees (1)" in page


@pytest.mark.every_database
def test_the_list_searches_filters_and_sorts(backend, app, make_user):
    with app.app_context(), db.connection_context():
        mentor = make_user(Role.HOST, name="Maria Mentor")
        other = make_user(Role.HOST, name="Oleg Other")
        mentee = make_user()
    create_in_app(app, mentor, title="Career talk", start=datetime(2030, 5, 14, 10))
    create_in_app(
        app,
        other,
        title="Другая тема",
        start=datetime(2030, 5, 15, 10),
        session_type="private",
        mentees=[mentee],
    )
    cancelled = create_in_app(app, mentor, title="Old plan", start=datetime(2030, 5, 16, 10))
    with app.test_request_context("/"), db.connection_context():
        mentoring.cancel(cancelled)
    admin = make_user(Role.ADMIN)
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": "correct horse battery"})
    page = client.get("/mentoring").text
    assert page.index("Old plan") < page.index("Другая тема") < page.index("Career talk")
    found = client.get("/mentoring?q=другая").text
    assert "Другая тема" in found and "Career talk" not in found
    assert "Другая тема" in client.get("/mentoring?q=oleg").text
    private = client.get("/mentoring?type=private").text
    assert "Другая тема" in private and "Career talk" not in private
    gone = client.get("/mentoring?when=cancelled").text
    assert "Old plan" in gone and "Career talk" not in gone
    upcoming = client.get("/mentoring?when=upcoming&sort=title&dir=asc").text
    assert "Old plan" not in upcoming and upcoming.index("Career talk") < upcoming.index("Другая")
    table = client.get(
        "/mentoring?when=bogus", headers={"HX-Request": "true", "HX-Target": "mentoring-table"}
    )
    assert "Unknown time in the filter" in table.text and "<h1>" not in table.text


def test_past_sessions_show_as_completed_without_join_or_leave(app, sign_in, mentor):
    member = sign_in(Role.MEMBER)
    session = create_in_app(app, mentor, title="Finished talk")
    member.htmx("post", f"/s/{session.id}/join")
    ended = utcnow().replace(second=0, microsecond=0) - timedelta(hours=2)
    with db.connection_context():
        Day.update(start_at=ended, end_at=ended + timedelta(hours=1)).execute()
    home = member.get("/home").text
    assert "Finished talk" not in home.split('id="my-sessions"')[1].split("</nav>")[1]
    past = member.get("/home/sessions?when=past").text
    assert "Finished talk" in past and "Completed" in past
    assert f"/home/sessions/{session.id}/leave" not in past
    assert f"/s/{session.id}/meeting" not in past
    assert "This session has ended." in member.get(f"/s/{session.id}/meeting").text


def test_admins_add_reminders_that_carry_the_link(app, admin, mentor, make_user):
    mentee = make_user()
    session = create_in_app(
        app,
        mentor,
        start=datetime(2030, 5, 14, 15),
        platform="Zoom",
        meeting_url="https://us02web.zoom.us/j/85746065432",
        passcode="x1y2",
        mentees=[mentee],
    )
    page = admin.get(f"/host/sessions/{session.id}").text
    assert f"/admin/sessions/{session.id}/reminders" in page
    added = admin.htmx(
        "post",
        f"/admin/sessions/{session.id}/reminders",
        data={"kind": "relative", "offset": "1", "offset_unit": "days"},
    )
    assert added.status_code == 200
    with app.test_request_context("/"), db.connection_context():
        reminders.send_due(now=datetime(2030, 5, 13, 15, 1))
        mail.deliver_due()
    [reminder] = emails_to(mentee, "reminder")
    assert "https://us02web.zoom.us/j/85746065432" in reminder.text_body
    assert "Meeting ID 857 4606 5432 · Passcode x1y2" in reminder.text_body
