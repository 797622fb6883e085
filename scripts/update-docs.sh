#!/usr/bin/env bash
# Regenerates docs/rules.md from the rules' own metadata (a test fails when it is stale).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet -p airseal -- rules --format markdown > docs/rules.md
echo "docs/rules.md: $(grep -c '^## ' docs/rules.md) rules"
