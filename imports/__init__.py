"""The one path every file import walks: reading an uploaded CSV or XLSX file safely
(`reading`: encodings, size and row limits, zip and XML guards, headings, blank rows), the
upload's life (`lifecycle`: start, preview or check, apply in batches as one restart-safe
job with a progress counter, the result email) and its result file (`results`).

An importer (the event registrations, the bulk session upload, the assessment participants)
declares only what differs: its columns, how a row reads, what applying a batch means. It
lives beside its rules (`sessions/`, `assessments/`) and registers itself here.

May import: messaging (the result email), foundation, config, models.
"""
