"""The admin lists over HTTP, Users and the Email log: search, filters, sort and page in the
URL, natural order, real pager links, resending the selected failed emails in one go, an
email opened with its bodies, and a query count that does not grow with the data."""

import re
from html import unescape

import pytest
from conftest import FAST_HASH, count_queries

from messaging import mail
from models import Email, EmailStatus, NaturalOrder, Role, User, db, natural_key
from views.listing import PAGE_SIZE


def add_people(count, start=1, **fields):
    """Members "Person <n>" (person<n>@example.com), n counting from `start`."""
    rows = [
        {
            "email": f"person{number}@example.com",
            "name": f"Person {number}",
            "password_hash": FAST_HASH,
            "role": Role.MEMBER,
            **fields,
        }
        for number in range(start, start + count)
    ]
    with db.connection_context():
        for first in range(0, count, 200):
            User.insert_many(rows[first : first + 200]).execute()


def add_emails(count, start=1, status=EmailStatus.SENT, **fields):
    """Delivered emails "Notice <n>" to person<n>@example.com, oldest first."""
    rows = [
        {
            "key": f"test:{status}:{number}",
            "to_address": f"person{number}@example.com",
            "subject": f"Notice {number}",
            "text_body": f"Hello {number}",
            "html_body": f"<p>Hello {number}</p>",
            "status": status,
            **fields,
        }
        for number in range(start, start + count)
    ]
    with db.connection_context():
        for first in range(0, count, 200):
            Email.insert_many(rows[first : first + 200]).execute()


def user_names(page):
    return [
        unescape(name) for name in re.findall(r'<tr id="user-\d+"[^>]*>\s*<td>([^<]*)</td>', page)
    ]


def recipients(page):
    return re.findall(r'<tr id="email-\d+">(?:(?!</tr>).)*?<td>([^<@]+@[^<]+)</td>', page, re.S)


def caption(page):
    return " ".join(re.search(r"<caption>(.*?)</caption>", page, re.S).group(1).split())


def hrefs(page, selector="pager"):
    block = re.search(rf'<nav class="{selector}".*?</nav>', page, re.S).group(0)
    return [unescape(href) for href in re.findall(r'href="([^"]*)"', block)]


def stored(model, row_id):
    with db.connection_context():
        return model.get_by_id(row_id)


# Natural order -----------------------------------------------------------------------------


def test_natural_key_orders_numbers_by_their_value():
    names = ["Person 10", "person 2", "Person 1", "Person 007", "Person 2b", "Ёлка 3", "Anna"]
    assert sorted(names, key=natural_key) == [
        "Anna",
        "Person 1",
        "person 2",
        "Person 2b",
        "Person 007",
        "Person 10",
        "Ёлка 3",
    ]


@pytest.mark.every_database
def test_natural_order_is_the_same_in_sqlite_and_postgresql(app, make_user):
    for name in ["Person 10", "Person 2", "Person 1", "Person 100", "Person 9 b", "Person 9 a"]:
        make_user(name=name)
    with db.connection_context():
        query = User.select(User.name).order_by(NaturalOrder(User.name), User.id)
        names = [user.name for user in query]
        backwards = [user.name for user in query.order_by(NaturalOrder(User.name).desc())]
    expected = ["Person 1", "Person 2", "Person 9 a", "Person 9 b", "Person 10", "Person 100"]
    assert names == expected
    assert backwards == expected[::-1]


# Users -------------------------------------------------------------------------------------


def test_users_list_answers_one_page_with_real_pager_links(admin):
    add_people(120)

    page = admin.get("/admin/users").text

    assert len(user_names(page)) == PAGE_SIZE == 50
    assert caption(page) == "121 users · page 1 of 3"
    assert user_names(page)[:3] == ["Admin 0", "Person 1", "Person 2"]
    assert user_names(page)[-1] == "Person 49"
    assert 'href="#"' not in page
    assert hrefs(page) == [
        "/admin/users",
        "/admin/users?page=2",
        "/admin/users?page=3",
        "/admin/users?page=2",  # next
    ]
    assert 'aria-current="page"><span class="visually-hidden">Page </span>1</a>' in page


def test_users_list_state_comes_from_the_url(admin, make_user):
    add_people(120)
    add_people(5, start=500, is_active=False)
    make_user(Role.HOST, name="Person 1000 Host")

    page = admin.get("/admin/users?q=person&role=member&status=active&page=2").text

    assert 'name="q" value="person"' in page
    assert '<option value="member" selected>' in page
    assert '<option value="active" selected>' in page
    assert caption(page) == "120 users · page 2 of 3"
    assert user_names(page) == [f"Person {number}" for number in range(51, 101)]
    query = "q=person&role=member&status=active"
    assert hrefs(page) == [
        f"/admin/users?{query}",  # previous: the first page needs no number
        f"/admin/users?{query}",
        f"/admin/users?{query}&page=2",
        f"/admin/users?{query}&page=3",
        f"/admin/users?{query}&page=3",  # next
    ]
    # Sorting keeps the search and filters, and starts again from the first page.
    assert f'href="/admin/users?{query.replace("&", "&amp;")}&amp;sort=email&amp;dir=asc"' in page


