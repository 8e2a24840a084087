"""Every background job, kind of import and kind of email, listed once.

Jobs are declared beside the rules they run (`foundation.jobs.job`), importers beside their
rules (each module's `IMPORTER`) and notice loaders beside the notices they write (each
module's `NOTICE_LOADERS`); this module is the one list of all three. The app factory
installs it, and the worker's jobs run in an app made by the same factory (tasks.py), so
the web app and any worker, however started, know the same jobs, imports and notices. The
periodic sweeps live here because each spans several areas. tests/test_registries.py fails
when a job, an importer or a notice kind is missing here.
"""

from huey import crontab

from assessments import lifecycle as assessment_lifecycle
from assessments import outreach, participant_import
from foundation.i18n import current_company
from foundation.jobs import periodic_job
from imports import lifecycle as imports
from meetings import bigbluebutton_records
from meetings.zoom import attendance, connections, meeting_sync, recordings
from messaging import mail, notifications
from sessions import (
    after_last_day,
    bulk_upload,
    group_sessions,
    registration_import,
    reminders,
)


@periodic_job(crontab(minute="*/5"))
def ask_to_confirm_participation():
    """After a session's last day, its approved participants are asked if they took part."""
    after_last_day.ask_to_confirm_participation()


@periodic_job(crontab(minute="*"))
def every_minute():
    """Send due reminders and minimum-participants notices, then deliver whatever is due:
    new, retried after a failure with backoff, or abandoned by a worker that died."""
    reminders.send_due()
    outreach.send_due()
    group_sessions.check_minimums(current_company())
    mail.deliver_due()


@periodic_job(crontab(minute="*/15"))
def sweep_bigbluebutton_recordings():
    """Recordings of BigBlueButton days that ended lately, in case a callback was lost."""
    bigbluebutton_records.sweep_recordings()


JOBS = (
    mail.deliver_outbox,
    mail.deliver_alongside,
    imports.process_in_background,
    meeting_sync.sync_day_meeting,
    meeting_sync.delete_meeting,
    connections.refresh_account_types,
    recordings.fetch_recordings,
    attendance.import_attendance,
    bigbluebutton_records.fetch_day_recordings,
    sweep_bigbluebutton_recordings,
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


IMPORTERS = (registration_import.IMPORTER, bulk_upload.IMPORTER, participant_import.IMPORTER)

NOTICE_LOADERS = merged(
    notifications.NOTICE_LOADERS,
    outreach.NOTICE_LOADERS,
    assessment_lifecycle.NOTICE_LOADERS,
    bulk_upload.NOTICE_LOADERS,
)


def install():
    mail.use_notice_loaders(NOTICE_LOADERS)
    imports.use_importers(IMPORTERS)
