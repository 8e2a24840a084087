"""A session's meeting recordings as people meet them, whatever the platform: who may watch
them (admins, the host and the session's participants), which are shown (all but those a
host hid) and hiding one. A hidden recording keeps its row, so a later callback or sweep
that lists it again never brings it back."""

from models import Day, Recording, Registration, Status, utcnow


def may_watch(user, session):
    if user is None:
        return False
    if user.is_admin or session.host_id == user.id:
        return True
    return (
        Registration.select()
        .where(
            Registration.session == session,
            Registration.user == user,
            Registration.status.in_(Status.HOLDS_SEAT),
        )
        .exists()
    )


def may_hide(user, session):
    return user is not None and (user.is_admin or session.host_id == user.id)


def shown_recordings(session):
    """The session's recordings nobody hid, in the order they were made."""
    return list(
        Recording.select()
        .join(Day)
        .where(Day.session == session, Recording.hidden_at.is_null())
        .order_by(Recording.start_at, Recording.id)
    )


def hide_recording(recording, now=None):
    """Hide it for good (the first moment it was hidden is kept)."""
    Recording.update(hidden_at=now or utcnow()).where(
        Recording.id == recording.id, Recording.hidden_at.is_null()
    ).execute()
