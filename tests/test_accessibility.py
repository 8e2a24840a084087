"""axe-core on every main page, in English and Russian, with hundreds of rows of data.

axe-core is installed by `make test` into .cache/axe (Makefile); it is never downloaded while
the tests run. The app's Content-Security-Policy refuses inline scripts, so axe is evaluated
through Playwright (DevTools), which the page's policy does not govern. A page fails on any
violation of impact "critical" or "serious"; the message names the rule, its help and the
first elements it found.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from conftest import PASSWORD
from test_admin_lists import add_emails, add_people
from test_browser import settle

from assessments import demo_data
from bench.seeding import seed_participants
from models import (
    AssessmentParticipant,
    Company,
    Day,
    DayFormat,
    EmailStatus,
    HistoryEntry,
    Rater,
    Registration,
    RegistrationRole,
    Reminder,
    Role,
    Session,
    SessionKind,
    User,
    db,
    utcnow,
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / ".cache/axe/node_modules/axe-core/axe.min.js"
GRAVE = {"critical", "serious"}
ROWS = 600


@pytest.fixture
def crowded(app, make_user, make_event, make_session, make_day):
    """600 members registered in one session, 600 emails (some failed), two events, a
    group session on a host's public profile; the signed-in people of every role."""
    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()
    add_people(ROWS)
    add_emails(ROWS - 20)
    add_emails(20, start=ROWS, status=EmailStatus.FAILED, last_error="550 mailbox unavailable")
    event = make_event(is_active=True)
    daytime, evening = make_session(event), make_session(event, name="Evening")
    for session in (daytime, evening):
        make_day(session, start="2030-03-01T10:00")
        make_day(
            session,
            start="2030-03-02T10:00",
            format=DayFormat.ONLINE,
            address="",
            url="https://meet.google.com/abc-defg-hij",
        )
    other = make_event(title="Onboarding", is_active=True)
    for name in ("Morning", "Afternoon"):
        make_day(make_session(other, name=name), start="2030-04-01T10:00")
    people = {role: make_user(role) for role in (Role.ADMIN, Role.MEMBER, Role.HOST)}
    with db.connection_context():
        Reminder.create(
            session=daytime, offset=2, offset_unit="days", due_at=utcnow() + timedelta(days=30)
        )
        ids = [user.id for user in User.select(User.id).where(User.email.startswith("person"))]
        seed_participants(daytime.id, ids[:ROWS])
        Registration.create(session=evening, event=event, user=people[Role.MEMBER])
        host = people[Role.HOST]
        User.update(handle="a11y-host").where(User.id == host.id).execute()
        start = utcnow() + timedelta(days=10)
        group = Session.create(
            kind=SessionKind.GROUP,
            name={"en": "Pitch practice"},
            description="Five minutes each.",
            timezone="Europe/Moscow",
            registration_end_at=start,
            participant_limit=7,
            min_participants=3,
            host=host,
        )
        Day.create(
            session=group,
            start_at=start,
            end_at=start + timedelta(hours=1),
            format=DayFormat.ONLINE,
        )
        Registration.create(session=group, user=host, role=RegistrationRole.HOST)
        add_history(event, daytime, group, people)
        email_id = db.execute_sql("SELECT max(id) FROM email").fetchone()[0]
    assessment = assessment_pages(people)
    extra = _mentoring_and_zoom(other, host, make_day)
    return {
        "event": event,
        "other": other,
        "group": group,
        "email": email_id,
        "people": people,
        "assessment": assessment,
        **extra,
    }


def add_history(event, daytime, group, people):
    """A removal by the admin and a host's day change, for the history pages."""
    member, admin, host = people[Role.MEMBER], people[Role.ADMIN], people[Role.HOST]
    HistoryEntry.insert_many(
        [
            {"actor": "user", "actor_user": admin, "change": "removed", "event": event,
             "session": daytime, "person": member, "before": {"status": "approved"}},
            {"actor": "user", "actor_user": host, "change": "days_changed", "session": group,
             "before": {"start": "2030-03-01T10:00", "end": "2030-03-01T11:00"},
             "after": {"start": "2030-03-02T10:00", "end": "2030-03-02T11:00"}},
        ]
    ).execute()  # fmt: skip


