"""The screens: one blueprint per area, each handler loading its objects (or 404), checking
access (or 403), doing one thing through a named rule, and rendering a page or a fragment.

May import `sessions`, `messaging`, `meetings`, `accounts`, `foundation`, `config` and
`models`; never `tasks` or `app`.
"""
