"""The BigBlueButton client (meetings/bigbluebutton.py) against the stand-in on loopback
(tests/bbb_standin.py), which checks every checksum like the server does."""

from urllib.error import HTTPError
from urllib.request import HTTPRedirectHandler, build_opener, urlopen

import pytest

from meetings import bigbluebutton
from meetings.bigbluebutton import BigBlueButtonError

SECRET = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"


def test_checksums_match_the_documented_vectors():
    query = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
    assert bigbluebutton.checksum("create", query, SECRET, "sha1") == (
        "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
    )
    assert bigbluebutton.checksum("create", query, SECRET) == (
        "da9185f7f333cfdfcd6eeac32dca3777510c4c436020d8b887ba5515bd1d189e"
    )
    join = "fullName=Alice+Example&meetingID=session-42-day-1&role=VIEWER&userID=user-7"
    assert bigbluebutton.checksum("join", join, SECRET, "sha1") == (
        "6f27ea276612565fb3b8937a5179d27f67bac33e"
    )


def test_signed_url_carries_the_checksum_of_exactly_its_query(ctx, app):
    app.config.update(BBB_URL="https://bbb.example.org/bigbluebutton/", BBB_SECRET=SECRET)
    app.config["BBB_CHECKSUM"] = "sha1"
    assert bigbluebutton.signed_url("isMeetingRunning", {"meetingID": "session-42-day-1"}) == (
        "https://bbb.example.org/bigbluebutton/api/isMeetingRunning?meetingID=session-42-day-1"
        "&checksum=746b0aa8f769cc3950ea48c376fdc9459c9118cd"
    )


def test_not_configured_says_so(ctx):
    assert not bigbluebutton.is_configured()
    with pytest.raises(BigBlueButtonError) as refused:
        bigbluebutton.create_meeting("room-1", "Career talk")
    assert refused.value.message == (
        "BigBlueButton is not configured. Choose Google Meet, WhatsApp or Zoom."
    )


class NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def open_join(url):
    """What the browser does with a join link: the stand-in answers 302 to its client."""
    try:
        build_opener(NoRedirect).open(url)
    except HTTPError as answer:
        return answer.code, answer.headers["Location"]
    raise AssertionError("join did not redirect")


@pytest.mark.parametrize("algorithm", ["sha256", "sha1"])
def test_create_join_as_moderator_and_attendee_then_end(ctx, app, bbb, algorithm):
    app.config["BBB_CHECKSUM"] = algorithm
    created = bigbluebutton.create_meeting("convene-7-9", "Career talk", duration_minutes=60)
    assert created["meetingID"] == "convene-7-9"
    again = bigbluebutton.create_meeting("convene-7-9", "Career talk")
    assert again["messageKey"] == "duplicateWarning"  # create before every join is safe
    mentor = bigbluebutton.join_url("convene-7-9", "Maria Mentor", 1, moderator=True)
    mentee = bigbluebutton.join_url("convene-7-9", "Tom Mentee", 2)
    assert "role=MODERATOR" in mentor and "role=VIEWER" in mentee
    assert len(mentee.rsplit("checksum=", 1)[1]) == (64 if algorithm == "sha256" else 40)
    assert open_join(mentor)[0] == open_join(mentee)[0] == 302
    info = bigbluebutton.meeting_info("convene-7-9")
    assert info["running"]
    assert [(person["fullName"], person["role"]) for person in info["attendees"]] == [
        ("Maria Mentor", "MODERATOR"),
        ("Tom Mentee", "VIEWER"),
    ]
    assert bigbluebutton.end_meeting("convene-7-9")["messageKey"] == "sentEndMeetingRequest"
    assert not bigbluebutton.is_meeting_running("convene-7-9")


def test_a_bad_checksum_is_refused(ctx, app, bbb):
    bigbluebutton.create_meeting("convene-1-1", "Career talk")
    url = bigbluebutton.join_url("convene-1-1", "Tom Mentee", 2)
    tampered = url.replace("role=VIEWER", "role=MODERATOR")
    with urlopen(tampered) as answer:
        body = answer.read().decode()
    assert "<messageKey>checksumError</messageKey>" in body
    assert bigbluebutton.meeting_info("convene-1-1")["attendees"] == []
    app.config["BBB_SECRET"] = "wrong-secret"
    with pytest.raises(BigBlueButtonError) as refused:
        bigbluebutton.end_meeting("convene-1-1")
    assert refused.value.key == "checksumError"


def test_a_server_that_allows_only_sha1_refuses_sha256(ctx, app, bbb):
    bbb.algorithms = {"sha1"}
    with pytest.raises(BigBlueButtonError) as refused:
        bigbluebutton.create_meeting("convene-2-2", "Career talk")
    assert refused.value.key == "checksumError"
    app.config["BBB_CHECKSUM"] = "sha1"
    assert bigbluebutton.create_meeting("convene-2-2", "Career talk")["returncode"] == "SUCCESS"


def test_unreachable_server_is_a_message_not_a_crash(ctx, app):
    app.config.update(BBB_URL="http://127.0.0.1:9/bigbluebutton", BBB_SECRET=SECRET)
    with pytest.raises(BigBlueButtonError) as refused:
        bigbluebutton.is_meeting_running("x1")
    assert "cannot be reached" in refused.value.message
