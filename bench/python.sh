#!/usr/bin/env bash
# The Python (DAG rules) benchmark on corpus C1: what the DAG analysis adds to a scan, and
# airseal's DAG rules against bandit's hardcoded-password tests on the same Python files.
#
#   usage: bash bench/python.sh [--runs N] [--peer-runs N] [--no-build] [--write-doc]
#
#   --runs N        measured runs of airseal (default 10, after 2 warm-up runs)
#   --peer-runs N   measured runs of bandit (default 3; each takes about a minute)
#   --no-build      use the existing target/release/airseal
#   --write-doc     replace the "Python analysis" section of docs/benchmarks.md
#
# Bars (from the issue): the DAG rules add at most 50% to airseal's median wall time on C1
# (`airseal scan C1` against `airseal scan --ignore DAG C1`, which does not even build the
# Python analyzer); and `airseal scan --select DAG` is at least 20x faster than
# `bandit -t B105,B106,B107` on the same Python files.
#
# Same files for both tools: bandit reads only `*.py`, airseal reads every file, so both run on
# a tree of hard links to C1's `.py` files only (py/ beside C1), not on C1 itself.
#
# Every run is recorded in bench/runs/<date>-<sha>-python/: commands, versions (env.txt),
# hyperfine exports, result counts (counts.txt) and summary.md.
set -euo pipefail

runs=10
peer_runs=3
build=1
write_doc=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --peer-runs) peer_runs=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --write-doc) write_doc=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "python.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
shared=$root/../shared/bench
cd "$root"
log() { printf '\n== %s\n' "$*" >&2; }

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
corpus=$(bash "$shared/corpus.sh" | tail -n 1)
peers=$(bash "$shared/peers.sh" | tail -n 1)
bandit=$peers/bandit
if [[ $build -eq 1 ]]; then cargo build --release -p airseal; fi
airseal=$root/target/release/airseal

# The Python files of C1, as hard links (no copy): rebuilt when C1 is.
py=${corpus%/}-py
if [[ ! -f $py/.complete || $py/.complete -ot $corpus/.complete ]]; then
  log "linking C1's .py files into $py"
  rm -rf "$py"
  (cd "$corpus" && find . -name '*.py' -type f -print0 | cpio -0 -pdml --quiet "$py")
  touch "$py/.complete"
fi
py_files=$(find "$py" -name '*.py' | wc -l)
py_bytes=$(find "$py" -name '*.py' -printf '%s\n' | awk '{s+=$1} END {print s}')

sha=$(git rev-parse --short HEAD)
id=$(date -u +%Y-%m-%dT%H%MZ)-$sha-python
out=$root/bench/runs/$id
raw=${HOME}/.cache/airseal-bench/runs/$id
mkdir -p "$out" "$raw"
log "recording into $out"

cmd_key="$airseal scan $corpus --ignore DAG --format json --output $raw/key.json --quiet"
cmd_all="$airseal scan $corpus --format json --output $raw/all.json --quiet"
cmd_dag="$airseal scan $py --select DAG --format json --output $raw/dag.json --quiet"
cmd_bandit="$bandit -r -q -t B105,B106,B107 -f json -o $raw/bandit.json $py"

log "airseal with and without the DAG rules on C1: $runs runs"
hyperfine --warmup 2 --runs "$runs" -i --export-json "$out/overhead.hyperfine.json" \
  --export-markdown "$out/overhead.hyperfine.md" \
  -n "airseal --ignore DAG (C1)" "$cmd_key" -n "airseal (C1)" "$cmd_all"
log "airseal --select DAG against bandit B105-B107 on C1's .py files"
hyperfine --warmup 2 --runs "$runs" -i --export-json "$out/dag.hyperfine.json" \
  --export-markdown "$out/dag.hyperfine.md" -n "airseal --select DAG (.py)" "$cmd_dag"
hyperfine --runs "$peer_runs" -i --export-json "$out/bandit.hyperfine.json" \
  --export-markdown "$out/bandit.hyperfine.md" -n "bandit -t B105,B106,B107 (.py)" "$cmd_bandit"