@pytest.mark.every_database
def test_users_sort_naturally_by_name_email_and_role(admin, make_user):
    add_people(12)
    make_user(Role.HOST, name="Person 5 Host", email="host@example.com")

    by_name = admin.get("/admin/users?q=person").text
    backwards = admin.get("/admin/users?q=person&sort=name&dir=desc").text
    by_email = admin.get("/admin/users?q=person&sort=email").text
    by_role = admin.get("/admin/users?q=person&sort=role").text

    members = [f"Person {number}" for number in range(1, 13)]
    assert user_names(by_name) == members[:5] + ["Person 5 Host"] + members[5:]
    assert user_names(backwards) == (members[:5] + ["Person 5 Host"] + members[5:])[::-1]
    assert user_names(by_email) == ["Person 5 Host"] + members  # host@ before person1@
    assert user_names(by_role) == ["Person 5 Host"] + members  # host before member
    assert '<th scope="col" aria-sort="ascending">' in by_name
    assert '<th scope="col" aria-sort="descending">' in backwards
    # The sorted header's link turns the order round; the others start their own.
    assert 'href="/admin/users?q=person&amp;sort=name&amp;dir=desc"' in by_name
    assert 'href="/admin/users?q=person"' in backwards
    assert by_email.count("aria-sort=") == 1


def test_users_filters_by_role_and_state(admin, make_user):
    add_people(3)
    add_people(2, start=10, is_active=False)
    make_user(Role.HOST, name="Hana Host")

    inactive = admin.get("/admin/users?status=inactive").text
    hosts = admin.get("/admin/users?role=host").text
    by_email = admin.get("/admin/users?q=PERSON2@").text

    assert user_names(inactive) == ["Person 10", "Person 11"]
    assert inactive.count("· inactive") == 2
    assert user_names(hosts) == ["Hana Host"]
    assert user_names(by_email) == ["Person 2"]
    assert "No users match." in admin.get("/admin/users?q=nobody").text


def test_users_list_survives_any_query_string(admin):
    add_people(60)

    page = admin.get("/admin/users?role=owner&status=gone&sort=password&dir=up&page=²").text
    past_the_end = admin.get("/admin/users?page=99").text

    assert "Unknown role in the filter; showing all roles." in page
    assert "Unknown state in the filter; showing all users." in page
    assert caption(page) == "61 users · page 1 of 2"
    assert user_names(page)[:2] == ["Admin 0", "Person 1"]
    assert caption(past_the_end) == "61 users · page 2 of 2"


def test_users_list_asked_by_htmx_answers_the_table_and_its_sort(admin):
    add_people(3)

    response = admin.htmx(
        "get", "/admin/users?q=person&sort=email&dir=desc", headers={"HX-Target": "user-table"}
    )

    assert response.text.startswith('<div id="user-table"')
    assert "<h1>" not in response.text and 'id="user-form"' not in response.text
    assert user_names(response.text) == ["Person 3", "Person 2", "Person 1"]
    # The search form keeps the sort for the next search.
    assert (
        '<span id="user-table-sort" hx-swap-oob="true">'
        '<input type="hidden" name="sort" value="email">'
        '<input type="hidden" name="dir" value="desc"></span>'
    ) in response.text
    assert {"HX-Request", "HX-Target"} <= set(response.vary)
    assert '<span id="user-table-sort"></span>' in admin.get("/admin/users").text


def test_users_rows_edit_in_place_as_table_rows(admin, make_user):
    user = make_user(Role.MEMBER, name="Rowan")

    editing = admin.htmx("get", f"/admin/users/{user.id}/edit").text
    cancelled = admin.htmx("get", f"/admin/users/{user.id}").text
    created = admin.htmx(
        "post",
        "/admin/users",
        data={"email": "new@example.com", "name": "New", "role": "member", "password": "x" * 10},
    ).text

    assert editing.startswith(f'<tr id="user-{user.id}" class="editing">')
    assert '<td colspan="5">' in editing and 'hx-target="closest tr"' in editing
    assert 'aria-label="Edit Rowan"' in editing
    assert cancelled.startswith(f'<tr id="user-{user.id}">')
    assert 'Edit<span class="visually-hidden"> Rowan</span>' in cancelled
    # The new row goes into the table; the cleared form travels beside it in a <template>.
    assert created.startswith("<tr id=")
    assert '<template><form id="user-form"' in created and 'hx-swap-oob="true"' in created


