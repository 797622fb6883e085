#!/usr/bin/env bash
# Runs airseal's fuzz targets (fuzz/fuzz_targets/*.rs) with cargo-fuzz and libFuzzer.
#
#   scripts/fuzz.sh                     # every target, FUZZ_SECONDS (default 60) seconds each
#   FUZZ_SECONDS=20 scripts/fuzz.sh config_parser
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 60)
#   FUZZ_MAX_LEN    largest input libFuzzer makes, in bytes (default 65536)
#   FUZZ_SANITIZER  address (default) or none; address falls back to none if it cannot link
#
# Seeds are written to fuzz/corpus/<target>/ (git-ignored) on every run, beside whatever the
# earlier runs' corpus holds. A crash stops nothing: every target runs, then the script exits 1
# naming the targets that crashed; their inputs are in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_MAX_LEN=${FUZZ_MAX_LEN:-65536}
FUZZ_SANITIZER=${FUZZ_SANITIZER:-address}
ALL_TARGETS=(detector_engine rule_file_parser config_parser python_analyzer deployment_config connection_codec helm_externalize cloudtrail_reader airflow_log)
if [[ $# -gt 0 ]]; then
    TARGETS=("$@")
else
    TARGETS=("${ALL_TARGETS[@]}")
fi

# Only stable Rust is installed. cargo-fuzz passes nightly-only flags (-Zsanitizer,
# -Cpasses=sancov-module's -Z companions, -Zunstable-options...); RUSTC_BOOTSTRAP=1 lets the
# stable compiler accept them. The stable toolchain ships librustc-stable_rt.asan.a, so
# AddressSanitizer normally links; if it does not, we fall back to --sanitizer none below
# (coverage-guided fuzzing still works, only out-of-bounds checks in unsafe/C code are lost).
export RUSTC_BOOTSTRAP=1

run() {
    printf '+ %s\n' "$*" >&2
    "$@"
}

# --- cargo-fuzz -------------------------------------------------------------------------------
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    run cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
run cargo fuzz --version
known_targets=$(cargo fuzz list)
for target in "${TARGETS[@]}"; do
    if ! grep -qxF "$target" <<<"$known_targets"; then
        echo "fuzz.sh: unknown target '$target'; targets are:" $known_targets >&2
        exit 2
    fi
done

# --- seed corpora -----------------------------------------------------------------------------
# Fake credentials only: the documentation's examples and obviously made-up values.
seed_corpora() {
    local dir
    dir=fuzz/corpus/detector_engine
    mkdir -p "$dir"
    printf 'aws_access_key_id = AKIAQYLPMN5HFIQR7Q2X\naws_secret_access_key = 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\n' \
        > "$dir/seed-aws.ini"
    printf 'GITHUB_TOKEN=ghp_R4nd0mV4lu3Th4tMu5tN0tL34k0000000\r\nexport PASSWORD="hunter2-Xq9zR7mK4pL"\r\n' \
        > "$dir/seed-env-crlf"
    printf 'conn = "postgresql://airflow:S3cr3tP4ssw0rd@db.internal:5432/airflow"\n\tapi_key:\t"sk_live_0000FAKE0000FAKE0000FAKE"\n' \
        > "$dir/seed-uri.py"
    printf -- '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAGDck+JjemKD6NagM2P+KFeMmci0E4vy/o1tKqalOatcu9+Fy\nr7frtxsAmneHIpfolzypCn3qQ3uBXtC7FfIrPfmph4WQEOno9JRfIMBXuN3pGV4v\n-----END RSA PRIVATE KEY-----\n' \
        > "$dir/seed-pem"
    printf '{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcqrglffISY3d1/OZNIquuiieWlgoOw\\n-----END PRIVATE KEY-----\\n", "token": "\xff\xfe\x00\x1b[0m"}\n' \
        > "$dir/seed-json-escapes"
    # The rule files are full of keywords and examples: good raw material for the scanner too.
    local rule_file
    for rule_file in crates/airseal_detectors/rules/*.yml; do
        cp "$rule_file" "$dir/seed-rules-$(basename "$rule_file")"
    done

    # The DAG rules' fixtures: every rule's positive and negative cases, and a file that does
    # not parse.
    dir=fuzz/corpus/python_analyzer
    mkdir -p "$dir"
    local fixture
    for fixture in crates/airseal_python/tests/fixtures/*.py; do
        cp "$fixture" "$dir/seed-$(basename "$fixture")"
    done

    dir=fuzz/corpus/deployment_config
    mkdir -p "$dir"
    for fixture in crates/airseal_deployment/tests/fixtures/*; do
        cp "$fixture" "$dir/seed-$(basename "$fixture")"
    done

    dir=fuzz/corpus/helm_externalize
    mkdir -p "$dir"
    for fixture in crates/airseal_helm/tests/fixtures/*.yaml; do
        cp "$fixture" "$dir/seed-$(basename "$fixture")"
    done
    dir=fuzz/corpus/connection_codec
    mkdir -p "$dir"
    printf '%s' 'postgres://us%40r:p%3Ass@db.example.com:5432/dw?sslmode=require' > "$dir/seed-uri"
    printf '%s' 'http://https://host/?__extra__=%7B%22a%22%3A+1%7D' > "$dir/seed-protocol"
    printf '%s' 'x://[::1%25eth0]:80/' > "$dir/seed-ipv6"
    printf '%s' '{"conn_type": "aws", "login": "a", "extra": {"region_name": "eu-west-1", "n": [1, 2.5, NaN]}}' > "$dir/seed-json"

    dir=fuzz/corpus/rule_file_parser
    mkdir -p "$dir"
    for rule_file in crates/airseal_detectors/rules/*.yml; do
        cp "$rule_file" "$dir/seed-$(basename "$rule_file")"
    done
    cat > "$dir/seed-minimal.yml" <<'YAML'
rules:
  - id: TST001
    name: test-token
    title: Test token
    severity: high
    confidence: high
    keywords: [tst_]
    window: {lines_before: 1, lines_after: 2}
    pattern: '\b(tst_[A-Za-z0-9]{16})\b'
    min_entropy: 3.0
    filter_placeholders: true
    generic: false
    description: A test token.
    why: It is a test.
    fix: Rotate it.
    examples: ['token = tst_Q2xV9mPz7RkL3wYb']
    negative_examples: ['token = tst_xxxxxxxxxxxxxxxx']
YAML
    printf 'rules: []\n' > "$dir/seed-empty.yml"

    dir=fuzz/corpus/config_parser
    mkdir -p "$dir"
    cat > "$dir/seed-airseal.toml" <<'TOML'
select = ["KEY"]
ignore = ["KEY901"]
fail-on = "high"
exclude = ["tests/fixtures/**"]
extra-rule-files = ["ci/airseal-rules.yml"]
max-file-size = 10485760
allowlist = ['^AKIA[A-Z0-9]{12}TEST$']
stopwords = ["acme-demo"]

[per-file-ignores]
"tests/**" = ["KEY9"]
TOML
    cat > "$dir/seed-pyproject.toml" <<'TOML'
[project]
name = "dags"

[tool.airseal]
select = ["KEY0", "KEY600"]
fail-on = "medium"
allowlist = ["(?i)example"]

[tool.airseal.per-file-ignores]
"dags/tests/*.py" = ["KEY9"]
TOML
    printf 'ignor = ["KEY901"]\nfail-on = "urgent"\nmax-file-size = -1\n' > "$dir/seed-invalid.toml"

    # The audit log: a selector byte (the event), then a time, an owner and `extra` on lines;
    # the same bytes are also read as a source name and as CSV/JSON exports.
    dir=fuzz/corpus/airflow_log
    mkdir -p "$dir"
    { printf '\x00'; cat crates/airseal_watch/tests/fixtures/airflow-log/log.json; } > "$dir/seed-log.json"
    printf '\x00%s\n%s\n%s' '2026-11-30 10:00:00.123456+00:00' root \
        '{"host_name": "vm", "full_command": "['"'"'airflow'"'"', '"'"'connections'"'"', '"'"'add'"'"', '"'"'c'"'"', '"'"'--conn-uri=postgres://u:p@db/x'"'"']"}' \
        > "$dir/seed-cli-row"
    printf '\x0a%s\n%s\n%s' '2026-11-30T22:00:00Z' admin \
        '{"actions": [{"action": "create", "entities": [{"key": "api_key", "value": "v"}]}]}' > "$dir/seed-bulk-row"
    printf '\x04%s\n%s\n%s' '2026-11-30 10:00:00' admin "{'conn_id': ['c'], 'password': ['p']}" > "$dir/seed-ui-row"
    printf '\x00id,dttm,event,owner,extra\n1,2026-11-30 10:00:00,cli_variables_set,root,"{""full_command"": ""[]""}"\n' \
        > "$dir/seed-export.csv"
    printf '\x00%s' 'mysql+pymysql://airflow:pw@db:3306/airflow?charset=utf8mb4&ssl_ca=/ca.pem' > "$dir/seed-mysql-url"
}
seed_corpora

# --- sanitizer --------------------------------------------------------------------------------
sanitizer=$FUZZ_SANITIZER
if [[ $sanitizer != none ]]; then
    if ! run cargo fuzz build --sanitizer "$sanitizer" --debug-assertions "${TARGETS[@]:0:1}"; then
        echo "fuzz.sh: building with --sanitizer $sanitizer failed on this toolchain;" \
            "falling back to --sanitizer none (no AddressSanitizer, coverage guidance only)" >&2
        sanitizer=none
    fi
fi

# --- run --------------------------------------------------------------------------------------
failed=()
for target in "${TARGETS[@]}"; do
    # --debug-assertions: overflow checks and debug_assert! on, so arithmetic bugs panic.
    if ! run cargo fuzz run --sanitizer "$sanitizer" --debug-assertions "$target" \
        -- -max_total_time="$FUZZ_SECONDS" -max_len="$FUZZ_MAX_LEN" -print_final_stats=1; then
        failed+=("$target")
        echo "fuzz.sh: $target FAILED; inputs in fuzz/artifacts/$target/" >&2
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz.sh: crashes in: ${failed[*]}" >&2
    ls -l "${failed[@]/#/fuzz/artifacts/}" >&2 || true
    exit 1
fi
echo "fuzz.sh: ${TARGETS[*]}: no crash in ${FUZZ_SECONDS}s each (sanitizer: $sanitizer)"
