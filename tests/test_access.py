"""Who may use which route, CSRF, signing in and out, the create-admin command, /healthz."""

import hashlib
import hmac
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import PASSWORD

from accounts.access import AUDIENCES, VISITOR
from models import (
    ALL_MODELS,
    Company,
    Day,
    Email,
    Event,
    MentoringDetails,
    Registration,
    Reminder,
    Role,
    Session,
    SessionKind,
    TagOption,
    Upload,
    UploadKind,
    User,
    db,
)

FORBIDDEN = "You do not have access to this page."
EXPIRED = "The form has expired. Reload the page and try again."
INCORRECT = "Email or password is incorrect."
ROLES = [None, Role.MEMBER, Role.HOST, Role.ADMIN]


def database_state():
    """Every row of every table, to prove that a refused request changed nothing."""
    with db.connection_context():
        return {
            model.__name__: list(model.select().order_by(model.id).dicts()) for model in ALL_MODELS
        }


def event_count():
    with db.connection_context():
        return Event.select().count()


def location(response):
    """The redirect target as (path, query parameters); it never leaves the site."""
    target = urlsplit(response.headers["Location"])
    assert not target.scheme and not target.netloc, response.headers["Location"]
    return target.path, parse_qs(target.query)


def log_in(client, email, password=PASSWORD, **fields):
    return client.post("/login", data={"email": email, "password": password, **fields})


# The route matrix --------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    url: str  # with {event}, {session}, {day} and {user} standing for real ids
    audience: str
    # A form that succeeds for an admin, so a refusal is the only thing that stops it
    # (a callable for forms that can be sent once only, such as a file).
    data: object = field(default_factory=dict)
    # Someone else's row, or a link that is not theirs: the audience may call it, and is
    # told it does not exist (404) or that the link is not valid (400).
    owner_only: bool = False

    def __str__(self):
        return f"{self.method} {self.url}"


DAY_FORM = {"format": "offline", "address": "Back room"}
END_TOKEN = hmac.new(b"test-secret", b"bigbluebutton-end:convene-1-1", hashlib.sha256).hexdigest()

