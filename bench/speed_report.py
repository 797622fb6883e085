#!/usr/bin/env python3
"""Helpers for bench/run.sh (the speed benchmark).

    speed_report.py keywords RULES_DIR           print the union of all rule keywords, lowercased,
                                                 one per line (needs PyYAML)
    speed_report.py counts RAW_DIR               print result counts (what each tool found) as JSON,
                                                 from the tools' outputs (airseal.json,
                                                 rg-stats.txt, detect-secrets.json, bandit.json)
    speed_report.py report RUN_DIR               write RUN_DIR/summary.md and print the medians,
                                                 ratios and whether each bar passes
    speed_report.py doc RUN_DIR DOC              copy RUN_DIR/summary.md into DOC (docs/benchmarks.md)
                                                 between its "results" markers

RUN_DIR (bench/runs/<id>/) is what run.sh records: hyperfine exports (*.hyperfine.json),
`/usr/bin/time -v` logs (*.time), counts.json and env.json (commands, versions, machine facts);
`report` needs nothing else, so a recorded run's summary can be regenerated.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path

# The bars, from the issue.
MAX_RATIO_TO_RG = 3.0  # airseal median <= 3x ripgrep's
MIN_SPEEDUP_OVER_DS = 100.0  # airseal >= 100x faster than detect-secrets
MAX_RSS_MB = 200.0  # peak RSS <= 200 MB (decimal megabytes: the stricter reading)


def keywords(rules_dir: str) -> None:
    import yaml  # noqa: PLC0415 - only this subcommand needs PyYAML

    found: set[str] = set()
    files = sorted(Path(rules_dir).glob("*.yml"))
    if not files:
        sys.exit(f"no *.yml rule files in {rules_dir}")
    for path in files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule in doc.get("rules") or []:
            for keyword in rule.get("keywords") or []:
                found.add(str(keyword).lower())
    for keyword in sorted(found):
        print(keyword)


def _load_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def counts(run_dir: Path) -> dict:
    out: dict = {}

    airseal = _load_json(run_dir / "airseal.json")
    if airseal is not None:
        summary = airseal["summary"]
        by_rule: dict[str, int] = {}
        for finding in airseal["findings"]:
            by_rule[finding["code"]] = by_rule.get(finding["code"], 0) + 1
        out["airseal"] = {
            "findings": summary["findings"],
            "by_severity": {k: v for k, v in summary["by_severity"].items() if v},
            "by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
            "files_with_findings": len({f["path"] for f in airseal["findings"]}),
            "files_scanned": summary["files_scanned"],
            "skipped_binary": summary["skipped"]["binary"],
            "skipped_too_large": summary["skipped"]["too_large"],
            "bytes_scanned": summary["bytes_scanned"],
            "warnings": summary["warnings"],
        }

    stats_path = run_dir / "rg-stats.txt"
    if stats_path.exists():
        text = stats_path.read_text(encoding="utf-8", errors="replace")

        def stat(label: str) -> int | None:
            m = re.search(rf"^(\d+) {label}$", text, re.M)
            return int(m.group(1)) if m else None

        out["rg"] = {
            "matches": stat("matches"),
            "matched_lines": stat("matched lines"),
            "files_with_matches": stat("files contained matches"),
            "files_searched": stat("files searched"),
            "bytes_searched": stat("bytes searched"),
        }

    ds = _load_json(run_dir / "detect-secrets.json")
    if ds is not None:
        by_type: dict[str, int] = {}
        for secrets in ds["results"].values():
            for secret in secrets:
                by_type[secret["type"]] = by_type.get(secret["type"], 0) + 1
        out["detect-secrets"] = {
            "results": sum(by_type.values()),
            "files_with_results": len(ds["results"]),
            "by_type": dict(sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))),
        }

    bandit = _load_json(run_dir / "bandit.json")
    if bandit is not None:
        results = bandit.get("results", [])
        hardcoded = [r for r in results if r.get("test_id") in ("B105", "B106", "B107")]
        totals = bandit.get("metrics", {}).get("_totals", {})
        out["bandit"] = {
            "results": len(results),
            "hardcoded_password_results_B105_B106_B107": len(hardcoded),
            "errors": len(bandit.get("errors", [])),
            "loc": totals.get("loc"),
        }
    return out


def _peak_rss_kb(path: Path) -> int | None:
    """Largest 'Maximum resident set size' in a `/usr/bin/time -v` log (KiB)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    values = [int(v) for v in re.findall(r"Maximum resident set size \(kbytes\): (\d+)", text)]
    return max(values) if values else None


