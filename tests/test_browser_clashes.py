"""A member is told of a clash before joining, in real headless Chromium, in Russian: the
group session they open overlaps their event session."""

import pytest
from conftest import PASSWORD
from playwright.sync_api import expect
from test_browser import settle
from test_personal_schedule import make_hosted, sign_up

from models import Registration, Role, Status, db

pytestmark = pytest.mark.browser


def registration_in(session, user):
    with db.connection_context():
        return Registration.get_or_none(
            Registration.session == session.id, Registration.user == user.id
        )


def test_a_member_is_warned_before_joining_a_clashing_group_session_in_russian(
    page, live_server, app, make_user, make_event, make_session, make_day
):
    evening = make_session(make_event(is_active=True), name="Evening")
    make_day(evening, start="2030-03-04T18:00", hours=2)
    member = make_user(Role.MEMBER, locale="ru", timezone="Europe/Moscow")
    sign_up(app, member, evening)
    group = make_hosted(make_user(Role.HOST), "2030-03-04T19:00", name="Pitch practice")
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", member.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/home")

    page.goto(f"{live_server.url}/s/{group.id}")
    page.click("#session-state button.primary")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(
        "В это время вы участвуете в «Leadership Training (ru) — Evening»"
    )
    expect(dialog).to_contain_text("Москва (UTC+3)")
    expect(dialog).to_contain_text("Всё равно присоединиться?")
    page.keyboard.press("Escape")  # changes nothing
    expect(dialog).to_be_hidden()
    assert registration_in(group, member) is None

    page.click("#session-state button.primary")
    expect(page.locator(".clash-confirm")).to_have_count(1)  # the dismissed one is gone
    dialog = page.locator("dialog[open]")
    dialog.get_by_role("button", name="Всё равно присоединиться").click()
    expect(page.locator("#session-state")).to_contain_text("Вы зарегистрированы")
    settle(page)
    expect(page.locator("dialog[open]")).to_have_count(0)
    assert registration_in(group, member).status == Status.APPROVED

    page.goto(f"{live_server.url}/home/schedule")
    expect(page.locator(".badge.clash")).to_have_count(2)
    expect(page.locator("main")).to_contain_text("Москва (UTC+3)")
