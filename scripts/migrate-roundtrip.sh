#!/usr/bin/env bash
# End-to-end test of `airseal migrate` against real components on 127.0.0.1: moto's server
# (PyPI moto[server], pinned in scripts/locks/moto-5.2.5.lock, installed with --no-deps) for
# Secrets Manager and SSM, the Vault KV v2 test server (scripts/vault-kv2-server.py: no Vault
# server can be installed here), local files; Airflow 2.10.5 and 3.3.2 with the Amazon and
# HashiCorp providers (the venvs scripts/connection-roundtrip.sh makes) read back what airseal
# wrote. The 1,000-connection kill test runs once, on Airflow 3.3.2.
#   bash scripts/migrate-roundtrip.sh [KILL_TEST_COUNT]      (default 1000; 0 skips it)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh
kill_count="${1:-1000}"
cache="${AIRSEAL_CACHE:-$HOME/.cache/airseal}"
cargo build --quiet -p airseal
lock=scripts/locks/moto-5.2.5.lock
moto_venv="$cache/venv-moto-5.2.5"
ensure_venv "$lock" "$moto_venv" migrate-roundtrip
for release in 2.10.5 3.3.2; do
  [[ -x "$cache/venv-airflow-full-$release/bin/python" ]] || {
    echo "migrate-roundtrip: run scripts/connection-roundtrip.sh first (it creates the Airflow venvs)" >&2
    exit 2
  }
done
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
moto_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$moto_venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$moto_port/moto-api/" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$moto_port/moto-api/" >/dev/null || { echo "moto did not start:"; cat "$work/moto.log"; exit 2; }
token="airseal-test-token"
for release in 2.10.5 3.3.2; do
  # A fresh Vault test server per release (moto is reset by the test itself).
  python3 scripts/vault-kv2-server.py --port 0 --token "$token" --mount secret >"$work/vault-$release.out" 2>"$work/vault.log" &
  pids+=($!)
  for _ in $(seq 1 100); do [[ -s "$work/vault-$release.out" ]] && break; sleep 0.1; done
  vault_port="$(head -1 "$work/vault-$release.out")"
  [[ -n "$vault_port" ]] || { echo "the Vault test server did not start:"; cat "$work/vault.log"; exit 2; }
  kill_arg=()
  [[ "$release" == 3.3.2 && "$kill_count" != 0 ]] && kill_arg=(--kill-test "$kill_count")
  AIRFLOW_HOME="$(mktemp -d)" timeout 1500 "$cache/venv-airflow-full-$release/bin/python" scripts/migrate-roundtrip.py \
    --airseal target/debug/airseal --moto "http://127.0.0.1:$moto_port" \
    --vault "http://127.0.0.1:$vault_port" --vault-token "$token" "${kill_arg[@]}"
done
