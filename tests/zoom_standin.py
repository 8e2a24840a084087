"""A local Zoom stand-in on loopback: the OAuth endpoints (authorize redirect, token with the
authorization_code / refresh_token / account_credentials grants and PKCE, revoke), the REST
calls Convene makes (users/me, meetings create/list/get/patch/delete, the paginated
participants report, recordings) and a webhook sender that signs like Zoom.

Tests start it with `ZoomStandin().start()`; `make zoom-standin` runs the same server on a
local port for trying Convene by hand (`python tests/zoom_standin.py --port 9100`).
Failures can be queued (`fail_next`) and tokens expired (`expire_tokens`) or revoked
(`revoke_all`) to exercise the client's error paths.
"""

import argparse
import base64
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.error import HTTPError
from urllib.parse import unquote, urlencode
from urllib.request import Request, urlopen

from werkzeug.serving import make_server
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response

CLIENT_ID = "standin-client"
CLIENT_SECRET = "standin-secret"
ACCOUNT_ID = "standin-account"
WEBHOOK_SECRET = "test_secret_token"


def _json(payload, status=200, headers=None):
    return Response(json.dumps(payload), status, headers or {}, content_type="application/json")


def _now():
    return datetime.now(UTC)


class ZoomStandin:
    def __init__(self, host="127.0.0.1", port=0, account_type=2, participants_per_page=2):
        self.host, self.port = host, port
        self.account_type = account_type
        self.page_size = participants_per_page  # small pages prove the client follows them
        self.lock = threading.Lock()
        self.codes = {}  # code -> (redirect_uri, challenge)
        self.tokens = {}  # access token -> expiry
        self.refresh_tokens = set()
        self.meetings = {}  # id (str) -> meeting
        self.participants = {}  # meeting id or uuid -> rows
        self.recordings = {}  # meeting id or uuid -> recording_files
        self.failures = []  # [(method, path prefix, status, headers)]
        self.calls = []  # (method, path) of every REST call
        self.ids = itertools.count(85746065432)
        self.server = None

    # Control from tests

    @property
    def url(self):
        return f"http://{self.host}:{self.server.server_port}"

    @property
    def api_url(self):
        return f"{self.url}/v2"

    def config(self):
        """The app settings that point Convene here."""
        return {
            "ZOOM_CLIENT_ID": CLIENT_ID,
            "ZOOM_CLIENT_SECRET": CLIENT_SECRET,
            "ZOOM_ACCOUNT_ID": ACCOUNT_ID,
            "ZOOM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "ZOOM_API_URL": self.api_url,
            "ZOOM_OAUTH_URL": self.url,
        }

    def fail_next(self, method, path_prefix, status, headers=None, times=1):
        for _ in range(times):
            self.failures.append((method, path_prefix, status, headers or {}))

    def expire_tokens(self):
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0

    def revoke_all(self):
        with self.lock:
            self.tokens.clear()
            self.refresh_tokens.clear()

    def rest_calls(self, method=None):
        return [call for call in self.calls if method is None or call[0] == method]

    def start(self):
        self.server = make_server(self.host, self.port, self, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()

    # Webhooks like Zoom sends them

    def sign(self, body, timestamp, secret=WEBHOOK_SECRET):
        message = b"v0:" + str(timestamp).encode() + b":" + body
        return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()

    def send_webhook(self, url, event, obj, timestamp=None, secret=WEBHOOK_SECRET, extra=None):
        """POST a signed event to `url`; returns (status, body text)."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        envelope = {"event": event, "payload": {"account_id": ACCOUNT_ID, "object": obj}}
        if event == "endpoint.url_validation":
            envelope["payload"] = obj
        envelope.update(extra or {})
        envelope["event_ts"] = int(timestamp) * 1000
        body = json.dumps(envelope, separators=(",", ":")).encode()
        headers = {
            "content-type": "application/json; charset=utf-8",
            "x-zm-request-timestamp": str(timestamp),
            "x-zm-signature": self.sign(body, timestamp, secret),
        }
        try:
            with urlopen(Request(url, data=body, headers=headers, method="POST")) as answer:
                return answer.status, answer.read().decode()
        except HTTPError as error:
            return error.code, error.read().decode()

    # WSGI

    def __call__(self, environ, start_response):
        request = WsgiRequest(environ)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request):
        path = request.path
        if path == "/oauth/authorize":
            return self.authorize(request)
        if path == "/oauth/token":
            return self.token(request)
        if path == "/oauth/revoke":
            return self.revoke(request)
        if path.startswith("/v2/"):
            return self.rest(request, path[3:])
        if path.startswith(("/s/", "/j/")):  # where start_url and join_url lead
            verb = "Started" if path.startswith("/s/") else "Joined"
            page = f"<!doctype html><title>Zoom stand-in</title><h1>{verb} meeting {path[3:]}</h1>"
            return Response(page, 200, content_type="text/html")
        return _json({"code": 404, "message": "Not found"}, 404)

    def _client_ok(self, request):
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def authorize(self, request):
        args = request.args
        if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
            return _json({"error": "invalid_client"}, 400)
        code = secrets.token_urlsafe(12)
        self.codes[code] = (args.get("redirect_uri"), args.get("code_challenge"))
        target = (
            args["redirect_uri"] + "?" + urlencode({"code": code, "state": args.get("state", "")})
        )
        return Response("", 302, {"Location": target})

    def _issue(self, with_refresh=True):
        access = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[access] = time.time() + 3600
        payload = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": 3600,
            "scope": "meeting:write:meeting user:read:user",
        }
        if with_refresh:
            refresh = secrets.token_urlsafe(24)
            self.refresh_tokens.add(refresh)
            payload["refresh_token"] = refresh
        return _json(payload)

    def token(self, request):
        if not self._client_ok(request):
            return _json(
                {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, 401
            )
        form = request.form
        grant = form.get("grant_type")
        invalid = _json({"reason": "Invalid Token!", "error": "invalid_grant"}, 401)
        if grant == "authorization_code":
            redirect_uri, challenge = self.codes.pop(form.get("code", ""), (None, None))
            if redirect_uri is None or redirect_uri != form.get("redirect_uri"):
                return invalid
            if challenge:
                verifier = form.get("code_verifier", "").encode()
                made = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
                if made.decode() != challenge:
                    return invalid
            return self._issue()
        if grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            if refresh not in self.refresh_tokens:
                return invalid
            self.refresh_tokens.discard(refresh)  # rotated: the old one is spent
            return self._issue()
        if grant == "account_credentials":
            if (form.get("account_id") or request.args.get("account_id")) != ACCOUNT_ID:
                return _json({"reason": "Invalid account_id", "error": "invalid_request"}, 400)
            return self._issue(with_refresh=False)
        return _json({"error": "unsupported_grant_type"}, 400)

    def revoke(self, request):
        if not self._client_ok(request):
            return _json({"error": "invalid_client"}, 401)
        with self.lock:
            self.tokens.pop(request.args.get("token", ""), None)
        return _json({"status": "success"})

    def rest(self, request, path):
        method = request.method
        self.calls.append((method, path))
        for index, (fail_method, prefix, status, headers) in enumerate(self.failures):
            if fail_method == method and path.startswith(prefix):
                del self.failures[index]
                return _json(
                    {"code": status, "message": f"Stand-in failure {status}"}, status, headers
                )
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.tokens.get(bearer, 0) < time.time():
            return _json({"code": 124, "message": "Invalid access token."}, 401)
        if path == "/users/me" and method == "GET":
            return _json(
                {
                    "id": "z8yAAAAA8bbbQ",
                    "email": "host@example.org",
                    "type": self.account_type,
                    "role_name": "Owner",
                    "account_id": ACCOUNT_ID,
                    "timezone": "Europe/Moscow",
                }
            )
        if path == "/users/me/meetings":
            return self.create_meeting(request) if method == "POST" else self.list_meetings(request)
        parts = path.strip("/").split("/")
        if parts[0] == "meetings" and len(parts) == 2:
            return self.meeting(request, parts[1])
        if parts[0] == "meetings" and len(parts) == 3 and parts[2] == "recordings":
            files = self.recordings.get(unquote(parts[1]))
            if files is None:
                return _json({"code": 3301, "message": "This recording does not exist."}, 404)
            return _json({"uuid": parts[1], "recording_files": files})
        if parts[:2] == ["report", "meetings"] and len(parts) == 4:
            return self.report(request, unquote(parts[2]))
        return _json({"code": 404, "message": "Not found"}, 404)

    def create_meeting(self, request):
        fields = request.get_json(force=True, silent=True) or {}
        meeting_id = str(next(self.ids))
        password = secrets.token_urlsafe(4)[:6]
        meeting = {
            **fields,
            "id": int(meeting_id),
            "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
            "host_id": "z8yAAAAA8bbbQ",
            "status": "waiting",
            "created_at": _now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "password": password,
            "join_url": f"{self.url}/j/{meeting_id}?pwd={password}",
        }
        self.meetings[meeting_id] = meeting
        return _json(self._with_start_url(meeting), 201)

    def _with_start_url(self, meeting):
        return {
            **meeting,
            "start_url": f"{self.url}/s/{meeting['id']}?zak={secrets.token_urlsafe(8)}",
        }

    def list_meetings(self, request):
        rows = [
            {
                key: meeting.get(key)
                for key in ("id", "uuid", "topic", "start_time", "agenda", "join_url")
            }
            for meeting in self.meetings.values()
        ]
        return _json(
            {"page_size": 300, "total_records": len(rows), "next_page_token": "", "meetings": rows}
        )

    def meeting(self, request, meeting_id):
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            return _json({"code": 3001, "message": "Meeting does not exist."}, 404)
        if request.method == "GET":
            return _json(self._with_start_url(meeting))
        if request.method == "PATCH":
            meeting.update(request.get_json(force=True, silent=True) or {})
            return Response("", 204)
        if request.method == "DELETE":
            del self.meetings[meeting_id]
            return Response("", 204)
        return _json({"code": 405, "message": "Method not allowed"}, 405)

    def report(self, request, ref):
        rows = self.participants.get(ref)
        if rows is None:
            return _json({"code": 3001, "message": "Meeting does not exist."}, 404)
        start = int(request.args.get("next_page_token") or 0)
        page = rows[start : start + self.page_size]
        following = start + self.page_size
        token = str(following) if following < len(rows) else ""
        return _json(
            {
                "page_count": -(-len(rows) // self.page_size),
                "page_size": self.page_size,
                "total_records": len(rows),
                "next_page_token": token,
                "participants": page,
            }
        )

    # Helpers that play a finished meeting

    def attend(self, meeting_ref, email, name, minutes, join_at=None):
        join_at = join_at or _now() - timedelta(minutes=minutes)
        self.participants.setdefault(str(meeting_ref), []).append(
            {
                "id": secrets.token_urlsafe(8),
                "name": name,
                "user_email": email,
                "join_time": join_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "leave_time": (join_at + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "duration": minutes * 60,
            }
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--send", metavar="EVENT", help="send one signed webhook and exit")
    parser.add_argument("--to", default="http://127.0.0.1:5000/zoom/webhook")
    parser.add_argument("--meeting", default="", help="the Zoom meeting id shown on the day")
    options = parser.parse_args()
    standin = ZoomStandin(port=options.port)
    if options.send:
        obj = {"id": options.meeting, "uuid": f"instance-{options.meeting}", "type": 2}
        if options.send == "endpoint.url_validation":
            obj = {"plainToken": secrets.token_urlsafe(16)}
        print(*standin.send_webhook(options.to, options.send, obj))
        return
    standin.server = make_server("127.0.0.1", options.port, standin, threaded=True)
    print("Zoom stand-in on", standin.url)
    for name, value in {**standin.config(), "ZOOM_TOKEN_KEY": "change-me-to-a-long-secret"}.items():
        print(f"  export {name}={value}")
    print("Send a signed webhook: python tests/zoom_standin.py --send meeting.ended --meeting ID")
    standin.server.serve_forever()


if __name__ == "__main__":
    main()
