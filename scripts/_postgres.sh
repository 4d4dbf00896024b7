# shellcheck shell=bash
# A throw-away PostgreSQL server on a loopback port, for running the recorder tests on
# PostgreSQL as well as SQLite. Uses Debian's postgresql (inside the chroot when the toolchain
# is one). Source after _toolchain.sh; `pg_start` sets PG_URL, `pg_stop` removes everything.

PG_PORT="${FLUVIUS_PG_PORT:-55432}"
PG_DIR="/tmp/fluvius-pg-$$"

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
  _pg "$bin/initdb -D $PG_DIR/data -U postgres -A trust >/dev/null &&
       $bin/pg_ctl -D $PG_DIR/data -l $PG_DIR/log -w -o '-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off' start >/dev/null"
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
