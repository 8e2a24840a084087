"""The page shell in real headless Chromium: phone widths, the header menu, toasts for failed
requests, busy buttons, focus after swaps, the modal confirmation and times in the visitor's
own zone."""

import pytest
from conftest import PASSWORD
from playwright.sync_api import expect
from test_browser import days_of, open_event, settle

from models import Company, Day, Registration, Role, Session, SessionKind, Status, db
from sessions import booking

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}
LONG = "Interdisciplinaryleadershipintensiveforregionaldepartmentheads"
TOASTS = {
    "en": {
        "changed": "This was changed meanwhile — reload the page",
        "offline": "The connection was lost — nothing was changed. "
        "Check your connection and try again.",
        "close": "Close",
    },
    "ru": {
        "changed": "Это уже изменили — обновите страницу",
        "offline": "Соединение потеряно — ничего не изменено. "
        "Проверьте подключение и попробуйте ещё раз.",
        "close": "Закрыть",
    },
}


def switch_language(page, code):
    """Choose a language with the header's switch, opening the menu first on a phone."""
    menu = page.locator(".menu-button")
    if menu.is_visible() and menu.get_attribute("aria-expanded") == "false":
        menu.click()
    choice = page.locator(f".locale-switch button[value={code}]")
    if choice.is_enabled():
        with page.expect_navigation():
            choice.click()


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def inside_viewport(locator, width):
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.fixture
def long_event(make_event, make_session, make_day):
    """A demo-like event with long unbreakable names, a long address and a long link."""
    event = make_event(f"{LONG} {LONG}", is_active=True)
    daytime = make_session(event, name=f"Daytime {LONG}", participant_limit=20)
    evening = make_session(event, name=f"Evening {LONG}")
    make_day(daytime, address=f"{LONG}-street 7, https://maps.example.com/{'x' * 90}")
    make_day(
        daytime, start="2030-03-02T10:00", format="online", url=f"https://meet.example.com/{LONG}"
    )
    make_day(evening, start="2030-03-01T19:00", format="zoom", zoom_role="participant")
    return event


@pytest.fixture
def group_session(app, make_user):
    """A public group session whose host has a long handle-less name, starting
    2030-05-01 18:00 in Moscow (15:00 UTC) for 1.5 hours."""
    from test_group_sessions import FORM

    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()
    host = make_user(Role.HOST, name=f"Hostess {LONG}", handle="long-host")
    client = app.test_client()
    client.post("/login", data={"email": host.email, "password": PASSWORD})
    client.htmx("post", "/group-sessions", data={**FORM, "title": f"Pitch {LONG}"})
    with db.connection_context():
        return Session.get(Session.kind == SessionKind.GROUP)


# Phones and the header ---------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "ru"])
@pytest.mark.parametrize("audience", ["admin", "member", "visitor"])
def test_shell_pages_fit_a_phone(
    browser_as, page, live_server, long_event, group_session, audience, locale
):
    if audience == "visitor":
        path = f"/s/{group_session.id}"
        exit_link = page.locator(".topbar a[href^='/login']")  # "Sign in"
    else:
        page = browser_as(Role.ADMIN if audience == "admin" else Role.MEMBER)
        path = f"/events/{long_event.id}"
        if audience == "admin":
            path = f"/admin{path}"
        exit_link = page.locator(".topbar button.link")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + path)
    switch_language(page, locale)
    page.goto(live_server.url + path)

    assert page_width(page) <= PHONE["width"]
    menu = page.locator(".menu-button")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(exit_link).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(exit_link).to_be_visible()
    assert inside_viewport(exit_link, PHONE["width"])
    assert page_width(page) <= PHONE["width"]


