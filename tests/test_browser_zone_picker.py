"""The zone picker in real headless Chromium, in Russian on a phone (375 px) in Sri Lanka:
the browser's zone is offered first, "Моск" finds Moscow, ArrowDown and Enter pick it, the
box shows "Москва (UTC+3)" while the form sends the zone's id, and the saved profile shows
the name again. Without JavaScript the same field takes the id."""

import pytest
from conftest import PASSWORD
from playwright.sync_api import expect
from test_browser import settle

from foundation.zones import zone_label
from models import Role, User, db

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}


def signed_in(browser, live_server, user, **context):
    page = browser.new_context(locale="ru-RU", viewport=PHONE, **context).new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/home")
    return page


def search(page, box, text):
    box.fill("")
    box.press_sequentially(text)
    options = page.locator(f"#{box.get_attribute('aria-controls')} [role=option]")
    expect(options.first).to_be_visible()
    settle(page)
    return options


def saved_zone(user):
    with db.connection_context():
        return User.get_by_id(user.id).timezone


def test_zone_picker_finds_moscow_by_typing_in_russian(browser, live_server, make_user):
    user = make_user(Role.MEMBER, locale="ru")
    page = signed_in(browser, live_server, user, timezone_id="Asia/Colombo")
    page.goto(f"{live_server.url}/profile")
    box = page.get_by_role("combobox", name="Часовой пояс")
    field = page.locator("#profile-form input[type=hidden][name=timezone]")
    expect(field).to_have_value("")

    options = search(page, box, "+5:30")  # India sorts first, but the browser is in Sri Lanka
    expect(options).to_have_count(2)
    expect(options.first).to_contain_text(zone_label("Asia/Colombo", None, "ru"))
    expect(options.first).to_contain_text("как в браузере")
    expect(options.nth(1)).to_contain_text(zone_label("Asia/Kolkata", None, "ru"))

    options = search(page, box, "Моск")
    moscow = zone_label("Europe/Moscow", None, "ru")
    expect(options.first).to_have_text(moscow)
    expect(page.locator("#profile-zone-status")).to_contain_text("Найден")
    list_box = page.locator("#profile-zone-options").bounding_box()
    assert list_box["x"] >= 0 and list_box["x"] + list_box["width"] <= PHONE["width"]
    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(box).to_have_value(moscow)
    expect(field).to_have_value("Europe/Moscow")
    assert saved_zone(user) is None  # nothing is saved before Save

    page.locator("#profile-form button.primary").click()
    expect(page.locator("#profile-form .saved")).to_have_text("Сохранено.")
    assert saved_zone(user) == "Europe/Moscow"
    expect(page.get_by_role("combobox", name="Часовой пояс")).to_have_value(moscow)
    page.reload()
    expect(page.get_by_role("combobox", name="Часовой пояс")).to_have_value(moscow)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_zone_picker_refuses_what_was_typed_but_not_picked(browser, live_server, make_user):
    user = make_user(Role.MEMBER, locale="ru", timezone="Europe/Berlin")
    page = signed_in(browser, live_server, user)
    page.goto(f"{live_server.url}/profile")
    box = page.get_by_role("combobox", name="Часовой пояс")
    expect(box).to_have_value(zone_label("Europe/Berlin", None, "ru"))
    search(page, box, "Моск")
    page.keyboard.press("Escape")
    page.locator("#profile-form button.primary").click()
    box = page.get_by_role("combobox", name="Часовой пояс")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#profile-form")).to_contain_text("Выберите часовой пояс из списка.")
    assert saved_zone(user) == "Europe/Berlin"


def test_zone_picker_without_javascript_takes_the_zone_id(browser, live_server, make_user):
    user = make_user(Role.MEMBER, locale="ru")
    page = signed_in(browser, live_server, user, java_script_enabled=False)
    page.goto(f"{live_server.url}/profile")
    box = page.locator("#profile-zone")
    expect(box).to_have_attribute("name", "timezone")
    box.fill("Asia/Kolkata")
    page.locator("#profile-form button.primary").click()
    page.wait_for_load_state()
    assert saved_zone(user) == "Asia/Kolkata"
