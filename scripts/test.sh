#!/usr/bin/env bash
# Runs every test airseal has, on a fresh machine: installs what the tests need, then runs them.
#   bash scripts/test.sh
# Needs: the Rust toolchain, ../shared beside the repository (SARIF schema, Helm and CloudTrail
# corpora), and root or sudo for apt-get when a Debian package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

# setpriv runs airseal as `nobody` in the unreadable-file test (root reads any file).
command -v setpriv >/dev/null || apt_install util-linux

if [ ! -f ../shared/schemas/sarif-schema-2.1.0.json ]; then
  echo "scripts/test.sh: ../shared is missing (the SARIF schema lives there)" >&2
  exit 2
fi


# airseal's table of sensitive Airflow options must match Airflow's own definitions, read from
# Airflow 2.10.5, 3.3.2 and the Celery provider installed from PyPI into venvs (pinned locks in
# scripts/locks, --no-deps; cached in ~/.cache/airseal, rebuilt when missing).
command -v python3 >/dev/null || apt_install python3 python3-venv
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
python3 scripts/sensitive-options.py --check
# The doctor's table of backend kwargs must match the providers' wheels on PyPI (sha256-pinned).
python3 scripts/backend-kwargs.py --check

# A short fuzzing pass over the detector engine, the rule-file and config parsers, the Python
# analyzer and the deployment-config readers, so a parser change that panics on odd input fails
# here. AIRSEAL_FUZZ_SECONDS=0 skips it.
fuzz_seconds=${AIRSEAL_FUZZ_SECONDS:-10}
if [ "$fuzz_seconds" -gt 0 ]; then
  FUZZ_SECONDS=$fuzz_seconds bash scripts/fuzz.sh
fi

# Snapshots must match what is committed; never write new ones in a test run.
export INSTA_UPDATE=no
cargo test --workspace --all-targets --locked

# The deployment rules must keep 100% precision and recall on the hand-labelled Helm corpus
# (bench/helm-truth.tsv); the debug binary the tests built is enough.
python3 bench/helm_accuracy.py --binary target/debug/airseal > /dev/null
# Airflow's own default configuration (config.yml of 2.10.5 and 3.3.2, rendered with its
# defaults and template placeholders) must give no CFG finding.
python3 scripts/airflow-default-config.py --binary target/debug/airseal
# airseal's connection codec must agree with Airflow 2.10.5's and 3.3.2's own, byte for byte
# (Hypothesis, 2000 examples per property and release).
bash scripts/connection-roundtrip.sh 2000
# The Vault KV v2 store: Airflow's VaultBackend reads back what airseal writes (against
# scripts/vault-kv2-server.py: no Vault server can be installed here).
bash scripts/vault-roundtrip.sh 200
# `airseal migrate` end to end: moto (Secrets Manager, SSM), the Vault test server and local files;
# Airflow 2.10.5 and 3.3.2 read back every migrated secret; bad input; 1,000 connections with a
# kill half-way.
bash scripts/migrate-roundtrip.sh 1000
# `airseal rotate` end to end: a PostgreSQL cluster from Debian's package and moto's Secrets
# Manager on 127.0.0.1; crashes before and after every step (exit and SIGKILL) re-run to
# convergence; Airflow 3.3.2's PostgresHook connects with the rotated connection; bad input.
bash scripts/rotation-roundtrip.sh
# `airseal watch export-sigma`: sigma check (sigma-cli 3.1.0, pinned) finds no issue, and the
# rules converted with pySigma's SQLite backend match airseal's alerts over the fixtures and the
# Stratus Red Team capture loaded into SQLite.
bash scripts/sigma-roundtrip.sh
# `airseal watch airflow-log`: Airflow 2.10.5 and 3.3.2 write their audit log through their CLI
# (SQLite; PostgreSQL for 3.3.2, MariaDB for 2.10.5) and their own API servers; airseal finds
# exactly the secrets their masking leaves in clear, from the database, exports and the API.
bash scripts/airflow-log-roundtrip.sh
