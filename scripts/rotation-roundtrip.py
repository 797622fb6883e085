#!/usr/bin/env python3
"""End-to-end test of `airseal rotate` against real PostgreSQL and MariaDB servers, moto's
Secrets Manager and SSM, and the Vault KV v2 test server; Airflow reads the rotated connections
through its own backends and connects.

Runs inside the Airflow 3.3.2 venv (boto3, psycopg2, the Amazon, HashiCorp and Postgres
providers); MariaDB logins go through Debian's `mariadb` client.
scripts/rotation-roundtrip.sh creates the database servers and starts moto and the Vault test
server, then calls:

    <venv>/bin/python scripts/rotation-roundtrip.py --airseal BIN --moto URL --pg-port PORT \\
        --admin-password PW --my-port PORT --my-socket SOCK --vault URL --vault-token T \\
        --schema ../shared/schemas/sarif-schema-2.1.0.json

BIN is built with the `fault-injection` feature. What it proves, for Secrets Manager, SSM,
Vault and local files:

1. Rotation: single-user (`ALTER ROLE`) and alternating users (`<user>_clone`, made through a
   master connection): the new AWSCURRENT logs in, the old password stops working (single
   user) or keeps working until the next rotation (alternating), AWSPREVIOUS holds the old
   version, no AWSPENDING is left, the rotation is recorded (tags / state file), keys only some
   readers know survive, and Airflow's PostgresHook connects with what its backend reads.
2. Crashes: the run is stopped before and after each step (stage the pending version, change
   the database, promote, record), by exit and by SIGKILL. At that instant AWSCURRENT or the
   pending version logs in; the re-run with the same token converges (store and database
   agree, one new version); a third run is a no-op. A prober logging in all through repeated
   rotations never finds both the current and the pending credentials refused.
3. Bad input: unreachable database, wrong master credentials, a master without CREATEROLE, a
   secret without host or login, throttling (and a sealed or unreachable Vault, a foreign
   pending record), other connection types, a pending version of another token, an absent id, a broken policy or state file: clear errors, nothing promoted,
   no credential lost.
4. Status (human, JSON, SARIF checked against the SARIF 2.1.0 schema) and exit codes; `run
   --due`; `rotate enable` on moto; `schedule` emits a DAG Airflow's DagBag loads and a CronJob.
5. Canary: no password, old or new, appears in any output, error or audit record.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from faulty_proxy import start_proxy  # noqa: E402

import boto3  # noqa: E402
import jsonschema  # noqa: E402
import psycopg2  # noqa: E402
import yaml  # noqa: E402

REGION = "us-east-1"
PREFIX = "airflow/connections"
STEPS = ("put-pending", "set-password", "promote", "record")
OUTPUTS: list[str] = []  # every stdout and stderr airseal printed, for the canary
PASSWORDS: set[str] = set()  # every password that was ever a credential
CHECKS = {"count": 0}


def check(condition, message):
    CHECKS["count"] += 1
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)


class Test:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="airseal-rotation-")
        self.env = os.environ | {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": args.moto,
            "AWS_MAX_ATTEMPTS": "5",
            "AIRSEAL_ACTOR": "rotation-roundtrip",
            "VAULT_ADDR": args.vault,
            "VAULT_TOKEN": args.vault_token,
        }
        self.env.pop("AIRSEAL_ROTATE_FAULT", None)
        self.sm = boto3.client("secretsmanager", region_name=REGION, endpoint_url=args.moto,
                               aws_access_key_id="testing", aws_secret_access_key="testing")
        self.audit = os.path.join(self.tmp, "audit.jsonl")
        self.counter = 0
        self.engine = None

    # -- the database (the engine under test) --------------------------------------------------

    def admin(self, *statements):
        self.engine.admin(*statements)

    def logs_in(self, conn) -> bool:
        return bool(conn) and self.engine.logs_in(conn)

    def new_role(self, stem, privileged=False):
        self.counter += 1
        role = f"{stem}{self.counter}"
        password = f"initial-{role}-Pw9x"
        PASSWORDS.add(password)
        self.engine.create_user(role, password, privileged)
        return self.engine.connection(role, password)

    # -- airseal -----------------------------------------------------------------------------

    def airseal(self, *args, expect=(0,), fault=None, env=None):
        environment = (env or self.env).copy()
        if fault:
            environment["AIRSEAL_ROTATE_FAULT"] = fault
        result = subprocess.run([self.args.airseal, *args], capture_output=True, text=True,
                                env=environment, cwd=self.tmp, timeout=120)
        OUTPUTS.extend([result.stdout, result.stderr])
        check(result.returncode in expect,
              f"airseal {' '.join(args)} (fault {fault}): exit {result.returncode}, expected {expect}\n"
              f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        return result

    def rotate(self, store, conn_id, *extra, expect=(0,), fault=None, env=None):
        result = self.airseal("rotate", "run", conn_id, *store.args, "--format", "json", "--audit-log", self.audit,
                              *extra, expect=expect, fault=fault, env=env)
        if result.returncode in (0, 1) and result.stdout.strip():
            return json.loads(result.stdout)
        return None


class Postgres:
    name = "PostgreSQL"

    def __init__(self, args):
        self.args = args

    def connection(self, role, password):
        return {"conn_type": "postgres", "host": "127.0.0.1", "port": self.args.pg_port, "login": role,
                "password": password, "schema": "postgres"}

    def _connect(self, user, password, dbname="postgres"):
        return psycopg2.connect(host="127.0.0.1", port=self.args.pg_port, user=user, password=password,
                                dbname=dbname, connect_timeout=5)

    def admin(self, *statements):
        connection = self._connect("admin", self.args.admin_password)
        connection.autocommit = True
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        connection.close()

    def logs_in(self, conn):
        try:
            self._connect(conn["login"], conn.get("password") or "", conn.get("schema") or "postgres").close()
            return True
        except psycopg2.OperationalError:
            return False

    def create_user(self, role, password, privileged):
        self.admin(f"CREATE ROLE {role} LOGIN {'CREATEROLE' if privileged else ''} PASSWORD '{password}'")

    def grant_privileges(self, role):
        self.admin(f"ALTER ROLE {role} CREATEROLE")

    def clone_holds(self, clone, base):
        connection = self._connect("admin", self.args.admin_password)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (clone, base))
            held = cursor.fetchone()[0]
        connection.close()
        return held


class MariaDB:
    """Debian's MariaDB server; logins through its `mariadb` client."""

    name = "MariaDB"

    def __init__(self, args):
        self.args = args
        self.admin("CREATE DATABASE IF NOT EXISTS shop", "CREATE TABLE IF NOT EXISTS shop.orders (id INT)")

    def connection(self, role, password):
        return {"conn_type": "mysql", "host": "127.0.0.1", "port": self.args.my_port, "login": role,
                "password": password, "schema": "shop"}

    def _client(self, *args, user="root", password="", socket=True):
        where = ["-S", self.args.my_socket] if socket else ["-h", "127.0.0.1", "-P", str(self.args.my_port)]
        env = os.environ | {"MYSQL_PWD": password}
        return subprocess.run(["mariadb", "--no-defaults", *where, "-u", user, "--batch", "--skip-column-names", *args],
                              capture_output=True, text=True, env=env, timeout=30)

    def admin(self, *statements):
        result = self._client("-e", ";".join(statements))
        if result.returncode != 0:
            raise RuntimeError(f"mariadb: {result.stderr}")
        return result.stdout

    def logs_in(self, conn):
        result = self._client("-e", "SELECT 1", *([conn["schema"]] if conn.get("schema") else []),
                              user=conn["login"], password=conn.get("password") or "", socket=False)
        return result.returncode == 0

    def create_user(self, role, password, privileged):
        statements = [f"CREATE USER '{role}'@'%' IDENTIFIED BY '{password}'",
                      f"GRANT SELECT, INSERT ON shop.* TO '{role}'@'%'"]
        if privileged:
            statements.append(f"GRANT ALL ON *.* TO '{role}'@'%' WITH GRANT OPTION")
        self.admin(*statements)

    def grant_privileges(self, role):
        self.admin(f"GRANT ALL ON *.* TO '{role}'@'%' WITH GRANT OPTION")

    def clone_holds(self, clone, base):
        grants = self.admin(f"SHOW GRANTS FOR '{clone}'@'%'")
        return "`shop`.*" in grants and "INSERT" in grants



