#!/usr/bin/env python3
"""End-to-end test of `airseal watch airflow-log` against the audit log real Airflow writes.

Run by scripts/airflow-log-roundtrip.sh once per Airflow release (2.10.5 and 3.3.2, from the
pinned venvs), with that release's `airflow` on PATH:

    python3 scripts/airflow-log-roundtrip.py --airseal BIN --airflow AIRFLOW --release 3.3.2

1. `airflow db migrate` creates a SQLite metadata database in a temporary AIRFLOW_HOME (or, with
   `--database URL`, uses a PostgreSQL or MySQL/MariaDB database); the CLI
   then adds and deletes connections and sets variables, some with the secret in an argument
   Airflow's masking misses in that release, some with it masked.
2. airseal reads the `log` table (sqlite:///, postgresql://, mysql://), a JSON export, a JSON Lines export, a CSV export
   and a documented `/api/v2/eventLogs` API (a local server paging the same rows, 25 a page,
   bearer token required) and must raise, for each:
   AUD103 exactly for the rows that hold a secret in clear (checked against the row itself),
   AUD101 for every change (no allowed user matches), none with the owner allowed, AUD102
   with a working window that excludes now.
3. No secret value appears in any output (canary); bad sources fail with exit 2 naming them.
"""

from __future__ import annotations

import argparse
import base64
import csv
import http.server
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

CHECKS = {"count": 0}


def check(condition, message):
    CHECKS["count"] += 1
    if not condition:
        print(f"FAIL: {message}", file=sys.stderr)
        sys.exit(1)


# (argv after `airflow`, the secret, whether this release leaks it into `log.extra`).
def commands(release: str):
    major_minor = tuple(int(p) for p in release.split(".")[:2])
    uri_masked = major_minor >= (2, 11)
    return [
        (["connections", "add", "uri_conn", "--conn-uri", "postgres://etl:Uri-Pw-7f3a9c@db:5432/dw"], "Uri-Pw-7f3a9c", not uri_masked),
        (["connections", "add", "extra_conn", "--conn-type", "http", "--conn-host", "api", "--conn-extra", '{"token": "Extra-Tok-51b2e8"}'], "Extra-Tok-51b2e8", True),
        (["connections", "add", "pw_conn", "--conn-type", "postgres", "--conn-host", "db", "--conn-password", "Masked-Pw-93c1d0"], "Masked-Pw-93c1d0", False),
        (["variables", "set", "db_password", "Masked-Var-2a8f6e"], "Masked-Var-2a8f6e", False),
        (["variables", "set", "api_token", "Order-Var-c40d71", "--description", "set before the description"], "Order-Var-c40d71", True),
        (["connections", "delete", "pw_conn"], None, False),
    ]


def run(cmd, env, expect=(0,)):
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    check(result.returncode in expect, f"{' '.join(cmd[:4])}...: exit {result.returncode}\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}")
    return result


