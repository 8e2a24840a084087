"""The data model: company settings, users, events, sessions, days and registrations.

Times are stored as naive UTC datetimes (`*_at`); each session carries the IANA time zone
its times are entered and shown in. Texts entered per locale (event titles, session names)
are JSON objects `{"en": ..., "ru": ...}`.

A session is the one thing people register for: it belongs to an event (alternative
schedules such as "Daytime" and "Evening") or stands alone (group, mentoring and assessment
sessions). A day is the universal "when and where" of a session.
"""

import re
from datetime import UTC, datetime

import peewee as pw
from flask_babel import lazy_gettext as _l
from playhouse import db_url
from playhouse.pool import PooledDatabase
from werkzeug.security import check_password_hash, generate_password_hash

db = pw.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "synchronous": "normal",
}


def connect_database(url):
    """Point the shared database proxy at `url` (sqlite:///..., postgresql://...).

    Connections are pooled: a request borrows one and gives it back, so connecting and the
    SQLite PRAGMAs cost once per connection, not once per request.
    """
    if isinstance(db.obj, PooledDatabase):
        db.obj.close_all()  # a new target (tests, re-configuration): let the old files go
    scheme, _, rest = url.partition("://")
    pooled_url = url if scheme.endswith("+pool") else f"{scheme}+pool://{rest}"
    options = {"max_connections": 32, "stale_timeout": 300}
    if url.startswith("sqlite"):
        # A pooled connection moves between threads (never used by two at once).
        database = db_url.connect(
            pooled_url, pragmas=SQLITE_PRAGMAS, check_same_thread=False, **options
        )
        # SQLite's lower() folds ASCII only; searches need Cyrillic folded too.
        database.register_function(lambda text: text.casefold() if text else text, "casefold", 1)
        database.register_function(natural_key, "natural_key", 1, deterministic=True)
    else:
        database = db_url.connect(pooled_url, **options)
    db.initialize(database)
    return database


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


class Choices:
    """String constants with translated labels, for select boxes and badges."""

    LABELS: dict = {}

    @classmethod
    def values(cls):
        return list(cls.LABELS)

    @classmethod
    def label(cls, value):
        return cls.LABELS.get(value, value)


class Role(Choices):
    MEMBER = "member"
    HOST = "host"
    ADMIN = "admin"
    LABELS = {MEMBER: _l("Member"), HOST: _l("Host"), ADMIN: _l("Admin")}
    RANK = {MEMBER: 1, HOST: 2, ADMIN: 3}


class SessionKind(Choices):
    EVENT = "event"
    GROUP = "group"
    MENTORING = "mentoring"
    ASSESSMENT = "assessment"
    LABELS = {
        EVENT: _l("Event session"),
        GROUP: _l("Group session"),
        MENTORING: _l("Mentoring session"),
        ASSESSMENT: _l("Assessment session"),
    }


class DayFormat(Choices):
    OFFLINE = "offline"
    ONLINE = "online"
    ZOOM = "zoom"
    LABELS = {OFFLINE: _l("Offline"), ONLINE: _l("Online"), ZOOM: _l("Zoom conference")}


class ZoomRole(Choices):
    ADMINISTRATOR = "administrator"
    PARTICIPANT = "participant"
    LABELS = {ADMINISTRATOR: _l("Administrator"), PARTICIPANT: _l("Participant")}


class RegistrationRole(Choices):
    PARTICIPANT = "participant"
    HOST = "host"
    LABELS = {PARTICIPANT: _l("Participant"), HOST: _l("Host")}


class Status(Choices):
    APPROVED = "approved"
    CONFIRM_PARTICIPATION = "confirm_participation"
    PARTICIPATED = "participated"
    DENIED = "denied"
    MISSED = "missed"
    CANCELLED = "cancelled"
    WAITLISTED = "waitlisted"
    INVITED = "invited"
    LABELS = {
        APPROVED: _l("Approved"),
        CONFIRM_PARTICIPATION: _l("Confirm participation"),
        PARTICIPATED: _l("Participated"),
        DENIED: _l("Denied"),
        MISSED: _l("Missed"),
        CANCELLED: _l("Cancelled"),
        WAITLISTED: _l("Waiting list"),
        INVITED: _l("Invited"),
    }
    # A seat is held from approval on; the waiting list, denial and withdrawal hold none.
    HOLDS_SEAT = (APPROVED, CONFIRM_PARTICIPATION, PARTICIPATED, MISSED)
    PARTICIPATING = (APPROVED, CONFIRM_PARTICIPATION)
    COMPLETED = (PARTICIPATED, MISSED, DENIED)


