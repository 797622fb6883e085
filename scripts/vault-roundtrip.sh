#!/usr/bin/env bash
# Runs scripts/vault-roundtrip.py — what airseal's Vault store writes, Airflow's own VaultBackend
# (apache-airflow-providers-hashicorp through hvac) reads back — against Airflow 2.10.5 and Airflow
# 3.3.2, with scripts/vault-kv2-server.py standing in for Vault (no Vault server can be installed
# here; the server is written from Vault's published KV v2 API documentation, see
# docs/stores-vault.md). Uses the venvs scripts/connection-roundtrip.sh makes (Airflow with the
# Amazon and HashiCorp providers, hvac and Hypothesis, `pip install --no-deps` from the pinned
# locks scripts/locks/airflow-full-*.lock, in $AIRSEAL_CACHE, default ~/.cache/airseal); a venv
# that is missing or out of date with its lock is made the same way.
#   bash scripts/vault-roundtrip.sh [EXAMPLES]      (default 300 per property and release)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh
examples="${1:-300}"
cache="${AIRSEAL_CACHE:-$HOME/.cache/airseal}"
writer=target/debug/examples/vault_store_writer
cargo build --quiet -p airseal_stores --features vault --examples
for release in 2.10.5 3.3.2; do
  lock="scripts/locks/airflow-full-$release.lock"
  venv="$cache/venv-airflow-full-$release"
  ensure_venv "$lock" "$venv" vault-roundtrip
  home="$(mktemp -d)"
  AIRFLOW_HOME="$home" "$venv/bin/python" scripts/vault-roundtrip.py --writer "$writer" --examples "$examples"
  rm -rf "$home"
done
