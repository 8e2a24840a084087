"""Sign-in hardening (OWASP ASVS level 2): return addresses that stay on the site, sessions
that really end, attempts that are counted, and a forgotten password reset by email."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from conftest import PASSWORD
from playwright.sync_api import expect
from test_redis_queue import redis_url  # noqa: F401  (a throwaway Redis on loopback)

from accounts import access
from app import create_app
from models import Email, Role, User, db

ROOT = Path(__file__).resolve().parent.parent

INCORRECT = "Email or password is incorrect."
TOO_MANY = re.compile(r"Too many attempts\. Try again in (\d+) (second|seconds|minute|minutes)\.")
SENT = "If an account exists for that address, we have sent a link."
NOT_VALID = "This link is not valid, or it has already been used. Ask for a new one."
EXPIRED = "This link has expired. Ask for a new one."
NEW_PASSWORD = "a brand new password"


def log_in(client, email, password=PASSWORD, address="127.0.0.1", **fields):
    return client.post(
        "/login",
        data={"email": email, "password": password, **fields},
        environ_base={"REMOTE_ADDR": address},
    )


def is_visitor(client):
    """The client's cookie no longer signs anyone in: a member page sends it to sign in."""
    response = client.get("/home")
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie (a stolen cookie)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def reset_path(app, user):
    with app.app_context():
        return f"/password/reset/{access.password_reset_token(user)}"


def stored(user):
    with db.connection_context():
        return User.get_by_id(user.id)


@pytest.fixture
def clock(monkeypatch):
    """`clock(seconds)` moves every clock of the process forward: no test waits."""
    real, offset = time.time, [0.0]
    monkeypatch.setattr(time, "time", lambda: real() + offset[0])

    def advance(seconds):
        offset[0] += seconds

    return advance


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


def test_a_nul_in_the_return_address_refuses_the_sign_in(app, make_user):
    """A NUL is no text anyone typed: the request is refused whole, and goes nowhere."""
    user = make_user(Role.MEMBER)
    client = app.test_client()

    response = log_in(client, user.email, next="\x00//evil.example")

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "NUL character" in response.text
    assert client.get("/home").status_code == 302


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


# Sessions that end -------------------------------------------------------------------------


def test_sessions_cookie_copied_before_sign_out_is_refused_after_it(app, sign_in):
    client = sign_in(Role.MEMBER)
    thief = copy_of(app, client)
    assert thief.get("/home").status_code == 200

    client.post("/logout")

    assert is_visitor(client)
    assert is_visitor(thief)


def test_sessions_end_when_an_admin_changes_the_password(app, admin, sign_in):
    member = sign_in(Role.MEMBER)
    thief = copy_of(app, member)
    user = member.user

    response = admin.post(
        f"/admin/users/{user.id}",
        data={"email": user.email, "name": user.name, "role": "member", "is_active": "on"}
        | {"password": NEW_PASSWORD},
    )

    assert response.status_code < 400, response.text
    assert is_visitor(member) and is_visitor(thief)
    assert admin.get("/admin/users").status_code == 200  # the admin's own session is not touched
    assert log_in(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_sessions_survive_an_admin_edit_that_keeps_the_password(admin, sign_in):
    member = sign_in(Role.MEMBER)
    user = member.user

    admin.post(
        f"/admin/users/{user.id}",
        data={"email": user.email, "name": "Renamed", "role": "member", "is_active": "on"},
    )

    assert stored(user).name == "Renamed"
    assert member.get("/home").status_code == 200


def test_sessions_end_on_deactivation_and_stay_ended_after_reactivation(app, admin, sign_in):
    member = sign_in(Role.MEMBER)
    thief = copy_of(app, member)
    user = member.user
    form = {"email": user.email, "name": user.name, "role": "member"}

    admin.post(f"/admin/users/{user.id}", data=form)  # "active" unchecked
    assert not stored(user).is_active
    admin.post(f"/admin/users/{user.id}", data=form | {"is_active": "on"})

    assert stored(user).is_active
    assert is_visitor(member) and is_visitor(thief)
    assert log_in(app.test_client(), user.email).status_code == 302


def test_sessions_sign_out_everywhere_ends_another_browsers_session(app, sign_in):
    laptop = sign_in(Role.MEMBER)
    phone = app.test_client()
    assert log_in(phone, laptop.user.email).status_code == 302
    profile = laptop.get("/profile").text
    assert 'action="/profile/sign-out-everywhere"' in profile and "Sign out everywhere" in profile

    response = laptop.post("/profile/sign-out-everywhere")

    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert is_visitor(laptop) and is_visitor(phone)
    assert log_in(app.test_client(), laptop.user.email).status_code == 302


def test_sessions_sign_out_everywhere_needs_the_csrf_token(sign_in):
    client = sign_in(Role.MEMBER)

    response = client.post("/profile/sign-out-everywhere", without_csrf=True)

    assert response.status_code == 400
    assert client.get("/home").status_code == 200


def test_sessions_changing_my_password_keeps_this_browser_and_ends_the_others(app, sign_in):
    laptop = sign_in(Role.MEMBER)
    phone = copy_of(app, laptop)

    response = laptop.post(
        "/profile/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD}
    )

    assert response.status_code == 200
    assert "Password changed. You are signed out everywhere else." in response.text
    assert laptop.get("/home").status_code == 200
    assert is_visitor(phone)
    assert log_in(app.test_client(), laptop.user.email).status_code == 401
    assert log_in(app.test_client(), laptop.user.email, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"current_password": "wrong", "password": NEW_PASSWORD}, "current_password", None),
        ({"current_password": PASSWORD, "password": "short"}, "password", None),
    ],
    ids=["wrong current password", "short new password"],
)
def test_sessions_password_change_refused_changes_nothing(app, sign_in, form, field, message):
    client = sign_in(Role.MEMBER)
    thief = copy_of(app, client)
    before = stored(client.user).password_hash

    response = client.post("/profile/password", data=form)

    assert response.status_code == 422
    expected = {
        "current_password": "This is not your current password.",
        "password": "At least 12 characters.",
    }[field]
    assert f'data-error-for="{field}">{expected}</p>' in response.text
    assert stored(client.user).password_hash == before
    assert thief.get("/home").status_code == 200


