"""A BigBlueButton stand-in on loopback for tests: it checks every
call's checksum the way the server does (GetChecksum.java: the hash is chosen by the
checksum's length, among the algorithms the server allows), keeps meetings in memory and
answers the documented XML: create (idempotent, duplicateWarning; `record` and the `meta_…`
parameters kept), join (302 to a client URL, or XML with redirect=false), isMeetingRunning,
getMeetingInfo, end and getRecordings.

Like the server after a meeting, it calls the application back (`fire_…`): the end callback
(a GET of `meta_endCallbackUrl` with `recordingmarks`), the recording-ready callback (a form
POST whose `signed_parameters` is an HS256 JWT signed with the shared secret) and the
learning-analytics callback (a JSON POST with an HS512 JWT bearer token expiring in 24
hours, the payload of post_events_analytics_callback.rb). `add_recording` makes a meeting's
recording "processed", as bbb-record would."""

import argparse
import hashlib
import hmac
import json
import threading
import time
import warnings
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request as OutgoingRequest
from urllib.request import urlopen
from xml.sax.saxutils import escape

import jwt
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

BY_LENGTH = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}


def _xml(**fields):
    inner = "".join(f"<{name}>{value}</{name}>" for name, value in fields.items())
    return Response(f"<response>{inner}</response>", content_type="text/xml")


def _failed(key, message):
    return _xml(returncode="FAILED", messageKey=key, message=escape(message))


