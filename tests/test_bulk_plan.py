"""What each row of a bulk file does to the sessions that exist, checked (nothing written)
and uploaded: one table of cases, every bulk upload rule of docs/product-rules.md, run through
the mentoring rules on a real database."""

import csv
import io
from datetime import datetime, timedelta

import pytest

from imports import lifecycle
from models import (
    Company,
    Day,
    Email,
    Invitation,
    Registration,
    Role,
    Session,
    SessionKind,
    Status,
    db,
    utcnow,
)
from sessions import bulk_upload, mentoring
from sessions.bulk_rows import COLUMNS

DAY = (datetime.now() + timedelta(days=30)).date()
DATE = DAY.strftime("%d-%m-%Y")
BASE = {
    "Action": "Create",
    "title": "Mentoring",
    "description": "About",
    "type": "Public",
    "Mentor(Email)": "m1@example.com",
    "Date(DD-MM-YYYY)": DATE,
    "Time Zone(IST/UTC)": "UTC",
    "Time (24 hrs)": "14:00",
    "Duration(Min)": "60",
    "recommended_for": "Teachers",
    "categories": "Pedagogy",
    "medium": "English",
}
CLASH = "already has a session at this time"


def csv_file(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(name, "") for name in COLUMNS])
    return out.getvalue().encode()


@pytest.fixture
def world(app, make_user):
    """An admin, two mentors, a host who mentors nothing yet, three members, and m1's
    session on DAY 10:00-11:00 UTC with e1 invited and e2 enrolled by themselves; m2's
    session on DAY 18:00-19:00 UTC; and m1's session that has started."""
    app.config.update(BBB_URL="http://127.0.0.1:9/bigbluebutton/", BBB_SECRET="secret")
    people = {
        "admin": make_user(Role.ADMIN, email="admin@example.com"),
        "m1": make_user(Role.HOST, email="m1@example.com", name="Mentor One"),
        "m2": make_user(Role.HOST, email="m2@example.com", name="Mentor Two"),
        "m3": make_user(Role.HOST, email="m3@example.com", name="Mentor Three"),
    }
    for name in ("e1", "e2", "e3"):
        people[name] = make_user(Role.MEMBER, email=f"{name}@example.com")
    with app.test_request_context("/"), db.connection_context():
        company = Company.current()

        def session(mentor, hour, mentees=(), now=None, minutes=60):
            start = datetime.combine(DAY, datetime.min.time()) + timedelta(hours=hour)
            if now is not None:
                start = now + timedelta(minutes=5)
            values = mentoring.MentoringValues(
                title=f"Existing {mentor.name} {hour}",
                description="About",
                session_type="public",
                mentor=mentor,
                mentees=list(mentees),
                start_at=start,
                end_at=start + timedelta(minutes=minutes),
                timezone="UTC",
            )
            return mentoring.create(values, company, now=now).id

        people["s1"] = session(people["m1"], 10, [people["e1"]])
        mentoring.enroll(people["e2"], Session.get_by_id(people["s1"]))
        people["s2"] = session(people["m2"], 18)
        people["started"] = session(people["m1"], 0, now=utcnow() - timedelta(minutes=30))
    return people


def upload(app, world, rows, is_check, uploader="admin"):
    with app.test_request_context("/"), db.connection_context():
        data = csv_file([{**BASE, **row} for row in rows])
        started = bulk_upload.start_upload(
            world[uploader], "t.csv", data, Company.current(), is_check
        )
        done = lifecycle.process(started.id)
        return [(row.status, row.message, row.session_id) for row in bulk_upload.result_rows(done)]


def ids(world, row):
    """`{s1}`-style placeholders in a row stand for the world's session ids."""
    return {
        name: value.format(**{k: v for k, v in world.items() if isinstance(v, int)})
        for name, value in row.items()
    }


