"""Paths of hosts, mentees and facilitators that must end where their person meant to go, in
real headless Chromium: a removed mentee finds no page and no Join; a BigBlueButton host can
end the room as soon as it can be started; a facilitator reaches the report from their own
page, by keyboard, on a phone."""

import dataclasses
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from test_assessment_pages import assessment, close, open_session  # noqa: F401  (fixture)
from test_browser_lists import tab_to
from test_mentoring_pages import create_in_app

from models import Company, Role, Session, db, utcnow
from sessions import mentoring

pytestmark = pytest.mark.browser


def test_a_removed_mentee_finds_no_page_and_no_join(app, browser_as, live_server, make_user):
    page = browser_as(Role.MEMBER)
    mentor, kept = make_user(Role.HOST), make_user()
    session = create_in_app(app, mentor, session_type="private", mentees=[page.user, kept])
    page.goto(f"{live_server.url}/s/{session.id}")
    expect(page.locator("h1")).to_have_text("Career talk")

    with app.test_request_context("/"), db.connection_context():
        values = mentoring.values_of(Session.get_by_id(session.id))
        mentoring.edit(session, dataclasses.replace(values, mentees=[kept]), Company.current())
    page.reload()
    expect(page.locator("main")).to_contain_text("This page does not exist.")
    expect(page.get_by_role("button", name="Join")).to_have_count(0)


def test_the_host_ends_a_room_that_opened_before_the_start(app, bbb, browser_as, live_server):
    page = browser_as(Role.HOST)
    soon = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=5)
    session = create_in_app(app, page.user, start=soon, platform="", meeting_url="")
    page.goto(f"{live_server.url}/s/{session.id}/meeting")  # the host starts the room
    page.goto(f"{live_server.url}/host/sessions/{session.id}")
    end = page.get_by_role("button", name="End meeting")
    end.click()
    expect(page.locator("#toasts")).to_contain_text("The meeting is ended.")


def test_a_facilitator_reaches_the_report_by_keyboard_on_a_phone(
    app,
    browser_as,
    live_server,
    make_user,
    assessment,  # noqa: F811
):
    page = browser_as(Role.HOST)
    page.set_viewport_size({"width": 375, "height": 800})
    detail, _rows = open_session(assessment, [make_user()], host=page.user)
    close(detail)
    page.goto(f"{live_server.url}/host/sessions")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    tab_to(page, "#facilitated a")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Report: Leadership Team Development")