class BaseModel(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False


class Company(BaseModel):
    """The one row of company settings; limits are settings here, never constants in code."""

    name = pw.CharField(default="Convene")
    timezone = pw.CharField(default="UTC")
    locales = pw.JSONField(default=lambda: ["en", "ru"])
    default_locale = pw.CharField(default="en")
    is_zoom_enabled = pw.BooleanField(default=False)
    allows_group_sessions = pw.BooleanField(default=False)
    mentees_per_session_limit = pw.IntegerField(default=20)
    bulk_rows_limit = pw.IntegerField(default=10_000)
    bulk_background_rows = pw.IntegerField(default=200)  # larger bulk files run as a job
    min_duration_minutes = pw.IntegerField(default=30)
    group_minimum_cutoff_hours = pw.IntegerField(default=24)
    # BigBlueButton rooms are created with `record=true` (a moderator may record) while this
    # holds; `autoStartRecording` starts the recorder as the room opens.
    allows_bbb_recordings = pw.BooleanField(default=True)
    bbb_auto_start_recording = pw.BooleanField(default=False)

    @classmethod
    def current(cls):
        company = cls.select().order_by(cls.id).first()
        return company or cls.create()


class User(BaseModel):
    email = pw.CharField(unique=True)  # always stored lower-case
    name = pw.CharField()
    password_hash = pw.CharField()
    role = pw.CharField(default=Role.MEMBER)
    locale = pw.CharField(null=True)  # None: follow the browser
    timezone = pw.CharField(null=True)  # None: follow the browser
    handle = pw.CharField(null=True, unique=True)  # public profile at /u/<handle>
    calendar_token = pw.CharField(null=True, unique=True)  # private feed /calendar/<token>.ics
    is_active = pw.BooleanField(default=True)
    # Carried in the session cookie; raising it ends every signed-in session of the account
    # (sign-out, a new password, deactivation): see accounts/access.py.
    session_version = pw.IntegerField(default=0)
    created_at = pw.DateTimeField(default=utcnow)

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)  # scrypt

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def has_role(self, role):
        return Role.RANK.get(self.role, 0) >= Role.RANK[role]

    @property
    def is_admin(self):
        return self.role == Role.ADMIN


class Event(BaseModel):
    """A container of alternative sessions; it may have no dates yet."""

    title = pw.JSONField()
    description = pw.TextField(default="")
    is_active = pw.BooleanField(default=False)  # hidden until an admin activates it
    starts_on = pw.DateField(null=True)
    ends_on = pw.DateField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    @property
    def has_date(self):
        return self.starts_on is not None


class Session(BaseModel):
    event = pw.ForeignKeyField(Event, null=True, backref="sessions", on_delete="CASCADE")
    kind = pw.CharField(default=SessionKind.EVENT)
    name = pw.JSONField()
    description = pw.TextField(default="")
    timezone = pw.CharField()
    registration_end_at = pw.DateTimeField(null=True)
    participant_limit = pw.IntegerField(null=True)  # None: no limit
    min_participants = pw.IntegerField(null=True)
    host = pw.ForeignKeyField(User, null=True, backref="hosted_sessions", on_delete="SET NULL")
    is_public = pw.BooleanField(default=True)
    # Seats held by participants: the guarded counter that makes booking atomic (booking.py).
    seats_taken = pw.IntegerField(default=0)
    cancelled_at = pw.DateTimeField(null=True)
    minimum_checked_at = pw.DateTimeField(null=True)  # group sessions: the cut-off check ran
    created_at = pw.DateTimeField(default=utcnow)

    @property
    def has_limit(self):
        return self.participant_limit is not None

    @property
    def seats_left(self):
        return (
            None
            if self.participant_limit is None
            else max(self.participant_limit - self.seats_taken, 0)
        )

    @property
    def is_full(self):
        return self.seats_left == 0

    def registration_is_open(self, now):
        if self.cancelled_at is not None:
            return False
        return self.registration_end_at is None or now < self.registration_end_at