CASES = {
    "create": ([{}], ["valid"]),
    "IST start converted": (
        [{"Time Zone(IST/UTC)": "IST", "Time (24 hrs)": "19:30 Hrs"}],
        ["valid"],
    ),
    "clash with an existing session": ([{"Time (24 hrs)": "10:30"}], [("invalid", CLASH)]),
    "clash given in IST": (
        [{"Time Zone(IST/UTC)": "IST", "Time (24 hrs)": "15:30"}],  # 10:00 UTC
        [("invalid", CLASH)],
    ),
    "containing an existing session": (
        [{"Time (24 hrs)": "09:00", "Duration(Min)": "180"}],
        [("invalid", CLASH)],
    ),
    "inside an existing session": (
        [{"Time (24 hrs)": "10:15", "Duration(Min)": "30"}],
        [("invalid", CLASH)],
    ),
    "back to back after": ([{"Time (24 hrs)": "11:00"}], [("invalid", CLASH)]),
    "back to back before": ([{"Time (24 hrs)": "09:00"}], [("invalid", CLASH)]),
    "one minute after": ([{"Time (24 hrs)": "11:01"}], ["valid"]),
    "one minute before": ([{"Time (24 hrs)": "08:59"}], ["valid"]),
    "one minute apart in IST": (
        [{"Time Zone(IST/UTC)": "IST", "Time (24 hrs)": "16:31"}],  # 11:01 UTC
        ["valid"],
    ),
    "another mentor at the same time": (
        [{"Mentor(Email)": "m3@example.com", "Time (24 hrs)": "10:00"}],
        ["valid"],
    ),
    "two rows clash: the first wins": (
        [{"Time (24 hrs)": "14:00"}, {"Time (24 hrs)": "14:30", "title": "Second"}],
        ["valid", ("invalid", "Mentor One already has a session at this time: Mentoring")],
    ),
    "two rows back to back in the file": (
        [{"Time (24 hrs)": "14:00"}, {"Time (24 hrs)": "15:00"}],
        ["valid", ("invalid", CLASH)],
    ),
    "a deleted session frees its time": (
        [{"Action": "Delete", "id": "{s1}"}, {"Time (24 hrs)": "10:00"}],
        ["deleted", "valid"],
    ),
    "an edit moves out of the way": (
        [
            {
                "Action": "Edit",
                "id": "{s2}",
                "Mentor(Email)": "m2@example.com",
                "Time (24 hrs)": "20:00",
            },
            {"Mentor(Email)": "m2@example.com", "Time (24 hrs)": "18:00"},
        ],
        ["valid", "valid"],
    ),
    "an edit keeps its own time": (
        [{"Action": "Edit", "id": "{s1}", "Time (24 hrs)": "10:00", "title": "Renamed"}],
        ["valid"],
    ),
    "edit of a missing session": (
        [{"Action": "Edit", "id": "999999"}],
        [("invalid", "No mentoring session has the id 999999.")],
    ),
    "delete of a missing session": (
        [{"Action": "Delete", "id": "999999"}],
        [("invalid", "No mentoring session has the id 999999.")],
    ),
    "edit after a delete in the file": (
        [{"Action": "Delete", "id": "{s2}"}, {"Action": "Edit", "id": "{s2}"}],
        ["deleted", ("invalid", "was deleted by an earlier row of this file")],
    ),
    "edit of a started session": (
        [{"Action": "Edit", "id": "{started}", "Time (24 hrs)": "20:00"}],
        [("invalid", "A session that has started cannot be edited or deleted.")],
    ),
    "delete of a started session": (
        [{"Action": "Delete", "id": "{started}"}],
        [("invalid", "A session that has started cannot be edited or deleted.")],
    ),
    "a change of type": (
        [
            {
                "Action": "Edit",
                "id": "{s1}",
                "Time (24 hrs)": "10:00",
                "type": "Private",
                "Mentees(Email)": "e1@example.com",
            }
        ],
        [("invalid", "type: The session type cannot be changed after publishing.")],
    ),
    "a change of mentor": (
        [{"Action": "Edit", "id": "{s1}", "Mentor(Email)": "m3@example.com"}],
        [("invalid", "The mentor cannot be changed after publishing.")],
    ),
    "unknown mentor": (
        [{"Mentor(Email)": "ghost@example.com"}],
        [("invalid", "No active account has the email ghost@example.com.")],
    ),
    "a member cannot mentor": (
        [{"Mentor(Email)": "e3@example.com"}],
        [("invalid", "cannot be a mentor")],
    ),
    "unknown mentees are named": (
        [{"Mentees(Email)": "e1@example.com, x@example.com, y@example.com"}],
        [("invalid", "No active account has these mentee emails: x@example.com, y@example.com.")],
    ),
    "a private session needs a mentee": (
        [{"type": "Private"}],
        [("invalid", "A private session needs at least one invited mentee.")],
    ),
    "a private session with its mentees": (
        [{"type": "private", "Mentees(Email)": "e1@example.com, e3@example.com"}],
        ["valid"],
    ),
    "in the past": (
        [{"Date(DD-MM-YYYY)": "05-02-2024"}],
        [("invalid", "Choose a time in the future.")],
    ),
    "shorter than the company minimum": (
        [{"Duration(Min)": "20"}],
        [("invalid", "A session lasts at least 30 minutes.")],
    ),
    "longer than a day": (
        [{"Duration(Min)": "1441"}],
        [("invalid", "A session lasts at most 24 hours.")],
    ),
    "every problem is named": (
        [{"title": "", "type": "Open", "Time (24 hrs)": "7pm", "Meeting Platform": "Teams"}],
        [
            (
                "invalid",
                "title: This field is required.",
                "type: Choose Public or Private.",
                "Time must be 24-hour",
                "Meeting Platform: Choose a meeting platform",
            )
        ],
    ),
    "BigBlueButton by default": ([{"Meeting Platform": ""}], ["valid"]),
    "Big Blue Button spelled apart": ([{"Meeting Platform": "Big Blue Button"}], ["valid"]),
    "BigBlueButton with a link": (
        [{"Meeting Platform": "BigBlueButton", "Meeting Link": "https://bbb.example.org/x"}],
        [("invalid", "Meeting Link: BigBlueButton needs no link")],
    ),
    "a link without a platform": (
        [{"Meeting Link": "https://meet.google.com/abc-mnop-xyz"}],
        [("invalid", "Meeting Link is filled in but Meeting Platform is empty")],
    ),
    "Google Meet": (
        [
            {
                "Meeting Platform": "Google Meet",
                "Meeting Link": "https://meet.google.com/jgx-ydjs-ptv?authuser=0",
            }
        ],
        ["valid"],
    ),
    "Google Meet look-alike": (
        [
            {
                "Meeting Platform": "google meet",
                "Meeting Link": "https://meet.google.com.evil.com/abc-mnop-xyz",
            }
        ],
        [("invalid", "Meeting Link: Paste a Google Meet link")],
    ),
    "Google Meet without its link": (
        [{"Meeting Platform": "Google Meet"}],
        [("invalid", "Meeting Link: Paste the meeting link")],
    ),
    "WhatsApp": (
        [
            {
                "Meeting Platform": "WhatsApp",
                "Meeting Link": "https://chat.whatsapp.com/tK0CUX6h4AjDsWoQNStz1g",
            }
        ],
        ["valid"],
    ),
    "WhatsApp call link of the sample": (
        [
            {
                "Meeting Platform": "WhatsApp",
                "Meeting Link": "https://call.whatsapp.com/video/tK0CUX6h4AjDsWoQNStz1g",
            }
        ],
        ["valid"],
    ),
    "Zoom with passcode": (
        [
            {
                "Meeting Platform": "Zoom",
                "Meeting Link": "https://us02web.zoom.us/j/12345678901",
                "Meeting Passcode (if needed)": "123456",
            }
        ],
        ["valid"],
    ),
    "Zoom meeting number as the link": (
        [
            {
                "Meeting Platform": "Zoom",
                "Meeting Link": "5551112222",
                "Meeting Passcode (if needed)": "123456",
            }
        ],
        [
            (
                "valid",
                'Meeting Link "5551112222" is not a link; it was read as https://zoom.us/j/5551112222.',
            )
        ],
    ),
    "Zoom with a link of another site": (
        [{"Meeting Platform": "Zoom", "Meeting Link": "https://example.org/j/12345678901"}],
        [("invalid", "Meeting Link: Paste a Zoom meeting link")],
    ),
    "a passcode without Zoom": (
        [
            {
                "Meeting Platform": "Google Meet",
                "Meeting Link": "https://meet.google.com/abc-mnop-xyz",
                "Meeting Passcode (if needed)": "99",
            }
        ],
        [("valid", "Meeting Passcode is used only with Zoom; it was left out.")],
    ),
    "an unknown platform": (
        [{"Meeting Platform": "Teams"}],
        [("invalid", "Meeting Platform: Choose a meeting platform")],
    ),
}


