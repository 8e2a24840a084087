"""The demo's assessments: two ready questionnaires (English and Russian texts), a finished
assessment session with answers whose report opens at once, and one in progress."""

import random
from datetime import timedelta

from assessments import catalog, planning
from foundation import schedule
from models import (
    Assessment,
    AssessmentParticipant,
    AssessmentReminder,
    AssessmentSession,
    ClientOrganization,
    Rater,
    Registration,
    RegistrationRole,
    Role,
    Session,
    SessionKind,
    User,
    utcnow,
)


def _t(en, ru):
    return {"en": en, "ru": ru}


AGREEMENT = catalog.DEFAULT_SCALE


def _group(key, title, questions, comment=None):
    items = [
        {"key": f"{key}{number}", "kind": "rating", "text": text}
        for number, text in enumerate(questions, 1)
    ]
    if comment:
        items.append({"key": f"{key}c", "kind": "text", "text": comment})
    return {"key": key, "title": title, "questions": items}


LEADERSHIP_360 = {
    "name": _t("Leadership 360", "Лидерство 360"),
    "description": _t(
        "Feedback on four leadership competencies from the manager, peers and direct reports.",
        "Обратная связь по четырём лидерским компетенциям от руководителя, коллег и подчинённых.",
    ),
    "scale": AGREEMENT,
    "relationships": {"manager": 1, "peer": 3, "direct_report": 3, "other": 0},
    "groups": [
        _group(
            "vision",
            _t("Vision and direction", "Видение и направление"),
            [
                _t(
                    "Explains where the team is going and why.",
                    "Объясняет, куда движется команда и зачем.",
                ),
                _t(
                    "Links daily work to the organization's goals.",
                    "Связывает ежедневную работу с целями организации.",
                ),
                _t("Sets clear priorities.", "Ставит ясные приоритеты."),
            ],
        ),
        _group(
            "people",
            _t("Developing people", "Развитие людей"),
            [
                _t(
                    "Gives useful, timely feedback.",
                    "Даёт полезную и своевременную обратную связь.",
                ),
                _t(
                    "Delegates work that helps people grow.",
                    "Делегирует задачи, которые помогают людям расти.",
                ),
                _t("Recognizes good work.", "Отмечает хорошую работу."),
            ],
        ),
        _group(
            "decisions",
            _t("Decision making", "Принятие решений"),
            [
                _t("Makes decisions in good time.", "Принимает решения вовремя."),
                _t(
                    "Weighs the views of others before deciding.",
                    "Учитывает мнения других, прежде чем решить.",
                ),
                _t("Stands behind decisions once made.", "Отстаивает принятые решения."),
            ],
        ),
        _group(
            "trust",
            _t("Integrity and trust", "Честность и доверие"),
            [
                _t("Keeps promises.", "Выполняет обещания."),
                _t("Admits mistakes openly.", "Открыто признаёт ошибки."),
                _t("Treats people fairly.", "Относится к людям справедливо."),
            ],
            comment=_t(
                "What should this person keep doing, and what should they do differently?",
                "Что этому человеку стоит продолжать делать и что делать иначе?",
            ),
        ),
    ],
}

COLLABORATION_180 = {
    "name": _t("Team Collaboration", "Командное взаимодействие"),
    "description": _t(
        "How a team member works with others: communication, reliability and openness.",
        "Как сотрудник работает с другими: общение, надёжность и открытость.",
    ),
    "scale": AGREEMENT,
    "relationships": {"manager": 1, "peer": 2, "other": 0},
    "groups": [
        _group(
            "communication",
            _t("Communication", "Общение"),
            [
                _t("Listens before responding.", "Выслушивает, прежде чем ответить."),
                _t("Shares information others need.", "Делится информацией, нужной другим."),
                _t("Writes and speaks clearly.", "Пишет и говорит ясно."),
            ],
        ),
        _group(
            "reliability",
            _t("Reliability", "Надёжность"),
            [
                _t("Delivers on commitments.", "Выполняет обязательства."),
                _t("Asks for help early when stuck.", "Вовремя просит о помощи, когда застрял."),
                _t("Follows through without reminders.", "Доводит дело до конца без напоминаний."),
            ],
        ),
        _group(
            "openness",
            _t("Openness", "Открытость"),
            [
                _t("Welcomes different opinions.", "Приветствует другие мнения."),
                _t(
                    "Accepts feedback without defensiveness.", "Принимает обратную связь без обиды."
                ),
                _t(
                    "Helps colleagues outside their own tasks.",
                    "Помогает коллегам за пределами своих задач.",
                ),
            ],
            comment=_t("Anything else you would like to say?", "Что ещё вы хотели бы сказать?"),
        ),
    ],
}

