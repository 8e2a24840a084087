"""What every other part stands on: languages and time zones (`i18n`, `schedule`, `zones`,
`zone_search`), reading forms (`forms`), CSV answers (`exports`) and the job queue (`jobs`).

May import `config` and `models` only: nothing here knows about sessions, email or views.
"""
