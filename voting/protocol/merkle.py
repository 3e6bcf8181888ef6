"""The ballot log's Merkle tree, RFC 9162 §2.1 (Certificate Transparency v2).

Hashes are raw 32-byte values here; the protocol's JSON writes them as hex.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The root of the tree with these leaf hashes (SHA-256 of nothing if empty)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    # Pairing level by level and carrying an odd last node up unchanged builds
    # exactly RFC 9162's tree (split at the largest power of two below n).
    while len(level) > 1:
        paired = [node_hash(left, right) for left, right in zip(level[0::2], level[1::2], strict=False)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 inclusion proof of leaf ``index``, nearest sibling first."""
    if not 0 <= index < len(leaf_hashes):
        raise IndexError("leaf index outside the tree")
    proof: list[bytes] = []
    low, high, m = 0, len(leaf_hashes), index
    while high - low > 1:
        k = _largest_power_of_two_below(high - low)
        if m < k:
            proof.append(root(leaf_hashes[low + k : high]))
            high = low + k
        else:
            proof.append(root(leaf_hashes[low : low + k]))
            low, m = low + k, m - k
    proof.reverse()  # built from the top down; the proof lists the bottom first
    return proof


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` show leaf ``index`` of a tree of ``size``
    leaves with this ``root`` is ``leaf_hash``? Never raises."""
    try:
        if not 0 <= index < size:
            return False
        fn, sn, r = index, size - 1, leaf_hash
        for p in proof:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                r = node_hash(p, r)
                while fn and not fn & 1:  # only when fn == sn: skip the lone edge
                    fn >>= 1
                    sn >>= 1
            else:
                r = node_hash(r, p)
            fn >>= 1
            sn >>= 1
        return sn == 0 and r == root
    except (TypeError, ValueError, AttributeError):
        return False


class Frontier:
    """The right edge of a growing tree: the roots of its perfect subtrees.

    With n leaves it holds one root per set bit of n, largest (leftmost) first,
    which is all that is needed to append a leaf, compute the root and give the
    new leaf's inclusion proof, each in O(log n).
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    def subtrees(self) -> list[tuple[int, bytes]]:
        """``(leaf count, root)`` of each perfect subtree, largest first."""
        sizes = [1 << bit for bit in reversed(range(self._size.bit_length()))]
        return list(zip([s for s in sizes if self._size & s], self._hashes, strict=True))

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash on the right."""
        self._hashes.append(leaf_hash)
        self._size += 1
        # Each trailing zero bit of the new size closes one perfect subtree.
        size = self._size
        while not size & 1:
            right = self._hashes.pop()
            self._hashes[-1] = node_hash(self._hashes[-1], right)
            size >>= 1

    def root(self) -> bytes:
        """The root of the tree of all leaves appended so far."""
        if not self._hashes:
            return EMPTY_ROOT
        acc = self._hashes[-1]
        for subtree in reversed(self._hashes[:-1]):
            acc = node_hash(subtree, acc)
        return acc

    def proof_for_next(self) -> list[bytes]:
        """The inclusion proof that the next appended leaf will have in the
        tree one larger: the subtree roots, smallest first."""
        return self._hashes[::-1]

    def to_hex(self) -> list[str]:
        """The subtree roots as hex strings, largest first (``size`` is kept apart)."""
        return [h.hex() for h in self._hashes]

    @classmethod
    def from_hex(cls, size: int, hashes: Sequence[str]) -> Frontier:
        """Rebuild a frontier of ``size`` leaves from ``to_hex()``."""
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError("a frontier of n leaves has popcount(n) hashes")
        frontier = cls()
        frontier._size = size
        frontier._hashes = [bytes.fromhex(h) for h in hashes]
        if any(len(h) != 32 for h in frontier._hashes):
            raise ValueError("hashes are 32 bytes")
        return frontier

    def copy(self) -> Frontier:
        """An independent copy."""
        other = Frontier()
        other._size = self._size
        other._hashes = list(self._hashes)
        return other


def append_with_proof(frontier: Frontier, leaf_hash: bytes) -> tuple[Frontier, int, bytes, list[bytes]]:
    """Append a leaf; return ``(frontier, index, new root, inclusion proof)``.

    The frontier is changed in place (and returned for convenience). The proof
    is that of the new leaf in the new tree, as a receipt carries it.
    """
    proof = frontier.proof_for_next()
    index = frontier.size
    frontier.append(leaf_hash)
    return frontier, index, frontier.root(), proof


def prefix_roots(leaf_hashes: Iterable[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """The roots of the first ``size`` leaves for each of ``sizes``, in one pass.

    Raises ``ValueError`` for a size below 0 or above the number of leaves.
    """
    wanted = sorted(set(sizes))
    if wanted and wanted[0] < 0:
        raise ValueError("tree sizes are not negative")
    roots: dict[int, bytes] = {}
    frontier = Frontier()
    pending = iter(wanted)
    target = next(pending, None)
    while target == 0:
        roots[0] = EMPTY_ROOT
        target = next(pending, None)
    if target is None:
        return roots
    for leaf in leaf_hashes:
        frontier.append(leaf)
        while target == frontier.size:
            roots[target] = frontier.root()
            target = next(pending, None)
        if target is None:
            return roots
    raise ValueError(f"tree size {target} is larger than the log")


def append_batch(frontier: Frontier, leaf_hashes: Sequence[bytes]) -> tuple[Frontier, bytes, list[list[bytes]]]:
    """Append several leaves at once; return ``(frontier, new root, proofs)``.

    ``proofs[i]`` is the inclusion proof of the i-th new leaf (index ``old size + i``)
    in the tree of the new size: every receipt of a batch carries the same tree head.
    Only the frontier of the old tree is needed: a node on the path of a new leaf is
    either one of the old tree's perfect subtrees or holds new leaves.
    """
    start = frontier.size
    end = start + len(leaf_hashes)
    blocks: dict[tuple[int, int], bytes] = {}
    low = 0
    for count, digest in frontier.subtrees():
        blocks[(low, low + count)] = digest
        low += count
    memo: dict[tuple[int, int], bytes] = {}

    def node(low: int, high: int) -> bytes:
        key = (low, high)
        found = blocks.get(key) or memo.get(key)
        if found is not None:
            return found
        if high <= start:
            raise ValueError("an old subtree that is not on the frontier")  # cannot happen
        if high - low == 1:
            return leaf_hashes[low - start]
        k = _largest_power_of_two_below(high - low)
        value = memo[key] = node_hash(node(low, low + k), node(low + k, high))
        return value

    proofs: list[list[bytes]] = []
    for index in range(start, end):
        proof: list[bytes] = []
        low, high = 0, end
        while high - low > 1:
            k = _largest_power_of_two_below(high - low)
            if index < low + k:
                proof.append(node(low + k, high))
                high = low + k
            else:
                proof.append(node(low, low + k))
                low = low + k
        proof.reverse()
        proofs.append(proof)
    for digest in leaf_hashes:
        frontier.append(digest)
    return frontier, frontier.root(), proofs
