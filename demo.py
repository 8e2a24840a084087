"""Demo data for `make run`: a company, one user of each role, and the event
"Leadership Training" with its "Daytime" and "Evening" sessions and days of each format, a
public group session, and a public and a private mentoring session. The demo member is in
the evening session, and a second group session overlaps its first evening, so joining it
shows the clash warning. With BigBlueButton configured (`make bbb-standin`), also a
BigBlueButton mentoring hour that Maria Member took and that ended an hour ago, whose
recording and attendance the stand-in can then send (`bigbluebutton_report_command`)."""

from datetime import timedelta

from assessments import demo_data
from foundation import schedule
from meetings import bigbluebutton
from models import (
    Company,
    Day,
    DayFormat,
    Event,
    Registration,
    RegistrationRole,
    Role,
    Session,
    SessionKind,
    Status,
    User,
    ZoomRole,
    utcnow,
    write_transaction,
)
from sessions import booking, history, mentoring

PASSWORD = "convene-demo"
ADMIN_EMAIL = "admin@convene.test"
ZONE = "Europe/Moscow"


def _user(email, name, role, handle=None):
    user = User(email=email, name=name, role=role, handle=handle)
    user.set_password(PASSWORD)
    user.save()
    return user


def _day(session, start_local, hours, **place):
    start = schedule.to_utc(start_local, session.timezone)
    return Day.create(
        session=session, start_at=start, end_at=start + timedelta(hours=hours), **place
    )


def load_once():
    """Load the demo into an empty database; answer whether it did."""
    if User.select().exists():
        return False
    with write_transaction():
        company = Company.current()
        company.name, company.timezone, company.locales = "Convene Demo", ZONE, ["en", "ru"]
        company.is_zoom_enabled = company.allows_group_sessions = True
        company.save()
        admin = _user(ADMIN_EMAIL, "Alice Admin", Role.ADMIN)
        host = _user("host@convene.test", "Hugo Host", Role.HOST, handle="demo-host")
        member = _user("member@convene.test", "Maria Member", Role.MEMBER)
        today = schedule.to_local_naive(utcnow(), ZONE).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        evening = _training_event(host, today + timedelta(days=14))
        _removed_by_the_admin(member, admin, evening)
        _group_session(host, today + timedelta(days=10, hours=18))
        _member_in_the_evening(member, evening)
        _group_session(
            host,
            today + timedelta(days=14, hours=20),
            name={"en": "Evening networking", "ru": "Вечерний нетворкинг"},
            description="Meet the other participants over an hour of short conversations.",
        )
        demo_data.load(host, member, ZONE, member.password_hash)  # assessment sessions
    with history.acting_as(history.Actor.USER, host.id):  # the host publishes them
        _mentoring_sessions(host, today)
    if bigbluebutton.is_configured():
        _finished_bigbluebutton_session(host, member)
    return True


def _finished_bigbluebutton_session(host, member):
    """Made through the rules a day ahead (a session cannot be made in the past), taken by
    Maria Member, then moved to have ended an hour ago."""
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=1)
    session = mentoring.create(
        mentoring.MentoringValues(
            title="Finished: interviewing well",
            description="A BigBlueButton hour that is over: its recording and attendance.",
            mentor=host,
            start_at=start,
            end_at=start + timedelta(hours=1),
            timezone=ZONE,
            categories=["Career"],
            medium=["English"],
            platform="BigBlueButton",
        ),
        Company.current(),
    )
    booking.sign_up(member, session)
    ended = utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)
    Day.update(start_at=ended - timedelta(hours=1), end_at=ended).where(
        Day.session == session
    ).execute()


