#!/bin/sh
# Helm runs this with the user's arguments: `helm airseal lint -f values.yaml` ->
# `airseal helm lint -f values.yaml`. The airseal binary comes from $AIRSEAL_BIN, the plugin's
# own bin/ folder, or PATH, in that order.
set -eu
dir="${HELM_PLUGIN_DIR:-$(dirname "$0")}"
if [ -n "${AIRSEAL_BIN:-}" ]; then
  bin="$AIRSEAL_BIN"
elif [ -x "$dir/bin/airseal" ]; then
  bin="$dir/bin/airseal"
elif command -v airseal >/dev/null 2>&1; then
  bin="$(command -v airseal)"
else
  echo "helm airseal: no airseal binary (install it on PATH, into $dir/bin/, or set AIRSEAL_BIN)" >&2
  exit 2
fi
exec "$bin" helm "$@"
