"""Yishi's foundation: accounts and roles, the deputy roster, sessions and check-in,
the audit log, and the site's shared pages."""
