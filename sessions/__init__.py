"""The rules people meet: events, sessions and days (`planning`), seats and statuses
(`booking`), reminders (`reminders`), group sessions (`group_sessions`), registration
imports (`registration_import`) and the bulk session upload (`bulk_rows` reads the file's
formats, `bulk_plan` runs its rows through the mentoring rules, `bulk_upload` declares its
batches, result and email); both are importers of `imports.lifecycle`.

May import `messaging`, `meetings`, `accounts`, `imports`, `foundation`, `config` and
`models`; never `tasks` or `views`. A rule that needs background work declares its job
beside it with `foundation.jobs.job`.
"""
