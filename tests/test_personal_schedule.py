"""One schedule per person across every kind (event days, group and mentoring sessions,
assessment deadlines): the member's schedule page, the calendar feed, and clashes told
before joining (never refused)."""

import io
from datetime import datetime, timedelta

import pytest
from assessment_fixtures import add_people, make_assessment, make_detail
from conftest import ZONE, count_queries
from icalendar import Calendar

from foundation import schedule
from models import (
    Day,
    DayFormat,
    Rater,
    RaterRelationship,
    Registration,
    RegistrationRole,
    Role,
    Session,
    SessionKind,
    Status,
    UploadRow,
    User,
    db,
)
from sessions import booking, group_sessions, personal_schedule


def plain(text):
    """Babel separates times with thin and narrow no-break spaces; compare with plain ones."""
    return " ".join(text.replace("\u202f", " ").replace("\u2009", " ").split())


@pytest.fixture
def member(sign_in):
    return sign_in(Role.MEMBER, name="Anna Member")


@pytest.fixture
def host(make_user):
    return make_user(Role.HOST, name="Hanna Host")


@pytest.fixture
def evening(make_event, make_session, make_day):
    """An event session "Evening", Mon 4 Mar 2030 18:00–20:00 Moscow time."""
    session = make_session(make_event(is_active=True), name="Evening")
    make_day(session, start="2030-03-04T18:00", hours=2)
    return session


def make_hosted(host, start, minutes=60, kind=SessionKind.GROUP, name="Pitch practice", **fields):
    """A group (or mentoring) session hosted by `host`, one day from `start` (Moscow)."""
    start_at = schedule.to_utc(datetime.fromisoformat(start), ZONE)
    with db.connection_context():
        session = Session.create(
            kind=kind,
            name={"en": name},
            timezone=ZONE,
            registration_end_at=start_at,
            participant_limit=5,
            host=host,
            **fields,
        )
        Day.create(
            session=session,
            start_at=start_at,
            end_at=start_at + timedelta(minutes=minutes),
            format=DayFormat.ONLINE,
            url="https://meet.example.org/room",
        )
        Registration.create(session=session, user=host, role=RegistrationRole.HOST)
    return session


def sign_up(app, user, session):
    with app.app_context(), db.connection_context():
        return booking.sign_up(user, session)


def status_of(user, session):
    with db.connection_context():
        registration = Registration.get_or_none(
            Registration.user == user.id, Registration.session == session.id
        )
        return registration and registration.status


# The rule: what clashes --------------------------------------------------------------------


def test_only_overlapping_live_sessions_clash_and_touching_ones_do_not(app, member, evening, host):
    sign_up(app, member.user, evening)
    overlapping = make_hosted(host, "2030-03-04T19:30")
    touching = make_hosted(host, "2030-03-04T20:00", name="Right after")
    before = make_hosted(host, "2030-03-04T17:00", name="Right before")
    with app.test_request_context("/"), db.connection_context():
        assert [
            item.title()
            for item in personal_schedule.clashes_with_session(member.user, overlapping)
        ] == ["Leadership Training — Evening"]
        assert personal_schedule.clashes_with_session(member.user, touching) == []
        assert personal_schedule.clashes_with_session(member.user, before) == []
        # Waiting lists and cancelled sessions hold nobody's time.
        Registration.update(status=Status.WAITLISTED).where(
            Registration.user == member.user.id
        ).execute()
        assert personal_schedule.clashes_with_session(member.user, overlapping) == []


def test_the_batch_form_asks_once_for_everyone(app, make_user, evening, host):
    people = [make_user() for _ in range(12)]
    for person in people[:6]:
        sign_up(app, person, evening)
    group = make_hosted(host, "2030-03-04T19:00")
    with app.test_request_context("/"), db.connection_context():
        days = personal_schedule.days_of_sessions([group.id])[group.id]
        rows = [(person.id, days, ("session", group.id)) for person in people]
        with count_queries() as queries:
            found = personal_schedule.clashes_of_rows(rows)
    assert len(queries) == 1
    assert [bool(clashes) for clashes in found] == [True] * 6 + [False] * 6


# The member's schedule ---------------------------------------------------------------------


