"""BigBlueButton's calls back to Convene after a meeting: the meeting ended, a recording is
ready, the learning-analytics report. They are public addresses, so each call is checked
before anything is read (meetings/bigbluebutton_records.py): the end callback by a token of
Convene's own in its URL (403 otherwise), the other two by a JWT signed with the shared
secret (401 otherwise). Nothing here is a page; the addresses are given to BigBlueButton when
a room is created (`room_parameters_for`)."""

from flask import Blueprint, current_app, request, url_for

from accounts.access import VISITOR, allow
from meetings import bigbluebutton
from meetings import bigbluebutton_records as records

URL_PREFIXES = ("/bigbluebutton",)
bp = Blueprint("bigbluebutton", __name__, url_prefix="/bigbluebutton")


def room_parameters_for(day):
    """The `create` parameters of the day's room: recording as the company allows, and the
    three callbacks at this app's public address."""
    public = current_app.config["PUBLIC_URL"]
    meeting_id = bigbluebutton.meeting_id_for(day)
    ended = url_for(
        "bigbluebutton.meeting_ended", meeting_id=meeting_id, token=records.end_token(meeting_id)
    )
    return records.room_parameters(
        public + ended,
        public + url_for("bigbluebutton.recording_ready"),
        public + url_for("bigbluebutton.analytics"),
    )


def refused(status, reason):
    return {"error": reason}, status


@bp.route("/meetings/<meeting_id>/ended", methods=["GET", "POST"])
@allow(VISITOR)
def meeting_ended(meeting_id):
    """`meta_endCallbackUrl`: the meeting is over, so its recordings are looked for (the
    sweep looks again until they are processed)."""
    if not records.is_end_token_valid(meeting_id, request.args.get("token")):
        return refused(403, "invalid token")
    day = records.day_for_meeting(meeting_id)
    if day is None:
        return refused(410, "no such meeting")
    records.fetch_day_recordings(day.id)
    return "", 204


@bp.route("/recording-ready", methods=["POST"])
@allow(VISITOR)
def recording_ready():
    """`meta_bbb-recording-ready-url`: `signed_parameters` names the meeting and the
    recording; the recording is read from getRecordings and kept."""
    try:
        meeting_id, _record_id = records.read_recording_ready(request.form.get("signed_parameters"))
    except records.Refused:
        return refused(401, "invalid signature")
    day = records.day_for_meeting(meeting_id)
    if day is None:
        return refused(410, "no such meeting")  # BigBlueButton's code for a deleted meeting
    if records.fetch_recordings(day) is None:
        return refused(503, "BigBlueButton cannot be asked just now")  # it calls again
    return "", 204


@bp.route("/analytics", methods=["POST"])
@allow(VISITOR)
def analytics():
    """`meta_analytics-callback-url`: who attended, for how long."""
    try:
        records.check_analytics_token(request.headers.get("Authorization"))
    except records.Refused:
        return refused(401, "invalid signature")
    report = request.get_json(silent=True)
    if not isinstance(report, dict):
        return refused(400, "not a report")
    day = records.day_for_meeting(report.get("meeting_id"))
    if day is None:
        return refused(410, "no such meeting")
    records.keep_attendance(day, report)
    return "", 204


CALLBACKS = (meeting_ended, recording_ready, analytics)
