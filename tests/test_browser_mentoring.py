"""A mentoring session in real headless Chromium: the mentor publishes it with a Zoom link,
a mentee enrolls and finds Join and the calendar entry under My events, the mentor
reschedules, and the mentee's email carries the updated entry with SEQUENCE 1."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import PASSWORD
from icalendar import Calendar
from playwright.sync_api import expect
from test_browser import settle

from models import Company, Day, Registration, Role, Session, SessionKind, db

pytestmark = pytest.mark.browser


def calendar_in(message):
    part = next(part for part in message.walk() if part.get_content_type() == "text/calendar")
    return Calendar.from_ical(part.get_content())


def local_input(moment, zone):
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def test_mentor_publishes_with_zoom_mentee_joins_and_gets_the_reschedule(
    browser_as, browser, live_server, make_user, smtp
):
    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()
    mentor = browser_as(Role.HOST)
    zone = mentor.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    start = datetime.now(ZoneInfo("UTC")).replace(second=0, microsecond=0) + timedelta(minutes=6)

    mentor.goto(f"{live_server.url}/mentoring/new")
    mentor.fill("input[name=title]", "Career talk")
    mentor.fill("textarea[name=description]", "How to plan the next step.")
    mentor.fill("input[name=start]", local_input(start, zone))
    mentor.fill("input[name=end]", local_input(start + timedelta(hours=1), zone))
    mentor.fill("input[name=medium_new]", "English")
    mentor.click("#mentoring-form button.primary")  # Publish and add link
    mentor.wait_for_url("**/host/sessions/*?step=link")
    with db.connection_context():
        session = Session.get(Session.kind == SessionKind.MENTORING)
    assert session.host_id == mentor.user.id

    mentor.evaluate("window.__noReload = 'still here'")
    mentor.check("input[name=platform][value=zoom]")
    mentor.fill("input[name=meeting_url]", "https://us02web.zoom.us/j/85746065432?pwd=abc")
    mentor.fill("input[name=meeting_id]", "857 4606 5432")
    mentor.fill("input[name=passcode]", "x1y2")
    mentor.uncheck("input[name=link_later]")
    mentor.click("#meeting-link button.primary")
    expect(mentor.locator("#toasts")).to_contain_text("Meeting link saved.")
    settle(mentor)
    assert mentor.evaluate("window.__noReload") == "still here"

    mentee_user = make_user(Role.MEMBER, name="Tom Mentee")
    mentee = browser.new_context().new_page()
    mentee.goto(f"{live_server.url}/login?next=/s/{session.id}")
    mentee.fill("input[name=email]", mentee_user.email)
    mentee.fill("input[name=password]", PASSWORD)
    mentee.click("button.primary")
    mentee.wait_for_url(f"{live_server.url}/s/{session.id}")
    mentee.click("#session-state button:has-text('Join')")
    expect(mentee.locator("#session-state")).to_contain_text("You are registered")
    mentee.goto(f"{live_server.url}/home")
    card = mentee.locator(f"#my-session-{session.id}")
    expect(card).to_contain_text("Career talk")
    expect(card).to_contain_text("Meeting ID 857 4606 5432")
    join = card.locator("a.button:has-text('Join')")
    expect(join).to_have_attribute("href", f"/s/{session.id}/meeting")  # active: 6 minutes to go
    ics_href = card.locator("a:has-text('Add to calendar')").get_attribute("href")
    ics = mentee.request.get(f"{live_server.url}{ics_href}").text()
    entry = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert entry["SEQUENCE"] == 0 and "zoom.us/j/85746065432" in str(entry["LOCATION"])
    uid = str(entry["UID"])

    mentor.reload()
    expect(mentor.locator("#manage")).to_contain_text("Tom Mentee")
    later = start + timedelta(days=1)
    mentor.fill(
        "form[hx-post$='/reschedule'] input[name=start]", local_input(later, session.timezone)
    )
    mentor.fill(
        "form[hx-post$='/reschedule'] input[name=end]",
        local_input(later + timedelta(hours=1), session.timezone),
    )
    mentor.click("form[hx-post$='/reschedule'] button.primary")
    expect(mentor.locator("#toasts")).to_contain_text("Rescheduled.")
    settle(mentor)
    with db.connection_context():
        assert Day.get(Day.session == session).start_at == later.replace(tzinfo=None)
        assert Registration.get(Registration.user == mentee_user).status == "approved"

    to_mentee = [m for m in smtp.messages if mentee_user.email in m["To"]]
    update = calendar_in(to_mentee[-1])
    event = update.walk("VEVENT")[0]
    assert str(update["METHOD"]) == "REQUEST"
    assert event["SEQUENCE"] == 1 and str(event["UID"]) == uid
    assert event.decoded("DTSTART") == later


def test_admin_picks_mentor_and_mentees_by_typing(browser_admin, live_server, make_user):
    make_user(Role.HOST, name="Maria Mentor")
    make_user(Role.MEMBER, name="Tom Mentee")
    page = browser_admin
    page.goto(f"{live_server.url}/mentoring/new")
    page.fill("input[name=title]", "One to one")
    page.fill("textarea[name=description]", "First 90 days.")
    page.check("input[name=session_type][value=private]")
    page.fill("input[name=start]", "2030-05-14T18:00")
    page.fill("input[name=end]", "2030-05-14T18:45")
    page.get_by_role("combobox", name="Find a mentor").fill("Mar")
    page.locator("#mentor-options [role=option]:has-text('Maria Mentor')").click()
    expect(page.locator("#mentor-chosen input[name=mentor]")).to_be_checked()
    expect(page.locator("#mentor-options")).to_be_empty()
    page.click("#mentoring-form button.primary")
    expect(page.locator("[data-error-for=mentees]")).to_have_text(
        "A private session needs at least one invited mentee."
    )
    settle(page)
    page.get_by_role("combobox", name="Add mentee").fill("Tom")
    page.locator("#mentees-options [role=option]:has-text('Tom Mentee')").click()
    expect(page.locator("#mentees-chosen")).to_contain_text("Tom Mentee")
    page.click("#mentoring-form button.primary")
    page.wait_for_url("**/host/sessions/*?step=link")
    expect(page.locator("#manage")).to_contain_text("Tom Mentee")
    expect(page.locator("#manage")).to_contain_text("Private")
