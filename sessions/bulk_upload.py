"""Bulk session upload (PRODUCT.md C): a CSV (or XLSX) file creates, edits and deletes
mentoring sessions, and every row gets its own result.

Reading the file and each row's cells is `bulk_rows`' part; what a row means for the
sessions that exist (mentor clashes, seats, who may change what, started sessions) is the
mentoring rules' (`sessions.mentoring`), called from `bulk_plan`, never copied here.

A file is read once in the request, so a file-level problem answers at once; then its rows
are checked (a dry run: nothing is written but the results) or applied, in file order, in
batches. Each batch is one write transaction holding the rows' changes (written together;
row by row in savepoints if that fails), their results and the progress counter: a refused
row never undoes another, and an interrupted run resumes after its last batch. Files above
the company's threshold run as a Huey job; the page polls the progress. After an upload
the uploader gets the result CSV by email (rendered by the mail worker from the upload's
id).
"""

import csv
import io

import peewee as pw
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from foundation.bulk_insert import insert_rows
from foundation.exports import spreadsheet_safe
from foundation.i18n import recipient_locale_of
from foundation.jobs import job
from messaging import mail
from models import (
    BulkUpload,
    BulkUploadRow,
    Choices,
    Company,
    User,
    db,
    utcnow,
    write_transaction,
)
from sessions import bulk_plan
from sessions.bulk_rows import COLUMNS, ID, Sheet, headings, parse_row, read_sheet, sheet_rows
from sessions.registration_import import FileProblem

__all__ = ["FileProblem", "COLUMNS"]

BATCH = 250  # rows per write transaction


class RowStatus(Choices):
    PUBLISHED = "published"
    VALID = "valid"
    DELETED = "deleted"
    INVALID = "invalid"
    LABELS = {
        PUBLISHED: _l("Published"),
        VALID: _l("Valid"),
        DELETED: _l("Deleted"),
        INVALID: _l("Invalid"),
    }


# Starting ----------------------------------------------------------------------------------


def start_upload(uploader, filename, data, company, is_check, locale=None):
    """Read the whole file now (one clear FileProblem if it cannot be used) and keep it for
    checking or applying; its messages in `locale` (the page's), else the uploader's."""
    sheet = read_sheet(filename, data, company.bulk_rows_limit)
    with write_transaction():
        return BulkUpload.create(
            uploaded_by=uploader,
            filename=(filename or "upload.csv")[:255],
            is_check=is_check,
            data=data,
            locale=locale or recipient_locale_of(uploader),
            columns=sheet.columns,
            extra_columns=sheet.extra_columns,
            total=sheet.total,
        )


def runs_in_background(upload, company):
    return upload.total > company.bulk_background_rows


def run(upload):
    """Check or apply the upload now, or in the background for a large file; the upload
    as it stands afterwards."""
    company = Company.current()
    if runs_in_background(upload, company):
        process_upload(upload.id)
    else:
        process(upload.id)
    return BulkUpload.get_by_id(upload.id)


@job(retries=2, retry_delay=10)
def process_upload(upload_id):
    """A large file, checked or applied in the background (the page polls its progress)."""
    process(upload_id)


# Processing --------------------------------------------------------------------------------


def _batches(rows, size):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def process(upload_id, now=None):
    """Check or apply every row of the upload, in file order, in batches; resumes after
    the last batch an interrupted run committed (a dry run starts again: its plan lived in
    memory only)."""
    upload = BulkUpload.get_by_id(upload_id)
    if upload.status == "done":
        return upload
    with write_transaction():
        if upload.is_check and upload.done:
            BulkUploadRow.delete().where(BulkUploadRow.upload == upload.id).execute()
            upload.done = 0
        BulkUpload.update(status="working", done=upload.done).where(
            BulkUpload.id == upload.id
        ).execute()
    company = Company.current()
    uploader = User.get_by_id(upload.uploaded_by_id)
    columns, positions, extra = headings(upload.columns)
    sheet = Sheet(columns, positions, extra, upload.total)
    done = upload.done
    with force_locale(upload.locale), mail.one_delivery_request():
        plan = bulk_plan.Plan(uploader, company, now or utcnow(), apply=not upload.is_check)
        rows = sheet_rows(upload.filename, bytes(upload.data), skip=done)
        for batch in _batches(rows, BATCH):
            with write_transaction():
                parsed, outcomes = _settle_batch(plan, sheet, batch)
                results = [
                    _result(upload, row, outcome)
                    for row, outcome in zip(parsed, outcomes, strict=True)
                ]
                insert_rows(BulkUploadRow, results)
                done += len(parsed)
                BulkUpload.update(done=done).where(BulkUpload.id == upload.id).execute()
        with write_transaction():
            counts = _counts(upload.id)
            BulkUpload.update(
                status="done", done=upload.total, counts=counts, finished_at=utcnow()
            ).where(BulkUpload.id == upload.id).execute()
            if not upload.is_check:
                mail.queue_email(
                    f"bulk_upload_result:{upload.id}",
                    uploader,
                    "bulk_upload_result",
                    upload_id=upload.id,
                )
    return BulkUpload.get_by_id(upload.id)


