"""No input gets a 500: every route, called by its own audience with a valid CSRF token,
with malformed path ids, query strings and form fields (huge, negative, non-numeric, Unicode
digits, NUL bytes, dates out of range, missing and repeated fields, names in every script,
text of nothing visible, broken images and files). Bounded and seeded, so a failure names
the request that caused it and runs again the same way. Afterwards no text the fuzz saved
holds a control character or nothing visible, and every download names any file safely."""

import io
from urllib.parse import parse_qsl

from conftest import CSRF_IN_PAGE, PASSWORD
from fuzzing import (
    HOSTILE_FILE_NAMES,
    broken_images,
    form_fields,
    malformed_form,
    malformed_query,
    seeded,
    stored_text_problems,
)
from test_access import ROUTES, ids  # noqa: F401  (the fixture with a real row for every id)
from test_hostile_input import assert_well_formed

from accounts.access import VISITOR
from models import Upload, db

ROUNDS = 20


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
    names, rng, failures = form_fields(), seeded(), []
    for route in ROUTES:
        client = clients[route.audience]
        for round_number in range(ROUNDS):
            path_ids = dict(ids)
            if round_number in (1, 2):  # ids beyond any row, and ones that are not ids
                path_ids = dict.fromkeys(ids, "99999999999999999999" if round_number == 1 else "0")
            if round_number == 3:  # a row of another kind: a group session where an event's is
                path_ids["session"] = ids["group"]
            url, _, own_query = route.url.format(**path_ids).partition("?")
            query = dict(parse_qsl(own_query))
            query.update(malformed_query(rng))
            data = malformed_form(rng, names) if route.method != "GET" else None
            if data is not None and round_number in (4, 5):  # broken files in every file field
                name, content = rng.choice(broken_images())
                data |= {field: (io.BytesIO(content), name) for field in ("image", "file")}
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
    assert stored_text_problems() == []


def test_fuzz_every_download_names_hostile_file_names_safely(app, ids, sign_in):  # noqa: F811
    """Every GET route, after every stored upload has been given a hostile name: no 500, and
    every Content-Disposition is one a browser reads safely."""
    admin, host = sign_in().user, sign_in("host").user
    owners = {"member": "target@example.com", "host": host.email, "admin": admin.email}
    clients = {audience: client_for(app, audience, owners) for audience in owners | {VISITOR: 0}}
    failures, downloads = [], set()
    for file_name in HOSTILE_FILE_NAMES:
        with db.connection_context():
            Upload.update(filename=file_name).execute()
        for route in (route for route in ROUTES if route.method == "GET"):
            url = route.url.format(**ids)
            answer = clients[route.audience].get(url)
            if answer.status_code >= 500:
                failures.append(f"{url} {file_name!r} -> {answer.status_code}")
            disposition = answer.headers.get("Content-Disposition", "")
            if disposition.startswith("attachment"):  # (static files are "inline")
                downloads.add(route.url)
                assert_well_formed(disposition)
    assert failures == []
    assert len(downloads) >= 8, downloads  # CSV results and samples, exports, calendars
