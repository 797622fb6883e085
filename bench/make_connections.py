#!/usr/bin/env python3
"""Writes N Airflow connections as an `airflow connections export` JSON file (bench/migrate.sh).

    python3 bench/make_connections.py N OUT.json [--seed S]

The file has the shape `airflow connections export --file-format json` writes:

    {"conn_0001": {"conn_type": "postgres", "host": "...", "login": "...", "password": "...",
                   "schema": "...", "port": 5432, "extra": "{\\"sslmode\\": \\"require\\"}"}, ...}

Values are random but deterministic (seeded: the same N and seed give the same bytes), and every
password holds characters that need escaping in a connection URI (`@:/?#%+&=`), so the benchmark
moves the kind of values a real export has. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import string

# Every password gets at least one of these, plus a random mix of them and alphanumerics.
SPECIAL = "@:/?#%+&="
ALPHABET = string.ascii_letters + string.digits + SPECIAL + "-_.~"


def password(rng: random.Random) -> str:
    chars = [rng.choice(ALPHABET) for _ in range(rng.randint(16, 32))]
    for position in rng.sample(range(len(chars)), 3):
        chars[position] = rng.choice(SPECIAL)
    return "".join(chars)


def word(rng: random.Random, low: int = 4, high: int = 10) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(low, high)))


def connection(rng: random.Random, index: int) -> dict:
    return {
        "conn_type": "postgres",
        "host": f"{word(rng)}-{index:04d}.db.internal.example",
        "login": f"{word(rng)}_{rng.randint(1, 99)}",
        "password": password(rng),
        "schema": word(rng),
        "port": 5432,
        "extra": json.dumps({"sslmode": "require"}),
    }


def make(count: int, seed: int) -> dict:
    rng = random.Random(seed)
    return {f"conn_{i:04d}": connection(rng, i) for i in range(1, count + 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    if args.count < 1:
        parser.error("N must be at least 1")
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(make(args.count, args.seed), f, indent=4)
        f.write("\n")


if __name__ == "__main__":
    main()
