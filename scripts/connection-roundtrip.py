#!/usr/bin/env python3
"""Property test: airseal's connection codec agrees with Airflow's own, byte for byte.

Runs inside a venv holding the real Airflow (2.10.5 or 3.3.2, from scripts/locks/airflow-full-*.lock)
and drives airseal's codec through `target/debug/examples/codec_server` (crates/airseal_connection).
Hypothesis generates connections with unicode and `@:/?#%+&=` in every field and extras with nested
JSON, and URIs built from such pieces; for each:

  1. Airflow's `Connection(...).get_uri()` and `.as_json()` equal airseal's `to_uri` / `to_json`;
  2. parsing that URI and that JSON back gives the same fields in Airflow and in airseal
     (`Connection(uri=...)`, `Connection.from_json(...)`);
  3. arbitrary URI-like strings are accepted or refused by both, with the same fields when
     accepted;
  4. JSON secrets with the AWS Secrets Manager backend's key aliases (`user`, `pass`, `key`,
     `database`, `engine`, ...) give the same connection as the provider's
     `SecretsManagerBackend` reads.

    <venv>/bin/python scripts/connection-roundtrip.py --server target/debug/examples/codec_server --examples 2000

Exit 0 when every example agrees, 1 on the first disagreement (printed with the falsifying
example), 2 on errors. Values are random test data, never real secrets.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import warnings

os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")
warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

import airflow  # noqa: E402
from airflow.models.connection import Connection  # noqa: E402

DIALECT = airflow.__version__.split(".")[0]
# Airflow installs its own warning filters on import; the property test's odd extras would
# print a RemovedInAirflow3Warning each.
warnings.filterwarnings("ignore")

FIELDS = ("conn_type", "description", "host", "login", "password", "schema", "port", "extra")


class Codec:
    def __init__(self, server: str):
        self.process = subprocess.Popen([server], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def ask(self, **request):
        assert self.process.stdin and self.process.stdout
        request["dialect"] = DIALECT
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())


def airflow_fields(connection: Connection) -> dict:
    return {
        "conn_type": connection.conn_type,
        "description": connection.description,
        "host": connection.host,
        "login": connection.login,
        "password": connection.password,
        "schema": connection.schema,
        "port": connection.port,
        "extra": connection.extra,
    }


SPECIAL = "@:/?#%+&=[] ;,'\"\\é😀\t"
text = st.one_of(
    st.none(),
    st.just(""),
    st.text(alphabet=st.sampled_from(list("abcXYZ019.-_~") + list(SPECIAL)), max_size=12),
    st.text(max_size=8),
)
json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8),
)
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
extra = st.one_of(
    st.none(),
    st.dictionaries(st.text(max_size=6), st.text(max_size=8), max_size=4).map(json.dumps),
    st.dictionaries(st.text(max_size=6), json_value, max_size=4).map(json.dumps),
)
conn_type = st.one_of(
    st.none(),
    st.sampled_from(["postgres", "postgresql", "mysql", "aws", "google_cloud_platform", "http", "snowflake", "sftp", "generic"]),
    st.from_regex(r"\A[a-z][a-z0-9_\-]{0,8}\Z"),
)
connections = st.fixed_dictionaries({
    "conn_type": conn_type,
    "host": st.one_of(text, st.builds(lambda p, h: f"{p}://{h}", st.sampled_from(["http", "https", "tcp"]), st.text(alphabet="abc.-019", min_size=1, max_size=8))),
    "login": text,
    "password": text,
    "schema": text,
    "port": st.one_of(st.none(), st.integers(1, 65535)),
    "extra": extra,
})
uri_piece = st.lists(st.sampled_from(list("abAB01.-_~%2F40@:/?#&=+[] ") + ["%C3%A9", "é", "%40", "%zz", "::1"]), max_size=8).map("".join)
uris = st.builds(
    lambda scheme, user, password, host, port, path, query: f"{scheme}://{user}{password}{host}{port}{path}{query}",
    st.sampled_from(["postgres", "postgresql", "my-sql", "http", "aws", "Postgres"]),
    st.one_of(st.just(""), uri_piece.map(lambda s: s + "@")),
    st.one_of(st.just(""), uri_piece.map(lambda s: ":" + s)),
    uri_piece,
    st.one_of(st.just(""), st.integers(0, 70000).map(lambda p: f":{p}"), uri_piece.map(lambda s: ":" + s)),
    st.one_of(st.just(""), uri_piece.map(lambda s: "/" + s)),
    st.one_of(st.just(""), uri_piece.map(lambda s: "?" + s), st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2).map(lambda d: "?__extra__=" + json.dumps(d))),
)


alias_keys = st.sampled_from([
    "login", "user", "username", "user_name", "password", "pass", "key", "host", "remote_host", "server",
    "port", "database", "schema", "conn_type", "conn_id", "connection_type", "engine", "extra",
    "description", "dbname", "other",
])
alias_values = st.one_of(st.none(), st.text(max_size=8), st.integers(0, 70000), st.sampled_from(["postgresql", "my-sql", "5432", ""]),
                         st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2))
aws_secrets = st.dictionaries(alias_keys, alias_values, max_size=8).map(json.dumps)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True)
    parser.add_argument("--examples", type=int, default=1000)
    args = parser.parse_args()
    codec = Codec(args.server)

    checked = {"encode": 0, "uri": 0, "aws": 0}
    config = settings(max_examples=args.examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)

    @config
    @given(connections)
    def encode_and_parse(fields):
        airflow_conn = Connection(conn_id="airseal_check", **fields)
        expected_uri = airflow_conn.get_uri()
        expected_json = airflow_conn.as_json()
        assert codec.ask(op="to_uri", conn=fields)["text"] == expected_uri, (fields, expected_uri)
        assert codec.ask(op="to_json", conn=fields)["text"] == expected_json, (fields, expected_json)
        try:
            parsed = airflow_fields(Connection(conn_id="airseal_check", uri=expected_uri))
        except Exception:  # Airflow cannot read back its own URI (`http://http://...`): nor may airseal
            parsed = None
        got = codec.ask(op="from_uri", text=expected_uri)
        if parsed is None:
            assert "error" in got, (expected_uri, got)
        else:
            assert got.get("conn") == parsed, (expected_uri, parsed, got)
        parsed_json = airflow_fields(Connection.from_json(expected_json, conn_id="airseal_check"))
        assert codec.ask(op="from_json", text=expected_json).get("conn") == parsed_json, (expected_json, parsed_json)
        checked["encode"] += 1

    @config
    @given(uris)
    def parse_arbitrary(uri):
        try:
            expected = airflow_fields(Connection(conn_id="airseal_check", uri=uri))
        except Exception:  # Airflow refuses it: airseal must too
            expected = None
        got = codec.ask(op="from_uri", text=uri)
        if expected is None:
            assert "error" in got, (uri, got)
        else:
            assert got.get("conn") == expected, (uri, expected, got)
        checked["uri"] += 1

    @config
    @given(aws_secrets)
    def aws_aliases(secret):
        from airflow.providers.amazon.aws.secrets.secrets_manager import SecretsManagerBackend

        standardized = json.dumps(SecretsManagerBackend()._standardize_secret_keys(json.loads(secret)))
        try:
            expected = airflow_fields(Connection.from_json(standardized, conn_id="airseal_check"))
        except Exception:
            expected = None
        got = codec.ask(op="from_aws_secret", text=secret)
        # Airflow keeps a number given as `login` (and fails later, in get_uri); airseal refuses
        # such a secret up front.
        text_fields = ("conn_type", "description", "host", "login", "password", "schema", "extra")
        if expected is not None and any(expected[f] is not None and not isinstance(expected[f], str) for f in text_fields):
            expected = None
        if expected is None:
            assert "error" in got, (secret, got)
        else:
            assert got.get("conn") == expected, (secret, expected, got)
        checked["aws"] += 1

    encode_and_parse()
    parse_arbitrary()
    aws_aliases()
    print(f"airflow {airflow.__version__}: {checked['encode']} connections encoded and parsed, "
          f"{checked['uri']} arbitrary URIs parsed, {checked['aws']} AWS alias secrets read: "
          "all identical to Airflow's")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as failure:
        print(f"disagreement with Airflow: {failure}", file=sys.stderr)
        sys.exit(1)