ROUTES = [
    Route("GET", "/static/app.css", VISITOR),
    Route("GET", "/healthz", VISITOR),
    Route("GET", "/login", VISITOR),
    Route("POST", "/login", VISITOR),
    Route("POST", "/logout", VISITOR),
    Route("GET", "/password/forgot", VISITOR),
    Route("POST", "/password/forgot", VISITOR, {"email": "target@example.com"}),
    Route("GET", "/password/reset/not-a-valid-token", VISITOR),
    Route("POST", "/password/reset/not-a-valid-token", VISITOR, {"password": "longpassword1"}),
    Route("POST", "/locale", VISITOR, {"locale": "ru", "next": "/"}),
    Route("GET", "/", Role.MEMBER),
    Route("GET", "/home", Role.MEMBER),
    Route("GET", "/home/schedule", Role.MEMBER),
    Route("GET", "/events/{event}", Role.MEMBER),
    Route("POST", "/sessions/{session}/signup", Role.MEMBER),
    Route("POST", "/sessions/{session}/waitlist", Role.MEMBER),
    Route("POST", "/registrations/{registration}/switch", Role.MEMBER, {"session_id": "1"}, True),
    Route("POST", "/registrations/{registration}/withdraw", Role.MEMBER, owner_only=True),
    Route("GET", "/registrations/{registration}/alternatives", Role.MEMBER, owner_only=True),
    Route("GET", "/sessions/{session}/card", Role.MEMBER),
    Route("POST", "/registrations/{registration}/confirm", Role.MEMBER, {"took_part": "yes"}, True),
    Route("GET", "/profile", Role.MEMBER),
    Route("POST", "/profile", Role.MEMBER, {"name": "Renamed"}),
    Route("POST", "/profile/calendar", Role.MEMBER),
    Route("GET", "/profile/zones?q=Mosc", Role.MEMBER),
    Route(
        "POST",
        "/profile/password",
        Role.MEMBER,
        {"current_password": PASSWORD, "password": "another long password"},
    ),
    Route("GET", "/days/{day}.ics", Role.MEMBER, owner_only=True),
    Route("GET", "/calendar/not-a-real-token-at-all-0000.ics", VISITOR),
    Route("GET", "/admin/events/{event}/registrations", Role.ADMIN),
    Route("GET", "/admin/events/{event}/registrations.csv", Role.ADMIN),
    Route(
        "POST",
        "/admin/events/{event}/registrations",
        Role.ADMIN,
        {"email": "other@example.com", "session_id": "1"},
    ),
    Route("POST", "/admin/registrations/{registration}/status", Role.ADMIN, {"status": "denied"}),
    Route(
        "POST",
        "/admin/events/{event}/registrations/bulk",
        Role.ADMIN,
        {"all_matching": "1", "action": "denied", "confirmed": "1"},
    ),
    Route("GET", "/admin/members/suggestions?email=ot", Role.ADMIN),
    Route("GET", "/admin/events/{event}/imports/sample.csv", Role.ADMIN),
    Route(
        "POST",
        "/admin/events/{event}/imports",
        Role.ADMIN,
        lambda: {"file": (io.BytesIO(b"email,session\nother@example.com,Daytime\n"), "people.csv")},
    ),
    Route("GET", "/admin/imports/{job}", Role.ADMIN),
    Route("POST", "/admin/imports/{job}/apply", Role.ADMIN),
    Route("GET", "/admin/imports/{job}/result.csv", Role.ADMIN),
    # The history (views/history.py): an event's and a person's for admins, a session's for
    # its host; another host's session does not exist for them.
    Route("GET", "/history/events/{event}", Role.ADMIN),
    Route("GET", "/history/events/{event}/history.csv", Role.ADMIN),
    Route("GET", "/history/people/{user}", Role.ADMIN),
    Route("GET", "/history/people/{user}/history.csv", Role.ADMIN),
    Route("GET", "/history/sessions/{group}", Role.HOST, owner_only=True),
    Route("GET", "/history/sessions/{group}/history.csv", Role.HOST, owner_only=True),
    Route("GET", "/admin/sessions/{session}/reminders", Role.ADMIN),
    Route(
        "POST",
        "/admin/sessions/{session}/reminders",
        Role.ADMIN,
        {"kind": "relative", "offset": "2", "offset_unit": "days"},
    ),
    Route("DELETE", "/admin/reminders/{reminder}", Role.ADMIN),
    Route("GET", "/group-sessions/new", Role.HOST),
    Route("POST", "/group-sessions", Role.HOST, lambda: dict(GROUP_FORM)),
    Route("GET", "/group-sessions/invitees?q=ta", Role.HOST),
    Route("GET", "/host/sessions", Role.HOST),
    Route("GET", "/u/target-host", VISITOR),
    Route("GET", "/s/{group}", VISITOR),
    Route("POST", "/s/{group}/join", Role.MEMBER),
    Route("POST", "/s/{group}/leave", Role.MEMBER),
    Route("GET", "/invitations/not-a-valid-token", VISITOR),
    Route("POST", "/invitations/not-a-valid-token", VISITOR),
    Route("GET", "/group-sessions/{group}/decide/not-a-valid-token", Role.HOST, owner_only=True),
    Route("POST", "/group-sessions/{group}/decide/not-a-valid-token", Role.HOST, owner_only=True),
    Route("GET", "/admin/emails", Role.ADMIN),
    Route("POST", "/admin/emails/{email}/resend", Role.ADMIN),
    Route("POST", "/admin/emails/{email}/send-again", Role.ADMIN),
    Route("POST", "/admin/emails/resend?status=failed", Role.ADMIN, {"email_ids": "1"}),
    Route("GET", "/admin/emails/{email}", Role.ADMIN),
    Route("GET", "/admin/emails/{email}/body.html", Role.ADMIN),
    Route("GET", "/admin/events", Role.ADMIN),
    Route("POST", "/admin/events", Role.ADMIN, {"title_en": "Intruder event"}),
    Route("GET", "/admin/events/{event}", Role.ADMIN),
    Route("GET", "/admin/events/{event}/header", Role.ADMIN),
    Route("GET", "/admin/events/{event}/edit", Role.ADMIN),
    Route(
        "POST",
        "/admin/events/{event}",
        Role.ADMIN,
        {"title_en": "Renamed by intruder", "starts_on": "2030-03-01"},
    ),
    Route("POST", "/admin/events/{event}/visibility", Role.ADMIN, {"active": "1"}),
    Route("POST", "/admin/events/{event}/sessions", Role.ADMIN, {"name_en": "Intruder session"}),
    Route("GET", "/admin/sessions/{session}", Role.ADMIN),
    Route("GET", "/admin/sessions/{session}/edit", Role.ADMIN),
    Route(
        "POST",
        "/admin/sessions/{session}",
        Role.ADMIN,
        {"name_en": "Renamed session", "registration_end": "2030-02-26T11:59"},
    ),
    Route("DELETE", "/admin/sessions/{session}", Role.ADMIN),
    Route("GET", "/admin/sessions/{session}/days", Role.ADMIN),
    Route("GET", "/admin/sessions/{session}/days/new", Role.ADMIN),
    Route("GET", "/admin/sessions/{session}/days/place?format=online", Role.ADMIN),
    Route(
        "POST",
        "/admin/sessions/{session}/days",
        Role.ADMIN,
        {"start": "2030-03-02T10:00", "end": "2030-03-02T12:00", **DAY_FORM},
    ),
    Route("GET", "/admin/days/{day}/edit", Role.ADMIN),
    Route(
        "POST",
        "/admin/days/{day}",
        Role.ADMIN,
        {"start": "2030-03-01T13:00", "end": "2030-03-01T15:00", **DAY_FORM},
    ),
    Route("DELETE", "/admin/days/{day}", Role.ADMIN),
    Route("GET", "/admin/settings", Role.ADMIN),
    Route(
        "POST",
        "/admin/settings",
        Role.ADMIN,
        {
            "timezone": "UTC",
            "locales": ["en", "ru"],
            "default_locale": "ru",
            "mentees_per_session_limit": "1",
            "bulk_rows_limit": "1",
            "min_duration_minutes": "1",
            "group_minimum_cutoff_hours": "0",
        },
    ),
    Route("GET", "/admin/users", Role.ADMIN),
    Route(
        "POST",
        "/admin/users",
        Role.ADMIN,
        {
            "email": "intruder@example.com",
            "name": "Intruder",
            "role": "admin",
            "password": "longpassword1",
        },
    ),
    Route("GET", "/admin/users/{user}", Role.ADMIN),
    Route("GET", "/admin/users/{user}/edit", Role.ADMIN),
    Route(
        "POST",
        "/admin/users/{user}",
        Role.ADMIN,
        {"email": "target@example.com", "name": "Target", "role": "admin", "is_active": "on"},
    ),
    # Bulk session upload
    Route("GET", "/bulk-upload", Role.HOST),
    Route("GET", "/bulk-upload/sample.csv", Role.HOST),
    Route("POST", "/bulk-upload", Role.HOST, lambda: {"file": (io.BytesIO(BULK_FILE), "s.csv")}),
    Route("GET", "/bulk-upload/{bulk}", Role.HOST, owner_only=True),
    Route("GET", "/bulk-upload/{bulk}/result.csv", Role.HOST, owner_only=True),
    # Mentoring sessions and hosted sessions (issue 12).
    Route("GET", "/mentoring", Role.HOST),
    Route("GET", "/images/not-an-image.webp", VISITOR),
    Route("GET", "/mentoring/new", Role.HOST),
    Route("POST", "/mentoring", Role.HOST, lambda: mentoring_form("2030-07-01T10:00")),
    Route("GET", "/mentoring/people?q=ta&for=mentor", Role.HOST),
    Route("GET", "/mentoring/{mentoring}/edit", Role.HOST, owner_only=True),
    Route(
        "POST",
        "/mentoring/{mentoring}",
        Role.HOST,
        lambda: mentoring_form("2030-06-01T10:00", platform="zoom", meeting_url="123456789"),
        True,
    ),
    Route("GET", "/admin/mentoring/options", Role.ADMIN),
    Route("POST", "/admin/mentoring/options", Role.ADMIN, {"kind": "medium", "label": "Odia"}),
    Route("DELETE", "/admin/mentoring/options/{option}", Role.ADMIN),
    Route("GET", "/host/sessions/{mentoring}", Role.HOST, owner_only=True),
    Route(
        "POST",
        "/host/sessions/{mentoring}/meeting",
        Role.HOST,
        {"platform": "zoom", "meeting_url": "123456789"},
        True,
    ),
    Route(
        "POST",
        "/host/sessions/{mentoring}/reschedule",
        Role.HOST,
        {"start": "2030-06-02T10:00", "end": "2030-06-02T11:00"},
        True,
    ),
    Route("POST", "/host/sessions/{mentoring}/cancel", Role.HOST, {"confirmed": "1"}, True),
    Route("GET", "/host/sessions/{group}/edit", Role.HOST, owner_only=True),
    Route(
        "POST",
        "/host/sessions/{group}/edit",
        Role.HOST,
        {"title": "Renamed group", "description": "About"},
        True,
    ),
    Route("GET", "/s/{mentoring}/meeting", Role.MEMBER, owner_only=True),
    Route("POST", "/host/sessions/{mentoring}/meeting/end", Role.HOST, owner_only=True),
    Route("GET", "/home/sessions?when=past", Role.MEMBER),
    Route("POST", "/home/sessions/{mentoring}/leave", Role.MEMBER, owner_only=True),
    # Zoom (views/zoom.py); the ids' day is not a Zoom day, so its Zoom pages do not exist.
    Route("POST", "/admin/zoom/connect", Role.ADMIN),
    Route("POST", "/admin/zoom/server-to-server", Role.ADMIN),
    Route("POST", "/admin/zoom/disconnect", Role.ADMIN),
    Route("POST", "/admin/zoom/settings", Role.ADMIN, {"attendance_threshold": "60"}),
    Route("POST", "/zoom/connect", Role.MEMBER),
    Route("POST", "/zoom/disconnect", Role.MEMBER),
    Route("GET", "/zoom/oauth/callback?state=forged&code=x", Role.MEMBER, owner_only=True),
    Route("GET", "/admin/zoom/sessions/{session}/account?zoom_role=participant", Role.ADMIN),
    Route("GET", "/admin/days/{day}/zoom", Role.ADMIN, owner_only=True),
    Route("POST", "/admin/days/{day}/zoom/retry", Role.ADMIN, owner_only=True),
    Route("GET", "/zoom/days/{day}/start", Role.MEMBER, owner_only=True),
    Route("GET", "/zoom/days/{day}/join", Role.MEMBER, owner_only=True),
    Route("GET", "/zoom/days/{day}/recordings", Role.MEMBER, owner_only=True),
    Route("POST", "/admin/events/{event}/registrations/zoom-attendance", Role.ADMIN),
    Route("POST", "/zoom/webhook", VISITOR),  # public; unsigned calls are answered 401
    # BigBlueButton's callbacks (views/bigbluebutton.py): public; unsigned calls answer 401,
    # the end callback carries Convene's own token (made here with the tests' secret key).
    Route("GET", f"/bigbluebutton/meetings/convene-1-1/ended?token={END_TOKEN}", VISITOR),
    Route("POST", f"/bigbluebutton/meetings/convene-1-1/ended?token={END_TOKEN}", VISITOR),
    Route("POST", "/bigbluebutton/recording-ready", VISITOR),
    Route("POST", "/bigbluebutton/analytics", VISITOR),
    Route("POST", "/host/sessions/{mentoring}/attendance", Role.HOST, owner_only=True),
    Route("POST", "/host/recordings/999999/hide", Role.HOST, owner_only=True),
    # Assessment sessions (issue 14): {asession} is open (invited yesterday), {closed} is past
    # its completion date; {participant} and {rater} belong to target@example.com, so a
    # signed-in member is told they do not exist.
    Route("GET", "/admin/assessments", Role.ADMIN),
    Route(
        "POST",
        "/admin/assessments/import",
        Role.ADMIN,
        lambda: {"file": (io.BytesIO(ASSESSMENT_JSON.encode()), "assessment.json")},
    ),
    Route("GET", "/admin/assessments/{assessment}", Role.ADMIN),
    Route("GET", "/admin/assessments/{assessment}/export", Role.ADMIN),
    Route("GET", "/admin/assessment-sessions", Role.ADMIN),
    Route("GET", "/admin/assessment-sessions/new", Role.ADMIN),
    Route("POST", "/admin/assessment-sessions", Role.ADMIN, lambda: assessment_form()),
    Route("POST", "/admin/assessment-sessions/guidance", Role.ADMIN, lambda: assessment_form()),
    Route("GET", "/admin/assessment-sessions/{asession}", Role.ADMIN),
    Route("POST", "/admin/assessment-sessions/{asession}", Role.ADMIN, lambda: assessment_form()),
    Route("POST", "/admin/client-organizations", Role.ADMIN, {"client_name": "AAA Parts"}),
    Route("GET", "/admin/assessment-sessions/{asession}/registrations", Role.ADMIN),
    Route("GET", "/admin/assessment-sessions/{asession}/people?query=oth", Role.ADMIN),
    Route(
        "POST",
        "/admin/assessment-sessions/{asession}/participants",
        Role.ADMIN,
        {"person": "other@example.com"},
    ),
    Route(
        "POST",
        "/admin/assessment-sessions/{future}/participants/{future_participant}/remove",
        Role.ADMIN,
    ),
    Route("POST", "/admin/assessment-sessions/{asession}/raters/{rater}/revoke", Role.ADMIN),
    Route(
        "POST",
        "/admin/assessment-sessions/{asession}/imports",
        Role.ADMIN,
        lambda: {"file": (io.BytesIO(b"email\nother@example.com\n"), "people.csv")},
    ),
    Route("POST", "/admin/assessment-sessions/{asession}/imports/{aimport}/apply", Role.ADMIN),
    Route("GET", "/admin/assessment-sessions/{asession}/imports/{aimport}/result.csv", Role.ADMIN),
    Route("GET", "/admin/assessment-sessions/{asession}/imports/{aimport}", Role.ADMIN),
    Route("GET", "/admin/assessment-sessions/{asession}/imports/sample.csv", Role.ADMIN),
    Route("POST", "/admin/assessment-sessions/{asession}/cancel", Role.ADMIN, {"confirmed": "1"}),
    Route("POST", "/admin/assessment-sessions/{future}/delete", Role.ADMIN, {"confirmed": "1"}),
    Route("GET", "/assessments", Role.MEMBER),
    Route("GET", "/assessments/{participant}", Role.MEMBER, owner_only=True),
    Route(
        "POST",
        "/assessments/{participant}/raters",
        Role.MEMBER,
        {"name": "Rhea", "email": "rhea@example.com", "relationship": "peer"},
        True,
    ),
    Route("GET", "/assessments/{participant}/raters/{rater}/edit", Role.MEMBER, owner_only=True),
    Route(
        "POST", "/assessments/{participant}/raters/{rater}", Role.MEMBER, {"action": "revoke"}, True
    ),
    Route("POST", "/assessments/{participant}/survey", Role.MEMBER, {"q_vision1": "4"}, True),
    Route("GET", "/r/not-a-valid-token-000000000000000000000000000", VISITOR),
    Route("POST", "/r/not-a-valid-token-000000000000000000000000000", VISITOR, {"q_vision1": "4"}),
    Route("GET", "/assessment-sessions/{closed}/report", Role.HOST, owner_only=True),
    # Not yet available (404): a PDF is no text to look into (test_assessment_pages opens one).
    Route("GET", "/assessment-sessions/{asession}/report.pdf", Role.HOST, owner_only=True),
    Route("GET", "/assessment-sessions/{closed}/report.csv", Role.HOST, owner_only=True),
    # Last: it signs its caller out everywhere (the fuzz test walks ROUTES in this order).
    Route("POST", "/profile/sign-out-everywhere", Role.MEMBER),
]
PROTECTED = [route for route in ROUTES if route.audience != VISITOR]
BULK_FILE = (
    b"Action,id,title,description,type,Mentor(Email),Mentees(Email),Date(DD-MM-YYYY),"
    b"Time Zone(IST/UTC),Time (24 hrs),Duration(Min),recommended_for,categories,medium,"
    b"Meeting Platform,Meeting Link,Meeting Passcode (if needed)\r\n"
    b"Delete,999999,,,,,,,,,,,,,,,\r\n"
)