def assessment_pages(people):
    """The demo's assessment sessions: one past its completion date with two participants,
    their raters' answers and a report; one open, where the member takes part and has named
    a rater who has not answered yet (whose private link opens the survey)."""
    with db.connection_context(), db.atomic():
        finished = demo_data.load(
            people[Role.HOST],
            people[Role.MEMBER],
            "Europe/Moscow",
            people[Role.MEMBER].password_hash,
        )
        mine = (
            AssessmentParticipant.select()
            .join(Registration)
            .where(Registration.user == people[Role.MEMBER])
            .get()
        )
        Rater.create(
            participant=mine,
            name="Rita Rater",
            email="rita@example.com",
            relationship="peer",
            token="a11y-rater-token-" + "x" * 30,
        )
        open_session = mine.registration.session_id
        finished_participant = (
            AssessmentParticipant.select()
            .join(Registration)
            .where(Registration.session == finished.session_id)
            .first()
        )
    return {
        "session": finished.session_id,
        "finished_participant": finished_participant.id,
        "participant": mine.id,
        "token": "a11y-rater-token-" + "x" * 30,
        "open_session": open_session,
    }


def _mentoring_and_zoom(event, host, make_day):
    """Issue 12 and 15 pages: a mentoring session the host runs (a mentee in it), and a past
    Zoom day with a recording."""
    from models import MentoringDetails, Recording, ZoomMeeting, ZoomRole

    with db.connection_context():
        start = utcnow().replace(second=0, microsecond=0) + timedelta(days=12)
        talk = Session.create(
            kind=SessionKind.MENTORING,
            name={"en": "Career talk"},
            description="How to plan the next step.",
            timezone="Europe/Moscow",
            registration_end_at=start,
            participant_limit=20,
            host=host,
        )
        Day.create(
            session=talk,
            start_at=start,
            end_at=start + timedelta(hours=1),
            format=DayFormat.ONLINE,
            platform="google_meet",
            url="https://meet.google.com/abc-defg-hij",
        )
        MentoringDetails.create(
            session=talk, published_at=utcnow(), categories=["Life skills"], medium=["English"]
        )
        Registration.create(session=talk, user=host, role=RegistrationRole.HOST)
        mentee = User.select().where(User.email.startswith("person")).first()
        Registration.create(session=talk, user=mentee, status="approved")
        Session.update(seats_taken=1).where(Session.id == talk.id).execute()
    zoom = make_day(
        Session.select().where(Session.event == event).first(),
        start="2024-03-01T10:00",
        format=DayFormat.ZOOM,
        address="",
        zoom_role=ZoomRole.ADMINISTRATOR,
    )
    with db.connection_context():
        ZoomMeeting.create(day=zoom, meeting_id="85746065432")
        Recording.create(
            day=zoom,
            file_id="rec-1",
            recording_type="shared_screen_with_speaker_view",
            file_type="MP4",
            start_at=zoom.start_at,
            end_at=zoom.end_at,
            play_url="https://zoom.example/rec/play/1",
            download_url="https://zoom.example/rec/download/1",
        )
    return {"mentoring": talk, "zoom_day": zoom}


def pages(data):
    """(role, path): every main page, as the role that uses it (None: a visitor)."""
    event, other, group = data["event"].id, data["other"].id, data["group"].id
    assessment = data["assessment"]
    return [
        (None, "/login"),
        (None, "/password/forgot"),
        (None, "/password/reset/not-a-valid-token"),
        (None, "/no-such-page"),
        (None, f"/s/{group}"),
        (None, "/u/a11y-host"),
        (None, "/invitations/not-a-valid-token"),
        (Role.ADMIN, "/admin/events"),
        (Role.ADMIN, f"/admin/events/{event}"),
        (Role.ADMIN, f"/admin/events/{event}/registrations"),
        (Role.ADMIN, "/admin/users"),
        (Role.ADMIN, "/admin/users?q=person&page=2"),
        (Role.ADMIN, "/admin/emails"),
        (Role.ADMIN, f"/admin/emails/{data['email']}"),
        (Role.ADMIN, "/admin/settings"),
        (Role.MEMBER, "/home"),
        (Role.MEMBER, "/home?tab=completed"),
        (Role.MEMBER, f"/events/{event}"),
        (Role.MEMBER, f"/events/{other}"),
        (Role.MEMBER, "/profile"),
        (Role.MEMBER, f"/s/{group}"),
        (Role.HOST, "/host/sessions"),
        (Role.HOST, "/group-sessions/new"),
        (Role.HOST, f"/s/{group}"),
        (Role.HOST, f"/group-sessions/{group}/decide/not-a-valid-token"),
        (Role.HOST, f"/host/sessions/{group}"),
        (Role.HOST, f"/host/sessions/{group}/edit"),
        (Role.HOST, "/mentoring/new"),
        (Role.ADMIN, "/mentoring"),
        (Role.ADMIN, "/mentoring/new"),
        (Role.ADMIN, "/admin/mentoring/options"),
        (Role.ADMIN, "/admin/assessments"),
        (Role.ADMIN, "/admin/assessment-sessions"),
        (Role.ADMIN, "/admin/assessment-sessions/new"),
        (Role.MEMBER, "/assessments"),
        (Role.ADMIN, f"/admin/assessment-sessions/{assessment['session']}"),
        (Role.ADMIN, f"/admin/assessment-sessions/{assessment['session']}/registrations"),
        (Role.ADMIN, f"/assessment-sessions/{assessment['session']}/report"),
        (Role.HOST, f"/assessment-sessions/{assessment['session']}/report"),
        (Role.MEMBER, f"/assessments/{assessment['participant']}"),
        (None, f"/r/{assessment['token']}"),
        *new_pages(data),
    ]