class Day(BaseModel):
    session = pw.ForeignKeyField(Session, backref="days", on_delete="CASCADE")
    start_at = pw.DateTimeField()
    end_at = pw.DateTimeField()
    format = pw.CharField(default=DayFormat.OFFLINE)
    address = pw.TextField(default="")  # offline: venue, links allowed
    url = pw.TextField(default="")  # online: the meeting link
    passcode = pw.CharField(default="")  # online Zoom link: the meeting passcode
    zoom_role = pw.CharField(null=True)
    zoom_organizer = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    sequence = pw.IntegerField(default=0)  # iCalendar SEQUENCE: grows with every change
    # Meeting platforms (issue 12, meetings/platforms.py): the platform chosen for an online
    # day, even before its link is known ("set the link later"), and a Zoom meeting ID.
    platform = pw.CharField(default="")
    meeting_id = pw.CharField(default="")

    class Meta:
        indexes = ((("session", "start_at"), False),)

    @property
    def duration(self):
        return self.end_at - self.start_at

    @classmethod
    def with_zoom(cls, *models):
        """Days (with `models`) and their Zoom meetings in one query: `day.zoom` then asks
        nothing more. Join further models from Day."""
        return (
            cls.select(cls, ZoomMeeting, *models)
            .join(ZoomMeeting, pw.JOIN.LEFT_OUTER, on=(ZoomMeeting.day == cls.id), attr="_zoom")
            .switch(cls)
        )

    @property
    def zoom(self):
        """The Zoom meeting Convene made for this day and its state (`ZoomMeeting`), or a blank
        one when there is none. Read once per day unless loaded with it (`Day.with_zoom`)."""
        if "_zoom" not in self.__dict__:
            known = self.id and ZoomMeeting.get_or_none(ZoomMeeting.day == self.id)
            self._zoom = known or None
        return self._zoom or ZoomMeeting(day=self)

    @zoom.setter
    def zoom(self, meeting):
        """What `day.zoom` answers from now on (None: no meeting), without asking the database."""
        self._zoom = meeting


class Registration(BaseModel):
    """A person in a session, with a role and a status.

    `event` repeats the session's event so the database itself can forbid two live
    participant registrations of one user in one event: the partial unique index
    `registration_one_live_per_event` (migration 002).
    """

    session = pw.ForeignKeyField(Session, backref="registrations", on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, null=True, on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="registrations", on_delete="CASCADE")
    role = pw.CharField(default=RegistrationRole.PARTICIPANT)
    status = pw.CharField(default=Status.APPROVED)
    queued_at = pw.DateTimeField(null=True)  # the place in the waiting list
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("session", "user"), True), (("session", "status"), False))


class Reminder(BaseModel):
    """An email to everyone who has not completed a session, at a fixed time or a number of
    days or hours before the first day. `due_at` is derived and recomputed when days move."""

    session = pw.ForeignKeyField(Session, backref="reminders", on_delete="CASCADE")
    fixed_at = pw.DateTimeField(null=True)
    offset = pw.IntegerField(null=True)  # with offset_unit: how long before the first day
    offset_unit = pw.CharField(null=True)  # "days" or "hours"
    due_at = pw.DateTimeField(null=True, index=True)
    sent_at = pw.DateTimeField(null=True)
    sent_count = pw.IntegerField(default=0)

    @property
    def is_sent(self):
        return self.sent_at is not None


class EmailStatus(Choices):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    LABELS = {QUEUED: _l("Queued"), SENDING: _l("Sending"), SENT: _l("Sent"), FAILED: _l("Failed")}


class Email(BaseModel):
    """One email in the outbox, written in the same transaction as the change it tells of.

    The request writes only what to tell whom: `kind` (the template), `context` (ids, and a
    snapshot of what may be gone by then, such as a deleted day), the recipient's locale and
    zone. The worker renders it when it sends, and keeps what it sent (subject, bodies,
    attachments) for the email log. `key` makes it idempotent: the same notice for the same
    person is queued once. A worker claims a row (`claim`, `claimed_at`) before sending; a
    claim older than the lease is taken over, so a killed worker's email is neither lost
    nor sent twice.
    """

    key = pw.CharField(unique=True)
    to_address = pw.CharField()
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    kind = pw.CharField(default="")
    context = pw.JSONField(default=dict)
    locale = pw.CharField(default="en")
    zone = pw.CharField(default="UTC")
    subject = pw.CharField(max_length=300, default="")
    text_body = pw.TextField(default="")
    html_body = pw.TextField(default="")
    attachments = pw.JSONField(default=list)  # [{"filename", "content_type", "data"}]
    status = pw.CharField(default=EmailStatus.QUEUED)
    attempts = pw.IntegerField(default=0)
    last_error = pw.TextField(default="")
    next_attempt_at = pw.DateTimeField(default=utcnow)
    claim = pw.CharField(null=True)
    claimed_at = pw.DateTimeField(null=True)
    sent_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)

    @property
    def is_rendered(self):
        return bool(self.html_body)


