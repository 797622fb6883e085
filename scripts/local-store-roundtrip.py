#!/usr/bin/env python3
"""Property test: what airseal's local-filesystem store writes, Airflow's own
`LocalFilesystemBackend` reads back as the same connection or Variable.

Runs inside an Airflow venv (scripts/connection-roundtrip.sh makes them) and drives
`target/debug/examples/local_store_server` (crates/airseal_stores). Hypothesis generates
connections (unicode and `@:/?#%+&=` in every field, nested extras) and Variables; each is written
by airseal into a `.json`, `.yaml` and `.env` connections / variables file, in JSON and URI
connection form, next to entries already there, then read with
`LocalFilesystemBackend(connections_file_path=..., variables_file_path=...)`.

    <venv>/bin/python scripts/local-store-roundtrip.py --server target/debug/examples/local_store_server --examples 300
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

import airflow  # noqa: E402
from airflow.models.connection import Connection  # noqa: E402
from airflow.secrets.local_filesystem import LocalFilesystemBackend  # noqa: E402

warnings.filterwarnings("ignore")

SPECIAL = "@:/?#%+&=[] ;,'\"\\é😀"
text = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("abcXYZ019.-_~") + list(SPECIAL)), min_size=1, max_size=12))
extra = st.one_of(st.none(), st.dictionaries(st.text(min_size=1, max_size=6), st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.lists(st.integers(), max_size=2)), min_size=1, max_size=3).map(json.dumps))
connections = st.fixed_dictionaries({
    "conn_type": st.sampled_from(["postgres", "mysql", "aws", "http", "google_cloud_platform", "snowflake"]),
    "host": text, "login": text, "password": text, "schema": text,
    "port": st.one_of(st.none(), st.integers(1, 65535)),
    "extra": extra,
})
ids = st.from_regex(r"\A[a-z][a-z0-9_]{0,20}\Z")


def fields(c: Connection) -> dict:
    return {k: getattr(c, k) for k in ("conn_type", "host", "login", "password", "schema", "port")} | {"extra": c.extra_dejson}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True)
    parser.add_argument("--examples", type=int, default=300)
    args = parser.parse_args()
    server = subprocess.Popen([args.server], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def ask_raw(**request):
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        return json.loads(server.stdout.readline())

    def ask(**request):
        reply = ask_raw(**request)
        assert "error" not in reply, reply
        return reply

    checked = {"connections": 0, "variables": 0, "refused": 0}
    tmp = tempfile.mkdtemp()
    config = settings(max_examples=args.examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)

    @config
    @given(ids, connections, st.sampled_from(["json", "yaml", "env"]), st.sampled_from(["json", "uri"]))
    def connection_round_trip(conn_id, conn, fmt, form):
        path = os.path.join(tmp, f"connections-{form}.{fmt}")
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write({"json": '{"existing": "http://keep.me"}', "yaml": "existing: http://keep.me\n", "env": "existing=http://keep.me\n"}[fmt])
        ask(file=path, kind="connection", form=form, id=conn_id, conn=conn)
        expected = Connection(conn_id=conn_id, **conn)
        if form == "uri" or fmt == "env":
            # The URI form holds what a URI can: Airflow's own reading of its own get_uri(). A .env
            # file is always written in URI form: LocalFilesystemBackend reads its values only as URIs.
            expected = Connection(conn_id=conn_id, uri=expected.get_uri())
        got = LocalFilesystemBackend(connections_file_path=path).get_connection(conn_id)
        assert got is not None, (conn_id, fmt, form)
        assert fields(got) == fields(expected), (fmt, form, conn, fields(got), fields(expected))
        assert LocalFilesystemBackend(connections_file_path=path).get_connection("existing").host == "keep.me"
        checked["connections"] += 1

    @config
    @given(ids, st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=20).map(str.strip).filter(bool), st.sampled_from(["json", "yaml", "env"]))
    def variable_round_trip(key, value, fmt):
        path = os.path.join(tmp, f"variables.{fmt}")
        if fmt == "env" and value.splitlines() != [value]:
            # The backend reads an env file with str.splitlines(): the store must refuse, naming
            # the key and never the value.
            reply = ask_raw(file=path, kind="variable", id=key, text=value)
            assert "cannot hold it" in reply.get("error", "") and value not in reply["error"], reply
            checked["refused"] += 1
            return
        ask(file=path, kind="variable", id=key, text=value)
        got = LocalFilesystemBackend(variables_file_path=path).get_variable(key)
        assert got == value, (fmt, key, value, got)
        checked["variables"] += 1

    connection_round_trip()
    variable_round_trip()
    print(f"airflow {airflow.__version__}: {checked['connections']} connections and {checked['variables']} variables "
          "written by airseal into .json/.yaml/.env files read back identically by LocalFilesystemBackend; "
          f"{checked['refused']} env values with a line break refused")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as failure:
        print(f"disagreement with Airflow: {failure}", file=sys.stderr)
        sys.exit(1)