def give_deadlines(app, member):
    """The member takes part in an assessment (a self-survey due 13 Apr 2030) and is a rater
    in another person's (a rater survey due the same day)."""
    with app.test_request_context("/"), db.connection_context():
        detail = make_detail(make_assessment())
        other = User.create(email="other@example.com", name="Olga Other", password_hash="x")
        mine, theirs = add_people(detail, [member.user, other])
        Rater.create(
            participant=theirs,
            name="Anna Member",
            email=member.user.email,
            relationship=RaterRelationship.PEER,
            token="rater-token-" + "y" * 30,
        )
    return mine


def test_the_schedule_lists_every_kind_by_day_and_marks_the_clash(app, member, evening, host):
    sign_up(app, member.user, evening)
    group = make_hosted(host, "2030-03-04T19:00")
    sign_up(app, member.user, group)
    make_hosted(member.user, "2030-03-05T12:00", kind=SessionKind.MENTORING, name="Career talk")
    participant = give_deadlines(app, member)
    page = member.get("/home/schedule").text
    text = plain(page)
    assert "Monday, March 4, 2030" in text and "Tuesday, March 5, 2030" in text
    assert "Mon, Mar 4, 2030, 6:00 – 8:00 PM Moscow (UTC+3)" in text
    assert "Leadership Training — Evening" in text and "Pitch practice" in text
    assert text.count('<span class="badge clash">Clash</span>') == 2  # both sides of it
    assert "Career talk" in text and "You host it" in text
    assert "Self-survey due" in text and "Rater survey due" in text
    assert "Due Apr 13, 2030, 11:59 PM Moscow (UTC+3)" in text
    assert f'href="/assessments/{participant.id}"' in page
    assert f'href="/events/{evening.event_id}"' in page and f'href="/s/{group.id}"' in page
    assert 'href="/home/schedule"' in page  # in the navigation


def test_the_schedule_reads_in_russian(app, member, evening):
    sign_up(app, member.user, evening)
    member.post("/locale", data={"locale": "ru", "next": "/"})
    text = plain(member.get("/home/schedule").text)
    assert "Моё расписание" in text and "Москва (UTC+3)" in text


def test_the_schedule_asks_the_same_queries_for_one_or_ten_of_each(
    app, member, make_event, make_session, make_day, host
):
    def add_one_of_each(number):
        session = make_session(make_event(is_active=True), name=f"Evening {number}")
        make_day(session, start=f"2030-03-{number + 1:02d}T18:00")
        sign_up(app, member.user, session)
        group = make_hosted(host, f"2030-04-{number + 1:02d}T18:00", name=f"Group {number}")
        sign_up(app, member.user, group)
        give_deadlines_once = number == 0
        if give_deadlines_once:
            give_deadlines(app, member)

    add_one_of_each(0)
    with count_queries() as one:
        member.get("/home/schedule")
    for number in range(1, 10):
        add_one_of_each(number)
    with count_queries() as ten:
        page = member.get("/home/schedule").text
    assert "Group 9" in page and "Evening 9" in page
    assert len(one) == len(ten)


def test_the_feed_carries_every_kind(app, member, evening, host):
    sign_up(app, member.user, evening)
    group = make_hosted(host, "2030-03-06T19:00")
    sign_up(app, member.user, group)
    make_hosted(member.user, "2030-03-05T12:00", kind=SessionKind.MENTORING, name="Career talk")
    give_deadlines(app, member)
    member.htmx("post", "/profile/calendar")
    with db.connection_context():
        token = User.get_by_id(member.user.id).calendar_token
    feed = Calendar.from_ical(app.test_client().get(f"/calendar/{token}.ics").data)
    entries = {str(entry["SUMMARY"]): entry for entry in feed.walk("VEVENT")}
    assert set(entries) == {
        "Leadership Training — Evening",
        "Pitch practice",
        "Career talk",
        "Self-survey due: Leadership Team Development",
        "Rater survey due: Leadership Team Development",
    }
    deadline = entries["Self-survey due: Leadership Team Development"]
    assert deadline.decoded("DTSTART") == deadline.decoded("DTEND")
    assert deadline.decoded("DTSTART").replace(tzinfo=None) == datetime(
        2030, 4, 13, 20, 59
    )  # 23:59 in Moscow
    assert str(entries["Pitch practice"]["URL"]) == "https://meet.example.org/room"