class Broadcast(BaseModel):
    """A notice to many people (a day changed: everyone in its session), written by the
    request as one row with the recipients' ids; the worker turns it into one email each,
    in batches, after the commit."""

    key = pw.CharField(unique=True)
    kind = pw.CharField()
    context = pw.JSONField(default=dict)
    user_ids = pw.JSONField(default=list)
    created_at = pw.DateTimeField(default=utcnow)
    expanded_at = pw.DateTimeField(null=True, index=True)


# Mentoring sessions (sessions/mentoring/) ------------------------------------------------


class MentoringDetails(BaseModel):
    """What a mentoring session has beyond a session: when it was published (type and mentor
    are fixed from then on), its tags and its optional image."""

    session = pw.ForeignKeyField(Session, unique=True, backref="mentoring", on_delete="CASCADE")
    published_at = pw.DateTimeField(null=True)
    recommended_for = pw.JSONField(default=list)
    categories = pw.JSONField(default=list)
    medium = pw.JSONField(default=list)
    image_name = pw.CharField(default="")  # a file in instance/images, named by the app

    @property
    def is_published(self):
        return self.published_at is not None


class TagOption(BaseModel):
    """The options offered for "Recommended for", "Categories" and "Medium"; admins manage
    them and a creator may add one in place."""

    kind = pw.CharField()  # recommended_for, categories, medium
    label = pw.CharField(max_length=100)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("kind", "label"), True),)


class Invitation(BaseModel):
    """A mentee invited to a mentoring session by its creator: the seat is theirs at once
    (status approved) until they leave; this row remembers that they were invited."""

    registration = pw.ForeignKeyField(
        Registration, unique=True, backref="invitation", on_delete="CASCADE"
    )
    invited_at = pw.DateTimeField(default=utcnow)


# Bulk session upload (sessions/bulk_upload.py) ------------------------------------------


# Zoom (meetings/zoom/) -------------------------------------------------------------------


class ZoomState(Choices):
    NONE = ""
    CREATING = "creating"
    READY = "ready"
    REFUSED = "refused"
    LABELS = {NONE: "", CREATING: _l("Creating…"), READY: _l("Ready"), REFUSED: _l("Zoom refused")}


class ZoomMeeting(BaseModel):
    """The Zoom meeting Convene made for a Zoom conference day (meetings/zoom/meeting_sync.py)
    and its state; a day with no meeting and no state has no row (`Day.zoom` answers a blank
    one)."""

    day = pw.ForeignKeyField(Day, unique=True, backref="+", on_delete="CASCADE")
    meeting_id = pw.CharField(null=True, index=True)  # webhooks find their day by it
    join_url = pw.TextField(default="")
    state = pw.CharField(default="")  # ZoomState
    error = pw.TextField(default="")
    instance_uuid = pw.CharField(default="")  # the last instance that ended


class ZoomConnection(BaseModel):
    """A connected Zoom account: the company's (`user` None) or an organizer's own. Tokens are
    encrypted (meetings/zoom/oauth.py seal/unseal); `account_type` is GET /users/me `type`."""

    OAUTH = "oauth"
    SERVER_TO_SERVER = "s2s"

    user = pw.ForeignKeyField(User, null=True, unique=True, on_delete="CASCADE")
    kind = pw.CharField(default=OAUTH)
    zoom_user_id = pw.CharField(default="")
    email = pw.CharField(default="")
    account_type = pw.IntegerField(null=True)
    access_token = pw.TextField(default="")
    refresh_token = pw.TextField(default="")
    expires_at = pw.DateTimeField(null=True)
    scope = pw.TextField(default="")
    problem = pw.CharField(default="")  # "revoked": connect again
    connected_at = pw.DateTimeField(default=utcnow)

    @property
    def is_licensed(self):
        return self.account_type == 2


