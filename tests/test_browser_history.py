"""In the browser: an admin opens a member's history from the users list and sees who
removed them and when, then narrows it to removals (the filter's state in the URL)."""

from datetime import timedelta

import pytest
from flask import g
from peewee import fn
from test_browser import settle

from models import HistoryEntry, Registration, Role, User, db
from sessions import booking

pytestmark = pytest.mark.browser


def test_admin_reads_who_removed_a_member_and_when(
    app, browser_admin, live_server, make_user, make_event, make_session, make_day
):
    page = browser_admin
    remover = make_user(Role.ADMIN, name="Rita Remover")
    member = make_user(Role.MEMBER, name="Zoe Member")
    event = make_event(is_active=True)
    session = make_session(event, name="Evening")
    make_day(session)
    with app.test_request_context("/"), db.connection_context():
        g.user = member
        booking.sign_up(member, session)
        g.user = remover
        registration = Registration.get(Registration.user == member)
        booking.remove_registrations([registration.id])

    with db.connection_context():
        User.update(timezone="Europe/Moscow").where(User.id == page.user.id).execute()
    page.goto(f"{live_server.url}/admin/users?q=Zoe")
    page.get_by_role("link", name="History of Zoe Member").click()
    page.wait_for_url(f"{live_server.url}/history/people/{member.id}")

    assert page.get_by_role("heading", level=1).inner_text() == "History of Zoe Member"
    newest = page.locator("table.history-table tbody tr").first
    cells = newest.locator("td").all_inner_texts()
    assert cells[1:4] == ["Rita Remover", "Removed", "Evening"]
    assert cells[4] == "Status: Approved"
    with db.connection_context():
        removed_at = HistoryEntry.select(fn.MAX(HistoryEntry.changed_at)).scalar()
    moscow = removed_at + timedelta(hours=3)  # the reader's zone, named beside the time
    assert (
        cells[0].replace("\u202f", " ")
        == f"{moscow:%b} {moscow.day}, {moscow.year}, {moscow:%-I:%M %p} Moscow (UTC+3)"
    )
    assert page.locator("table.history-table tbody tr").count() == 2

    page.get_by_label("What").select_option("removed")
    settle(page)
    assert page.locator("table.history-table tbody tr").count() == 1
    assert "change=removed" in page.url
    csv_link = page.locator("#history-csv")
    assert "change=removed" in csv_link.get_attribute("href")
