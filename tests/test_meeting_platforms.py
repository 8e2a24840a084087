"""Meeting platforms (meetings/platforms.py): names as people spell them, links checked by
their parsed host for their platform, Zoom link + meeting ID + passcode, link later."""

import pytest

from meetings.platforms import (
    Meeting,
    check_meeting,
    normalize_meet,
    normalize_whatsapp,
    read_platform,
)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", "bigbluebutton"),
        ("Big Blue Button", "bigbluebutton"),
        ("BigBlueButton", "bigbluebutton"),
        ("google meet", "google_meet"),
        ("Google-Meet", "google_meet"),
        ("WhatsApp", "whatsapp"),
        (" ZOOM ", "zoom"),
        ("Skype", None),
    ],
)
def test_platform_names_as_typed(typed, key):
    assert read_platform(typed) == key


def test_google_meet_links():
    assert normalize_meet("meet.google.com/ABC-MNOP-XYZ?authuser=0") == (
        "https://meet.google.com/abc-mnop-xyz"
    )
    for bad in ("https://meet.google.com/new", "https://meet.google.com.evil.com/abc-mnop-xyz"):
        assert normalize_meet(bad) is None


def test_whatsapp_links():
    assert normalize_whatsapp("https://wa.me/15551234567") == "https://wa.me/15551234567"
    assert normalize_whatsapp("https://api.whatsapp.com/send?phone=15551234567") == (
        "https://wa.me/15551234567"
    )
    code = "AbCdEfGhIjKlMnOpQrStUv"
    assert normalize_whatsapp(f"https://chat.whatsapp.com/invite/{code}?mode=r") == (
        f"https://chat.whatsapp.com/{code}"
    )
    call = "https://call.whatsapp.com/video/tK0CUX6h4AjDsWoQNStz1g"
    assert normalize_whatsapp(call) == call
    for bad in ("https://wa.me/+15551234567", f"https://chat.whatsapp.com.evil/{code}"):
        assert normalize_whatsapp(bad) is None


def test_zoom_link_meeting_id_and_passcode(ctx):
    meeting, problems = check_meeting(
        "Zoom", "https://us05web.zoom.us/j/85746065432?pwd=xyz", "857 4606 5432", "a1b2"
    )
    assert problems == {}
    assert meeting == Meeting(
        "zoom", "https://us05web.zoom.us/j/85746065432?pwd=xyz", "85746065432", "a1b2"
    )
    _, problems = check_meeting("zoom", "https://us05web.zoom.us/j/85746065432", "123456789")
    assert problems == {"meeting_id": "The meeting ID does not match the Zoom link."}
    # A bare meeting number where the link belongs (the peer product's sample does this).
    meeting, problems = check_meeting("Zoom", "85746065432", "", "pass")
    assert problems == {} and meeting.url == "https://zoom.us/j/85746065432"
    _, problems = check_meeting("zoom", "https://zoom.us.evil.com/j/85746065432")
    assert "Paste a Zoom meeting link" in problems["meeting_url"]


def test_wrong_link_for_the_platform_and_link_later(ctx):
    _, problems = check_meeting("Google Meet", "https://wa.me/15551234567")
    assert problems["meeting_url"].startswith("Paste a Google Meet link")
    _, problems = check_meeting("WhatsApp", "")
    assert problems == {"meeting_url": "Paste the meeting link, or choose to set it later."}
    meeting, problems = check_meeting("WhatsApp", "", link_later=True)
    assert problems == {} and meeting.link_pending
    _, problems = check_meeting("Teams", "https://teams.microsoft.com/x")
    assert "Choose a meeting platform" in problems["platform"]


def test_links_pasted_anywhere_are_checked_for_their_platform(ctx):
    from meetings.platforms import check_pasted_link

    assert check_pasted_link("https://meet.google.com/ABC-DEFG-HIJ?authuser=0") == (
        "https://meet.google.com/abc-defg-hij",
        None,
    )
    assert check_pasted_link("https://teams.microsoft.com/l/meetup") == (
        "https://teams.microsoft.com/l/meetup",
        None,
    )
    _, problem = check_pasted_link("https://meet.google.com/new")
    assert problem.startswith("Paste a Google Meet link")


def test_bigbluebutton_needs_settings_and_no_link(app, ctx):
    _, problems = check_meeting("", "")
    assert problems == {
        "platform": "BigBlueButton is not configured. Choose Google Meet, WhatsApp or Zoom."
    }
    app.config.update(BBB_URL="https://bbb.example.org/bigbluebutton", BBB_SECRET="s3cret")
    meeting, problems = check_meeting("Big Blue Button", "")
    assert problems == {} and meeting.is_bigbluebutton and not meeting.link_pending
    _, problems = check_meeting("BigBlueButton", "https://bbb.example.org/room")
    assert "needs no link" in problems["meeting_url"]
