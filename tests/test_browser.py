"""In-place editing in a real headless Chromium: nothing reloads, the database holds the change."""

import time

import pytest
from playwright.sync_api import expect

from models import Day, DayFormat, Event, Role, Session, db

pytestmark = pytest.mark.browser


def open_event(page, live_server, event):
    page.goto(f"{live_server.url}/admin/events/{event.id}")
    page.evaluate("window.__noReload = 'still here'")


def assert_not_reloaded(page):
    assert page.evaluate("window.__noReload") == "still here"


def settle(page, timeout_s=10):
    """Wait until htmx has finished its requests and swaps (and wired the new content).

    Polled with `evaluate`: `wait_for_function` evaluates its predicate with eval(), which
    the app's Content-Security-Policy refuses, as it should."""
    busy = "!!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    deadline = time.monotonic() + timeout_s
    while page.evaluate(busy):
        assert time.monotonic() < deadline, "htmx did not settle"
        page.wait_for_timeout(20)


def days_of(session):
    with db.connection_context():
        return list(Day.select().where(Day.session == session).order_by(Day.start_at))


def test_admin_adds_a_session_with_enter(browser_admin, live_server, make_event):
    page, event = browser_admin, make_event()
    open_event(page, live_server, event)
    page.fill("#new-session-form input[name=name_en]", "Evening")
    page.press("#new-session-form input[name=name_en]", "Enter")
    expect(page.locator(".session-card h3")).to_have_text("Evening")
    expect(page.locator("#new-session-form input[name=name_en]")).to_have_value("")
    settle(page)
    page.fill("#new-session-form input[name=name_en]", "EVENING")
    page.press("#new-session-form input[name=name_en]", "Enter")
    expect(page.locator("[data-error-for=name_en]")).to_have_text(
        "A session with this name already exists in this event."
    )
    assert_not_reloaded(page)
    with db.connection_context():
        assert [s.name["en"] for s in Session.select()] == ["Evening"]


def test_admin_adds_a_day(browser_admin, live_server, make_event, make_session):
    page, session = browser_admin, make_session(make_event())
    open_event(page, live_server, session.event)
    page.click(f"#session-{session.id} .add-day")
    settle(page)
    form = page.locator(f"#day-new-{session.id}")
    expect(form.locator("input[name=start]")).to_have_value("2030-02-28T11:59")
    form.locator("input[name=start]").fill("2030-03-01T10:00")
    form.locator("input[name=end]").fill("2030-03-01T13:30")
    form.locator("textarea[name=address]").fill("Tverskaya 7, https://maps.example.com/t7")
    form.locator("button.primary").click()
    row = page.locator(f"#days-{session.id} .day").first
    expect(row).to_contain_text("10:00 AM – 1:30 PM Moscow (UTC+3)")
    expect(row).to_contain_text("Duration: 3 h 30 min")
    expect(row.locator("a[href='https://maps.example.com/t7']")).to_be_visible()
    assert_not_reloaded(page)
    [day] = days_of(session)
    assert (day.format, day.address) == (
        DayFormat.OFFLINE,
        "Tverskaya 7, https://maps.example.com/t7",
    )


def test_admin_switches_a_days_format(
    browser_admin, live_server, make_event, make_session, make_day
):
    page, session = browser_admin, make_session(make_event())
    day = make_day(session)
    open_event(page, live_server, session.event)
    page.click(f"#day-{day.id} button:has-text('Edit')")
    settle(page)
    form = page.locator(f"form#day-{day.id}")
    form.locator("select[name=format]").select_option("zoom")
    expect(form.locator("input[name=zoom_role]").first).to_be_visible()
    expect(form.locator("textarea[name=address]")).to_have_count(0)
    settle(page)
    form.locator("select[name=format]").select_option("online")
    form.locator("input[name=url]").fill("ftp://files.example.com/room")
    form.locator("button.primary").click()
    expect(page.locator("[data-error-for=url]")).to_contain_text("https://")
    assert days_of(session)[0].format == DayFormat.OFFLINE  # nothing saved on error
    page.locator(f"form#day-{day.id} input[name=url]").fill("https://meet.google.com/jgx-ydjs-ptv")
    page.locator(f"form#day-{day.id} button.primary").click()
    badge = page.locator(f"div#day-{day.id} .badge.platform-google_meet")
    expect(badge).to_have_text("Google Meet")
    assert_not_reloaded(page)
    [stored] = days_of(session)
    assert (stored.format, stored.url) == (DayFormat.ONLINE, "https://meet.google.com/jgx-ydjs-ptv")


