#!/usr/bin/env bash
# End-to-end test of `airseal watch airflow-log` against the audit log that real Airflow writes:
# Airflow 2.10.5 and 3.3.2 from the pinned venvs (the same as scripts/connection-roundtrip.sh)
# create a SQLite metadata database, run CLI commands whose secrets their masking does and does
# not hide, and airseal must find exactly the unmasked ones, from the database, from exports
# and from a paged API serving the same rows (scripts/airflow-log-roundtrip.py).
#   bash scripts/airflow-log-roundtrip.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh
cache="${AIRSEAL_CACHE:-$HOME/.cache/airseal}"

cargo build --quiet -p airseal
for release in 2.10.5 3.3.2; do
  venv="$cache/venv-airflow-full-$release"
  ensure_venv "scripts/locks/airflow-full-$release.lock" "$venv" airflow-log-roundtrip
  timeout 900 "$venv/bin/python" scripts/airflow-log-roundtrip.py \
    --airseal target/debug/airseal --airflow "$venv/bin/airflow" --release "$release"
done
