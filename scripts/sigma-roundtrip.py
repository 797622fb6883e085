"""The Sigma rules of `airseal watch export-sigma` against airseal itself.

For one scope: exports the rules, requires `sigma check` to find no issue, converts them with
pySigma's SQLite backend (`-f zircolite`), loads the CloudTrail files into SQLite (nested
objects flattened to dotted columns, lists as JSON text, one `TEXT COLLATE NOCASE` column per
lower-cased name, as docs/notes/sigma-sqlite.md describes), runs each rule's SQL and compares
the event ids it matches, per rule code, with the evidence of `airseal watch cloudtrail
--format json` over the same files and scope. Exact rules must match the same events; for the
others every event of airseal's alerts must be matched. AUD004's correlations raise one alert
per read that completes a window, so it is compared alert by alert: every alert of airseal's
must have a correlation alert of the same principal that holds its listing, and every
correlation alert must share events with an alert of airseal's for that principal. Run by
scripts/sigma-roundtrip.sh with the venv's Python (PyYAML comes with sigma-cli).

  python sigma-roundtrip.py --airseal BIN --sigma BIN --work DIR --label NAME
      [--policy FILE] [--prefix P ...] FILES...
"""

import argparse
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import yaml

CODE_OF_FILE = re.compile(r"^airseal_(aud\d{3})_")


def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(
            f"FAIL: {' '.join(map(str, cmd))} exited {result.returncode}\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def records(path):
    text = Path(path).read_text()
    if path.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)["Records"]


def flatten(obj, prefix="", out=None):
    out = {} if out is None else out
    for k, v in obj.items():
        if isinstance(v, dict) and v:
            flatten(v, f"{prefix}{k}.", out)
        else:
            out[f"{prefix}{k}"] = v
    return out


def cell(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, dict)):
        # ensure_ascii=False: a list holds names as written (what the rules' JSON forms expect).
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return str(v)


def quote(name):
    return "`" + name.replace("`", "``") + "`"


def load(files):
    rows = []
    for path in files:
        for event in records(path):
            rows.append({k.lower(): cell(v) for k, v in flatten(event).items()})
    columns = sorted({c for row in rows for c in row})
    db = sqlite3.connect(":memory:")
    db.create_function(
        "REGEXP",
        2,
        lambda pat, val: val is not None and re.search(pat, str(val)) is not None,
        deterministic=True,
    )
    db.execute(
        "CREATE TABLE cloudtrail ("
        + ", ".join(f"{quote(c)} TEXT COLLATE NOCASE" for c in columns)
        + ")"
    )
    for row in rows:
        names = list(row)
        db.execute(
            f"INSERT INTO cloudtrail ({', '.join(quote(n) for n in names)}) "
            f"VALUES ({', '.join('?' for _ in names)})",
            [row[n] for n in names],
        )
    return db, set(columns), len(rows)