def test_shell_menu_works_with_the_keyboard_and_without_javascript(
    browser_admin, browser, live_server, long_event
):
    page = browser_admin
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/admin/events/{long_event.id}")
    page.keyboard.press("Tab")  # "Skip to content"
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "menu-button"
    page.keyboard.press("Enter")
    expect(page.locator(".topbar nav a:has-text('Users')")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".topbar nav")).to_be_hidden()
    assert page.evaluate("document.activeElement.className") == "menu-button"

    without_js = browser.new_context(java_script_enabled=False, viewport=PHONE).new_page()
    without_js.goto(f"{live_server.url}/login")
    without_js.fill("input[name=email]", page.user.email)
    without_js.fill("input[name=password]", PASSWORD)
    without_js.click("button.primary")
    without_js.goto(f"{live_server.url}/admin/events/{long_event.id}")
    expect(without_js.locator(".menu-button")).to_be_hidden()  # and the menu is simply open
    expect(without_js.locator(".topbar nav a:has-text('Users')")).to_be_visible()
    expect(without_js.locator(".topbar button.link")).to_be_visible()
    assert page_width(without_js) <= PHONE["width"]
    without_js.context.close()


def test_shell_russian_header_is_one_line_at_1280(browser_admin, live_server, long_event):
    page = browser_admin
    page.set_viewport_size({"width": 1280, "height": 800})
    switch_language(page, "ru")
    page.goto(f"{live_server.url}/admin/events/{long_event.id}")
    expect(page.locator(".menu-button")).to_be_hidden()
    header = page.locator(".topbar")
    assert header.bounding_box()["height"] < 60
    tops = page.evaluate("[...document.querySelectorAll('.topbar nav a')].map((a) => a.offsetTop)")
    assert len(tops) == 7 and len(set(tops)) == 1
    sign_out = page.locator(".topbar button.link").bounding_box()
    assert sign_out["y"] + sign_out["height"] <= header.bounding_box()["height"]
    assert page_width(page) <= 1280


def test_shell_visitors_get_a_sign_in_link_and_a_favicon(page, live_server, group_session):
    page.goto(f"{live_server.url}/s/{group_session.id}")
    link = page.locator(".topbar a:has-text('Sign in')")
    expect(link).to_have_attribute("href", f"/login?next=/s/{group_session.id}")
    icon = page.request.get(live_server.url + page.locator("link[rel=icon]").get_attribute("href"))
    assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml")


# Failed requests say so ------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_shell_stale_button_answers_with_a_toast(
    browser_admin, live_server, make_event, make_session, make_day, locale
):
    page, session = browser_admin, make_session(make_event())
    day = make_day(session)
    switch_language(page, locale)
    open_event(page, live_server, session.event)
    with db.connection_context():
        Day.delete_by_id(day.id)  # someone else deleted it meanwhile
    edit = page.locator(f"#day-{day.id} .actions button").nth(0)
    edit.click()
    toast = page.locator("#toasts .toast.error")
    expect(toast).to_have_text(TOASTS[locale]["changed"])
    expect(toast).to_have_attribute("role", "alert")
    expect(edit).to_be_enabled()  # nothing changed, the button works again
    close = toast.get_by_role("button", name=TOASTS[locale]["close"])
    close.click()
    expect(toast).to_have_count(0)


def test_shell_lost_connection_answers_with_a_toast(
    browser_admin, live_server, make_event, make_session, make_day
):
    page, session = browser_admin, make_session(make_event())
    day = make_day(session)
    open_event(page, live_server, session.event)
    page.route("**/days/**", lambda route: route.abort("internetdisconnected"))
    page.click(f"#day-{day.id} button:has-text('Edit')")
    expect(page.locator("#toasts .toast.error")).to_have_text(TOASTS["en"]["offline"])
    expect(page.locator(f"#day-{day.id} button:has-text('Edit')")).to_be_enabled()


def test_shell_signed_out_request_answers_with_a_toast(
    browser_admin, live_server, make_event, make_session
):
    page, session = browser_admin, make_session(make_event())
    open_event(page, live_server, session.event)
    page.wait_for_load_state("networkidle")  # no answer left to set the cookie again
    page.context.clear_cookies()  # signed out in another tab, or the session expired
    page.click(f"#session-{session.id} .add-day")
    toast = page.locator("#toasts .toast.error")
    expect(toast).to_have_text("You are signed out — sign in again")
    assert page.url.endswith(f"/admin/events/{session.event.id}")  # still on the page
    expect(page.locator(f"#day-new-{session.id}")).to_have_count(0)