def test_sessions_create_admin_command_ends_the_old_sessions(app, sign_in):
    client = sign_in(Role.ADMIN)

    result = app.test_cli_runner().invoke(
        args=["create-admin", client.user.email, "--password", NEW_PASSWORD]
    )

    assert result.exit_code == 0, result.output
    assert is_visitor(client)


def test_sessions_cookie_without_a_version_signs_nobody_in(app, make_user):
    """Cookies made before session versions existed carry only the user id."""
    user = make_user(Role.ADMIN)
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["user_id"] = user.id

    assert is_visitor(client)


# Counting attempts -------------------------------------------------------------------------


def fail(client, email, times, address="127.0.0.1"):
    return [log_in(client, email, "wrong password", address).status_code for _ in range(times)]


def wait_of(response):
    match = TOO_MANY.search(response.text)
    assert match, response.text
    return int(match.group(1)), match.group(2)


def test_limits_eleventh_wrong_password_in_a_minute_gets_429(app, make_user, clock):
    user = make_user(Role.MEMBER)
    client = app.test_client()

    statuses = fail(client, user.email, 10)
    clock(8)
    blocked = log_in(client, user.email, "wrong password")
    right_password = log_in(client, user.email)

    assert statuses == [401] * 10
    assert blocked.status_code == 429
    seconds, unit = wait_of(blocked)
    assert unit == "seconds" and 45 <= seconds <= 53
    assert 45 <= int(blocked.headers["Retry-After"]) <= 53
    assert '<form method="post" action="/login">' in blocked.text  # on the sign-in page
    assert user.email in blocked.text
    assert right_password.status_code == 429  # guessing right while blocked tells nothing
    assert is_visitor(client)


def test_limits_message_is_in_the_visitors_language(app, make_user):
    user = make_user(Role.MEMBER)
    client = app.test_client()
    client.post("/locale", data={"locale": "ru"})
    fail(client, user.email, 10)

    blocked = log_in(client, user.email, "wrong password")

    assert blocked.status_code == 429
    assert re.search(r"Слишком много попыток\. Попробуйте снова через \d+ секунд", blocked.text)


def test_limits_expire_and_the_real_user_signs_in(app, make_user, clock):
    user = make_user(Role.MEMBER)
    client = app.test_client()
    fail(client, user.email, 10)
    assert log_in(client, user.email).status_code == 429

    clock(61)

    assert log_in(client, user.email).status_code == 302
    assert client.get("/home").status_code == 200