class ZoomSettings(BaseModel):
    """Company-wide Zoom settings (one row)."""

    attendance_threshold = pw.IntegerField(default=50)  # % of the day that counts as present
    keeps_records = pw.BooleanField(default=True)  # the records (training) module

    @classmethod
    def current(cls):
        return cls.select().order_by(cls.id).first() or cls.create()


class Attendance(BaseModel):
    """One person in an online day's meeting, on any platform (sessions/attendance.py reads
    it): Zoom's participants report or webhooks, BigBlueButton's learning-analytics report.
    A person is matched to a registration by `user` when the platform knows Convene's user
    id (BigBlueButton's `userID`), else by e-mail (Zoom)."""

    day = pw.ForeignKeyField(Day, backref="attendance", on_delete="CASCADE")
    person = pw.CharField()  # the e-mail, lower-case; "user:<id>"; else the platform's id or name
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    email = pw.CharField(default="")
    name = pw.CharField(default="")
    seconds = pw.IntegerField(null=True)  # None: presence only (Zoom's Participant role)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("day", "person"), True),)


class RecordingPlatform(Choices):
    ZOOM = "zoom"
    BIGBLUEBUTTON = "bigbluebutton"
    LABELS = {ZOOM: _l("Zoom"), BIGBLUEBUTTON: _l("BigBlueButton")}


class Recording(BaseModel):
    """A recording of an online day's meeting: a Zoom cloud recording file, or a
    BigBlueButton recording (`file_id` is its `recordID`). A host may hide one (`hidden_at`);
    a hidden recording stays hidden whatever the platform reports later."""

    day = pw.ForeignKeyField(Day, backref="recordings", on_delete="CASCADE")
    platform = pw.CharField(default=RecordingPlatform.ZOOM)
    file_id = pw.CharField(unique=True)
    recording_type = pw.CharField(default="")
    file_type = pw.CharField(default="")
    start_at = pw.DateTimeField(null=True)
    end_at = pw.DateTimeField(null=True)
    file_size = pw.BigIntegerField(default=0)
    play_url = pw.TextField(default="")
    download_url = pw.TextField(default="")
    hidden_at = pw.DateTimeField(null=True)

    @property
    def duration(self):
        return self.end_at - self.start_at if self.start_at and self.end_at else None


class ZoomWebhookEvent(BaseModel):
    """Webhook deliveries already handled, so a repeated one changes nothing."""

    key = pw.CharField(unique=True)
    event = pw.CharField()
    received_at = pw.DateTimeField(default=utcnow)


# The Zoom tables migration 011 created as they still are; ZoomMeeting came with migration
# 014, and 015 made Zoom's attendance and recordings the platform-neutral tables.
ZOOM_MODELS = [ZoomConnection, ZoomSettings, ZoomWebhookEvent]


ALL_MODELS = [
    Company,
    User,
    Event,
    Session,
    Day,
    Registration,
    Reminder,
    Email,
    Broadcast,
    MentoringDetails,
    TagOption,
    Invitation,
    *ZOOM_MODELS,
    ZoomMeeting,
    Attendance,
    Recording,
]


def contains_text(column, text):
    """Case-insensitive substring search, in every script, with no LIKE wildcards."""
    if isinstance(db.obj, pw.SqliteDatabase):
        return pw.fn.instr(pw.fn.casefold(column), text.casefold()) > 0
    return pw.fn.strpos(pw.fn.LOWER(column), text.lower()) > 0


DIGIT_RUN = re.compile(r"[0-9]+")


def natural_key(text):
    """A text's natural sort key: case-folded, each run of digits written as its length (three
    digits) and then the digits without leading zeros, so that "Person 2" < "Person 10"."""
    if text is None:
        return None

    def number(run):
        digits = run.group().lstrip("0")
        return f"{len(digits):03d}{digits}"

    return DIGIT_RUN.sub(number, text.casefold())


class NaturalOrder(pw.ColumnBase):
    """`natural_key(column)` as an SQL expression to ORDER BY in the database: SQLite calls the
    Python function (registered on every connection), PostgreSQL builds the same key from the
    column's runs of digits and non-digits. The whole list is ordered in SQL, so a page of a
    sorted list loads its own rows only. The dialect is chosen when the query is written, so
    a view may declare its sort keys once, at import."""

    def __init__(self, column):
        super().__init__()
        self.column = column

    def __sql__(self, ctx):
        if isinstance(db.obj, pw.SqliteDatabase):
            return ctx.sql(pw.fn.natural_key(self.column))
        return ctx.sql(
            pw.NodeList(
                (
                    pw.SQL(
                        "(SELECT string_agg(CASE WHEN run[1] ~ '^[0-9]' THEN "
                        "lpad(length(ltrim(run[1], '0'))::text, 3, '0') || ltrim(run[1], '0') "
                        "ELSE lower(run[1]) END, '' ORDER BY n) FROM regexp_matches("
                    ),
                    self.column,
                    pw.SQL(", '[0-9]+|[^0-9]+', 'g') WITH ORDINALITY AS runs(run, n))"),
                )
            )
        )


