"""An assessment session end to end in real headless Chromium: the admin creates it and
registers a participant; the participant names two raters and submits the self-survey; a
rater answers through the private link without signing in; after the completion date the
facilitator opens the report and downloads the PDF."""

from datetime import timedelta

import pytest
from assessment_fixtures import make_assessment, make_detail
from conftest import PASSWORD
from playwright.sync_api import expect
from test_browser import settle

from assessments import catalog
from models import AssessmentParticipant, AssessmentSession, Rater, Role, db, utcnow

pytestmark = pytest.mark.browser


def sign_in_page(page, live_server, user):
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/**")


def day(days):
    return (utcnow() + timedelta(days=days)).date().isoformat()


def answer_everything(page, keys, value):
    for key in keys:
        page.check(f"input[name='q_{key}'][value='{value}']")


def test_an_assessment_from_creation_to_the_report(browser_admin, browser, live_server, make_user):
    with db.connection_context():
        assessment = make_assessment()
    keys = [q["key"] for _g, q in catalog.questions(assessment, "rating")]
    host = make_user(Role.HOST, name="Fiona Facilitator")
    member = make_user(Role.MEMBER, name="Paula Participant")

    admin = browser_admin
    admin.goto(f"{live_server.url}/admin/assessment-sessions/new")
    admin.fill("input[name=title]", "Leadership Team Development")
    admin.select_option("select[name=host]", label="Fiona Facilitator")
    admin.fill("input[name=session_on]", day(10))
    admin.fill("input[name=invitation_on]", day(-1))
    admin.fill("input[name=completion_on]", day(11))  # after the session date: refused
    admin.click("#session-form button.primary")
    expect(admin.locator("[data-error-for=session_on]")).to_contain_text(
        "The session date must be after the assessment completion date."
    )
    admin.fill("input[name=completion_on]", day(3))
    admin.click("#session-form button.primary")
    admin.wait_for_url("**/registrations")
    admin.fill("input[name=query]", "Paula")
    admin.click("#person-options [role=option]:has-text('Paula Participant')")
    admin.click("#add-participant button.primary")
    expect(admin.locator("#participants")).to_contain_text("Paula Participant")
    settle(admin)

    page = browser.new_context().new_page()
    sign_in_page(page, live_server, member)
    page.goto(f"{live_server.url}/assessments")
    page.click("text=Leadership Team Development")
    page.evaluate("window.__noReload = 'still here'")
    for name, email, relationship in [
        ("Mark Manager", "mark@example.com", "manager"),
        ("Petra Peer", "petra@example.com", "peer"),
    ]:
        page.fill("#add-rater input[name=name]", name)
        page.fill("#add-rater input[name=email]", email)
        page.select_option("#add-rater select[name=relationship]", relationship)
        page.click("#add-rater button.primary")
        expect(page.locator("#rater-table")).to_contain_text(name)
        settle(page)
    answer_everything(page, keys, "4")
    page.click("#survey button[name=submit][value='1']")
    expect(page.locator("#survey-area")).to_contain_text("Thank you!")
    assert page.evaluate("window.__noReload") == "still here"
    with db.connection_context():
        assert AssessmentParticipant.get().submitted_at is not None
        petra = Rater.get(Rater.email == "petra@example.com")

    rater = browser.new_context().new_page()
    rater.goto(f"{live_server.url}/r/{petra.token}")
    expect(rater.locator("h1")).to_contain_text("Feedback for Paula Participant")
    expect(rater.locator("body")).not_to_contain_text("Mark Manager")
    answer_everything(rater, keys, "2")
    rater.click("#survey button[name=submit][value='1']")
    expect(rater.locator("#survey-area")).to_contain_text("Thank you!")

    with db.connection_context():  # the completion date has passed
        AssessmentSession.update(closes_at=utcnow() - timedelta(minutes=1)).execute()
        session_id = AssessmentSession.get().session_id
    facilitator = browser.new_context().new_page()
    sign_in_page(facilitator, live_server, host)
    facilitator.goto(f"{live_server.url}/assessment-sessions/{session_id}/report")
    expect(facilitator.locator("h2")).to_contain_text("Paula Participant")
    expect(facilitator.locator("svg.chart")).to_be_visible()
    with facilitator.expect_download() as caught:
        facilitator.click("text=Download PDF")
    path = caught.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(4) == b"%PDF"


def test_admin_adds_participants_from_a_file(app, browser_admin, live_server, make_user, tmp_path):
    with db.connection_context():
        assessment = make_assessment()
    make_user(Role.MEMBER, name="Fred File", email="fred@example.com")
    make_user(Role.MEMBER, name="Gina File", email="gina@example.com")
    people = tmp_path / "people.csv"
    people.write_text("email,name\nfred@example.com,Fred\ngina@example.com,Gina\nnobody@x.org,N\n")

    with app.app_context(), db.connection_context():
        detail = make_detail(
            assessment,
            now=utcnow(),
            invitation_on=day(-1),
            completion_on=day(20),
            session_on=day(27),
            reminder_1=None,
            reminder_2=None,
            reminder_3=None,
        )
    admin = browser_admin
    admin.goto(f"{live_server.url}/admin/assessment-sessions/{detail.session_id}/registrations")
    admin.set_input_files("#import-file", str(people))
    admin.click("#import-area button.primary")
    expect(admin.locator("#import-preview")).to_contain_text("Will add: 2")
    expect(admin.locator("#import-preview")).to_contain_text("Unknown user: 1")
    admin.click("#import-preview button:has-text('Add 2 participants')")
    expect(admin.locator("#import-preview")).to_contain_text("Added: 2")
    expect(admin.locator("#participants")).to_contain_text("Fred File")
    expect(admin.locator("#participants")).to_contain_text("Gina File")
    expect(admin.locator("#import-preview a:has-text('Download the result')")).to_be_visible()
    settle(admin)