def mentoring_form(start, **fields):
    """A mentoring session form that succeeds for an admin (the host is its mentor)."""
    with db.connection_context():
        mentor = User.get(User.email == "host@example.com")
    hour = int(start[11:13]) + 1
    return {
        "title": "Mentoring",
        "description": "About",
        "session_type": "public",
        "mentor": str(mentor.id),
        "start": start,
        "end": f"{start[:11]}{hour:02d}{start[13:]}",
        "timezone": "UTC",
        "platform": "zoom",
        "link_later": "1",
        **fields,
    }


GROUP_FORM = {
    "title": "Group",
    "description": "About",
    "start": "2030-05-01T18:00",
    "duration_hours": "1",
    "duration_minutes": "0",
    "min_participants": "1",
    "max_participants": "5",
}


ASSESSMENT_IDS = ["assessment", "asession", "closed", "future", "future_participant"]
ASSESSMENT_IDS += ["participant", "rater", "aimport"]


def assessment_form():
    from assessment_fixtures import DATES

    return {"title": "Assessed", "assessment": "1", "timezone": "UTC"} | DATES


def assessment_ids(app, user):
    """An open assessment session with `user` in it (and a rater), a closed one and one
    whose invitation date is still ahead."""
    from datetime import timedelta

    from assessment_fixtures import give_raters, make_assessment, make_detail
    from werkzeug.datastructures import MultiDict

    from assessments import planning
    from models import AssessmentSession, utcnow

    def day(days):
        return (utcnow() + timedelta(days=days)).date().isoformat()

    with app.test_request_context("/"), db.connection_context():
        assessment = make_assessment()
        now = utcnow()
        plan = {"reminder_1": None, "reminder_2": None, "reminder_3": None}
        opened = make_detail(
            assessment,
            now,
            invitation_on=day(-1),
            completion_on=day(20),
            session_on=day(27),
            **plan,
        )
        participant = planning.add_participant(opened, MultiDict({"person": str(user.id)}), now)
        [rater] = give_raters(participant, [("peer", None)])
        closed = make_detail(assessment, now, **plan)
        AssessmentSession.update(closes_at=now - timedelta(minutes=1)).where(
            AssessmentSession.id == closed.id
        ).execute()
        future = make_detail(assessment, now, **plan)
        waiting = planning.add_participant(future, MultiDict({"person": str(user.id)}), now)
        aimport = Upload.create(
            kind=UploadKind.ASSESSMENT_PARTICIPANTS,
            assessment_session=opened,
            filename="people.csv",
            rows=[{"line": 2, "email": "other@example.com", "outcome": "add", "message": ""}],
        )
    return {
        "assessment": assessment.id,
        "asession": opened.session_id,
        "closed": closed.session_id,
        "future": future.session_id,
        "future_participant": waiting.id,
        "participant": participant.id,
        "rater": rater.id,
        "aimport": aimport.id,
    }


