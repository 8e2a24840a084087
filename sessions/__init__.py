"""The rules people meet: events, sessions and days (`planning`), seats and statuses
(`booking`), reminders (`reminders`), group sessions (`group_sessions`) and registration
imports (`registration_import`).

May import `messaging`, `meetings`, `accounts`, `foundation`, `config` and `models`; never
`tasks` or `views`. A rule that needs background work declares its job beside it with
`foundation.jobs.job`.
"""
