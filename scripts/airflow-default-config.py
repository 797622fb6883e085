#!/usr/bin/env python3
"""Airflow's own default configuration must give no CFG finding.

Renders every option of Airflow's config.yml (2.10.5 and 3.3.2, from the venvs that
scripts/sensitive-options.py installs from pinned locks) with its default into an airflow.cfg,
the way `airflow config list --defaults` lays it out — templates such as `{FERNET_KEY}` and
`{AIRFLOW_HOME}` left as written — and runs `airseal scan --select CFG` over it. A finding there
would be a false positive every Airflow user meets. Also checks that the rendered file is read
(a sensitive option set to a real-looking value in a copy must be reported).

    python3 scripts/airflow-default-config.py --binary target/debug/airseal

Exit 0 when the defaults give no finding and the planted value does, 1 otherwise, 2 on error.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASES = [("apache-airflow 2.10.5", "airflow-2.10.5.lock"), ("apache-airflow-core 3.3.2", "airflow-core-3.3.2.lock")]
CONFIG_YML = "airflow/config_templates/config.yml"


def sensitive_options_module():
    spec = importlib.util.spec_from_file_location("sensitive_options", ROOT / "scripts/sensitive-options.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render(venv: Path, site_packages: Path) -> str:
    code = (
        "import sys, yaml\n"
        "d = yaml.safe_load(open(sys.argv[1]))\n"
        "for s, body in d.items():\n"
        "    print(f'[{s}]')\n"
        "    for k, o in ((body or {}).get('options') or {}).items():\n"
        "        v = (o or {}).get('default')\n"
        "        v = '' if v is None else str(v)\n"
        "        print(f'{k} = ' + v.replace(chr(10), ' '))\n"
        "    print()\n"
    )
    return subprocess.run([str(venv / "bin/python"), "-c", code, str(site_packages / CONFIG_YML)],
                          check=True, capture_output=True, text=True).stdout


def scan(binary: Path, path: Path) -> list[dict]:
    result = subprocess.run([str(binary), "scan", "--quiet", "--format", "json", "--select", "CFG", str(path)],
                            capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):
        raise SystemExit(f"airseal failed ({result.returncode}): {result.stderr}")
    return json.loads(result.stdout)["findings"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=ROOT / "target/release/airseal")
    args = parser.parse_args()
    helpers = sensitive_options_module()
    failed = False
    for label, lock in RELEASES:
        venv = helpers.venv_for(lock)
        text = render(venv, helpers.site_packages(venv))
        with tempfile.TemporaryDirectory() as tmp:
            cfg = Path(tmp) / "airflow.cfg"
            cfg.write_text(text)
            findings = scan(args.binary, cfg)
            options = text.count(" = ")
            if findings:
                failed = True
                for f in findings:
                    print(f"{label}: default config line {f['line']}: {f['code']} {f['message']}", file=sys.stderr)
            planted = text.replace("[core]\n", "[core]\nfernet_key = 8dZ0r6Vb1u0nQ4yYk9sV3xJb7qWm2cLe5hTg1fAaPzU=\n", 1)
            cfg.write_text(planted)
            if not any(f["code"] == "CFG001" for f in scan(args.binary, cfg)):
                failed = True
                print(f"{label}: a fernet key planted in the default config was not reported", file=sys.stderr)
            print(f"{label}: {options} default options, {len(findings)} findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
