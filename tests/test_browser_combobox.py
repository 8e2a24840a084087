"""Every type-ahead is the same ARIA combobox (macros.html `combobox`), in real headless
Chromium: typing "Ma", pausing until the options arrive and typing "ria" leaves "Maria" in
the box with the focus still there; the number found is announced; ArrowDown and Enter pick
the option; Escape closes the list. Checked on each of them: "Add mentee", "Find a mentor",
the assessment participant search, "Register user" and the group invitees."""

import pytest
from flask import url_for
from playwright.sync_api import expect
from test_assessment_pages import assessment, open_session  # noqa: F401  (the fixture)
from test_browser import settle

from models import Company, Role, db

pytestmark = pytest.mark.browser


def address(app, endpoint, **values):
    with app.test_request_context("/"):
        return url_for(endpoint, **values)


def type_with_a_pause(page, box):
    """Type "Ma", wait for the options (the answer swaps in), then type "ria"."""
    box.focus()
    page.keyboard.type("Ma")
    options = page.locator(f"#{box.get_attribute('aria-controls')} [role=option]")
    expect(options.first).to_be_visible()
    settle(page)
    page.keyboard.type("ria")
    expect(options.first).to_contain_text("Maria")
    settle(page)
    expect(box).to_have_value("Maria")
    assert page.evaluate("document.activeElement.getAttribute('role')") == "combobox"
    return options


def pick_with_the_keyboard(page, box, picked):
    status = page.locator(f"#{box.get_attribute('data-status')}")
    expect(status).to_contain_text("found")
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-expanded", "true")
    first = page.locator(f"#{box.get_attribute('aria-controls')} [role=option]").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    page.keyboard.press("Enter")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(picked).to_contain_text("Maria")
    assert page.evaluate("document.activeElement") == box.evaluate("box => box")


@pytest.fixture
def maria(make_user):
    return make_user(Role.HOST, name="Maria Mentor", email="maria@example.com")


def test_mentoring_comboboxes_keep_what_is_typed(app, browser_admin, live_server, maria):
    page = browser_admin
    page.goto(live_server.url + address(app, "mentoring.new_session"))
    for name, chosen in [("Find a mentor", "#mentor-chosen"), ("Add mentee", "#mentees-chosen")]:
        box = page.get_by_role("combobox", name=name)
        type_with_a_pause(page, box)
        pick_with_the_keyboard(page, box, page.locator(chosen))
        expect(box).to_have_value("")


def test_register_user_combobox_puts_the_email_in_the_box(
    app, browser_admin, live_server, maria, make_event, make_session
):
    event = make_event()
    make_session(event)
    page = browser_admin
    page.goto(
        live_server.url + address(app, "event_registrations.registrations", event_id=event.id)
    )
    box = page.get_by_role("combobox", name="User's email")
    type_with_a_pause(page, box)
    pick_with_the_keyboard(page, box, page.locator("#register-email-status"))
    expect(box).to_have_value("maria@example.com")
    page.keyboard.type("x")
    page.keyboard.press("Escape")  # Escape closes whatever is open, the text stays
    expect(box).to_have_attribute("aria-expanded", "false")


def test_group_invitee_combobox_keeps_what_is_typed(browser_as, live_server, maria):
    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()
    page = browser_as(Role.HOST)
    page.goto(f"{live_server.url}/group-sessions/new")
    box = page.get_by_role("combobox", name="Member's name")
    type_with_a_pause(page, box)
    pick_with_the_keyboard(page, box, page.locator("#invitee-chosen"))


def test_assessment_participant_combobox_keeps_what_is_typed(
    app,
    browser_admin,
    live_server,
    maria,
    assessment,  # noqa: F811
):
    detail, _rows = open_session(assessment)
    page = browser_admin
    page.goto(
        live_server.url
        + address(app, "assessment_sessions.registrations", session_id=detail.session_id)
    )
    box = page.get_by_role("combobox", name="Name or email")
    type_with_a_pause(page, box)
    pick_with_the_keyboard(page, box, page.locator("#person-status"))
    expect(box).to_have_value("maria@example.com")
    page.keyboard.press("Enter")  # no option chosen: Enter sends the form
    expect(page.locator("#participants")).to_contain_text("Maria Mentor")
