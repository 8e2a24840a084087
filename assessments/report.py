"""The facilitator's report: per participant and question group, the self score against the
average of the raters by relationship, the spread, and the raters' free text, unattributed.

Only submitted surveys count. A group score is the mean of one person's ratings in the
group ("not observed" left out); each rater weighs the same. Anonymity: where fewer than
ANONYMITY_MINIMUM raters answered a group (in a relationship, or all together), no average
or spread is shown, only how many answered.
"""

import statistics

from flask_babel import gettext as _

from assessments import catalog
from foundation.i18n import pick_text
from models import AssessmentParticipant, Rater, RaterRelationship, Registration, User

ANONYMITY_MINIMUM = 3


def is_available(detail, now):
    return now >= detail.closes_at


def _group_score(answers, group):
    ratings = [
        answers[q["key"]]
        for q in group["questions"]
        if q["kind"] == "rating" and isinstance(answers.get(q["key"]), int)
    ]
    return statistics.fmean(ratings) if ratings else None


def summarize(scores):
    """{count, average, spread, low, high} of rater group scores; figures only from the
    anonymity minimum on."""
    summary = {"count": len(scores), "average": None, "spread": None, "low": None, "high": None}
    if len(scores) >= ANONYMITY_MINIMUM:
        summary |= {
            "average": round(statistics.fmean(scores), 2),
            "spread": round(statistics.pstdev(scores), 2),
            "low": round(min(scores), 2),
            "high": round(max(scores), 2),
        }
    return summary


def participant_report(detail, participant, raters, locale=None):
    assessment = detail.assessment
    relationships = catalog.relationships(assessment)
    done = [rater for rater in raters if rater.submitted_at is not None]
    self_answers = participant.answers if participant.submitted_at is not None else {}
    groups = []
    for group in assessment.content["groups"]:
        if not any(q["kind"] == "rating" for q in group["questions"]):
            continue
        by_relationship = {key: [] for key, _minimum in relationships}
        for rater in done:
            score = _group_score(rater.answers, group)
            if score is not None and rater.relationship in by_relationship:
                by_relationship[rater.relationship].append(score)
        self_score = _group_score(self_answers, group)
        groups.append(
            {
                "title": pick_text(group["title"], locale),
                "self": None if self_score is None else round(self_score, 2),
                "relationships": [
                    {"key": key, "label": RaterRelationship.label(key)}
                    | summarize(by_relationship[key])
                    for key, _minimum in relationships
                ],
                "all": summarize([s for scores in by_relationship.values() for s in scores]),
            }
        )
    texts = []
    for _group, question in catalog.questions(assessment, "text"):
        answers = sorted(
            rater.answers[question["key"]]
            for rater in done
            if isinstance(rater.answers.get(question["key"]), str)
        )
        texts.append({"question": pick_text(question["text"], locale), "answers": answers})
    return {
        "participant": participant,
        "name": participant.registration.user.name,
        "self_submitted": participant.submitted_at is not None,
        "raters_answered": len(done),
        "raters_named": len(raters),
        "groups": groups,
        "texts": texts,
    }


def session_report(detail, locale=None):
    """Every participant's report, in name order: three queries whatever their number."""
    participants = list(
        AssessmentParticipant.select(AssessmentParticipant, Registration, User)
        .join(Registration)
        .join(User)
        .where(Registration.session == detail.session_id)
        .order_by(User.name)
    )
    raters = {}
    for rater in Rater.select().where(Rater.participant.in_([p.id for p in participants])):
        raters.setdefault(rater.participant_id, []).append(rater)
    return [participant_report(detail, p, raters.get(p.id, []), locale) for p in participants]


def score_rows(reports):
    """The CSV of scores: one line per participant, group and respondent."""
    yield [
        _("Participant"),
        _("Question group"),
        _("Respondent"),
        _("Raters"),
        _("Average"),
        _("Spread"),
        _("Lowest"),
        _("Highest"),
    ]
    for report in reports:
        for group in report["groups"]:
            yield [report["name"], group["title"], _("Self"), "", group["self"], "", "", ""]
            for row in [*group["relationships"], group["all"] | {"label": _("All raters")}]:
                yield [
                    report["name"],
                    group["title"],
                    row["label"],
                    row["count"],
                    row["average"],
                    row["spread"],
                    row["low"],
                    row["high"],
                ]


# The chart: horizontal bars on the 1–5 scale, drawn by the server as SVG -------------------

CHART_WIDTH = 640
LABEL_WIDTH = 200
BAR_HEIGHT = 14
ROW_GAP = 4
GROUP_GAP = 14


def chart(report):
    """The geometry of one participant's chart (templates/assessments/_chart_svg.html draws it)."""
    plot = CHART_WIDTH - LABEL_WIDTH - 40
    y = 24
    bars, headings = [], []
    for group in report["groups"]:
        headings.append({"y": y + 10, "text": group["title"]})
        y += 16
        rows = [("self", _("Self"), group["self"])]
        rows.append(("all", _("All raters"), group["all"]["average"]))
        rows += [(r["key"], r["label"], r["average"]) for r in group["relationships"]]
        for kind, label, value in rows:
            width = 0 if value is None else (value - 1) / 4 * plot
            bars.append(
                {
                    "y": y,
                    "kind": kind,
                    "label": str(label),
                    "width": round(max(width, 2 if value is not None else 0), 1),
                    "value": value,
                }
            )
            y += BAR_HEIGHT + ROW_GAP
        y += GROUP_GAP
    ticks = [
        {"x": round(LABEL_WIDTH + (point - 1) / 4 * plot, 1), "text": point}
        for point in catalog.SCALE
    ]
    return {
        "width": CHART_WIDTH,
        "height": y + 10,
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
        "bars": bars,
        "headings": headings,
        "ticks": ticks,
    }
