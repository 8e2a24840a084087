"""The keyboard alone, in real headless Chromium: no clicks, only Tab, the arrow keys, Enter,
Esc and typing. Controls are found by the names screen readers hear ("Sign up for Evening")."""

import pytest
from playwright.sync_api import expect
from test_admin_lists import add_people
from test_browser import assert_not_reloaded, settle
from test_browser_lists import tab_to

from models import Company, Day, Registration, Role, Session, Status, db

pytestmark = pytest.mark.browser


def focused(page):
    active = "document.activeElement"
    return page.evaluate(f"{active}.getAttribute('aria-label') || {active}.textContent.trim()")


def named(name):
    return f"[aria-label={name!r}]"


def test_the_skip_link_comes_first_and_lands_in_the_content(browser_as, live_server):
    page = browser_as(Role.MEMBER)
    page.goto(f"{live_server.url}/home")
    page.keyboard.press("Tab")
    assert focused(page) == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    page.keyboard.press("Tab")  # the next stop is in the content, past the header's links
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_member_signs_up_and_switches_session_with_the_keyboard(
    browser_as, live_server, make_event, make_session, make_day
):
    event = make_event(is_active=True)
    daytime, evening = make_session(event), make_session(event, name="Evening")
    make_day(daytime, start="2030-03-01T10:00")
    make_day(evening, start="2030-03-01T18:00")
    page = browser_as(Role.MEMBER)
    page.goto(f"{live_server.url}/events/{event.id}")
    page.evaluate("window.__noReload = 'still here'")

    tab_to(page, named("Sign up for Evening"))
    page.keyboard.press("Enter")
    mine = page.locator("#my-session")
    expect(mine.locator(":scope > h3")).to_have_text("Evening")
    settle(page)
    tab_to(page, "#my-session summary")
    page.keyboard.press("Enter")  # opens "Change session"
    expect(page.locator(".alternative h3")).to_have_text("Daytime")
    settle(page)
    tab_to(page, named("Switch to this session: Daytime"))
    page.keyboard.press("Enter")
    expect(mine.locator(":scope > h3")).to_have_text("Daytime")
    assert_not_reloaded(page)
    with db.connection_context():
        held = Registration.select().where(
            Registration.user == page.user, Registration.status == Status.APPROVED
        )
        assert [registration.session_id for registration in held] == [daytime.id]


def test_admin_adds_a_day_and_edits_it_with_the_keyboard(
    browser_admin, live_server, make_event, make_session
):
    page, session = browser_admin, make_session(make_event())
    page.goto(f"{live_server.url}/admin/events/{session.event_id}")
    page.evaluate("window.__noReload = 'still here'")

    tab_to(page, named("Add a day to Daytime"))
    page.keyboard.press("Enter")
    settle(page)
    assert page.evaluate("document.activeElement.name") == "start"  # the new form's first field
    tab_to(page, f"#day-new-{session.id} textarea[name=address]")
    page.keyboard.type("Hall A")
    tab_to(page, f"#day-new-{session.id} button.primary")
    page.keyboard.press("Enter")
    row = page.locator(f"#days-{session.id} .day").first
    expect(row.locator(".address")).to_have_text("Hall A")
    with db.connection_context():
        [day] = Day.select().where(Day.session == session)
    settle(page)

    edit = page.locator(f"#day-{day.id} button").nth(0)
    label = edit.get_attribute("aria-label")
    assert label.startswith("Edit day ") and label != "Edit day "  # "Edit day Thu, Feb 28"
    tab_to(page, named(label))
    page.keyboard.press("Enter")
    settle(page)
    tab_to(page, f"form#day-{day.id} textarea[name=address]")
    page.keyboard.press("Control+A")
    page.keyboard.type("Hall B, second floor")
    tab_to(page, f"form#day-{day.id} button.primary")
    page.keyboard.press("Enter")
    expect(page.locator(f"div#day-{day.id} .address")).to_have_text("Hall B, second floor")
    assert_not_reloaded(page)
    with db.connection_context():
        assert Day.get_by_id(day.id).address == "Hall B, second floor"


def test_invitee_combobox_with_the_keyboard(browser_as, live_server):
    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()
    add_people(30)
    page = browser_as(Role.HOST)
    page.goto(f"{live_server.url}/group-sessions/new")
    box = page.get_by_role("combobox", name="Member's name")
    tab_to(page, "[role=combobox]")
    page.keyboard.type("Person 1")
    options = page.locator("#invitee-options [role=option]")
    expect(options.first).to_have_text("Person 1")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#invitee-status")).to_have_text("8 people found")
    assert page.evaluate("document.activeElement.id") == "invitee"  # focus stayed

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    second = options.nth(1)
    expect(second).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", second.get_attribute("id"))
    chosen = second.get_attribute("data-label")
    page.keyboard.press("Enter")  # picks the option; the form is not sent
    chip = page.locator("#invitee-chosen .chip")
    expect(chip).to_have_text(chosen)
    expect(chip.locator("input")).to_be_checked()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("")
    expect(page.locator("#invitee-status")).to_have_text(f"{chosen} will be invited")
    assert page.evaluate("document.activeElement.id") == "invitee"

    page.keyboard.type("Person 2")
    expect(options.first).to_have_text("Person 2")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    assert box.get_attribute("aria-activedescendant") is None
    expect(page.locator("#invitee-options")).to_be_hidden()
    page.keyboard.press("Enter")  # nothing chosen: Enter in the box still sends nothing
    expect(chip).to_have_count(1)
    assert page.evaluate("document.activeElement.id") == "invitee"
    with db.connection_context():
        assert Session.select().count() == 0