class SecretsManager:
    """Reads the staged versions with boto3, as an operator would."""

    name = "Secrets Manager"

    def __init__(self, test: Test):
        self.test = test
        self.sm = test.sm
        self.args = ["--to", "aws-secrets-manager"]

    def create(self, conn_id, conn, extra_keys=None):
        secret = dict(conn) | (extra_keys or {})
        self.sm.create_secret(Name=f"{PREFIX}/{conn_id}", SecretString=json.dumps(secret))

    def stage(self, conn_id, stage):
        try:
            reply = self.sm.get_secret_value(SecretId=f"{PREFIX}/{conn_id}", VersionStage=stage)
        except self.sm.exceptions.ResourceNotFoundException:
            return None, None
        secret = json.loads(reply["SecretString"])
        PASSWORDS.add(secret.get("password") or "")
        return secret, reply["VersionId"]

    def current(self, conn_id):
        return self.stage(conn_id, "AWSCURRENT")

    def pending(self, conn_id):
        pending, version = self.stage(conn_id, "AWSPENDING")
        _, current = self.current(conn_id)
        return (pending, version) if version and version != current else (None, None)

    def previous(self, conn_id):
        return self.stage(conn_id, "AWSPREVIOUS")[0]

    def versions(self, conn_id):
        reply = self.sm.list_secret_version_ids(SecretId=f"{PREFIX}/{conn_id}", IncludeDeprecated=True)
        return {v["VersionId"]: v.get("VersionStages", []) for v in reply["Versions"]}

    def recorded(self, conn_id):
        tags = self.sm.describe_secret(SecretId=f"{PREFIX}/{conn_id}").get("Tags", [])
        return {t["Key"]: t["Value"] for t in tags}.get("airseal-rotation-version")

    def airflow_env(self):
        return {"AIRFLOW__SECRETS__BACKEND": "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
                "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps({"connections_prefix": PREFIX})}


class ParameterStore:
    """SSM: the parameter's history and labels, and airseal's pending record outside the prefix."""

    name = "SSM Parameter Store"
    pending_prefix = "/airseal/rotation-pending"

    def __init__(self, test: Test):
        self.test = test
        self.ssm = boto3.client("ssm", region_name=REGION, endpoint_url=test.args.moto,
                                aws_access_key_id="testing", aws_secret_access_key="testing")
        self.args = ["--to", "aws-ssm"]

    def _name(self, conn_id):
        return f"/{PREFIX}/{conn_id}"

    def create(self, conn_id, conn, extra_keys=None):
        secret = dict(conn) | (extra_keys or {})
        self.ssm.put_parameter(Name=self._name(conn_id), Value=json.dumps(secret), Type="SecureString")

    def _history(self, conn_id):
        try:
            pages = self.ssm.get_paginator("get_parameter_history").paginate(Name=self._name(conn_id), WithDecryption=True)
            return sorted((p for page in pages for p in page["Parameters"]), key=lambda p: p["Version"])
        except self.ssm.exceptions.ParameterNotFound:
            return []

    def current(self, conn_id):
        history = self._history(conn_id)
        if not history:
            return None, None
        latest = history[-1]
        secret = json.loads(latest["Value"])
        PASSWORDS.add(secret.get("password") or "")
        return secret, (latest.get("Labels") or [None])[0]

    def _pending(self, conn_id):
        try:
            value = self.ssm.get_parameter(Name=self.pending_prefix + self._name(conn_id), WithDecryption=True)
        except self.ssm.exceptions.ParameterNotFound:
            return None
        return json.loads(value["Parameter"]["Value"])

    def pending(self, conn_id):
        record = self._pending(conn_id)
        if not record:
            return None, None
        secret = json.loads(record["value"])
        PASSWORDS.add(secret.get("password") or "")
        return secret, record["token"]

    def previous(self, conn_id):
        history = self._history(conn_id)
        return json.loads(history[-2]["Value"]) if len(history) >= 2 else None

    def versions(self, conn_id):
        versions = {v["Version"]: v.get("Labels", []) for v in self._history(conn_id)}
        record = self._pending(conn_id)
        if record:
            versions["pending"] = record["token"]
        return versions

    def recorded(self, conn_id):
        tags = self.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=self._name(conn_id))["TagList"]
        return {t["Key"]: t["Value"] for t in tags}.get("airseal-rotation-version")

    def airflow_env(self):
        return {"AIRFLOW__SECRETS__BACKEND": "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
                "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps({"connections_prefix": f"/{PREFIX}"})}

class Vault:
    """Vault's KV v2 (scripts/vault-kv2-server.py): the connection's versions and custom_metadata,
    and airseal's pending record outside the connections path, read over Vault's HTTP API."""

    name = "Vault KV v2"
    mount = "secret"
    pending_prefix = "airseal/rotation-pending"

    def __init__(self, test: Test):
        self.test = test
        self.path = f"rotation-{test.engine.name.lower()}/connections"
        self.kwargs = {"mount_point": self.mount, "connections_path": self.path}
        self.args = ["--to", "vault", "--backend-kwargs", json.dumps(self.kwargs)]

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.test.args.vault}/v1/{self.mount}/{path}", data=data, method=method,
                                         headers={"X-Vault-Token": self.test.args.vault_token})
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return json.loads(reply.read() or b"{}")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def _data(self, path, version=None):
        reply = self._call("GET", f"data/{path}" + (f"?version={version}" if version else ""))
        if not reply or reply["data"]["data"] is None:
            return None, None
        return reply["data"]["data"], reply["data"]["metadata"]["version"]

    def _metadata(self, conn_id):
        reply = self._call("GET", f"metadata/{self.path}/{conn_id}")
        return (reply or {}).get("data", {}).get("custom_metadata") or {}

    def create(self, conn_id, conn, extra_keys=None):
        self._call("POST", f"data/{self.path}/{conn_id}", {"data": dict(conn) | (extra_keys or {})})

    def current(self, conn_id):
        data, version = self._data(f"{self.path}/{conn_id}")
        if data is None:
            return None, None
        PASSWORDS.add(data.get("password") or "")
        metadata = self._metadata(conn_id)
        token = metadata.get("airseal-current-token") if metadata.get("airseal-current-token-version") == str(version) else None
        return data, token

    def _pending(self, conn_id):
        return self._data(f"{self.pending_prefix}/{self.path}/{conn_id}")[0]

    def pending(self, conn_id):
        record = self._pending(conn_id)
        if not record:
            return None, None
        PASSWORDS.add(record["data"].get("password") or "")
        return record["data"], record["token"]

    def previous(self, conn_id):
        _, version = self._data(f"{self.path}/{conn_id}")
        return self._data(f"{self.path}/{conn_id}", version - 1)[0] if version and version > 1 else None

    def versions(self, conn_id):
        _, version = self._data(f"{self.path}/{conn_id}")
        record = self._pending(conn_id)
        return {"version": version, "metadata": self._metadata(conn_id), "pending": record and record["token"]}

    def recorded(self, conn_id):
        return self._metadata(conn_id).get("airseal-rotation-version")

    def fault(self, fault):
        request = urllib.request.Request(f"{self.test.args.vault}/__airseal/faults", data=json.dumps(fault).encode(),
                                         method="POST")
        urllib.request.urlopen(request, timeout=10).read()

    def faults_left(self):
        with urllib.request.urlopen(f"{self.test.args.vault}/__airseal/faults", timeout=10) as reply:
            return sum(f.get("count", 0) for f in json.loads(reply.read()).get("faults", []))

    def airflow_env(self):
        return {"AIRFLOW__SECRETS__BACKEND": "airflow.providers.hashicorp.secrets.vault.VaultBackend",
                "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps(
                    self.kwargs | {"url": self.test.args.vault, "token": self.test.args.vault_token})}


