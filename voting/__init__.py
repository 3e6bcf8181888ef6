"""Yishi's ballot engine (protocol ``yishi-ballot/1``).

The pure modules (``encoding``, ``signing``, ``blindrsa``, ``merkle``, ``rules``,
``tally``, ``board``, ``verify``) import nothing of Flask or the database; the
web parts of this package live in other submodules that are imported explicitly.
"""
