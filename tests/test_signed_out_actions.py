"""Signed out means "sign in again", whatever the request: when the session cookie is gone,
an in-place change (Sign up, Withdraw, Save) answers 401, which the page shows as "You are
signed out — sign in again", and a plain form post goes to the sign-in page. Only a
signed-in user whose token no longer matches is told that the form has expired."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import settle

from models import Registration, Role, Status, db
from sessions import booking

EXPIRED = "The form has expired. Reload the page and try again."


@pytest.fixture
def open_session(make_event, make_session, make_day):
    session = make_session(make_event(is_active=True), name="Evening")
    make_day(session)
    return session


def token_of(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def drop_session_cookie(client):
    client.delete_cookie("session")


def test_a_visitor_whose_session_is_gone_is_told_to_sign_in_again(app, sign_in, open_session):
    member = sign_in(Role.MEMBER)
    with app.test_request_context("/"), db.connection_context():
        registration = booking.sign_up(member.user, open_session)
    token = token_of(member, f"/events/{open_session.event_id}")
    drop_session_cookie(member)

    for path, data in [
        (f"/sessions/{open_session.id}/signup", {}),
        (f"/registrations/{registration.id}/withdraw", {}),
        ("/profile", {"name": "Renamed"}),
    ]:
        response = member.post(
            path, data=data, headers={"HX-Request": "true", "X-CSRFToken": token}
        )
        assert response.status_code == 401, path
        assert EXPIRED not in response.text

    plain = member.post(
        "/profile", data={"name": "Renamed", "csrf_token": token}, without_csrf=True
    )
    assert plain.status_code == 302 and plain.headers["Location"].startswith("/login")
    with db.connection_context():
        assert Registration.get_by_id(registration.id).status == Status.APPROVED


def test_a_signed_in_user_with_a_stale_token_is_told_the_form_expired(sign_in, open_session):
    member = sign_in(Role.MEMBER)
    response = member.post(
        f"/sessions/{open_session.id}/signup",
        headers={"HX-Request": "true", "X-CSRFToken": "stale"},
        without_csrf=True,
    )
    assert response.status_code == 400
    assert EXPIRED in response.text
    with db.connection_context():
        assert not Registration.select().where(Registration.user == member.user.id).exists()


@pytest.mark.browser
def test_signing_up_after_the_session_ended_says_signed_out(browser_as, live_server, open_session):
    page = browser_as(Role.MEMBER)
    page.goto(f"{live_server.url}/events/{open_session.event_id}")
    settle(page)  # no request still in flight to set the cookie again
    # The member signs out in another tab: its answer has ended the session and dropped the
    # cookie before the click (clearing the cookie jar directly raced the click in Chromium).
    other_tab = page.context.new_page()
    other_tab.goto(f"{live_server.url}/home")
    other_tab.get_by_role("button", name="Sign out").click()
    other_tab.wait_for_url("**/login**")
    other_tab.close()
    page.get_by_role("button", name="Sign up for Evening").click()
    expect(page.locator("#toasts .toast.error")).to_have_text("You are signed out — sign in again")
