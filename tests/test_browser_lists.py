"""The admin lists in real headless Chromium: searching and paging with the keyboard put the
state in the address, Back returns to the state before, a phone keeps the table in its box,
and the failed emails of a page are resent together."""

import pytest
from playwright.sync_api import expect
from test_admin_lists import add_emails, add_people
from test_browser import assert_not_reloaded, settle

from models import Email, EmailStatus, db

pytestmark = pytest.mark.browser


def tab_to(page, selector, limit=200):
    """Press Tab until the focus is on `selector`, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_users_search_and_keyboard_paging_live_in_the_address(browser_admin, live_server):
    add_people(120)
    page, base = browser_admin, f"{live_server.url}/admin/users"
    page.goto(base)
    page.evaluate("window.__noReload = 'still here'")
    caption, first_name = page.locator("#user-table caption"), page.locator("#users td").first
    expect(caption).to_have_text("121 users · page 1 of 3")

    page.get_by_role("searchbox", name="Search").focus()
    page.keyboard.type("person")
    page.wait_for_url(f"{base}?q=person")
    settle(page)
    expect(caption).to_have_text("120 users · page 1 of 3")

    tab_to(page, "a[rel=next]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}?q=person&page=2")
    settle(page)
    expect(caption).to_have_text("120 users · page 2 of 3")
    expect(first_name).to_have_text("Person 51")
    assert page.evaluate("document.activeElement.matches('a[rel=next]')")  # ready for the next
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}?q=person&page=3")
    settle(page)
    expect(first_name).to_have_text("Person 101")

    page.go_back()
    page.wait_for_url(f"{base}?q=person&page=2")
    expect(caption).to_have_text("120 users · page 2 of 3")
    expect(first_name).to_have_text("Person 51")
    page.go_back()
    page.wait_for_url(f"{base}?q=person")
    expect(caption).to_have_text("120 users · page 1 of 3")
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("person")
    page.go_back()
    page.wait_for_url(base)
    expect(caption).to_have_text("121 users · page 1 of 3")
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("")
    assert_not_reloaded(page)

    page.goto(f"{base}?q=person&page=3")  # a shared link, then a reload: the same state
    page.reload()
    expect(caption).to_have_text("120 users · page 3 of 3")
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("person")


def test_users_table_scrolls_inside_its_box_on_a_phone(browser_admin, live_server):
    add_people(60)
    page = browser_admin
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/admin/users")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = page.locator("#user-table .table-scroll")
    assert box.evaluate("box => box.scrollWidth > box.clientWidth")  # the table scrolls in it
    page.get_by_role("link", name="Email", exact=True).click()  # sort by address
    page.wait_for_url(f"{live_server.url}/admin/users?sort=email&dir=asc")
    expect(page.locator("th[aria-sort=ascending]")).to_have_text("Email▲")


def test_email_log_resends_the_failed_emails_of_a_page_together(browser_admin, live_server):
    add_emails(3, status=EmailStatus.FAILED, attempts=5, last_error="550 mailbox unavailable")
    add_emails(2, start=4)
    page = browser_admin
    page.goto(f"{live_server.url}/admin/emails")

    page.get_by_label("Select all failed emails on this page").check()
    for number in (1, 2, 3):
        expect(page.get_by_label(f"Select email to person{number}@example.com")).to_be_checked()
    page.get_by_role("button", name="Resend selected failed emails").click()
    settle(page)

    expect(page.locator("#toasts")).to_contain_text("3 emails queued again.")
    expect(page.locator("#email-table .badge.email-failed")).to_have_count(0)
    with db.connection_context():
        assert Email.select().where(Email.status == EmailStatus.FAILED).count() == 0