ASSESSMENT_JSON = """{"name": {"en": "Shared"}, "relationships": {"peer": 1},
 "groups": [{"title": {"en": "G"}, "questions": [{"text": {"en": "Q"}}]}]}"""


@pytest.fixture
def ids(app, make_event, make_session, make_day, make_user):
    """Real rows for every id a route takes: an active dated event, its session, a day, a
    member registered in it, another member, an import, a reminder and a failed email."""
    event = make_event(is_active=True)
    session = make_session(event)
    day = make_day(session)
    user = make_user(Role.MEMBER, email="target@example.com")
    host = make_user(Role.HOST, email="host@example.com", handle="target-host")
    make_user(Role.MEMBER, email="other@example.com")
    with db.connection_context():
        registration = Registration.create(session=session, event=event, user=user)
        job = Upload.create(
            kind=UploadKind.REGISTRATIONS, event=event, filename="people.csv", rows=[]
        )
        reminder = Reminder.create(session=session, offset=1, offset_unit="days")
        Company.update(allows_group_sessions=True).execute()
        group = Session.create(
            kind=SessionKind.GROUP,
            name={"en": "Group"},
            timezone="UTC",
            host=host,
            registration_end_at=datetime(2030, 5, 1),
            participant_limit=5,
        )
        Day.create(session=group, start_at=datetime(2030, 5, 1), end_at=datetime(2030, 5, 1, 1))
        mentoring_session = Session.create(
            kind=SessionKind.MENTORING,
            name={"en": "Mentoring"},
            timezone="UTC",
            host=host,
            registration_end_at=datetime(2030, 6, 1, 10),
            participant_limit=20,
        )
        MentoringDetails.create(session=mentoring_session, published_at=datetime(2030, 1, 1))
        Day.create(
            session=mentoring_session,
            start_at=datetime(2030, 6, 1, 10),
            end_at=datetime(2030, 6, 1, 11),
            format="online",
            platform="zoom",
        )
        option = TagOption.create(kind="medium", label="Hindi")
        email = Email.create(
            key="failed-1",
            to_address=user.email,
            subject="Hi",
            text_body="Hi",
            html_body="Hi",
            status="failed",
        )
        bulk = Upload.create(
            kind=UploadKind.SESSIONS,
            uploaded_by=host,
            filename="s.csv",
            data=b"",
            status="done",
            columns=["id"],
        )
    return {
        "event": event.id,
        "session": session.id,
        "day": day.id,
        "user": user.id,
        "registration": registration.id,
        "job": job.id,
        "reminder": reminder.id,
        "email": email.id,
        "group": group.id,
        "bulk": bulk.id,
        "mentoring": mentoring_session.id,
        "option": option.id,
    } | assessment_ids(app, user)