def new_pages(data):
    """The pages of issues 12, 13 and 15, the member's schedule and the history's (also walked
    at 375 px by keyboard in tests/test_browser_phone_pages.py)."""
    talk, zoom = data["mentoring"].id, data["zoom_day"].id
    return [
        (Role.HOST, f"/host/sessions/{talk}"),
        (Role.ADMIN, f"/mentoring/{talk}/edit"),
        (Role.ADMIN, f"/host/sessions/{talk}"),
        (Role.ADMIN, "/bulk-upload"),
        (Role.ADMIN, f"/zoom/days/{zoom}/recordings"),
        (Role.MEMBER, "/home"),
        (Role.MEMBER, "/home/schedule"),
        (Role.ADMIN, f"/history/events/{data['event'].id}"),
        (Role.ADMIN, f"/history/people/{data['people'][Role.MEMBER].id}"),
        (Role.HOST, f"/history/sessions/{data['group'].id}"),
    ]


def signed_in_page(browser, live_server, locale, user=None):
    context = browser.new_context(locale=locale)
    page = context.new_page()
    if user is not None:
        page.goto(f"{live_server.url}/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")
        page.wait_for_load_state()
    return page


def grave_violations(page):
    """axe's critical and serious violations on the page as it stands."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')), count: v.nodes.length})))"
    )
    return [violation for violation in result if violation["impact"] in GRAVE]


def describe(path, violations):
    return "\n".join(
        f"{path}: {v['id']} ({v['impact']}, {v['count']} nodes) — {v['help']}: "
        + ", ".join(v["targets"])
        for v in violations
    )


@pytest.mark.parametrize("locale", ["en-GB", "ru-RU"])
def test_no_page_has_serious_accessibility_problems(browser, live_server, crowded, locale):
    assert AXE.exists(), "axe-core is missing: `make test` installs it (see the Makefile)"
    tabs = {}
    problems = []
    for role, path in pages(crowded):
        if role not in tabs:
            tabs[role] = signed_in_page(browser, live_server, locale, crowded["people"].get(role))
        page = tabs[role]
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state()
        expected = "ru" if locale.startswith("ru") else "en"
        assert page.evaluate("document.documentElement.lang") == expected, path
        violations = grave_violations(page)
        if violations:
            problems.append(describe(f"{role or 'visitor'} {path}", violations))
    assert not problems, "\n".join(problems)


STRUCTURE = (Path(__file__).parent / "page_structure.js").read_text()


@pytest.mark.parametrize("locale", ["en-GB", "ru-RU"])
def test_every_page_has_one_h1_ordered_headings_a_skip_link_and_landmarks(
    browser, live_server, crowded, locale
):
    tabs, problems = {}, []
    for role, path in pages(crowded):
        if role not in tabs:
            tabs[role] = signed_in_page(browser, live_server, locale, crowded["people"].get(role))
        page = tabs[role]
        page.goto(f"{live_server.url}{path}")
        where = f"{role or 'visitor'} {path}"
        problems += [f"{where}: {problem}" for problem in page.evaluate(STRUCTURE)]
        if role is not None:
            nav = page.locator("header nav[aria-label]")
            assert nav.count() == 1, path
    assert not problems, "\n".join(problems)


def check(page, where, problems):
    """axe and the page structure, on the page as it stands after an in-place change."""
    settle(page)
    violations = grave_violations(page)
    if violations:
        problems.append(describe(where, violations))
    problems += [f"{where}: {problem}" for problem in page.evaluate(STRUCTURE)]


@pytest.mark.parametrize("locale", ["en-GB", "ru-RU"])
def test_open_forms_errors_and_suggestions_have_no_serious_problems(
    browser, live_server, crowded, locale
):
    problems, people, event = [], crowded["people"], crowded["event"]
    admin = signed_in_page(browser, live_server, locale, people[Role.ADMIN])
    admin.goto(f"{live_server.url}/admin/events/{event.id}")
    card = admin.locator(".session-card").first
    card.locator(".add-day").click()
    check(admin, "a new day's form", problems)
    form = card.locator("form.day-form")
    form.locator("input[name=start]").fill("2030-03-05T12:00")
    form.locator("input[name=end]").fill("2030-03-05T10:00")
    form.locator("textarea[name=address]").fill("Hall B")
    form.locator("button.primary").click()
    admin.locator("form.day-form [aria-invalid=true]").first.wait_for()
    check(admin, "a day's form with an error", problems)
    card.locator(".session-head button").first.click()
    check(admin, "a session's form", problems)
    admin.goto(f"{live_server.url}/admin/users?q=person")
    admin.locator("#users button").first.click()
    check(admin, "a user's form", problems)
    admin.goto(f"{live_server.url}/admin/settings")
    zone = admin.locator("#company-zone")
    zone.fill("")
    zone.press_sequentially("Berl")
    admin.locator("#company-zone-options [role=option]").first.wait_for()
    check(admin, "the zone picker's options", problems)
    zone.fill("Mars/Olympus")
    admin.locator("#settings-form button.primary").click()
    admin.locator("#settings-form [aria-invalid=true]").wait_for()
    check(admin, "the settings with an error", problems)

    member = signed_in_page(browser, live_server, locale, people[Role.MEMBER])
    member.goto(f"{live_server.url}/events/{event.id}")
    member.locator("details.alternatives summary").click()
    member.locator(".alternative").first.wait_for()
    check(member, "the other sessions", problems)

    host = signed_in_page(browser, live_server, locale, people[Role.HOST])
    host.goto(f"{live_server.url}/group-sessions/new")
    host.locator("[role=combobox]").press_sequentially("Person 1")
    host.locator("[role=option]").first.wait_for()
    check(host, "the invitee suggestions", problems)
    host.fill("input[name=title]", " ")
    host.fill("textarea[name=description]", " ")
    host.fill("input[name=start]", "2030-05-01T18:00")
    host.locator("#group-form button.primary").click()
    host.locator("#group-form [aria-invalid=true]").first.wait_for()
    check(host, "the group session form with errors", problems)
    host.goto(f"{live_server.url}/host/sessions/{crowded['mentoring'].id}")
    host.locator("#manage form[hx-post$='/cancel'] button.danger").first.click()
    host.locator("dialog[data-modal]").wait_for()
    check(host, "the host's cancel dialog", problems)
    assert not problems, "\n".join(problems)


def test_assessment_pages_fit_a_phone(browser, live_server, crowded):
    """At 375 px the assessment pages with data scroll only down, never sideways (wide
    tables scroll inside their own box)."""
    tabs, wide = {}, []
    for role, path in pages(crowded):
        if "assess" not in path and not path.startswith("/r/"):
            continue
        if role not in tabs:
            tabs[role] = signed_in_page(browser, live_server, "en-GB", crowded["people"].get(role))
            tabs[role].set_viewport_size({"width": 375, "height": 800})
        page = tabs[role]
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state()
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            wide.append(f"{role or 'visitor'} {path}: {width} px wide")
    assert not wide, "\n".join(wide)


@pytest.mark.parametrize("locale", ["en-GB", "ru-RU"])
def test_assessment_import_preview_and_cancel_dialog_have_no_serious_problems(
    browser, live_server, crowded, locale, tmp_path
):
    problems, session = [], crowded["assessment"]["open_session"]
    people = tmp_path / "people.csv"
    people.write_text("email\nperson1@example.com\nnobody@example.org\nnot-an-email\n")
    admin = signed_in_page(browser, live_server, locale, crowded["people"][Role.ADMIN])
    admin.goto(f"{live_server.url}/admin/assessment-sessions/{session}/registrations")
    admin.set_input_files("#import-file", str(people))
    admin.locator("#import-area button.primary").click()
    admin.locator("#import-preview table").wait_for()
    check(admin, "the participants file's preview", problems)
    admin.goto(f"{live_server.url}/admin/assessment-sessions/{session}")
    admin.locator("#lifecycle-area button.danger").first.click()
    admin.locator("dialog[open]").wait_for()
    check(admin, "the cancel confirmation", problems)
    assert not problems, "\n".join(problems)
