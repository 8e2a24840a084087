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
    preview = page.locator("#import-preview table.preview")
    expect(preview).to_contain_text("Will register")
    expect(preview).to_contain_text("Unknown user")
    expect(preview).to_contain_text("Duplicate in file")
    with db.connection_context():
        assert Registration.select().count() == 0  # the preview changes nothing
    settle(page)
    page.click("#import-preview button:has-text('Register 1 person')")
    expect(page.locator("#import-preview")).to_contain_text("Done.")
    expect(page.locator("#import-preview table.preview")).to_contain_text("Registered")
    # "Choose another file" takes the keyboard to the file field.
    page.click("#import-preview a:has-text('Choose another file')")
    expect(page.locator("#import-file")).to_be_focused()
    assert_not_reloaded(page)
    with db.connection_context():
        registration = Registration.get()
        assert (registration.user_id, registration.session_id, registration.status) == (
            known.id,
            session.id,
            "approved",
        )
        assert User.select().where(User.email == "stranger@example.com").count() == 0


def test_admin_sets_a_status_for_all_matching_after_one_confirmation(
    browser_admin, live_server, make_event, make_session, app
):
    event = make_event(is_active=True)
    session = make_session(event, name="Crowd")
    with app.app_context(), db.connection_context():
        for number in range(60):
            person = User.create(
                email=f"p{number}@example.com", name=f"Person {number}", password_hash="-"
            )
            booking.register_user(person, session)
    page = browser_admin
    page.goto(f"{live_server.url}/admin/events/{event.id}/registrations?sort=name")
    page.evaluate("window.__noReload = 'still here'")
    # Natural order: Person 0, 1, 2 … 9, 10 …
    expect(page.locator("#registrations-table tbody th").nth(2)).to_have_text("Person 2")
    page.check("thead input[data-select-all]")
    expect(page.locator("tbody input[name=registration_ids]:checked")).to_have_count(50)
    page.check("input[name=all_matching]")
    page.select_option("select[name=action]", "missed")
    page.click("#registrations-bulk button:has-text('Apply')")
    dialog = page.locator("dialog[data-modal]")
    expect(dialog).to_contain_text('Set the status of 60 registrations to "Missed"?')
    with db.connection_context():
        assert Registration.select().where(Registration.status == Status.MISSED).count() == 0
    dialog.locator("button:has-text('Confirm')").click()
    expect(page.locator("#toasts")).to_contain_text("60 statuses changed.")
    expect(page.locator("dialog[data-modal]")).to_have_count(0)
    with db.connection_context():
        assert Registration.select().where(Registration.status == Status.MISSED).count() == 60
    assert page.url.endswith("?sort=name")
    assert_not_reloaded(page)


def test_admin_cancels_a_bulk_change_and_keeps_the_selection(
    browser_admin, live_server, make_event, make_session, make_user, app
):
    event = make_event(is_active=True)
    session = make_session(event, name="Daytime")
    with app.app_context(), db.connection_context():
        registration = booking.register_user(make_user(name="Maria Member"), session)
    page = browser_admin
    page.goto(f"{live_server.url}/admin/events/{event.id}/registrations")
    page.check(f"#registration-{registration.id} input[type=checkbox]")
    page.select_option("select[name=action]", "remove")
    page.click("#registrations-bulk button:has-text('Apply')")
    expect(page.locator("dialog[data-modal]")).to_contain_text("Remove 1 registration?")
    # Escape as a person would: once the open dialog holds the focus (under load the key
    # could otherwise reach the page before the dialog took it).
    page.wait_for_function("document.activeElement?.closest('dialog[open]') != null")
    page.keyboard.press("Escape")
    expect(page.locator("dialog[data-modal]")).not_to_be_visible()
    expect(page.locator(f"#registration-{registration.id} input[type=checkbox]")).to_be_checked()
    with db.connection_context():
        assert Registration.select().count() == 1


def test_a_large_import_shows_its_progress_until_done(
    browser_admin, live_server, make_event, make_session, app, tmp_path
):
    event = make_event(is_active=True)
    make_session(event, name="Daytime")
    with app.app_context(), db.connection_context():
        User.insert_many(
            [
                {"email": f"p{n}@example.com", "name": f"Person {n}", "password_hash": "-"}
                for n in range(300)
            ]
        ).execute()
    upload = tmp_path / "people.csv"
    upload.write_text(
        "email,session\n" + "".join(f"p{n}@example.com,Daytime\n" for n in range(300))
    )
    page = browser_admin
    page.goto(f"{live_server.url}/admin/events/{event.id}/registrations")
    page.set_input_files("#import-file", str(upload))
    page.click("#import-area button:has-text('Preview')")
    page.click("#import-preview button:has-text('Register 300 people')")
    # More rows than are applied inline (INLINE_ROWS): the job path registers them. (The test
    # app runs Huey in immediate mode, so the job ends within the request.)
    expect(page.locator("#import-preview")).to_contain_text("Done.", timeout=20_000)
    with db.connection_context():
        assert Registration.select().count() == 300