def _settle_batch(plan, sheet, batch):
    """Inside the batch's write transaction (nothing changes between reading and writing):
    each row's outcome, its change written. A row that fails when written alone (after the
    batch's write at once failed) may have kept a later row out with a clash that never
    happened: then the batch is undone and planned again, that row refused up front."""
    failed = {}
    while True:
        parsed = [parse_row(line, cells, sheet) for line, cells in batch]
        with db.atomic() as savepoint:
            plan.prepare(parsed, failed)
            outcomes = [plan.settle(row) for row in parsed]
            refused = plan.flush()
            if not refused or refused.keys() <= failed.keys():
                return parsed, outcomes
            failed |= refused
            savepoint.rollback()
            plan.undo()


def _result(upload, row, outcome):
    """The result row of a data row: `outcome` is (status, session id) from the plan."""
    status, session_id = outcome
    return {
        "upload": upload.id,
        "line": row.line,
        "cells": row.cells,
        "session_id": session_id,
        "status": status,
        "message": " ".join([*row.messages(), *row.notes]),
    }


def _counts(upload_id):
    counts = dict.fromkeys(RowStatus.values(), 0)
    query = BulkUploadRow.select(BulkUploadRow.status, pw.fn.COUNT(BulkUploadRow.id).alias("n"))
    for found in query.where(BulkUploadRow.upload == upload_id).group_by(BulkUploadRow.status):
        counts[found.status] = found.n
    return counts


def summary_line(upload):
    counts = upload.counts or {}
    return " ".join(f"{status}={counts.get(status, 0)}" for status in RowStatus.values())


# Results -----------------------------------------------------------------------------------


def result_rows(upload, only_invalid=False, limit=None):
    """The upload's rows as they were given, with the new id of a created session, its
    status and its message, in file order."""
    query = BulkUploadRow.select().where(BulkUploadRow.upload == upload.id)
    if only_invalid:
        query = query.where(BulkUploadRow.status == RowStatus.INVALID)
    query = query.order_by(BulkUploadRow.line)
    if limit:
        query = query.limit(limit)
    return query


RESULT_COLUMNS = ("Status", "Status message")


def result_table(upload):
    """The result CSV's rows: every column of the file, then Status and Status message (a
    result uploaded again gets new ones, not a second pair)."""
    width = len(upload.columns)
    id_column = upload.columns.index(ID)
    kept = [index for index, name in enumerate(upload.columns) if name not in RESULT_COLUMNS]
    yield [*(upload.columns[index] for index in kept), *RESULT_COLUMNS]
    for row in result_rows(upload).iterator():
        cells = (list(row.cells) + [""] * width)[:width]
        if row.session_id and not cells[id_column]:
            cells[id_column] = str(row.session_id)
        yield [*(cells[index] for index in kept), RowStatus.label(row.status), row.message]


def result_csv(upload):
    """The result as CSV text (UTF-8 with a BOM, so spreadsheets read it as such), values
    that a spreadsheet would run as formulas made inert."""
    out = io.StringIO()
    writer = csv.writer(out)
    for values in result_table(upload):
        writer.writerow([spreadsheet_safe(value) for value in values])
    return "\ufeff" + out.getvalue()


def result_filename(upload):
    stem = upload.filename.rsplit(".", 1)[0][:80] or "sessions"
    return f"{stem}-result-{upload.id}.csv"


def _result_notice(context, _locale):
    upload = BulkUpload.get_or_none(BulkUpload.id == context["upload_id"])
    if upload is None:
        raise mail.Obsolete("the upload was deleted")
    attachment = {
        "filename": result_filename(upload),
        "content_type": "text/csv; charset=utf-8",
        "data": result_csv(upload),
    }
    return {"upload": upload, "counts": upload.counts, "statuses": RowStatus}, [attachment]


def may_upload(user, company):
    """Admins, and hosts when the company lets hosts create sessions."""
    return bulk_plan.may_create_sessions(user, company)


def sample_rows(uploader, company, now=None):
    """The sample CSV: the 17 headings and two example rows that pass as they are."""
    return bulk_plan.sample_rows(uploader, company, now or utcnow())


def uploads_of(user, limit=5):
    return list(
        BulkUpload.select(
            BulkUpload.id,
            BulkUpload.filename,
            BulkUpload.status,
            BulkUpload.is_check,
            BulkUpload.total,
            BulkUpload.done,
            BulkUpload.counts,
            BulkUpload.created_at,
        )
        .where(BulkUpload.uploaded_by == user)
        .order_by(BulkUpload.id.desc())
        .limit(limit)
    )


# What the worker needs to write each notice kind this module queues (background.py).
NOTICE_LOADERS = {
    "bulk_upload_result": _result_notice,
}
