"""Zoom follow-ups against the local stand-in (tests/zoom_standin.py): cancelling a
session deletes its days' Zoom meetings after the commit, as deleting a day does; after
`recording.completed` the recording is read from Zoom (GET /meetings/{id}/recordings) so
every file has its play and download links."""

from datetime import timedelta

import pytest
import test_zoom
from werkzeug.datastructures import MultiDict

from meetings.zoom import meeting_sync
from models import (
    Company,
    Day,
    DayFormat,
    Recording,
    Role,
    Session,
    SessionKind,
    ZoomRole,
    db,
    utcnow,
)
from sessions import group_sessions, hosting, mentoring
from sessions.mentoring import MentoringValues

# The Zoom stand-in, the connected company account and Zoom days of tests/test_zoom.py.
standin, connected, zoom_day = test_zoom.standin, test_zoom.connected, test_zoom.zoom_day
reload = test_zoom.reload


def zoom_meeting_for(app, day_id, organizer_id):
    """Make the day a Zoom conference day and let the job create its meeting."""
    with app.test_request_context("/"), db.connection_context():
        Day.update(
            format=DayFormat.ZOOM,
            zoom_role=ZoomRole.ADMINISTRATOR,
            zoom_organizer=organizer_id,
        ).where(Day.id == day_id).execute()
        meeting_sync.sync_day_meeting.call_local(day_id)
        return Day.get_by_id(day_id)


def hosted_session(app, kind, host):
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=3)
    with app.test_request_context("/"), db.connection_context():
        company = Company.current()
        if kind == SessionKind.MENTORING:
            return mentoring.create(
                MentoringValues(
                    title="Career talk",
                    description="Plans.",
                    mentor=host,
                    start_at=start,
                    end_at=start + timedelta(hours=1),
                    platform="Google Meet",
                    meeting_url="https://meet.google.com/abc-defg-hij",
                ),
                company,
            )
        form = {
            "title": "Pitch practice",
            "description": "Practise",
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "duration_hours": "1",
            "duration_minutes": "0",
            "min_participants": "1",
            "max_participants": "4",
            "timezone": "UTC",
        }
        return group_sessions.create_group_session(host, MultiDict(form), company)


@pytest.mark.every_database
@pytest.mark.parametrize("kind", [SessionKind.GROUP, SessionKind.MENTORING])
def test_cancelling_a_hosted_session_deletes_its_zoom_meeting(
    app, connected, standin, make_user, kind
):
    host = make_user(Role.HOST)
    session = hosted_session(app, kind, host)
    with db.connection_context():
        day = Day.get(Day.session == session)
    day = zoom_meeting_for(app, day.id, host.id)
    assert day.zoom.meeting_id and len(standin.meetings) == 1
    with app.test_request_context("/"), db.connection_context():
        hosting.cancel(Session.get_by_id(session.id))
    assert standin.meetings == {}
    assert ("DELETE", f"/meetings/{day.zoom.meeting_id}") in standin.calls
    day = reload(day)
    assert day.zoom.meeting_id is None and day.zoom.join_url == ""
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.sync_day_meeting.call_local(day.id)  # a job that waited: makes nothing
    assert standin.meetings == {}


def test_cancelling_an_event_session_deletes_its_zoom_meetings(app, connected, standin, zoom_day):
    day = zoom_day()
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.sync_day_meeting.call_local(day.id)
    assert len(standin.meetings) == 1
    with app.test_request_context("/"), db.connection_context():
        hosting.cancel_session(Session.get_by_id(day.session_id))
    assert standin.meetings == {} and reload(day).zoom.meeting_id is None


def test_deleting_a_hosted_session_deletes_its_zoom_meeting(app, connected, standin, make_user):
    host = make_user(Role.HOST)
    session = hosted_session(app, SessionKind.GROUP, host)
    with db.connection_context():
        day = Day.get(Day.session == session)
    zoom_meeting_for(app, day.id, host.id)
    with app.test_request_context("/"), db.connection_context():
        hosting.delete(Session.get_by_id(session.id))
    assert standin.meetings == {}


@pytest.mark.every_database
def test_recording_completed_reads_the_whole_recording_from_zoom(
    app, admin, live_server, connected, standin, zoom_day
):
    day = zoom_day(start="2024-03-01T10:00")  # over
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.sync_day_meeting.call_local(day.id)
    day = reload(day)
    uuid = "rec//uuid=="
    standin.recordings[uuid] = [
        {
            "id": "rec-1",
            "recording_type": "shared_screen_with_speaker_view",
            "file_type": "MP4",
            "file_size": 1048576,
            "recording_start": "2024-03-01T07:00:00Z",
            "recording_end": "2024-03-01T08:00:00Z",
            "play_url": "https://zoom.example/rec/play/1",
            "download_url": "https://zoom.example/rec/download/1",
        },
        {
            "id": "rec-2",
            "recording_type": "audio_only",
            "file_type": "M4A",
            "recording_start": "2024-03-01T07:00:00Z",
            "recording_end": "2024-03-01T08:00:00Z",
            "play_url": "https://zoom.example/rec/play/2",
            "download_url": "https://zoom.example/rec/download/2",
        },
    ]
    # The webhook names one file and no links.
    webhook = {
        "id": day.zoom.meeting_id,
        "uuid": uuid,
        "recording_files": [{"id": "rec-1", "recording_type": "shared_screen_with_speaker_view"}],
    }
    status, _ = standin.send_webhook(
        f"{live_server.url}/zoom/webhook", "recording.completed", webhook
    )
    assert status == 204
    assert any(
        method == "GET" and path.startswith("/meetings/") and path.endswith("/recordings")
        for method, path in standin.calls
    )
    with db.connection_context():
        kept = {row.file_id: row for row in Recording.select().where(Recording.day == day.id)}
    assert set(kept) == {"rec-1", "rec-2"}
    assert kept["rec-1"].play_url == "https://zoom.example/rec/play/1"
    assert kept["rec-1"].download_url == "https://zoom.example/rec/download/1"
    assert kept["rec-1"].file_size == 1048576 and kept["rec-2"].file_type == "M4A"
    shown = admin.get(f"/zoom/days/{day.id}/recordings")
    assert "https://zoom.example/rec/download/2" in shown.text


def test_an_unknown_recording_leaves_what_the_webhook_said(
    app, live_server, connected, standin, zoom_day
):
    day = zoom_day(start="2024-03-01T10:00")
    with app.test_request_context("/"), db.connection_context():
        meeting_sync.sync_day_meeting.call_local(day.id)
    day = reload(day)
    webhook = {
        "id": day.zoom.meeting_id,
        "uuid": "gone",
        "recording_files": [{"id": "rec-9", "play_url": "https://zoom.example/rec/play/9"}],
    }
    assert (
        standin.send_webhook(f"{live_server.url}/zoom/webhook", "recording.completed", webhook)[0]
        == 204
    )
    with db.connection_context():
        assert Recording.get(Recording.file_id == "rec-9").play_url.endswith("/9")
