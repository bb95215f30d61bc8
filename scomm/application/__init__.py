"""The application layer: one function per use case, taking the acting principal.

Authorisation is decided here, once (``security.access``), and every read of personal
data and every change is audited here; the API and the CLI call these functions and
never decide who may do what.
"""
