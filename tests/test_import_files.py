"""Registration files that must not break the import: every bad file gets one clear message
in the admin's language and changes nothing; oversized uploads answer 413; uploads never
fail while members sign up at the same moment."""

import threading

from test_applications_and_visits import member, row_count, upload

from models import ImportJob, Registration, Role, Status, db

UPLOADERS = 6
SIGNERS = 6
ROUNDS = 4


def test_uploads_while_members_sign_up_never_fail(app, sign_in, make_event, make_session):
    """Previewing writes the import through BEGIN IMMEDIATE like every other change, so it
    waits for the sign-ups' write lock instead of failing with "database is locked"."""
    event = make_event(is_active=True)
    session = make_session(event, name="Daytime", participant_limit=None)
    for number in range(3):
        member(f"listed{number}@example.com")
    data = b"email,session\n" + b"".join(
        f"listed{number}@example.com,Daytime\n".encode() for number in range(3)
    )
    admins = [sign_in(Role.ADMIN) for _ in range(UPLOADERS)]
    members = [[sign_in(Role.MEMBER) for _ in range(ROUNDS)] for _ in range(SIGNERS)]
    statuses, start = [], threading.Barrier(UPLOADERS + SIGNERS)

    def answer(kind, send, *args):
        try:  # under TESTING a server error reaches the test client as the exception itself
            statuses.append((kind, send(*args).status_code))
        except Exception as error:
            statuses.append((kind, repr(error)))

    def uploads(client):
        start.wait()
        for _ in range(ROUNDS):
            answer("upload", upload, client, event, data)

    def sign_ups(clients):
        start.wait()
        for client in clients:
            answer("sign-up", client.htmx, "post", f"/sessions/{session.id}/signup")

    threads = [threading.Thread(target=uploads, args=(client,)) for client in admins]
    threads += [threading.Thread(target=sign_ups, args=(clients,)) for clients in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    assert len(statuses) == (UPLOADERS + SIGNERS) * ROUNDS
    assert [answer for answer in statuses if answer[1] != 200] == []
    assert row_count(ImportJob) == UPLOADERS * ROUNDS
    with db.connection_context():
        approved = Registration.select().where(Registration.status == Status.APPROVED)
        assert approved.count() == SIGNERS * ROUNDS
