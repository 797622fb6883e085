# A MariaDB server from Debian's packages, in a directory of the calling script's, on 127.0.0.1
# (scripts/rotation-roundtrip.sh, scripts/airflow-log-roundtrip.sh). root has no password and
# is reachable only through the socket in DIR (mode 0700 as the server makes it).
#   source scripts/lib/mariadb_server.sh
#   mariadb_server_start DIR [SERVER_OPTIONS...]   # sets MY_PORT, MY_SOCK
#   mariadb_root DIR [mariadb ARGS...]             # the client as root, through the socket
#   mariadb_server_stop DIR
# As root the server runs as the `mysql` user the package creates.

mariadb_server_start() {
  local dir="$1"; shift
  if ! command -v mariadbd >/dev/null || ! command -v mariadb-install-db >/dev/null; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mariadb-server mariadb-client
  fi
  MY_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  MY_SOCK="$dir/sock"
  mkdir -p "$dir"
  local user=mysql
  id mysql >/dev/null 2>&1 || user="$(id -un)"
  [ "$(id -u)" -eq 0 ] && chown "$user" "$dir"
  mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log"; return 2; }
  mariadbd --no-defaults --datadir="$dir/data" --user="$user" --bind-address=127.0.0.1 --port="$MY_PORT" \
    --socket="$MY_SOCK" --pid-file="$dir/pid" --log-error="$dir/error.log" --skip-name-resolve "$@" 2>"$dir/stderr.log" &
  for _ in $(seq 1 150); do
    mariadb --no-defaults -S "$MY_SOCK" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.2
  done
  mariadb --no-defaults -S "$MY_SOCK" -uroot -e 'SELECT 1' >/dev/null || { cat "$dir/error.log"; return 2; }
  export MY_PORT MY_SOCK
}

mariadb_root() {
  local dir="$1"; shift
  mariadb --no-defaults -S "$dir/sock" -uroot "$@"
}

mariadb_server_stop() {
  local dir="$1" pid
  [[ -f "$dir/pid" ]] || return 0
  pid="$(cat "$dir/pid")"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}