@pytest.mark.parametrize(
    ("url", "matching"),
    [("/admin/users", "701 users"), ("/admin/users?q=person&sort=email&page=2", "700 users")],
)
def test_users_list_costs_the_same_queries_at_ten_times_the_users(admin, url, matching):
    add_people(70)
    admin.get(url)  # warm-up
    with count_queries() as small:
        small_page = admin.get(url).text
    add_people(630, start=71)
    with count_queries() as large:
        large_page = admin.get(url).text

    assert user_names(small_page) and len(user_names(large_page)) == PAGE_SIZE
    assert caption(large_page).startswith(matching)
    assert len(large) == len(small), large


# Email log ---------------------------------------------------------------------------------


def test_email_log_state_comes_from_the_url(admin):
    add_emails(60, status=EmailStatus.FAILED, last_error="550 mailbox unavailable")
    add_emails(60, start=61)

    page = admin.get("/admin/emails?q=notice&status=failed&page=2").text

    assert 'name="q" value="notice"' in page
    assert '<option value="failed" selected>' in page
    assert caption(page) == "60 emails · page 2 of 2"
    assert recipients(page) == [f"person{number}@example.com" for number in range(10, 0, -1)]
    assert hrefs(page) == [
        "/admin/emails?q=notice&status=failed",
        "/admin/emails?q=notice&status=failed",
        "/admin/emails?q=notice&status=failed&page=2",
    ]
    assert 'href="#"' not in page


@pytest.mark.every_database
def test_email_log_sorts_by_date_recipient_and_status(admin):
    add_emails(3, status=EmailStatus.FAILED)
    add_emails(9, start=4)

    newest = admin.get("/admin/emails").text
    by_recipient = admin.get("/admin/emails?sort=recipient").text
    by_status = admin.get("/admin/emails?sort=status").text
    oldest = admin.get("/admin/emails?sort=date&dir=asc").text

    everyone = [f"person{number}@example.com" for number in range(1, 13)]
    assert recipients(newest) == everyone[::-1]
    assert recipients(oldest) == everyone
    assert recipients(by_recipient) == everyone  # person2@ before person10@
    assert recipients(by_status) == everyone[:3][::-1] + everyone[3:][::-1]  # failed first
    assert '<th scope="col" aria-sort="descending">' in newest
    assert 'href="/admin/emails?sort=date&amp;dir=asc"' in newest


def test_email_log_rows_name_what_they_act_on(admin):
    add_emails(1, status=EmailStatus.FAILED)
    add_emails(1, start=2)

    page = admin.get("/admin/emails").text

    assert page.count('type="checkbox" name="email_ids"') == 1  # failed rows only
    assert 'aria-label="Select email to person1@example.com"' in page
    assert 'aria-label="Select all failed emails on this page"' in page
    assert 'Resend<span class="visually-hidden"> email to person1@example.com</span>' in page
    assert page.count("<h1>") == 1


def test_email_log_resends_the_selected_failed_emails_in_one_go(admin, monkeypatch):
    add_emails(3, status=EmailStatus.FAILED, attempts=5, last_error="550 no")
    add_emails(1, start=4)
    add_emails(1, start=5, status=EmailStatus.QUEUED, attempts=2)
    with db.connection_context():
        before = {email.id: email for email in Email.select()}
    wake_ups = []
    monkeypatch.setattr(mail, "request_delivery", lambda: wake_ups.append(1))

    response = admin.htmx(
        "post",
        "/admin/emails/resend?status=failed&sort=recipient",
        data={"email_ids": [*map(str, before), "x", "99999999999"]},
        headers={"HX-Target": "email-table"},
    )

    with db.connection_context():
        after = {email.id: email for email in Email.select()}
    resent = [row_id for row_id in after if after[row_id].status != before[row_id].status]
    assert sorted(resent) == sorted(
        row_id for row_id, email in before.items() if email.status == EmailStatus.FAILED
    )
    assert all(after[row_id].attempts == 0 for row_id in resent)
    for row_id in set(before) - set(resent):
        assert (after[row_id].status, after[row_id].attempts) == (
            before[row_id].status,
            before[row_id].attempts,
        )
    assert wake_ups == [1]  # one delivery run for them all
    assert "3 emails queued again." in unescape(response.headers["HX-Trigger"])
    # The answer is the list as it was asked for: failed ones only, now none.
    assert response.text.startswith('<div id="email-table"')
    assert "No emails match." in response.text