def test_shell_toast_stays_while_hovered(browser_admin, live_server, make_event):
    page = browser_admin
    open_event(page, live_server, make_event())
    page.clock.install()
    page.evaluate("showToast('Saved.')")
    toast = page.locator("#toasts .toast")
    toast.hover()
    page.clock.run_for(10_000)
    expect(toast).to_have_text("Saved.")
    expect(toast).to_have_attribute("role", "status")
    page.mouse.move(0, 0)
    page.clock.run_for(5_000)
    expect(toast).to_have_count(0)


# A running request shows -------------------------------------------------------------------


def test_shell_button_is_busy_while_its_request_runs(
    browser_admin, live_server, make_event, make_session
):
    page, session = browser_admin, make_session(make_event())
    open_event(page, live_server, session.event)
    held = []
    page.route("**/days/new", lambda route: held.append(route))  # held until the test says
    add = page.locator(f"#session-{session.id} .add-day")
    add.click()
    expect(add).to_be_disabled()
    expect(add).to_have_attribute("aria-busy", "true")
    assert add.evaluate("(b) => getComputedStyle(b, '::after').animationName") == "spin"
    held[0].continue_()
    expect(page.locator(f"#day-new-{session.id}")).to_be_visible()
    expect(add).to_be_enabled()
    expect(add).not_to_have_attribute("aria-busy", "true")


# Focus after swaps and the modal confirmation ------------------------------------------------


def focused_id(page):
    return page.evaluate("document.activeElement.id")


def test_shell_focus_follows_the_swaps(
    browser_admin, live_server, make_event, make_session, make_day
):
    page, session = browser_admin, make_session(make_event())
    for n in range(1, 6):
        make_day(session, start=f"2030-03-0{n}T10:00")
    page.set_viewport_size(PHONE)
    open_event(page, live_server, session.event)
    add = page.locator(f"#session-{session.id} .add-day")
    add.focus()
    page.keyboard.press("Enter")  # the new day's form opens where the person is
    settle(page)
    start = page.locator(f"#day-new-{session.id} input[name=start]")
    expect(start).to_be_focused()
    expect(start).to_be_in_viewport()

    day = days_of(session)[0]
    page.click(f"#day-{day.id} button:has-text('Edit')")
    settle(page)
    form = page.locator(f"form#day-{day.id}")
    expect(form.locator("input[name=start]")).to_be_focused()
    form.locator("input[name=end]").fill("2030-03-01T09:00")  # before the start
    form.locator("button.primary").click()
    settle(page)
    end = page.locator(f"form#day-{day.id} input[name=end]")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(end).to_be_focused()

    page.click(f"form#day-{day.id} button:has-text('Cancel')")
    settle(page)
    assert focused_id(page) == f"days-{session.id}"  # back on the list it returned to


@pytest.fixture
def finished_session(make_event, make_session, make_day, make_user, app):
    """A session whose last day has passed, with one member who participated."""
    session = make_session(make_event(is_active=True), registration_end="2020-01-01T11:59")
    make_day(session, start="2020-01-02T10:00")
    with app.app_context(), db.connection_context():
        registration = booking.register_user(make_user(), session)
        Registration.update(status=Status.PARTICIPATED).where(
            Registration.id == registration.id
        ).execute()
    session.registration_id = registration.id
    return session


def ask_for_a_new_day(page, session):
    """With the keyboard: Add, type the times, Enter: the confirmation opens."""
    page.locator(f"#session-{session.id} .add-day").focus()
    page.keyboard.press("Enter")
    settle(page)
    form = page.locator(f"#day-new-{session.id}")
    expect(form.locator("input[name=start]")).to_be_focused()
    form.locator("input[name=start]").fill("2030-03-01T10:00")
    form.locator("input[name=end]").fill("2030-03-01T12:00")
    form.locator("textarea[name=address]").fill("Main hall")
    form.locator("input[name=end]").press("Enter")
    dialog = form.locator("dialog")
    expect(dialog).to_be_visible()
    settle(page)
    return dialog


