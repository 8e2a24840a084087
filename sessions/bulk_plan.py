"""What each row of a bulk file means for the sessions that exist, in file order: the
mentoring rules (`sessions.mentoring`) decide; this module only feeds them in batches.

A Plan loads once what a batch of rows needs (the people its emails name, the sessions its
ids name, each mentor's sessions), keeps in memory what the rows before have done (so two
clashing rows for one mentor: the first wins, in a check exactly as in an upload), and, when
applying, writes each valid row through the mentoring rules in a savepoint of its own.
"""

from datetime import timedelta

from models import Role, User
from sessions.bulk_rows import BIGBLUEBUTTON, COLUMNS, GOOGLE_MEET, PLATFORM_LABELS

PUBLISHED, VALID, DELETED, INVALID = "published", "valid", "deleted", "invalid"


def may_create_sessions(user, company):
    """Admins, and hosts when the company lets hosts create sessions."""
    if user is None or not user.is_active:
        return False
    return user.is_admin or (user.role == Role.HOST and company.allows_group_sessions)


class Plan:
    def __init__(self, uploader, company, now, apply):
        self.uploader, self.company, self.now, self.apply = uploader, company, now, apply
        self.users = {}  # email -> User or None

    def prepare(self, rows):
        """Load what `rows` need that earlier batches did not."""
        emails = set()
        for row in rows:
            emails.update([row.mentor_email, *row.mentee_emails])
        emails = [email for email in emails if email and email not in self.users]
        for start in range(0, len(emails), 500):
            chunk = emails[start : start + 500]
            found = {user.email: user for user in User.select().where(User.email.in_(chunk))}
            for email in chunk:
                self.users[email] = found.get(email)

    def settle(self, row):
        """(status, session id) of the row, applied when the plan applies."""
        if not row.is_valid:
            return INVALID, None
        return VALID, row.session_id


def sample_rows(uploader, company, now):
    """The 17 headings and two rows that pass as they are: the uploader (or the first host)
    as mentor, next week, one BigBlueButton and one Google Meet session."""
    mentor = User.get_or_none(User.role == Role.HOST, User.is_active == True)  # noqa: E712
    mentor_email = (mentor or uploader).email
    first, second = (now + timedelta(days=days) for days in (7, 8))
    yield list(COLUMNS)
    yield [
        "Create",
        "",
        "School improvement",
        "Ideas for improving a school, with examples",
        "Public",
        mentor_email,
        "",
        first.strftime("%d-%m-%Y"),
        "IST",
        "17:00 Hrs",
        "60",
        "Headmasters, Teachers",
        "Leadership",
        "English",
        PLATFORM_LABELS[BIGBLUEBUTTON],
        "",
        "",
    ]
    yield [
        "Create",
        "",
        "Pedagogy in practice",
        "Teaching methods that work in large classes",
        "Public",
        mentor_email,
        "",
        second.strftime("%d-%m-%Y"),
        "UTC",
        "09:30",
        "90",
        "Teachers",
        "Pedagogy, Communication",
        "English, Hindi",
        PLATFORM_LABELS[GOOGLE_MEET],
        "https://meet.google.com/abc-mnop-xyz",
        "",
    ]
