"""Keyboard details of the day form, in real headless Chromium: the arrow keys go through the
Format select's options while the fields below switch (the focus stays on the select), and
"Add" on a finished session proposes a day in the future."""

from datetime import datetime

import pytest
from playwright.sync_api import expect
from test_browser import open_event, settle
from test_browser_shell import finished_session  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_arrow_keys_reach_every_format_while_the_fields_switch(
    browser_admin, live_server, make_event, make_session
):
    page, session = browser_admin, make_session(make_event())
    open_event(page, live_server, session.event)
    page.locator(f"#session-{session.id} .add-day").focus()
    page.keyboard.press("Enter")
    settle(page)
    form = page.locator(f"#day-new-{session.id}")
    select = form.locator("select[name=format]")
    select.focus()
    for wanted, field in [("online", "input[name=url]"), ("zoom", "input[name=zoom_role]")]:
        page.keyboard.press("ArrowDown")
        expect(form.locator(field).first).to_be_attached()
        settle(page)
        expect(select).to_be_focused()
        expect(select).to_have_value(wanted)


def test_add_on_a_finished_session_proposes_a_day_in_the_future(
    browser_admin,
    live_server,
    finished_session,  # noqa: F811
):
    page, session = browser_admin, finished_session
    open_event(page, live_server, session.event)
    page.locator(f"#session-{session.id} .add-day").click()
    settle(page)
    start = page.locator(f"#day-new-{session.id} input[name=start]").input_value()
    assert datetime.fromisoformat(start) > datetime.now()