def test_shell_confirmation_is_a_modal_dialog_for_the_keyboard(
    browser_admin, live_server, finished_session
):
    page, session = browser_admin, finished_session
    open_event(page, live_server, session.event)

    dialog = ask_for_a_new_day(page, session)
    assert dialog.evaluate("(d) => d.open && d.matches(':modal')")
    expect(dialog).to_have_accessible_name("Add a day to a finished session?")
    expect(dialog).to_have_accessible_description(
        "The last day of the session has already arrived. If the user has already set the "
        'session status to "Participated", then after activating the event, they will switch '
        'back to the "Approved" status and see it in the "Participating" tab.'
    )
    assert dialog.evaluate("(d) => d.contains(document.activeElement)")
    backdrop = dialog.evaluate("(d) => getComputedStyle(d, '::backdrop').backgroundColor")
    assert backdrop != "rgba(0, 0, 0, 0)"
    page.keyboard.press("Escape")  # the same as Cancel: back to the day list
    expect(page.locator(f"#day-new-{session.id}")).to_have_count(0)
    settle(page)
    # The focus is back on the button that started it all.
    assert page.evaluate("document.activeElement.matches('.add-day')")
    assert len(days_of(session)) == 1

    dialog = ask_for_a_new_day(page, session)
    confirm = dialog.locator("button:has-text('Confirm')")
    while not confirm.evaluate("(b) => b === document.activeElement"):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(f"#days-{session.id} .day")).to_have_count(2)
    expect(page.locator("dialog")).to_have_count(0)
    with db.connection_context():
        assert Registration.get_by_id(session.registration_id).status == Status.APPROVED


# Times in the visitor's own zone -------------------------------------------------------------


def test_shell_public_pages_show_the_visitors_zone(browser, live_server, group_session, make_user):
    def first_visit(path, **context):
        page = browser.new_context(timezone_id="Asia/Tokyo", **context).new_page()
        page.goto(live_server.url + path)  # no tz cookie yet: the server shows Moscow time
        return page

    public = first_visit(f"/s/{group_session.id}", locale="en-US")
    expect(public.locator(".public-session time")).to_have_text(
        "Thu, May 2, 2030, 12:00 – 1:30 AM Japan Standard Time (UTC+9)"
    )
    profile = first_visit("/u/long-host", locale="ru-RU")
    expect(profile.locator("main time")).to_have_text(
        "чт, 2 мая 2030 г., 00:00–01:30 Япония, стандартное время (UTC+9)"
    )

    without_js = first_visit(f"/s/{group_session.id}", java_script_enabled=False)
    expect(without_js.locator(".public-session time")).to_have_text(
        "Wed, May 1, 2030, 6:00 – 7:30 PM Moscow (UTC+3)"
    )

    chosen = first_visit("/login", locale="en-US")  # a zone chosen in the profile stays
    member = make_user(timezone="America/New_York")
    chosen.fill("input[name=email]", member.email)
    chosen.fill("input[name=password]", PASSWORD)
    chosen.click("button.primary")
    chosen.wait_for_url("**/home")
    chosen.goto(f"{live_server.url}/s/{group_session.id}")
    expect(chosen.locator(".public-session time")).to_have_text(
        "Wed, May 1, 2030, 11:00 AM – 12:30 PM New York (UTC-4)"
    )
    for page in (public, profile, without_js, chosen):
        page.context.close()


def test_shell_content_security_policy_blocks_nothing_the_app_does(
    browser_admin, live_server, make_event, make_session, make_day
):
    page = browser_admin
    violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and violations.append(message.text)
        ),
    )
    session = make_session(make_event(is_active=True))
    make_day(session)
    for path in ["/admin/events", "/profile", "/home", f"/admin/events/{session.event_id}"]:
        page.goto(f"{live_server.url}{path}")
        settle(page)
    page.click(f"#session-{session.id} .add-day")
    settle(page)
    assert violations == []
