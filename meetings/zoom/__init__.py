"""Zoom conferences, one concern per module (each imports only the ones above it):

- `transport`: the one HTTP exchange with Zoom, its errors and the retry policy for busy Zoom;
- `oauth`: the OAuth app's settings, tokens encrypted at rest, the token endpoint;
- `client`: the REST calls Convene makes, as one connected account;
- `connections`: connected accounts (the company's, an organizer's own), which one a day uses,
  their types and what a day's role asks of them;
- `meeting_sync`: Zoom meetings that follow Zoom conference days, and their jobs;
- `attendance`: who was in a day's meeting (participant webhooks, the participants report);
- `recordings`: a day's cloud recordings;
- `webhooks`: signed deliveries from Zoom, each applied once.

Attendance and recordings land in the platform-neutral `Attendance` and `Recording` rows;
what attendance means for a registration's status is a session rule (`sessions.attendance`).
"""
