#!/usr/bin/env bash
# The speed benchmark: airseal against ripgrep, detect-secrets and bandit on corpus C1.
#
#   usage: bash bench/run.sh [--runs N] [--peer-runs N] [--no-bandit] [--no-single-thread]
#                            [--no-build] [--check] [--write-doc] [--corpus DIR]
#
#   --runs N             measured runs for airseal and rg (default 10; 2 warm-up runs precede them)
#   --peer-runs N        measured runs for detect-secrets and bandit (default 3; no warm-up: each
#                        run takes minutes and the corpus is already in the page cache)
#   --no-bandit          skip bandit (context only; it is not one of the bars)
#   --no-single-thread   skip the `airseal --threads 1` / `rg -j1` comparison
#   --no-build           use the existing target/release/airseal
#   --corpus DIR         measure on DIR instead of C1 (for trying the script; the bars are about C1)
#   --write-doc          copy the results into docs/benchmarks.md (C1 runs only)
#   --check              exit 1 when a bar fails (default: report only; this is a benchmark,
#                        not a test)
#   BENCH_WAIT_IDLE=S    wait up to S seconds (default 900) for running rustc/cargo processes
#                        to finish before measuring
#
# Bars (from the issue): on C1 with all rules, airseal's median wall time is <= 3x ripgrep's
# case-insensitive search for the union of all rule keywords over the same tree, and >= 100x
# faster than `detect-secrets scan --all-files`; airseal's peak RSS is <= 200 MB.
#
# Every run is recorded in bench/runs/<date>-<sha>/: the exact commands and versions (env.json),
# hyperfine exports (*.hyperfine.json, *.hyperfine.md), `/usr/bin/time -v` logs (*.time), the
# keywords rg searched for, result counts (counts.json) and summary.md. The tools' own outputs
# (findings) are kept out of the repository, in ~/.cache/airseal-bench/runs/<date>-<sha>/.
set -euo pipefail

runs=10
peer_runs=3
bandit=1
single_thread=1
build=1
check=0
write_doc=0
corpus=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --peer-runs) peer_runs=$2; shift 2 ;;
    --no-bandit) bandit=0; shift ;;
    --no-single-thread) single_thread=0; shift ;;
    --no-build) build=0; shift ;;
    --check) check=1; shift ;;
    --write-doc) write_doc=1; shift ;;
    --corpus) corpus=$(cd "$2" && pwd); shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
shared=$root/../shared/bench
cd "$root"
log() { printf '\n== %s\n' "$*" >&2; }

# --- tools ------------------------------------------------------------------------------------
apt_install() {
  log "installing $* from Debian"
  if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq "$@"
  else sudo apt-get update -qq && sudo apt-get install -y -qq "$@"; fi
}
command -v hyperfine >/dev/null || apt_install hyperfine
[[ -x /usr/bin/time ]] || apt_install time

suffix=""
if [[ -z $corpus ]]; then
  log "corpus C1 ($shared/corpus.sh)"
  corpus=$(bash "$shared/corpus.sh" | tail -n 1)
else
  suffix=-$(basename "$corpus")
fi
log "peers ($shared/peers.sh)"
peers=$(bash "$shared/peers.sh" | tail -n 1)
rg=$peers/rg
ds=$peers/detect-secrets
bandit_bin=$peers/bandit

if [[ $build -eq 1 ]]; then
  log "cargo build --release -p airseal"
  cargo build --release -p airseal
fi
airseal=$root/target/release/airseal
[[ -x $airseal ]] || { echo "run.sh: $airseal missing (drop --no-build)" >&2; exit 2; }

sha=$(git rev-parse --short HEAD)
dirty=false
[[ -z $(git status --porcelain --untracked-files=no) ]] || dirty=true
id=$(date -u +%Y-%m-%dT%H%MZ)-$sha$suffix
out=$root/bench/runs/$id
raw=${HOME}/.cache/airseal-bench/runs/$id
mkdir -p "$out" "$raw"
log "recording into $out (tool outputs: $raw)"

