#!/usr/bin/env bash
# CloudTrail benchmark: `airseal watch cloudtrail` over a ≥ 1 GB synthetic CloudTrail tree, next
# to jq running the simplest of the detections (failed Secrets Manager / SSM / KMS calls).
#
#   bash bench/watch.sh [--runs R] [--warmup W] [--no-build] [--no-single] [--write-doc]
#
#   --runs R      hyperfine measured runs per command (default 5)
#   --warmup W    hyperfine warm-up runs per command (default 1)
#   --no-build    use target/release/airseal as it is
#   --no-single   skip the 2 GB single-file run
#   --write-doc   replace the "watch" block of docs/benchmarks.md with the results
#
# The trees (bench/cloudtrail-corpus.py, seeded): the Stratus Red Team capture in
# ../shared/corpus/cloudtrail (2,900 events) replicated with fresh event ids and times until
# the JSON is 1.1 GB, laid out as CloudTrail delivers to S3, once as .json.gz (as delivered) and
# once as plain .json; and one 2.1 GB single `{"Records": [...]}` file (streamed by airseal).
# Measured with hyperfine: airseal with Airflow's default prefixes (the capture holds no
# Airflow secret: the cost of reading) and with the capture's own prefixes (every detection at
# work: 180,000 calls on "Airflow's" secrets, 17,000 alerts); jq with two processes (xargs -P2,
# faster than one on this 2-core machine). Peak RSS from one /usr/bin/time -v run each.
# Results go to bench/runs/<date>-<sha>-watch/ (hyperfine exports, time files, summary.md).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5 warmup=1 build=1 single=1 write_doc=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --no-single) single=0; shift ;;
    --write-doc) write_doc=1; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "watch.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
