"""Seats for many people at once (the registration import): the batch version of booking's
atomic seat step, and the one place a batch's new registrations are written.

`take_seats` moves a session's seat counter by a whole batch in one guarded statement,
`UPDATE session SET seats_taken = seats_taken + n WHERE id = ? AND (no limit OR
seats_taken + n <= limit)`: the database checks capacity itself, so two batches (or a
batch and a sign-up) racing for the last seats can never overbook; when the batch does not
fit, nothing changes and the caller goes row by row, each row with its own outcome.
`register_approved` then writes the batch's registrations and their confirmations, one
multi-row INSERT each, in the caller's write transaction.
"""

from foundation.bulk_insert import insert_rows
from messaging import notifications
from models import Registration, RegistrationRole, Session, Status


def take_seats(session_id, count):
    """Take `count` seats of the session in one statement if all of them are free; whether
    it did (nothing is taken otherwise)."""
    fits = Session.participant_limit.is_null() | (
        Session.seats_taken + count <= Session.participant_limit
    )
    query = Session.update(seats_taken=Session.seats_taken + count).where(
        Session.id == session_id, fits
    )
    return query.execute() == 1


def register_approved(session, users, now):
    """Approved participant registrations of `users` (none registered in the session or
    live in its event: the caller checked, the unique indexes hold it) in `session`, whose
    seats the caller took, with their confirmation emails; their ids, in order."""
    registration_ids = insert_rows(
        Registration,
        [
            {
                "session": session.id,
                "event": session.event_id,
                "user": user.id,
                "role": RegistrationRole.PARTICIPANT,
                "status": Status.APPROVED,
                "queued_at": None,
                "created_at": now,
                "updated_at": now,
            }
            for user in users
        ],
        returning=Registration.id,
    )
    notifications.registrations_confirmed(
        (Registration(id=registration_id, session=session.id, updated_at=now), user)
        for registration_id, user in zip(registration_ids, users, strict=True)
    )
    return registration_ids
