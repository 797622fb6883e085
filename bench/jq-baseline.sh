#!/usr/bin/env bash
# jq baseline for `airseal watch cloudtrail`: the simplest detection,
# "failed access to Airflow's secrets" = an event from Secrets Manager, SSM
# (Parameter Store) or KMS that carries an errorCode.
#
#   bench/jq-baseline.sh TREE [gz|json] [JOBS]
#
#   TREE  a tree made by bench/cloudtrail-corpus.py (or a real CloudTrail download)
#   gz    read every *.json.gz under TREE through zcat   (default if any exist)
#   json  read every *.json under TREE directly with jq
#   JOBS  1 (default): one jq over the whole concatenated stream
#         2: xargs -P2, two zcat|jq pipelines over disjoint batches of files
#
# Prints the number of matching events and the wall-clock seconds.
# The aim is to be as fair to jq as possible: no per-file jq start-up, jq
# reads files itself in json mode, and output goes to a file rather than a
# terminal.
set -euo pipefail

tree=${1:?usage: jq-baseline.sh TREE [gz|json] [JOBS]}
mode=${2:-}
jobs=${3:-1}

if [[ -z $mode ]]; then
    if [[ -n $(find "$tree" -type f -name '*.json.gz' -print -quit) ]]; then mode=gz; else mode=json; fi
fi
case $mode in
    gz) pattern='*.json.gz' ;;
    json) pattern='*.json' ;;
    *) echo "mode must be gz or json, not '$mode'" >&2; exit 2 ;;
esac
[[ $jobs =~ ^[12]$ ]] || { echo "JOBS must be 1 or 2" >&2; exit 2; }

# -c: one match per line, so `wc -l` is the match count.
export FILTER='.Records[]
  | select((.eventSource == "secretsmanager.amazonaws.com"
            or .eventSource == "ssm.amazonaws.com"
            or .eventSource == "kms.amazonaws.com")
           and .errorCode != null)
  | {eventID, eventTime, eventName, errorCode}'
export MODE=$mode

OUT=$(mktemp -d)
export OUT
trap 'rm -rf "$OUT"' EXIT

# One batch of files (its arguments) -> its own output file. Separate files,
# because two jq processes writing one pipe can interleave partial lines.
batch() {
    if [[ $MODE == gz ]]; then
        zcat -- "$@" | jq -c "$FILTER" >"$(mktemp -p "$OUT")"
    else
        jq -c "$FILTER" "$@" >"$(mktemp -p "$OUT")"
    fi
}
export -f batch

start=$(date +%s.%N)
if [[ $jobs == 1 ]]; then
    # xargs may split the file list into several zcat (or jq, in json mode)
    # runs to fit the command-line limit; in gz mode they all feed ONE jq.
    if [[ $mode == gz ]]; then
        find "$tree" -type f -name "$pattern" -print0 | xargs -0 zcat -- | jq -c "$FILTER" >"$OUT/matches"
    else
        find "$tree" -type f -name "$pattern" -print0 | xargs -0 jq -c "$FILTER" >"$OUT/matches"
    fi
else
    # xargs cuts the list into ~128 KiB command lines (~900 files each), so
    # there are many batches and the two workers stay evenly loaded.
    find "$tree" -type f -name "$pattern" -print0 | xargs -0 -P "$jobs" bash -c 'batch "$@"' batch
fi
end=$(date +%s.%N)

matches=$(cat "$OUT"/* | wc -l)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
echo "mode=$mode jobs=$jobs matches=$matches seconds=$secs"
