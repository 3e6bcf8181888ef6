"""RFC 9162 Merkle tree: Certificate Transparency known answers and properties."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.protocol import merkle

VECTORS = Path(__file__).parent / "vectors" / "known-answers.json"
KNOWN = json.loads(VECTORS.read_text())["rfc9162_merkle"]
LEAVES = [merkle.leaf_hash(bytes.fromhex(leaf)) for leaf in KNOWN["leaves"]]
ROOTS = [bytes.fromhex(root) for root in KNOWN["roots"]]


def _leaves(count: int, salt: int = 0) -> list[bytes]:
    return [merkle.leaf_hash(f"{salt}:{i}".encode()) for i in range(count)]


def _shape(index: int, size: int) -> list[bool]:
    """Which side each proof node is on, bottom first (RFC 9162 PATH)."""
    sides = []
    while size > 1:
        k = 1 << ((size - 1).bit_length() - 1)
        if index < k:
            sides.append(True)  # sibling on the right
            size = k
        else:
            sides.append(False)
            index, size = index - k, size - k
    return sides[::-1]


def test_size_changes_that_alter_the_path_fail() -> None:
    leaves = _leaves(65)
    proof = merkle.inclusion_proof(0, leaves)
    root = merkle.root(leaves)
    assert merkle.verify_inclusion(leaves[0], 0, 66, proof, root)  # same shape
    assert not merkle.verify_inclusion(leaves[0], 0, 64, proof, root)
    assert not merkle.verify_inclusion(leaves[0], 0, 129, proof, root)
    last = merkle.inclusion_proof(64, leaves)
    assert not merkle.verify_inclusion(leaves[64], 64, 66, last, root)


def test_hash_prefixes() -> None:
    assert merkle.leaf_hash(b"ab") == hashlib.sha256(b"\x00ab").digest()
    assert merkle.node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()
    assert merkle.EMPTY_ROOT == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("size", range(9))
def test_known_roots(size: int) -> None:
    assert merkle.root(LEAVES[:size]) == ROOTS[size]
    frontier = merkle.Frontier()
    for leaf in LEAVES[:size]:
        frontier.append(leaf)
    assert frontier.root() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), KNOWN["inclusion"])
def test_known_inclusion_proofs(index: int, size: int, proof: list[str]) -> None:
    nodes = [bytes.fromhex(node) for node in proof]
    assert merkle.inclusion_proof(index, LEAVES[:size]) == nodes
    assert merkle.verify_inclusion(LEAVES[index], index, size, nodes, ROOTS[size])
    assert not merkle.verify_inclusion(LEAVES[index], index, size, nodes, ROOTS[size - 1])


def test_single_leaf_tree() -> None:
    leaf = LEAVES[0]
    assert merkle.root([leaf]) == leaf
    assert merkle.inclusion_proof(0, [leaf]) == []
    assert merkle.verify_inclusion(leaf, 0, 1, [], leaf)
    assert not merkle.verify_inclusion(leaf, 0, 1, [leaf], leaf)


def test_inclusion_proof_index_outside() -> None:
    with pytest.raises(IndexError):
        merkle.inclusion_proof(3, LEAVES[:3])
    with pytest.raises(IndexError):
        merkle.inclusion_proof(-1, LEAVES[:3])


@pytest.mark.parametrize(
    ("leaf", "index", "size", "proof", "root"),
    [
        (None, 0, 1, [], b""),
        (LEAVES[0], "0", 1, [], LEAVES[0]),
        (LEAVES[0], 0, None, [], LEAVES[0]),
        (LEAVES[0], 0, 2, None, ROOTS[2]),
        (LEAVES[0], 0, 2, [None], ROOTS[2]),
        (LEAVES[0], -1, 2, [LEAVES[1]], ROOTS[2]),
        (LEAVES[0], 2, 2, [LEAVES[1]], ROOTS[2]),
    ],
)
def test_verify_inclusion_never_raises(leaf: object, index: object, size: object, proof: object, root: object) -> None:
    assert merkle.verify_inclusion(leaf, index, size, proof, root) is False  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_every_proof_verifies_and_changes_fail(size: int, data: st.DataObject) -> None:
    leaves = _leaves(size, size)
    root = merkle.root(leaves)
    proofs = [merkle.inclusion_proof(i, leaves) for i in range(size)]
    for i, proof in enumerate(proofs):
        assert merkle.verify_inclusion(leaves[i], i, size, proof, root)
    i = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = proofs[i]
    other = merkle.leaf_hash(b"other")
    assert not merkle.verify_inclusion(other, i, size, proof, root)
    assert not merkle.verify_inclusion(leaves[i], i, size, proof, other)
    other_index = data.draw(st.integers(min_value=0, max_value=size), label="other index")
    if other_index != i:
        assert not merkle.verify_inclusion(leaves[i], other_index, size, proof, root)
    other_size = data.draw(st.integers(min_value=0, max_value=2 * size + 2), label="size")
    if other_size != size:
        # The size is bound by the signed tree head: a proof only commits to the
        # shape of the path, so another size passes exactly when its path has
        # the same shape (leaf 0 of 65 and of 66 leaves, say).
        same_shape = other_size > i and _shape(i, other_size) == _shape(i, size)
        assert merkle.verify_inclusion(leaves[i], i, other_size, proof, root) == same_shape
    if proof:
        k = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="node")
        changed = [*proof[:k], other, *proof[k + 1 :]]
        assert not merkle.verify_inclusion(leaves[i], i, size, changed, root)
        assert not merkle.verify_inclusion(leaves[i], i, size, proof[:-1], root)
    assert not merkle.verify_inclusion(leaves[i], i, size, [*proof, other], root)


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=0, max_value=300))
def test_frontier_matches_root_at_every_size(size: int) -> None:
    leaves = _leaves(size)
    frontier = merkle.Frontier()
    assert frontier.root() == merkle.EMPTY_ROOT
    for n, leaf in enumerate(leaves, start=1):
        frontier.append(leaf)
        assert frontier.size == n
        assert frontier.root() == merkle.root(leaves[:n])
    assert [s for s, _ in frontier.subtrees()] == [1 << b for b in reversed(range(size.bit_length())) if size >> b & 1]
    again = merkle.Frontier.from_hex(frontier.size, frontier.to_hex())
    assert again.root() == frontier.root()
    assert again.subtrees() == frontier.subtrees()


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=1, max_value=300))
def test_append_with_proof(size: int) -> None:
    leaves = _leaves(size, 7)
    frontier = merkle.Frontier()
    for n, leaf in enumerate(leaves):
        same, index, root, proof = merkle.append_with_proof(frontier, leaf)
        assert same is frontier
        assert index == n
        assert root == merkle.root(leaves[: n + 1])
        assert proof == merkle.inclusion_proof(n, leaves[: n + 1])
        assert merkle.verify_inclusion(leaf, n, n + 1, proof, root)


def test_frontier_serialisation_checks() -> None:
    frontier = merkle.Frontier()
    for leaf in LEAVES[:5]:
        frontier.append(leaf)
    hexes = frontier.to_hex()
    assert len(hexes) == 2  # 5 = 4 + 1
    with pytest.raises(ValueError, match="popcount"):
        merkle.Frontier.from_hex(6, hexes[:1])
    with pytest.raises(ValueError, match="32 bytes"):
        merkle.Frontier.from_hex(1, ["00"])
    copy = frontier.copy()
    copy.append(LEAVES[5])
    assert frontier.size == 5
    assert copy.root() == ROOTS[6]


def test_prefix_roots() -> None:
    leaves = _leaves(100)
    sizes = [0, 1, 2, 3, 50, 64, 99, 100, 50]
    roots = merkle.prefix_roots(leaves, sizes)
    assert roots == {size: merkle.root(leaves[:size]) for size in sizes}
    assert merkle.prefix_roots(iter(leaves), []) == {}
    with pytest.raises(ValueError, match="larger"):
        merkle.prefix_roots(leaves, [101])
    with pytest.raises(ValueError, match="negative"):
        merkle.prefix_roots(leaves, [-1])
