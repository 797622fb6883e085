# A PostgreSQL cluster from Debian's package, in a directory of the calling script's, on
# 127.0.0.1 with SCRAM passwords (scripts/rotation-roundtrip.sh, scripts/airflow-log-roundtrip.sh).
#   source scripts/lib/pg_cluster.sh
#   pg_cluster_start DIR [SERVER_OPTIONS]   # sets PG_BIN, PG_PORT, PG_ADMIN_PASSWORD; user `admin`
#   pg_cluster_stop DIR
# As root the cluster belongs to the `postgres` user the package creates (or `nobody`):
# PostgreSQL refuses to run as root.

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    local user=postgres
    id postgres >/dev/null 2>&1 || user=nobody
    setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- "$@"
  else
    "$@"
  fi
}

pg_cluster_start() {
  local dir="$1" options="${2:-}"
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [[ -z "$PG_BIN" || ! -x "$PG_BIN/initdb" ]]; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
  PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  PG_ADMIN_PASSWORD="admin-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
  mkdir -p "$dir"
  chmod 755 "$dir"
  printf '%s\n' "$PG_ADMIN_PASSWORD" >"$dir/pwfile"
  if [ "$(id -u)" -eq 0 ]; then
    local owner=postgres
    id postgres >/dev/null 2>&1 || owner=nobody
    chown -R "$owner" "$dir"
  fi
  pg_as_owner "$PG_BIN/initdb" -D "$dir/data" -U admin --pwfile="$dir/pwfile" -A scram-sha-256 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log"; return 2; }
  pg_as_owner timeout 60 "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $dir $options" start >/dev/null \
    || { cat "$dir/server.log"; return 2; }
  export PG_BIN PG_PORT PG_ADMIN_PASSWORD
}

pg_cluster_stop() {
  local dir="$1"
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
}
