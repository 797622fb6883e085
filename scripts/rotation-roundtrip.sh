#!/usr/bin/env bash
# End-to-end test of `airseal rotate` against real components on 127.0.0.1: a PostgreSQL cluster
# and a MariaDB server from Debian's packages, each created in a temporary directory for this
# run; moto's
# server (pinned lock, as in scripts/migrate-roundtrip.sh) for Secrets Manager and SSM, the Vault
# KV v2 test server (scripts/vault-kv2-server.py) for Vault; Airflow 3.3.2
# with the Amazon, HashiCorp and Postgres providers (the venv scripts/connection-roundtrip.sh makes) reads
# the rotated connections and connects. airseal is built with the `fault-injection` feature for
# the crash tests, then rebuilt without it.
#   bash scripts/rotation-roundtrip.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh
source scripts/lib/pg_cluster.sh
source scripts/lib/mariadb_server.sh
cache="${AIRSEAL_CACHE:-$HOME/.cache/airseal}"

# The crash tests need the fault hook; the binary with it is copied away and the normal
# build restored, so target/debug/airseal never carries the hook.
work="$(mktemp -d)"
chmod 755 "$work"
cargo build --quiet -p airseal --features fault-injection
cp target/debug/airseal "$work/airseal-fault-injection"
cargo build --quiet -p airseal

lock=scripts/locks/moto-5.2.5.lock
moto_venv="$cache/venv-moto-5.2.5"
ensure_venv "$lock" "$moto_venv" rotation-roundtrip
airflow_venv="$cache/venv-airflow-full-3.3.2"
ensure_venv scripts/locks/airflow-full-3.3.2.lock "$airflow_venv" rotation-roundtrip

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  mariadb_server_stop "$work/my"
  pg_cluster_stop "$work/pg"
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pg_cluster_start "$work/pg" "-c max_connections=200" || exit 2
pg_port="$PG_PORT"
admin_password="$PG_ADMIN_PASSWORD"

# MariaDB: a data directory of this run, TCP on 127.0.0.1 and a socket for the test's root login.
mariadb_server_start "$work/my" || exit 2
my_port="$MY_PORT"

moto_port="$(free_port)"
# moto with its UpdateSecretVersionStage default-version bug fixed (see scripts/lib/moto_server.py).
"$moto_venv/bin/python" scripts/lib/moto_server.py -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$moto_port/moto-api/" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$moto_port/moto-api/" >/dev/null || { echo "moto did not start:"; cat "$work/moto.log"; exit 2; }

# Vault: the KV v2 test server (no Vault server can be installed here; see docs/rotation.md).
vault_token="airseal-rotation-token"
python3 scripts/vault-kv2-server.py --port 0 --token "$vault_token" --mount secret >"$work/vault.out" 2>"$work/vault.log" &
pids+=($!)
for _ in $(seq 1 100); do [[ -s "$work/vault.out" ]] && break; sleep 0.1; done
vault_port="$(head -1 "$work/vault.out")"
[[ -n "$vault_port" ]] || { echo "the Vault test server did not start:"; cat "$work/vault.log"; exit 2; }

AIRFLOW_HOME="$work/airflow-home" timeout 1500 "$airflow_venv/bin/python" scripts/rotation-roundtrip.py \
  --airseal "$work/airseal-fault-injection" --moto "http://127.0.0.1:$moto_port" \
  --pg-port "$pg_port" --admin-password "$admin_password" --my-port "$my_port" --my-socket "$work/my/sock" \
  --vault "http://127.0.0.1:$vault_port" --vault-token "$vault_token" --schema ../shared/schemas/sarif-schema-2.1.0.json
