"""The screens: one module per area of the site, each owning the URL prefixes it declares in
`URL_PREFIXES`. A URL belongs to the module that declares the longest prefix it starts
with (whole path segments; `<event_id>` stands for any id), so the code behind an address
is one look at this map away. No prefix is declared twice, and every route lies under its
own module's prefixes (tests/test_url_map.py walks the app's URL map and fails otherwise).

| URL prefix | view module |
|---|---|
| `/`, `/home`, `/healthz` | `home.py` |
| `/home/schedule` | `my_schedule.py` |
| `/login`, `/logout`, `/password`, `/locale` | `auth.py` |
| `/profile` | `profile.py` |
| `/days`, `/calendar` | `calendar_feeds.py` |
| `/events`, `/sessions`, `/registrations` | `event_signup.py` |
| `/admin/events`, `/admin/sessions`, `/admin/days`, `/admin/reminders` | `event_planning.py` |
| `/admin/events/<event_id>/registrations` | `event_registrations.py` |
| `/admin/events/<event_id>/imports`, `/admin/registrations` | `event_registrations.py` |
| `/admin/imports`, `/admin/members` | `event_registrations.py` |
| `/admin/emails` | `email_log.py` |
| `/admin/settings` | `company_settings.py` |
| `/admin/users` | `users.py` |
| `/history` | `history.py` |
| `/group-sessions` | `group_sessions.py` |
| `/s`, `/u`, `/invitations` | `session_pages.py` |
| `/host` | `hosting.py` |
| `/mentoring`, `/admin/mentoring`, `/images` | `mentoring.py` |
| `/bulk-upload` | `bulk_upload.py` |
| `/zoom`, `/admin/zoom` | `zoom.py` |
| `/bigbluebutton` | `bigbluebutton.py` |
| `/admin/assessments`, `/admin/client-organizations` | `assessment_catalog.py` |
| `/admin/assessment-sessions` | `assessment_sessions.py` |
| `/assessments`, `/r` | `assessment_surveys.py` |
| `/assessment-sessions` | `assessment_report.py` |

Each handler loads its objects (or 404), checks access (or 403), does one thing through a
named operation, and renders a page or a fragment. Plumbing the handlers share: `listing`
(lists whose state is in the URL), `fragments` (fragments drawn once per version),
`lookups` (one row or 404, sessions with their days), `answers` (htmx-aware redirects),
`type_ahead` (the people searches' rate limit).

May import `sessions`, `assessments`, `messaging`, `meetings`, `accounts`, `foundation`,
`config` and `models`; never `tasks` or `app`.
"""
