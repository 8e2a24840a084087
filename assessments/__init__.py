"""Assessment sessions (360-degree feedback): the catalog of questionnaires (`catalog`), the
session with its key dates and participants (`planning`), raters, private links and
surveys (`surveys`), invitations and reminders on their dates (`outreach`), and the
facilitator's report (`report`).

An assessment session is a Session of kind "assessment" plus one AssessmentSession row:
participants are Registrations like everywhere else, the facilitator is the session's
host, and only what is particular to assessments (questionnaire, dates, answers) lives in
the tables of its own.

May import: messaging, imports, foundation, config, models.
"""
