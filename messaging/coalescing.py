"""One change, one email: which notices make others redundant.

A notice rendered from the session as it is when sent (an invitation, a confirmation) shows
every change of the session's days made before then. While one waits in the outbox, a "day
changed" for the same person and session would only arrive at the same moment saying the
same thing, so the outbox (`mail.expand_broadcasts`) writes none.
"""

from datetime import timedelta

from flask import current_app

from models import Email, EmailStatus

# A waiting notice of one of these kinds shows the session's days as they are when sent ...
COVERING_KINDS = frozenset(
    {"registration_confirmed", "waitlist_promoted", "registration_switched", "mentoring_invitation"}
)
# ... so these, about the same session for the same person, would say nothing new. (Not
# "day_cancelled": a session cancelled meanwhile must still be told as cancelled.)
COVERED_KINDS = frozenset({"day_changed"})


# Notices that wait a short while (NOTICE_HOLD_SECONDS) before they are sent: a mentoring
# session is published and its meeting link set a moment later, and the invitation should
# carry the link rather than be followed by a "day changed".
HELD_KINDS = frozenset({"mentoring_invitation"})


def hold_for(kind):
    """How long a new notice of `kind` waits in the outbox before it may be sent."""
    if kind not in HELD_KINDS:
        return timedelta(0)
    return timedelta(seconds=current_app.config.get("NOTICE_HOLD_SECONDS", 0))


def session_of(context):
    """The session a notice is about: its `session_id`, or its day's."""
    return context.get("session_id") or (context.get("day") or {}).get("session_id")


def covered_by_waiting_notices(kind, context, user_ids):
    """Those of `user_ids` with a still-queued covering notice about the same session. Read
    outside the write: one sent meanwhile was rendered after this change committed."""
    session_id = session_of(context)
    if kind not in COVERED_KINDS or not session_id or not user_ids:
        return set()
    waiting = Email.select(Email.user, Email.context).where(
        Email.user.in_(user_ids),
        Email.kind.in_(COVERING_KINDS),
        Email.status == EmailStatus.QUEUED,
    )
    return {row.user_id for row in waiting if session_of(row.context) == session_id}