# --- the keyword union --------------------------------------------------------------------------
# Preferred: airseal's own list (hidden `rules --format keywords`); otherwise read the rule YAML.
if "$airseal" rules --format keywords >"$out/keywords.txt" 2>/dev/null && [[ -s $out/keywords.txt ]]; then
  keywords_source='airseal rules --format keywords'
else
  py=$peers/python
  "$py" -c 'import yaml' 2>/dev/null || "$peers/pip" install --quiet pyyaml==6.0.2
  "$py" "$root/bench/speed_report.py" keywords "$root/crates/airseal_detectors/rules" >"$out/keywords.txt"
  keywords_source='crates/airseal_detectors/rules/*.yml (PyYAML)'
fi
n_keywords=$(wc -l <"$out/keywords.txt")
n_rules=$("$airseal" rules --format json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
log "$n_rules rules, $n_keywords distinct keywords ($keywords_source)"

# --- the commands -------------------------------------------------------------------------------
# airseal: all built-in rules, default threads (one per core), JSON report to a file.
cmd_airseal="$airseal scan $corpus --format json --output $raw/airseal-bench.json --quiet"
# rg: the same file set as airseal (hidden files searched, .gitignore/.ignore honoured without a
# .git directory, symlinks followed, no global gitignore, no config file), every keyword as a
# case-insensitive fixed string, counting every match (as airseal's keyword automaton must).
rg_flags="--no-config --hidden --no-require-git --no-ignore-global --follow -i -F -f $out/keywords.txt --count-matches"
cmd_rg="$rg $rg_flags $corpus"
cmd_airseal_1="$airseal scan $corpus --threads 1 --format json --output $raw/airseal-bench-1.json --quiet"
cmd_rg_1="$rg -j1 $rg_flags $corpus"
# detect-secrets scans only paths under its working directory (given an absolute path elsewhere it
# reports nothing), so it runs from inside C1.
cmd_ds="cd $corpus && $ds scan --all-files > $raw/detect-secrets-bench.json"
cmd_bandit="$bandit_bin -r -q $corpus -f json -o $raw/bandit-bench.json"

# --- is the machine quiet? -----------------------------------------------------------------------
busy_procs() { pgrep -x rustc >/dev/null || pgrep -x cargo >/dev/null || pgrep -f '^[^ ]*cargo-fuzz' >/dev/null; }
# Busy share of all cores over 2 s, from /proc/stat (percent).
cpu_busy() {
  local a b
  a=($(head -n 1 /proc/stat)); sleep 2; b=($(head -n 1 /proc/stat))
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
waited=0
while busy_procs && [[ $waited -lt ${BENCH_WAIT_IDLE:-900} ]]; do
  [[ $waited -eq 0 ]] && log "rustc/cargo is running: waiting up to ${BENCH_WAIT_IDLE:-900} s for it to finish"
  sleep 15; waited=$((waited + 15))
done
busy=""
busy_pct=$(cpu_busy)
if busy_procs; then busy="rustc/cargo processes were running when measurements started; "; fi
if [[ $busy_pct -gt 10 ]]; then busy+="${busy_pct}% of CPU was in use by other processes before measuring"; fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
[[ -z $busy ]] || log "WARNING: machine busy: $busy"

# --- result counts and peak RSS: one run of each, under /usr/bin/time -v ------------------------
log "result counts and peak RSS"
set +e
/usr/bin/time -v -o "$out/airseal.time" "$airseal" scan "$corpus" --format json --output "$raw/airseal.json" --quiet
status=$?
set -e
if [[ $status -gt 1 ]]; then echo "run.sh: airseal failed (exit $status)" >&2; exit 2; fi
/usr/bin/time -v -o "$out/rg.time" $cmd_rg >"$raw/rg.txt"
$rg $rg_flags --stats "$corpus" | grep -E '^[0-9.]+ (matches|matched lines|files|bytes|seconds)' >"$out/rg-stats.txt"
if [[ $single_thread -eq 1 ]]; then
  /usr/bin/time -v -o "$out/airseal-1thread.time" $cmd_airseal_1 || [[ $? -eq 1 ]]
  /usr/bin/time -v -o "$out/rg-1thread.time" $cmd_rg_1 >/dev/null
fi
(cd "$corpus" && /usr/bin/time -v -o "$out/detect-secrets.time" "$ds" scan --all-files >"$raw/detect-secrets.json")
if [[ $bandit -eq 1 ]]; then
  /usr/bin/time -v -o "$out/bandit.time" "$bandit_bin" -r -q "$corpus" -f json -o "$raw/bandit.json" || [[ $? -eq 1 ]]
fi
cp "$out/rg-stats.txt" "$raw/rg-stats.txt"
python3 "$root/bench/speed_report.py" counts "$raw" >"$out/counts.json"
cat "$out/counts.json" >&2

# --- wall time ----------------------------------------------------------------------------------
hf=(hyperfine --style basic --output=pipe)
log "airseal vs rg: ${runs} runs after 2 warm-up runs"
"${hf[@]}" -N --warmup 2 --runs "$runs" --ignore-failure \
  --export-json "$out/airseal-rg.hyperfine.json" --export-markdown "$out/airseal-rg.hyperfine.md" \
  -n airseal "$cmd_airseal" -n rg "$cmd_rg"
if [[ $single_thread -eq 1 ]]; then
  log "one thread each: ${runs} runs after 2 warm-up runs"
  "${hf[@]}" -N --warmup 2 --runs "$runs" --ignore-failure \
    --export-json "$out/single-thread.hyperfine.json" --export-markdown "$out/single-thread.hyperfine.md" \
    -n airseal-1thread "$cmd_airseal_1" -n rg-1thread "$cmd_rg_1"
fi
log "detect-secrets: ${peer_runs} runs (about two minutes each)"
"${hf[@]}" --runs "$peer_runs" \
  --export-json "$out/detect-secrets.hyperfine.json" --export-markdown "$out/detect-secrets.hyperfine.md" \
  -n detect-secrets "$cmd_ds"
if [[ $bandit -eq 1 ]]; then
  log "bandit: ${peer_runs} runs"
  "${hf[@]}" --runs "$peer_runs" --ignore-failure \
    --export-json "$out/bandit.hyperfine.json" --export-markdown "$out/bandit.hyperfine.md" \
    -n bandit "$cmd_bandit"
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
if busy_procs; then busy+="${busy:+; }rustc/cargo processes were running when measurements ended"; fi

# --- versions, machine, commands → env.json; then the report ------------------------------------
export BENCH_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) BENCH_SHA=$(git rev-parse HEAD) BENCH_DIRTY=$dirty
export BENCH_CORPUS=$corpus BENCH_RULES=$n_rules BENCH_KEYWORDS=$n_keywords BENCH_KEYWORDS_SOURCE=$keywords_source
export BENCH_IS_C1=$([[ -z $suffix ]] && echo 1 || echo 0)
export BENCH_LOAD_BEFORE=$load_before BENCH_LOAD_AFTER=$load_after BENCH_BUSY=$busy
export BENCH_CPU=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
export BENCH_NPROC=$(nproc) BENCH_MEM_KB=$(awk '/^MemTotal/ {print $2}' /proc/meminfo) BENCH_KERNEL=$(uname -r)
export BENCH_CORPUS_FILES=$(find "$corpus" -type f ! -name .complete | wc -l)
export BENCH_CORPUS_BYTES=$(find "$corpus" -type f ! -name .complete -printf '%s\n' | awk '{s += $1} END {print s}')
export V_AIRSEAL="$("$airseal" --version) (commit $sha$([[ $dirty == true ]] && echo ', uncommitted changes'); binary sha256 $(sha256sum "$airseal" | cut -c1-12))"
export V_RG="$("$rg" --version | head -n 1) (PyPI ripgrep wheel; $("$rg" --version | grep '^simd(runtime)'))"
export V_DS="detect-secrets $("$ds" --version)"
export V_BANDIT="$("$bandit_bin" --version | head -n 1)"
export V_PYTHON="$("$peers/python" --version) (runs detect-secrets and bandit)"
export V_HYPERFINE="$(hyperfine --version)"
export V_RUSTC="$(rustc --version)"
export V_TIME="GNU time $(dpkg-query -W -f '${Version}' time 2>/dev/null || /usr/bin/time --version 2>&1 | head -n 1)"
export C_AIRSEAL=$cmd_airseal C_RG=$cmd_rg C_DS=$cmd_ds C_BANDIT=$cmd_bandit
export C_AIRSEAL_1=$cmd_airseal_1 C_RG_1=$cmd_rg_1 C_SINGLE=$single_thread C_WITH_BANDIT=$bandit
export C_HF_FAST="hyperfine -N --output=pipe --warmup 2 --runs $runs --ignore-failure"
export C_HF_PEER="hyperfine --output=pipe --runs $peer_runs (through sh; bandit with --ignore-failure)"
python3 - "$out/env.json" <<'EOF'
import json, os, sys
e = os.environ
commands = {"airseal": e["C_AIRSEAL"], "rg": e["C_RG"]}
if e["C_SINGLE"] == "1":
    commands["airseal-1thread"] = e["C_AIRSEAL_1"]
    commands["rg-1thread"] = e["C_RG_1"]
commands["detect-secrets"] = e["C_DS"]
if e["C_WITH_BANDIT"] == "1":
    commands["bandit"] = e["C_BANDIT"]
env = {
    "date": e["BENCH_DATE"],
    "git_sha": e["BENCH_SHA"],
    "git_dirty": e["BENCH_DIRTY"] == "true",
    "corpus": e["BENCH_CORPUS"],
    "corpus_files": int(e["BENCH_CORPUS_FILES"]),
    "corpus_bytes": int(e["BENCH_CORPUS_BYTES"]),
    "rules": int(e["BENCH_RULES"]),
    "keywords": int(e["BENCH_KEYWORDS"]),
    "keywords_source": e["BENCH_KEYWORDS_SOURCE"],
    "cpu": e["BENCH_CPU"],
    "nproc": int(e["BENCH_NPROC"]),
    "mem_gb": round(int(e["BENCH_MEM_KB"]) / 1024 / 1024, 1),
    "kernel": e["BENCH_KERNEL"],
    "load_before": e["BENCH_LOAD_BEFORE"],
    "load_after": e["BENCH_LOAD_AFTER"],
    "busy": e["BENCH_BUSY"],
    "is_c1": e["BENCH_IS_C1"] == "1",
    "harness": {
        "airseal, rg (and their 1-thread variants)": e["C_HF_FAST"],
        "detect-secrets, bandit": e["C_HF_PEER"],
        "peak RSS": "/usr/bin/time -v (one extra run of each command)",
    },
    "versions": {
        "airseal": e["V_AIRSEAL"],
        "ripgrep": e["V_RG"],
        "detect-secrets": e["V_DS"],
        "bandit": e["V_BANDIT"],
        "python": e["V_PYTHON"],
        "hyperfine": e["V_HYPERFINE"],
        "rustc": e["V_RUSTC"],
        "GNU time": e["V_TIME"],
    },
    "commands": commands,
}
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(env, f, indent=2)
    f.write("\n")
EOF

status=0
python3 "$root/bench/speed_report.py" report "$out" || status=$?
if [[ $write_doc -eq 1 ]]; then
  if [[ -n $suffix ]]; then echo "run.sh: --write-doc ignored: the corpus is not C1" >&2
  else python3 "$root/bench/speed_report.py" doc "$out" "$root/docs/benchmarks.md"; fi
fi
if [[ $check -eq 1 ]]; then exit "$status"; fi
exit 0
