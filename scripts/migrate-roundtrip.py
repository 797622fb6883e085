#!/usr/bin/env python3
"""End-to-end test of `airseal migrate`: what airseal moves, Airflow's own backends read back.

Runs inside an Airflow venv (scripts/connection-roundtrip.sh makes them; they carry the Amazon and
HashiCorp providers and boto3). scripts/migrate-roundtrip.sh starts the servers and calls it:

    <venv>/bin/python scripts/migrate-roundtrip.py --airseal target/debug/airseal \\
        --moto http://127.0.0.1:PORT --vault http://127.0.0.1:PORT --vault-token T [--kill-test 1000]

1. A project is generated (seeded random, `@:/?#%+&=`, unicode and nested JSON extras in every
   field): an `airflow connections export` JSON file, a `variables` export, a `.env` with
   `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*`, and an airflow.cfg with a sensitive option. What Airflow
   itself reads from those sources (LocalFilesystemBackend on the export, `Connection(uri=...)`
   on the env value) is the expected value.
2. For each store (moto's Secrets Manager and SSM, the Vault KV v2 test server, local files):
   `migrate apply`, then Airflow's `SecretsManagerBackend`, `SystemsManagerParameterStoreBackend`,
   `VaultBackend`, `LocalFilesystemBackend` must return every connection, Variable and config
   option identical to the source; a re-run changes nothing; `verify` passes; with
   `--write-changes` the env and cfg lines are rewritten.
3. Bad input: a malformed export, duplicate ids with different values, an id Airflow refuses, a
   value over SSM's size limit, 503s from the store (retried), no credentials: each a clear error
   naming the id or file, exit 1 (2 when nothing can run), the other secrets still migrated.
   Secrets created by another writer between the plan and the create are compared, not
   overwritten (a proxy hides them from the batch reads).
4. Canary: no source value appears in any output of plan, apply or verify, human or JSON.
5. `--kill-test N`: N connections into moto; the first apply is killed part-way; the re-run
   finishes; exactly N secrets, one version each, every value right; a third run changes nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from faulty_proxy import start_proxy  # noqa: E402

import airflow  # noqa: E402
import boto3  # noqa: E402
from airflow.models.connection import Connection  # noqa: E402
from airflow.providers.amazon.aws.secrets.secrets_manager import SecretsManagerBackend  # noqa: E402
from airflow.providers.amazon.aws.secrets.systems_manager import SystemsManagerParameterStoreBackend  # noqa: E402
from airflow.providers.hashicorp.secrets.vault import VaultBackend  # noqa: E402
from airflow.secrets.local_filesystem import LocalFilesystemBackend  # noqa: E402

warnings.filterwarnings("ignore")

SPECIAL = "@:/?#%+&=[] ;,'\"\\é😀"
ALPHABET = list("abcXYZ019.-_~") + list(SPECIAL)
checks = {"passed": 0}


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    checks["passed"] += 1


def random_text(rng, low=1, high=12):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(low, high)))


def random_connection(rng):
    extra = None
    if rng.random() < 0.7:
        extra = json.dumps({random_text(rng, 1, 5): rng.choice([random_text(rng), rng.randint(-9, 9999), True, [1, {"n": "é"}], {"deep": {"x": random_text(rng)}}])
                            for _ in range(rng.randint(1, 3))})
    return {
        "conn_type": rng.choice(["postgres", "mysql", "aws", "http", "google_cloud_platform", "snowflake"]),
        "host": rng.choice([None, random_text(rng)]),
        "login": rng.choice([None, random_text(rng)]),
        "password": random_text(rng, 8, 24),
        "schema": rng.choice([None, random_text(rng)]),
        "port": rng.choice([None, rng.randint(1, 65535)]),
        "extra": extra,
    }


def fields(c) -> dict:
    return {k: getattr(c, k) for k in ("conn_type", "host", "login", "password", "schema", "port")} | {"extra": c.extra_dejson}


class Project:
    """A generated project and what Airflow reads from it."""

    def __init__(self, root, rng, count):
        self.root = root
        os.makedirs(root, exist_ok=True)
        connections = {f"conn_{i:04d}": random_connection(rng) for i in range(count)}
        with open(os.path.join(root, "connections.json"), "w") as f:
            json.dump(connections, f, indent=2)
        variables = {f"api_token_{i}": random_text(rng, 8, 30).strip() or "x" for i in range(5)}
        with open(os.path.join(root, "variables.json"), "w") as f:
            json.dump(variables, f, indent=2)
        env_connection = Connection(conn_id="env_db", conn_type="postgres", host="db.internal", login="etl",
                                    password=random_text(rng, 10, 20), schema="dw", port=5432, extra='{"sslmode": "require"}')
        env_uri = env_connection.get_uri()
        env_token = "tok-" + "".join(rng.choice("abcdef0123456789") for _ in range(24))
        with open(os.path.join(root, ".env"), "w") as f:
            f.write(f"# generated\nAIRFLOW_UID=50000\nAIRFLOW_CONN_ENV_DB='{env_uri}'\nAIRFLOW_VAR_SLACK_TOKEN={env_token}\n")
        smtp_password = "smtp-" + "".join(rng.choice("abcdef0123456789") for _ in range(20))
        with open(os.path.join(root, "airflow.cfg"), "w") as f:
            f.write(f"[core]\nload_examples = False\n\n[smtp]\nsmtp_host = mail.internal\nsmtp_password = {smtp_password}\n")
        source = LocalFilesystemBackend(connections_file_path=os.path.join(root, "connections.json"),
                                        variables_file_path=os.path.join(root, "variables.json"))
        self.connections = {cid: fields(source.get_connection(cid)) for cid in connections}
        self.connections["env_db"] = fields(Connection(conn_id="env_db", uri=env_uri))
        self.variables = dict(variables) | {"slack_token": env_token}
        self.config = {"smtp_password": smtp_password}
        self.values = [c["password"] for c in connections.values()] + list(self.variables.values()) + [smtp_password, env_connection.password]


def run(airseal, *args, env=None, expect=(0,)):
    result = subprocess.run([airseal, "migrate", *args], capture_output=True, text=True, env=env, timeout=600)
    check(result.returncode in expect, f"airseal migrate {' '.join(args)}: exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def summary(result):
    return json.loads(result.stdout)["summary"]


def no_values(project, *results):
    for result in results:
        for value in project.values:
            if len(value) >= 6:
                check(value not in result.stdout and value not in result.stderr, "a source value appears in airseal's output")


def reset_moto(moto):
    urllib.request.urlopen(urllib.request.Request(f"{moto}/moto-api/reset", method="POST"), timeout=10).read()


def read_back(store, project, backend, dirname):
    """Every source secret through Airflow's own backend."""
    for cid, expected in project.connections.items():
        got = backend.get_connection(cid)
        check(got is not None, f"{store}: Airflow finds no connection {cid}")
        check(fields(got) == expected, f"{store}: connection {cid} differs: {fields(got)} != {expected}")
    for key, expected in project.variables.items():
        check(backend.get_variable(key) == expected, f"{store}: Variable {key} differs")
    if hasattr(backend, "get_config") and not isinstance(backend, LocalFilesystemBackend):
        for key, expected in project.config.items():
            check(backend.get_config(key) == expected, f"{store}: config {key} differs")


