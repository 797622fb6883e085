#!/usr/bin/env python3
"""Precision and recall of airseal's deployment rules (HLM###, KUB###, CFG###) on the shared
Helm corpus (../shared/corpus/helm: both Airflow charts' values.yaml and their samples).

Every finding of `airseal scan --select HLM,KUB,CFG` is matched by (file, line) against the hand
labels in bench/helm-truth.tsv: a labelled secret or setting is a true positive, anything else
a false positive; a labelled positive without a finding is a miss; a labelled negative with a
finding is counted separately (it is also a false positive). The generic credential rules
(KEY###) are reported alongside for comparison: what a chart-blind scanner finds on the same
files.

    python3 bench/helm_accuracy.py --write-doc

builds airseal unless --no-build, and with --write-doc rewrites the "helm-rules" section of
docs/accuracy.md (paths, lines, codes only: never a secret value). Exit 0 when precision and
recall are both 100% on the labelled corpus, 1 otherwise, 2 on an error.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

WORKSPACE = Path(__file__).resolve().parent.parent
CORPUS = WORKSPACE.parent / "shared" / "corpus" / "helm"
TRUTH = WORKSPACE / "bench" / "helm-truth.tsv"
SECTION = "helm-rules"


BINARY = WORKSPACE / "target" / "release" / "airseal"


def scan(select: str) -> list[dict]:
    binary = BINARY
    result = subprocess.run(
        [str(binary), "scan", "--quiet", "--format", "json", "--select", select, str(CORPUS)],
        text=True,
        capture_output=True,
        check=False,
    )
    if result.returncode not in (0, 1):
        sys.exit(f"airseal failed ({result.returncode}): {result.stderr}")
    return json.loads(result.stdout)["findings"]


def load_truth() -> dict[tuple[str, int], tuple[str, str]]:
    truth = {}
    for raw in TRUTH.read_text().splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        file, line, label, note = raw.split("\t")
        truth[(file, int(line))] = (label, note)
    return truth


def measure() -> dict:
    truth = load_truth()
    positives = {k for k, (label, _) in truth.items() if label in ("secret", "setting")}
    negatives = {k for k, (label, _) in truth.items() if label == "negative"}
    findings = scan("HLM,KUB,CFG")
    found = {}
    for f in findings:
        found.setdefault((f["path"], f["line"]), []).append(f["code"])
    tp = sorted(k for k in found if k in positives)
    fp = sorted(k for k in found if k not in positives)
    missed = sorted(positives - set(found))
    flagged_negatives = sorted(negatives & set(found))
    generic = scan("KEY")
    generic_lines = {(f["path"], f["line"]) for f in generic}
    return {
        "files": len([p for p in CORPUS.rglob("*.yaml")]),
        "positives": len(positives),
        "negatives": len(negatives),
        "findings": len(findings),
        "tp": tp,
        "fp": [(k, found[k]) for k in fp],
        "missed": [(k, truth[k][1]) for k in missed],
        "flagged_negatives": flagged_negatives,
        "by_code": sorted({c for codes in found.values() for c in codes}),
        "codes_at": {f"{k[0]}:{k[1]}": v for k, v in found.items()},
        "generic_tp": len(generic_lines & positives),
        "generic_fp": len(generic_lines - positives),
        "truth": truth,
    }


def render(m: dict) -> str:
    tp, fp, missed = len(m["tp"]), len(m["fp"]), len(m["missed"])
    precision = 100.0 * tp / (tp + fp) if tp + fp else 100.0
    recall = 100.0 * tp / (tp + missed) if tp + missed else 100.0
    gp = m["generic_tp"]
    gprec = 100.0 * gp / (gp + m["generic_fp"]) if gp + m["generic_fp"] else 0.0
    grec = 100.0 * gp / m["positives"] if m["positives"] else 0.0
    out = [
        "## Deployment rules on the shared Helm corpus\n",
        "Corpus: `../shared/corpus/helm` — both Airflow charts' own values.yaml (User-Community 8.x,",
        "official chart for Airflow 2.7.3 and 3.1.3) and the User-Community chart's samples and CI",
        f"values, {m['files']} files. Labels: `bench/helm-truth.tsv` ({m['positives']} positives — plain-text",
        f"secrets and secret-exposing settings — and {m['negatives']} labelled negatives: empty values,",
        "Secret names, paths, placeholders, template expressions). Command:",
        "`python3 bench/helm_accuracy.py --write-doc` (runs `airseal scan --select HLM,KUB,CFG`).\n",
        "| rules | true positives | false positives | missed | precision | recall |",
        "|---|---|---|---|---|---|",
        f"| HLM, KUB, CFG | {tp} | {fp} | {missed} | {precision:.1f}% | {recall:.1f}% |",
        f"| KEY (the chart-blind credential rules, for comparison) | {gp} | {m['generic_fp']} | {m['positives'] - gp} | {gprec:.1f}% | {grec:.1f}% |",
        "",
        f"Labelled negatives reported: {len(m['flagged_negatives'])} of {m['negatives']}.",
        "",
        "What this corpus can and cannot show: its positives are the charts' public defaults (24 of",
        "them: the fixed fernet key, `THIS IS UNSAFE!`, admin/admin, the bundled databases'",
        "passwords) and one `expose_config`. The chart-blind credential rules find the defaults by",
        "their key names too, but also report Secret *names* (`passwordSecret: \"...-credentials\"`)",
        "and example URIs in comments, and cannot say which key is unused or what replaces it.",
        "In a full scan the HLM finding replaces the KEY one on the same value. Real secrets at every other",
        "key (connections, `extraSecrets`, `webserverConfig`, manifests) are covered by one fixture",
        "per rule in `crates/airseal_deployment/tests/fixtures/`, not by this measurement.\n",
        "Per line (finding codes):\n",
        "| file | line | label | codes |",
        "|---|---|---|---|",
    ]
    for (file, line), (label, _) in sorted(m["truth"].items()):
        codes = ", ".join(m["codes_at"].get(f"{file}:{line}", [])) or "—"
        out.append(f"| `{file}` | {line} | {label} | {codes} |")
    for (file, line), codes in m["fp"]:
        if (file, line) not in m["truth"]:
            out.append(f"| `{file}` | {line} | unlabelled (false positive) | {', '.join(codes)} |")
    return "\n".join(out) + "\n"


def write_section(doc: Path, name: str, text: str) -> None:
    begin = f"<!-- BEGIN {name}: generated by bench/helm_accuracy.py --write-doc; do not edit by hand -->"
    end = f"<!-- END {name} -->"
    current = doc.read_text() if doc.exists() else ""
    block = f"{begin}\n{text}{end}\n"
    pattern = re.compile(re.escape(f"<!-- BEGIN {name}") + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _: block, current)
    else:
        current = current.rstrip("\n") + "\n\n" + block
    doc.write_text(current)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--binary", type=Path, help="airseal binary to run (implies --no-build)")
    args = parser.parse_args()
    global BINARY
    if args.binary:
        BINARY = args.binary.resolve()
        args.no_build = True
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 2
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "airseal"], cwd=WORKSPACE, check=True)
    m = measure()
    text = render(m)
    print(text)
    if args.write_doc:
        write_section(WORKSPACE / "docs" / "accuracy.md", SECTION, text)
    return 0 if not m["fp"] and not m["missed"] else 1


if __name__ == "__main__":
    sys.exit(main())