def call(client, route, ids, htmx=False):
    url = route.url.format(**ids)
    send = getattr(client, route.method.lower())
    headers = {"HX-Request": "true"} if htmx else {}
    data = route.data() if callable(route.data) else route.data
    return url, send(url, data=data if route.method == "POST" else None, headers=headers)


def expected_outcome(route, role):
    if route.audience == VISITOR:
        return "open"
    if role is None:
        return "sign in"
    if Role.RANK[role] < Role.RANK[route.audience]:
        return "forbidden"
    return "allowed"


def test_access_every_endpoint_declares_an_audience(app):
    undeclared = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "audience", None) not in AUDIENCES
    }
    assert undeclared == set()


def test_access_matrix_covers_every_route(app):
    adapter = app.url_map.bind("localhost")
    covered = set()
    for route in ROUTES:
        fake_ids = dict.fromkeys(
            [
                "event",
                "session",
                "day",
                "user",
                "registration",
                "job",
                "reminder",
                "email",
                "group",
                "bulk",
                "mentoring",
                "option",
                *ASSESSMENT_IDS,
            ],
            1,
        )
        path = urlsplit(route.url.format(**fake_ids)).path
        rule, _args = adapter.match(path, route.method, return_rule=True)
        covered.add((rule.rule, route.method))
    every = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert every - covered == set(), "add the new routes to ROUTES"


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "visitor")
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_access_route_answers_by_role(sign_in, ids, route, role):
    client = sign_in(role)
    before = database_state()

    url, response = call(client, route, ids)

    outcome = expected_outcome(route, role)
    if outcome == "sign in":
        assert response.status_code == 302
        path, query = location(response)
        assert path == "/login"
        # Only a page can be returned to; a refused change is not replayed after sign-in.
        assert query.get("next") == ([url] if route.method == "GET" else None)
        assert database_state() == before
    elif outcome == "forbidden":
        assert response.status_code == 403
        assert FORBIDDEN in response.text
        assert database_state() == before
    elif outcome == "allowed" and route.owner_only:
        assert response.status_code < 400 or response.status_code in (400, 404), response.text
        assert FORBIDDEN not in response.text
    elif outcome == "allowed":
        assert response.status_code < 400, response.text
        assert FORBIDDEN not in response.text
    else:
        assert response.status_code != 403 and response.status_code < 500
        assert FORBIDDEN not in response.text