def write_transaction():
    """A transaction for read-then-write checks (uniqueness, overlaps, seats).

    SQLite takes the write lock up front (BEGIN IMMEDIATE) so two writers cannot both pass
    a check; on PostgreSQL the caller locks the row it checks with `locked()`.
    """
    if isinstance(db.obj, pw.SqliteDatabase):
        return db.atomic(lock_type="IMMEDIATE")
    return db.atomic()


def locked(model, row_id):
    """Re-read a row inside the transaction, locked FOR UPDATE where the database has it."""
    query = model.select().where(model.id == row_id)
    if not isinstance(db.obj, pw.SqliteDatabase):
        query = query.for_update()
    return query.get()


# Assessment sessions (360-degree feedback) -------------------------------------------------
# An assessment session is a Session row of kind "assessment" (the one thing people register
# for: its participants are plain Registrations, its facilitator is Session.host) plus one
# AssessmentSession detail row with what only assessments have: the questionnaire and the
# key dates. See assessments/__init__.py.


class RaterRelationship(Choices):
    MANAGER = "manager"
    PEER = "peer"
    DIRECT_REPORT = "direct_report"
    OTHER = "other"
    LABELS = {
        MANAGER: _l("Manager"),
        PEER: _l("Peer"),
        DIRECT_REPORT: _l("Direct report"),
        OTHER: _l("Other"),
    }


class Assessment(BaseModel):
    """A questionnaire of the catalog. `content` is the whole document, edited and shared as
    one JSON (assessments/catalog.py): per-locale texts, question groups with stable keys,
    and the minimum number of raters per relationship it accepts."""

    name = pw.JSONField()  # {"en": ..., "ru": ...}
    content = pw.JSONField()
    created_at = pw.DateTimeField(default=utcnow)


class ClientOrganization(BaseModel):
    name = pw.CharField(unique=True)


class AssessmentSession(BaseModel):
    session = pw.ForeignKeyField(
        Session, unique=True, backref="assessment_detail", on_delete="CASCADE"
    )
    assessment = pw.ForeignKeyField(Assessment, backref="sessions", on_delete="RESTRICT")
    client = pw.ForeignKeyField(ClientOrganization, null=True, on_delete="SET NULL")
    session_on = pw.DateField()
    invitation_on = pw.DateField()
    completion_on = pw.DateField()
    invitation_due_at = pw.DateTimeField(index=True)  # derived: the invitation date's send time
    closes_at = pw.DateTimeField()  # derived: the end of the completion date


class AssessmentReminder(BaseModel):
    assessment_session = pw.ForeignKeyField(
        AssessmentSession, backref="reminders", on_delete="CASCADE"
    )
    number = pw.IntegerField()  # 1..3
    due_on = pw.DateField()
    due_at = pw.DateTimeField(index=True)
    sent_at = pw.DateTimeField(null=True)
    sent_count = pw.IntegerField(default=0)

    class Meta:
        indexes = ((("assessment_session", "number"), True),)


class AssessmentParticipant(BaseModel):
    """A participant's part: the invitation and the self-survey (answers saved as they go)."""

    registration = pw.ForeignKeyField(
        Registration, unique=True, backref="assessment_part", on_delete="CASCADE"
    )
    invited_at = pw.DateTimeField(null=True)
    answers = pw.JSONField(default=dict)  # {question key: 1..5, "na" or text}
    saved_at = pw.DateTimeField(null=True)
    submitted_at = pw.DateTimeField(null=True)


class Rater(BaseModel):
    """Someone a participant asked for feedback; answers through a private link (`token`),
    with no account. A revoked link is replaced by a new token (or none)."""

    participant = pw.ForeignKeyField(AssessmentParticipant, backref="raters", on_delete="CASCADE")
    name = pw.CharField()
    email = pw.CharField()
    relationship = pw.CharField()
    token = pw.CharField(null=True, unique=True)
    answers = pw.JSONField(default=dict)
    saved_at = pw.DateTimeField(null=True)
    submitted_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)