def expected_of(case):
    for item in case:
        status, *fragments = (item,) if isinstance(item, str) else item
        yield status, fragments


@pytest.mark.parametrize("mode", ["check", "upload"])
@pytest.mark.parametrize("name", list(CASES))
def test_bulk_plan_row_cases(app, world, name, mode):
    rows, expected = CASES[name]
    results = upload(app, world, [ids(world, row) for row in rows], is_check=mode == "check")

    for (status, message, _id), (want, fragments) in zip(
        results, expected_of(expected), strict=True
    ):
        if mode == "upload":
            want = {"valid": "published"}.get(want, want)
        else:
            want = {"deleted": "valid"}.get(want, want)
        assert status == want, message
        for fragment in fragments:
            assert fragment in message


def mentoring_sessions():
    with db.connection_context():
        return Session.select().where(Session.kind == SessionKind.MENTORING).count()


def test_bulk_plan_a_check_writes_nothing(app, world):
    before = mentoring_sessions()

    results = upload(app, world, [{}, {"Action": "Delete", "id": str(world["s2"])}], True)

    assert [status for status, _m, _i in results] == ["valid", "valid"]
    assert mentoring_sessions() == before


@pytest.mark.every_database
def test_bulk_plan_upload_creates_with_its_mentees_and_the_new_id(backend, app, world):
    [(status, _message, session_id)] = upload(
        app,
        world,
        [{"Mentees(Email)": "e1@example.com, E3@example.com", "Time Zone(IST/UTC)": "IST"}],
        False,
    )

    assert status == "published"
    with db.connection_context():
        session = Session.get_by_id(session_id)
        day = Day.get(Day.session == session)
        invited = {
            registration.user_id
            for registration in Registration.select()
            .join(Invitation)
            .where(Registration.session == session)
        }
    assert session.host_id == world["m1"].id and session.timezone == "Asia/Kolkata"
    assert day.start_at.strftime("%H:%M") == "08:30"  # 14:00 IST
    assert invited == {world["e1"].id, world["e3"].id}


