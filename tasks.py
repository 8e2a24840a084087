"""The job worker's entry point: `huey_consumer tasks.huey -k thread -w 2`.

Jobs are declared beside the rules they run (`foundation.jobs.job`); importing their
modules here registers them with the consumer. The periodic sweeps live here because each
spans several areas.
"""

from huey import crontab

from app import create_app
from assessments import (
    lifecycle,  # noqa: F401  (declares the cancellation emails)
    participant_import,  # noqa: F401  (an importer the upload job runs)
)
from assessments import outreach as assessment_outreach
from foundation.i18n import current_company
from foundation.jobs import huey, periodic_job, run_jobs_in
from imports import lifecycle as uploads  # noqa: F401  (declares the one upload job)
from meetings import zoom_sync  # noqa: F401  (declares the Zoom jobs)
from messaging import mail
from sessions import (
    booking,
    bulk_upload,  # noqa: F401  (an importer the upload job runs, and its email)
    group_sessions,
    registration_import,  # noqa: F401  (an importer the upload job runs)
    reminders,
)

__all__ = ["huey"]  # what `huey_consumer tasks.huey` loads

run_jobs_in(create_app)


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