def store_round_trip(args, project, store, env, backend_factory):
    common = ["--from", project.root, "--to", store, "--concurrency", "4"]
    # LocalFilesystemBackend serves no config options: the cfg option is skipped, and a skip
    # is exit 1 (a secret left where it was).
    expect = (1,) if store.startswith("local") else (0,)
    plan = run(args.airseal, "plan", *common, "--format", "json", env=env, expect=expect)
    check(summary(plan).get("create", 0) == len(project.connections) + len(project.variables) + (0 if store.startswith("local") else 1),
          f"{store}: plan {summary(plan)}")
    apply = run(args.airseal, "apply", *common, env=env, expect=expect)
    backend = backend_factory()
    read_back(store, project, backend, project.root)
    again = run(args.airseal, "apply", *common, "--format", "json", env=env, expect=expect)
    counts = summary(again)
    check(set(counts) == {"unchanged"} or (set(counts) == {"unchanged", "skip"} and store.startswith("local")), f"{store}: re-run changed something: {counts}")
    verify = run(args.airseal, "verify", *common, env=env)
    check(" 0 missing, 0 different, 0 errors" in verify.stdout, f"{store}: verify: {verify.stdout[-500:]}")
    human_plan = run(args.airseal, "plan", *common, env=env, expect=expect)
    no_values(project, plan, apply, again, verify, human_plan)
    print(f"  {store}: {len(project.connections)} connections, {len(project.variables)} Variables"
          f"{'' if store.startswith('local') else ', 1 config option'} read back identically by Airflow; re-run unchanged; verify ok")


