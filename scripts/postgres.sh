#!/usr/bin/env bash
# Run a project-private PostgreSQL cluster for development and tests.
#
#   scripts/postgres.sh start   # idempotent; installs PostgreSQL (Debian) if missing
#   scripts/postgres.sh stop    # pg_ctl stop -m fast (only this checkout's cluster)
#   scripts/postgres.sh status  # exit 0 when the opticall databases can be reached
#   scripts/postgres.sh env     # prints DATABASE_URL and the per-service URLs
#
# The cluster lives in <checkout>/.local/postgres (git-ignored): data/, run/
# (unix socket), postgres.log. It listens on 127.0.0.1:${PGPORT_OPTICALL:-55432},
# with role opticall / password opticall (dev only) owning opticall_auth,
# opticall_scheduling, opticall_forecasting, opticall_realtime and opticall_test.
# It is tuned for tests, not for durability: fsync, full_page_writes and
# synchronous_commit are off. If DATABASE_URL points elsewhere, nothing is started.
# PG_HOME_DIR (default <checkout>/.local/postgres) holds the cluster's files instead.
#
# The port. It comes from PGPORT_OPTICALL alone, not from the checkout, so the
# URLs stay predictable. Two checkouts on one machine therefore meet on one
# port: `start` first checks whether that port already serves the opticall
# role with its password; if so it reuses that cluster (another checkout's)
# and only makes sure the databases exist. `stop` only ever stops this
# checkout's own cluster. Set PGPORT_OPTICALL to keep two apart.
set -euo pipefail

SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(dirname "$SCRIPTS")" # the script's parent: works in a copy without .git
cd / # the postgres user may not be allowed into the caller's directory
PORT="${PGPORT_OPTICALL:-55432}"
DBS="opticall_auth opticall_scheduling opticall_forecasting opticall_realtime opticall_test"
URL_BASE="postgresql+psycopg2://opticall:opticall@127.0.0.1:$PORT"
OURS="$URL_BASE/opticall_test"

say() { echo "postgres.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

# An external database is a DATABASE_URL other than ours: a shell that ran
# `eval "$(scripts/postgres.sh env)"` must still be able to start the cluster.
external() { [[ -n "${DATABASE_URL:-}" && "$DATABASE_URL" != "$OURS" ]]; }

# PostgreSQL refuses to run as root: as root, the cluster belongs to the
# `postgres` system user (made by the Debian package); otherwise to the caller.
as_owner() { if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }

find_bin() { # newest Debian server binaries, else those of an initdb on PATH
  local d t
  d="$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$d" ]] || d="$(command -v initdb)" || return 1
  d="$(dirname "$(readlink -f "$d")")" # a symlink on PATH points into the real bin dir
  for t in initdb pg_ctl pg_isready psql; do [[ -x "$d/$t" ]] || return 1; done
  echo "$d"
}

ensure_server() {
  find_bin >/dev/null && return 0
  if ((EUID != 0)) || ! command -v apt-get >/dev/null; then
    die "PostgreSQL server binaries not found: install PostgreSQL (Debian: apt-get install postgresql)"
  fi
  say "installing PostgreSQL (apt-get, one time)"
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update only when the package lists do not know the package yet.
  apt-get install -y -qq postgresql >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }
  find_bin >/dev/null || die "PostgreSQL was installed but initdb was not found"
}