# Clashes told before joining ------------------------------------------------------------

CLASH_WITH_EVENING = (
    "You are in “Leadership Training — Evening” at that time: "
    "Mon, Mar 4, 2030, 6:00 – 8:00 PM Moscow (UTC+3). Join anyway?"
)


def test_signing_up_for_an_event_session_is_told_of_a_group_session_first(
    app, member, evening, host
):
    group = make_hosted(host, "2030-03-04T19:30", name="Pitch practice")
    sign_up(app, member.user, group)
    response = member.htmx("post", f"/sessions/{evening.id}/signup")
    text = plain(response.text)
    assert "You are in “Pitch practice” at that time: " in text
    assert "Mon, Mar 4, 2030, 7:30 – 8:30 PM Moscow (UTC+3). Join anyway?" in text
    assert response.headers["HX-Retarget"] == "body"
    assert 'name="confirm_clash" value="1"' in text and "<dialog" in text
    assert status_of(member.user, evening) is None  # nothing happened yet
    done = member.htmx("post", f"/sessions/{evening.id}/signup", data={"confirm_clash": "1"})
    assert "You are registered" in done.headers["HX-Trigger"]
    assert status_of(member.user, evening) == Status.APPROVED


def test_signing_up_next_to_another_session_asks_nothing(app, member, evening, host):
    sign_up(app, member.user, make_hosted(host, "2030-03-04T20:00"))  # starts as it ends
    response = member.htmx("post", f"/sessions/{evening.id}/signup")
    assert "<dialog" not in response.text
    assert "You are registered" in response.headers["HX-Trigger"]
    assert status_of(member.user, evening) == Status.APPROVED


