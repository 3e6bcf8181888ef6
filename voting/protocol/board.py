"""Building and signing the objects of a poll, and a whole simulated poll.

The web layer builds the same objects from its database with these functions;
``simulate_poll`` runs a complete poll in memory for tests, tools and
benchmarks of the verifier.
"""

from __future__ import annotations

import json
import multiprocessing
import secrets
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from voting.protocol import blindrsa, merkle, signing
from voting.protocol.encoding import (
    b64url_encode,
    canonical,
    code_hash,
    format_time,
    generate_code,
    normalise_code,
    parse_time,
    sha256_hex,
)
from voting.protocol.rules import PROTOCOL, manifest_hash
from voting.protocol.tally import tally_choices


def make_manifest(
    *,
    poll: str,
    title: str,
    ballot: str,
    secrecy: str,
    options: Sequence[Mapping[str, str]],
    rules: Mapping[str, Any],
    electorate: int,
    signing_key: bytes,
    opened_at: str,
    token_key: Mapping[str, str] | None = None,
    scrutineers: Sequence[tuple[str, bytes]] = (),
    cosign_threshold: int | None = None,
    paper: bool = False,
) -> dict[str, Any]:
    """A manifest; ``signing_key`` is the raw Ed25519 public key and
    ``token_key`` the ``{"n", "e"}`` object (secret polls only). (rev 5)
    ``scrutineers`` are (name, raw public key) pairs, ``cosign_threshold`` defaults
    to all of them, and ``paper`` allows paper ballots."""
    manifest: dict[str, Any] = {
        "protocol": PROTOCOL,
        "poll": poll,
        "title": title,
        "ballot": ballot,
        "secrecy": secrecy,
        "options": [{"id": o["id"], "title": o["title"]} for o in options],
        "rules": dict(rules),
        "electorate": electorate,
        "signing_key": b64url_encode(signing_key),
    }
    if token_key is not None:
        manifest["token_key"] = {"n": token_key["n"], "e": token_key["e"]}
    manifest["opened_at"] = opened_at
    if scrutineers:
        manifest["scrutineers"] = [{"name": name, "key": b64url_encode(key)} for name, key in scrutineers]
        manifest["cosign_threshold"] = cosign_threshold if cosign_threshold is not None else len(scrutineers)
    if paper:
        manifest["paper"] = True
    return manifest


def ballot_leaf_hash(ballot: Mapping[str, Any]) -> bytes:
    """The RFC 9162 leaf hash of a ballot: SHA-256(0x00 ‖ JCS(ballot))."""
    return merkle.leaf_hash(canonical(ballot))


def make_tree_head(poll: str, size: int, root_hex: str, timestamp: str) -> dict[str, Any]:
    """A tree head, to be signed under ``CONTEXT_TREE_HEAD``."""
    return {"poll": poll, "size": size, "root": root_hex, "timestamp": timestamp}


def make_receipt(
    tree_head: Mapping[str, Any],
    tree_head_sig: str,
    index: int,
    leaf_hash_hex: str,
    inclusion: Sequence[bytes],
) -> dict[str, Any]:
    """The body of a ``201`` answer to a cast."""
    return {
        "poll": tree_head["poll"],
        "index": index,
        "leaf_hash": leaf_hash_hex,
        "tree_head": dict(tree_head),
        "tree_head_sig": tree_head_sig,
        "inclusion": [node.hex() for node in inclusion],
    }


