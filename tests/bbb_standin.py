"""A BigBlueButton stand-in on loopback for tests (INTEGRATIONS.md 2): it checks every
call's checksum the way the server does (GetChecksum.java: the hash is chosen by the
checksum's length, among the algorithms the server allows), keeps meetings in memory and
answers the documented XML: create (idempotent, duplicateWarning), join (302 to a client
URL, or XML with redirect=false), isMeetingRunning, getMeetingInfo, end."""

import hashlib
import hmac
import threading
from xml.sax.saxutils import escape

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

BY_LENGTH = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}


def _xml(**fields):
    inner = "".join(f"<{name}>{value}</{name}>" for name, value in fields.items())
    return Response(f"<response>{inner}</response>", content_type="text/xml")


def _failed(key, message):
    return _xml(returncode="FAILED", messageKey=key, message=escape(message))


class BigBlueButtonStandIn:
    def __init__(self, secret, algorithms=("sha1", "sha256")):
        self.secret, self.algorithms = secret, set(algorithms)
        self.meetings, self.calls = {}, []
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/bigbluebutton"
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
        if not request.path.startswith("/bigbluebutton/api/"):
            return Response("not found", 404)
        if not self.checksum_is_valid(call, raw_query):
            return _failed("checksumError", "You did not pass the checksum security check")
        args = request.args
        meeting_id = args.get("meetingID", "")
        handler = getattr(self, f"call_{call}", None)
        if handler is None:
            return _failed("unsupportedRequest", "This request is not supported.")
        if call != "getMeetings" and not meeting_id:
            return _failed("missingParamMeetingID", "You must specify a meeting ID.")
        return handler(args, meeting_id)

    def call_create(self, args, meeting_id):
        name = args.get("name", "")
        if not 2 <= len(name) <= 64:
            return _failed("sizeError", "Meeting name must be between 2 and 64 characters")
        known = meeting_id in self.meetings and self.meetings[meeting_id]["running"]
        if not known:
            self.meetings[meeting_id] = {"name": name, "running": True, "attendees": []}
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
        return _xml(
            returncode="SUCCESS",
            messageKey="sentEndMeetingRequest",
            message="A request to end the meeting was sent.",
        )
