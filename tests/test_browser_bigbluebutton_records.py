"""A host who ran a BigBlueButton session, in real headless Chromium: after the stand-in
calls back with the recording and the learning-analytics report, the host's page lists
the recording and one click marks each participant from their attendance."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from test_browser import settle
from test_meeting_room_paths import bbb_session_starting_in, signed_in

from models import Day, Registration, Role, Status, db, utcnow

pytestmark = pytest.mark.browser


def test_host_sees_the_recording_and_marks_attendance_in_one_click(
    browser_as, app, live_server, bbb, make_user
):
    app.config["PUBLIC_URL"] = live_server.url  # where the stand-in calls back
    host = browser_as(Role.HOST)
    session = bbb_session_starting_in(app, host.user, 5)
    ann, bob = make_user(name="Ann Early"), make_user(name="Bob Brief")
    for mentee in (ann, bob):
        signed_in(app, mentee).htmx("post", f"/s/{session.id}/join")
    host_client = signed_in(app, host.user)
    assert host_client.get(f"/s/{session.id}/meeting").status_code == 302  # the room opens
    with db.connection_context():
        day = Day.get(Day.session == session.id)
        Day.update(
            start_at=utcnow() - timedelta(minutes=65), end_at=utcnow() - timedelta(minutes=5)
        ).where(Day.id == day.id).execute()
    room = f"convene-{session.id}-{day.id}"
    record_id = bbb.add_recording(room, minutes=58)
    assert bbb.fire_recording_ready(room, record_id)[0] == 204
    report = [(ann.id, ann.name, 55 * 60), (bob.id, bob.name, 5 * 60)]
    assert bbb.fire_analytics(room, report)[0] == 204

    host.goto(f"{live_server.url}/host/sessions/{session.id}")
    recordings = host.locator("#recordings")
    expect(recordings).to_contain_text("58 minutes")
    play = recordings.get_by_role("link", name="Play")
    expect(play).to_have_attribute(
        "href", f"{bbb.server_url}/playback/presentation/2.3/{record_id}"
    )
    expect(host.locator("#attendees-table")).to_contain_text("55 min")

    host.get_by_role("button", name="Mark participated / missed from attendance").click()
    expect(host.locator("#toasts")).to_contain_text("2 statuses changed.")
    settle(host)
    table = host.locator("#attendees-table")
    expect(table.locator("tr", has_text="Ann Early").locator(".badge")).to_have_text("Participated")
    expect(table.locator("tr", has_text="Bob Brief").locator(".badge")).to_have_text("Missed")
    with db.connection_context():
        marked = {
            row.user_id: row.status
            for row in Registration.select().where(Registration.session == session.id)
        }
    assert (marked[ann.id], marked[bob.id]) == (Status.PARTICIPATED, Status.MISSED)