class LocalFiles:
    """Reads the connections file and airseal's state file beside it."""

    name = "local files"

    def __init__(self, test: Test):
        self.test = test
        self.dir = os.path.join(test.tmp, f"local-{test.engine.name}")
        os.makedirs(self.dir, exist_ok=True)
        self.file = os.path.join(self.dir, "connections.json")
        self.state_file = self.file + ".airseal-rotation.json"
        self.args = ["--to", f"local:{self.dir}"]

    def _load(self, path):
        try:
            with open(path) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def _entry(self, conn_id):
        return self._load(self.state_file).get("connections", {}).get(conn_id, {})

    def create(self, conn_id, conn, extra_keys=None):
        data = self._load(self.file)
        data[conn_id] = dict(conn)
        with open(self.file, "w") as f:
            json.dump(data, f)

    def current(self, conn_id):
        conn = self._load(self.file).get(conn_id)
        PASSWORDS.add((conn or {}).get("password") or "")
        entry = self._entry(conn_id)
        return conn, entry.get("current_version")

    def pending(self, conn_id):
        pending = self._entry(conn_id).get("pending")
        if not pending:
            return None, None
        PASSWORDS.add(pending["connection"].get("password") or "")
        return pending["connection"], pending["token"]

    def previous(self, conn_id):
        previous = self._entry(conn_id).get("previous")
        return previous["connection"] if previous else None

    def versions(self, conn_id):
        entry = self._entry(conn_id)
        return {v: [] for v in [entry.get("current_version"), (entry.get("pending") or {}).get("token")] if v}

    def recorded(self, conn_id):
        return (self._entry(conn_id).get("last_rotation") or {}).get("version")

    def airflow_env(self):
        return {"AIRFLOW__SECRETS__BACKEND": "airflow.secrets.local_filesystem.LocalFilesystemBackend",
                "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps({"connections_file_path": self.file})}


# -- checks ----------------------------------------------------------------------------------

def usable(test, store, conn_id):
    """A login with the current version, or with the pending one once it is staged, works."""
    # Both read back to back before any login: a refused login can take a while (MariaDB
    # delays them), and a promotion in that time would remove the pending version unseen.
    # The pending one first: promotion writes the current version before deleting it.
    pending, _ = store.pending(conn_id)
    current, _ = store.current(conn_id)
    return test.logs_in(current) or test.logs_in(pending)


def converged(test, store, conn_id, what):
    current, version = store.current(conn_id)
    check(test.logs_in(current), f"{what}: the current version logs in")
    check(store.pending(conn_id) == (None, None), f"{what}: no pending version is left")
    check(store.recorded(conn_id) == version, f"{what}: the rotation of {version} is recorded ({store.recorded(conn_id)})")
    return current, version


def airflow_connects(test, store, conn_id, expected_user):
    """Airflow reads the connection through the configured secrets backend; for PostgreSQL its
    PostgresHook connects with it, for MariaDB (no MySQL provider in the venv) the fields Airflow
    read log in."""
    if isinstance(test.engine, Postgres):
        code = ("from airflow.providers.postgres.hooks.postgres import PostgresHook\n"
                f"c = PostgresHook(postgres_conn_id={conn_id!r}).get_conn()\n"
                "cur = c.cursor(); cur.execute('select current_user'); print(cur.fetchone()[0])\n")
    else:
        code = ("import json\nfrom airflow.hooks.base import BaseHook\n"
                f"c = BaseHook.get_connection({conn_id!r})\n"
                "print(json.dumps({'conn_type': c.conn_type, 'host': c.host, 'port': c.port, 'login': c.login,"
                " 'password': c.password, 'schema': c.schema}))\n")
    env = test.env | store.airflow_env() | {"AIRFLOW_HOME": os.path.join(test.tmp, "airflow-home")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    check(result.returncode == 0, f"{store.name}: Airflow reads {conn_id}: {result.stderr[-1500:]}")
    last = result.stdout.strip().splitlines()[-1]
    if isinstance(test.engine, Postgres):
        check(last == expected_user, f"{store.name}: Airflow connects as {expected_user}: {last}")
    else:
        read = json.loads(last)
        check(read["login"] == expected_user and test.logs_in(read), f"{store.name}: what Airflow read logs in")


# -- scenarios -------------------------------------------------------------------------------

def single_user(test, store):
    conn = test.new_role("single")
    # A key only AWS's own rotation Lambdas read (Secrets Manager's backend drops it; SSM's and
    # the local files' backends refuse unknown keys, so only Secrets Manager secrets carry it).
    extra = {"dbname": "kept-by-rotation"} if isinstance(store, SecretsManager) else None
    store.create("pg_single", conn, extra_keys=extra)
    before = store.versions("pg_single")
    report = test.rotate(store, "pg_single")
    result = report["results"][0]
    check(result["outcome"] == "rotated" and result["steps"] == list(STEPS), result)
    current, version = converged(test, store, "pg_single", f"{store.name} single-user")
    check(current["password"] != conn["password"] and current["login"] == conn["login"], "a new password, same user")
    check(not test.logs_in(conn), f"{store.name}: the old password no longer logs in")
    check(store.previous("pg_single")["password"] == conn["password"], "the previous version is kept")
    if isinstance(store, SecretsManager):
        check(current.get("dbname") == "kept-by-rotation", "keys only some readers know survive the rotation")
        stages = store.versions("pg_single")
        check(len(stages) == len(before) + 1, f"one new version: {stages}")
        check(stages[version] == ["AWSCURRENT"], f"the new version is AWSCURRENT only: {stages}")
        check(["AWSPREVIOUS"] in stages.values(), f"AWSPREVIOUS kept: {stages}")
    airflow_connects(test, store, "pg_single", conn["login"])
    # The same token again: nothing to do, no new version.
    versions = store.versions("pg_single")
    again = test.rotate(store, "pg_single", "--token", version)
    check(again["results"][0]["outcome"] == "unchanged", again)
    check(store.versions("pg_single") == versions, "a re-run with the same token writes nothing")
    print(f"  {store.name}: single-user rotation; old password refused, new one logs in, Airflow connects; same token a no-op")


def alternating(test, store):
    master = test.new_role("master", privileged=True)
    store.create("pg_master", master)
    conn = test.new_role("alt")
    store.create("pg_alt", conn)
    users = [conn["login"]]
    for round_number in range(3):
        previous, _ = store.current("pg_alt")
        report = test.rotate(store, "pg_alt", "--strategy", "alternating-users", "--master", "pg_master")
        result = report["results"][0]
        check(result["outcome"] == "rotated", result)
        current, _ = converged(test, store, "pg_alt", f"{store.name} alternating round {round_number}")
        users.append(current["login"])
        check(test.logs_in(previous), f"{store.name}: the previous user keeps working until the next rotation")
        airflow_connects(test, store, "pg_alt", current["login"])
    base = conn["login"]
    check(users == [base, f"{base}_clone", base, f"{base}_clone"], f"users flip: {users}")
    check(test.engine.clone_holds(f"{base}_clone", base), "the clone holds the base user's privileges")
    print(f"  {store.name}: alternating users {' -> '.join(users)}; the previous user works until the next rotation")


def crashes(test, store, strategies=("single-user",)):
    cases = 0
    for strategy in strategies:
        for when in ("before", "after"):
            for step in STEPS:
                for how in ("exit", "kill"):
                    cases += 1
                    conn_id = f"crash_{strategy[0]}_{when}_{step}_{how}".replace("-", "_")
                    extra = []
                    if strategy == "alternating-users":
                        master = test.new_role("cmaster", privileged=True)
                        store.create(f"{conn_id}_master", master)
                        extra = ["--strategy", strategy, "--master", f"{conn_id}_master"]
                    conn = test.new_role("crash")
                    store.create(conn_id, conn)
                    token = f"airseal-rot-test-{test.counter:04d}-{when}-{step}-{how}"[:64]
                    fault = f"{when}:{step}:{how}"
                    result = test.airseal("rotate", "run", conn_id, *store.args, "--token", token, "--audit-log",
                                          test.audit, *extra, expect=(70, -9), fault=fault)
                    what = f"{store.name} {strategy} {fault}"
                    check(result.returncode == (70 if how == "exit" else -9), f"{what}: stopped ({result.returncode})")
                    check(usable(test, store, conn_id), f"{what}: at the crash the current or the pending version logs in")
                    current, _ = store.current(conn_id)
                    check(current is not None, f"{what}: the connection is still there")
                    again = test.rotate(store, conn_id, "--token", token, *extra)
                    outcome = again["results"][0]["outcome"]
                    expected = {"before:put-pending": "rotated", "after:record": "unchanged"}.get(f"{when}:{step}", "resumed")
                    check(outcome == expected, f"{what}: re-run {outcome}, expected {expected}: {again}")
                    current, version = converged(test, store, conn_id, what)
                    check(version == token, f"{what}: the token's version is current")
                    if strategy == "single-user":
                        check(not test.logs_in(conn), f"{what}: the database has the new password, the old one is gone")
                    versions = store.versions(conn_id)
                    third = test.rotate(store, conn_id, "--token", token, *extra)
                    check(third["results"][0]["outcome"] == "unchanged", f"{what}: a third run is a no-op")
                    check(store.versions(conn_id) == versions, f"{what}: the third run writes nothing")
    print(f"  {store.name}: {cases} crashes ({', '.join(strategies)}; before/after each of {len(STEPS)} steps; exit and SIGKILL): "
          "a credential always logged in; every re-run converged; third runs no-ops")


def prober(test, store, rotations=10):
    """Logs in continuously while the connection is rotated again and again."""
    conn = test.new_role("probe")
    store.create("pg_probe", conn)
    stop = threading.Event()
    counts = {"logins": 0, "refused": 0}

    def probe():
        while not stop.is_set():
            if usable(test, store, "pg_probe"):
                counts["logins"] += 1
            else:
                # Reading the two versions and logging in is not atomic: a password change
                # between the reads and the login can refuse both. A gap is one that lasts:
                # three more looks, none of them finding a stored credential that logs in.
                if not any(usable(test, store, "pg_probe") for _ in range(3)):
                    counts["refused"] += 1

    thread = threading.Thread(target=probe)
    thread.start()
    for _ in range(rotations):
        test.rotate(store, "pg_probe")
    stop.set()
    thread.join()
    check(counts["refused"] == 0, f"{store.name}: probes found no stored credential logging in: {counts}")
    check(counts["logins"] > rotations, f"the prober ran: {counts}")
    print(f"  {store.name}: {counts['logins']} logins during {rotations} rotations, none refused")


def bad_input(test, store):
    # Unreachable database: nothing is staged.
    conn = test.new_role("bad")
    closed = dict(conn, port=1)
    store.create("pg_unreachable", closed)
    versions = store.versions("pg_unreachable")
    report = test.rotate(store, "pg_unreachable", expect=(1,))
    check("cannot reach" in report["results"][0]["error"], report)
    check(store.versions("pg_unreachable") == versions and store.pending("pg_unreachable") == (None, None),
          "an unreachable database: nothing staged")
    # Wrong master credentials: nothing is staged.
    store.create("pg_bad_master", dict(test.new_role("bm"), password="wrong-master-password"))
    target = test.new_role("bt")
    store.create("pg_bad_target", target)
    report = test.rotate(store, "pg_bad_target", "--strategy", "alternating-users", "--master", "pg_bad_master", expect=(1,))
    check("refused the login" in report["results"][0]["error"], report)
    check(store.pending("pg_bad_target") == (None, None), "wrong master credentials: nothing staged")
    # A master without CREATEROLE: the pending version stays, nothing is promoted, the current
    # credentials keep working; once the privilege is granted the re-run finishes.
    weak = test.new_role("weak")
    store.create("pg_weak_master", weak)
    target = test.new_role("wt")
    store.create("pg_weak_target", target)
    _, before = store.current("pg_weak_target")
    report = test.rotate(store, "pg_weak_target", "--strategy", "alternating-users", "--master", "pg_weak_master", expect=(1,))
    error = report["results"][0]["error"]
    check("may not" in error and "nothing was promoted" in error, error)
    check(store.current("pg_weak_target")[1] == before and test.logs_in(store.current("pg_weak_target")[0]),
          "no privilege: the current version is unchanged and still logs in")
    check(store.pending("pg_weak_target")[0] is not None, "no privilege: the pending version is kept for a re-run")
    test.engine.grant_privileges(weak["login"])
    report = test.rotate(store, "pg_weak_target", "--strategy", "alternating-users", "--master", "pg_weak_master")
    check(report["results"][0]["outcome"] == "resumed", report)
    converged(test, store, "pg_weak_target", "no privilege, then granted")
    # A secret without host or login: nothing written.
    store.create("pg_no_host", {"conn_type": "postgres", "login": "x", "password": "no-host-password-1"})
    PASSWORDS.add("no-host-password-1")
    report = test.rotate(store, "pg_no_host", expect=(1,))
    check("has no host" in report["results"][0]["error"], report)
    store.create("pg_no_login", {"conn_type": "postgres", "host": "127.0.0.1", "password": "no-login-password-1"})
    PASSWORDS.add("no-login-password-1")
    report = test.rotate(store, "pg_no_login", expect=(1,))
    check("has no login" in report["results"][0]["error"], report)
    # Other connection types.
    store.create("http_api", {"conn_type": "http", "host": "api.example.com", "password": "http-token-123456"})
    PASSWORDS.add("http-token-123456")
    report = test.rotate(store, "http_api", expect=(1,))
    check("not a database airseal rotates" in report["results"][0]["error"], report)
    # An absent id.
    report = test.rotate(store, "pg_absent", expect=(1,))
    check("is not in" in report["results"][0]["error"], report)
    # A pending version of another token.
    conn = test.new_role("tok")
    store.create("pg_token", conn)
    test.airseal("rotate", "run", "pg_token", *store.args, "--token", "airseal-rot-first-token-000000000000",
                 "--audit-log", test.audit, expect=(70,), fault="after:put-pending:exit")
    report = test.rotate(store, "pg_token", "--token", "airseal-rot-other-token-000000000000", expect=(1,))
    check("pending version airseal-rot-first-token" in report["results"][0]["error"], report)
    check(test.logs_in(store.current("pg_token")[0]), "another token: the current version still logs in")
    test.rotate(store, "pg_token")
    converged(test, store, "pg_token", "resumed without a token")
    # A broken policy file is a fatal error naming the file.
    policy = os.path.join(test.tmp, "broken-policy.toml")
    with open(policy, "w") as f:
        f.write('[rotation]\ndefault-max-age = "soon"\n')
    result = test.airseal("rotate", "status", *store.args, "--policy", policy, expect=(2,))
    check("broken-policy.toml" in result.stderr and "default-max-age" in result.stderr, result.stderr)
    if isinstance(store, (SecretsManager, ParameterStore)):
        # Throttling: the SDK retries, the rotation completes.
        conn = test.new_role("thr")
        store.create("pg_throttled", conn)
        proxy, state = start_proxy(test.args.moto, faults=6, every=2, injected=(400, "ThrottlingException"))
        env = test.env | {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.server_address[1]}"}
        report = test.rotate(store, "pg_throttled", env=env)
        proxy.shutdown()
        check(state["failed"] == 6 and report["results"][0]["outcome"] == "rotated", (state, report))
        converged(test, store, "pg_throttled", "throttled")
    if isinstance(store, Vault):
        # Throttling and a sealed Vault (429, 503): airseal retries, the rotation completes.
        conn = test.new_role("thr")
        store.create("pg_throttled", conn)
        store.fault({"count": 2, "match": "/data/", "status": 429})
        store.fault({"count": 1, "match": "/metadata/", "status": 503})
        report = test.rotate(store, "pg_throttled")
        check(report["results"][0]["outcome"] == "rotated", report)
        check(store.faults_left() == 0, "every injected Vault fault was met and retried")
        converged(test, store, "pg_throttled", "throttled")
        # An unreachable Vault: an error naming it, nothing written.
        before = store.versions("pg_throttled")
        env = test.env | {"VAULT_ADDR": "http://127.0.0.1:1", "VAULT_MAX_RETRIES": "1"}
        result = test.airseal("rotate", "run", "pg_throttled", *store.args, "-f", "json", expect=(1, 2), env=env)
        check("cannot reach Vault at http://127.0.0.1:1" in result.stdout + result.stderr, result.stdout + result.stderr)
        check(store.versions("pg_throttled") == before and test.logs_in(store.current("pg_throttled")[0]),
              "an unreachable Vault: nothing changed, the current version logs in")
        # A pending record someone else wrote at airseal's path: refused, nothing promoted.
        conn = test.new_role("foreign")
        store.create("pg_foreign", conn)
        store._call("POST", f"data/{store.pending_prefix}/{store.path}/pg_foreign", {"data": {"note": "not airseal's"}})
        report = test.rotate(store, "pg_foreign", expect=(1,))
        check("is not airseal's" in report["results"][0]["error"], report)
        check(test.logs_in(store.current("pg_foreign")[0]), "a foreign pending record: the current version logs in")
    if isinstance(store, LocalFiles):
        # A broken state file: an error naming it, the connection untouched.
        conn = test.new_role("state")
        store.create("pg_state", conn)
        with open(store.state_file) as f:
            saved = f.read()
        with open(store.state_file, "w") as f:
            f.write("{ not json")
        report = test.rotate(store, "pg_state", expect=(1,))
        check(store.state_file.split("/")[-1] in report["results"][0]["error"], report)
        with open(store.file) as f:
            check(test.logs_in(json.load(f)["pg_state"]), "a broken state file: the connection is untouched")
        with open(store.state_file, "w") as f:
            f.write(saved)
    extra = {LocalFiles: ", broken state file", Vault: ", throttling, sealed, unreachable Vault, foreign pending record"}.get(type(store), ", throttling")
    print(f"  {store.name}: bad input (unreachable, wrong master, a master without the privilege then granted it, no host, no login, "
          f"http, absent, other token, broken policy{extra}): "
          "clear errors, nothing promoted, no credential lost")


def status_and_due(test, store):
    policy = os.path.join(test.tmp, f"policy-{store.name.replace(' ', '-')}.toml")
    with open(policy, "w") as f:
        f.write('[rotation]\ndue-within = "2s"\n\n[[rotation.class]]\nname = "critical"\nmax-age = "4s"\n'
                'ids = ["due_*"]\n')
    conn = test.new_role("due")
    store.create("due_pg", conn)
    store.create("due_http", {"conn_type": "http", "host": "h", "password": "due-http-password"})
    PASSWORDS.add("due-http-password")
    status = json.loads(test.airseal("rotate", "status", "due_pg", "due_http", *store.args, "--policy", policy,
                                     "-f", "json").stdout)
    states = {s["id"]: s["state"] for s in status["secrets"]}
    check(states == {"due_pg": "never-rotated", "due_http": "never-rotated"}, status)
    check(all(s["class"] == "critical" for s in status["secrets"]), status)
    time.sleep(5)
    result = test.airseal("rotate", "status", "due_pg", "due_http", *store.args, "--policy", policy, "-f", "sarif",
                          expect=(1,))
    sarif = json.loads(result.stdout)
    with open(test.args.schema) as f:
        jsonschema.validate(sarif, json.load(f))
    check({r["ruleId"] for r in sarif["runs"][0]["results"]} == {"ROT001"}, sarif["runs"][0]["results"])
    human = test.airseal("rotate", "status", "due_pg", *store.args, "--policy", policy, expect=(1,)).stdout
    check("overdue" in human and "critical" in human, human)
    test.airseal("rotate", "status", "due_pg", *store.args, "--policy", policy, "--fail-on", "none")
    report = json.loads(test.airseal("rotate", "run", "--due", *store.args, "--policy", policy, "-f", "json",
                                     "--audit-log", test.audit).stdout)
    rotated = {r["id"] for r in report["results"]}
    skipped = {s["id"] for s in report["skipped"]}
    check("due_pg" in rotated and "due_http" in skipped, report)
    status = json.loads(test.airseal("rotate", "status", "due_pg", *store.args, "--policy", policy, "-f", "json").stdout)
    check(status["secrets"][0]["state"] == "ok" and status["secrets"][0]["rotated_by"] == "airseal", status)
    everything = json.loads(test.airseal("rotate", "status", *store.args, "-f", "json", "--fail-on", "none").stdout)
    check(len(everything["secrets"]) >= 10, f"status lists the store's connections: {len(everything['secrets'])}")
    print(f"  {store.name}: status never-rotated -> overdue (exit 1, SARIF valid) -> run --due rotated it, skipped http -> ok; "
          f"{len(everything['secrets'])} connections listed")


def enable(test):
    """`rotate enable` against moto's RotateSecret, with a Lambda that exists in moto (its
    simple Lambda backend, which records invocations without running code: no Docker here)."""
    urllib.request.urlopen(urllib.request.Request(f"{test.args.moto}/moto-api/config", method="POST",
                                                  data=json.dumps({"lambda": {"use_docker": False}}).encode()), timeout=10).read()
    iam = boto3.client("iam", region_name=REGION, endpoint_url=test.args.moto,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    role = iam.create_role(RoleName="rotation-lambda", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    lam = boto3.client("lambda", region_name=REGION, endpoint_url=test.args.moto,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    import io
    import zipfile
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("lambda_function.py", "def lambda_handler(event, context):\n    return None\n")
    arn = lam.create_function(FunctionName="SecretsManagerRDSPostgreSQLRotationSingleUser", Runtime="python3.12",
                              Role=role, Handler="lambda_function.lambda_handler",
                              Code={"ZipFile": archive.getvalue()})["FunctionArn"]
    conn = test.new_role("native")
    test.sm.create_secret(Name=f"{PREFIX}/pg_native", SecretString=json.dumps(conn))
    report = json.loads(test.airseal("rotate", "enable", "pg_native", "--to", "aws-secrets-manager", "--lambda-arn", arn,
                                     "--every", "30d", "--audit-log", test.audit, "-f", "json").stdout)
    check(report["results"][0]["outcome"] == "enabled", report)
    described = test.sm.describe_secret(SecretId=f"{PREFIX}/pg_native")
    check(described.get("RotationEnabled") and described.get("RotationLambdaARN") == arn, described)
    check(described["RotationRules"]["AutomaticallyAfterDays"] == 30, described)
    status = json.loads(test.airseal("rotate", "status", "pg_native", "--to", "aws-secrets-manager", "-f", "json").stdout)
    check(status["secrets"][0]["rotation_enabled"] is True and status["secrets"][0]["next_rotation"], status)
    # airseal does not rotate what the Lambda rotates.
    report = test.rotate(SecretsManager(test), "pg_native", expect=(1,))
    check("cancel-rotate-secret" in report["results"][0]["error"], report)
    check(json.loads(test.sm.get_secret_value(SecretId=f"{PREFIX}/pg_native")["SecretString"]) == conn, "untouched")
    result = test.airseal("rotate", "enable", "pg_native", "--to", "aws-secrets-manager", "--lambda-arn", "not-an-arn",
                          "--every", "30d", expect=(2,))
    check("not a Lambda function ARN" in result.stderr, result.stderr)
    result = test.airseal("rotate", "enable", "pg_native", "--to", "aws-secrets-manager", "--lambda-arn", arn,
                          "--every", "1001d", expect=(2,))
    check("1 to 1000 whole days" in result.stderr, result.stderr)
    print("  rotate enable: RotateSecret with the Lambda and 30 days; status reports rotation on and the next date; "
          "airseal refuses to rotate it as well")


def schedule(test):
    dags = os.path.join(test.tmp, "dags")
    os.makedirs(dags)
    path = os.path.join(dags, "airseal_rotate.py")
    test.airseal("rotate", "schedule", "--emit", "airflow-dag", "--to", "aws-secrets-manager", "--backend-kwargs",
                 json.dumps({"connections_prefix": "prod's/connections"}), "--schedule", "@daily", "-o", path)
    code = ("import json, sys\n"
            "try:\n    from airflow.dag_processing.dagbag import DagBag\n"
            "except ImportError:\n    from airflow.models.dagbag import DagBag\n"
            f"bag = DagBag(dag_folder={dags!r})\n"
            "dag = bag.dags.get('airseal_rotate_due')\n"
            "print(json.dumps({'errors': {k: str(v) for k, v in bag.import_errors.items()},"
            " 'command': dag.get_task('rotate_due').bash_command if dag else None,"
            " 'max_active_runs': dag.max_active_runs if dag else None}))\n")
    env = test.env | {"AIRFLOW_HOME": os.path.join(test.tmp, "airflow-home")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    check(result.returncode == 0, result.stderr[-2000:])
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    check(not loaded["errors"] and loaded["max_active_runs"] == 1, loaded)
    expected = "airseal rotate run --due --to aws-secrets-manager --backend-kwargs '{\"connections_prefix\": \"prod'\\''s/connections\"}' --strategy single-user --format json "
    check(loaded["command"] == expected, loaded["command"])
    # The command the DAG runs parses in a shell back into the arguments given.
    words = subprocess.run(["bash", "-c", f"printf '%s\\n' {loaded['command']}"], capture_output=True, text=True).stdout
    check('{"connections_prefix": "prod\'s/connections"}' in words.splitlines(), words)
    result = test.airseal("rotate", "schedule", "--emit", "k8s-cronjob", "--to", "aws-secrets-manager", "--image",
                          "registry.example/airseal:0.1.0", "--namespace", "airflow")
    job = yaml.safe_load(result.stdout)
    check(job["kind"] == "CronJob" and job["spec"]["concurrencyPolicy"] == "Forbid", job)
    container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    check(container["args"][:3] == ["rotate", "run", "--due"] and container["securityContext"]["readOnlyRootFilesystem"], container)
    result = test.airseal("rotate", "schedule", "--emit", "k8s-cronjob", expect=(2,))
    check("--image" in result.stderr, result.stderr)
    print("  schedule: the DAG loads in Airflow 3.3.2's DagBag with the exact command; the CronJob parses, Forbid, non-root")


def canary(test):
    with open(test.audit) as f:
        audit = f.read()
    records = [json.loads(line) for line in audit.splitlines()]
    check(all(r["actor"] == "rotation-roundtrip" for r in records), "the actor is recorded")
    finished = [r for r in records if r["event"] == "rotation-finished"]
    check(finished and all(r.get("token") and r.get("outcome") for r in finished), "finished records have token and outcome")
    # Every value the store holds or held.
    for secret in test.sm.list_secrets(MaxResults=100)["SecretList"]:
        for version in test.sm.list_secret_version_ids(SecretId=secret["ARN"], IncludeDeprecated=True)["Versions"]:
            value = json.loads(test.sm.get_secret_value(SecretId=secret["ARN"], VersionId=version["VersionId"])["SecretString"])
            PASSWORDS.add(value.get("password") or "")
            for tag in secret.get("Tags", []):
                check((value.get("password") or "\0") not in tag["Value"], "a password in a tag")
    passwords = {p for p in PASSWORDS if len(p) >= 6}
    text = "\n".join(OUTPUTS) + audit
    leaked = [p for p in passwords if p in text]
    check(not leaked, f"{len(leaked)} passwords appear in airseal's output or audit log")
    print(f"  canary: none of {len(passwords)} passwords in {len(OUTPUTS)} outputs or {len(records)} audit records")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--airseal", required=True)
    parser.add_argument("--moto", required=True)
    parser.add_argument("--pg-port", type=int, required=True)
    parser.add_argument("--admin-password", required=True)
    parser.add_argument("--my-port", type=int, required=True)
    parser.add_argument("--my-socket", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--vault-token", required=True)
    args = parser.parse_args()
    args.airseal = os.path.abspath(args.airseal)
    args.schema = os.path.abspath(args.schema)
    test = Test(args)
    PASSWORDS.add(args.admin_password)
    for engine in (Postgres(args), MariaDB(args)):
        urllib.request.urlopen(urllib.request.Request(f"{args.moto}/moto-api/reset", method="POST"), timeout=10).read()
        test.engine = engine
        print(f" {engine.name}")
        for store in (SecretsManager(test), ParameterStore(test), Vault(test), LocalFiles(test)):
            single_user(test, store)
            alternating(test, store)
            crashes(test, store, strategies=("single-user", "alternating-users"))
            prober(test, store)
            bad_input(test, store)
            status_and_due(test, store)
        if isinstance(engine, Postgres):
            enable(test)
        canary(test)
    schedule(test)
    print(f"rotation-roundtrip: {CHECKS['count']} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
