"""Private links stay private, and every answer carries the headers that say so: pages of a
private link (`@private_link`) are never cached and send no Referer, signed-in pages are
never cached, the email log masks the links' tokens and offers "Send again", and
Message-IDs reveal nothing of the key they are made from."""

import re
from email import message_from_bytes
from pathlib import Path

import pytest
from assessment_fixtures import add_people, give_raters, make_assessment, make_detail

import config
from accounts.access import _rule_pattern, is_private_link_request, mask_private_links
from assessments import outreach
from messaging import mail
from models import Email, Role, db

PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@pytest.fixture
def rater(app, make_user):
    """A rater with a live private link, and their invitation delivered (to the outbox)."""
    participant_user = make_user(Role.MEMBER, email="participant@example.com")
    with app.test_request_context("/"), db.connection_context():
        detail = make_detail(make_assessment())
        (participant,) = add_people(detail, [participant_user])
        (rater,) = give_raters(participant, [("peer", None)])
        outreach.rater_invitation(rater, participant_user, "UTC")
        mail.deliver_due()
    return rater


def assert_common_headers(response):
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "microphone=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_signed_in_page_is_never_cached(sign_in):
    response = sign_in(Role.MEMBER).get("/home")

    assert response.status_code == 200
    assert_common_headers(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_a_public_page_carries_the_headers_and_may_be_cached(app):
    response = app.test_client().get("/login")

    assert response.status_code == 200
    assert_common_headers(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_static_files_stay_cacheable_when_signed_in(sign_in):
    response = sign_in(Role.MEMBER).get("/static/app.css")
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_every_private_link_page_sends_no_referrer_and_no_store(app, rater, make_user):
    member = make_user(Role.MEMBER, calendar_token="c" * 32)
    paths = [
        f"/r/{rater.token}",  # the rater's survey (the reported case)
        "/r/not-a-live-token-at-all",
        f"/calendar/{member.calendar_token}.ics",
        "/invitations/not-a-valid-invitation",
        "/password/reset/not-a-valid-token",
    ]
    for path in paths:
        response = app.test_client().get(path)
        assert response.status_code < 500, path
        for name, value in PRIVATE.items():
            assert response.headers[name] == value, (path, name)
        assert_common_headers(response)


def test_https_adds_hsts_and_secure_cookies(app, monkeypatch, make_user):
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
    app.config["PUBLIC_URL"] = "https://convene.example"
    assert (
        app.test_client().get("/login").headers["Strict-Transport-Security"].startswith("max-age=")
    )
    monkeypatch.setenv("PUBLIC_URL", "https://convene.example")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert config.from_environment()["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("PUBLIC_URL", "http://127.0.0.1:5000")
    assert config.from_environment()["SESSION_COOKIE_SECURE"] is False


def test_every_route_with_a_token_in_its_path_is_a_private_link(app):
    """A route that takes a secret in its path must say so; the check finds one that does
    not (a route added for the purpose)."""

    def unmarked_routes(application):
        return [
            rule.rule
            for rule in application.url_map.iter_rules()
            if "token>" in rule.rule
            and not getattr(application.view_functions[rule.endpoint], "is_private_link", False)
        ]

    assert unmarked_routes(app) == []
    with app.test_request_context("/r/abc"):
        assert is_private_link_request()

    from app import create_app

    other = create_app(dict(app.config))
    other.add_url_rule("/forgotten/<token>", "forgotten", lambda token: token)
    assert unmarked_routes(other) == ["/forgotten/<token>"]


def test_masking_hides_every_private_links_token(app):
    with app.app_context():
        text = (
            "Answer here: http://x.test/r/abcdefghijklmnop1234 or "
            '<a href="http://x.test/group-sessions/12/decide/eyJhIjoxfQ.ZZZ.sig-_x">keep</a> '
            "feed http://x.test/calendar/QWERTYUIOPASDFGH.ics and /events/12 stays."
        )
        masked = mask_private_links(text)
    for token in ("abcdefghijklmnop1234", "eyJhIjoxfQ.ZZZ.sig-_x", "QWERTYUIOPASDFGH"):
        assert token not in masked
    assert "/r/••••••••" in masked and "/calendar/••••••••.ics" in masked
    assert "/group-sessions/12/decide/••••••••" in masked and "/events/12 stays." in masked
    assert re.fullmatch(_rule_pattern("/r/<token>"), "/r/abcdefgh")


# The email log ------------------------------------------------------------------------------


def test_the_email_log_never_shows_a_live_token(app, admin, rater):
    with db.connection_context():
        email = Email.get(Email.kind == "assessment_rater_invitation")
    assert rater.token in email.text_body  # the recipient got the link

    pages = [
        admin.get("/admin/emails").text,
        admin.get(f"/admin/emails/{email.id}").text,
        admin.get(f"/admin/emails/{email.id}/body.html").text,
        admin.get("/admin/emails?q=Rater").text,
    ]
    for page in pages:
        assert rater.token not in page
        assert rater.token[:12] not in page
    assert "/r/••••••••" in pages[1] and "/r/••••••••" in pages[2]
    assert "The private links in this email are hidden" in pages[1]
    assert "Send again" in pages[1]


def test_a_password_reset_link_is_masked_in_the_log(app, admin, make_user):
    user = make_user(Role.MEMBER, email="forgetful@example.com")
    app.test_client().post("/password/forgot", data={"email": user.email})
    with app.app_context(), db.connection_context():
        mail.deliver_due()
        email = Email.get(Email.kind == "password_reset")
    token = re.search(r"/password/reset/(\S+)", email.text_body).group(1)

    page = (
        admin.get(f"/admin/emails/{email.id}").text
        + admin.get(f"/admin/emails/{email.id}/body.html").text
    )

    assert token not in page and token[:12] not in page
    assert "/password/reset/••••••••" in page


def test_message_ids_reveal_nothing_of_the_token(app, rater):
    sent = [
        message_from_bytes(path.read_bytes()) for path in Path(app.config["OUTBOX_DIR"]).iterdir()
    ]
    ids = [message["Message-ID"] for message in sent]
    assert len(ids) == 1
    assert rater.token[:12] not in ids[0] and "assessment_rater" not in ids[0]
    assert re.fullmatch(r"<[0-9a-f]{40}@convene>", ids[0])
    assert not any(
        rater.token[:12] in path.name for path in Path(app.config["OUTBOX_DIR"]).iterdir()
    )


def test_send_again_queues_the_same_notice_as_a_new_email(app, admin, rater):
    with db.connection_context():
        email = Email.get(Email.kind == "assessment_rater_invitation")

    response = admin.post(f"/admin/emails/{email.id}/send-again")

    with db.connection_context():
        copies = list(Email.select().where(Email.id != email.id))
    assert len(copies) == 1
    copy = copies[0]
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/emails/{copy.id}"
    assert (copy.kind, copy.to_address, copy.context) == (
        email.kind,
        email.to_address,
        email.context,
    )
    assert copy.key != email.key
    with app.app_context(), db.connection_context():
        mail.deliver_due()
        assert rater.token in Email.get_by_id(copy.id).text_body
