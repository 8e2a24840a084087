"""The shell every page shares, seen over HTTP: the branded error page, logging, and links
built for the address the app really runs on; its parts drawn once per the values that shape
them (views/fragments.py drawn_for) still follow each viewer."""

import logging

from test_group_sessions import FORM as GROUP_SESSION

import config
from accounts.access import VISITOR, allow
from models import Company, Role, db


def _failing_route(app):
    def explode():
        raise ZeroDivisionError("a bug in a handler")

    app.add_url_rule("/explode", "explode", allow(VISITOR)(explode))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production, not as in TESTING


def test_shell_server_error_is_a_branded_page_in_the_viewers_language(app, caplog):
    _failing_route(app)
    with caplog.at_level(logging.ERROR):
        answer = app.test_client().get("/explode", headers={"Accept-Language": "ru"})
    assert answer.status_code == 500
    page = answer.get_data(as_text=True)
    assert "Что-то пошло не так на нашей стороне. Ничего не изменено." in page
    assert "Convene" in page and "Internal Server Error" not in page
    logged = [record for record in caplog.records if record.exc_info]
    assert logged and logged[0].exc_info[0] is ZeroDivisionError


def test_shell_server_error_in_english(app):
    _failing_route(app)
    answer = app.test_client().get("/explode", headers={"Accept-Language": "en"})
    assert "Something went wrong on our side. Nothing was changed." in answer.text


def test_shell_public_url_follows_the_bind_address(monkeypatch):
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.setenv("PORT", "5101")
    assert config.from_environment()["PUBLIC_URL"] == "http://127.0.0.1:5101"
    monkeypatch.setenv("HOST", "::1")
    assert config.from_environment()["PUBLIC_URL"] == "http://[::1]:5101"
    monkeypatch.setenv("PUBLIC_URL", "https://convene.example.org/")
    assert config.from_environment()["PUBLIC_URL"] == "https://convene.example.org"


def test_shell_share_link_uses_the_port_the_app_runs_on(monkeypatch, app, sign_in):
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.setenv("PORT", "5101")
    app.config["PUBLIC_URL"] = config.from_environment()["PUBLIC_URL"]
    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()
    host = sign_in(Role.HOST)
    created = host.htmx("post", "/group-sessions", data=GROUP_SESSION)
    assert "http://127.0.0.1:5101/s/" in created.text
    assert 'data-copy="http://127.0.0.1:5101/s/' in host.get("/host/sessions").text


def test_shell_log_level_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert config.from_environment()["LOG_LEVEL"] == "DEBUG"


def test_shell_every_answer_carries_the_security_headers(app, sign_in):
    member = sign_in(Role.MEMBER)
    for answer in [member.get("/home"), app.test_client().get("/login"), member.get("/nowhere")]:
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in answer.headers  # plain http here


def test_shell_https_adds_hsts_and_secure_cookies(app, monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://convene.example.org")
    assert config.from_environment()["SESSION_COOKIE_SECURE"] is True
    app.config["PUBLIC_URL"] = "https://convene.example.org"
    answer = app.test_client().get("/login")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")


def test_shell_pages_have_no_inline_script_or_handlers(app, sign_in, make_event):
    admin = sign_in(Role.ADMIN)
    event = make_event(is_active=True)
    for path in ["/admin/events", f"/admin/events/{event.id}", "/profile", "/login"]:
        page = admin.get(path).text
        assert "<script>" not in page and " onclick=" not in page and "hx-on" not in page, path


# Parts drawn once (views/fragments.py drawn_for) ----------------------------------------


def _nav_of(response):
    text = response.text
    return text[text.index("<nav aria-label") : text.index("</nav>")]


def test_shell_each_role_language_and_page_sees_its_own_header(app, sign_in):
    admin, member = sign_in(Role.ADMIN), sign_in(Role.MEMBER)
    admin_nav, member_nav = _nav_of(admin.get("/admin/events")), _nav_of(member.get("/home"))
    assert "/admin/users" in admin_nav and "/admin/users" not in member_nav
    assert 'aria-current="page"' in admin_nav and 'aria-current="page"' in member_nav

    # Same page and language, another role: the host's header has their sessions.
    host_nav = _nav_of(sign_in(Role.HOST).get("/home"))
    assert "/host" in host_nav and "/host" not in member_nav

    # The member's other page marks its own link; the admin's header is unchanged by it.
    profile_nav = _nav_of(member.get("/profile"))
    assert profile_nav != member_nav
    assert _nav_of(admin.get("/admin/events")) == admin_nav

    russian = sign_in(Role.MEMBER, locale="ru")
    russian_page = russian.get("/home")
    assert "Профиль" in _nav_of(russian_page) and "Profile" in member_nav
    assert 'lang="ru"' in russian_page.text and 'lang="en"' in member.get("/home").text


def test_shell_page_end_follows_the_upload_limit(app, admin):
    app.config["MAX_CONTENT_LENGTH"] = 2**20
    assert "larger than 1 MB" in admin.get("/admin/events").text
    app.config["MAX_CONTENT_LENGTH"] = 3 * 2**20
    assert "larger than 3 MB" in admin.get("/admin/events").text
