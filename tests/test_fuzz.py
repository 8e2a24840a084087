"""No input gets a 500: every route, called by its own audience with a valid CSRF token,
with malformed path ids, query strings and form fields (huge, negative, non-numeric, Unicode
digits, NUL bytes, dates out of range, missing and repeated fields). Bounded and seeded, so
a failure names the request that caused it and runs again the same way."""

from urllib.parse import parse_qsl

from conftest import CSRF_IN_PAGE, PASSWORD
from fuzzing import form_fields, malformed_form, malformed_query, seeded
from test_access import ROUTES, ids  # noqa: F401  (the fixture with a real row for every id)

from accounts.access import VISITOR

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
