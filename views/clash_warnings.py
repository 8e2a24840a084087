"""Telling people about clashes across kinds of session (`sessions.personal_schedule`):
information, never a refusal.

A member who signs up, joins or accepts something that overlaps another of their live
sessions is asked first: the action answers with a confirmation (a modal dialog for htmx,
a page of its own without JavaScript) whose "Join anyway" posts the same form again with
`confirm_clash=1`. With no clash the action happens at once, as before. Someone who
enrols another person (an admin registering a member, a mentor's mentees) is told in the
result instead.
"""

from urllib.parse import urlsplit

from flask import render_template, request
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts.access import safe_next
from foundation.i18n import viewer_timezone
from sessions import personal_schedule


def is_confirmed():
    """Whether the member has already seen the clash and chosen to go ahead."""
    return request.form.get("confirm_clash") == "1"


def clash_text(items, zone=None):
    """ "You are in 'Evening' at that time: Tue, Mar 4, 2025, 6:00 – 8:00 PM Moscow
    (UTC+3)." for the first clash (and how many more there are)."""
    title, when = personal_schedule.describe(items[0], zone or viewer_timezone())
    text = _("You are in “%(title)s” at that time: %(when)s.", title=title, when=when)
    if len(items) > 1:
        text += " " + _("And %(num)d more at that time.", num=len(items) - 1)
    return text


def someone_elses_clash_text(name, items, zone=None):
    """ "Anna is in 'Evening' at that time: …" for whoever enrols someone else."""
    title, when = personal_schedule.describe(items[0], zone or viewer_timezone())
    return _(
        "%(name)s is in “%(title)s” at that time: %(when)s.", name=name, title=title, when=when
    )


def page_came_from():
    """Where Cancel goes without JavaScript: the page the member came from when it is one of
    this site's (the Referer header is the browser's word, not ours), else home."""
    came_from = urlsplit(request.referrer or "")
    if came_from.netloc != request.host:
        return "/"
    path = came_from.path + (f"?{came_from.query}" if came_from.query else "")
    return safe_next(path) or "/"


def confirmation(items, action_url, target, swap="innerHTML", question=None, answer=None):
    """The answer to an action that would clash: a dialog asking "Join anyway?" whose
    confirm button posts to `action_url` again (htmx: into `target` with `swap`), or the
    same as a page of its own for a browser without JavaScript."""
    context = {
        "text": clash_text(items),
        "question": question or _("Join anyway?"),
        "answer": answer or _("Join anyway"),
        "action_url": action_url,
        "target": target,
        "swap": swap,
        "back_url": page_came_from(),
    }
    if not request.htmx:
        return render_template("member/clash_confirm.html", **context)
    body = render_template("member/_clash_dialog.html", **context)
    # The dialog opens over the page as it is; the page changes only once confirmed.
    return make_response(body, 200, retarget="body", reswap="beforeend")
