"""The pages of issues 12, 13 and 15 on a phone (375 px) with a keyboard only: nothing is
wider than the screen, every Tab stop is visible and on screen, and the host's Cancel
dialog works by keyboard (Esc keeps the session, Enter on Confirm cancels it)."""

import pytest
from test_accessibility import crowded, new_pages, signed_in_page  # noqa: F401
from test_browser import settle

from models import Role, Session, db

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 800}

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const box = el.getBoundingClientRect();
  return {tag: el.localName, text: (el.innerText || el.value || el.name || '').trim().slice(0, 40),
          left: box.left, right: box.right, width: box.width, height: box.height,
          inDialog: !!el.closest('dialog')};
}"""


def tab_stops(page, limit=60):
    """Press Tab until the focus comes back round (or `limit`): what each stop was."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop is None or (stops and stop == stops[0]):
            break
        stops.append(stop)
    return stops


def test_new_pages_fit_a_phone_and_work_by_keyboard(browser, live_server, crowded):  # noqa: F811
    tabs, problems = {}, []
    for role, path in [
        *new_pages(crowded),
        (Role.HOST, "/mentoring/new"),
        (Role.HOST, "/group-sessions/new"),
    ]:
        if role not in tabs:
            tabs[role] = signed_in_page(browser, live_server, "en-GB", crowded["people"][role])
            tabs[role].set_viewport_size(PHONE)
        page = tabs[role]
        response = page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state()
        assert response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{path}: {width} px wide")
        stops = tab_stops(page)
        if len(stops) < 3:
            problems.append(f"{path}: only {len(stops)} Tab stops")
        for stop in stops:
            if stop["width"] == 0 or stop["height"] == 0:
                problems.append(f"{path}: Tab stop {stop['tag']} '{stop['text']}' is invisible")
            elif stop["left"] < -1 or stop["right"] > PHONE["width"] + 1:
                problems.append(f"{path}: Tab stop {stop['tag']} '{stop['text']}' is off screen")
    assert not problems, "\n".join(problems)


def test_host_cancels_by_keyboard_on_a_phone(browser, live_server, crowded):  # noqa: F811
    page = signed_in_page(browser, live_server, "en-GB", crowded["people"][Role.HOST])
    page.set_viewport_size(PHONE)
    talk = crowded["mentoring"]
    page.goto(f"{live_server.url}/host/sessions/{talk.id}")

    def focus_cancel():
        for _ in range(80):
            page.keyboard.press("Tab")
            if (page.evaluate(FOCUSED) or {}).get("text") == "Cancel session":
                return
        raise AssertionError("Cancel session is not reachable by Tab")

    focus_cancel()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog[data-modal]")
    dialog.wait_for()
    assert "1 attendee will be emailed the cancellation." in dialog.inner_text()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    stops = tab_stops(page, limit=6)
    assert stops and all(stop["inDialog"] for stop in stops), stops  # the focus stays inside
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    settle(page)
    with db.connection_context():
        assert Session.get_by_id(talk.id).cancelled_at is None

    page.goto(f"{live_server.url}/host/sessions/{talk.id}")
    focus_cancel()
    page.keyboard.press("Enter")
    dialog.wait_for()
    assert page.evaluate(FOCUSED)["text"] == "Confirm"  # showModal focuses the first button
    page.keyboard.press("Enter")
    page.locator("#toasts").get_by_text("everyone in it has been told").wait_for()
    with db.connection_context():
        assert Session.get_by_id(talk.id).cancelled_at is not None