ALL_MODELS += [
    Assessment,
    ClientOrganization,
    AssessmentSession,
    AssessmentReminder,
    AssessmentParticipant,
    Rater,
]


# Uploaded files of every import (imports/) ------------------------------------------------


class UploadKind(Choices):
    REGISTRATIONS = "registrations"  # an event's registrations (sessions/registration_import.py)
    SESSIONS = "sessions"  # the bulk session upload (sessions/bulk_upload.py)
    ASSESSMENT_PARTICIPANTS = "assessment_participants"  # assessments/participant_import.py


class UploadStatus(Choices):
    PREVIEW = "preview"  # every row checked; waits for the admin to apply it
    QUEUED = "queued"
    WORKING = "working"
    DONE = "done"


class Upload(BaseModel):
    """An uploaded file of any import and how far its run got: `done` rows of `total`, moved
    in the same transaction as each batch's changes, so a restart resumes after them.

    An import that shows a preview keeps its rows with their outcomes in `rows` (read whole,
    applied in order, written back once at the end: what the database holds says which rows
    a crashed run applied). The bulk session upload keeps the file in `data` and writes an
    UploadRow per row with the change the row made, since its creates leave no other trace
    of which row made them."""

    kind = pw.CharField()
    uploaded_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    event = pw.ForeignKeyField(Event, null=True, on_delete="CASCADE")
    assessment_session = pw.ForeignKeyField(AssessmentSession, null=True, on_delete="CASCADE")
    filename = pw.CharField()
    locale = pw.CharField(default="en")  # the uploader's language, for the rows' messages
    status = pw.CharField(default=UploadStatus.PREVIEW)
    is_check = pw.BooleanField(default=False)  # a dry run: only the results are written
    data = pw.BlobField(null=True)  # the file as uploaded, when the job reads it again
    columns = pw.JSONField(default=list)  # the headings, in file order
    extra_columns = pw.JSONField(default=list)  # headings the import does not use
    rows = pw.JSONField(default=list)  # [{"line": n, "email": ..., "outcome": ..., ...}]
    total = pw.IntegerField(default=0)
    done = pw.IntegerField(default=0)
    counts = pw.JSONField(default=dict)  # {outcome: n} once done
    created_at = pw.DateTimeField(default=utcnow)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("uploaded_by", "kind", "id"), False),)

    @property
    def is_working(self):
        return self.status in (UploadStatus.QUEUED, UploadStatus.WORKING)


class UploadRow(BaseModel):
    """One row's result, written in the same transaction as the change the row made."""

    upload = pw.ForeignKeyField(Upload, backref="results", on_delete="CASCADE")
    line = pw.IntegerField()
    cells = pw.JSONField()  # the row's cells in the order of the file's headings
    session_id = pw.IntegerField(null=True)  # the created, edited or deleted session
    status = pw.CharField()  # published, valid, deleted, invalid
    message = pw.TextField(default="")

    class Meta:
        indexes = ((("upload", "line"), True), (("upload", "status", "line"), False))


ALL_MODELS += [Upload, UploadRow]


# The history of who changed what (sessions/history.py) -----------------------------------


class HistoryEntry(BaseModel):
    """One change to a registration, a session or an event's visibility: when, who (a user,
    or a machine actor such as an import), what (a code of `history.Change`), about whom and
    what, and the values before and after as short JSON of codes and ids, put into words in
    the reader's language when read. Written in the transaction of the change; the app has
    no way to edit or delete one."""

    changed_at = pw.DateTimeField(default=utcnow)
    actor = pw.CharField()  # history.Actor: "user", "import", "job", ...
    actor_user = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    change = pw.CharField()  # history.Change
    event = pw.ForeignKeyField(Event, null=True, backref="+", on_delete="SET NULL")
    session = pw.ForeignKeyField(Session, null=True, backref="+", on_delete="SET NULL")
    person = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    before = pw.JSONField(null=True)
    after = pw.JSONField(null=True)

    class Meta:
        table_name = "history"
        # Each page reads one subject's entries newest first.
        indexes = (
            (("event", "id"), False),
            (("session", "id"), False),
            (("person", "id"), False),
        )


ALL_MODELS += [HistoryEntry]
