"""Sign-in hardening (OWASP ASVS level 2): return addresses that stay on the site."""

import re
from urllib.parse import quote, urlsplit

import pytest
from conftest import PASSWORD

from accounts import access
from models import Role, User, db


def log_in(client, email, password=PASSWORD, address="127.0.0.1", **fields):
    return client.post(
        "/login",
        data={"email": email, "password": password, **fields},
        environ_base={"REMOTE_ADDR": address},
    )


def stored(user):
    with db.connection_context():
        return User.get_by_id(user.id)


# Return addresses --------------------------------------------------------------------------


def browser_reading(location):
    """What a browser makes of a Location: tabs and line breaks dropped, "\\" read as "/"."""
    cleaned = re.sub(r"[\t\r\n]", "", location).replace("\\", "/")
    return urlsplit(cleaned)


def assert_stays_on_the_site(response):
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    target = browser_reading(location)
    assert not target.scheme and not target.netloc, location
    assert location.startswith("/") and not browser_reading(location).path.startswith("//")


NASTY_NEXT = [
    "/\t/evil.example/",
    "/\r\n/evil.example/",
    "/\n/evil.example/",
    "\t//evil.example/",
    "/ok\r\nSet-Cookie: stolen=1",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "HTTPS://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%5Cevil.example",
    "/%09/evil.example/",
    "/%0d%0a/evil.example",
    "\x00//evil.example",
    "/\u3000/evil.example",
    "/\u2028/evil.example",
    "/\u202e/evil.example",
    "/\uff0f\uff0fevil.example",
    "/\uff3cevil.example",
    "evil.example",
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("nasty", NASTY_NEXT, ids=repr)
def test_safe_next_after_sign_in_stays_on_the_site(app, make_user, nasty):
    user = make_user(Role.MEMBER)
    client = app.test_client()

    response = log_in(client, user.email, next=nasty)

    assert_stays_on_the_site(response)
    assert client.get("/home").status_code == 200


@pytest.mark.parametrize(
    "query",
    ["/%09/evil.example/", "/%0d%0a/evil.example", "%2F%09%2Fevil.example", "/%5C/evil.example"],
)
def test_safe_next_from_the_query_string_goes_home(app, make_user, query):
    """The reported case: /login?next=/%09/evil.example/ left the site after sign-in."""
    user = make_user(Role.MEMBER)
    client = app.test_client()

    page = client.get(f"/login?next={query}")
    response = client.post(f"/login?next={query}", data={"email": user.email, "password": PASSWORD})

    assert page.status_code == 200
    login_form = page.text.split('action="/login"', 1)[1]
    assert 'name="next"' not in login_form  # nothing unsafe is carried into the form
    assert_stays_on_the_site(response)
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("nasty", NASTY_NEXT, ids=repr)
def test_safe_next_of_a_signed_in_visit_and_the_language_switch(sign_in, nasty):
    client = sign_in(Role.MEMBER)

    login = client.get(f"/login?next={quote(nasty, safe='')}")
    switch = client.post("/locale", data={"locale": "ru", "next": nasty})

    assert_stays_on_the_site(login)
    assert_stays_on_the_site(switch)
    assert stored(client.user).locale == "ru"


@pytest.mark.parametrize(
    "good",
    ["/admin/users?page=2", "/events/7?tab=completed&q=%D0%98%20b", "/s/12", "/u/demo-host"],
)
def test_safe_next_keeps_a_path_of_the_site(good):
    assert access.safe_next(good) == good