def test_limits_an_attacked_account_does_not_block_the_others(app, make_user):
    attacked, other = make_user(Role.MEMBER), make_user(Role.MEMBER)
    attacker, colleague = app.test_client(), app.test_client()
    fail(attacker, attacked.email, 11)

    assert log_in(colleague, other.email).status_code == 302  # same address, another account
    assert log_in(app.test_client(), attacked.email, address="10.0.0.9").status_code == 429


def test_limits_per_address_across_accounts(app, make_user, clock):
    victims = [make_user(Role.MEMBER) for _ in range(4)]
    bystander = make_user(Role.MEMBER)
    attacker = app.test_client()
    statuses = []
    for victim in victims[:3]:
        statuses += fail(attacker, victim.email, 9, address="10.0.0.66")
    statuses += fail(attacker, victims[3].email, 3, address="10.0.0.66")

    blocked = log_in(app.test_client(), bystander.email, address="10.0.0.66")
    elsewhere = log_in(app.test_client(), bystander.email, address="10.0.0.7")
    clock(61)
    later = log_in(app.test_client(), bystander.email, address="10.0.0.66")

    assert statuses == [401] * 30
    assert blocked.status_code == 429 and wait_of(blocked)[1] == "seconds"
    assert elsewhere.status_code == 302
    assert later.status_code == 302


def test_limits_an_hour_holds_at_most_100_failures_per_account(app, make_user, clock):
    """ASVS 2.2.1: no more than 100 failed attempts an hour on one account."""
    user = make_user(Role.MEMBER)
    client = app.test_client()
    statuses = []
    for minute in range(10):
        statuses += fail(client, user.email, 10, address=f"10.0.1.{minute}")
        clock(61)

    blocked = log_in(client, user.email, "wrong password", address="10.0.2.1")

    assert statuses == [401] * 100
    assert blocked.status_code == 429
    assert wait_of(blocked)[1] == "minutes"


def test_limits_profile_password_guesses_count_against_the_account(app, sign_in):
    client = sign_in(Role.MEMBER)
    for _ in range(10):
        client.post("/profile/password", data={"current_password": "x", "password": NEW_PASSWORD})

    refused = client.post(
        "/profile/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD}
    )
    sign_in_elsewhere = log_in(app.test_client(), client.user.email, address="10.0.0.8")

    assert refused.status_code == 429 and TOO_MANY.search(refused.text)
    assert sign_in_elsewhere.status_code == 429
    assert stored(client.user).check_password(PASSWORD)


ANOTHER_WORKER = """
import json, sys
from app import create_app
client = create_app(json.loads(sys.argv[1])).test_client()
data = {"email": sys.argv[2], "password": "wrong password"}
print(json.dumps([client.post("/login", data=data).status_code for _ in range(10)]))
"""


