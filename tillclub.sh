#!/usr/bin/env bash
# tillclub on a fresh machine, in one command:
#   ./tillclub.sh demo [ARGS]   set up, then run the demo (server + agent + simulated POS)
#   ./tillclub.sh test [ARGS]   set up, then lint, type-check and run the whole test suite
#   ./tillclub.sh setup         only set up (virtualenv, pinned dependencies, system parts)
# Setup is idempotent: it reinstalls only when requirements.lock or pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")"

VENV="${TILLCLUB_VENV:-.venv}"
PY="${PYTHON:-}"

log() { printf '\033[1m[tillclub]\033[0m %s\n' "$*" >&2; }
die() { printf '[tillclub] error: %s\n' "$*" >&2; exit 1; }

find_python() {
  for candidate in "$PY" python3.11 python3.12 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))'; then
      command -v "$candidate"; return 0
    fi
  done
  die "Python 3.11 or 3.12 is needed (set PYTHON=/path/to/python3.11)"
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $*"
  fi
}

setup_venv() {
  local stamp="$VENV/.tillclub-stamp" want
  want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtualenv $VENV"
    "$(find_python)" -m venv "$VENV"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing pinned dependencies (requirements.lock)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.lock
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
    echo "$want" > "$stamp"
  fi
}

APT_UPDATED=0
apt_install() {
  # Debian packages the real-parts tests use: a virtual serial pair, a headless browser.
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
  log "installing ${missing[*]} (apt-get)"
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

start_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
  command -v pg_ctlcluster >/dev/null 2>&1 ||
    die "PostgreSQL is not running on 127.0.0.1:5432 and pg_ctlcluster is not installed"
  log "starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && return 0
    sleep 1
  done
  die "PostgreSQL did not come up on 127.0.0.1:5432"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  setup)
    setup_venv
    ;;
  demo)
    setup_venv
    apt_install socat  # the demo's scanner is a virtual serial cable
    exec "$VENV/bin/tillclub" demo "$@"
    ;;
  test)
    setup_venv
    apt_install socat chromium chromium-driver fonts-dejavu-core
    start_postgres
    log "ruff"
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check --quiet .
    log "mypy --strict (loyalty/, plugins/, agent/, server/, tillclub/)"
    "$VENV/bin/mypy"
    log "pytest"
    # Two workers (xdist) on the two cores CI has; pass -n 0 to run serially.
    exec "$VENV/bin/pytest" -p no:cacheprovider -n 2 --durations=25 "$@"
    ;;
  *)
    sed -n '2,6p' "$0" >&2
    exit 2
    ;;
esac
