#!/usr/bin/env bash
# End-to-end test of `airseal watch airflow-log` against the audit log that real Airflow writes:
# Airflow 2.10.5 and 3.3.2 from the pinned venvs (the same as scripts/connection-roundtrip.sh)
# create their metadata database — SQLite; for 3.3.2 also PostgreSQL, and for 2.10.5 also MariaDB
# (through PyMySQL: Airflow 3 accepts only mysqlclient, which compiles against libmysqlclient),
# both from Debian's packages on 127.0.0.1 — run CLI commands whose secrets their masking does
# and does not hide, and
# airseal must find exactly the unmasked ones, from the database, from exports and from a
# paged API serving the same rows, and through Airflow's own API server (3.3.2's api-server,
# 2.10.5's webserver) after REST changes (scripts/airflow-log-roundtrip.py).
#   bash scripts/airflow-log-roundtrip.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh
source scripts/lib/pg_cluster.sh
source scripts/lib/mariadb_server.sh
cache="${AIRSEAL_CACHE:-$HOME/.cache/airseal}"

cargo build --quiet -p airseal
work="$(mktemp -d)"
chmod 755 "$work"
trap 'pg_cluster_stop "$work/pg"; mariadb_server_stop "$work/my"; rm -rf "$work"' EXIT
for release in 2.10.5 3.3.2; do
  venv="$cache/venv-airflow-full-$release"
  ensure_venv "scripts/locks/airflow-full-$release.lock" "$venv" airflow-log-roundtrip
  # Airflow's own API server is started too (3: api-server, 2: webserver): its REST changes,
  # read back through its eventLogs.
  timeout 900 "$venv/bin/python" scripts/airflow-log-roundtrip.py \
    --airseal target/debug/airseal --airflow "$venv/bin/airflow" --release "$release" --api-server
done
pg_cluster_start "$work/pg"
"$cache/venv-airflow-full-3.3.2/bin/python" - "$PG_PORT" "$PG_ADMIN_PASSWORD" <<'PY'
import sys, psycopg2
c = psycopg2.connect(host="127.0.0.1", port=int(sys.argv[1]), user="admin", password=sys.argv[2], dbname="postgres")
c.autocommit = True
c.cursor().execute("CREATE DATABASE airflow3")
PY
timeout 900 "$cache/venv-airflow-full-3.3.2/bin/python" scripts/airflow-log-roundtrip.py \
  --airseal target/debug/airseal --airflow "$cache/venv-airflow-full-3.3.2/bin/airflow" --release 3.3.2 \
  --database "postgresql://admin:$PG_ADMIN_PASSWORD@127.0.0.1:$PG_PORT/airflow3"
# The server's zone is not UTC, so that a reader that forgets Airflow's UTC session is caught.
mariadb_server_start "$work/my" --default-time-zone=+05:00
my_password="airflow-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
mariadb_root "$work/my" -e "CREATE DATABASE airflow2 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
  CREATE USER 'airflow'@'127.0.0.1' IDENTIFIED BY '$my_password'; GRANT ALL ON airflow2.* TO 'airflow'@'127.0.0.1';"
timeout 900 "$cache/venv-airflow-full-2.10.5/bin/python" scripts/airflow-log-roundtrip.py \
  --airseal target/debug/airseal --airflow "$cache/venv-airflow-full-2.10.5/bin/airflow" --release 2.10.5 \
  --database "mysql://airflow:$my_password@127.0.0.1:$MY_PORT/airflow2"
