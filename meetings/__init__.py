"""Meeting platforms: recognising meeting links (`meeting_links`); the BigBlueButton and Zoom
clients live here too (Zoom as a package of its own, `meetings.zoom`).

May import `foundation`, `config` and `models`; never sessions, messaging or views.
"""