log() { echo "watch.sh: $*" >&2; }

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v jq >/dev/null || need+=(jq)
[[ -x /usr/bin/time ]] || need+=(time)
if [[ ${#need[@]} -gt 0 ]]; then
  log "installing ${need[*]} from Debian"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [[ $build == 1 ]]; then
  log "cargo build --release -p airseal"
  cargo build --release --quiet -p airseal
fi
airseal="$PWD/target/release/airseal"
[[ -x "$airseal" ]] || { log "no $airseal: build it (cargo build --release -p airseal)"; exit 2; }

# Wait for other builds to finish: two cores are easily taken.
deadline=$(( $(date +%s) + ${BENCH_WAIT_IDLE:-900} ))
while pgrep -x rustc >/dev/null || pgrep -x cargo >/dev/null; do
  [[ $(date +%s) -lt $deadline ]] || { log "rustc/cargo still running: measuring anyway"; break; }
  sleep 5
done

data="$HOME/.cache/airseal-bench"
gz="$data/cloudtrail-gz" json="$data/cloudtrail-json" big="$data/cloudtrail-single"
python3 bench/cloudtrail-corpus.py "$gz" --format gz >&2
python3 bench/cloudtrail-corpus.py "$json" --format json >&2
[[ $single == 1 ]] && python3 bench/cloudtrail-corpus.py "$big" --format json --single-file --bytes 2100000000 >&2

sha="$(git rev-parse --short HEAD)"
id="$(date -u +%Y-%m-%dT%H%MZ)-$sha-watch"
out="bench/runs/$id"
mkdir -p "$out"
stratus=(--prefix stratus-red-team --prefix /credentials/stratus-red-team)

run() { # name, command...
  local name="$1"; shift
  printf '%s: %s\n' "$name" "$*" >>"$out/commands.txt"
  hyperfine -N --style basic --warmup "$warmup" --runs "$runs" -i \
    --export-json "$out/$name.hyperfine.json" --export-markdown "$out/$name.hyperfine.md" \
    --command-name "$name" "$*" >&2
  /usr/bin/time -v -o "$out/$name.time" "$@" >/dev/null 2>&1 || true
}
for mode in gz json; do
  tree="$gz"; [[ $mode == json ]] && tree="$json"
  run "airseal-$mode-airflow" "$airseal" watch cloudtrail "$tree" -f json -o "$out/airseal-$mode-airflow.out.json"
  run "airseal-$mode-stratus" "$airseal" watch cloudtrail "$tree" "${stratus[@]}" -f json -o "/tmp/airseal-$mode-stratus.out.json"
  run "jq-$mode" bash bench/jq-baseline.sh "$tree" "$mode" 2
done
if [[ $single == 1 ]]; then
  file="$(find "$big" -name '*.json' -size +1G | head -1)"
  printf '%s: %s\n' airseal-single "$airseal watch cloudtrail $file -f json" >>"$out/commands.txt"
  # Warm, as the tree runs are (hyperfine's warm-up): read it once, so the page cache holds it.
  cat "$file" >/dev/null
  /usr/bin/time -v -o "$out/airseal-single.time" "$airseal" watch cloudtrail "$file" -f json -o "$out/airseal-single.out.json" || true
  # Not jq: jq 1.6 holds a whole document in memory, many times its 2 GB on disk.
fi
# The alerts themselves stay out of the repository (17,000 of them); their counts go in.
python3 - "$out" "$airseal" "$gz" "$json" "$big" "$single" "$write_doc" "$runs" "$warmup" <<'EOF'
import json, os, platform, re, subprocess, sys
out, airseal, gz, jsn, big, single, write_doc, runs, warmup = sys.argv[1:]
def median(name):
    with open(f"{out}/{name}.hyperfine.json") as f:
        r = json.load(f)["results"][0]
    return r["median"], r["min"], r["max"], r["command"]
def rss(name):
    try:
        text = open(f"{out}/{name}.time").read()
    except FileNotFoundError:
        return None, None
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    parts = [float(p) for p in wall.split(":")]
    seconds = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
    return kb / 1024, seconds
complete = json.load(open(os.path.join(gz, ".complete")))
events = complete.get("summary", complete).get("events") or complete.get("events")
def summary(name):
    path = f"{out}/{name}.out.json" if os.path.exists(f"{out}/{name}.out.json") else f"/tmp/{name}.out.json"
    with open(path) as f:
        return json.load(f)["summary"]
rows, bars = [], []
for mode in ("gz", "json"):
    jq_med = median(f"jq-{mode}")[0]
    for scope in ("airflow", "stratus"):
        name = f"airseal-{mode}-{scope}"
        med, lo, hi, command = median(name)
        mb, _ = rss(name)
        s = summary(name)
        assert s["records"] == events, (name, s["records"], events)
        rows.append((name, med, lo, hi, events / med, jq_med / med, mb, s["findings"], command))
    med, lo, hi, command = median(f"jq-{mode}")
    mb, _ = rss(f"jq-{mode}")
    rows.append((f"jq-{mode}", med, lo, hi, events / med, 1.0, mb, None, command))
lines = ["| command | median s | min–max s | events/s | × jq | peak RSS MB | findings |", "|---|---|---|---|---|---|---|"]
for name, med, lo, hi, eps, ratio, mb, findings, _ in rows:
    lines.append(f"| `{name}` | {med:.2f} | {lo:.2f}–{hi:.2f} | {eps:,.0f} | {ratio:.1f} | {mb:.0f} | {'' if findings is None else findings} |")
single_line = ""
if single == "1" and os.path.exists(f"{out}/airseal-single.time"):
    mb, sec = rss("airseal-single")
    s = json.load(open(f"{out}/airseal-single.out.json"))["summary"]
    size = s["bytes_on_disk"]
    single_line = (f"Single file of {size:,} bytes ({s['records']:,} records, streamed in 16 MiB chunks): airseal {sec:.1f} s "
                   f"({s['records'] / sec:,.0f} events/s, one core: one file is one stream), peak RSS {mb:.0f} MB, {s['warnings']} warning(s) "
                   "(clock skew: the generator names the file for its first hour, its records span 300). "
                   "jq is not run on it: jq 1.6 holds the whole document in memory.")
versions = {
    "airseal": subprocess.run([airseal, "--version"], capture_output=True, text=True).stdout.strip(),
    "jq": subprocess.run(["jq", "--version"], capture_output=True, text=True).stdout.strip(),
    "hyperfine": subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.strip(),
    "python": platform.python_version(),
    "machine": f"{os.cpu_count()} cores, {platform.machine()}, {platform.release()}",
}
commands = open(f"{out}/commands.txt").read().rstrip().replace(os.path.expanduser("~"), "~")
tree_line = (f"Trees: {complete.get('summary', complete).get('files', '?'):,} files, {events:,} events, "
             f"1,100,161,086 bytes of JSON (gz tree: {sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(gz) for f in fs if f.endswith('.gz')):,} bytes on disk).")
text = "\n".join([
    f"Run `{os.path.basename(out)}` ({runs} runs after {warmup} warm-up per command, hyperfine `-N`).", "",
    tree_line, "", *lines, "", single_line, "",
    "Versions: " + "; ".join(f"{k} {v}" for k, v in versions.items()), "",
    "Commands:", "```", commands, "```",
])
open(f"{out}/summary.md", "w").write(text + "\n")
print(text)
if write_doc == "1":
    doc = open("docs/benchmarks.md").read()
    begin, end = "<!-- BEGIN watch: generated by bench/watch.sh --write-doc -->", "<!-- END watch -->"
    block = f"{begin}\n{text}\n{end}"
    if begin in doc:
        doc = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, doc, flags=re.S)
    else:
        doc += "\n" + block + "\n"
    open("docs/benchmarks.md", "w").write(doc)
EOF
