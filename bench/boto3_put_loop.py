#!/usr/bin/env python3
"""The boto3 baseline of bench/migrate.sh, and its checks of what landed in the store.

    python bench/boto3_put_loop.py FILE [--threads N]     # the baseline (N = 1: a plain loop)
    python bench/boto3_put_loop.py FILE --check-count      # exactly one secret per connection?
    python bench/boto3_put_loop.py FILE --check-values     # ... and each one Airflow-equal to FILE?

FILE is an `airflow connections export` JSON file (bench/make_connections.py). The baseline is
the script people write by hand: for each connection, the JSON that Airflow's
`Connection.as_json()` produces (None fields dropped, `extra` as an object, no conn_id), put with
`create_secret(Name="airflow/connections/<id>", SecretString=...)` — sequentially, or on a
`ThreadPoolExecutor(N)` sharing one client (boto3 clients are thread-safe). No read before the
write, no tags, no retries beyond botocore's defaults: the least work that gets the secrets in.

The client takes its endpoint, credentials and region from the environment (AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION), as airseal does. Runs in the moto venv,
which carries boto3.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3

PREFIX = "airflow/connections/"


def as_json(conn: dict) -> str:
    """What Airflow's Connection(**conn).as_json() returns for an export entry."""
    fields = {k: conn.get(k) for k in ("conn_type", "description", "host", "login", "password", "schema", "port")}
    fields = {k: v for k, v in fields.items() if v is not None}  # prune_dict(mode="strict")
    extra = conn.get("extra")
    if isinstance(extra, str):
        extra = json.loads(extra) if extra else {}
    if extra:
        fields["extra"] = extra
    return json.dumps(fields)


def client():
    # botocore reads AWS_DEFAULT_REGION but not AWS_REGION (which airseal and the AWS CLI v2 read).
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return boto3.client("secretsmanager", region_name=region)


def put_all(connections: dict, threads: int) -> None:
    sm = client()

    def put(item):
        conn_id, conn = item
        sm.create_secret(Name=PREFIX + conn_id, SecretString=as_json(conn))

    if threads <= 1:
        for item in connections.items():
            put(item)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for _ in pool.map(put, connections.items()):
                pass


def stored_names() -> list[str]:
    names = []
    for page in client().get_paginator("list_secrets").paginate():
        names.extend(s["Name"] for s in page["SecretList"])
    return names


def check_count(connections: dict) -> None:
    names = stored_names()
    expected = {PREFIX + c for c in connections}
    if len(names) != len(connections) or set(names) != expected:
        sys.exit(f"check: {len(names)} secrets in the store, {len(set(names) & expected)} of the "
                 f"{len(connections)} expected names")
    print(f"check: {len(names)} secrets, one per connection")


def check_values(connections: dict) -> None:
    """Every stored secret, read as Airflow's SecretsManagerBackend does (JSON form), equals the
    source connection: same fields, same password, `extra` the same object."""
    sm = client()
    check_count(connections)
    for conn_id, conn in connections.items():
        stored = json.loads(sm.get_secret_value(SecretId=PREFIX + conn_id)["SecretString"])
        expected = json.loads(as_json(conn))
        extra = stored.get("extra")
        if isinstance(extra, str):
            stored["extra"] = json.loads(extra) if extra else {}
        if stored.get("port") is not None:
            stored["port"] = int(stored["port"])
        stored = {k: v for k, v in stored.items() if v not in (None, {})}
        if stored != expected:
            sys.exit(f"check: {conn_id} differs from the source (fields {sorted(stored)} vs {sorted(expected)})")
    print(f"check: all {len(connections)} values equal the source")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--check-count", action="store_true")
    parser.add_argument("--check-values", action="store_true")
    args = parser.parse_args()
    with open(args.file, encoding="utf-8") as f:
        connections = json.load(f)
    if args.check_values:
        check_values(connections)
    elif args.check_count:
        check_count(connections)
    else:
        put_all(connections, args.threads)


if __name__ == "__main__":
    main()
