"""A group session from creation to a full house, in real headless Chromium."""

import pytest
from conftest import PASSWORD
from playwright.sync_api import expect
from test_browser import settle

from models import Company, Registration, Role, Session, db

pytestmark = pytest.mark.browser


def sign_in_page(page, live_server, user, next_path=None):
    page.goto(f"{live_server.url}/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")


def test_host_creates_shares_and_a_member_joins(browser_as, browser, live_server, make_user):
    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()
    host_page = browser_as(Role.HOST)
    host_page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    host_page.goto(f"{live_server.url}/group-sessions/new")
    host_page.evaluate("window.__noReload = 'still here'")
    host_page.fill("input[name=title]", "Pitch practice")
    host_page.fill("textarea[name=description]", "Five minutes each, honest feedback.")
    host_page.fill("input[name=start]", "2030-05-01T18:00")
    host_page.fill("input[name=max_participants]", "5")
    host_page.click("#group-form button.primary")
    expect(host_page.locator("#toasts")).to_contain_text("Created!")
    settle(host_page)
    host_page.click(".created button.copy")
    expect(host_page.locator("#toasts")).to_contain_text("Link copied.")
    shared = host_page.evaluate("navigator.clipboard.readText()")
    assert "/s/" in shared
    assert host_page.evaluate("window.__noReload") == "still here"
    with db.connection_context():
        session = Session.get()
    path = f"/s/{session.id}"
    assert shared.endswith(path)

    visitor = browser.new_context().new_page()
    visitor.goto(f"{live_server.url}{path}")
    visitor.click("text=Sign in to join")
    member = make_user(Role.MEMBER)
    visitor.fill("input[name=email]", member.email)
    visitor.fill("input[name=password]", PASSWORD)
    visitor.click("button.primary")
    visitor.wait_for_url(f"{live_server.url}{path}")  # back on the session page
    visitor.evaluate("window.__noReload = 'still here'")
    visitor.click("#session-state button:has-text('Join')")
    expect(visitor.locator("#session-state")).to_contain_text("You are registered")
    expect(visitor.locator("#session-state")).to_contain_text("3 seats left")
    assert visitor.evaluate("window.__noReload") == "still here"
    with db.connection_context():
        assert Registration.get(Registration.user == member).status == "approved"

    host_page.goto(f"{live_server.url}/host/sessions")
    expect(host_page.locator(f"#group-session-{session.id}")).to_contain_text("2 of 5 attending")