{
  echo "date: $(date -u +%FT%TZ)"
  echo "workspace: $sha"
  echo "airseal: $("$airseal" --version)"
  echo "bandit: $("$bandit" --version | head -n 1)"
  echo "hyperfine: $(hyperfine --version)"
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "corpus: C1 ($corpus), .py tree $py: $py_files files, $py_bytes bytes"
  echo "cmd_key: $cmd_key"
  echo "cmd_all: $cmd_all"
  echo "cmd_dag: $cmd_dag"
  echo "cmd_bandit: $cmd_bandit"
} >"$out/env.txt"

python3 - "$out" "$raw" "$py_files" "$py_bytes" "$write_doc" "$root/docs/benchmarks.md" <<'EOF'
import json, re, statistics, sys
from pathlib import Path
out, raw, py_files, py_bytes, write_doc, doc = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1", Path(sys.argv[6])
def medians(name):
    data = json.loads((out / name).read_text())["results"]
    return {r["command"]: statistics.median(r["times"]) for r in data}
overhead = medians("overhead.hyperfine.json")
dag = medians("dag.hyperfine.json")
bandit = medians("bandit.hyperfine.json")
key, full = overhead["airseal --ignore DAG (C1)"], overhead["airseal (C1)"]
ours, theirs = dag["airseal --select DAG (.py)"], bandit["bandit -t B105,B106,B107 (.py)"]
added = 100.0 * (full / key - 1.0)
speedup = theirs / ours
dag_findings = len(json.loads((raw / "dag.json").read_text())["findings"])
bandit_results = json.loads((raw / "bandit.json").read_text())["results"]
by_test = {t: sum(1 for r in bandit_results if r["test_id"] == t) for t in ("B105", "B106", "B107")}
env = (out / "env.txt").read_text()
counts = f"airseal DAG findings on the .py tree: {dag_findings}\nbandit results: {len(bandit_results)} ({', '.join(f'{k} {v}' for k, v in by_test.items())})\n"
(out / "counts.txt").write_text(counts)
summary = f"""### Python analysis (DAG rules)

Recorded in `bench/runs/{out.name}/` by `bash bench/python.sh` ({env.splitlines()[2].split(': ', 1)[1]}, {env.splitlines()[3].split(': ', 1)[1]}, {env.splitlines()[5].split(': ', 1)[1]}).

| measurement | median | bar | result |
|---|---|---|---|
| `airseal scan C1 --ignore DAG` (credential rules only; the Python analyzer is not built) | {key*1000:.1f} ms | | |
| `airseal scan C1` (credential and DAG rules) | {full*1000:.1f} ms | DAG rules add ≤ 50% | **+{added:.0f}%** — {'met' if added <= 50 else 'NOT met'} |
| `airseal scan --select DAG` on C1's {py_files} `.py` files ({py_bytes/1e6:.1f} MB) | {ours*1000:.1f} ms | | |
| `bandit -r -t B105,B106,B107` on the same files | {theirs:.1f} s | airseal ≥ 20× faster | **{speedup:.0f}×** — {'met' if speedup >= 20 else 'NOT met'} |

Findings on the `.py` tree: airseal {dag_findings} (DAG rules), bandit {len(bandit_results)} ({', '.join(f'{k} {v}' for k, v in by_test.items())}). Commands, exactly:

```
{chr(10).join(l for l in env.splitlines() if l.startswith('cmd_'))}
```

Both tools read the same tree of hard links to C1's `.py` files; airseal parses only the files in
which a keyword prefilter finds something a DAG rule looks for (a credential word, `Variable`,
`Connection(`, `environ`, a URI with a password), with Ruff's parser; bandit parses every file
with Python's `ast`.
"""
(out / "summary.md").write_text(summary)
print(summary)
if write_doc:
    text = doc.read_text()
    begin, end = "<!-- BEGIN python: generated by bench/python.sh --write-doc -->", "<!-- END python -->"
    block = f"{begin}\n{summary}{end}\n"
    pattern = re.compile(re.escape("<!-- BEGIN python") + r".*?" + re.escape(end) + r"\n?", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    doc.write_text(text)
    print(f"wrote {doc}")
EOF