def test_joining_a_group_session_is_told_of_the_event_session_first(app, member, evening, host):
    sign_up(app, member.user, evening)
    group = make_hosted(host, "2030-03-04T19:00")
    response = member.htmx("post", f"/s/{group.id}/join")
    assert CLASH_WITH_EVENING in plain(response.text)
    assert status_of(member.user, group) is None
    # Without JavaScript the same question is a page of its own.
    page = member.post(f"/s/{group.id}/join")
    assert CLASH_WITH_EVENING in plain(page.text) and "<html" in page.text
    done = member.post(f"/s/{group.id}/join", data={"confirm_clash": "1"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/s/{group.id}")
    assert status_of(member.user, group) == Status.APPROVED


def test_the_clash_pages_cancel_goes_back_only_within_the_site(app, member, evening, host):
    sign_up(app, member.user, evening)
    group = make_hosted(host, "2030-03-04T19:00")
    cancel = 'data-cancel href="{}"'
    own = member.post(f"/s/{group.id}/join", headers={"Referer": f"http://localhost/s/{group.id}"})
    assert cancel.format(f"/s/{group.id}") in own.text
    for foreign in ("https://evil.example/s/1", "javascript:alert(1)", "http://localhost//evil"):
        page = member.post(f"/s/{group.id}/join", headers={"Referer": foreign})
        assert cancel.format("/") in page.text, foreign


def test_joining_a_group_session_on_another_day_asks_nothing(app, member, evening, host):
    sign_up(app, member.user, evening)
    group = make_hosted(host, "2030-03-05T19:00")
    response = member.htmx("post", f"/s/{group.id}/join")
    assert "<dialog" not in response.text and "You are registered" in response.text
    assert status_of(member.user, group) == Status.APPROVED


def test_joining_a_mentoring_session_is_told_of_the_event_session_first(app, member, evening, host):
    sign_up(app, member.user, evening)
    talk = make_hosted(host, "2030-03-04T17:30", kind=SessionKind.MENTORING, name="Career talk")
    assert CLASH_WITH_EVENING in plain(member.htmx("post", f"/s/{talk.id}/join").text)
    member.htmx("post", f"/s/{talk.id}/join", data={"confirm_clash": "1"})
    assert status_of(member.user, talk) == Status.APPROVED


def test_accepting_an_invitation_is_told_of_the_clash_first(app, member, evening, host):
    sign_up(app, member.user, evening)
    group = make_hosted(host, "2030-03-04T19:00", is_public=False)
    with app.test_request_context("/"), db.connection_context():
        invited = Registration.create(session=group, user=member.user, status=Status.INVITED)
        links = group_sessions.invitation_links(invited)
    path = links["accept"].removeprefix("http://127.0.0.1:5000")
    page = plain(member.post(path).text)
    assert "You are in “Leadership Training — Evening” at that time:" in page
    assert "Accept anyway?" in page
    assert status_of(member.user, group) == Status.INVITED
    page = plain(member.post(path, data={"confirm_clash": "1"}).text)
    assert "Thank you, your answer is saved." in page
    assert status_of(member.user, group) == Status.APPROVED


def test_an_admin_registering_someone_is_told_of_their_clash(app, admin, make_user, evening, host):
    anna = make_user(name="Anna Karenina", email="anna@example.com")
    sign_up(app, anna, make_hosted(host, "2030-03-04T19:00"))
    response = admin.htmx(
        "post",
        f"/admin/events/{evening.event_id}/registrations",
        data={"email": "anna@example.com", "session_id": str(evening.id)},
    )
    toast = plain(response.headers["HX-Trigger"].encode().decode("unicode_escape"))
    assert "Anna Karenina is registered for Evening." in toast
    assert "Note: Anna Karenina is in" in toast and "Pitch practice" in toast
    assert status_of(anna, evening) == Status.APPROVED  # told, not refused


def test_a_mentor_sees_which_mentees_have_a_clash(app, sign_in, make_user, evening):
    mentor = sign_in(Role.HOST, name="Maria Mentor")
    anna, tom = make_user(name="Anna Busy"), make_user(name="Tom Free")
    sign_up(app, anna, evening)
    talk = make_hosted(mentor.user, "2030-03-04T19:00", kind=SessionKind.MENTORING)
    sign_up(app, anna, talk)
    sign_up(app, tom, talk)
    page = plain(mentor.get(f"/host/sessions/{talk.id}").text)
    assert "Anna Busy is in “Leadership Training — Evening” at that time:" in page
    assert "Tom Free is in" not in page


def test_the_import_preview_shows_each_rows_clash(app, admin, make_user, evening, host):
    busy, free = make_user(email="busy@example.com"), make_user(email="free@example.com")
    sign_up(app, busy, make_hosted(host, "2030-03-04T19:00"))
    sign_up(app, free, make_hosted(host, "2030-03-04T20:00", name="Right after"))
    data = b"email,session\nbusy@example.com,Evening\nfree@example.com,Evening\n"
    with count_queries():
        page = admin.htmx(
            "post",
            f"/admin/events/{evening.event_id}/imports",
            data={"file": (io.BytesIO(data), "people.csv")},
        ).text
    rows = plain(page).split("<tr")
    busy_row = next(row for row in rows if "busy@example.com" in row)
    free_row = next(row for row in rows if "free@example.com" in row)
    assert "In “Pitch practice” at that time: Mon, Mar 4, 2030, 7:00 – 8:00 PM" in busy_row
    assert "Clash" not in free_row and "Will register" in free_row


def test_the_bulk_upload_notes_a_mentees_clash(app, admin, make_user, evening):
    make_user(Role.HOST, email="host@example.com")
    anna = make_user(email="anna@example.com")
    make_user(email="tom@example.com")
    sign_up(app, anna, evening)
    header = admin.get("/bulk-upload/sample.csv").data.decode("utf-8-sig").splitlines()[0]
    row = (
        'Create,,Career talk,How to plan,Public,host@example.com,"anna@example.com, '
        'tom@example.com",04-03-2030,UTC,15:30 Hrs,60,Teachers,Pedagogy,English,'
        "Google Meet,https://meet.google.com/abc-defg-hij,"
    )
    response = admin.post(
        "/bulk-upload",
        data={
            "file": (io.BytesIO(f"{header}\n{row}\n".encode()), "s.csv"),
            "mode": "check",
        },
        headers={"HX-Request": "true"},
    )
    text = plain(response.text)
    assert "anna@example.com is in “Leadership Training — Evening” at that time:" in text
    assert "tom@example.com is in" not in text
    with db.connection_context():
        [result] = UploadRow.select()
    assert result.status == "valid"  # told, not refused