def make_closing(
    manifest: Mapping[str, Any],
    size: int,
    root_hex: str,
    closed_at: str,
    *,
    result: Mapping[str, Any],
    register: Sequence[Mapping[str, Any]] | None = None,
    codes: Sequence[str] | None = None,
    listing_jcs: bytes | None = None,
    paper: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The closing, to be signed under ``CONTEXT_CLOSING``: give exactly one of
    ``register`` and ``codes`` (``listing_jcs``: its JCS bytes, when the caller has
    them already), and (rev 5) the board's ``paper`` member when it has one."""
    if (register is None) == (codes is None):
        raise ValueError("give exactly one of register and codes")
    closing: dict[str, Any] = {
        "poll": manifest["poll"],
        "manifest": manifest_hash(manifest),
        "size": size,
        "root": root_hex,
        "closed_at": closed_at,
    }
    listing = register if register is not None else codes
    digest = sha256_hex(listing_jcs if listing_jcs is not None else canonical(listing))
    closing["register" if register is not None else "codes"] = digest
    if paper is not None:
        closing["paper"] = sha256_hex(canonical(paper))
    closing["result"] = sha256_hex(canonical(result))
    return closing


def make_paper(manifest: Mapping[str, Any], ballots: Iterable[Any], spoiled: int) -> dict[str, Any]:
    """(rev 5) The board's ``paper`` member in the protocol's order: a secret poll's
    choices objects by their JCS bytes, a named poll's ``{"voter", "choices"}`` by voter."""
    if manifest["secrecy"] == "named":
        ordered = sorted(ballots, key=lambda entry: entry["voter"])
    else:
        ordered = sorted(ballots, key=canonical)
    return {"ballots": [dict(entry) for entry in ordered], "spoiled": spoiled}


def cosign(private_raw: bytes, closing: Mapping[str, Any]) -> dict[str, str]:
    """(rev 5) A scrutineer's co-signature over the closing (made on their own device)."""
    public = signing.public_key_of(private_raw)
    return {"key": b64url_encode(public), "sig": signing.sign(private_raw, signing.CONTEXT_COSIGN, closing)}


def order_cosignatures(manifest: Mapping[str, Any], entries: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """Co-signatures in the manifest's order of scrutineers."""
    order = {entry["key"]: i for i, entry in enumerate(manifest.get("scrutineers", ()))}
    return [dict(entry) for entry in sorted(entries, key=lambda entry: order[entry["key"]])]


def build_board(
    manifest: Mapping[str, Any],
    manifest_sig: str,
    *,
    ballots: Sequence[Mapping[str, Any]],
    result: Mapping[str, Any],
    closing: Mapping[str, Any],
    closing_sig: str,
    register: Sequence[Mapping[str, Any]] | None = None,
    codes: Sequence[str] | None = None,
    paper: Mapping[str, Any] | None = None,
    cosignatures: Sequence[Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """The published board; exactly one of ``register`` and ``codes``; (rev 5)
    ``paper`` when deputies voted on paper, ``cosignatures`` when the manifest has
    scrutineers (possibly empty)."""
    if (register is None) == (codes is None):
        raise ValueError("give exactly one of register and codes")
    board: dict[str, Any] = {"manifest": manifest, "manifest_sig": manifest_sig}
    if register is not None:
        board["register"] = list(register)
    else:
        board["codes"] = list(codes or ())
    board["ballots"] = list(ballots)
    if paper is not None:
        board["paper"] = dict(paper)
    board["result"] = result
    board["closing"] = closing
    board["closing_sig"] = closing_sig
    if cosignatures is not None:
        board["cosignatures"] = [dict(entry) for entry in cosignatures]
    return board


def board_text_parts(
    manifest: Mapping[str, Any],
    manifest_sig: str,
    listing_member: str,
    listing_jcs: str,
    ballot_bodies: Iterable[str],
    result: Mapping[str, Any],
    closing: Mapping[str, Any],
    closing_sig: str,
    paper: Mapping[str, Any] | None = None,
    cosignatures: Sequence[Mapping[str, str]] | None = None,
) -> Iterator[str]:
    """The board as the server publishes it, in pieces to stream: members in the
    protocol's order, no whitespace, every ballot as its leaf bytes (JCS).

    ``listing_member`` is ``register`` or ``codes`` and ``listing_jcs`` its JCS text.
    """
    yield '{"manifest":' + canonical(manifest).decode()
    yield ',"manifest_sig":' + json.dumps(manifest_sig)
    yield f',"{listing_member}":' + listing_jcs
    yield ',"ballots":['
    first = True
    for body in ballot_bodies:
        yield body if first else "," + body
        first = False
    yield "]"
    if paper is not None:
        yield ',"paper":' + canonical(paper).decode()
    yield ',"result":' + canonical(result).decode()
    yield ',"closing":' + canonical(closing).decode()
    yield ',"closing_sig":' + json.dumps(closing_sig)
    if cosignatures is not None:
        yield ',"cosignatures":' + canonical(list(cosignatures)).decode()
    yield "}"


def board_text(board: Mapping[str, Any]) -> str:
    """A board built by ``build_board`` as the text the server would publish."""
    member = "codes" if "codes" in board else "register"
    return "".join(
        board_text_parts(
            board["manifest"],
            board["manifest_sig"],
            member,
            canonical(board[member]).decode(),
            (canonical(ballot).decode() for ballot in board["ballots"]),
            board["result"],
            board["closing"],
            board["closing_sig"],
            board.get("paper"),
            board.get("cosignatures"),
        )
    )


# --- tokens (the client side, run here for tests and load generation) -----


def make_token(signer: blindrsa.BlindSigner) -> tuple[bytes, bytes]:
    """One token and its finalized signature, through blind/blind_sign/finalize
    exactly as a voting client and the server would do it."""
    token = blindrsa.prepare(secrets.token_bytes(32))
    blinded, inv = blindrsa.blind(signer.n, signer.e, token)
    sig = blindrsa.finalize(signer.n, signer.e, token, signer.blind_sign(blinded), inv)
    return token, sig


_worker_signer: blindrsa.BlindSigner | None = None


def _init_token_worker(p: int, q: int, e: int) -> None:
    global _worker_signer  # one signer per worker process
    _worker_signer = blindrsa.BlindSigner.from_factors(p, q, e)


def _make_tokens(count: int) -> list[tuple[bytes, bytes]]:
    assert _worker_signer is not None
    return [make_token(_worker_signer) for _ in range(count)]


def issue_tokens(key: rsa.RSAPrivateKey, count: int, *, jobs: int = 1) -> list[tuple[bytes, bytes]]:
    """``count`` tokens with their signatures, over ``jobs`` processes."""
    if jobs <= 1 or count < 64:
        signer = blindrsa.BlindSigner(key)
        return [make_token(signer) for _ in range(count)]
    numbers = key.private_numbers()
    chunk = max(1, count // (jobs * 8))
    sizes = [min(chunk, count - start) for start in range(0, count, chunk)]
    with multiprocessing.Pool(
        jobs,
        initializer=_init_token_worker,
        initargs=(numbers.p, numbers.q, numbers.public_numbers.e),
    ) as pool:
        return [pair for part in pool.map(_make_tokens, sizes) for pair in part]


# --- a whole poll ----------------------------------------------------------


def _default_rules(ballot: str) -> dict[str, Any]:
    if ballot == "approval":
        return {"threshold": {"base": "electorate", "more_than": "1/2"}}
    return {"grade_base": "cast"}


def simulate_poll(
    choices: Sequence[Mapping[str, str]],
    *,
    ballot: str = "approval",
    secrecy: str = "secret",
    options: Sequence[str] | None = None,
    rules: Mapping[str, Any] | None = None,
    electorate: int | None = None,
    present: int | None = None,
    poll: str = "sim-poll",
    title: str = "Simulated poll",
    signing_key: bytes | None = None,
    token_key: rsa.RSAPrivateKey | None = None,
    opened_at: str = "2027-01-12T09:00:00Z",
    receipts: bool | Collection[int] = True,
    jobs: int = 1,
    scrutineers: Sequence[tuple[str, bytes]] = (),
    cosign_threshold: int | None = None,
    cosigners: Collection[int] | None = None,
    paper: Sequence[Mapping[str, str]] | None = None,
    spoiled: int = 0,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Run a complete poll in memory and return ``(board, receipts, ballots)``.

    One ballot is cast per entry of ``choices`` (which the caller keeps valid).
    ``signing_key`` is a raw Ed25519 private key and ``token_key`` an RSA key;
    fresh ones are made if omitted (pass a key to save time). ``electorate``
    defaults to the number of ballots and ``present`` (secret and named polls)
    to the number of ballots. ``receipts`` is True (all), False (none) or the
    indices that get one: each receipt carries a freshly signed tree head, one
    second later than the previous ballot's. ``jobs`` processes issue tokens.

    (rev 5) ``scrutineers`` are (name, raw Ed25519 private key) pairs; those whose
    indices are in ``cosigners`` (default: all) co-sign the closing. ``paper`` gives
    the choices of valid paper ballots and ``spoiled`` the void ones (the manifest then
    allows paper): the deputies after the electronic voters voted on paper.
    """
    count = len(choices)
    option_ids = list(options) if options is not None else list(choices[0] if count else ["p01"])
    electorate = electorate if electorate is not None else max(count, 1)
    paper_voters = len(paper) + spoiled if paper is not None else 0
    present = present if present is not None else count + paper_voters
    if not count + paper_voters <= present <= electorate:
        raise ValueError("need ballots (electronic and paper) <= present <= electorate")
    if signing_key is None:
        signing_key, _ = signing.generate_keypair()
    public = signing.public_key_of(signing_key)
    if secrecy == "secret":
        token_key = token_key or blindrsa.generate_token_key()
    manifest = make_manifest(
        poll=poll,
        title=title,
        ballot=ballot,
        secrecy=secrecy,
        options=[{"id": oid, "title": f"Option {oid}"} for oid in option_ids],
        rules=rules if rules is not None else _default_rules(ballot),
        electorate=electorate,
        signing_key=public,
        opened_at=opened_at,
        token_key=_token_key_json(token_key) if secrecy == "secret" else None,
        scrutineers=[(name, signing.public_key_of(key)) for name, key in scrutineers],
        cosign_threshold=cosign_threshold,
        paper=paper is not None,
    )
    manifest_sig = signing.sign(signing_key, signing.CONTEXT_MANIFEST, manifest)
    if secrecy == "code":
        register = None
        codes, credentials = _simulated_codes(electorate, count)
        present = electorate  # in a code poll 实到 is the number of codes
    else:
        codes = None
        register = _simulated_register(secrecy, electorate, present, count, paper_voters)
        credentials = _simulated_credentials(secrecy, register, count, token_key, jobs)
    start = parse_time(opened_at)
    ballots, receipt_list, frontier = _cast_ballots(choices, credentials, manifest, signing_key, start, receipts)
    paper_member = None
    if paper:
        voters = [entry["voter"] for entry in register or () if entry.get("paper")]
        entries = (
            [{"voter": voters[i], "choices": dict(c)} for i, c in enumerate(paper)]
            if secrecy == "named"
            else [dict(c) for c in paper]
        )
        paper_member = make_paper(manifest, entries, spoiled)
    elif paper is not None and spoiled:
        paper_member = make_paper(manifest, [], spoiled)
    result = tally_choices(
        manifest,
        [*(ballot["choices"] for ballot in ballots), *(paper or ())],
        present,
        paper=(len(paper), spoiled) if paper_member is not None and paper is not None else None,
    )
    closed_at = format_time(start + timedelta(seconds=count + 60))
    closing = make_closing(
        manifest,
        frontier.size,
        frontier.root().hex(),
        closed_at,
        result=result,
        register=register,
        codes=codes,
        paper=paper_member,
    )
    closing_sig = signing.sign(signing_key, signing.CONTEXT_CLOSING, closing)
    cosignatures = None
    if scrutineers:
        chosen = range(len(scrutineers)) if cosigners is None else sorted(cosigners)
        cosignatures = [cosign(scrutineers[i][1], closing) for i in chosen]
    board = build_board(
        manifest,
        manifest_sig,
        ballots=ballots,
        result=result,
        closing=closing,
        closing_sig=closing_sig,
        register=register,
        codes=codes,
        paper=paper_member,
        cosignatures=cosignatures,
    )
    return board, receipt_list, ballots


def _token_key_json(token_key: rsa.RSAPrivateKey | None) -> dict[str, str]:
    """The manifest's ``token_key`` object for a secret poll's RSA key."""
    assert token_key is not None
    public_numbers = token_key.public_key().public_numbers()
    return blindrsa.public_numbers_json(public_numbers.n, public_numbers.e)


def _simulated_codes(electorate: int, count: int) -> tuple[list[str], list[dict[str, str]]]:
    """A code poll's sorted code hashes, and the credentials of the first ``count`` codes."""
    plain = [normalise_code(generate_code()) for _ in range(electorate)]
    codes = sorted(code_hash(code) for code in plain)
    return codes, [{"code_hash": code_hash(code)} for code in plain[:count]]


def _simulated_register(
    secrecy: str, electorate: int, present: int, count: int, paper_voters: int = 0
) -> list[dict[str, Any]]:
    """Deputies D1 … in order: the first ``present`` are present and, in a secret
    poll, the first ``count`` were issued a token; the ``paper_voters`` after them
    voted on paper."""
    width = len(str(electorate))
    register = []
    for i in range(electorate):
        entry: dict[str, Any] = {
            "voter": f"D{i + 1:0{width}d}",
            "name": f"Deputy {i + 1}",
            "present": i < present,
        }
        if secrecy == "secret":
            entry["token_issued"] = i < count
        if count <= i < count + paper_voters:
            entry["paper"] = True
        register.append(entry)
    return register


def _simulated_credentials(
    secrecy: str,
    register: list[dict[str, Any]],
    count: int,
    token_key: rsa.RSAPrivateKey | None,
    jobs: int,
) -> list[dict[str, str]]:
    """The credentials of ``count`` ballots: blind-signed tokens or the register's first voters."""
    if secrecy == "secret":
        assert token_key is not None
        return [
            {"token": b64url_encode(token), "token_sig": b64url_encode(sig)}
            for token, sig in issue_tokens(token_key, count, jobs=jobs)
        ]
    return [{"voter": register[i]["voter"]} for i in range(count)]


def _cast_ballots(
    choices: Sequence[Mapping[str, str]],
    credentials: list[dict[str, str]],
    manifest: Mapping[str, Any],
    signing_key: bytes,
    start: datetime,
    receipts: bool | Collection[int],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], merkle.Frontier]:
    """Cast one ballot per choice in order: the ballots, the receipts asked for (tree
    heads one second apart from ``start``) and the Merkle frontier after the last."""
    poll = manifest["poll"]
    m_hash = manifest_hash(manifest)
    frontier = merkle.Frontier()
    ballots: list[dict[str, Any]] = []
    receipt_list: list[dict[str, Any]] = []
    wanted = receipts if not isinstance(receipts, bool) else None
    for i, choice in enumerate(choices):
        cast = {
            "poll": poll,
            "manifest": m_hash,
            **credentials[i],
            "choices": dict(choice),
        }
        ballots.append(cast)
        leaf = ballot_leaf_hash(cast)
        _, index, root, proof = merkle.append_with_proof(frontier, leaf)
        if receipts is True or (wanted is not None and i in wanted):
            head = make_tree_head(
                poll,
                index + 1,
                root.hex(),
                format_time(start + timedelta(seconds=i + 1)),
            )
            head_sig = signing.sign(signing_key, signing.CONTEXT_TREE_HEAD, head)
            receipt_list.append(make_receipt(head, head_sig, index, leaf.hex(), proof))
    return ballots, receipt_list, frontier