@pytest.mark.every_database
def test_bulk_plan_edit_keeps_mentees_who_enrolled_themselves(backend, app, world):
    row = {
        "Action": "Edit",
        "id": str(world["s1"]),
        "Time (24 hrs)": "10:00",
        "Mentees(Email)": "e3@example.com",
    }

    [(status, message, _id)] = upload(app, world, [row], False)

    assert status == "published", message
    with db.connection_context():
        live = {
            registration.user_id
            for registration in Registration.select().where(
                Registration.session == world["s1"], Registration.status.in_(Status.HOLDS_SEAT)
            )
        }
    assert world["e2"].id in live  # enrolled by themselves: kept
    assert world["e3"].id in live and world["e1"].id not in live  # the invitations follow the row


def test_bulk_plan_seats_follow_the_company_limit(app, world):
    with db.connection_context():
        Company.update(mentees_per_session_limit=1).execute()

    [(status, message, _id)] = upload(
        app, world, [{"Mentees(Email)": "e1@example.com, e3@example.com"}], True
    )

    assert status == "invalid" and "Session seats full" in message


def test_bulk_plan_a_host_changes_only_their_own_sessions(app, world):
    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()
    rows = [
        {"Mentor(Email)": "m2@example.com", "Time (24 hrs)": "06:00"},
        {"Mentor(Email)": "m1@example.com", "Time (24 hrs)": "06:00"},
        {"Action": "Delete", "id": str(world["s1"])},
        {"Action": "Delete", "id": str(world["s2"])},
    ]

    results = upload(app, world, rows, False, uploader="m2")

    assert [status for status, _m, _i in results] == ["published", "invalid", "invalid", "deleted"]
    assert "only with yourself as the mentor" in results[1][1]
    assert f"You cannot change session {world['s1']}: it is not yours." in results[2][1]


@pytest.mark.every_database
def test_bulk_plan_a_bad_row_never_blocks_the_good_ones(backend, app, world):
    rows = [{"Time (24 hrs)": "06:00"}, {"Date(DD-MM-YYYY)": "bad"}, {"Time (24 hrs)": "20:00"}]

    results = upload(app, world, rows, False)

    assert [status for status, _m, _i in results] == ["published", "invalid", "published"]
    assert mentoring_sessions() == 3 + 2


@pytest.mark.every_database
def test_bulk_plan_many_new_sessions_in_one_batch(backend, app, world):
    """A batch's new sessions are written together: ids in file order, each with its day,
    host, invited mentees and their confirmation emails."""
    rows = [
        {
            "Time (24 hrs)": f"{hour:02d}:00",
            "title": f"Batch {hour}",
            "Mentees(Email)": "e3@example.com",
        }
        for hour in (0, 2, 4, 6)
    ] + [{"Mentor(Email)": "m3@example.com", "Time (24 hrs)": "10:00", "title": "Batch m3"}]

    results = upload(app, world, rows, False)

    assert [status for status, _m, _i in results] == ["published"] * 5
    new_ids = [session_id for _s, _m, session_id in results]
    with db.connection_context():
        titles = {
            session.id: session.name["en"]
            for session in Session.select().where(Session.id.in_(new_ids))
        }
        days = Day.select().where(Day.session.in_(new_ids)).count()
        emails = (
            Email.select()
            .where(Email.kind == "mentoring_invitation", Email.to_address == "e3@example.com")
            .count()
        )
    assert [titles[session_id] for session_id in new_ids] == [row["title"] for row in rows]
    assert days == 5 and emails == 4