def test_email_log_resend_selected_is_one_statement(admin):
    """All selected failed emails go back to the queue together or not at all."""
    add_emails(3, status=EmailStatus.FAILED, attempts=5)
    with db.connection_context():
        ids = [email.id for email in Email.select()]
    with count_queries() as queries:
        admin.htmx("post", "/admin/emails/resend", data={"email_ids": list(map(str, ids))})
    requeue = 'UPDATE "email" SET "status" = ?, "attempts" = ?, "next_attempt_at" = ?'
    assert len([sql for sql in queries if sql.startswith(requeue)]) == 1
    with db.connection_context():  # then delivered by the (inline) worker, once each
        assert {(email.status, email.attempts) for email in Email.select()} == {
            (EmailStatus.SENT, 1)
        }


def test_email_log_resend_without_javascript_returns_to_the_list(admin):
    add_emails(1, status=EmailStatus.FAILED)
    with db.connection_context():
        email = Email.get()

    response = admin.post(
        "/admin/emails/resend?q=notice&status=failed", data={"email_ids": str(email.id)}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/emails?q=notice&status=failed"
    assert stored(Email, email.id).status == EmailStatus.SENT  # queued, then delivered


def test_email_log_resend_with_nothing_failed_selected_says_so(admin):
    add_emails(1)
    with db.connection_context():
        email = Email.get()

    response = admin.htmx("post", "/admin/emails/resend", data={"email_ids": str(email.id)})

    assert "No failed emails were selected." in unescape(response.headers["HX-Trigger"])
    assert stored(Email, email.id).status == EmailStatus.SENT


ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def test_an_opened_email_shows_its_delivery_bodies_and_attachments(admin):
    with db.connection_context():
        email = Email.create(
            key="opened",
            to_address="ann@example.com",
            subject="Leadership Training — Daytime",
            text_body="Hello Ann,\nyou are registered.",
            html_body="<p>Hello <b>Ann</b></p><script>alert('inline')</script>",
            attachments=[
                {
                    "filename": "day.ics",
                    "content_type": "text/calendar; method=REQUEST",
                    "data": ICS,
                }
            ],
            status=EmailStatus.FAILED,
            attempts=5,
            last_error="550 mailbox unavailable",
        )
    log = admin.get("/admin/emails").text

    page = admin.get(f"/admin/emails/{email.id}")
    body = admin.get(f"/admin/emails/{email.id}/body.html")

    assert f'href="/admin/emails/{email.id}">Leadership Training — Daytime' in log
    text = page.text
    assert "<h1>Leadership Training — Daytime</h1>" in text
    assert "ann@example.com" in text and "550 mailbox unavailable" in text
    assert "<dt>Attempts</dt><dd>5</dd>" in text
    assert "<pre>Hello Ann,\nyou are registered.</pre>" in text
    assert f'<iframe sandbox src="/admin/emails/{email.id}/body.html"' in text
    assert "alert(" not in text  # the HTML body is only ever in its sandboxed frame
    assert "<td>day.ics</td><td>text/calendar; method=REQUEST</td>" in text
    assert f"<td>{len(ICS)} bytes</td>" in text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert body.text == email.html_body
    assert body.mimetype == "text/html"
    policy = body.headers["Content-Security-Policy"]
    assert {"default-src 'none'", "sandbox", "frame-ancestors 'self'"} <= {
        part.strip() for part in policy.split(";")
    }
    assert "script-src" not in policy
    assert body.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_an_email_not_written_yet_says_so(admin, make_user):
    member = make_user(Role.MEMBER, email="queued@example.com")
    with db.connection_context():
        mail.queue_email("waiting", member, "registration_confirmed", session_id=1)
        email = Email.get()

    page = admin.get(f"/admin/emails/{email.id}").text

    assert "<h1>Email to queued@example.com</h1>" in page
    assert "Not written yet: the worker writes the subject" in page
    assert "<iframe" not in page
    assert admin.get(f"/admin/emails/{email.id}/body.html").status_code == 404


@pytest.mark.parametrize("url", ["/admin/emails", "/admin/emails?q=notice&sort=recipient&page=2"])
def test_email_log_costs_the_same_queries_at_ten_times_the_emails(admin, url):
    add_emails(70)
    admin.get(url)  # warm-up
    with count_queries() as small:
        small_page = admin.get(url).text
    add_emails(630, start=71, status=EmailStatus.FAILED)
    with count_queries() as large:
        large_page = admin.get(url).text

    assert recipients(small_page) and len(recipients(large_page)) == PAGE_SIZE
    assert "700 emails" in caption(large_page)
    assert len(large) == len(small), large
