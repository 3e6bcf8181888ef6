"""Token issuance: the RSA private operation of RFC 9474 BlindSign, tokens/s on one core.

    python -m bench.tokens --count 2000 --reps 3

Compares Yishi's signer (gmpy2 ``powmod_sec`` with CRT, constant time, plus the s^e
check) with plain Python ``pow(m, d, n)`` in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench.stats import fmt, save, summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    from voting.protocol import blindrsa

    key = blindrsa.generate_token_key(2048)
    signer = blindrsa.BlindSigner(key)
    numbers = key.private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    messages = []
    for _ in range(args.count):
        token = blindrsa.prepare(os.urandom(32))
        blinded, _inv = blindrsa.blind(signer.n, signer.e, token)
        messages.append(blinded)
    ours, plain = [], []
    for _ in range(args.reps):
        start = time.perf_counter()
        for m in messages:
            signer.blind_sign(m)
        ours.append(args.count / (time.perf_counter() - start))
        subset = messages[: max(args.count // 8, 50)]
        start = time.perf_counter()
        for m in subset:
            pow(int.from_bytes(m, "big"), d, n)
        plain.append(len(subset) / (time.perf_counter() - start))
    result = {
        "signer_per_s": summary(ours),
        "python_pow_per_s": summary(plain),
        "ratio": summary([a / b for a, b in zip(ours, plain)]),
    }
    print(f"blind_sign (gmpy2 powmod_sec, CRT, s^e check): {fmt(result['signer_per_s'], 0)} tokens/s")
    print(f"plain Python pow(m, d, n):                    {fmt(result['python_pow_per_s'], 0)} /s")
    print(f"RATIO signer / plain pow = {fmt(result['ratio'])}")
    save("tokens", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