class BigBlueButtonStandIn:
    def __init__(self, secret, algorithms=("sha1", "sha256"), port=0):
        self.secret, self.algorithms = secret, set(algorithms)
        self.meetings, self.calls, self.recordings = {}, [], []
        self.reports_on_end = False  # by hand (main): call back when a meeting is ended
        self.server = make_server("127.0.0.1", port, self.wsgi, threaded=True)
        self.server_url = f"http://127.0.0.1:{self.server.server_port}"
        self.url = f"{self.server_url}/bigbluebutton"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()

    def checksum_is_valid(self, call, raw_query):
        given = next(
            (part[9:] for part in raw_query.split("&") if part.startswith("checksum=")), ""
        )
        rest = (
            raw_query.replace("&checksum=" + given, "")
            .replace("checksum=" + given + "&", "")
            .replace("checksum=" + given, "")
        )
        algorithm = BY_LENGTH.get(len(given))
        if algorithm not in self.algorithms:
            return False
        expected = hashlib.new(algorithm, (call + rest + self.secret).encode()).hexdigest()
        return hmac.compare_digest(expected, given.lower())

    def wsgi(self, environ, start_response):
        request = Request(environ)
        return self.answer(request)(environ, start_response)

    def answer(self, request):
        call = request.path.rsplit("/", 1)[-1]
        raw_query = request.query_string.decode()
        self.calls.append((call, dict(request.args)))
        if request.path == "/standin/report" and request.method == "POST":
            return self.report_by_hand(request.get_json(silent=True) or {})
        if request.path == "/bigbluebutton/client/BigBlueButton.html":
            return Response(CLIENT_PAGE, content_type="text/html; charset=utf-8")
        if not request.path.startswith("/bigbluebutton/api/"):
            return Response("not found", 404)
        if not self.checksum_is_valid(call, raw_query):
            return _failed("checksumError", "You did not pass the checksum security check")
        args = request.args
        meeting_id = args.get("meetingID", "")
        handler = getattr(self, f"call_{call}", None)
        if handler is None:
            return _failed("unsupportedRequest", "This request is not supported.")
        if call not in ("getMeetings", "getRecordings") and not meeting_id:
            return _failed("missingParamMeetingID", "You must specify a meeting ID.")
        return handler(args, meeting_id)

    def call_create(self, args, meeting_id):
        name = args.get("name", "")
        if not 2 <= len(name) <= 64:
            return _failed("sizeError", "Meeting name must be between 2 and 64 characters")
        known = meeting_id in self.meetings and self.meetings[meeting_id]["running"]
        if not known:
            meta = {key[5:]: value for key, value in args.items() if key.startswith("meta_")}
            self.meetings[meeting_id] = {
                "name": name,
                "running": True,
                "attendees": [],
                "record": args.get("record") == "true",
                "autoStartRecording": args.get("autoStartRecording") == "true",
                "meta": meta,
                "created_ms": int(time.time() * 1000),
                "joined_at": {},
            }
        extra = {"messageKey": "duplicateWarning"} if known else {}
        return _xml(
            returncode="SUCCESS",
            meetingID=escape(meeting_id),
            internalMeetingID="internal-" + escape(meeting_id),
            attendeePW="ap",
            moderatorPW="mp",
            createTime="1531155809613",
            hasUserJoined="false",
            duration=args.get("duration", "0"),
            hasBeenForciblyEnded="false",
            **extra,
        )

    def call_join(self, args, meeting_id):
        meeting = self.meetings.get(meeting_id)
        if meeting is None or not meeting["running"]:
            return _failed("notFound", "We could not find a meeting with that meeting ID")
        role = args.get("role", "").upper()
        if role not in ("MODERATOR", "VIEWER") or not args.get("fullName"):
            return _failed("invalidRole", "A join needs fullName and role MODERATOR or VIEWER")
        meeting["attendees"].append(
            {"userID": args.get("userID", ""), "fullName": args["fullName"], "role": role}
        )
        meeting["joined_at"].setdefault(args.get("userID", ""), (args["fullName"], time.time()))
        client = f"{self.url}/client/BigBlueButton.html?sessionToken=t{len(meeting['attendees'])}"
        if args.get("redirect") == "false":
            return _xml(
                returncode="SUCCESS",
                messageKey="successfullyJoined",
                meeting_id=escape(meeting_id),
                url=escape(client),
            )
        return Response("", 302, headers={"Location": client})

    def call_isMeetingRunning(self, args, meeting_id):  # noqa: N802 (the API's call name)
        meeting = self.meetings.get(meeting_id)
        running = "true" if meeting and meeting["running"] else "false"
        return _xml(returncode="SUCCESS", running=running)

    def call_getMeetingInfo(self, args, meeting_id):  # noqa: N802
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            return _failed("notFound", "We could not find a meeting with that meeting ID")
        attendees = "".join(
            "<attendee>"
            + "".join(f"<{key}>{escape(value)}</{key}>" for key, value in person.items())
            + "</attendee>"
            for person in meeting["attendees"]
        )
        return _xml(
            returncode="SUCCESS",
            meetingName=escape(meeting["name"]),
            meetingID=escape(meeting_id),
            running="true" if meeting["running"] else "false",
            participantCount=str(len(meeting["attendees"])),
            attendees=attendees,
        )

    def call_end(self, args, meeting_id):
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            return _failed("notFound", "We could not find a meeting with that meeting ID")
        meeting["running"] = False
        if self.reports_on_end:  # as the server does, a moment after the meeting ends
            threading.Timer(1.0, self.finish, [meeting_id]).start()
        return _xml(
            returncode="SUCCESS",
            messageKey="sentEndMeetingRequest",
            message="A request to end the meeting was sent.",
        )

    def call_getRecordings(self, args, meeting_id):  # noqa: N802
        wanted = set(filter(None, meeting_id.split(",")))
        listed = [item for item in self.recordings if not wanted or item["meetingID"] in wanted]
        if not listed:
            return _xml(
                returncode="SUCCESS",
                recordings="",
                messageKey="noRecordings",
                message="There are no recordings for the meeting(s).",
            )
        return _xml(returncode="SUCCESS", recordings="".join(map(_recording_xml, listed)))

    # What the server does after a meeting ------------------------------------------------------

    def add_recording(self, meeting_id, minutes=30, state="published"):
        """A processed recording of the meeting (its record id, as the callback names it)."""
        meeting = self.meetings[meeting_id]
        start = meeting["created_ms"]
        record_id = (
            f"{hashlib.sha1(meeting_id.encode()).hexdigest()}-{start + len(self.recordings)}"
        )
        self.recordings.append(
            {
                "recordID": record_id,
                "meetingID": meeting_id,
                "name": meeting["name"],
                "state": state,
                "startTime": start,
                "endTime": start + minutes * 60_000,
                "url": f"{self.server_url}/playback/presentation/2.3/{record_id}",
            }
        )
        return record_id

    def fire_end(self, meeting_id, recordingmarks=False):
        """GET meta_endCallbackUrl with `recordingmarks` added: (status, body)."""
        url = self.meetings[meeting_id]["meta"]["endCallbackUrl"]
        joiner = "&" if "?" in url else "?"
        marks = "true" if recordingmarks else "false"
        return send(OutgoingRequest(f"{url}{joiner}recordingmarks={marks}"))

    def fire_recording_ready(self, meeting_id, record_id, secret=None, algorithm="HS256"):
        """POST signed_parameters to meta_bbb-recording-ready-url: (status, body)."""
        url = self.meetings[meeting_id]["meta"]["bbb-recording-ready-url"]
        payload = {"meeting_id": meeting_id, "record_id": record_id}
        token = sign(payload, secret or self.secret, algorithm)
        body = urlencode({"signed_parameters": token}).encode()
        return send(OutgoingRequest(url, data=body, method="POST"))

    def analytics_report(self, meeting_id, attendees):
        """The learning-analytics payload: `attendees` as [(user id, name, seconds)]."""
        meeting = self.meetings[meeting_id]
        return {
            "version": "1.0",
            "meeting_id": meeting_id,
            "internal_meeting_id": "internal-" + meeting_id,
            "data": {
                "metadata": {"meeting_name": meeting["name"]},
                "duration": max((seconds for _, _, seconds in attendees), default=0),
                "attendees": [
                    {
                        "ext_user_id": str(user_id),
                        "name": name,
                        "moderator": False,
                        "duration": seconds,
                        "engagement": {"chats": 0, "talks": 0, "talk_time": 0},
                    }
                    for user_id, name, seconds in attendees
                ],
            },
        }

    def fire_analytics(self, meeting_id, attendees, token=None):
        """POST the report to meta_analytics-callback-url: (status, body). `token`: the
        bearer token to send instead of a good one."""
        url = self.meetings[meeting_id]["meta"]["analytics-callback-url"]
        if token is None:
            expiry = {"exp": int(time.time()) + 24 * 3600}
            token = sign(expiry, self.secret, "HS512")
        body = json.dumps(self.analytics_report(meeting_id, attendees)).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        return send(OutgoingRequest(url, data=body, headers=headers, method="POST"))

    def finish(self, meeting_id):
        """After `end`, by hand: the recording is processed and the three callbacks go out,
        with each person's time from their first join to the end."""
        meeting, now = self.meetings[meeting_id], time.time()
        minutes = max(1, round((now * 1000 - meeting["created_ms"]) / 60_000))
        record_id = self.add_recording(meeting_id, minutes=minutes)
        attendees = [
            (user_id, name, int(now - joined))
            for user_id, (name, joined) in meeting["joined_at"].items()
            if user_id.isdigit()
        ]
        print("end:", *self.fire_end(meeting_id, recordingmarks=True))
        print("recording ready:", *self.fire_recording_ready(meeting_id, record_id))
        print("analytics:", *self.fire_analytics(meeting_id, attendees))

    def report_by_hand(self, order):
        """`--report`: a meeting that ended (created here or not: the demo's finished
        session never was) gets a recording, then the recording-ready and analytics
        callbacks go to the application at `order["app"]`."""
        meeting_id, app = str(order.get("meeting_id", "")), str(order.get("app", ""))
        started = int(time.time() * 1000) - 60 * 60_000
        meeting = self.meetings.setdefault(
            meeting_id,
            {"name": "Demo meeting", "running": False, "attendees": [], "created_ms": started},
        )
        meeting.setdefault("meta", {}).update(
            {
                "bbb-recording-ready-url": f"{app}/bigbluebutton/recording-ready",
                "analytics-callback-url": f"{app}/bigbluebutton/analytics",
            }
        )
        record_id = self.add_recording(meeting_id, minutes=55)
        attendees = [
            (str(user_id), f"Person {user_id}", int(minutes) * 60)
            for user_id, minutes in order.get("attendees", [])
        ]
        answers = {
            "recording ready": self.fire_recording_ready(meeting_id, record_id),
            "analytics": self.fire_analytics(meeting_id, attendees),
        }
        return Response(json.dumps(answers), content_type="application/json")


