"""The life of an upload, written once for every import.

1. `start`: the importer has read the whole file in the request (one FileProblem if it
   cannot be used); the upload is kept, its rows with their outcomes when the importer
   previews them (status "preview"), else the file itself, to be checked or applied.
2. `apply_previewed` / `run`: the rows are applied (or, for a dry run, checked) now, or by
   the one background job `process_in_background` when the importer says the file is large;
   the page polls the upload's progress.
3. `process`: rows go through in file order, in batches; each batch is one write
   transaction that holds the batch's changes, their results and the progress counter, so a
   refused row never undoes another and an interrupted run resumes after its last batch.
   At the end the counts are kept and, when the importer asks for it, the uploader gets
   the result by email (rendered by the mail worker from the upload's id).

What differs between imports is declared by an `Importer` (its kind, batch size, when to
work in the background, its result email) and the `Run` it starts (which rows remain, what
applying a batch means, what the counts are).
"""

from flask_babel import force_locale

from foundation.i18n import locale_code, recipient_locale_of
from foundation.jobs import job
from messaging import mail
from models import Company, Upload, UploadStatus, User, utcnow, write_transaction

IMPORTERS = {}  # kind -> Importer, installed by the app factory from background.py
INLINE_ROWS = 100  # a previewed import with more rows to apply runs as the background job


class Run:
    """One pass over an upload's rows; `process` calls `rows` once, `apply` for every batch
    (inside the batch's write transaction) and `finish` in the last transaction."""

    def __init__(self, upload, now):
        self.upload, self.now = upload, now

    def rows(self, skip):
        """The rows still to go through: all but the first `skip`."""
        raise NotImplementedError

    def apply(self, batch):
        raise NotImplementedError

    def finish(self):
        """The upload's counts ({outcome: n}) once every row has gone through."""
        raise NotImplementedError


class Importer:
    """What one kind of import declares; the rest of the lifecycle is here."""

    kind = ""
    run_class = Run
    batch_size = 100
    result_notice = None  # the mail notice that sends the uploader the result, if any

    def runs_in_background(self, upload, company):
        return False

    def resume_from(self, upload):
        """Where a run starts again: after the rows done so far (inside a transaction)."""
        return upload.done


def use_importers(importers):
    """Install every kind of import the worker may meet (the one list, background.py)."""
    IMPORTERS.clear()
    IMPORTERS.update({importer.kind: importer for importer in importers})


def start(importer, uploader, filename, locale=None, **fields):
    """Keep a file the importer has read. Reading and previewing only read, so they ran
    before this write transaction, which holds the insert alone."""
    if locale is None:
        locale = recipient_locale_of(uploader) if uploader else "en"
    with write_transaction():
        return Upload.create(
            kind=importer.kind,
            uploaded_by=uploader,
            filename=(filename or "upload.csv")[:255],
            locale=locale,
            **fields,
        )


def start_previewed(importer, uploader, filename, rows, **fields):
    """Keep a file whose rows the importer has previewed (in the uploader's language), to
    be applied once asked."""
    return start(
        importer,
        uploader,
        filename,
        locale=locale_code(),
        rows=rows,
        total=len(rows),
        status=UploadStatus.PREVIEW,
        **fields,
    )


def claim(upload_id):
    """Mark a previewed upload as queued; False when it already was (a double click)."""
    return (
        Upload.update(status=UploadStatus.QUEUED)
        .where(Upload.id == upload_id, Upload.status == UploadStatus.PREVIEW)
        .execute()
        == 1
    )


def apply_previewed(upload):
    """Apply a previewed upload once, however often it is asked; the upload afterwards."""
    if claim(upload.id):
        return run(upload)
    return Upload.get_by_id(upload.id)


def run(upload):
    """Check or apply the upload now, or in the background for a large file; the upload
    as it stands afterwards."""
    if IMPORTERS[upload.kind].runs_in_background(upload, Company.current()):
        process_in_background(upload.id)
    else:
        process(upload.id)
    return Upload.get_by_id(upload.id)


@job(retries=3, retry_delay=10)
def process_in_background(upload_id):
    """A large file, checked or applied by the worker (the page polls its progress)."""
    process(upload_id)


def process(upload_id):
    """Every remaining row of the upload, in file order, in batches (see the module's
    docstring); the upload as it stands afterwards."""
    upload = Upload.get_by_id(upload_id)
    if upload.status == UploadStatus.DONE:
        return upload
    importer = IMPORTERS[upload.kind]
    with write_transaction():
        upload.done = importer.resume_from(upload)
        Upload.update(status=UploadStatus.WORKING, done=upload.done).where(
            Upload.id == upload.id
        ).execute()
    with force_locale(upload.locale), mail.one_delivery_request():
        work = importer.run_class(upload, utcnow())
        done = upload.done
        for batch in _batches(work.rows(done), importer.batch_size):
            with write_transaction():
                work.apply(batch)
                done += len(batch)
                Upload.update(done=done).where(Upload.id == upload.id).execute()
        with write_transaction():
            counts = work.finish()
            Upload.update(
                status=UploadStatus.DONE, done=done, counts=counts, finished_at=utcnow()
            ).where(Upload.id == upload.id).execute()
            _send_result(importer, upload)
    return Upload.get_by_id(upload.id)


def _batches(rows, size):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _send_result(importer, upload):
    uploader = upload.uploaded_by_id and User.get_or_none(User.id == upload.uploaded_by_id)
    if importer.result_notice and not upload.is_check and uploader:
        notice = importer.result_notice
        mail.queue_email(f"{notice}:{upload.id}", uploader, notice, upload_id=upload.id)


# Imports with a preview --------------------------------------------------------------------


def summary(upload):
    """{outcome: number of rows} of a previewed upload, as it stands."""
    counts = {}
    for row in upload.rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    return counts


class PreviewedRun(Run):
    """The run of an import whose rows were read and given outcomes by its preview: the
    rows whose outcome is in `to_apply` are applied by `apply_row` (each in a savepoint of
    its own rule), and their outcomes are written back once, at the end. After a restart,
    `settle` gives the rows of the batches already committed their outcome from what the
    database holds (their outcomes in memory died with the worker)."""

    to_apply = ()

    def __init__(self, upload, now):
        super().__init__(upload, now)
        self.all_rows = upload.rows

    def rows(self, skip):
        self.settle([row for row in self.all_rows[:skip] if row["outcome"] in self.to_apply])
        return iter(self.all_rows[skip:])

    def apply(self, batch):
        for row in batch:
            if row["outcome"] in self.to_apply:
                row["outcome"], row["message"] = self.apply_row(row)

    def finish(self):
        Upload.update(rows=self.all_rows).where(Upload.id == self.upload.id).execute()
        return summary(self.upload)

    def apply_row(self, row):
        """(outcome, message) of applying one row."""
        raise NotImplementedError

    def settle(self, pending):
        """Give the rows a crashed run applied (or tried to) the outcome they have now."""
        raise NotImplementedError


def find(kind, upload_id, **fields):
    """The upload `upload_id` if it is of `kind` (and has these field values), else None."""
    query = Upload.select().where(Upload.id == upload_id, Upload.kind == kind)
    for name, value in fields.items():
        query = query.where(getattr(Upload, name) == value)
    return query.first()
