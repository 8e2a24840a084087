"""A Zoom day never strands the admin, in real headless Chromium against the local Zoom
stand-in: with no account connected, the day form says so before saving (for the company,
or for the organizer too when the role is Participant) and offers "Connect Zoom account",
which comes back to the event; a refused day offers the same; a meeting being changed says
"Updating…"."""

import pytest
from playwright.sync_api import expect
from test_browser import open_event, settle
from test_browser_zoom import standin  # noqa: F401  (the fixture)

from models import DayFormat, ZoomConnection, ZoomMeeting, ZoomState, db

pytestmark = pytest.mark.browser


def test_the_day_form_says_no_account_and_connecting_returns_to_the_event(
    browser_admin,
    live_server,
    standin,  # noqa: F811
    make_event,
    make_session,
):
    page = browser_admin
    session = make_session(make_event())
    open_event(page, live_server, session.event)
    page.click(f"#session-{session.id} .add-day")
    settle(page)
    form = page.locator(f"#day-new-{session.id}")
    form.locator("select[name=format]").select_option("zoom")
    settle(page)
    notice = form.locator(".zoom-account-notice")
    expect(notice).to_contain_text("No Zoom account is connected for the company.")
    form.locator("input[name=zoom_role][value=participant]").check()
    settle(page)
    assert page.evaluate("document.activeElement.value") == "participant"  # focus stayed
    expect(notice).to_contain_text("neither the organizer's own nor the company's")
    settle(page)

    back = f"{live_server.url}/admin/events/{session.event_id}"
    with page.expect_navigation(url=back):  # to the stand-in's authorize page and back
        notice.get_by_role("button", name="Connect Zoom account").click()
    with db.connection_context():
        assert ZoomConnection.select().count() == 1
    page.click(f"#session-{session.id} .add-day")
    settle(page)
    form.locator("select[name=format]").select_option("zoom")
    settle(page)
    expect(form.locator("input[name=zoom_role]").first).to_be_visible()
    expect(form.locator(".zoom-account-notice")).to_have_text("")


def test_a_refused_day_offers_to_connect_and_a_change_says_updating(
    admin, make_event, make_session, make_day
):
    session = make_session(make_event())
    refused = make_day(session, format=DayFormat.ZOOM, zoom_role="administrator")
    changing = make_day(
        session, start="2030-03-02T10:00", format=DayFormat.ZOOM, zoom_role="administrator"
    )
    with db.connection_context():
        ZoomMeeting.create(
            day=refused, state=ZoomState.REFUSED, error="No Zoom account is connected."
        )
        ZoomMeeting.create(day=changing, state=ZoomState.CREATING, meeting_id="12345678901")
    refused_row = admin.htmx("get", f"/admin/days/{refused.id}/zoom").text
    assert "Zoom refused: No Zoom account is connected." in refused_row
    assert "Connect Zoom account" in refused_row
    changing_row = admin.htmx("get", f"/admin/days/{changing.id}/zoom").text
    assert "Updating…" in changing_row and "Creating…" not in changing_row
    assert "Connect Zoom account" not in changing_row