CLIENT_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>BigBlueButton stand-in</title>
<h1>BigBlueButton stand-in</h1>
<p>You are in the room. The host ends the meeting from Convene ("End meeting"); a moment
later the stand-in sends Convene the recording and the attendance report, as the server
does.</p></html>"""


def sign(payload, secret, algorithm="HS256"):
    """A JWT as BigBlueButton makes one (its secrets are shorter than PyJWT recommends)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(payload, secret, algorithm=algorithm)


def send(request):
    try:
        with urlopen(request, timeout=10) as answer:  # noqa: S310 (the app on loopback)
            return answer.status, answer.read().decode()
    except HTTPError as answer:
        return answer.code, answer.read().decode()
    except URLError as error:  # the application is not listening
        return 0, str(error.reason)


def _recording_xml(item):
    return (
        "<recording>"
        f"<recordID>{item['recordID']}</recordID>"
        f"<meetingID>{escape(item['meetingID'])}</meetingID>"
        f"<internalMeetingID>{item['recordID']}</internalMeetingID>"
        f"<name>{escape(item['name'])}</name>"
        "<isBreakout>false</isBreakout>"
        f"<published>{'true' if item['state'] == 'published' else 'false'}</published>"
        f"<state>{item['state']}</state>"
        f"<startTime>{item['startTime']}</startTime><endTime>{item['endTime']}</endTime>"
        "<participants>2</participants>"
        f"<metadata><meetingId>{escape(item['meetingID'])}</meetingId></metadata>"
        "<playback>"
        "<format><type>podcast</type>"
        f"<url>{escape(item['url'].replace('presentation/2.3', 'podcast'))}/audio.ogg</url>"
        "<processingTime>0</processingTime><length>0</length></format>"
        "<format><type>presentation</type>"
        f"<url>{escape(item['url'])}</url>"
        "<processingTime>7177</processingTime>"
        f"<length>{(item['endTime'] - item['startTime']) // 60_000}</length></format>"
        "</playback>"
        "</recording>"
    )


