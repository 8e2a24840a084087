"""The assessments catalog: a questionnaire is one JSON document (per-locale texts, question
groups with rating and free-text questions, the relationships it accepts with their minimum
number of raters). The same document is what export writes and import reads, so programs
can share assessments."""

import json

from flask_babel import gettext as _

from foundation.forms import Invalid
from models import Assessment, RaterRelationship

SCALE = (1, 2, 3, 4, 5)
NOT_OBSERVED = "na"
KINDS = ("rating", "text")
MAX_TEXT = 2000  # characters of one free-text answer
MAX_DOCUMENT = 200_000  # characters of an imported file
# The labels of the scale when a document gives none.
DEFAULT_SCALE = {
    "1": {"en": "Strongly disagree", "ru": "Совершенно не согласен"},
    "2": {"en": "Disagree", "ru": "Не согласен"},
    "3": {"en": "Neither agree nor disagree", "ru": "Ни да, ни нет"},
    "4": {"en": "Agree", "ru": "Согласен"},
    "5": {"en": "Strongly agree", "ru": "Полностью согласен"},
}


def _texts(value, where, errors):
    """A per-locale text: {"en": "...", ...} with at least one non-empty string."""
    if isinstance(value, str) and value.strip():
        return {"en": value.strip()}
    if not isinstance(value, dict) or not value:
        errors.append(_('%(where)s needs a text, e.g. {"en": "..."}.', where=where))
        return {}
    texts = {
        str(code)[:10]: text.strip()[:500]
        for code, text in value.items()
        if isinstance(text, str) and text.strip()
    }
    if not texts:
        errors.append(_('%(where)s needs a text, e.g. {"en": "..."}.', where=where))
    return texts


def validate(document):
    """The clean document, or Invalid({"file": every problem in plain words})."""
    errors = []
    if not isinstance(document, dict):
        raise Invalid({"file": _("The file must hold one JSON object (an assessment).")})
    clean = {
        "name": _texts(document.get("name"), _("The name"), errors),
        "description": _texts(document.get("description") or {"en": "-"}, "description", []),
        "scale": _scale(document.get("scale") or DEFAULT_SCALE, errors),
        "relationships": _relationships(document.get("relationships"), errors),
        "groups": _groups(document.get("groups"), errors),
    }
    if errors:
        raise Invalid({"file": " ".join(errors[:20])})
    return clean


def _scale(scale, errors):
    if not isinstance(scale, dict):
        errors.append(_("The scale must give a label for each of 1 to 5."))
        return {}
    return {
        str(point): _texts(scale.get(str(point)), _("Scale point %(n)d", n=point), errors)
        for point in SCALE
    }


def _relationships(relationships, errors):
    clean = {}
    if not isinstance(relationships, dict) or not relationships:
        errors.append(_("List the rater relationships the assessment accepts."))
        return clean
    for key, minimum in relationships.items():
        if key not in RaterRelationship.values():
            errors.append(_("Unknown relationship: %(key)s.", key=str(key)[:40]))
        elif not isinstance(minimum, int) or isinstance(minimum, bool) or not 0 <= minimum <= 20:
            errors.append(
                _("The minimum for %(key)s must be a whole number from 0 to 20.", key=key)
            )
        else:
            clean[key] = minimum
    return clean


def _groups(groups, errors):
    seen = set()  # question keys, unique across groups
    if not isinstance(groups, list) or not groups:
        errors.append(_("The assessment needs at least one question group."))
        return []
    clean = []
    for number, group in enumerate(groups, 1):
        where = _("Group %(n)d", n=number)
        if not isinstance(group, dict):
            errors.append(_("%(where)s must be an object.", where=where))
            continue
        clean.append(_group(group, number, where, seen, errors))
    return clean


def _group(group, number, where, seen, errors):
    questions = group.get("questions")
    if not isinstance(questions, list) or not questions:
        errors.append(_("%(where)s needs at least one question.", where=where))
        questions = []
    clean = {
        "key": str(group.get("key") or f"g{number}")[:40],
        "title": _texts(group.get("title"), where, errors),
        "questions": [],
    }
    for index, question in enumerate(questions, 1):
        spot = _("%(where)s, question %(n)d", where=where, n=index)
        if not isinstance(question, dict):
            errors.append(_("%(where)s must be an object.", where=spot))
            continue
        key = str(question.get("key") or f"{clean['key']}q{index}")[:40]
        kind = question.get("kind", "rating")
        if kind not in KINDS:
            errors.append(_("%(where)s: the kind is rating or text.", where=spot))
        if key in seen:
            errors.append(_("%(where)s: the key %(key)s is used twice.", where=spot, key=key))
        seen.add(key)
        clean["questions"].append(
            {"key": key, "kind": kind, "text": _texts(question.get("text"), spot, errors)}
        )
    return clean


def import_assessment(raw_text):
    """Create an assessment from the text of a JSON file."""
    if not raw_text or not raw_text.strip():
        raise Invalid({"file": _("Choose a JSON file of an assessment.")})
    if len(raw_text) > MAX_DOCUMENT:
        raise Invalid({"file": _("The file is too large for an assessment.")})
    try:
        document = json.loads(raw_text)
    except (ValueError, RecursionError):
        raise Invalid({"file": _("The file is not valid JSON.")}) from None
    clean = validate(document)
    return Assessment.create(name=clean["name"], content=clean)


def export_assessment(assessment):
    return json.dumps(assessment.content, ensure_ascii=False, indent=2)


def questions(assessment, kind=None):
    for group in assessment.content["groups"]:
        for question in group["questions"]:
            if kind is None or question["kind"] == kind:
                yield group, question


def relationships(assessment):
    """[(key, minimum)] in the catalog's order of relationships."""
    wanted = assessment.content["relationships"]
    return [(key, wanted[key]) for key in RaterRelationship.values() if key in wanted]


def clean_answers(assessment, form):
    """The answers a survey form carries, keyed by question; anything else ignored."""
    answers = {}
    for _group, question in questions(assessment):
        raw = (form.get(f"q_{question['key']}") or "").strip()
        if not raw:
            continue
        if question["kind"] == "text":
            answers[question["key"]] = raw[:MAX_TEXT]
        elif raw == NOT_OBSERVED:
            answers[question["key"]] = NOT_OBSERVED
        elif raw in {str(point) for point in SCALE}:
            answers[question["key"]] = int(raw)
    return answers


def missing_ratings(assessment, answers):
    """Keys of rating questions with no answer (a rating or "not observed")."""
    return [q["key"] for _g, q in questions(assessment, "rating") if q["key"] not in answers]
