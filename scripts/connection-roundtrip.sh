#!/usr/bin/env bash
# Runs the property tests against the real Airflow — scripts/connection-roundtrip.py (airseal's
# connection codec) and scripts/local-store-roundtrip.py (what airseal's local-file store writes,
# LocalFilesystemBackend reads back) — in two virtual environments, Airflow 2.10.5 and Airflow 3.3.2 (each with the Amazon and
# HashiCorp providers and Hypothesis), installed with `pip install --no-deps` from the pinned
# locks scripts/locks/airflow-full-*.lock (no dependency resolution; created once in
# $AIRSEAL_CACHE, default ~/.cache/airseal, and rebuilt when a lock changes).
#   bash scripts/connection-roundtrip.sh [EXAMPLES]      (default 2000 per codec property;
#                                                          the store test runs EXAMPLES/4)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh
examples="${1:-2000}"
cache="${AIRSEAL_CACHE:-$HOME/.cache/airseal}"
server=target/debug/examples/codec_server
store_server=target/debug/examples/local_store_server
cargo build --quiet -p airseal_connection -p airseal_stores --examples
for release in 2.10.5 3.3.2; do
  lock="scripts/locks/airflow-full-$release.lock"
  venv="$cache/venv-airflow-full-$release"
  ensure_venv "$lock" "$venv" connection-roundtrip
  AIRFLOW_HOME="$(mktemp -d)" "$venv/bin/python" scripts/connection-roundtrip.py \
    --server "$server" --examples "$examples"
  AIRFLOW_HOME="$(mktemp -d)" "$venv/bin/python" scripts/local-store-roundtrip.py \
    --server "$store_server" --examples "$((examples / 4))"
done
