"""Every filter of every list applies when it is changed, in real headless Chromium: each
select of each list's search form sends its request, swaps the table in place and puts its
value in the address, whichever control it is and in whatever order they are changed."""

import pytest
from flask import url_for
from playwright.sync_api import expect
from test_browser import assert_not_reloaded, settle

pytestmark = pytest.mark.browser


def list_addresses(app, event_id):
    """(address, table id) of every list that has filters."""
    with app.test_request_context("/"):
        return [
            (url_for("users.list_users"), "user-table"),
            (url_for("email_log.email_log"), "email-table"),
            (
                url_for("event_registrations.registrations", event_id=event_id),
                "registrations-table",
            ),
            (url_for("mentoring.list_sessions"), "mentoring-table"),
        ]


def test_each_filter_of_each_list_applies_when_changed(
    app, browser_admin, live_server, make_event, make_session
):
    event = make_event()
    session = make_session(event)
    page = browser_admin
    for address, table_id in list_addresses(app, event.id):
        page.goto(live_server.url + address)
        page.evaluate("window.__noReload = 'still here'")
        selects = page.locator("[data-list-filters] select")
        assert selects.count() >= 1, address
        chosen = {}
        # Last select first: the first one alone always worked.
        for index in reversed(range(selects.count())):
            select = selects.nth(index)
            name = select.get_attribute("name")
            values = [
                v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)") if v
            ]
            value = str(session.id) if name == "session" else values[-1]
            page.evaluate(
                f"document.getElementById({table_id!r}).dataset.old = 'yes'"
            )  # the swap replaces the table: the mark goes with the old one
            select.select_option(value)
            chosen[name] = value
            for key, wanted in chosen.items():
                page.wait_for_url(lambda url, k=key, w=wanted: f"{k}={w}" in url)
            settle(page)
            expect(page.locator(f"#{table_id}")).not_to_have_attribute("data-old", "yes")
            expect(select).to_have_value(value)
        assert_not_reloaded(page)