def _edit_rows(app, world, count, first_day):
    """`count` sessions of m3 on days of their own with e1 invited, and an Edit row for
    each that moves it two hours later and renames it."""
    with app.test_request_context("/"), db.connection_context():
        company = Company.current()
        first = datetime.combine(DAY, datetime.min.time()) + timedelta(days=first_day, hours=8)
        values = [
            mentoring.MentoringValues(
                title=f"To edit {n}",
                description="About",
                session_type="public",
                mentor=world["m3"],
                mentees=[world["e1"]],
                start_at=first + timedelta(days=n),
                end_at=first + timedelta(days=n, hours=1),
                timezone="UTC",
            )
            for n in range(count)
        ]
        session_ids = mentoring.create_many(values, company)
    return [
        {
            "Action": "Edit",
            "id": str(session_id),
            "title": f"Edited {n}",
            "Mentor(Email)": "m3@example.com",
            "Mentees(Email)": "e1@example.com",
            "Date(DD-MM-YYYY)": (first + timedelta(days=n)).strftime("%d-%m-%Y"),
            "Time (24 hrs)": "10:00",
        }
        for n, session_id in enumerate(session_ids)
    ]


@pytest.mark.every_database
def test_bulk_plan_statements_per_edit_row_stay_a_small_constant(backend, app, world):
    """Edits are written a batch at a time: ten times the Edit rows cost a few statements
    more per row (the session, its details and its day), not the twenty-odd of one
    `mentoring.edit` each."""
    from messaging import mail
    from tests.conftest import count_queries

    counts = {}
    for count, first_day in ((3, 1), (30, 4)):
        rows = _edit_rows(app, world, count, first_day)
        # The emails are sent after the upload (by the worker): not counted here.
        with app.test_request_context("/"), mail.one_delivery_request():
            with count_queries() as statements:
                results = upload(app, world, rows, False)
        assert [status for status, _m, _i in results] == ["published"] * count
        counts[count] = len(statements)

    per_row = (counts[30] - counts[3]) / 27
    assert per_row <= 4, counts
    with db.connection_context():
        changed = Email.select().where(Email.kind == "mentoring_invitation").count()
        broadcasts = Day.select().where(Day.sequence == 1).count()
    assert changed >= 33 and broadcasts == 33  # the calendar entries were updated


@pytest.mark.every_database
def test_bulk_plan_a_row_that_fails_alone_blocks_no_later_row(backend, app, world, monkeypatch):
    """The batch's new sessions cannot be written at once, and the first row then fails
    alone (another writer took its mentor's time meanwhile): the second row, which clashed
    only with the first, is published, not refused for a clash that never happened."""
    from sessions import bulk_plan

    real_flush, real_create_many = bulk_plan.Plan.flush, mentoring.create_many
    taken = []

    def another_writer_first(plan):
        if not taken:  # once: the batch planned again finds the time free
            start = datetime.combine(DAY, datetime.min.time()) + timedelta(hours=13, minutes=30)
            values = mentoring.MentoringValues(
                title="Taken meanwhile",
                description="About",
                mentor=world["m1"],
                start_at=start,
                end_at=start + timedelta(minutes=30),
                timezone="UTC",
            )
            taken.extend(real_create_many([values], plan.company, plan.now))
        return real_flush(plan)

    def refuse(*_args, **_kwargs):
        raise RuntimeError("a batch that cannot be written at once")

    monkeypatch.setattr(bulk_plan.Plan, "flush", another_writer_first)
    monkeypatch.setattr(mentoring, "create_many", refuse)
    rows = [
        {"Time (24 hrs)": "14:00", "title": "First"},  # touches 13:30-14:00: fails alone
        {"Time (24 hrs)": "14:30", "title": "Second"},  # clashes only with the first
    ]

    results = upload(app, world, rows, False)

    assert results[0][0] == "invalid" and "Taken meanwhile" in results[0][1]
    assert results[1][0] == "published", results[1][1]
    with db.connection_context():
        titles = {session.name["en"] for session in Session.select()}
    assert "Second" in titles and "First" not in titles
