"""The host cancels a session on its page in real headless Chromium: a modal dialog names the
session and how many attendees will be emailed; Esc keeps the session, Confirm cancels it and
the attendees get the calendar cancellation by email."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from test_browser import settle
from test_browser_mentoring import calendar_in

from models import Company, Role, Session, db
from sessions import mentoring
from sessions.mentoring import MentoringValues

pytestmark = pytest.mark.browser


def test_host_cancels_through_the_modal_dialog(browser_as, app, live_server, make_user, smtp):
    host = browser_as(Role.HOST)
    mentees = [make_user(Role.MEMBER, name=name) for name in ("Tom Mentee", "Ann Mentee")]
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=2)
    with app.test_request_context("/"), db.connection_context():
        session = mentoring.create(
            MentoringValues(
                title="Career talk",
                description="How to plan the next step.",
                mentor=host.user,
                start_at=start,
                end_at=start + timedelta(hours=1),
                platform="Google Meet",
                meeting_url="https://meet.google.com/abc-defg-hij",
                mentees=mentees,
            ),
            Company.current(),
        )
    host.goto(f"{live_server.url}/host/sessions/{session.id}")
    host.click("button:has-text('Cancel session')")
    dialog = host.locator("dialog[data-modal]")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Cancel the session Career talk?")
    expect(dialog).to_contain_text("2 attendees will be emailed the cancellation.")
    assert host.evaluate("document.querySelector('dialog').matches(':modal')")
    host.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    settle(host)
    with db.connection_context():
        assert Session.get_by_id(session.id).cancelled_at is None

    host.click("button:has-text('Cancel session')")
    expect(dialog).to_be_visible()
    dialog.locator("button:has-text('Confirm')").click()
    expect(host.locator("#toasts")).to_contain_text("everyone in it has been told")
    settle(host)
    expect(host.locator("#manage")).to_contain_text("Cancelled")
    with db.connection_context():
        assert Session.get_by_id(session.id).cancelled_at is not None
    for mentee in mentees:
        to_mentee = [m for m in smtp.messages if mentee.email in m["To"]]
        cancel = calendar_in(to_mentee[-1])
        assert str(cancel["METHOD"]) == "CANCEL"
        assert "Career talk" in str(cancel.walk("VEVENT")[0]["SUMMARY"])