@pytest.mark.parametrize("route", PROTECTED, ids=str)
def test_access_htmx_visitor_is_told_to_sign_in(sign_in, ids, route):
    """Not sent to sign in and back to a bare fragment: the page says "signed out" (app.js)."""
    client = sign_in(None)
    before = database_state()

    _url, response = call(client, route, ids, htmx=True)

    assert response.status_code == 401
    assert response.text == ""
    assert "HX-Redirect" not in response.headers
    assert database_state() == before


def test_access_deactivated_user_loses_the_session_at_once(sign_in):
    client = sign_in(Role.ADMIN)
    assert client.get("/admin/events").status_code == 200
    with db.connection_context():
        User.update(is_active=False).where(User.id == client.user.id).execute()

    response = client.get("/admin/events")

    assert response.status_code == 302
    assert location(response)[0] == "/login"


# CSRF --------------------------------------------------------------------------------------


def test_csrf_login_without_token_is_refused_and_does_not_sign_in(app, make_user):
    user = make_user(Role.ADMIN)
    client = app.test_client()

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, without_csrf=True
    )

    assert response.status_code == 400
    assert EXPIRED in response.text
    after = client.get("/admin/events")
    assert after.status_code == 302
    assert location(after)[0] == "/login"


def test_csrf_login_with_the_form_token_signs_in(app, make_user):
    user = make_user(Role.ADMIN)
    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        without_csrf=True,
    )

    assert response.status_code == 302
    assert client.get("/admin/events").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-CSRFToken": "forged"}],
    ids=["no token", "forged token"],
)
def test_csrf_admin_change_without_a_valid_token_is_refused(admin, headers):
    response = admin.post(
        "/admin/events",
        data={"title_en": "Sneaky event"},
        headers={"HX-Request": "true", **headers},
        without_csrf=True,
    )

    assert response.status_code == 400
    assert EXPIRED in response.text
    assert event_count() == 0


