"""People and their company: who may use which route (`access`), user accounts and company
settings (`administration`).

May import `foundation`, `config` and `models`.
"""
