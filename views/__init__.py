"""The screens: one module per area of the site, each owning the URL prefixes it declares in
`URL_PREFIXES`. A URL belongs to the module that declares the longest prefix it starts
with (whole path segments; `<event_id>` stands for any id), so the code behind an address
is one look at this map away. No prefix is declared twice, and every route lies under its
own module's prefixes (tests/test_url_map.py walks the app's URL map and fails otherwise).

| URL prefix | view module | what it serves |
|---|---|---|
| `/`, `/home`, `/healthz` | `home.py` | the landing redirect, "My events", the health probe |
| `/login`, `/logout`, `/password`, `/locale` | `auth.py` | signing in and out, a forgotten password, the language switch |
| `/profile` | `profile.py` | name, zone, language, password, sign-out everywhere, a new calendar link |
| `/days`, `/calendar` | `calendar_feeds.py` | a day's .ics file, the private calendar feed |
| `/events`, `/sessions`, `/registrations` | `event_signup.py` | an event as members see it: signing up, switching, withdrawing |
| `/admin/events`, `/admin/sessions`, `/admin/days`, `/admin/reminders` | `event_planning.py` | building an event: its sessions, days (Zoom state too), reminders |
| `/admin/events/<event_id>/registrations`, `/admin/events/<event_id>/imports`, `/admin/registrations`, `/admin/imports`, `/admin/members` | `event_registrations.py` | the event's Applications tab: the list, bulk actions, the file import, Zoom attendance |
| `/admin/emails` | `email_log.py` | the email log |
| `/admin/settings` | `company_settings.py` | company settings |
| `/admin/users` | `users.py` | user accounts |
| `/group-sessions` | `group_sessions.py` | creating group sessions, a host's decision below the minimum |
| `/s`, `/u`, `/invitations` | `session_pages.py` | a hosted session's public page and meeting room, a host's profile, invitation answers |
| `/host` | `hosting.py` | the host's dashboard and page of one session |
| `/mentoring`, `/admin/mentoring`, `/images` | `mentoring.py` | mentoring sessions, their tag options, their images |
| `/bulk-upload` | `bulk_upload.py` | the bulk session upload |
| `/zoom`, `/admin/zoom` | `zoom.py` | Zoom accounts, Start and Join, recordings, the webhook |
| `/admin/assessments`, `/admin/client-organizations` | `assessment_catalog.py` | the assessments catalog, client organizations |
| `/admin/assessment-sessions` | `assessment_sessions.py` | assessment sessions for admins |
| `/assessments`, `/r` | `assessment_surveys.py` | a participant's page, a rater's survey |
| `/assessment-sessions` | `assessment_report.py` | the facilitator's report |

Each handler loads its objects (or 404), checks access (or 403), does one thing through a
named operation, and renders a page or a fragment. Plumbing the handlers share: `listing`
(lists whose state is in the URL), `fragments` (fragments drawn once per version),
`lookups` (one row or 404, sessions with their days), `answers` (htmx-aware redirects).

May import `sessions`, `assessments`, `messaging`, `meetings`, `accounts`, `foundation`,
`config` and `models`; never `tasks` or `app`.
"""
