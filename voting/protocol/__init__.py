"""The ballot engine of protocol ``yishi-ballot/1``, free of Flask and the database.

``encoding`` (I-JSON, JCS, base64url, times, codes), ``signing`` (Ed25519 with context
strings), ``blindrsa`` (RFC 9474), ``merkle`` (RFC 9162 and the frontier), ``rules``
(object shapes), ``tally`` (counting), ``board`` (building objects; ``simulate_poll``
runs a whole poll in memory), ``verify`` (the verifier) and ``client`` (a Python voting
client for tests and tools). Nothing here imports Flask, SQLAlchemy or gmpy2 at import
time (``blindrsa`` imports gmpy2 only where a key signs), so the verifier zip ships this
package whole and runs where only ``cryptography`` and ``rfc8785`` are installed.
"""
