"""Connected Zoom accounts: the company's (settings) and an organizer's own (their profile);
which one a day's meeting runs on; what Zoom says each account is (Basic or Licensed, read
again every night) and what a day's role asks of it."""

import logging

from flask import g
from flask_babel import gettext as _
from huey import crontab

from foundation.jobs import periodic_job
from foundation.prepared import Prepared
from meetings.zoom.client import ZoomClient
from meetings.zoom.oauth import revoke, store_tokens
from meetings.zoom.transport import ZoomError
from models import ZoomConnection, ZoomRole, utcnow, write_transaction

log = logging.getLogger(__name__)
FREE_LIMIT_MINUTES = 40
FREE_CAPACITY = 100


# Which account a day uses ------------------------------------------------------------------


def company_connection():
    return ZoomConnection.get_or_none(ZoomConnection.user.is_null())


def user_connection(user_id):
    return ZoomConnection.get_or_none(ZoomConnection.user == user_id) if user_id else None


def connection_for(day):
    """A Participant-role day runs on its organizer's own account when they connected one;
    everything else on the company's account."""
    if day.zoom_role == ZoomRole.PARTICIPANT:
        own = user_connection(day.zoom_organizer_id)
        if own is not None:
            return own
    return company_connection()


def _accounts_of_request():
    """Every connection, read once per request (pages draw many Zoom days)."""
    if "zoom_accounts" not in g:
        g.zoom_accounts = {row.user_id: row for row in ZoomConnection.select()}
    return g.zoom_accounts


# Read on every admin event page, most often to find its cards drawn before: plain rows.
ACCOUNTS_VERSION = Prepared(
    lambda: (
        ZoomConnection.select(ZoomConnection.id, ZoomConnection.user, ZoomConnection.account_type)
        .order_by(ZoomConnection.id)
        .tuples()
    )
)


def accounts_version():
    """What Zoom warnings on cached admin cards depend on: the connected accounts' types."""
    return ACCOUNTS_VERSION.raw_rows()


def shown_connection_for(day):
    """`connection_for` for pages, from the request's one read of the connections."""
    accounts = _accounts_of_request()
    if day.zoom_role == ZoomRole.PARTICIPANT and day.zoom_organizer_id in accounts:
        return accounts[day.zoom_organizer_id]
    return accounts.get(None)


# What a day's role asks of its account -----------------------------------------------------


def role_mismatch(role, connection):
    """A warning when the chosen role does not match the account type Zoom reports."""
    if connection is None or connection.account_type is None:
        return ""
    if role == ZoomRole.ADMINISTRATOR and not connection.is_licensed:
        return _(
            "The connected Zoom account is a Basic (free) account: choose the Participant role, "
            "or connect a paid account with admin rights."
        )
    if role == ZoomRole.PARTICIPANT and connection.is_licensed:
        return _(
            "The connected Zoom account is a paid (licensed) account: the Administrator role "
            "keeps recordings and the time each person spent."
        )
    return ""


def is_longer_than_free_limit(day):
    return (
        day.zoom_role == ZoomRole.PARTICIPANT
        and day.duration.total_seconds() > FREE_LIMIT_MINUTES * 60
    )


# Connecting --------------------------------------------------------------------------------


def refresh_account_type(connection):
    """GET /users/me: who the account is and its type (1 Basic, 2 Licensed)."""
    me = ZoomClient(connection).me()
    connection.zoom_user_id = str(me.get("id", ""))
    connection.email = me.get("email", "")
    connection.account_type = me.get("type")
    ZoomConnection.update(
        zoom_user_id=connection.zoom_user_id,
        email=connection.email,
        account_type=connection.account_type,
    ).where(ZoomConnection.id == connection.id).execute()
    return connection


@periodic_job(crontab(hour="4", minute="17"))
def refresh_account_types():
    """Once a day: an account may have been upgraded or downgraded since it was connected."""
    for connection in ZoomConnection.select():
        try:
            refresh_account_type(connection)
        except ZoomError as error:
            log.warning("Zoom users/me for connection %s failed: %s", connection.id, error.message)


def connect(user_id, payload, kind=ZoomConnection.OAUTH):
    """Keep a token response as the company's connection (user_id None) or a user's."""
    with write_transaction():
        if user_id is None:
            connection = company_connection() or ZoomConnection(user=None)
        else:
            connection = user_connection(user_id) or ZoomConnection(user=user_id)
        connection.kind = kind
        connection.account_type = None
        store_tokens(connection, payload)
        connection.connected_at = utcnow()
        connection.save()
    try:
        refresh_account_type(connection)
    except ZoomError as error:
        log.warning("Zoom users/me failed after connecting: %s", error.message)
    return connection


def disconnect(connection):
    revoke(connection)
    connection.delete_instance()
