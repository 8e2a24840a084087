"""No input gets a 500: every route, called by its own audience with a valid CSRF token,
with malformed path ids, query strings and form fields (huge, negative, non-numeric, Unicode
digits, NUL bytes, dates out of range, missing and repeated fields). Bounded and seeded, so
a failure names the request that caused it and runs again the same way."""

import random
import re
from pathlib import Path
from urllib.parse import parse_qsl

from conftest import CSRF_IN_PAGE, PASSWORD
from test_access import ROUTES, ids  # noqa: F401  (the fixture with a real row for every id)

from accounts.access import VISITOR

ROOT = Path(__file__).resolve().parent.parent
APP_FOLDERS = ["views", "sessions", "accounts", "foundation", "messaging", "meetings"]
READS = re.compile(
    r"""(?:reader\.\w+|form\.get(?:list)?|args\.get(?:list)?)\(\s*["']([a-z_]+)["']"""
)
NASTY = [
    "",
    " ",
    "0",
    "-1",
    "99999999999999999999",
    "9223372036854775808",
    "²",
    "١٢",
    "1e309",
    "nan",
    "\x00",
    "a\x00b",
    "x" * 5000,
    "<script>alert(1)</script>",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2030-02-30T10:00",
    "2030-03-31T02:30",
    "2030-10-27T02:30",
    "9999-12-31",
    "-0001-01-01",
    "%s%(x)s{0}",
    "../../etc/passwd",
    "\r\nSet-Cookie: x=1",
    "/\t/evil.example/",
    "🙂",
    "on",
    "1",
]
QUERY_FIELDS = ["page", "session", "status", "q", "edit", "tab", "next", "format", "kind"]
ROUNDS = 20


def form_fields():
    """Every field name the app reads, found in its source, so new forms are fuzzed too."""
    names = set()
    for folder in APP_FOLDERS:
        for path in (ROOT / folder).glob("*.py"):
            names.update(READS.findall(path.read_text()))
    return sorted(
        names | {f"{prefix}_{code}" for prefix in ("name", "title") for code in "en ru".split()}
    )


def malformed(rng, names):
    data = {}
    for name in rng.sample(names, k=rng.randint(0, len(names))):
        data[name] = [rng.choice(NASTY) for _ in range(rng.choice([1, 1, 1, 2]))]
    return data


def client_for(app, audience, owner_email):
    """The route's own audience; member routes as the member whose rows the ids name."""
    client = app.test_client()
    if audience != VISITOR:
        email = owner_email.get(audience)
        client.post("/login", data={"email": email, "password": PASSWORD})
    page = client.get("/login", follow_redirects=True).text
    client.csrf = CSRF_IN_PAGE.search(page).group(1)
    return client


def test_fuzz_no_route_answers_500_to_malformed_input(app, ids, sign_in):  # noqa: F811
    admin, host = sign_in().user, sign_in("host").user
    owners = {"member": "target@example.com", "host": host.email, "admin": admin.email}
    clients = {audience: client_for(app, audience, owners) for audience in owners | {VISITOR: 0}}
    names, rng, failures = form_fields(), random.Random(20261123), []
    for route in ROUTES:
        client = clients[route.audience]
        for round_number in range(ROUNDS):
            path_ids = dict(ids)
            if round_number in (1, 2):  # ids beyond any row, and ones that are not ids
                path_ids = dict.fromkeys(ids, "99999999999999999999" if round_number == 1 else "0")
            url, _, own_query = route.url.format(**path_ids).partition("?")
            query = dict(parse_qsl(own_query))
            query.update({name: rng.choice(NASTY) for name in rng.sample(QUERY_FIELDS, k=3)})
            data = malformed(rng, names) if route.method != "GET" else None
            try:
                answer = client.open(
                    url,
                    method=route.method,
                    query_string=query,
                    data=data,
                    headers={"X-CSRFToken": client.csrf, "HX-Request": "true"},
                )
                status = answer.status_code
            except Exception as error:  # noqa: BLE001  (TESTING re-raises what would be a 500)
                status = f"{type(error).__name__}: {error}"[:200]
            if not isinstance(status, int) or status >= 500:
                failures.append(f"{route.method} {url} {query!r:.200} {data!r:.300} -> {status}")
    assert failures == [], f"{len(failures)} answers of 500, e.g.\n" + "\n".join(failures[:10])
