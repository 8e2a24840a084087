"""Fuzz a running Convene (`make run`) over HTTP: every route of the app, as the demo user of
its audience, with malformed ids, query strings and form fields (names in every script,
text of nothing visible, NUL bytes...) and a valid CSRF token; one POST in four is sent as
multipart with a broken image in its file fields.
Prints how many answers were 5xx (the goal is none) and the first few requests that got one.

    .venv/bin/python bench/fuzz.py http://127.0.0.1:5000 --requests 5000

Run it against a throwaway instance (`CONVENE_INSTANCE=/tmp/fuzz make run`): it posts, and
deletes, whatever the demo accounts may.

The last line is `fuzz requests=<n> server_errors=<n> statuses=<status:count,...>`; the exit
status is 1 when any answer was a 5xx.
"""

import argparse
import re
import secrets
import sys
from collections import Counter
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT), str(ROOT / "tests")] + [p for p in sys.path if p not in ("", ".")]

from fuzzing import (  # noqa: E402
    NASTY,
    broken_images,
    form_fields,
    malformed_form,
    malformed_query,
    seeded,
)

DEMO = {  # the audiences' demo accounts (demo.py); visitors need none
    "admin": "admin@convene.test",
    "host": "host@convene.test",
    "member": "member@convene.test",
}
PASSWORD = "convene-demo"
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


class NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def routes():
    """(method, rule, audience) for every route, read from the app itself."""
    from app import create_app

    app = create_app()
    for rule in app.url_map.iter_rules():
        audience = getattr(app.view_functions[rule.endpoint], "audience", "visitor")
        if "logout" in rule.rule or "sign-out" in rule.rule:
            continue  # the fuzzer keeps its sessions
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule, audience


class Client:
    def __init__(self, base, email=None):
        self.base, self.opener = base, build_opener(HTTPCookieProcessor(CookieJar()), NoRedirects)
        self.csrf = CSRF.search(self.send("GET", "/login")[1]).group(1)
        if email:
            status, _text = self.send("POST", "/login", {"email": email, "password": PASSWORD})
            assert status == 302, f"cannot sign in as {email}"
            self.csrf = CSRF.search(self.send("GET", "/profile")[1]).group(1)

    def send(self, method, path, form=None, query=None, htmx=False, files=None):
        url = self.base + path + ("?" + urlencode(query, doseq=True) if query else "")
        body = urlencode(form or {}, doseq=True).encode() if method != "GET" else None
        headers = {"HX-Request": "true"} if htmx else {}
        if files and method != "GET":
            body, headers["Content-Type"] = multipart(form or {}, files)
        if getattr(self, "csrf", None):
            headers["X-CSRFToken"] = self.csrf
        request = Request(url, data=body, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as answer:
                return answer.status, answer.read().decode(errors="replace")
        except HTTPError as error:
            return error.code, error.read().decode(errors="replace")


def multipart(form, files):
    """(body, content type) of a multipart/form-data request: `form` {name: [values]} and
    `files` {name: (file name, bytes)}."""
    boundary = secrets.token_hex(16)
    parts = []
    for name, values in form.items():
        for value in values if isinstance(values, list) else [values]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + str(value).encode("utf-8", "surrogatepass")
                + b"\r\n"
            )
    for name, (file_name, content) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def fill(rule, rng):
    """A path for `rule`: real-looking ids mostly, sometimes ids beyond any row or text."""

    def value(match):
        converter = match.group(1)
        if converter == "int":
            return str(rng.choice([1, 1, 2, 3, 5, 0, 99999999999999999999]))
        return quote(rng.choice(["x", "not-a-token", "demo-host", rng.choice(NASTY)]), safe="")

    return PARAMETER.sub(value, rule)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:5000")
    parser.add_argument("--requests", type=int, default=5000)
    options = parser.parse_args()
    base = options.url.rstrip("/")
    try:
        clients = {role: Client(base, email) for role, email in DEMO.items()}
        clients["visitor"] = Client(base)
    except URLError as error:
        sys.exit(f"Convene does not answer at {base}: {error}")
    every, names, rng, images = list(routes()), form_fields(), seeded(), broken_images()
    statuses, errors = Counter(), []
    for number in range(options.requests):
        method, rule, audience = every[number % len(every)]
        path = fill(rule, rng)
        form = malformed_form(rng, names) if method != "GET" else None
        files = None
        if form is not None and rng.random() < 0.25:
            files = dict.fromkeys(("image", "file"), rng.choice(images))
        try:
            status, _text = clients[audience].send(
                method, path, form, malformed_query(rng), htmx=rng.random() < 0.5, files=files
            )
        except (URLError, OSError, ValueError) as error:  # a path the client cannot send
            status = type(error).__name__
        statuses[status] += 1
        if isinstance(status, int) and status >= 500:
            errors.append(f"{method} {path} -> {status}")
    for line in errors[:10]:
        print(line)
    summary = ",".join(f"{status}:{count}" for status, count in sorted(statuses.items(), key=str))
    server_errors = sum(count for s, count in statuses.items() if isinstance(s, int) and s >= 500)
    print(f"fuzz requests={options.requests} server_errors={server_errors} statuses={summary}")
    sys.exit(1 if server_errors else 0)


if __name__ == "__main__":
    main()