def ask_for_report(options):
    """`--report MEETING --attendee USER:MINUTES`: tell the running stand-in to send it."""
    attendees = [part.split(":", 1) for part in options.attendee]
    order = {"meeting_id": options.report, "app": options.app, "attendees": attendees}
    request = OutgoingRequest(
        f"http://127.0.0.1:{options.port}/standin/report",
        data=json.dumps(order).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    print(*send(request))


def main():
    parser = argparse.ArgumentParser(description="A BigBlueButton stand-in to try Convene by hand")
    parser.add_argument("--port", type=int, default=9200)
    parser.add_argument("--secret", default="standin-shared-secret-0123456789")
    parser.add_argument("--report", metavar="MEETING", help="send a meeting's reports and exit")
    parser.add_argument("--attendee", action="append", default=[], metavar="USER:MINUTES")
    parser.add_argument("--app", default="http://127.0.0.1:5000", help="Convene's address")
    options = parser.parse_args()
    if options.report:
        ask_for_report(options)
        return
    standin = BigBlueButtonStandIn(options.secret, port=options.port)
    standin.reports_on_end = True
    print("BigBlueButton stand-in on", standin.url)
    print(f"  export BBB_URL={standin.url}")
    print(f"  export BBB_SECRET={options.secret}")
    standin.server.serve_forever()


if __name__ == "__main__":
    main()