def test_admin_edits_the_address_of_an_active_events_day(
    browser_admin, live_server, make_event, make_session, make_day
):
    page, event = browser_admin, make_event(is_active=True)
    session = make_session(event)
    day = make_day(session, address="Hall A")
    open_event(page, live_server, event)
    expect(page.locator("#event-header .badge")).to_have_text("Active")
    page.click(f"#day-{day.id} button:has-text('Edit')")
    settle(page)
    page.locator(f"form#day-{day.id} textarea[name=address]").fill("Hall B, second floor")
    page.locator(f"form#day-{day.id} button.primary").click()
    expect(page.locator(f"#day-{day.id} .address")).to_have_text("Hall B, second floor")
    assert_not_reloaded(page)
    assert days_of(session)[0].address == "Hall B, second floor"
    with db.connection_context():
        assert Event.get_by_id(event.id).is_active


def test_admin_deletes_a_day(browser_admin, live_server, make_event, make_session, make_day):
    page, session = browser_admin, make_session(make_event())
    keep = make_day(session, start="2030-03-02T10:00")
    gone = make_day(session, start="2030-03-01T10:00")
    open_event(page, live_server, session.event)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"#day-{gone.id} button:has-text('Delete')")
    expect(page.locator(f"#day-{gone.id}")).to_have_count(0)
    expect(page.locator(f"#day-{keep.id}")).to_be_visible()
    assert_not_reloaded(page)
    assert [day.id for day in days_of(session)] == [keep.id]


def test_admin_adds_and_deletes_a_reminder(
    browser_admin, live_server, make_event, make_session, make_day
):
    from models import Reminder

    page, session = browser_admin, make_session(make_event())
    make_day(session, start="2030-03-01T10:00")
    open_event(page, live_server, session.event)
    block = page.locator(f"#reminders-{session.id}")
    expect(block).to_contain_text("No reminders.")
    settle(page)
    block.locator("input[name=offset]").fill("3")
    block.locator("button.primary").click()
    expect(block).to_contain_text("3 days before the first day")
    with db.connection_context():
        assert Reminder.get().offset == 3
    settle(page)
    page.once("dialog", lambda dialog: dialog.accept())
    block.locator("button:has-text('Delete')").click()
    expect(block).to_contain_text("No reminders.")
    assert_not_reloaded(page)
    with db.connection_context():
        assert Reminder.select().count() == 0


@pytest.fixture
def long_event(make_event, make_session, make_day):
    """An active event with more sessions than the first screen draws."""
    event = make_event(is_active=True)
    sessions = [make_session(event, name=f"Session {n}") for n in range(14)]
    for session in sessions:
        make_day(session)
    return event, sessions[-1]


@pytest.mark.parametrize("role", [Role.MEMBER, Role.ADMIN])
def test_cards_below_the_first_screen_load_as_they_scroll_into_view(
    browser_as, live_server, long_event, role
):
    event, last_session = long_event
    page = browser_as(role)
    page.goto(f"{live_server.url}{'/admin' if role == Role.ADMIN else ''}/events/{event.id}")
    last = page.locator(f"#session-{last_session.id}")
    expect(last).to_have_attribute("aria-busy", "true")
    last.scroll_into_view_if_needed()
    expect(
        last.locator("button:has-text('Sign up'), button:has-text('Edit')").first
    ).to_be_visible()
    expect(last).not_to_have_attribute("aria-busy", "true")
