# shellcheck shell=bash
# Shared by scripts/bootstrap, scripts/test and scripts/demo: where the Python 3.14 toolchain
# lives and how to run a command in it. Home Assistant 2026.x needs Python 3.14; when the machine
# has no python3.14 we keep a Debian sid chroot with it at a fixed path outside the repository.

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLCHAIN_DIR="${FLUVIUS_TOOLCHAIN_DIR:-/opt/fluvius-toolchain}"
CHROOT="$TOOLCHAIN_DIR/sid"
USERS_DIR="$TOOLCHAIN_DIR/users"

toolchain_mode() {
  if [ -n "${FLUVIUS_FORCE_CHROOT:-}" ]; then echo chroot; return; fi
  if command -v python3.14 >/dev/null 2>&1; then echo native; else echo chroot; fi
}

# The environment commands run in: the main one (requirements_test.txt), or with FLUVIUS_HA=<version>
# the version matrix's environment for that Home Assistant release (requirements/ha-<version>.txt),
# next to the main one.
venv_dir() {
  local suffix="${FLUVIUS_HA:+-ha-$FLUVIUS_HA}"
  if [ "$(toolchain_mode)" = native ]; then echo "$TOOLCHAIN_DIR/venv$suffix"; else echo "/opt/venv$suffix"; fi
}

# The Home Assistant releases of the version matrix besides the main one, newest first: one per
# requirements/ha-<version>.txt (ha-<version>.upgrade.txt, when present, is installed after it).
ha_matrix() {
  local f
  for f in "$PROJECT_DIR"/requirements/ha-*.txt; do
    [ -e "$f" ] || continue
    case "$f" in *.upgrade.txt) continue ;; esac
    f="${f##*/ha-}"
    echo "${f%.txt}"
  done | sort -rV
}

_is_mounted() { mountpoint -q "$1" 2>/dev/null; }

# Mounts are shared by every run using the chroot at the same time: each run registers its pid,
# mounts what is missing, and the last run to leave unmounts.
# A run may register more than once (the test script's PostgreSQL server outlives each pytest):
# give each registration its own name, "<pid>" or "<pid>-<what>".
chroot_enter() {
  local name="${1:-$$}"
  mkdir -p "$USERS_DIR" "$CHROOT$PROJECT_DIR"
  : >"$USERS_DIR/$name"
  (
    flock 9
    _is_mounted "$CHROOT/proc" || mount -t proc proc "$CHROOT/proc"
    _is_mounted "$CHROOT/dev" || { mount --rbind /dev "$CHROOT/dev"; mount --make-rslave "$CHROOT/dev"; }
    _is_mounted "$CHROOT$PROJECT_DIR" || mount --bind "$PROJECT_DIR" "$CHROOT$PROJECT_DIR"
  ) 9>"$TOOLCHAIN_DIR/.lock"
}

# Leaving never fails the caller: a mount another run already removed is fine.
chroot_leave() {
  local name="${1:-$$}"
  rm -f "$USERS_DIR/$name"
  (
    flock 9
    for f in "$USERS_DIR"/*; do
      [ -e "$f" ] || continue
      f="$(basename "$f")"
      kill -0 "${f%%-*}" 2>/dev/null || rm -f "$USERS_DIR/$f"
    done
    if [ -z "$(ls -A "$USERS_DIR" 2>/dev/null)" ]; then
      for m in "$CHROOT"/work/*/ "$CHROOT"/tmp/*/ "$CHROOT$PROJECT_DIR"; do
        if _is_mounted "${m%/}"; then umount -l "${m%/}" || true; fi
      done
      if _is_mounted "$CHROOT/dev"; then umount -R -l "$CHROOT/dev" || true; fi
      if _is_mounted "$CHROOT/proc"; then umount -l "$CHROOT/proc" || true; fi
    fi
  ) 9>"$TOOLCHAIN_DIR/.lock" || true
  return 0
}

# Run a command with the toolchain's venv first on PATH, in the project directory.
in_toolchain() {
  local venv; venv="$(venv_dir)"
  if [ "$(toolchain_mode)" = native ]; then
    (cd "$PROJECT_DIR" && PATH="$venv/bin:$PATH" "$@")
  else
    chroot_enter
    local rc=0 name passed=()
    # The project's own settings (FLUVIUS_*, e.g. a benchmark's size) and Hypothesis' profile
    # reach the command; nothing else of the caller's environment does.
    for name in $(compgen -e); do
      case "$name" in FLUVIUS_* | HYPOTHESIS_*) passed+=("$name=${!name}") ;; esac
    done
    chroot "$CHROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
      PATH="$venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      FLUVIUS_IN_TOOLCHAIN=1 PYTHONDONTWRITEBYTECODE=1 ${FLUVIUS_ENV:-} "${passed[@]}" \
      /bin/bash -c 'cd "$1" && shift && exec "$@"' _ "$PROJECT_DIR" "$@" || rc=$?
    chroot_leave
    return $rc
  fi
}
