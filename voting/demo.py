"""The demo's scrutineers (protocol revision 5), for ``projects.demo``.

DEMO DATA ONLY: a real scrutineer's key pair is made on their own phone and the private
key never reaches the server (``static/js/scrutineer.js``). The demo has no phones, so
these functions make the key pairs here, enroll the public halves as a phone would, and
sign the closing with the private halves, which are then dropped. Nothing else in the
site can do this: no page or API stores a key or a co-signature for anyone else.
"""

from __future__ import annotations

from core.models import Deputy
from voting.models import Poll
from voting.protocol import signing
from voting.protocol.board import cosign
from voting.protocol.encoding import b64url_encode
from voting.services import scrutineers


def name_and_enroll(poll: Poll, deputies: list[Deputy], threshold: int | None = None) -> list[bytes]:
    """Name the deputies as the draft's scrutineers and enroll a demo key for each;
    returns the private keys (demo data, see above). Flushes."""
    scrutineers.set_scrutineers(poll, [d.id for d in deputies], threshold)
    private_keys = []
    for deputy in deputies:
        private, public = signing.generate_keypair()
        scrutineers.enroll_key(poll, deputy.id, b64url_encode(public))
        private_keys.append(private)
    return private_keys


def cosign_all(poll: Poll, deputies: list[Deputy], private_keys: list[bytes]) -> None:
    """Each demo scrutineer signs the closed poll's closing, through the same service
    as the API (the signature is checked before it is stored). Commits."""
    for deputy, private in zip(deputies, private_keys, strict=True):
        scrutineers.store_cosignature(poll, deputy.id, cosign(private, poll.closing))
