#!/usr/bin/env bash
# The Sigma rules of `airseal watch export-sigma` against airseal: `sigma check` finds no issue,
# and the rules, converted with pySigma's SQLite backend (sigma-cli 3.1.0, pinned lock) and run
# over the fixtures and the Stratus Red Team capture loaded into SQLite, match what
# `airseal watch cloudtrail` raises over the same files (scripts/sigma-roundtrip.py). Two
# scopes: the fixtures' (crates/airseal_watch/tests/detections.rs) and the Stratus capture's
# prefixes. Needs python3 (sqlite3 from its standard library) and network access to PyPI the
# first time (the venv is cached).
#   bash scripts/sigma-roundtrip.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh
cache="${AIRSEAL_CACHE:-$HOME/.cache/airseal}"

cargo build -q -p airseal
venv="$cache/venv-sigma-cli-3.1.0"
ensure_venv scripts/locks/sigma-cli-3.1.0.lock "$venv" sigma-roundtrip

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The fixtures' scope, as [watch] (tests/detections.rs: fn scope).
cat >"$work/airseal.toml" <<'EOF'
[watch]
readers = ["arn:aws:iam::111122223333:role/airflow-worker"]
writers = ["arn:aws:iam::111122223333:role/airflow-deployer"]
source-networks = ["10.0.0.0/8"]
regions = ["eu-west-1"]
user-agents = ["*Boto3*"]
kms-keys = ["arn:aws:kms:eu-west-1:111122223333:key/1111aaaa-2222-bbbb-3333-cccc4444dddd"]
EOF

files=(crates/airseal_watch/tests/fixtures/*.jsonl)
corpus=../shared/corpus/cloudtrail/invictus-sigma-aws
if compgen -G "$corpus/*.json" >/dev/null; then
  files+=("$corpus"/*.json)
else
  echo "sigma-roundtrip: $corpus not found; the Stratus scope is skipped" >&2
fi

run() {
  "$venv/bin/python" scripts/sigma-roundtrip.py --airseal target/debug/airseal \
    --sigma "$venv/bin" --work "$work" "$@"
}
run --label fixtures --policy "$work/airseal.toml" \
  --require AUD001 --require AUD002 --require AUD003 --require AUD004 --require AUD005 \
  --require AUD006 --require AUD007 --require AUD008 "${files[@]}"
if compgen -G "$corpus/*.json" >/dev/null; then
  run --label stratus --policy "$work/airseal.toml" \
    --prefix stratus-red-team --prefix /credentials/stratus-red-team \
    --require AUD004 --require AUD005 "${files[@]}"
fi
echo "sigma-roundtrip: ok"