def another_worker_then_this_one(app, user, tmp_path, **storage):
    """Ten failures counted by another process (another gunicorn worker), then this
    process's attempt: (the other's answers, this answer)."""
    settings = {
        "DATABASE_URL": app.config["DATABASE_URL"],
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        **storage,
    }
    worker = subprocess.run(
        [sys.executable, "-c", ANOTHER_WORKER, json.dumps(settings), user.email],
        cwd=ROOT,
        env={**os.environ, "HUEY_SQLITE_PATH": str(tmp_path / "huey.db")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == 0, worker.stderr
    this_worker = create_app(settings).test_client()
    answer = this_worker.post("/login", data={"email": user.email, "password": PASSWORD})
    return json.loads(worker.stdout.splitlines()[-1]), answer


def test_limits_are_shared_by_every_worker_through_redis(app, make_user, redis_url, tmp_path):  # noqa: F811
    """With REDIS_URL the counts live in Redis."""
    others, answer = another_worker_then_this_one(
        app, make_user(Role.MEMBER), tmp_path, REDIS_URL=redis_url
    )
    assert others == [401] * 10
    assert answer.status_code == 429 and TOO_MANY.search(answer.text)


def test_limits_are_shared_by_every_worker_through_a_sqlite_file(app, make_user, tmp_path):
    """Without Redis (the `make run` default) the counts live in a SQLite file of their own."""
    storage = f"convene-sqlite://{tmp_path / 'limits.db'}"
    others, answer = another_worker_then_this_one(
        app, make_user(Role.MEMBER), tmp_path, RATELIMIT_STORAGE_URI=storage
    )
    assert others == [401] * 10
    assert answer.status_code == 429 and TOO_MANY.search(answer.text)


# A forgotten password ----------------------------------------------------------------------


def ask_for_link(client, email, address="127.0.0.1"):
    return client.post(
        "/password/forgot", data={"email": email}, environ_base={"REMOTE_ADDR": address}
    )


def link_in(message):
    text = message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/password/reset/\S+", text).group(0)


def test_reset_whole_flow_through_smtp(app, smtp, make_user):
    user = make_user(Role.MEMBER, email="forgetful@example.com")
    browser, other_device = app.test_client(), app.test_client()
    assert log_in(other_device, user.email).status_code == 302
    login_page = browser.get("/login").text
    assert 'href="/password/forgot"' in login_page and "Forgot your password?" in login_page

    answer = ask_for_link(browser, "Forgetful@Example.com ")

    assert answer.status_code == 200 and SENT in answer.text
    [message] = smtp.messages
    assert message["To"] == "forgetful@example.com"
    assert message["Subject"] == "Set a new password for Convene"
    link = link_in(message)
    path = urlsplit(link).path
    assert link.startswith(app.config["PUBLIC_URL"])
    assert path in message.get_body(("html",)).get_content()

    form = browser.get(path)
    assert form.status_code == 200 and 'name="password"' in form.text
    assert form.headers["Referrer-Policy"] == "no-referrer"
    done = browser.post(path, data={"password": NEW_PASSWORD})

    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert browser.get("/home").status_code == 200  # signed in
    assert is_visitor(other_device)  # every other session ended
    assert log_in(app.test_client(), user.email).status_code == 401
    assert log_in(app.test_client(), user.email, NEW_PASSWORD).status_code == 302
    again = app.test_client().get(path)
    assert again.status_code == 400 and NOT_VALID in again.text
    reuse = app.test_client().post(path, data={"password": "yet another password"})
    assert reuse.status_code == 400
    assert stored(user).check_password(NEW_PASSWORD)


def test_reset_email_is_in_the_recipients_language(app, smtp, make_user):
    make_user(Role.MEMBER, email="ru@example.com", locale="ru")

    ask_for_link(app.test_client(), "ru@example.com")

    [message] = smtp.messages
    assert message["Subject"] == "Новый пароль для Convene"
    assert "Ссылка работает один раз, в течение часа." in message.get_body(("plain",)).get_content()


def test_reset_unknown_or_inactive_email_gets_the_same_answer_and_no_email(app, smtp, make_user):
    make_user(Role.MEMBER, email="known@example.com")
    make_user(Role.MEMBER, email="gone@example.com", is_active=False)

    def answer(email):
        response = ask_for_link(app.test_client(), email)
        body = re.sub(r'name="csrf_token" value="[^"]+"', "", response.text)
        body = re.sub(r'"X-CSRFToken": "[^"]+"', "", body)
        return response.status_code, body

    known, unknown, inactive = (
        answer("known@example.com"),
        answer("nobody@example.com"),
        answer("gone@example.com"),
    )

    assert known == unknown == inactive
    assert known[0] == 200 and SENT in known[1]
    assert [m["To"] for m in smtp.messages] == ["known@example.com"]
    with db.connection_context():
        assert Email.select().count() == 1


def test_reset_link_expires_after_an_hour(app, make_user, clock):
    user = make_user(Role.MEMBER)
    path = reset_path(app, user)
    client = app.test_client()
    clock(59 * 60)
    assert client.get(path).status_code == 200

    clock(2 * 60)
    response = client.get(path)
    posted = client.post(path, data={"password": NEW_PASSWORD})

    assert response.status_code == 400 and EXPIRED in response.text
    assert posted.status_code == 400
    assert stored(user).check_password(PASSWORD)


@pytest.mark.parametrize(
    "garble",
    [
        lambda token: "garbage",
        lambda token: token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        lambda token: token.replace(".", "", 1),
        lambda token: token + "%00",
        lambda token: "x" * 3000,
        lambda token: "..",
    ],
    ids=["garbage", "bad signature", "broken structure", "nul", "very long", "dots"],
)
def test_reset_garbled_link_is_refused_clearly(app, make_user, garble):
    user = make_user(Role.MEMBER)
    token = garble(reset_path(app, user).rsplit("/", 1)[1])

    response = app.test_client().get(f"/password/reset/{token}")
    posted = app.test_client().post(f"/password/reset/{token}", data={"password": NEW_PASSWORD})

    assert response.status_code in (400, 404), response.text
    if response.status_code == 400:  # a NUL is refused before the link is read
        assert NOT_VALID in response.text or "NUL character" in response.text
    assert posted.status_code in (400, 404)
    assert stored(user).check_password(PASSWORD)


def test_reset_link_of_another_purpose_or_key_is_refused(app, make_user):
    from itsdangerous import URLSafeTimedSerializer

    user = make_user(Role.MEMBER)
    other_salt = URLSafeTimedSerializer("test-secret", salt="group-invitation").dumps(
        [user.id, "accept"]
    )
    other_key = URLSafeTimedSerializer("another-secret", salt=access.RESET_SALT).dumps(
        [user.id, "0" * 24]
    )

    for token in (other_salt, other_key):
        response = app.test_client().get(f"/password/reset/{token}")
        assert response.status_code == 400 and NOT_VALID in response.text


def test_reset_link_dies_when_the_account_is_deactivated_or_its_email_changes(app, make_user):
    first, second = make_user(Role.MEMBER), make_user(Role.MEMBER)
    first_path, second_path = reset_path(app, first), reset_path(app, second)
    with db.connection_context():
        User.update(is_active=False).where(User.id == first.id).execute()
        User.update(email="moved@example.com").where(User.id == second.id).execute()

    for path in (first_path, second_path):
        response = app.test_client().get(path)
        assert response.status_code == 400 and NOT_VALID in response.text


def test_reset_short_password_is_refused_and_the_link_still_works(app, make_user):
    user = make_user(Role.MEMBER)
    path = reset_path(app, user)
    client = app.test_client()

    response = client.post(path, data={"password": "short"})

    assert response.status_code == 422
    assert 'data-error-for="password">At least 12 characters.</p>' in response.text
    assert stored(user).check_password(PASSWORD)
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 302


def test_reset_requests_are_limited_the_same_for_known_and_unknown_emails(app, make_user, clock):
    make_user(Role.MEMBER, email="known@example.com")
    client = app.test_client()

    def requests(email, address):
        return [ask_for_link(client, email, address).status_code for _ in range(4)]

    assert requests("known@example.com", "10.0.3.1") == [200, 200, 200, 429]
    assert requests("nobody@example.com", "10.0.3.2") == [200, 200, 200, 429]
    blocked = ask_for_link(client, "known@example.com", "10.0.3.3")
    assert blocked.status_code == 429 and wait_of(blocked)[1] == "minutes"
    with db.connection_context():
        assert Email.select().count() == 3

    clock(15 * 60 + 1)
    assert ask_for_link(client, "known@example.com", "10.0.3.1").status_code == 200


def test_reset_requests_per_address(app, clock):
    client = app.test_client()
    statuses = [
        ask_for_link(client, f"person{n}@example.com", "10.0.4.1").status_code for n in range(11)
    ]

    assert statuses == [200] * 10 + [429]
    assert ask_for_link(client, "person0@example.com", "10.0.4.2").status_code == 200


@pytest.mark.browser
def test_reset_in_chromium_on_a_phone_with_the_keyboard(page, live_server, make_user):
    """The whole flow as a person does it: from the sign-in page to the home page, at 375 px,
    typing and pressing Enter, with no Content-Security-Policy complaint on the way."""
    user = make_user(Role.MEMBER, email="lost@example.com")
    refusals = []
    page.on("console", lambda line: "Content Security Policy" in line.text and refusals.append(1))
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/login")

    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(user.email)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(SENT)
    with db.connection_context():
        link = re.search(r"https?://\S+/password/reset/\S+", Email.get().text_body).group(0)
    page.goto(live_server.url + urlsplit(link).path)
    page.get_by_label("New password for lost@example.com").fill(NEW_PASSWORD)
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live_server.url}/home")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert refusals == []
    assert stored(user).check_password(NEW_PASSWORD)


def test_limits_sqlite_window_moves_with_time(tmp_path, clock):
    from foundation.rate_limits import SqliteAttempts

    attempts = SqliteAttempts(f"convene-sqlite://{tmp_path / 'limits.db'}")
    assert [attempts.acquire_entry("k", 3, 60) for _ in range(4)] == [True, True, True, False]
    assert attempts.get_moving_window("k", 3, 60)[1] == 3
    clock(61)  # the window has moved past every attempt
    assert attempts.get_moving_window("k", 3, 60)[1] == 0
    assert attempts.acquire_entry("k", 3, 60) and not attempts.acquire_entry("other", 0, 60)