choose_base() {
  # Normally .local/postgres. Falls back to /var/tmp/opticall-pg-<hash of the
  # checkout path> (one cluster per checkout still), with a symlink left in
  # .local, when the postgres user cannot reach into the checkout (e.g. it is
  # under /root) or when the path is too long for a unix socket (107 bytes).
  local want="$ROOT/.local/postgres" alt
  # PG_HOME_DIR: a second, private cluster elsewhere (e.g. a temp dir for fault tests, with its
  # own PGPORT_OPTICALL); the caller makes sure the postgres user can reach it.
  if [[ -n "${PG_HOME_DIR:-}" ]]; then BASE="$PG_HOME_DIR"; mkdir -p "$BASE"; return; fi
  alt="/var/tmp/opticall-pg-$(printf %s "$ROOT" | sha256sum | cut -c1-12)"
  if [[ -L "$want" ]]; then BASE="$alt"; return; fi
  BASE="$want"
  [[ -d "$want" ]] && return
  mkdir -p "$ROOT/.local"
  if ((${#want} > 80)) || { ((EUID == 0)) && ! runuser -u postgres -- test -x "$ROOT/.local"; }; then
    say "using $alt for the cluster ($want is out of the postgres user's reach or too long for a socket path)"
    mkdir -p "$alt"
    ln -sfn "$alt" "$want"
    BASE="$alt"
  fi
}

setup_paths() {
  ensure_server
  if ((EUID == 0)); then id postgres >/dev/null 2>&1 || die "no 'postgres' system user to run the cluster as"; fi
  choose_base
  DATA="$BASE/data"
  RUN="$BASE/run"
  LOG="$BASE/postgres.log"
  # A cluster must run with the major version that created it.
  if [[ -f "$DATA/PG_VERSION" && -x "/usr/lib/postgresql/$(cat "$DATA/PG_VERSION")/bin/pg_ctl" ]]; then
    PGBIN="/usr/lib/postgresql/$(cat "$DATA/PG_VERSION")/bin"
  else
    PGBIN="$(find_bin)"
  fi
}

ours_running() { [[ -f "$DATA/PG_VERSION" ]] && as_owner "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

# True when the opticall role can log in on the port with its password.
opticall_works() {
  PGPASSWORD=opticall PGCONNECT_TIMEOUT=3 "$PGBIN/psql" -X -qtA -h 127.0.0.1 -p "$PORT" \
    -U opticall -d postgres -c 'select 1' >/dev/null 2>&1
}

ensure_dbs() { # as opticall over TCP, so it works on a reused cluster too
  PGPASSWORD=opticall "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -v dbs="$DBS" \
    -h 127.0.0.1 -p "$PORT" -U opticall -d postgres >/dev/null <<'SQL'
SELECT format('CREATE DATABASE %I', d) FROM unnest(string_to_array(:'dbs', ' ')) AS d
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = d)
\gexec
SQL
}

start() {
  if external; then say "using DATABASE_URL from the environment; starting nothing"; return 0; fi
  setup_paths
  if ! ours_running && "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    opticall_works ||
      die "127.0.0.1:$PORT is taken by a server that does not accept opticall/opticall; set PGPORT_OPTICALL or DATABASE_URL"
    ensure_dbs
    say "reusing the PostgreSQL cluster already on 127.0.0.1:$PORT (not this checkout's)"
    return 0
  fi
  if ((EUID == 0)); then
    install -d -o postgres -g postgres -m 700 "$BASE" "$RUN"
  else
    mkdir -p "$RUN"
    chmod 700 "$BASE" "$RUN"
  fi
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    # Loopback TCP needs the password (scram); the unix socket, in a 0700
    # directory only the owner (and root) can enter, trusts the owner.
    as_owner "$PGBIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 >"$BASE/initdb.log" 2>&1 ||
      { cat "$BASE/initdb.log" >&2; die "initdb failed"; }
    echo "include_if_exists = 'opticall.conf'" | as_owner tee -a "$DATA/postgresql.conf" >/dev/null
  fi
  # Rewritten at every start so that PGPORT_OPTICALL applies.
  as_owner tee "$DATA/opticall.conf" >/dev/null <<EOF
# Generated by scripts/postgres.sh: a dev/test cluster, fast rather than durable.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$RUN'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  # Ours, but on another port (PGPORT_OPTICALL changed): restart on this one.
  # pg_isready exit 2 = no answer at all (1 would be "starting up").
  local rc=0
  "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" || rc=$?
  if ((rc == 2)) && ours_running; then as_owner "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
  if ! ours_running; then
    as_owner "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null ||
      { tail -n 20 "$LOG" >&2; die "PostgreSQL did not start (log: $LOG)"; }
  fi
  local t0=$SECONDS
  until "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; do
    ((SECONDS - t0 < 30)) || die "pg_isready gets no answer on 127.0.0.1:$PORT (log: $LOG)"
    sleep 0.2
  done
  # The role, once, as the superuser over the owner-only unix socket.
  as_owner "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PORT" -U postgres -d postgres >/dev/null <<'SQL'
SELECT 'CREATE ROLE opticall LOGIN CREATEDB PASSWORD ''opticall'''
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opticall')
\gexec
SQL
  ensure_dbs
  say "PostgreSQL $(cat "$DATA/PG_VERSION") ready on 127.0.0.1:$PORT (data $DATA)"
}

stop() {
  if external; then say "DATABASE_URL is external; nothing to stop"; return 0; fi
  setup_paths
  if ours_running; then
    as_owner "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    say "stopped"
  else
    say "not running (this checkout's cluster)"
  fi
}

status() {
  if external; then say "DATABASE_URL is external"; return 0; fi
  setup_paths
  if ours_running && opticall_works; then say "running on 127.0.0.1:$PORT (data $DATA)"; return 0; fi
  if opticall_works; then say "127.0.0.1:$PORT is served by another checkout's cluster"; return 0; fi
  say "not running"; return 1
}

env_lines() {
  if external; then printf 'export DATABASE_URL=%q\n' "$DATABASE_URL"; return 0; fi
  printf 'export DATABASE_URL=%q\n' "$OURS"
  local svc
  for svc in AUTH SCHEDULING FORECASTING REALTIME; do
    printf 'export %s_DATABASE_URL=%q\n' "$svc" "$URL_BASE/opticall_${svc,,}"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) env_lines ;;
  *) echo "usage: $0 {start|stop|status|env}" >&2; exit 2 ;;
esac
