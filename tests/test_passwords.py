"""Password rules of ASVS level 2: at least 12 characters wherever a password is set (old
shorter ones keep working until changed), an email to the owner whenever an existing
account's password changes, and sign-ins that end after a time without any request."""

import pytest
from conftest import PASSWORD
from test_sign_in_security import clock, is_visitor, log_in, reset_path, stored  # noqa: F401

from messaging import mail
from models import Email, Role, User, db

ELEVEN = "eleven char"
TWELVE = "twelve chars"
TOLD = "The password of your Convene account was just changed."


def changed_notices(user):
    with db.connection_context():
        return list(Email.select().where(Email.user == user.id, Email.kind == "password_changed"))


def delivered_text(app, user):
    with app.app_context(), db.connection_context():
        mail.deliver_due()
        return Email.get(Email.user == user.id, Email.kind == "password_changed").text_body


def test_every_place_a_password_is_set_asks_for_12_characters(app, sign_in, make_user):
    member = sign_in(Role.MEMBER)
    admin = sign_in(Role.ADMIN)
    other = make_user(Role.MEMBER, email="other@example.com")
    message = "At least 12 characters."

    profile = member.post(
        "/profile/password", data={"current_password": PASSWORD, "password": ELEVEN}
    )
    reset = app.test_client().post(reset_path(app, other), data={"password": ELEVEN})
    new_user = admin.post(
        "/admin/users",
        data={"email": "new@example.com", "name": "New", "role": "member", "password": ELEVEN},
        headers={"HX-Request": "true"},
    )
    edited = admin.post(
        f"/admin/users/{other.id}",
        data={
            "email": other.email,
            "name": "Other",
            "role": "member",
            "is_active": "on",
            "password": ELEVEN,
        },
        headers={"HX-Request": "true"},
    )
    command = app.test_cli_runner().invoke(
        args=["create-admin", "boss@example.com", "--password", ELEVEN]
    )

    for response in (profile, reset, new_user, edited):
        assert response.status_code == 422 and message in response.text, response.text[:500]
    assert command.exit_code != 0 and "use at least 12 characters" in command.output
    assert stored(other).check_password(PASSWORD)
    with db.connection_context():
        assert (
            not User.select()
            .where(User.email.in_(["new@example.com", "boss@example.com"]))
            .exists()
        )
    assert (
        member.post(
            "/profile/password", data={"current_password": PASSWORD, "password": TWELVE}
        ).status_code
        == 200
    )


def test_an_old_short_password_keeps_working_until_changed(app, make_user):
    user = make_user(Role.MEMBER)
    with db.connection_context():
        row = User.get_by_id(user.id)
        row.set_password("eight ch")
        row.save()

    assert log_in(app.test_client(), user.email, "eight ch").status_code == 302


def test_a_changed_password_is_told_to_its_owner_from_the_profile(app, sign_in):
    member = sign_in(Role.MEMBER)

    member.post("/profile/password", data={"current_password": PASSWORD, "password": TWELVE})

    assert len(changed_notices(member.user)) == 1
    assert TOLD in delivered_text(app, member.user)


def test_a_changed_password_is_told_after_a_reset_and_an_admins_edit(app, admin, make_user):
    forgetful = make_user(Role.MEMBER, email="forgetful@example.com")
    edited = make_user(Role.MEMBER, email="edited@example.com")

    app.test_client().post(reset_path(app, forgetful), data={"password": TWELVE})
    admin.post(
        f"/admin/users/{edited.id}",
        data={
            "email": edited.email,
            "name": "Edited",
            "role": "member",
            "is_active": "on",
            "password": TWELVE,
        },
        headers={"HX-Request": "true"},
    )
    admin.post(
        "/admin/users",
        data={"email": "new@example.com", "name": "New", "role": "member", "password": TWELVE},
        headers={"HX-Request": "true"},
    )

    assert len(changed_notices(forgetful)) == 1 and len(changed_notices(edited)) == 1
    with db.connection_context():
        assert Email.select().where(Email.kind == "password_changed").count() == 2  # not the new
    assert stored(edited).check_password(TWELVE)


def test_create_admin_tells_the_owner_of_an_existing_account(app, make_user):
    user = make_user(Role.MEMBER, email="promoted@example.com")

    result = app.test_cli_runner().invoke(args=["create-admin", user.email, "--password", TWELVE])

    assert result.exit_code == 0, result.output
    assert len(changed_notices(user)) == 1
    assert stored(user).role == Role.ADMIN


def test_the_email_says_so_in_russian_too(app, sign_in):
    member = sign_in(Role.MEMBER, locale="ru")

    member.post("/profile/password", data={"current_password": PASSWORD, "password": TWELVE})

    text = delivered_text(app, member.user)
    assert "Пароль вашей учётной записи в Convene только что изменён." in text
    assert "/password/forgot" in text


# Idle sessions ------------------------------------------------------------------------------

HOUR = 3600


def test_an_admins_sign_in_ends_after_12_idle_hours(sign_in, clock):  # noqa: F811
    admin = sign_in(Role.ADMIN)
    clock(11 * HOUR)
    assert admin.get("/admin/users").status_code == 200
    clock(11 * HOUR)  # idle 11 hours since the last request: still in
    assert admin.get("/admin/users").status_code == 200
    clock(12 * HOUR + 60)

    assert is_visitor(admin)


def test_a_members_sign_in_lasts_14_idle_days(sign_in, clock):  # noqa: F811
    member = sign_in(Role.MEMBER)
    clock(13 * 24 * HOUR)
    assert member.get("/home").status_code == 200
    clock(13 * 24 * HOUR)
    assert member.get("/home").status_code == 200
    clock(14 * 24 * HOUR + 60)

    assert is_visitor(member)


def test_the_idle_limits_are_settings(app, sign_in, clock):  # noqa: F811
    app.config["IDLE_TIMEOUT_HOURS"] = 1
    member = sign_in(Role.MEMBER)
    clock(HOUR + 60)

    assert member.htmx("get", "/home").status_code == 401  # app.js says "signed out"


@pytest.mark.parametrize("role", [Role.MEMBER, Role.ADMIN])
def test_a_cookie_without_a_last_request_time_signs_nobody_in(app, make_user, role):
    user = make_user(role)
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["user_id"] = user.id
        cookie["session_version"] = stored(user).session_version

    assert is_visitor(client)
