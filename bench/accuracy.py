#!/usr/bin/env python3
"""Measure airseal's accuracy on the examples of Nosey Parker's and Kingfisher's rule files.

The bar: on the `examples` (positives) of every external rule whose credential kind airseal
covers, airseal reports a finding in >= 90% of them; on the `negative_examples` of every
external rule (covered or not), airseal reports a finding in <= 2% of them.

Neither project's files are copied into this repository: the script reads their rule files at
run time from a git directory (bare or not) or a checkout given on the command line, and records
the commit it read.

Run it from the workspace root:

    git clone --bare https://github.com/praetorian-inc/noseyparker /tmp/noseyparker.git
    git clone --bare https://github.com/mongodb/kingfisher /tmp/kingfisher.git
    python3 -m venv /tmp/acc-venv && /tmp/acc-venv/bin/pip install pyyaml==6.0.2
    /tmp/acc-venv/bin/python bench/accuracy.py \
        --noseyparker /tmp/noseyparker.git --kingfisher /tmp/kingfisher.git --write-doc

(Any python3 >= 3.11 with PyYAML will do.) The script builds the scanner with
`cargo build --release -p airseal` unless given --no-build, writes each example to its own file
in a temporary directory (`pos/<repo>/<rule-id>/<n>.txt`, `neg/<repo>/<rule-id>/<n>.txt`, where
<n> is the example's 0-based index in the rule's list), and runs
`target/release/airseal scan <tmp> --format jsonl --quiet --no-ignore` once over all of them.

Which external rules airseal covers is declared in bench/accuracy-kinds.toml:

    [[kind]]
    airseal = ["KEY001"]                 # airseal rule codes for one credential kind
    noseyparker = ["np.aws.1"]           # external rule ids (their `id:` fields)
    kingfisher = ["kingfisher.aws.1"]

Counting:
  * a positive (an example of a covered rule) is detected when airseal reports ANY finding in
    its file; the stricter figure counts it only when one of the mapped codes fired;
  * a negative (a negative example of any rule; Nosey Parker's one `non_examples` list counts
    too) is flagged when airseal reports any finding at all in its file;
  * examples of rules airseal does not cover are not positives; they are listed as not covered.

Output: a summary on stdout; with --write-doc, docs/accuracy.md (rule ids and example indexes
only, never the example text); with --json FILE, every per-example result as JSON.
Exit status: 0 when both bars are met, 1 when one is missed, 2 on an error.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover - depends on the environment
    sys.exit(
        "accuracy.py needs PyYAML: python3 -m venv /tmp/acc-venv && "
        "/tmp/acc-venv/bin/pip install pyyaml==6.0.2, then run it with /tmp/acc-venv/bin/python"
    )

WORKSPACE = Path(__file__).resolve().parent.parent
POSITIVE_BAR = 90.0
NEGATIVE_BAR = 2.0

REPOS = {
    # key: (label, default location, rules directory inside the repository)
    "noseyparker": (
        "Nosey Parker",
        "/work/.mirror/praetorian-inc+noseyparker/repo",
        "crates/noseyparker/data/default/builtin/rules",
        "https://github.com/praetorian-inc/noseyparker",
    ),
    "kingfisher": (
        "Kingfisher",
        "/work/.mirror/mongodb+kingfisher/repo",
        "data/rules",
        "https://github.com/mongodb/kingfisher",
    ),
}
SHORT = {"noseyparker": "np", "kingfisher": "kf"}
FROM_SHORT = {v: k for k, v in SHORT.items()}


class Failure(Exception):
    """An error that ends the run with exit status 2."""


# ----------------------------------------------------------------------------------------------
# External rules


@dataclass
class ExternalRule:
    repo: str  # "noseyparker" | "kingfisher"
    id: str
    key: str  # unique within the repo; the id, or id@file-stem when ids repeat
    name: str
    file: str
    examples: list[str]
    negatives: list[str]
    expected: list[str] = field(default_factory=list)  # airseal codes mapped to this rule


class RuleSource:
    """Rule files from a checkout (read from disk) or a git directory (read at a revision)."""

    def __init__(self, repo: str, location: str, rev: str):
        self.repo = repo
        label, _, subdir, url = REPOS[repo]
        self.label, self.subdir, self.url = label, subdir, url
        self.location = Path(location)
        self.rev = rev
        if not self.location.exists():
            raise Failure(f"{label}: {location} does not exist (pass --{repo} DIR)")
        self.on_disk = rev == "HEAD" and (self.location / subdir).is_dir()
        self.commit = self._commit()

    def _git(self, *args: str) -> str:
        proc = subprocess.run(
            ["git", "-C", str(self.location), *args], capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise Failure(f"{self.label}: git {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout

    def _commit(self) -> str:
        try:
            return self._git("rev-parse", f"{self.rev}^{{commit}}").strip()
        except Failure:
            if self.on_disk:
                return "unknown (not a git checkout)"
            raise

    def files(self) -> list[tuple[str, str]]:
        if self.on_disk:
            root = self.location / self.subdir
            paths = sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml"))
            return [
                (f"{self.subdir}/{p.relative_to(root).as_posix()}", p.read_text("utf-8"))
                for p in paths
            ]
        names = self._git("ls-tree", "-r", "--name-only", self.commit, "--", self.subdir)
        out = []
        for name in sorted(names.split("\n")):
            if name.endswith((".yml", ".yaml")):
                out.append((name, self._git("show", f"{self.commit}:{name}")))
        return out

    def rules(self) -> list[ExternalRule]:
        found: list[ExternalRule] = []
        for path, text in self.files():
            document = yaml.safe_load(text)
            if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
                raise Failure(f"{self.label}: {path}: no top-level `rules` list")
            for raw in document["rules"]:
                if not isinstance(raw, dict) or "id" not in raw:
                    raise Failure(f"{self.label}: {path}: a rule without an `id`")
                negatives = list(raw.get("negative_examples") or [])
                # Nosey Parker's grafana.yml spells one list `non_examples`; it means the same.
                negatives += list(raw.get("non_examples") or [])
                found.append(
                    ExternalRule(
                        repo=self.repo,
                        id=str(raw["id"]),
                        key=str(raw["id"]),
                        name=str(raw.get("name", "")),
                        file=path,
                        examples=[str(e) for e in raw.get("examples") or []],
                        negatives=[str(e) for e in negatives],
                    )
                )
        # Kingfisher reuses a few ids across files (e.g. kingfisher.restpack.1 three times);
        # keep every rule and tell them apart by file.
        counts = collections.Counter(r.id for r in found)
        for rule in found:
            if counts[rule.id] > 1:
                rule.key = f"{rule.id}@{Path(rule.file).stem}"
        return found


# ----------------------------------------------------------------------------------------------
# The mapping


@dataclass
class Kind:
    index: int
    airseal: list[str]
    external: dict[str, list[str]]
    note: str


def load_notes(path: Path, table: str) -> dict[str, str]:
    """`[negative_note]` / `[positive_note]`: "<rule-id>#<n>" = what the example is, or why
    airseal flags (misses) it. Shown next to the flagged negatives (missed positives)."""
    notes = tomllib.loads(path.read_text("utf-8")).get(table, {})
    return {str(k): str(v) for k, v in notes.items()}


def load_kinds(path: Path) -> list[Kind]:
    try:
        document = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise Failure(f"{path}: {error}") from error
    unknown_top = set(document) - {"kind", "negative_note", "positive_note"}
    if unknown_top:
        raise Failure(f"{path}: unknown top-level keys {sorted(unknown_top)}")
    kinds = []
    for i, entry in enumerate(document.get("kind", [])):
        unknown = set(entry) - {"airseal", "noseyparker", "kingfisher", "note"}
        if unknown:
            raise Failure(f"{path}: kind #{i + 1}: unknown keys {sorted(unknown)}")
        codes = entry.get("airseal")
        if not codes or not all(isinstance(c, str) for c in codes):
            raise Failure(f"{path}: kind #{i + 1}: `airseal` must be a non-empty list of codes")
        external = {repo: list(entry.get(repo, [])) for repo in REPOS}
        kinds.append(Kind(i + 1, list(codes), external, str(entry.get("note", ""))))
    return kinds


# ----------------------------------------------------------------------------------------------
# airseal


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def airseal_rules(binary: Path) -> dict[str, dict]:
    proc = run([str(binary), "rules", "--format", "json"], cwd=tempfile.gettempdir())
    if proc.returncode != 0:
        raise Failure(f"airseal rules --format json failed: {proc.stderr.strip()}")
    return {r["code"]: r for r in json.loads(proc.stdout)}


def workspace_revision() -> str:
    head = run(["git", "-C", str(WORKSPACE), "rev-parse", "--short=12", "HEAD"])
    if head.returncode != 0:
        return "unknown"
    dirty = run(["git", "-C", str(WORKSPACE), "status", "--porcelain", "--", "crates"])
    return head.stdout.strip() + ("+uncommitted changes" if dirty.stdout.strip() else "")


EXAMPLE_PATH = re.compile(r"(?:^|/)(pos|neg)/(np|kf)/([^/]+)/(\d+)\.txt$")


def scan(binary: Path, root: Path) -> tuple[dict[tuple, list[str]], list[str]]:
    """Runs airseal once; returns {(pos|neg, repo, rule key, n): [codes]} and the command."""
    # An empty configuration outside the scanned tree: defaults, whatever lies above /tmp.
    config = root.parent / "airseal.toml"
    config.write_text("", "utf-8")
    cmd = [
        str(binary), "scan", str(root), "--format", "jsonl", "--quiet", "--no-ignore",
        "--config", str(config),
    ]
    proc = run(cmd)
    if proc.returncode not in (0, 1):  # 1 only says there were findings
        raise Failure(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")
    hits: dict[tuple, list[str]] = collections.defaultdict(list)
    for line in proc.stdout.splitlines():
        if not line.strip():
            continue
        finding = json.loads(line)
        match = EXAMPLE_PATH.search(finding["path"].replace("\\", "/"))
        if not match:
            raise Failure(f"a finding in an unexpected file: {finding['path']}")
        sign, short, key, n = match.groups()
        hits[(sign, FROM_SHORT[short], key, int(n))].append(finding["code"])
    return hits, cmd


# ----------------------------------------------------------------------------------------------
# Evaluation


def pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"


@dataclass
class Result:
    kind: str  # "pos" | "neg"
    rule: ExternalRule
    index: int
    codes: list[str]  # airseal codes that fired in the file (sorted, unique)

    @property
    def flagged(self) -> bool:
        return bool(self.codes)

    @property
    def strict(self) -> bool:
        return any(c in self.rule.expected for c in self.codes)


def evaluate(rules, kinds, known_codes, lenient):
    by_repo_id: dict[tuple[str, str], list[ExternalRule]] = collections.defaultdict(list)
    for rule in rules:
        by_repo_id[(rule.repo, rule.id)].append(rule)
    problems = []
    for kind in kinds:
        codes = []
        for code in kind.airseal:
            if code in known_codes:
                codes.append(code)
            else:
                problems.append(f"kind #{kind.index}: airseal has no rule {code}")
        for repo, ids in kind.external.items():
            for rule_id in ids:
                matched = by_repo_id.get((repo, rule_id))
                if not matched:
                    problems.append(f"kind #{kind.index}: {REPOS[repo][0]} has no rule {rule_id}")
                    continue
                for rule in matched:
                    rule.expected = sorted(set(rule.expected) | set(codes))
    if problems and not lenient:
        raise Failure("bench/accuracy-kinds.toml:\n  " + "\n  ".join(problems))
    return problems


def write_examples(rules: list[ExternalRule], root: Path) -> None:
    for rule in rules:
        for sign, texts in (("pos", rule.examples), ("neg", rule.negatives)):
            if not texts:
                continue
            directory = root / sign / SHORT[rule.repo] / rule.key
            directory.mkdir(parents=True, exist_ok=True)
            for n, text in enumerate(texts):
                # Bytes as YAML gives them: no newline added, none translated.
                (directory / f"{n}.txt").write_bytes(text.encode("utf-8"))


# ----------------------------------------------------------------------------------------------
# Reporting


def summarize(results: list[Result], rules: list[ExternalRule]):
    repos = list(REPOS)
    stats = {}
    for scope in repos + ["all"]:
        in_scope = [r for r in results if scope == "all" or r.rule.repo == scope]
        pos = [r for r in in_scope if r.kind == "pos" and r.rule.expected]
        neg = [r for r in in_scope if r.kind == "neg"]
        uncovered_pos = [r for r in in_scope if r.kind == "pos" and not r.rule.expected]
        scoped_rules = [r for r in rules if scope == "all" or r.repo == scope]
        stats[scope] = {
            "rules": len(scoped_rules),
            "covered": sum(1 for r in scoped_rules if r.expected),
            "pos": len(pos),
            "detected": sum(r.flagged for r in pos),
            "strict": sum(r.strict for r in pos),
            "neg": len(neg),
            "flagged": sum(r.flagged for r in neg),
            "uncovered_pos": len(uncovered_pos),
            "uncovered_flagged": sum(r.flagged for r in uncovered_pos),
        }
    return stats


def kind_table(kinds, results, known_codes):
    rows = []
    for kind in kinds:
        codes = set(kind.airseal)
        pos = [
            r
            for r in results
            if r.kind == "pos"
            and r.rule.expected
            and r.rule.id in kind.external.get(r.rule.repo, [])
        ]
        detected = sum(r.flagged for r in pos)
        strict = sum(any(c in codes for c in r.codes) for r in pos)
        titles = "; ".join(
            f"{c} {known_codes[c].get('summary') or known_codes[c].get('name')}"
            if c in known_codes
            else f"{c} (missing)"
            for c in kind.airseal
        )
        ext = [i for repo in REPOS for i in kind.external.get(repo, [])]
        rows.append((kind, titles, ext, len(pos), detected, strict))
    return rows


def md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def write_section(doc: Path, text: str) -> None:
    """Replaces this script's section of the doc (the DAG rules' section, written by
    bench/dag_accuracy.py, stays)."""
    begin = "<!-- BEGIN credential-rules: generated by bench/accuracy.py --write-doc -->"
    end = "<!-- END credential-rules -->"
    current = doc.read_text("utf-8") if doc.exists() else ""
    block = f"{begin}\n{text}{end}\n"
    pattern = re.compile(re.escape("<!-- BEGIN credential-rules") + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _: block, current)
    else:
        current = current + ("\n" if current else "") + block
    doc.write_text(current, "utf-8")


def render_doc(ctx) -> str:
    s = ctx["stats"]
    a = s["all"]
    pos_ok = a["pos"] and 100.0 * a["detected"] / a["pos"] >= POSITIVE_BAR
    neg_ok = a["neg"] and 100.0 * a["flagged"] / a["neg"] <= NEGATIVE_BAR
    out = []
    w = out.append
    w("# Accuracy on Nosey Parker's and Kingfisher's rule examples\n")
    w(
        "<!-- Generated by bench/accuracy.py --write-doc; do not edit by hand. "
        "Rerun the command below after changing rules or bench/accuracy-kinds.toml. -->\n"
    )
    w(
        "The bar: on the `examples` of [Nosey Parker]'s and [Kingfisher]'s built-in rules of the "
        f"credential kinds airseal covers, airseal finds **at least {POSITIVE_BAR:.0f}%**; on the "
        "`negative_examples` of all their rules, covered or not, it flags **at most "
        f"{NEGATIVE_BAR:.0f}%**.\n"
    )
    w(f"[Nosey Parker]: {REPOS['noseyparker'][3]}\n[Kingfisher]: {REPOS['kingfisher'][3]}\n")
    w("## Result\n")
    w(
        f"- Positives detected: **{a['detected']}/{a['pos']} = {pct(a['detected'], a['pos'])}** "
        f"(bar ≥ {POSITIVE_BAR:.0f}%: {'met' if pos_ok else '**not met**'}); "
        f"by one of the mapped rules: {a['strict']}/{a['pos']} = {pct(a['strict'], a['pos'])}."
    )
    w(
        f"- Negatives flagged: **{a['flagged']}/{a['neg']} = {pct(a['flagged'], a['neg'])}** "
        f"(bar ≤ {NEGATIVE_BAR:.0f}%: {'met' if neg_ok else '**not met**'})."
    )
    placeholder_missed = [
        r
        for r in ctx["results"]
        if r.kind == "pos"
        and r.rule.expected
        and not r.flagged
        and ctx["positive_notes"].get(f"{r.rule.key}#{r.index}", "").startswith("placeholder")
    ]
    if placeholder_missed:
        rest = a["pos"] - len(placeholder_missed)
        w(
            f"  Not part of the bar: {len(placeholder_missed)} of the missed positives hold a "
            "value airseal deliberately treats as a stand-in (a placeholder word such as "
            "`secret` or `password`, a variable or template reference, a run of one character); "
            f"without them, {a['detected']}/{rest} = {pct(a['detected'], rest)}."
        )
    neg_other = [r for r in ctx["results"] if r.kind == "neg" and not ctx["also_positive"](r)]
    w(
        f"  Not part of the bar: leaving out the negatives that the external projects also list "
        f"verbatim as positive examples of another rule, "
        f"{sum(r.flagged for r in neg_other)}/{len(neg_other)} = "
        f"{pct(sum(r.flagged for r in neg_other), len(neg_other))}."
    )
    w(
        f"- External rules seen: {a['rules']}; of a kind airseal covers: {a['covered']} "
        f"(mapped to {len(ctx['codes_used'])} airseal rules in {len(ctx['kinds'])} kinds).\n"
    )
    w("| | rules seen | covered | positives detected | by a mapped rule | negatives flagged |")
    w("|---|---:|---:|---:|---:|---:|")
    for scope, label in [(k, REPOS[k][0]) for k in REPOS] + [("all", "**total**")]:
        x = s[scope]
        w(
            f"| {label} | {x['rules']} | {x['covered']} | {x['detected']}/{x['pos']} "
            f"({pct(x['detected'], x['pos'])}) | {x['strict']}/{x['pos']} "
            f"({pct(x['strict'], x['pos'])}) | {x['flagged']}/{x['neg']} "
            f"({pct(x['flagged'], x['neg'])}) |"
        )
    fired = collections.Counter(
        c
        for r in ctx["results"]
        if r.kind == "pos" and not r.rule.expected
        for c in r.codes
    )
    top = ", ".join(f"{c} ×{n}" for c, n in fired.most_common(8))
    w(
        f"\nFor information, not part of the bar: airseal also reports something in "
        f"{a['uncovered_flagged']} of the {a['uncovered_pos']} examples of rules it does not "
        f"cover{f' (most often {top})' if top else ''}.\n"
    )
    w("## How it was produced\n")
    w("```sh\n" + ctx["command"] + "\n```\n")
    w("| input | version |\n|---|---|")
    w(f"| airseal | {ctx['airseal_version']}, workspace `{ctx['workspace_rev']}` |")
    for repo in REPOS:
        src = ctx["sources"][repo]
        w(f"| {src.label} rules (`{src.subdir}/*.yml`) | `{src.commit}` |")
    w(f"| kind mapping | `bench/accuracy-kinds.toml` |\n")
    w(
        "`bench/accuracy.py` reads both projects' rule files from git at run time (none is "
        "copied into this repository), writes each example to its own file "
        "(`pos/<repo>/<rule-id>/<n>.txt`, `neg/…`; `<n>` is the 0-based index in the rule's "
        "list, written byte for byte as YAML parses it) and runs airseal once over them all:\n"
    )
    w("```sh\n" + ctx["scan_command"] + "\n```\n")
    w(
        "A positive counts as detected when airseal reports any finding in its file; the "
        "stricter column counts only findings of the airseal rules mapped to that external rule "
        "in `bench/accuracy-kinds.toml`. An external rule is covered only when airseal has a rule "
        "for the same credential kind; generic external rules (passwords, secrets, tokens in "
        "assignments) map to airseal's generic `KEY9xx` rules. Any finding of any airseal rule "
        "in a negative example's file counts as a false flag, whichever rule the example came "
        "from. Nosey Parker's one `non_examples` list (np.grafana.1) counts as negative "
        "examples.\n"
    )
    if ctx["problems"]:
        w("Mapping problems (run with `--lenient`):\n")
        for p in ctx["problems"]:
            w(f"- {md_escape(p)}")
        w("")

    w("## Per kind\n")
    w("| airseal rules | external rules | positives detected | by a mapped rule |")
    w("|---|---|---:|---:|")
    for kind, titles, ext, n_pos, detected, strict in ctx["kind_rows"]:
        ids = ", ".join(f"`{i}`" for i in ext)
        w(f"| {md_escape(titles)} | {ids} | {detected}/{n_pos} | {strict}/{n_pos} |")
    w("")

    results = ctx["results"]
    missed = [r for r in results if r.kind == "pos" and r.rule.expected and not r.flagged]
    other = [
        r for r in results if r.kind == "pos" and r.rule.expected and r.flagged and not r.strict
    ]
    flagged = [r for r in results if r.kind == "neg" and r.flagged]
    w(f"## Missed positives ({len(missed)})\n")
    if missed:
        w(
            "Notes come from `[positive_note]` in `bench/accuracy-kinds.toml`; they say why "
            "airseal misses the example.\n"
        )
        w("| external rule | example | airseal rules expected | note |\n|---|---:|---|---|")
        for r in missed:
            note = md_escape(ctx["positive_notes"].get(f"{r.rule.key}#{r.index}", ""))
            w(
                f"| `{r.rule.key}` | examples[{r.index}] | {', '.join(r.rule.expected)} "
                f"| {note} |"
            )
    else:
        w("None.")
    w("")
    w(f"## Positives found only by another airseal rule ({len(other)})\n")
    if other:
        w("| external rule | example | expected | fired |\n|---|---:|---|---|")
        for r in other:
            w(
                f"| `{r.rule.key}` | examples[{r.index}] | {', '.join(r.rule.expected)} "
                f"| {', '.join(r.codes)} |"
            )
    else:
        w("None.")
    w("")
    w(f"## Flagged negatives ({len(flagged)})\n")
    if flagged:
        w(
            "Every one counts against the bar. \"Also a positive of\" names external rules that "
            "list the very same text as an example of theirs; the notes (from "
            "`[negative_note]` in `bench/accuracy-kinds.toml`) say what the text is.\n"
        )
        w("| external rule | example | airseal rules that fired | also a positive of | note |")
        w("|---|---:|---|---|---|")
        for r in flagged:
            also = ", ".join(f"`{k}`" for k in ctx["also_positive"](r))
            note = md_escape(ctx["notes"].get(f"{r.rule.key}#{r.index}", ""))
            w(
                f"| `{r.rule.key}` | negative_examples[{r.index}] | {', '.join(r.codes)} "
                f"| {also} | {note} |"
            )
    else:
        w("None.")
    w("")
    uncovered = [r for r in ctx["rules"] if not r.expected]
    w(f"## External rules not covered ({len(uncovered)})\n")
    w(
        "Kinds airseal has no rule for; their examples are not positives here, their negative "
        "examples still count.\n"
    )
    for repo in REPOS:
        ids = [r.key for r in uncovered if r.repo == repo]
        w(f"<details><summary>{REPOS[repo][0]}: {len(ids)}</summary>\n")
        w(", ".join(f"`{i}`" for i in ids) + "\n")
        w("</details>\n")
    return "\n".join(out).rstrip() + "\n"


def print_summary(ctx) -> None:
    s = ctx["stats"]
    print(f"airseal {ctx['airseal_version']} ({ctx['workspace_rev']})")
    for repo in REPOS:
        src = ctx["sources"][repo]
        print(f"{src.label}: {src.location} @ {src.commit}")
    for p in ctx["problems"]:
        print(f"mapping problem: {p}")
    print()
    fmt = "{:<14}{:>7}{:>9}{:>22}{:>22}{:>20}"
    print(fmt.format("", "rules", "covered", "positives detected", "by a mapped rule",
                     "negatives flagged"))
    for scope in list(REPOS) + ["all"]:
        x = s[scope]
        print(fmt.format(
            REPOS[scope][0] if scope in REPOS else "total", x["rules"], x["covered"],
            f"{x['detected']}/{x['pos']} {pct(x['detected'], x['pos'])}",
            f"{x['strict']}/{x['pos']} {pct(x['strict'], x['pos'])}",
            f"{x['flagged']}/{x['neg']} {pct(x['flagged'], x['neg'])}",
        ))
    results = ctx["results"]
    neg_other = [r for r in results if r.kind == "neg" and not ctx["also_positive"](r)]
    n_other = sum(r.flagged for r in neg_other)
    print(f"negatives that are no other rule's positive example: flagged {n_other}/"
          f"{len(neg_other)} {pct(n_other, len(neg_other))}")
    print("\nper kind (worst first):")
    rows = sorted(ctx["kind_rows"], key=lambda row: (row[4] - row[3], row[0].index))
    for kind, titles, ext, n_pos, detected, strict in rows:
        if detected < n_pos or strict < n_pos:
            print(f"  {detected}/{n_pos} (strict {strict}) {titles}")
    print("\nmissed positives:")
    for r in results:
        if r.kind == "pos" and r.rule.expected and not r.flagged:
            note = ctx["positive_notes"].get(f"{r.rule.key}#{r.index}", "")
            print(f"  {r.rule.key} examples[{r.index}] expected {','.join(r.rule.expected)}"
                  + (f" -- {note}" if note else ""))
    print("\npositives found only by another rule:")
    for r in results:
        if r.kind == "pos" and r.rule.expected and r.flagged and not r.strict:
            print(f"  {r.rule.key} examples[{r.index}] expected {','.join(r.rule.expected)} "
                  f"fired {','.join(r.codes)}")
    print("\nexamples of uncovered rules found by a non-generic airseal rule (mapping hints):")
    generic = ctx["generic_codes"]
    for r in results:
        specific = [c for c in r.codes if c not in generic]
        if r.kind == "pos" and not r.rule.expected and specific:
            print(f"  {r.rule.key} ({r.rule.name}) examples[{r.index}] fired {','.join(specific)}")
    missed_keys = {f"{r.rule.key}#{r.index}" for r in results
                   if r.kind == "pos" and r.rule.expected and not r.flagged}
    flagged_keys = {f"{r.rule.key}#{r.index}" for r in results if r.kind == "neg" and r.flagged}
    stale = sorted(set(ctx["positive_notes"]) - missed_keys) + sorted(
        set(ctx["notes"]) - flagged_keys)
    if stale:
        print("\nnotes for examples that are no longer missed / flagged (remove them): "
              + ", ".join(stale))
    print("\nflagged negatives:")
    for r in results:
        if r.kind == "neg" and r.flagged:
            also = ",".join(ctx["also_positive"](r))
            note = ctx["notes"].get(f"{r.rule.key}#{r.index}", "")
            print(
                f"  {r.rule.key} negative_examples[{r.index}] fired {','.join(r.codes)}"
                + (f" (also a positive of {also})" if also else "")
                + (f" -- {note}" if note else "")
            )


# ----------------------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for repo, (label, default, subdir, _) in REPOS.items():
        parser.add_argument(
            f"--{repo}", metavar="DIR", default=default,
            help=f"{label} git directory or checkout (default {default}); rules in {subdir}",
        )
        parser.add_argument(
            f"--{repo}-rev", metavar="REV", default="HEAD",
            help=f"{label} revision to read (default HEAD)",
        )
    parser.add_argument("--kinds", type=Path, default=WORKSPACE / "bench/accuracy-kinds.toml",
                        help="the kind mapping (default bench/accuracy-kinds.toml)")
    parser.add_argument("--airseal", type=Path, default=WORKSPACE / "target/release/airseal",
                        help="the airseal binary (default target/release/airseal)")
    parser.add_argument("--no-build", action="store_true",
                        help="do not run `cargo build --release -p airseal` first")
    parser.add_argument("--write-doc", action="store_true", help="write docs/accuracy.md")
    parser.add_argument("--doc", type=Path, default=WORKSPACE / "docs/accuracy.md",
                        help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="write every per-example result to FILE as JSON")
    parser.add_argument("--lenient", action="store_true",
                        help="report mapping entries naming unknown rules instead of failing")
    parser.add_argument("--keep-tmp", action="store_true",
                        help="keep the directory of example files and print its path")
    return parser.parse_args(argv)


def display_command(argv) -> str:
    shown = []
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        # Local paths to the external repositories and the temp dir say nothing to a reader.
        if arg in ("--noseyparker", "--kingfisher"):
            shown.append(f"{arg} <{arg[2:]}.git>")
            skip = True
            continue
        if arg.startswith(("--noseyparker=", "--kingfisher=")):
            name = arg[2:].split("=", 1)[0]
            shown.append(f"--{name} <{name}.git>")
            continue
        if arg == "--keep-tmp":
            continue
        shown.append(shlex.quote(arg))
    return " ".join(["python3 bench/accuracy.py", *shown])


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if not args.no_build:
        proc = subprocess.run(["cargo", "build", "--release", "-p", "airseal"], cwd=WORKSPACE)
        if proc.returncode != 0:
            raise Failure("cargo build --release -p airseal failed")
    binary = args.airseal.resolve()
    if not binary.exists():
        raise Failure(f"{binary} does not exist; build it or pass --airseal")
    version = run([str(binary), "--version"]).stdout.strip().removeprefix("airseal ") or "unknown"

    sources = {
        repo: RuleSource(repo, getattr(args, repo), getattr(args, f"{repo}_rev"))
        for repo in REPOS
    }
    rules = [rule for src in sources.values() for rule in src.rules()]
    kinds = load_kinds(args.kinds)
    known_codes = airseal_rules(binary)
    problems = evaluate(rules, kinds, known_codes, args.lenient)

    tmp = Path(tempfile.mkdtemp(prefix="airseal-accuracy-"))
    try:
        root = tmp / "examples"
        write_examples(rules, root)
        hits, cmd = scan(binary, root)
    finally:
        if args.keep_tmp:
            print(f"example files kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    results = []
    for rule in rules:
        for sign, texts in (("pos", rule.examples), ("neg", rule.negatives)):
            for n in range(len(texts)):
                codes = sorted(set(hits.get((sign, rule.repo, rule.key, n), [])))
                results.append(Result(sign, rule, n, codes))

    positives_by_text: dict[str, list[str]] = collections.defaultdict(list)
    for rule in rules:
        for text in rule.examples:
            positives_by_text[text.strip()].append(rule.key)

    def also_positive(result: Result) -> list[str]:
        text = result.rule.negatives[result.index].strip()
        return sorted(set(positives_by_text.get(text, [])) - {result.rule.key})

    codes_used = sorted({c for k in kinds for c in k.airseal if c in known_codes})
    ctx = {
        "sources": sources,
        "rules": rules,
        "kinds": kinds,
        "results": results,
        "problems": problems,
        "stats": summarize(results, rules),
        "kind_rows": kind_table(kinds, results, known_codes),
        "codes_used": codes_used,
        "also_positive": also_positive,
        "notes": load_notes(args.kinds, "negative_note"),
        "positive_notes": load_notes(args.kinds, "positive_note"),
        "generic_codes": {c for c in known_codes if c.startswith("KEY9")},
        "airseal_version": version,
        "workspace_rev": workspace_revision(),
        "command": display_command(argv),
        "scan_command": "target/release/airseal scan <tmp>/examples --format jsonl --quiet "
                        "--no-ignore --config <tmp>/airseal.toml  # an empty config",
    }
    print_summary(ctx)
    if args.write_doc:
        write_section(args.doc, render_doc(ctx))
        print(f"\nwrote {args.doc}")
    if args.json:
        payload = {
            "airseal": version,
            "workspace": ctx["workspace_rev"],
            "commits": {repo: src.commit for repo, src in sources.items()},
            "stats": ctx["stats"],
            "results": [
                {
                    "kind": r.kind, "repo": r.rule.repo, "rule": r.rule.key, "index": r.index,
                    "expected": r.rule.expected, "fired": r.codes,
                }
                for r in results
            ],
        }
        args.json.write_text(json.dumps(payload, indent=1) + "\n", "utf-8")
    a = ctx["stats"]["all"]
    met = (
        a["pos"] > 0
        and 100.0 * a["detected"] / a["pos"] >= POSITIVE_BAR
        and 100.0 * a["flagged"] / max(a["neg"], 1) <= NEGATIVE_BAR
    )
    return 0 if met else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as error:
        print(f"accuracy.py: {error}", file=sys.stderr)
        sys.exit(2)