def test_csrf_admin_change_with_the_page_token_in_the_htmx_header_works(admin):
    token = admin.csrf_token()  # the value base.html puts into hx-headers

    response = admin.post(
        "/admin/events",
        data={"title_en": "Onboarding"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
        without_csrf=True,
    )

    assert response.status_code == 204
    with db.connection_context():
        event = Event.get()
    assert event.title == {"en": "Onboarding"}
    assert response.headers["HX-Redirect"] == f"/admin/events/{event.id}"


def test_csrf_token_of_another_browser_is_refused(app, admin):
    stranger = app.test_client()
    foreign_token = stranger.csrf_token()

    response = admin.post(
        "/admin/events",
        data={"title_en": "Sneaky event"},
        headers={"X-CSRFToken": foreign_token},
        without_csrf=True,
    )

    assert response.status_code == 400
    assert event_count() == 0


# Signing in and out ------------------------------------------------------------------------


def test_sign_in_cookie_is_http_only_and_same_site_lax(app, make_user):
    user = make_user(Role.MEMBER)
    client = app.test_client()

    response = log_in(client, user.email)

    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1
    attributes = {part.strip().lower() for part in cookies[0].split(";")}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_sign_in_email_is_case_insensitive(app, make_user):
    user = make_user(Role.ADMIN, email="casey@example.com")
    client = app.test_client()

    response = log_in(client, "  Casey@Example.COM ")

    assert response.status_code == 302
    assert client.get("/admin/events").status_code == 200
    assert user.email == "casey@example.com"


def test_sign_in_wrong_password_and_unknown_email_look_the_same(app, make_user):
    user = make_user(Role.MEMBER, email="known@example.com")
    client = app.test_client()

    def page_for(email, password):
        response = log_in(client, email, password)
        body = response.text.replace(email, "EMAIL")
        for token in re.findall(r'name="csrf_token" value="([^"]+)"', body):
            body = body.replace(token, "TOKEN")  # differs by timestamp only
        return response.status_code, body

    wrong_password = page_for(user.email, "not the password")
    unknown_email = page_for("nobody@example.com", PASSWORD)

    assert wrong_password == unknown_email
    status, body = wrong_password
    assert status == 401
    assert INCORRECT in body
    assert client.get("/").status_code == 302


def test_sign_in_inactive_user_is_refused(app, make_user):
    user = make_user(Role.ADMIN, is_active=False)
    client = app.test_client()

    response = log_in(client, user.email)

    assert response.status_code == 401
    assert INCORRECT in response.text
    after = client.get("/admin/events")
    assert after.status_code == 302 and location(after)[0] == "/login"


@pytest.mark.parametrize(
    ("next_path", "landing"),
    [
        ("/admin/users?page=2", "/admin/users?page=2"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
    ],
    ids=["local path", "protocol-relative", "absolute url", "backslash", "none"],
)
def test_sign_in_honours_only_a_local_next(app, make_user, next_path, landing):
    user = make_user(Role.MEMBER)
    client = app.test_client()

    response = log_in(client, user.email, next=next_path)

    assert response.status_code == 302
    assert response.headers["Location"] == landing


def test_sign_in_returns_to_the_page_that_asked_for_it(app, make_user):
    user = make_user(Role.ADMIN)
    client = app.test_client()

    asked = client.get("/admin/users")
    login_form = client.get(asked.headers["Location"]).text.split('action="/login"', 1)[1]
    hidden_next = re.search(r'name="next" value="([^"]+)"', login_form).group(1)
    response = log_in(client, user.email, next=hidden_next)

    assert hidden_next == "/admin/users"
    assert response.headers["Location"] == "/admin/users"


def test_sign_in_page_sends_a_signed_in_user_on(sign_in):
    client = sign_in(Role.MEMBER)

    response = client.get("/login")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session(admin):
    response = admin.post("/logout")

    assert response.status_code == 302
    assert location(response)[0] == "/login"
    after = admin.get("/admin/events")
    assert after.status_code == 302 and location(after)[0] == "/login"


def test_sign_out_is_not_possible_by_a_plain_link(admin):
    response = admin.get("/logout")

    assert response.status_code == 405
    assert admin.get("/admin/events").status_code == 200


# The create-admin command ------------------------------------------------------------------


def create_admin(app, email, password):
    return app.test_cli_runner().invoke(args=["create-admin", email, "--password", password])


def users_with_email(email):
    with db.connection_context():
        return list(User.select().where(User.email == email))


def test_create_admin_command_creates_an_admin_who_can_sign_in(app):
    result = create_admin(app, "boss@example.com", "longpassword1")

    assert result.exit_code == 0, result.output
    assert "Admin boss@example.com is ready." in result.output
    [boss] = users_with_email("boss@example.com")
    assert boss.role == Role.ADMIN and boss.is_active
    assert "longpassword1" not in boss.password_hash
    client = app.test_client()
    assert log_in(client, "boss@example.com", "longpassword1").status_code == 302
    assert client.get("/admin/events").status_code == 200


def test_create_admin_command_again_resets_the_password_and_keeps_one_user(app):
    create_admin(app, "boss@example.com", "longpassword1")

    result = create_admin(app, "Boss@Example.com", "anotherpassword2")

    assert result.exit_code == 0, result.output
    assert len(users_with_email("boss@example.com")) == 1
    client = app.test_client()
    assert log_in(client, "boss@example.com", "longpassword1").status_code == 401
    assert log_in(client, "boss@example.com", "anotherpassword2").status_code == 302


def test_create_admin_command_promotes_an_existing_member(app, make_user):
    make_user(Role.MEMBER, email="staff@example.com")

    create_admin(app, "staff@example.com", "longpassword1")

    [staff] = users_with_email("staff@example.com")
    assert staff.role == Role.ADMIN
    assert staff.name.startswith("Member")  # the account is kept, not replaced


def test_create_admin_command_lets_a_deactivated_account_sign_in_again(app, make_user):
    """The command is the way back in when no admin can sign in: "ready" must mean it."""
    make_user(Role.ADMIN, email="former@example.com", is_active=False)

    result = create_admin(app, "former@example.com", "longpassword1")

    assert "Admin former@example.com is ready." in result.output
    client = app.test_client()
    assert log_in(client, "former@example.com", "longpassword1").status_code == 302
    assert client.get("/admin/events").status_code == 200


# Health ------------------------------------------------------------------------------------


def test_healthz_answers_ok_to_anyone(app):
    response = app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