def bigbluebutton_report_command():
    """The stand-in's command that sends the finished BigBlueButton session's recording and
    attendance (Maria Member 50 minutes of 60), or None without that session."""
    day = (
        Day.select()
        .join(Session)
        .where(
            Session.kind == SessionKind.MENTORING,
            Day.platform == "bigbluebutton",
            Day.end_at < utcnow(),
        )
        .first()
    )
    member = User.get_or_none(User.email == "member@convene.test")
    if day is None or member is None:
        return None
    meeting = bigbluebutton.meeting_id_for(day)
    return f".venv/bin/python tests/bbb_standin.py --report {meeting} --attendee {member.id}:50"


def _training_event(host, first):
    """A three-day event from `first` (local midnight): a daytime session with a day of each
    format (the Zoom day organised by the demo host) and an evening session."""
    event = Event.create(
        title={"en": "Leadership Training", "ru": "Тренинг лидерства"},
        description="Three days on leading teams, offered in the daytime and in the evening.",
        is_active=True,
        starts_on=first.date(),
        ends_on=(first + timedelta(days=3)).date(),
    )
    registration_end = schedule.to_utc(
        first - timedelta(days=2) + timedelta(hours=11, minutes=59), ZONE
    )
    daytime = Session.create(
        event=event,
        name={"en": "Daytime", "ru": "Дневная"},
        timezone=ZONE,
        registration_end_at=registration_end,
        participant_limit=20,
    )
    evening = Session.create(
        event=event,
        name={"en": "Evening", "ru": "Вечерняя"},
        timezone=ZONE,
        registration_end_at=registration_end,
    )
    Registration.create(session=daytime, event=event, user=host, role=RegistrationRole.HOST)
    _training_days(daytime, evening, host, first)
    return evening


def _removed_by_the_admin(member, admin, session):
    """The demo member once registered for `session` and the admin removed them: their
    history (Users → History) shows who removed them and when. Nobody is emailed."""
    with history.acting_as(history.Actor.USER, member.id):
        registration = Registration.create(session=session, event=session.event_id, user=member)
        history.record_status(registration, None, Status.APPROVED, history.Change.REGISTERED)
    with history.acting_as(history.Actor.USER, admin.id):
        booking.remove_registrations([registration.id])


def _member_in_the_evening(member, evening):
    """After the removal, the demo member registered again and holds a seat in the evening
    session (its first day 19:00–21:00)."""
    with history.acting_as(history.Actor.USER, member.id):
        registration = Registration.create(session=evening, event=evening.event_id, user=member)
        taken = Session.seats_taken + 1
        Session.update(seats_taken=taken).where(Session.id == evening.id).execute()
        history.record_status(registration, None, Status.APPROVED, history.Change.REGISTERED)


def _training_days(daytime, evening, host, first):
    """Daytime: a day in a room, one on a Zoom link, one a Zoom conference; evening: one
    online, one in a room."""
    _day(
        daytime,
        first + timedelta(hours=10),
        3,
        format=DayFormat.OFFLINE,
        address="Tverskaya 7, Moscow, room 4 — map: https://yandex.ru/maps/-/CDxYz",
    )
    _day(
        daytime,
        first + timedelta(days=1, hours=10),
        3,
        format=DayFormat.ONLINE,
        url="https://us02web.zoom.us/j/85551112222",
        passcode="leader1",
    )
    _day(
        daytime,
        first + timedelta(days=2, hours=10),
        2,
        format=DayFormat.ZOOM,
        zoom_role=ZoomRole.PARTICIPANT,
        zoom_organizer=host,
    )
    _day(
        evening,
        first + timedelta(hours=19),
        2,
        format=DayFormat.ONLINE,
        url="https://meet.google.com/jgx-ydjs-ptv",
    )
    _day(
        evening,
        first + timedelta(days=1, hours=19),
        2,
        format=DayFormat.OFFLINE,
        address="Tverskaya 7, Moscow, room 2",
    )


