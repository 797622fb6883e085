# Sourced by the test and bench scripts. One way to build a Python venv from a pinned lock:
# `pip install --no-deps -r LOCK` (no dependency resolution, which takes minutes for Airflow),
# into VENV under $AIRSEAL_CACHE. A copy of the lock inside the venv marks it complete, so an
# interrupted install or a changed lock rebuilds it from scratch (--clear).
#   ensure_venv LOCK VENV LABEL
ensure_venv() {
  local lock="$1" venv="$2" label="$3"
  if ! cmp -s "$lock" "$venv/.installed" 2>/dev/null; then
    echo "$label: installing $lock into $venv" >&2
    python3 -m venv --clear "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$lock"
    cp "$lock" "$venv/.installed"
  fi
}
