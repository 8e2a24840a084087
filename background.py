"""Every background job and every kind of email, listed once.

Jobs are declared beside the rules they run (`foundation.jobs.job`) and notice loaders
beside the notices they write (each module's `NOTICE_LOADERS`); this module is the one list
of both. The app factory installs it, and the job worker's jobs run inside an app made by
the same factory (tasks.py), so the web app and any worker, however started, know the same
jobs and notice kinds. The periodic sweeps live here because each spans several areas.
tests/test_registries.py fails when a job or a notice kind is missing from these lists.
"""

from huey import crontab

from assessments import lifecycle, outreach, participant_import
from assessments import outreach as assessment_outreach
from foundation.i18n import current_company
from foundation.jobs import periodic_job
from meetings import zoom_sync
from messaging import mail, notifications
from sessions import booking, bulk_upload, group_sessions, registration_import, reminders


@periodic_job(crontab(minute="*/5"))
def ask_to_confirm_participation():
    """After a session's last day, its approved participants are asked if they took part."""
    booking.ask_to_confirm_participation()


@periodic_job(crontab(minute="*"))
def every_minute():
    """Send due reminders and minimum-participants notices, then deliver whatever is due:
    new, retried after a failure with backoff, or abandoned by a worker that died."""
    reminders.send_due()
    assessment_outreach.send_due()
    group_sessions.check_minimums(current_company())
    mail.deliver_due()


JOBS = (
    mail.deliver_outbox,
    mail.deliver_alongside,
    registration_import.apply_import,
    bulk_upload.process_upload,
    participant_import.apply_in_background,
    zoom_sync.sync_day_meeting,
    zoom_sync.delete_meeting,
    zoom_sync.refresh_account_types,
    zoom_sync.fetch_recordings,
    zoom_sync.import_attendance,
    ask_to_confirm_participation,
    every_minute,
)


def merged(*tables):
    """One {kind: loader} of several; a kind declared twice is an error, not an override."""
    loaders = {}
    for table in tables:
        if twice := loaders.keys() & table.keys():
            raise ValueError(f"notice kinds declared twice: {sorted(twice)}")
        loaders.update(table)
    return loaders


NOTICE_LOADERS = merged(
    notifications.NOTICE_LOADERS,
    outreach.NOTICE_LOADERS,
    lifecycle.NOTICE_LOADERS,
    bulk_upload.NOTICE_LOADERS,
)


def install():
    mail.use_notice_loaders(NOTICE_LOADERS)