COMMENTS = [
    "Keep the weekly one-to-ones: they help a lot.",
    "Please share the reasons behind priority changes earlier.",
    "Very fair and calm under pressure.",
    "Could delegate more of the interesting work.",
    "Sometimes decides before hearing everyone out.",
    "Great at recognising people's effort.",
]


def _answers(assessment, rng, lean):
    answers = {}
    for _group, question in catalog.questions(assessment):
        if question["kind"] == "text":
            answers[question["key"]] = rng.choice(COMMENTS)
        elif rng.random() < 0.05:
            answers[question["key"]] = catalog.NOT_OBSERVED
        else:
            answers[question["key"]] = max(1, min(5, round(rng.gauss(lean, 0.8))))
    return answers


def _detail(title, assessment, host, client, invitation_on, completion_on, session_on, zone):
    session = Session.create(
        kind=SessionKind.ASSESSMENT, name={"en": title}, timezone=zone, is_public=False, host=host
    )
    return AssessmentSession.create(
        session=session,
        assessment=assessment,
        client=client,
        session_on=session_on,
        invitation_on=invitation_on,
        completion_on=completion_on,
        invitation_due_at=planning.send_time(invitation_on, zone),
        closes_at=planning.closing_time(completion_on, zone),
    )


def _participant(detail, user, invited_at):
    registration = Registration.create(
        session=detail.session, user=user, role=RegistrationRole.PARTICIPANT
    )
    return AssessmentParticipant.create(registration=registration, invited_at=invited_at)


def load(host, member, zone, password_hash):
    """Called inside demo.load_once's transaction."""
    rng = random.Random(360)
    leadership = Assessment.create(name=LEADERSHIP_360["name"], content=LEADERSHIP_360)
    Assessment.create(name=COLLABORATION_180["name"], content=COLLABORATION_180)
    client = ClientOrganization.create(name="AAA Parts Company")
    today = schedule.to_local_naive(utcnow(), zone).date()
    finished = _finished_session(leadership, host, client, today, zone)
    people = [
        ("Pavel Petrov", "pavel@convene.test", 3.4),
        ("Sofia Sidorova", "sofia@convene.test", 4.1),
    ]
    for name, email, lean in people:
        user = User.create(email=email, name=name, role=Role.MEMBER, password_hash=password_hash)
        _answered_participant(finished, leadership, user, lean, rng)
    _in_progress_session(leadership, host, member, today, zone)
    return finished


def _finished_session(leadership, host, client, today, zone):
    """A session whose completion date has passed, its three reminders sent."""
    finished = _detail(
        "Leadership Team Development",
        leadership,
        host,
        client,
        today - timedelta(days=38),
        today - timedelta(days=3),
        today + timedelta(days=4),
        zone,
    )
    for number, on in enumerate(
        (today - timedelta(days=38), today - timedelta(days=31), today - timedelta(days=10)), 1
    ):
        due_at = planning.send_time(on, zone, planning.REMINDER_HOUR)
        AssessmentReminder.create(
            assessment_session=finished,
            number=number,
            due_on=on,
            due_at=due_at,
            sent_at=due_at,
            sent_count=[9, 6, 2][number - 1],
        )
    return finished


def _answered_participant(finished, leadership, user, lean, rng):
    """A participant of the finished session with their answers and nine raters (one peer
    did not answer)."""
    invited_at = finished.invitation_due_at
    participant = _participant(finished, user, invited_at)
    participant.answers = _answers(leadership, rng, lean + 0.3)
    participant.saved_at = participant.submitted_at = invited_at + timedelta(days=5)
    participant.save()
    plan = [("manager", 1), ("peer", 4), ("direct_report", 3), ("other", 1)]
    for relationship, count in plan:
        for index in range(count):
            answered = not (relationship == "peer" and index == 3)
            first = user.name.split()[0].lower()
            Rater.create(
                participant=participant,
                name=f"{relationship.replace('_', ' ').title()} {index + 1} of {user.name}",
                email=f"{first}.{relationship}{index + 1}@example.com",
                relationship=relationship,
                token=None,  # the links expired with the completion date
                answers=_answers(leadership, rng, lean) if answered else {},
                saved_at=invited_at + timedelta(days=7) if answered else None,
                submitted_at=invited_at + timedelta(days=7) if answered else None,
            )


def _in_progress_session(leadership, host, member, today, zone):
    """A session open for answers, the demo member invited, its reminder to come."""
    in_progress = _detail(
        "Leadership Program, spring cohort",
        leadership,
        host,
        None,
        today - timedelta(days=2),
        today + timedelta(days=30),
        today + timedelta(days=37),
        zone,
    )
    _participant(in_progress, member, in_progress.invitation_due_at)
    AssessmentReminder.create(
        assessment_session=in_progress,
        number=1,
        due_on=today + timedelta(days=14),
        due_at=planning.send_time(today + timedelta(days=14), zone, planning.REMINDER_HOUR),
    )