def bad_input(args, env, tmp):
    root = os.path.join(tmp, "bad")
    os.makedirs(root)
    with open(os.path.join(root, "connections.json"), "w") as f:
        json.dump({"fine": {"conn_type": "postgres", "host": "h", "login": "u", "password": "fine-password-123"},
                   "bad id!": {"conn_type": "http", "password": "refused-id-secret"},
                   "big": {"conn_type": "http", "password": "x" * 9000}}, f)
    with open(os.path.join(root, "broken-connections.yaml"), "w") as f:
        f.write("a: [unclosed\n")
    with open(os.path.join(root, ".env"), "w") as f:
        f.write("AIRFLOW_CONN_DUP=postgres://u:first-secret-aaa@h/db\n")
    os.makedirs(os.path.join(root, "more"))
    with open(os.path.join(root, "more", ".env"), "w") as f:
        f.write("AIRFLOW_CONN_DUP=postgres://u:second-secret-bbb@h/db\n")
    result = run(args.airseal, "apply", "--from", root, "--to", "aws-ssm", "--format", "json", env=env, expect=(1,))
    report = json.loads(result.stdout)
    items = {i["id"]: i for i in report["items"]}
    check(items["fine"]["action"] == "create", f"the good secret is still migrated: {items['fine']}")
    check(items["bad id!"]["action"] == "invalid" and "sanitize_conn_id" in items["bad id!"]["reason"], items["bad id!"])
    check(items["big"]["action"] == "skip" and "8192" in items["big"]["reason"], items["big"])
    check(items["dup"]["action"] == "invalid" and "different values" in items["dup"]["reason"], items["dup"])
    check(any("broken-connections.yaml" in p["path"] for p in report["problems"]), report["problems"])
    for value in ("refused-id-secret", "first-secret-aaa", "second-secret-bbb", "fine-password-123", "x" * 100):
        check(value not in result.stdout and value not in result.stderr, "a value in the bad-input output")
    no_credentials = {k: v for k, v in env.items() if not k.startswith("AWS_ACCESS") and not k.startswith("AWS_SECRET")}
    no_credentials |= {"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}
    result = run(args.airseal, "apply", "--from", root, "--to", "aws-secrets-manager", env=no_credentials, expect=(2,))
    check("no usable AWS credentials" in result.stderr, result.stderr)
    print("  bad input: malformed export named, duplicate ids and a refused id invalid, an 9 KB value skipped for SSM, "
          "no credentials a single exit-2 error; the good secret migrated; no value in any output")


def throttled(args, project, env):
    reset_moto(args.moto)
    proxy, state = start_proxy(args.moto, faults=25)
    proxied = env | {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.server_address[1]}"}
    run(args.airseal, "apply", "--from", project.root, "--to", "aws-secrets-manager", "--concurrency", "4", env=proxied)
    proxy.shutdown()
    check(state["failed"] == 25, state)
    read_back("aws-secrets-manager (503s)", project, SecretsManagerBackend(), project.root)
    print(f"  503s: {state['failed']} injected into {state['seen']} requests, retried; every secret read back identically")


def raced(args, project, env):
    """The plan saw nothing, but another writer (boto3 here) created the secrets before apply
    creates them: the refused create is followed by a comparison, so an equal value is left
    alone and a different one is a conflict, never overwritten, never a second version. A proxy
    makes the plan's batch reads answer "nothing stored"."""
    for store, service in (("aws-secrets-manager", "secretsmanager"), ("aws-ssm", "ssm")):
        reset_moto(args.moto)
        common = ["--from", project.root, "--to", store, "--concurrency", "4", "--format", "json"]
        run(args.airseal, "apply", *common, env=env)
        client = boto3.client(service, endpoint_url=args.moto, region_name="us-east-1")
        # What airseal stored, to be written again by the other writer.
        if service == "secretsmanager":
            names = [x["Name"] for page in client.get_paginator("list_secrets").paginate() for x in page["SecretList"]]
            texts = {n: client.get_secret_value(SecretId=n)["SecretString"] for n in names}
        else:
            texts = {x["Name"]: x["Value"] for page in client.get_paginator("get_parameters_by_path").paginate(
                Path="/airflow", Recursive=True, WithDecryption=True) for x in page["Parameters"]}
        raced_name = sorted(n for n in texts if "/connections/" in n)[0]
        cid = raced_name.rsplit("/", 1)[1]
        other = json.dumps({"conn_type": "postgres", "host": "elsewhere", "password": "raced-writer-value"})
        reset_moto(args.moto)
        for name, text in texts.items():
            value = other if name == raced_name else text
            if service == "secretsmanager":
                client.create_secret(Name=name, SecretString=value)
            else:
                client.put_parameter(Name=name, Value=value, Type="SecureString")
        if service == "secretsmanager":
            versions = lambda: len(client.list_secret_version_ids(SecretId=raced_name)["Versions"])
            stored = lambda: client.get_secret_value(SecretId=raced_name)["SecretString"]
        else:
            versions = lambda: client.get_parameter(Name=raced_name)["Parameter"]["Version"]
            stored = lambda: client.get_parameter(Name=raced_name, WithDecryption=True)["Parameter"]["Value"]
        before = versions()
        proxy, state = start_proxy(args.moto, faults=0, blind=True)
        proxied = env | {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.server_address[1]}"}
        plan = run(args.airseal, "plan", *common, env=proxied)
        total = len(texts)
        check(summary(plan) == {"create": total}, f"{store}: the blind plan should see nothing: {summary(plan)}")
        result = run(args.airseal, "apply", *common, env=proxied, expect=(1,))
        proxy.shutdown()
        items = {i["id"]: i for i in json.loads(result.stdout)["items"]}
        check(items[cid]["action"] == "conflict", f"{store}: raced {cid}: {items[cid]}")
        others = {i["action"] for k, i in items.items() if k != cid}
        check(others == {"unchanged"}, f"{store}: raced, equal values: {others}")
        check(stored() == other and versions() == before, f"{store}: the raced value was overwritten")
        check(state["hidden"] > 0, state)
        no_values(project, plan, result)
        check("raced-writer-value" not in result.stdout + result.stderr, "the raced value in the output")
    print(f"  raced creates: secrets another writer created between plan and apply are compared, not overwritten "
          f"(Secrets Manager and SSM: {total - 1} unchanged, 1 conflict, no new version)")


def kill_test(args, env, tmp, count):
    reset_moto(args.moto)
    rng = random.Random(1000)
    root = os.path.join(tmp, "thousand")
    os.makedirs(root)
    connections = {f"bulk_{i:05d}": random_connection(rng) for i in range(count)}
    path = os.path.join(root, "connections.json")
    with open(path, "w") as f:
        json.dump(connections, f)
    client = boto3.client("secretsmanager", endpoint_url=args.moto, region_name="us-east-1")

    def names():
        found = []
        for page in client.get_paginator("list_secrets").paginate(MaxResults=100):
            found += [s["Name"] for s in page["SecretList"]]
        return found

    command = [args.airseal, "migrate", "apply", "--from", f"connections:{path}", "--to", "aws-secrets-manager", "--concurrency", "8", "--no-progress"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if len(names()) >= count // 2:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.2)
    process.wait(timeout=30)
    written_before = len(names())
    check(0 < written_before < count, f"the kill did not land part-way ({written_before} of {count} written)")
    started = time.monotonic()
    result = run(args.airseal, "apply", "--from", f"connections:{path}", "--to", "aws-secrets-manager", "--concurrency", "8", "--format", "json", env=env)
    seconds = time.monotonic() - started
    counts = summary(result)
    check(counts.get("create", 0) + counts.get("unchanged", 0) == count and counts.get("create", 0) == count - written_before, f"re-run after the kill: {counts}, {written_before} before")
    all_names = names()
    check(len(all_names) == count == len(set(all_names)), f"{len(all_names)} secrets, {len(set(all_names))} distinct")
    backend = SecretsManagerBackend()
    source = LocalFilesystemBackend(connections_file_path=path)
    for cid in connections:
        versions = client.list_secret_version_ids(SecretId=f"airflow/connections/{cid}")["Versions"]
        check(len(versions) == 1, f"{cid}: {len(versions)} versions")
        check(fields(backend.get_connection(cid)) == fields(source.get_connection(cid)), f"{cid} differs")
    third = run(args.airseal, "apply", "--from", f"connections:{path}", "--to", "aws-secrets-manager", "--format", "json", env=env)
    check(summary(third) == {"unchanged": count}, summary(third))
    print(f"  kill test: {count} connections; killed after {written_before} were written; the re-run wrote the other "
          f"{count - written_before} in {seconds:.1f} s; {count} secrets, one version each, all read back by Airflow; third run unchanged")


def value_at(values, path):
    """The values node at a path as airseal prints it (`airflow.connections[0].password`,
    `extraSecrets["{{ .Release.Name }}-x"].stringData.KEY`), descending into embedded YAML."""
    import re
    import yaml

    node = values
    for quoted, index, key in re.findall(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|\.?([^.\[\]]+)', path):
        if isinstance(node, str):
            node = yaml.safe_load(node)
        if index:
            node = node[int(index)]
        else:
            node = node[json.loads(f'"{quoted}"') if quoted else key]
    return node


def helm_externalize(args, env, tmp):
    """`airseal helm externalize` writes the values' secrets through the migrate stores: Airflow's
    own backends read them back, every ExternalSecret remoteRef (key and property) resolves in
    the store to exactly the value the values file held, and a re-run changes nothing."""
    import yaml

    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "airseal_helm", "tests", "fixtures")
    vault = VaultBackend(url=args.vault, token=args.vault_token)

    def remote_value(store, name, prop):
        if store == "aws-secrets-manager":
            text = boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
        elif store == "aws-ssm":
            text = boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        else:
            mount, path = name.split("/", 1)
            request = urllib.request.Request(f"{args.vault}/v1/{mount}/data/{path}", headers={"X-Vault-Token": args.vault_token})
            data = json.load(urllib.request.urlopen(request, timeout=10))["data"]["data"]
            # No property: ESO hands over the whole KV data as JSON (Airflow's key names).
            return json.dumps(data) if prop is None else data[prop]
        if prop is None:
            return text
        value = json.loads(text)[prop]
        return value if isinstance(value, str) else json.dumps(value)

    for fixture, chart in (("user-community.yaml", "user-community"), ("official.yaml", "official")):
        path = os.path.join(fixtures, fixture)
        values = yaml.safe_load(open(path))
        for store in ("aws-secrets-manager", "aws-ssm", "vault"):
            if store != "vault":
                reset_moto(args.moto)
            out = os.path.join(tmp, f"helm-{chart}-{store}")
            command = [args.airseal, "helm", "externalize", path, "--chart", chart, "--provider", store,
                       "--format", "json", "--out", out]
            if store == "vault":
                # Vault is not reset between tests: a path of its own for each fixture.
                paths = {f"{k}_path": f"helm-{chart}/{k}" for k in ("connections", "variables", "config")}
                command += ["--backend-kwargs", json.dumps(paths)]
            first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
            check(first.returncode == 0, f"helm externalize {fixture} {store}: exit {first.returncode}\n{first.stdout[-2000:]}{first.stderr[-2000:]}")
            report = json.loads(first.stdout)
            items = report["store"]["items"]
            check(report["store"]["applied"] and all(i["action"] == "create" for i in items) and items,
                  f"{fixture} {store}: {[(i['id'], i['action']) for i in items]}")
            check(report["left_after_merge"] == [], f"{fixture} {store}: {report['left_after_merge']}")
            resolved = 0
            for slot in report["slots"]:
                if slot["reference"] or slot["secret"] is None:
                    continue
                original = value_at(values, slot["path"])
                name, prop = slot["remote"]["name"], slot["remote"]["property"]
                got = remote_value(store, name, prop)
                if isinstance(original, str) and "://" in original and got.startswith("{"):
                    # An AIRFLOW_CONN_* URI is stored as the connection's JSON, which Airflow
                    # reads from the same environment variable.
                    check(fields(Connection.from_json(got, conn_id="x")) == fields(Connection(conn_id="x", uri=original)),
                          f"{store}: {slot['path']} is not the same connection")
                elif slot["path"].endswith(".extra"):
                    check(json.loads(got) == json.loads(original), f"{store}: {slot['path']} extra differs")
                elif slot["path"].endswith(".pass") or slot["path"] == "flower.password":
                    check(isinstance(original, str) and original.replace("@", "%40").replace("/", "%2F") in got or original in got,
                          f"{store}: {slot['path']} is not in the stored value")
                else:
                    check(got == str(original), f"{store}: {slot['path']} resolves to a different value")
                resolved += 1
                for secret in (str(original),):
                    if len(secret) >= 8:
                        check(secret not in first.stdout and secret not in first.stderr, f"{store}: a value in the output")
            # Airflow's own backend reads what the store now holds.
            backend = {"aws-secrets-manager": SecretsManagerBackend, "aws-ssm": SystemsManagerParameterStoreBackend}.get(store)
            backend = backend() if backend else VaultBackend(url=args.vault, token=args.vault_token, **paths)
            if chart == "user-community":
                conn = backend.get_connection("warehouse")
                check(conn is not None and conn.password == value_at(values, "airflow.connections[0].password")
                      and conn.host == "warehouse.internal" and conn.port == 5432, f"{store}: Airflow reads warehouse wrongly")
                check(backend.get_variable("slack_token") == value_at(values, "airflow.variables[1].value"), f"{store}: slack_token")
                check(backend.get_config("fernet_key") == values["airflow"]["fernetKey"], f"{store}: fernet_key")
            else:
                check(backend.get_config("sql_alchemy_conn") == "postgresql://airflow:fake-meta%40db%2Fpass@db.internal:5432/airflow?sslmode=require",
                      f"{store}: sql_alchemy_conn is not the URI the chart builds")
                check(backend.get_connection("reporting").password == "fake-report-pass", f"{store}: reporting")
                check(backend.get_config("smtp_password") == "fake-smtp-password-4411", f"{store}: smtp_password")
            again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
            check(again.returncode == 0 and all(i["action"] == "unchanged" for i in json.loads(again.stdout)["store"]["items"]),
                  f"{fixture} {store}: the re-run changed something: {[(i['id'], i['action'], i.get('reason')) for i in json.loads(again.stdout)['store']['items']]}")
            print(f"  helm externalize {chart} -> {store}: {len(items)} secrets written, {resolved} ExternalSecret refs resolve to the values' own, Airflow reads them, re-run unchanged")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--airseal", required=True)
    parser.add_argument("--moto", required=True)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--vault-token", required=True)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--kill-test", type=int, default=0)
    args = parser.parse_args()
    args.airseal = os.path.abspath(args.airseal)
    tmp = tempfile.mkdtemp(prefix="airseal-migrate-")
    env = dict(os.environ) | {"AWS_ENDPOINT_URL": args.moto, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                              "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                              "VAULT_ADDR": args.vault, "VAULT_TOKEN": args.vault_token}
    os.environ.update(env)
    print(f"airflow {airflow.__version__}:")
    project = Project(os.path.join(tmp, "project"), random.Random(5), args.count)
    reset_moto(args.moto)
    store_round_trip(args, project, "aws-secrets-manager", env, SecretsManagerBackend)
    reset_moto(args.moto)
    store_round_trip(args, project, "aws-ssm", env, SystemsManagerParameterStoreBackend)
    store_round_trip(args, project, "vault", env, lambda: VaultBackend(url=args.vault, token=args.vault_token))
    local = os.path.join(tmp, "local-store")
    store_round_trip(args, project, f"local:{local}", env, lambda: LocalFilesystemBackend(
        connections_file_path=os.path.join(local, "connections.json"), variables_file_path=os.path.join(local, "variables.json")))
    throttled(args, project, env)
    raced(args, project, env)
    # --write-changes: the env and cfg lines are rewritten in place.
    edited = os.path.join(tmp, "edited")
    shutil.copytree(project.root, edited)
    reset_moto(args.moto)
    result = run(args.airseal, "apply", "--from", edited, "--to", "aws-secrets-manager", "--write-changes", env=env)
    cfg = open(os.path.join(edited, "airflow.cfg")).read()
    dotenv = open(os.path.join(edited, ".env")).read()
    check("smtp_password_secret = smtp_password" in cfg and project.config["smtp_password"] not in cfg, cfg)
    check("AIRFLOW_CONN_ENV_DB" not in dotenv and "AIRFLOW_VAR_SLACK_TOKEN" not in dotenv and "AIRFLOW_UID=50000" in dotenv, dotenv)
    no_values(project, result)
    print("  --write-changes: airflow.cfg now reads smtp_password_secret, the .env lines are gone, other lines kept")
    bad_input(args, env, tmp)
    helm_externalize(args, env, tmp)
    if args.kill_test:
        kill_test(args, env, tmp, args.kill_test)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"  {checks['passed']} checks passed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as failure:
        print(f"FAILED: {str(failure)[:4000]}", file=sys.stderr)
        sys.exit(1)
