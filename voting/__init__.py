"""Yishi's polls (protocol ``yishi-ballot/1``).

``voting.protocol`` is the pure ballot engine, which imports nothing of Flask or the
database; the web side (``models``, ``services``, ``api``, ``views``, ``cli``,
``keystore``, ``specs``, ``messages``, ``ballot_i18n``, ``charts``) stands beside it
and is imported explicitly. ``voting.verify`` is the verifier's command.
"""
