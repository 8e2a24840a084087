"""Zoom in real headless Chromium against the local stand-in: the admin connects the
company's account, adds a Zoom day, sees "Creating…" turn into "Ready" in place while the
job runs in a worker, and starts the conference."""

import threading

import pytest
from huey.storage import MemoryStorage
from playwright.sync_api import expect
from test_browser import assert_not_reloaded, days_of, open_event, settle
from zoom_standin import ZoomStandin

import tasks
from models import DayFormat, ZoomConnection, db

pytestmark = pytest.mark.browser


@pytest.fixture
def standin(app, live_server):
    server = ZoomStandin().start()
    app.config.update(server.config(), PUBLIC_URL=live_server.url)
    yield server
    server.stop()


@pytest.fixture
def queued_jobs():
    """Jobs wait in a queue, as with a real worker, instead of running inside the request."""
    tasks.huey._immediate = False
    tasks.huey.storage = MemoryStorage("convene-browser")
    yield tasks.huey
    tasks.huey._immediate = True
    tasks.huey.storage = MemoryStorage("convene")


def run_queued(app, huey):
    """The worker: run whatever is queued, in the app."""

    def work():
        with app.app_context():
            while (task := huey.dequeue()) is not None:
                huey.execute(task)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()


def test_admin_connects_zoom_adds_a_day_and_starts_it(
    app, browser_admin, live_server, standin, queued_jobs, make_event, make_session
):
    page = browser_admin
    page.goto(f"{live_server.url}/admin/settings")
    page.click("#zoom-connect")  # to the stand-in's authorize page and back
    page.wait_for_url(f"{live_server.url}/admin/settings")
    expect(page.locator("#zoom-company")).to_contain_text("host@example.org")
    with db.connection_context():
        assert ZoomConnection.get().account_type == 2

    session = make_session(make_event())
    open_event(page, live_server, session.event)
    page.click(f"#session-{session.id} .add-day")
    settle(page)
    form = page.locator(f"#day-new-{session.id}")
    form.locator("input[name=start]").fill("2030-03-01T10:00")
    form.locator("input[name=end]").fill("2030-03-01T12:00")
    form.locator("select[name=format]").select_option("zoom")
    expect(form.locator("input[name=zoom_role]").first).to_be_visible()
    settle(page)
    form.locator("input[name=zoom_role][value=administrator]").check()
    form.locator("select[name=zoom_organizer]").select_option(str(page.user.id))
    form.locator("button.primary").click()

    state = page.locator(f"#days-{session.id} .zoom-state")
    expect(state).to_contain_text("Creating…")
    assert standin.meetings == {}  # the save did not wait for Zoom
    run_queued(app, queued_jobs)
    expect(state).to_contain_text("Ready", timeout=10000)  # polled in place
    assert_not_reloaded(page)
    [day] = days_of(session)
    assert day.format == DayFormat.ZOOM and day.zoom.state == "ready"
    assert list(standin.meetings) == [day.zoom.meeting_id]

    with page.context.expect_page() as opened:
        state.locator("a:has-text('Start conference')").click()
    zoom_tab = opened.value
    zoom_tab.wait_for_load_state()
    assert f"{standin.url}/s/{day.zoom.meeting_id}?zak=" in zoom_tab.url
