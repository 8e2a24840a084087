"""Members choosing sessions and admins managing registrations, in real headless Chromium."""

import pytest
from playwright.sync_api import expect
from test_browser import assert_not_reloaded, settle

from models import Registration, Role, Session, Status, User, db
from sessions import booking

pytestmark = pytest.mark.browser


def live(user, event):
    with db.connection_context():
        return booking.live_registration(user, event)


def test_member_signs_up_switches_and_withdraws(
    browser_as, live_server, make_event, make_session, make_day
):
    event = make_event("Leadership Training", is_active=True)
    daytime = make_session(event, name="Daytime", participant_limit=10)
    evening = make_session(event, name="Evening", participant_limit=10)
    make_day(daytime, start="2030-03-01T10:00")
    make_day(evening, start="2030-03-01T19:00")
    page = browser_as(Role.MEMBER)
    page.goto(f"{live_server.url}/events/{event.id}")
    page.evaluate("window.__noReload = 'still here'")

    page.click(f"#session-{daytime.id} button:has-text('Sign up')")
    expect(page.locator("#my-session")).to_contain_text("Approved")
    expect(page.locator(f"#session-{evening.id}")).to_have_count(0)  # the others are gone
    expect(page.locator("#toasts")).to_contain_text("You are registered.")
    assert live(page.user, event).session_id == daytime.id

    settle(page)
    page.click("#my-session summary")
    page.click("#my-session .alternative button:has-text('Switch to this session')")
    expect(page.locator("#my-session h3").first).to_have_text("Evening")
    assert live(page.user, event).session_id == evening.id

    settle(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#my-session button:has-text('Withdraw')")
    expect(page.locator(f"#session-{daytime.id} button:has-text('Sign up')")).to_be_visible()
    assert live(page.user, event) is None
    with db.connection_context():
        assert [s.seats_taken for s in Session.select().order_by(Session.id)] == [0, 0]
    assert_not_reloaded(page)


def test_admin_changes_a_status_in_place(
    browser_admin, live_server, make_event, make_session, make_user, app
):
    event = make_event(is_active=True)
    session = make_session(event, participant_limit=5)
    member = make_user(name="Maria Member")
    with app.app_context(), db.connection_context():
        registration = booking.register_user(member, session)
    page = browser_admin
    page.goto(f"{live_server.url}/admin/events/{event.id}/registrations")
    page.evaluate("window.__noReload = 'still here'")
    row = page.locator(f"#registration-{registration.id}")
    expect(row).to_contain_text("Maria Member")
    row.locator("select[name=status]").select_option("participated")
    expect(page.locator(f"#registration-{registration.id} select[name=status]")).to_have_value(
        "participated"
    )
    settle(page)
    with db.connection_context():
        assert Registration.get_by_id(registration.id).status == Status.PARTICIPATED
    page.fill("input[name=q]", "nobody-matches")
    expect(page.locator("#registrations-table")).to_contain_text("No registrations match.")
    assert_not_reloaded(page)


def test_admin_previews_and_applies_an_import(
    browser_admin, live_server, make_event, make_session, make_user, tmp_path
):
    event = make_event(is_active=True)
    session = make_session(event, name="Daytime", participant_limit=5)
    known = make_user(email="known@example.com")
    upload = tmp_path / "people.csv"
    upload.write_text(
        "Email,Session\nknown@example.com,daytime\nstranger@example.com,Daytime\nknown@example.com,Daytime\n"
    )
    page = browser_admin
    page.goto(f"{live_server.url}/admin/events/{event.id}/registrations")
    page.evaluate("window.__noReload = 'still here'")
    page.set_input_files("#import-area input[type=file]", str(upload))
    page.click("#import-area button:has-text('Preview')")
    preview = page.locator("#import-area table.preview")
    expect(preview).to_contain_text("Will register")
    expect(preview).to_contain_text("Unknown user")
    expect(preview).to_contain_text("Duplicate in file")
    with db.connection_context():
        assert Registration.select().count() == 0  # the preview changes nothing
    settle(page)
    page.click("#import-area button:has-text('Register 1 person')")
    expect(page.locator("#import-area")).to_contain_text("Done.")
    expect(page.locator("#import-area table.preview")).to_contain_text("Registered")
    assert_not_reloaded(page)
    with db.connection_context():
        registration = Registration.get()
        assert (registration.user_id, registration.session_id, registration.status) == (
            known.id,
            session.id,
            "approved",
        )
        assert User.select().where(User.email == "stranger@example.com").count() == 0
