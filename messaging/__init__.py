"""Email and calendars: the outbox and its delivery (`mail`), what each change tells whom
(`notifications`), iCalendar entries (`calendars`).

May import `foundation`, `meetings`, `config` and `models`; never sessions or views.
"""
