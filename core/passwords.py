"""Password hashing and generation."""

import secrets

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

# Unambiguous symbols for printed initial passwords (no 0/O, 1/l/I).
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def generate_initial_password(length: int = 10) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def hash_password(password: str, *, initial: bool = False) -> str:
    # Initial passwords are random (about 49 bits), so a cheaper KDF keeps a roster
    # import of a thousand deputies quick; chosen passwords use scrypt.
    key = "YISHI_INITIAL_PASSWORD_METHOD" if initial else "YISHI_PASSWORD_METHOD"
    method = current_app.config[key]
    return generate_password_hash(password, method=method)


def check_password(hash_: str, password: str) -> bool:
    return check_password_hash(hash_, password)