def _hyperfine(run_dir: Path) -> dict[str, dict]:
    """name -> {median, min, max, mean, stddev, runs, command} in seconds, over every export."""
    results: dict[str, dict] = {}
    for path in sorted(run_dir.glob("*.hyperfine.json")):
        for r in json.loads(path.read_text(encoding="utf-8"))["results"]:
            times = r["times"]
            results[r["command"]] = {
                "median": statistics.median(times),
                "min": min(times),
                "max": max(times),
                "mean": statistics.fmean(times),
                "stddev": statistics.stdev(times) if len(times) > 1 else 0.0,
                "runs": len(times),
                "export": path.name,
            }
    return results


def _fmt_time(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _fmt_mb(kb: int | None) -> str:
    return "n/a" if kb is None else f"{kb * 1024 / 1e6:.1f} MB"


def report(run_dir: Path) -> int:
    env = json.loads((run_dir / "env.json").read_text(encoding="utf-8"))
    times = _hyperfine(run_dir)
    found = json.loads((run_dir / "counts.json").read_text(encoding="utf-8"))

    # Benchmark names (hyperfine -n) -> the keys used below.
    rss = {
        name: _peak_rss_kb(run_dir / f"{name}.time")
        for name in ("airseal", "rg", "detect-secrets", "bandit", "airseal-1thread", "rg-1thread")
    }

    def median(name: str) -> float | None:
        return times[name]["median"] if name in times else None

    a, r, d = median("airseal"), median("rg"), median("detect-secrets")
    bars = []
    if a is not None and r is not None:
        ratio = a / r
        bars.append(
            (
                f"airseal median <= {MAX_RATIO_TO_RG:g}x ripgrep's",
                f"airseal/rg = {ratio:.2f}x",
                ratio <= MAX_RATIO_TO_RG,
            )
        )
    if a is not None and d is not None:
        speedup = d / a
        bars.append(
            (
                f"airseal >= {MIN_SPEEDUP_OVER_DS:g}x faster than detect-secrets",
                f"detect-secrets/airseal = {speedup:.0f}x",
                speedup >= MIN_SPEEDUP_OVER_DS,
            )
        )
    if rss["airseal"] is not None:
        mb = rss["airseal"] * 1024 / 1e6
        bars.append(
            (f"airseal peak RSS <= {MAX_RSS_MB:g} MB", f"{mb:.1f} MB", mb <= MAX_RSS_MB)
        )

    lines: list[str] = []
    w = lines.append
    w(f"# Speed benchmark run {run_dir.name}")
    w("")
    w(f"- date (UTC): {env['date']}")
    w(f"- airseal commit: `{env['git_sha']}`{' (working tree had uncommitted changes)' if env['git_dirty'] else ''}")
    label = "corpus C1" if env.get("is_c1", True) else "corpus (not C1: the bars are about C1)"
    w(f"- {label}: `{env['corpus']}` ({env['corpus_files']} files, {env['corpus_bytes']:,} bytes)")
    w(f"- rules: {env['rules']} built-in rules, {env['keywords']} distinct keywords (from {env['keywords_source']})")
    w(f"- machine: {env['cpu']}, {env['nproc']} cores, {env['mem_gb']} GB RAM, Linux {env['kernel']}")
    w(f"- load average before / after: {env['load_before']} / {env.get('load_after', 'n/a')}")
    if env.get("busy"):
        w(f"- **machine was busy**: {env['busy']}")
    w("- page cache: warm (hyperfine warm-up runs precede every measured series)")
    w("")
    w("## Bars")
    w("")
    w("| bar | measured | result |")
    w("|---|---|---|")
    for bar, measured, ok in bars:
        w(f"| {bar} | {measured} | {'PASS' if ok else 'FAIL'} |")
    w("")
    w("## Wall time")
    w("")
    w("| tool | median | min | max | mean ± σ | runs | median / airseal | peak RSS |")
    w("|---|---|---|---|---|---|---|---|")
    order = ["airseal", "rg", "airseal-1thread", "rg-1thread", "detect-secrets", "bandit"]
    for name in order + sorted(set(times) - set(order)):
        if name not in times:
            continue
        t = times[name]
        rel = f"{t['median'] / a:.2f}x" if a else "n/a"
        w(
            f"| {name} | {_fmt_time(t['median'])} | {_fmt_time(t['min'])} | {_fmt_time(t['max'])} "
            f"| {_fmt_time(t['mean'])} ± {_fmt_time(t['stddev'])} | {t['runs']} | {rel} "
            f"| {_fmt_mb(rss.get(name))} |"
        )
    w("")
    w("## Result counts")
    w("")
    if "airseal" in found:
        c = found["airseal"]
        sev = ", ".join(f"{k} {v}" for k, v in c["by_severity"].items()) or "none"
        rules = ", ".join(f"{k} {v}" for k, v in c["by_rule"].items()) or "none"
        w(
            f"- airseal: **{c['findings']} findings** in {c['files_with_findings']} file(s) ({sev}); "
            f"by rule: {rules}. Scanned {c['files_scanned']} files + {c['skipped_binary']} skipped "
            f"as binary, {c['bytes_scanned']:,} bytes; {c['warnings']} warnings."
        )
    if "rg" in found:
        c = found["rg"]
        w(
            f"- rg: **{c['matches']} keyword matches** on {c['matched_lines']} lines in "
            f"{c['files_with_matches']} files; searched {c['files_searched']} files, "
            f"{c['bytes_searched']:,} bytes."
        )
    if "airseal" in found and "rg" in found:
        same = found["airseal"]["bytes_scanned"] == found["rg"]["bytes_searched"]
        w(
            f"- same input: airseal read {found['airseal']['bytes_scanned']:,} bytes of text, rg "
            f"{found['rg']['bytes_searched']:,} bytes — "
            + ("identical." if same else "**they differ: the file sets do not match**.")
        )
    if "detect-secrets" in found:
        c = found["detect-secrets"]
        types = ", ".join(f"{k} {v}" for k, v in c["by_type"].items())
        w(
            f"- detect-secrets: **{c['results']} results** in {c['files_with_results']} files "
            f"({types})."
        )
    if "bandit" in found:
        c = found["bandit"]
        w(
            f"- bandit: **{c['results']} results** ({c['hardcoded_password_results_B105_B106_B107']} "
            f"hard-coded-password results B105/B106/B107), {c['errors']} files it could not parse, "
            f"{c['loc']} lines of code."
        )
    w("")
    w("## Commands")
    w("")
    w("```sh")
    for what, harness in env["harness"].items():
        w(f"# {what}: {harness}")
    for name, command in env["commands"].items():
        w(f"# {name}")
        w(command)
    w("```")
    w("")
    w("## Versions")
    w("")
    w("| tool | version |")
    w("|---|---|")
    for tool, version in env["versions"].items():
        w(f"| {tool} | {version} |")
    w("")
    text = "\n".join(lines)
    (run_dir / "summary.md").write_text(text, encoding="utf-8")

    # Console: the essentials.
    print()
    print(f"== speed benchmark {run_dir.name} ==")
    for name in order:
        if name in times:
            t = times[name]
            print(
                f"  {name:16} median {_fmt_time(t['median']):>10}  "
                f"[{_fmt_time(t['min'])} .. {_fmt_time(t['max'])}]  "
                f"runs {t['runs']:>2}  peak RSS {_fmt_mb(rss.get(name))}"
            )
    for tool, c in found.items():
        main = {k: v for k, v in c.items() if not isinstance(v, dict)}
        print(f"  counts {tool}: {main}")
    ok_all = True
    for bar, measured, ok in bars:
        ok_all &= ok
        print(f"  {'PASS' if ok else 'FAIL'}  {bar}: {measured}")
    print(f"  summary: {run_dir / 'summary.md'}")
    return 0 if ok_all and len(bars) == 3 else 1


BEGIN = "<!-- BEGIN results: generated by bench/run.sh --write-doc; do not edit by hand -->"
END = "<!-- END results -->"


def doc(run_dir: Path, doc_path: Path) -> int:
    summary = (run_dir / "summary.md").read_text(encoding="utf-8").splitlines()
    body = [f"Run `{run_dir.name}`, recorded in [bench/runs/{run_dir.name}/](../bench/runs/{run_dir.name}/summary.md)."]
    for line in summary[1:]:  # drop the title
        body.append("#" + line if line.startswith("## ") else line)
    text = doc_path.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        sys.exit(f"{doc_path}: markers not found:\n{BEGIN}\n{END}")
    text = text[: start + len(BEGIN)] + "\n\n" + "\n".join(body).strip() + "\n\n" + text[end:]
    doc_path.write_text(text, encoding="utf-8")
    print(f"{doc_path}: results of {run_dir.name}")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[1] == "doc":
        return doc(Path(argv[2]), Path(argv[3]))
    if len(argv) != 3 or argv[1] not in ("keywords", "counts", "report"):
        sys.exit(__doc__)
    if argv[1] == "keywords":
        keywords(argv[2])
        return 0
    if argv[1] == "counts":
        print(json.dumps(counts(Path(argv[2])), indent=2))
        return 0
    return report(Path(argv[2]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