def _group_session(
    host,
    start_local,
    name=None,
    description="An hour of practice in small groups. Bring one real situation.",
):
    """A public group session on the demo host's profile, /u/demo-host."""
    start = schedule.to_utc(start_local, ZONE)
    session = Session.create(
        kind=SessionKind.GROUP,
        name=name or {"en": "Giving feedback that lands"},
        description=description,
        timezone=ZONE,
        registration_end_at=start,
        participant_limit=7,  # eight with the host
        min_participants=3,
        host=host,
    )
    end = start + timedelta(hours=1)
    Day.create(session=session, start_at=start, end_at=end, format=DayFormat.ONLINE)
    Registration.create(session=session, user=host, role=RegistrationRole.HOST)


def _mentoring_sessions(host, today):
    """A public mentoring session with a Zoom link on the demo host's profile, and a
    private one for Maria Member, made through the same rules as the screens."""
    company = Company.current()
    member = User.get(User.email == "member@convene.test")
    common = {"mentor": host, "timezone": ZONE, "medium": ["English"]}
    for title, description, days, hour, extra in (
        (
            "Planning your next career step",
            "A mentoring hour for anyone thinking about their next role. Questions welcome.",
            5,
            17,
            {
                "session_type": "public",
                "recommended_for": ["Teachers", "Team leads"],
                "categories": ["Career"],
                "platform": "Zoom",
                "meeting_url": "https://us02web.zoom.us/j/85746065432?pwd=demo",
                "meeting_id": "857 4606 5432",
                "passcode": "demo42",
            },
        ),
        (
            "One-to-one: your first 90 days",
            "A private conversation about settling into a new team.",
            6,
            12,
            {
                "session_type": "private",
                "mentees": [member],
                "categories": ["Leadership"],
                "platform": "Google Meet",
                "meeting_url": "https://meet.google.com/jgx-ydjs-ptv",
            },
        ),
    ):
        start = schedule.to_utc(today + timedelta(days=days, hours=hour), ZONE)
        mentoring.create(
            mentoring.MentoringValues(
                title=title,
                description=description,
                start_at=start,
                end_at=start + timedelta(hours=1),
                **common,
                **extra,
            ),
            company,
        )


# Generated people, to try the lists at scale: `flask --app app seed-demo --users 1000` -------

FIRST_NAMES = (
    "Anna", "Boris", "Clara", "Daniel", "Elena", "Felix", "Galina", "Henry", "Irina", "James",
    "Katya", "Leon", "Maya", "Nikolai", "Olga", "Pavel", "Quinn", "Rosa", "Sergei", "Tanya",
    "Анна", "Борис", "Вера", "Григорий", "Дарья", "Егор", "Жанна", "Илья", "Ксения", "Лев",
)  # fmt: skip
LAST_NAMES = (  # surnames that do not change with the person's gender
    "Adams", "Baker", "Chen", "Duarte", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Kovalenko", "Bondarenko", "Tkachenko", "Sedykh", "Belykh", "Chernykh", "Moroz", "Kravets",
    "Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Седых", "Белых", "Черных", "Мороз",
)  # fmt: skip
PEOPLE_DOMAIN = "people.convene.test"
INACTIVE_EVERY = 17  # one generated account in seventeen is inactive, for the filter


def add_people(count):
    """Add `count` generated members (people.convene.test addresses, numbered after those
    already there, the demo password), in batches; answer how many there are now."""
    first = User.select().where(User.email.endswith(f"@{PEOPLE_DOMAIN}")).count() + 1
    shared = User()
    shared.set_password(PASSWORD)  # hashed once (scrypt is slow on purpose): all share it
    numbers = range(first, first + count)
    for start in range(0, count, 500):
        rows = [_person(number, shared.password_hash) for number in numbers[start : start + 500]]
        with write_transaction():
            User.insert_many(rows).execute()
    return first + count - 1


def _person(number, password_hash):
    given = FIRST_NAMES[number % len(FIRST_NAMES)]
    family = LAST_NAMES[(number // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return {
        "email": f"person{number}@{PEOPLE_DOMAIN}",
        "name": f"{given} {family}",
        "password_hash": password_hash,
        "role": Role.MEMBER,
        "is_active": number % INACTIVE_EVERY != 0,
    }