def sigma_matches(db, columns, converted, code_of_id):
    """Per code, the event ids its rules match, and the correlation alerts as (group, ids)."""
    matched = {}
    alerts = {}
    for entry in converted:
        code = code_of_id.get(entry["id"])
        if code is None:
            sys.exit(f"FAIL: converted rule {entry['id']} is in no exported file")
        for field in entry.get("required_fields") or []:
            # A field no record has is NULL everywhere (as in a SIEM).
            if field.lower() not in columns:
                db.execute(f"ALTER TABLE cloudtrail ADD COLUMN {quote(field.lower())} TEXT COLLATE NOCASE")
                columns.add(field.lower())
        ids = matched.setdefault(code, set())
        for sql in entry["rule"]:
            if entry.get("result_type") == "correlation":
                cursor = db.execute(sql)
                names = [d[0] for d in cursor.description]
                for row in cursor:
                    row = dict(zip(names, row))
                    # "<slot>:<eventID>" for the events of a base rule.
                    events = {str(e).split(":", 1)[1] if ":" in str(e) else str(e)
                              for e in json.loads(row["event_ids"])}
                    ids.update(events)
                    group = json.loads(row["group_keys"]).get("userIdentity.arn")
                    alerts.setdefault(code, []).append((str(group).lower(), events))
            else:
                ids.update(r[0] for r in db.execute(f"SELECT eventID FROM ({sql})"))
    return matched, alerts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--airseal", required=True)
    parser.add_argument("--sigma", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--policy")
    parser.add_argument("--prefix", action="append", default=[])
    parser.add_argument("--require", action="append", default=[],
                        help="a code airseal must raise (so the comparison means something)")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    work = Path(args.work) / args.label
    out = work / "rules"
    scope = (["--policy", args.policy] if args.policy else []) + [
        x for p in args.prefix for x in ("--prefix", p)
    ]

    exported = run([args.airseal, "watch", "export-sigma", "--out", str(out), *scope])
    inexact = {line.split()[0] for line in exported.splitlines() if " is not exact: " in line}
    code_of_id = {}
    referenced = set()
    for path in sorted(out.glob("*.yml")):
        code = CODE_OF_FILE.match(path.name).group(1).upper()
        for doc in yaml.safe_load_all(path.read_text()):
            if doc["id"] in code_of_id:
                sys.exit(f"FAIL: id {doc['id']} used twice")
            code_of_id[doc["id"]] = code
            referenced.update((doc.get("correlation") or {}).get("rules") or [])
    codes = sorted(set(code_of_id.values()))
    if codes != [f"AUD00{i}" for i in range(1, 9)]:
        sys.exit(f"FAIL: exported codes {codes}")

    check = subprocess.run(
        [f"{args.sigma}/sigma", "check", "-i", "-x", "attacktag", "-x", "d3_fendtag", str(out)],
        capture_output=True, text=True,
    )
    if check.returncode != 0 or "Found 0 errors, 0 condition errors and 0 issues." not in check.stdout:
        sys.exit(f"FAIL: sigma check\n{check.stdout}\n{check.stderr}")
    converted = json.loads(run([
        f"{args.sigma}/sigma", "convert", "-t", "sqlite", "-f", "zircolite",
        "-O", "table=cloudtrail", "-O", "timestamp_field=eventTime",
        "-O", "event_id_field=eventID", str(out),
    ]))

    report = json.loads(run([
        args.airseal, "watch", "cloudtrail", "--format", "json", "--fail-on", "none",
        *scope, *args.files,
    ]))
    airseal = {code: set() for code in codes}
    airseal_alerts = {code: [] for code in codes}
    for finding in report["findings"]:
        ids = [e["event_id"] for e in finding["evidence"]]
        airseal[finding["code"]].update(ids)
        airseal_alerts[finding["code"]].append((str(finding.get("principal")).lower(), ids))
    for code in args.require:
        if not airseal[code]:
            sys.exit(f"FAIL: [{args.label}] airseal raised no {code}: the comparison would be empty")

    db, columns, count = load(args.files)
    sigma, sigma_alerts = sigma_matches(db, columns, converted, code_of_id)

    failed = False
    print(f"[{args.label}] {count} records in {len(args.files)} files; sigma check: 0 issues; "
          f"{len(converted)} queries")
    for code in codes:
        ours, theirs = airseal[code], sigma.get(code, set())
        exact = code not in inexact
        if exact:
            ok = ours == theirs
            claim = "equal"
        elif code == "AUD004":
            # Alert by alert: airseal's first piece of evidence is the listing.
            ours_alerts = airseal_alerts[code]
            theirs_alerts = sigma_alerts.get(code, [])
            missed = [ids[0] for who, ids in ours_alerts
                      if not any(w == who and ids[0] in events for w, events in theirs_alerts)]
            unexplained = [sorted(events)[0] for w, events in theirs_alerts
                           if not any(who == w and events & set(ids) for who, ids in ours_alerts)]
            ok = not missed and not unexplained and (ours_alerts or not theirs_alerts)
            claim = (f"airseal's {len(ours_alerts)} alerts and sigma's {len(theirs_alerts)} correlation "
                     f"alerts are the same incidents (missed {missed}, unexplained {unexplained})")
        else:
            ok = ours <= theirs
            claim = "covers airseal's"
        failed |= not ok
        line = (f"[{args.label}] {code} {'exact' if exact else 'inexact'}: airseal {len(ours)} events, "
                f"sigma {len(theirs)}, both {len(ours & theirs)} -> {claim}: {'ok' if ok else 'FAIL'}")
        print(line)
        if ours != theirs:
            only_ours, only_theirs = sorted(ours - theirs), sorted(theirs - ours)
            if only_ours:
                print(f"    only airseal ({len(only_ours)}): {', '.join(only_ours[:8])}"
                      + (" ..." if len(only_ours) > 8 else ""))
            if only_theirs:
                print(f"    only sigma ({len(only_theirs)}): {', '.join(only_theirs[:8])}"
                      + (" ..." if len(only_theirs) > 8 else ""))
    if failed:
        sys.exit(f"FAIL: [{args.label}] a rule does not match what airseal raises")


if __name__ == "__main__":
    main()