class Api(http.server.BaseHTTPRequestHandler):
    rows: list = []
    token = ""

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path != "/api/v2/eventLogs":
            self.send_error(404)
            return
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            self.send_response(401)
            self.end_headers()
            return
        query = urllib.parse.parse_qs(url.query)
        if query.get("order_by", ["event_log_id"]) != ["event_log_id"]:
            # Airflow 2 refuses `order_by=id` (400); both versions take event_log_id.
            self.send_error(400)
            return
        limit = min(int(query.get("limit", ["50"])[0]), 25)  # the server caps, as maximum_page_limit does
        offset = int(query.get("offset", ["0"])[0])
        page = self.rows[offset:offset + limit]
        body = json.dumps({"event_logs": page, "total_entries": len(self.rows)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(method, url, auth, body=None):
    """`auth`: a bearer token, or (user, password) for basic authentication."""
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    if body is not None:  # Airflow 2's Flask refuses a JSON content type without a body
        request.add_header("Content-Type", "application/json")
    if isinstance(auth, tuple):
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    elif auth:
        request.add_header("Authorization", f"Bearer {auth}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")[:500]


# REST changes through Airflow's own API server: (method, path, body, canaries in the body).
# Values of variables whose names the masker does not hide are not secrets (not canaries).
API_CHANGES = {
    3: [
        ("POST", "/connections", {"connection_id": "rest_pg", "conn_type": "postgres", "host": "db", "login": "u",
                                  "password": "Rest-Pw-11aa4f", "extra": json.dumps({"api_token": "Rest-Tok-22bb5e", "sslmode": "require"})},
         ["Rest-Pw-11aa4f", "Rest-Tok-22bb5e"]),
        ("PATCH", "/connections", {"actions": [{"action": "create", "entities": [
            {"connection_id": "bulk_pg", "conn_type": "postgres", "password": "Bulk-Pw-44dd6c",
             "extra": json.dumps({"client_secret": "Bulk-Sec-55ee7d"})}]}]}, ["Bulk-Pw-44dd6c", "Bulk-Sec-55ee7d"]),
        ("POST", "/variables", {"key": "rest_password", "value": "Rest-Var-88hh9a"}, ["Rest-Var-88hh9a"]),
        ("PATCH", "/variables", {"actions": [{"action": "create", "entities": [{"key": "bulk_var", "value": "Bulk-Var-99ii0b"}]}]},
         ["Bulk-Var-99ii0b"]),
        ("PATCH", "/variables/rest_password", {"key": "rest_password", "value": "Rest-Var-77gg1c"}, ["Rest-Var-77gg1c"]),
        ("DELETE", "/connections/rest_pg", None, []),
    ],
    2: [
        ("POST", "/connections", {"connection_id": "rest_pg", "conn_type": "postgres", "host": "db", "login": "u",
                                  "password": "Rest-Pw-11aa4f", "extra": json.dumps({"api_token": "Rest-Tok-22bb5e"})},
         ["Rest-Pw-11aa4f", "Rest-Tok-22bb5e"]),
        ("PATCH", "/connections/rest_pg", {"connection_id": "rest_pg", "conn_type": "postgres", "password": "Rest-Pw-33cc2d"},
         ["Rest-Pw-33cc2d"]),
        ("POST", "/variables", {"key": "rest_password", "value": "Rest-Var-88hh9a"}, ["Rest-Var-88hh9a"]),
        ("POST", "/variables", {"key": "plain_var", "value": "plain value"}, []),
        ("PATCH", "/variables/plain_var", {"key": "plain_var", "value": "plain value 2"}, []),
        ("DELETE", "/connections/rest_pg", None, []),
    ],
}
# More rows than pages of airseal's 100 and of the server's cap (AIRFLOW__API__MAXIMUM_PAGE_LIMIT).
PAGING_VARIABLES = 120


def api_server_checks(args, env, home, outputs, cli_secrets):
    """Airflow's own API server — Airflow 3's `api-server` (a bearer token from /auth/token) or
    Airflow 2's `webserver` (basic authentication of a FAB user): its REST changes logged, then
    read back by airseal through its eventLogs (pages capped at 25) and from the database; the
    two must give the same findings, AUD103 exactly where a row holds a canary."""
    major = int(args.release.split(".")[0])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_env = env | {"AIRFLOW__API__MAXIMUM_PAGE_LIMIT": "25"}
    canaries = []
    if major >= 3:
        server_env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = "admin:admin"
        command = [args.airflow, "api-server", "--port", str(port), "--host", "127.0.0.1"]
        api, health = f"{base}/api/v2", f"{base}/api/v2/monitor/health"
    else:
        server_env["AIRFLOW__API__AUTH_BACKENDS"] = "airflow.api.auth.backend.basic_auth"
        password = "Auditor-Pw-" + os.urandom(6).hex()
        run([args.airflow, "users", "create", "-u", "auditor", "-p", password, "-r", "Admin",
             "-f", "A", "-l", "B", "-e", "auditor@example.com"], server_env)
        canaries.append(password)
        command = [args.airflow, "webserver", "-p", str(port), "-H", "127.0.0.1", "-w", "1"]
        api, health = f"{base}/api/v1", f"{base}/health"
    log = open(os.path.join(home, "api-server.log"), "w")
    server = subprocess.Popen(command, env=server_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(240):
            try:
                if http_json("GET", health, None)[0] == 200:
                    break
            except OSError:
                pass
            check(server.poll() is None, f"the API server exited: {open(log.name).read()[-2000:]}")
            time.sleep(0.5)
        if major >= 3:
            with open(os.path.join(home, "simple_auth_manager_passwords.json.generated")) as f:
                password = json.load(f)["admin"]
            _, answer = http_json("POST", f"{base}/auth/token", None, {"username": "admin", "password": password})
            auth = answer["access_token"]
            canaries += [password, auth]
            event_logs, reader_env = f"{api}/eventLogs", env | {"AIRSEAL_AIRFLOW_TOKEN": auth}
            user = "admin"
        else:
            auth = ("auditor", password)
            event_logs, reader_env = f"http://auditor:{password}@127.0.0.1:{port}/api/v1/eventLogs", env
            user = "auditor"
        for method, path, body, secrets in API_CHANGES[min(major, 3)]:
            status, answer = http_json(method, f"{api}{path}", auth, body)
            check(status in (200, 201, 204), f"{method} {path}: {status} {answer}")
            canaries += secrets
        for i in range(PAGING_VARIABLES):
            status, answer = http_json("POST", f"{api}/variables", auth, {"key": f"page_var_{i}", "value": f"page value {i}"})
            check(status in (200, 201), f"POST /variables: {status} {answer}")
        database = os.path.join(home, "airflow.db")
        connection = sqlite3.connect(database)
        rows = {r[0]: (r[1], r[2] or "", r[3]) for r in connection.execute("SELECT id, event, extra, owner FROM log")}
        api_rows = {i for i, (_, _, owner) in rows.items() if owner == user}
        check(len(api_rows) == len(API_CHANGES[min(major, 3)]) + PAGING_VARIABLES,
              f"one log row per REST change: {sorted(e for e, _, _ in rows.values())}")
        leaking = {i for i, (_, extra, _) in rows.items() if any(c in extra for c in canaries + cli_secrets)}
        findings = []
        for source in (event_logs, f"sqlite:///{database}"):
            result = run([args.airseal, "watch", "airflow-log", source, "--user", "root", "-f", "json"],
                         reader_env, expect=(1,))
            outputs += [result.stdout, result.stderr]
            report = json.loads(result.stdout)
            check(report["summary"]["records"] == len(rows),
                  f"every row read ({report['summary']['records']} of {len(rows)})")
            by_code = {}
            for finding in report["findings"]:
                by_code.setdefault(finding["code"], set()).add(int(finding["evidence"][0]["event_id"]))
            check(by_code.get("AUD101", set()) >= api_rows, f"AUD101 on every REST change by {user}")
            check(by_code.get("AUD103", set()) == leaking,
                  f"AUD103 exactly on the rows holding a canary {leaking}: {by_code.get('AUD103')}")
            findings.append(sorted((f["code"], f["message"], f["evidence"][0]["event_id"]) for f in report["findings"]))
        check(findings[0] == findings[1], "the API server and the database give the same findings")
        for secret in canaries:
            check(not any(secret in o for o in outputs), f"a secret ({secret[:4]}...) is in airseal's output")
        print(f"  Airflow {args.release} API server ({api.rsplit('/', 1)[1]}): {len(api_rows)} REST changes "
              f"({len(leaking & api_rows)} with a secret in clear); {len(rows)} rows read through its eventLogs "
              f"in pages of 25 and from the database, same findings")
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
        log.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--airseal", required=True)
    parser.add_argument("--airflow", required=True)
    parser.add_argument("--release", required=True)
    parser.add_argument("--api-server", action="store_true",
                        help="also start Airflow's API server (3: api-server, 2: webserver) and read the audit log through it")
    parser.add_argument("--database", help="postgresql:// or mysql://USER:PASSWORD@HOST:PORT/DB: the metadata "
                        "database instead of SQLite")
    args = parser.parse_args()
    engine = (args.database or "sqlite").split(":", 1)[0]
    home = tempfile.mkdtemp(prefix=f"airseal-afl-{args.release}-")
    env = os.environ | {"AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    if engine == "postgresql":
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = args.database.replace("postgresql://", "postgresql+psycopg2://", 1)
    elif engine == "mysql":
        # PyMySQL, the pure-Python driver Airflow 2 accepts (Airflow 3 insists on mysqlclient).
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = args.database.replace("mysql://", "mysql+pymysql://", 1)
    run([args.airflow, "db", "migrate"], env)
    cases = commands(args.release)
    for argv, _, _ in cases:
        run([args.airflow, *argv], env)
    if engine in ("postgresql", "mysql"):
        if engine == "postgresql":
            import psycopg2  # the 3.3.2 venv has it (scripts/locks/airflow-full-3.3.2.lock)
            connection = psycopg2.connect(args.database)
            cursor = connection.cursor()
        else:
            import pymysql  # the 2.10.5 venv has it (scripts/locks/airflow-full-2.10.5.lock)
            from urllib.parse import urlsplit
            url = urlsplit(args.database)
            connection = pymysql.connect(host=url.hostname, port=url.port, user=url.username,
                                         password=url.password, database=url.path.lstrip("/"))
            cursor = connection.cursor()
            # As Airflow reads its TIMESTAMP columns (utils/orm_event_handlers.py): in UTC.
            cursor.execute("SET time_zone = '+00:00'")
        cursor.execute("SELECT * FROM log ORDER BY id")
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, r)) for r in cursor.fetchall()]
        database_source = args.database
        secret_urls = [args.database.split("@")[0].split(":")[-1]]
    else:
        database = os.path.join(home, "airflow.db")
        connection = sqlite3.connect(database)
        columns = [c[1] for c in connection.execute("PRAGMA table_info(log)")]
        rows = [dict(zip(columns, r)) for r in connection.execute("SELECT * FROM log ORDER BY id")]
        database_source = f"sqlite:///{database}"
        secret_urls = []
    changes = [r for r in rows if r["event"].startswith("cli_connections") or r["event"].startswith("cli_variables")]
    check(len(changes) == len(cases), f"{args.release}: one log row per command: {[r['event'] for r in rows]}")
    secrets = [s for _, s, _ in cases if s]
    # Which rows hold their secret in clear, read from the rows themselves.
    leaking = set()
    for row, (_, secret, leaks) in zip(changes, cases):
        if secret:
            check((secret in (row["extra"] or "")) == leaks,
                  f"{args.release}: Airflow's masking of {row['event']} is as documented (leak={leaks})")
        if leaks:
            leaking.add(row["id"])
    # Exports as operators make them.
    exports = {}
    exports["json"] = os.path.join(home, "log.json")
    with open(exports["json"], "w") as f:
        json.dump(rows, f, default=str)
    exports["jsonl"] = os.path.join(home, "log.jsonl")
    with open(exports["jsonl"], "w") as f:
        for row in rows:
            f.write(json.dumps(row, default=str) + "\n")
    exports["csv"] = os.path.join(home, "log.csv")
    with open(exports["csv"], "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    # The documented API, paging the same rows under its own field names.
    Api.rows = [{"event_log_id": r["id"], "when": str(r["dttm"]).replace(" ", "T"), "event": r["event"],
                 "owner": r["owner"], "extra": r["extra"], "dag_id": None, "task_id": None} for r in rows]
    Api.token = "test-token-8d1f"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{server.server_address[1]}/api/v2/eventLogs"
    sources = [database_source, exports["json"], exports["jsonl"], exports["csv"], api]
    outputs = []
    api_env = env | {"AIRSEAL_AIRFLOW_TOKEN": Api.token}
    for source in sources:
        result = run([args.airseal, "watch", "airflow-log", source, "--user", "nobody", "--working-hours",
                      "00:00-00:01", "--working-days", "sun", "-f", "json"], api_env, expect=(1,))
        outputs += [result.stdout, result.stderr]
        report = json.loads(result.stdout)
        by_code = {}
        for finding in report["findings"]:
            by_code.setdefault(finding["code"], set()).add(int(finding["evidence"][0]["event_id"]))
        ids = {r["id"] for r in changes}
        check(by_code.get("AUD103", set()) == leaking, f"{args.release} {source}: AUD103 on exactly the leaking rows {leaking}: {by_code.get('AUD103')}")
        check(by_code.get("AUD101", set()) == ids, f"{args.release} {source}: AUD101 on every change")
        check(by_code.get("AUD102", set()) == ids, f"{args.release} {source}: AUD102 on every change")
        allowed = run([args.airseal, "watch", "airflow-log", source, "--user", os.environ.get("USER", "root"), "--user", "root",
                       "-f", "json"], api_env, expect=(0, 1))
        outputs += [allowed.stdout, allowed.stderr]
        check(all(f["code"] == "AUD103" for f in json.loads(allowed.stdout)["findings"]), f"{source}: the owner allowed, no AUD101")
    if engine == "mysql":
        # The server runs in another time zone (scripts/airflow-log-roundtrip.sh): airseal must
        # read the times Airflow wrote, in UTC, as Airflow reads them.
        result = run([args.airseal, "watch", "airflow-log", database_source, "--user", "nobody", "-f", "json"],
                     env, expect=(1,))
        outputs += [result.stdout, result.stderr]
        written = {str(r["id"]): str(r["dttm"]) for r in rows}
        times = {e["event_id"]: e["event_time"] for f in json.loads(result.stdout)["findings"] for e in f["evidence"]}
        check(times and all(written[i] == t for i, t in times.items()),
              f"{args.release}: MySQL times read in UTC as Airflow wrote them: {times} vs {written}")
    for form in ("human", "jsonl", "sarif"):
        result = run([args.airseal, "watch", "airflow-log", database_source, "-f", form], env, expect=(0, 1))
        outputs += [result.stdout, result.stderr]
    # The API without a token, a missing file, a file that is not a database.
    result = run([args.airseal, "watch", "airflow-log", api], env, expect=(2,))
    check("401" in result.stderr and "AIRSEAL_AIRFLOW_TOKEN" in result.stderr, result.stderr)
    result = run([args.airseal, "watch", "airflow-log", os.path.join(home, "missing.db")], env, expect=(2,))
    check("missing.db" in result.stderr, result.stderr)
    with open(os.path.join(home, "garbage.db"), "w") as f:
        f.write("not a database")
    result = run([args.airseal, "watch", "airflow-log", os.path.join(home, "garbage.db")], env, expect=(2,))
    check("garbage.db" in result.stderr, result.stderr)
    server.shutdown()
    if args.database:
        # A wrong password: an error without it.
        wrong = args.database.replace(f":{secret_urls[0]}@", ":Wrong-Pw-5e1c@", 1)
        result = run([args.airseal, "watch", "airflow-log", wrong], env, expect=(2,))
        outputs += [result.stdout, result.stderr]
        check("cannot connect" in result.stderr and "Wrong-Pw-5e1c" not in result.stderr, result.stderr)
    if args.api_server:
        api_server_checks(args, env, home, outputs, secrets)
    for secret in secrets + [Api.token] + secret_urls:
        check(not any(secret in o for o in outputs), f"{args.release}: a secret ({secret[:4]}...) is in airseal's output")
    where = {"postgresql": "PostgreSQL", "mysql": "MariaDB", "sqlite": "SQLite"}[engine]
    print(f"  Airflow {args.release} ({where}): {len(changes)} CLI changes; AUD103 on the {len(leaking)} rows Airflow left unmasked, "
          f"AUD101/AUD102 on all, from {where}, JSON, JSON Lines, CSV and the paged API; no secret in {len(outputs)} outputs")
    print(f"airflow-log-roundtrip {args.release}: {CHECKS['count']} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
