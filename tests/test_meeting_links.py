import pytest

from meetings.meeting_links import format_zoom_id, is_web_url, linkify, recognise_platform


@pytest.mark.parametrize(
    ("url", "platform"),
    [
        ("https://bbb.example.org/bigbluebutton/api/join?meetingID=1&checksum=x", "bigbluebutton"),
        ("https://demo.bigbluebutton.org/rooms/abc-123/join", "bigbluebutton"),
        ("https://meet.google.com/jgx-ydjs-ptv?authuser=0", "google_meet"),
        ("https://call.whatsapp.com/video/tK0CUX6h4AjDsWoQNStz1g", "whatsapp"),
        ("https://chat.whatsapp.com/AbCdEf", "whatsapp"),
        ("https://wa.me/15551234567", "whatsapp"),
        ("https://us02web.zoom.us/j/85551112222?pwd=abc", "zoom"),
        ("https://example.com/webinar", "other"),
    ],
)
def test_platform_is_recognised_from_the_link(url, platform):
    assert recognise_platform(url).key == platform


def test_zoom_meeting_id_is_read_from_the_link():
    platform = recognise_platform("https://zoom.us/j/85551112222?pwd=secret")
    assert platform.meeting_id == "85551112222"
    assert format_zoom_id(platform.meeting_id) == "855 5111 2222"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://meet.google.com/abc", True),
        ("http://intranet.example.com/room", True),
        ("javascript:alert(1)", False),
        ("meet.google.com/abc", False),
        ("https://", False),
        ("5551112222", False),
    ],
)
def test_only_http_links_are_accepted(value, ok):
    assert is_web_url(value) is ok


def test_addresses_get_links_and_everything_else_is_escaped():
    html = str(linkify('Room <b>4</b> & map: https://maps.example.com/?q=a&b=c. "Come"'))
    assert "&lt;b&gt;4&lt;/b&gt; &amp; map" in html
    assert '<a href="https://maps.example.com/?q=a&amp;b=c"' in html
    assert html.endswith(". &#34;Come&#34;")


def test_a_link_cannot_break_out_of_its_attribute():
    html = str(linkify('https://evil.example/"onmouseover="alert(1)'))
    assert 'onmouseover="alert' not in html
