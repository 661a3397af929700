"""Near-duplicate detection with MinHash signatures and LSH banding (numpy).

A text becomes the set of its word ``shingle``-grams (lower-cased ``\\w+`` tokens). Each
shingle hashes to ``x`` in ``[0, p)`` with ``p = 2^31 - 1``; permutation ``i`` is the universal
hash ``h_i(x) = (a_i x + b_i) mod p`` and the signature is ``sig_i = min_x h_i(x)``. For two
sets, ``P[sig_i(A) = sig_i(B)] = J(A, B)`` (Broder 1997), so the fraction of agreeing positions
estimates the Jaccard similarity. Signatures are cut into ``bands`` bands of ``r`` rows; two
texts become candidates when some band agrees entirely, which happens with probability
``1 - (1 - J^r)^bands`` (64 permutations in 16 bands: ~0.9998 at J = 0.8, ~0.03 at J = 0.3).
Candidates are then scored by the signature estimate, so lookups never scan the whole index.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

PRIME = np.uint64((1 << 31) - 1)
_TOKEN = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = 3) -> set[str]:
    """Word ``size``-grams of ``text`` (the whole token list when shorter)."""
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) <= size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


class MinHashIndex:
    """An LSH index of MinHash signatures; keys are caller-chosen strings."""

    def __init__(self, *, num_perm: int = 64, bands: int = 16, shingle: int = 3, seed: int = 0):
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, int(PRIME), size=num_perm, dtype=np.uint64)
        self.b = rng.integers(0, int(PRIME), size=num_perm, dtype=np.uint64)
        self.bands, self.rows, self.shingle = bands, num_perm // bands, shingle
        self.keys: list[str] = []
        self.signatures: list[np.ndarray] = []
        self.buckets: list[dict[bytes, list[int]]] = [{} for _ in range(bands)]

    def signature(self, text: str) -> np.ndarray | None:
        grams = shingles(text, self.shingle)
        if not grams:
            return None
        x = (
            np.fromiter(
                (
                    int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
                    for g in grams
                ),
                dtype=np.uint64,
                count=len(grams),
            )
            % PRIME
        )
        # a, x < 2^31 so a * x + b < 2^63: no uint64 overflow.
        return ((self.a[:, None] * x[None, :] + self.b[:, None]) % PRIME).min(axis=1)

    def _bands(self, signature: np.ndarray) -> list[bytes]:
        return [signature[i * self.rows : (i + 1) * self.rows].tobytes() for i in range(self.bands)]

    def add(self, key: str, text: str) -> None:
        signature = self.signature(text)
        if signature is None:
            return
        index = len(self.keys)
        self.keys.append(key)
        self.signatures.append(signature)
        for band, bucket_key in zip(self.buckets, self._bands(signature), strict=True):
            band.setdefault(bucket_key, []).append(index)

    def nearest(self, text: str, *, exclude: str | None = None) -> tuple[str, float] | None:
        """The most similar indexed key among the LSH candidates and its Jaccard estimate."""
        signature = self.signature(text)
        if signature is None:
            return None
        candidates: set[int] = set()
        for band, bucket_key in zip(self.buckets, self._bands(signature), strict=True):
            candidates.update(band.get(bucket_key, ()))
        best: tuple[str, float] | None = None
        for index in candidates:
            if self.keys[index] == exclude:
                continue
            similarity = float(np.mean(self.signatures[index] == signature))
            if best is None or similarity > best[1]:
                best = (self.keys[index], similarity)
        return best

    def __len__(self) -> int:
        return len(self.keys)
