# shellcheck shell=bash
# A throw-away PostgreSQL server on a loopback port, for running the recorder tests on
# PostgreSQL as well as SQLite. Uses Debian's postgresql (inside the chroot when the toolchain
# is one). Source after _toolchain.sh; `pg_start` sets PG_URL, `pg_stop` removes everything.

# The first free port from 55432 on (several test runs may share the machine), or the given one.
PG_PORT="${FLUVIUS_PG_PORT:-}"
PG_DIR="/tmp/fluvius-pg-$$"

_port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_pg() {  # run a shell snippet as the postgres user, in the toolchain's system
  if [ "$(toolchain_mode)" = native ]; then
    runuser -u postgres -- bash -c "$1"
  else
    chroot "$CHROOT" runuser -u postgres -- bash -c "$1"
  fi
}

_pg_root() {
  if [ "$(toolchain_mode)" = native ]; then bash -c "$1"; else chroot "$CHROOT" bash -c "$1"; fi
}

pg_start() {
  [ "$(toolchain_mode)" = native ] || chroot_enter "$$-postgres"
  if ! _pg_root 'ls /usr/lib/postgresql/*/bin/initdb' >/dev/null 2>&1; then
    echo "postgres: installing Debian's postgresql"
    _pg_root 'apt-get -o Acquire::Check-Valid-Until=false update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql' \
      >/dev/null 2>&1
  fi
  local bin
  bin="$(_pg_root 'dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)"')"
  _pg_root "mkdir -p $PG_DIR && chown postgres $PG_DIR"
  _pg "$bin/initdb -D $PG_DIR/data -U postgres -A trust >/dev/null"
  local port="${PG_PORT:-55432}" tries=0
  while :; do
    if ! _port_in_use "$port" &&
      _pg "$bin/pg_ctl -D $PG_DIR/data -l $PG_DIR/log -w -o '-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off' start >/dev/null 2>&1"; then
      break
    fi
    tries=$((tries + 1))
    if [ -n "$PG_PORT" ] || [ "$tries" -ge 20 ]; then
      echo "postgres: could not start a server (last port tried: $port)" >&2
      _pg_root "cat $PG_DIR/log" >&2 || true
      return 1
    fi
    port=$((port + 1))
  done
  PG_PORT="$port"
  PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/fluvius_test"
  PG_BIN="$bin"
  export PG_URL
}

pg_stop() {
  [ -n "${PG_BIN:-}" ] || return 0
  _pg "$PG_BIN/pg_ctl -D $PG_DIR/data -m immediate stop >/dev/null 2>&1" || true
  _pg_root "rm -rf $PG_DIR"
  [ "$(toolchain_mode)" = native ] || chroot_leave "$$-postgres"
  PG_BIN=""
}
