#!/usr/bin/env bash
# Run a real one-node Apache Kafka broker (KRaft, broker+controller in one JVM)
# for development and tests, without Docker and without a Kafka download:
# the broker's jars come from Maven Central through scripts/kafka/pom.xml.
#
#   scripts/kafka.sh start   # idempotent; waits until the broker answers
#   scripts/kafka.sh stop    # SIGTERM, then SIGKILL after 30 s
#   scripts/kafka.sh status  # exit 0 when a broker answers on the port
#   scripts/kafka.sh env     # prints: export KAFKA_BOOTSTRAP_SERVERS=...
#   scripts/kafka.sh reset   # stop, then delete data/ (all topics): a fresh broker next start
#
# State lives in <checkout>/.local/kafka (git-ignored): libs/ (jars), data/
# (topics survive restarts), server.properties, broker.log, broker.pid.
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_HEAP (768m),
# KAFKA_NUM_PARTITIONS (3), KAFKA_HOME_DIR (state dir, default <checkout>/.local/kafka).
# If KAFKA_BOOTSTRAP_SERVERS points elsewhere, that broker is used and nothing is
# started or stopped.
set -euo pipefail

KAFKA_VERSION=4.1.1 # keep in step with scripts/kafka/pom.xml
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# The checkout root is the script's parent, not `git rev-parse`: this works in
# a copy without .git too.
ROOT="$(dirname "$SCRIPTS")"
# KAFKA_HOME_DIR puts a second, private broker's state elsewhere (e.g. a temp dir for fault
# tests, with its own KAFKA_PORT / KAFKA_CONTROLLER_PORT); the jars stay shared.
HOME_DIR="${KAFKA_HOME_DIR:-$ROOT/.local/kafka}"
LIBS="$ROOT/.local/kafka/libs"
DATA="$HOME_DIR/data"
CONF="$HOME_DIR/server.properties"
LOG="$HOME_DIR/broker.log"
PIDFILE="$HOME_DIR/broker.pid"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
OURS="127.0.0.1:$PORT"

say() { echo "kafka.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

# An external broker is one named by KAFKA_BOOTSTRAP_SERVERS other than ours:
# a shell that ran `eval "$(scripts/kafka.sh env)"` must still be able to start
# the local broker.
external() { [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" && "$KAFKA_BOOTSTRAP_SERVERS" != "$OURS" ]]; }

# True when a Kafka broker answers an ApiVersions request on host $1 port $2.
# A TCP connect alone is not enough: the port may belong to something else, and
# Kafka opens its listener before it can serve requests.
answers() {
  python3 - "$1" "$2" 2>/dev/null <<'PY'
import socket, struct, sys
# ApiVersions (key 18) v0, correlation id 7, client id "probe"
req = struct.pack(">hhih", 18, 0, 7, 5) + b"probe"
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2) as s:
    s.settimeout(3)
    s.sendall(struct.pack(">i", len(req)) + req)
    head = b""
    while len(head) < 10:
        chunk = s.recv(10 - len(head))
        if not chunk:
            sys.exit(1)
        head += chunk
_size, corr, err = struct.unpack(">iih", head)
sys.exit(0 if corr == 7 and err == 0 else 1)
PY
}

# The pid in broker.pid, if that process is still our broker (pids get reused); else the
# pid of a JVM running our config without a pid file (orphaned, e.g. by an older version of
# this script), so that stop/reset still find it.
our_pid() {
  local pid=""
  [[ -f "$PIDFILE" ]] && pid="$(cat "$PIDFILE")"
  if [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $CONF"; then
    echo "$pid"
    return 0
  fi
  pid="$(pgrep -f -- "kafka[.]Kafka $(printf '%s' "$CONF" | sed 's/[][\.*^$]/\\&/g')\$" | head -n 1)"
  [[ -n "$pid" ]] || return 1
  echo "$pid"
}

need() { # install a missing tool from Debian when we can (fresh machines)
  command -v "$1" >/dev/null && return 0
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    say "installing $2 (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }
  fi
  command -v "$1" >/dev/null || die "$1 not found: install $2"
}

fetch_jars() {
  # The marker holds the version and the pom's hash: a changed pom re-fetches,
  # and libs/ is emptied first, because two versions of a jar on one classpath
  # break the broker in odd ways.
  local stamp
  stamp="$KAFKA_VERSION $(sha256sum "$SCRIPTS/kafka/pom.xml" | cut -c1-16)"
  [[ -f "$LIBS/.stamp" && "$(cat "$LIBS/.stamp")" == "$stamp" ]] && return 0
  need mvn maven
  say "fetching Kafka $KAFKA_VERSION jars from Maven Central (first run only)"
  rm -rf "$LIBS"
  mkdir -p "$LIBS"
  if ! mvn -q -B -f "$SCRIPTS/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$LIBS" -DincludeScope=runtime >"$HOME_DIR/mvn.log" 2>&1; then
    tail -n 30 "$HOME_DIR/mvn.log" >&2
    die "could not fetch the Kafka jars (full output: $HOME_DIR/mvn.log)"
  fi
  echo "$stamp" >"$LIBS/.stamp"
}

write_config() {
  # Rewritten on every start so that the port variables apply. Changing the
  # controller port of an existing data/ dir is not supported: remove data/.
  cat >"$CONF" <<EOF
# Generated by scripts/kafka.sh: edits are overwritten on the next start.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
num.partitions=${KAFKA_NUM_PARTITIONS:-3}
auto.create.topics.enable=true
default.replication.factor=1
min.insync.replicas=1
# One node: every internal topic must have replication factor 1.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer partitions for the internal topics than the default 50: they are
# created on first use, and 50 make the first group join/transaction slower.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
# No 3 s wait before the first rebalance: consumer groups join at once.
group.initial.rebalance.delay.ms=0
EOF
}

start() {
  if external; then
    say "using KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS; starting nothing"
    return 0
  fi
  if answers 127.0.0.1 "$PORT"; then
    if our_pid >/dev/null; then say "already running on $OURS"
    else say "a Kafka broker already answers on $OURS (not started from $ROOT); using it"; fi
    return 0
  fi
  if our_pid >/dev/null; then # started but not answering yet (another start in progress?)
    wait_ready "$(our_pid)"
    return 0
  fi
  local p
  for p in "$PORT" "$CONTROLLER_PORT"; do # fail fast instead of a bind stack trace
    if (: <"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      die "127.0.0.1:$p is taken by something that is not our Kafka broker; set KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    fi
  done
  need java default-jre-headless
  need python3 python3
  mkdir -p "$HOME_DIR"
  fetch_jars
  write_config
  local cp="$LIBS/*" # the JVM expands the wildcard itself, so keep it quoted
  if [[ ! -f "$DATA/meta.properties" ]]; then
    # Format once; a formatted dir keeps its cluster id and topics. The id is
    # what `StorageTool random-uuid` prints (16 random bytes, base64url, no
    # padding, not starting with '-'), made here to save a JVM start.
    local id
    id="$(python3 -c 'import base64, os
while (u := base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode())[0] == "-": pass
print(u)')"
    java -Dlog4j2.configurationFile="$SCRIPTS/kafka/log4j2.properties" -cp "$cp" \
      kafka.tools.StorageTool format --standalone -t "$id" -c "$CONF" >/dev/null ||
      die "formatting $DATA failed"
  fi
  [[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.1" # keep one previous log for post-mortems
  # No broker of ours runs (our_pid failed above), so a pid file left here is stale: removed,
  # or the wait below would read the old pid, find it dead and report a starting broker as
  # exited (deleting the new pid file and orphaning the JVM).
  rm -f "$PIDFILE"
  # setsid: its own session, so a Ctrl-C in the terminal (or the end of the
  # calling job) does not reach the broker; stop it with `kafka.sh stop`.
  # The inner shell writes its own pid, then becomes java via exec.
  # JVM flags as in Kafka's kafka-run-class.sh / kafka-server-start.sh.
  # shellcheck disable=SC2016 # $$ and $1 are for the inner shell
  setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PIDFILE" \
    java -Xms256m -Xmx"${KAFKA_HEAP:-768m}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$SCRIPTS/kafka/log4j2.properties" \
    -cp "$cp" kafka.Kafka "$CONF" >"$LOG" 2>&1 </dev/null &
  local _
  for _ in $(seq 50); do [[ -s "$PIDFILE" ]] && break; sleep 0.1; done
  [[ -s "$PIDFILE" ]] || die "the broker's launcher wrote no pid within 5 s; see $LOG"
  wait_ready "$(cat "$PIDFILE")"
}

wait_ready() { # until the broker serves requests, dies, or 120 s pass
  local pid="$1" t0=$SECONDS
  while ((SECONDS - t0 < 120)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "the broker exited; last lines of $LOG:"; tail -n 40 "$LOG" >&2
      rm -f "$PIDFILE"; exit 1
    fi
    # "Kafka Server started" is logged by KafkaRaftServer once the broker is
    # unfenced and its listeners serve requests.
    if grep -q "Kafka Server started" "$LOG" 2>/dev/null && answers 127.0.0.1 "$PORT"; then
      say "Kafka $KAFKA_VERSION ready on $OURS after $((SECONDS - t0)) s (pid $pid, log $LOG)"
      return 0
    fi
    sleep 0.3
  done
  say "the broker did not answer within 120 s; last lines of $LOG:"; tail -n 40 "$LOG" >&2
  # A data dir with thousands of partitions (topics left by test runs) can take longer than
  # this to load; the broker keeps starting in the background.
  say "it may still be loading $DATA ($(find "$DATA" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l) partition dirs):"
  say "wait and run '$0 status', or start afresh (all topics lost): $0 reset && $0 start"
  exit 1
}

stop() {
  if external; then say "KAFKA_BOOTSTRAP_SERVERS is external; nothing to stop"; return 0; fi
  local pid _
  if ! pid="$(our_pid)"; then say "not running"; rm -f "$PIDFILE"; return 0; fi
  kill -TERM "$pid"
  for _ in $(seq 300); do # a clean shutdown avoids log recovery at the next start
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then say "no exit after 30 s; SIGKILL"; kill -KILL "$pid"; fi
  rm -f "$PIDFILE"
  say "stopped"
}

reset() { # a broker slow to start over a data dir bloated by old topics: start afresh
  if external; then die "KAFKA_BOOTSTRAP_SERVERS is external; nothing to reset"; fi
  stop
  if answers 127.0.0.1 "$PORT"; then
    die "a broker not started from $ROOT still answers on $OURS; not deleting $DATA"
  fi
  rm -rf "$DATA"
  say "deleted $DATA (all topics); the next start formats a fresh one"
}

status() {
  if external; then
    local hp="${KAFKA_BOOTSTRAP_SERVERS%%,*}"
    answers "${hp%:*}" "${hp##*:}" && { say "external broker $hp answers"; return 0; }
    say "external broker $hp does not answer"; return 1
  fi
  if answers 127.0.0.1 "$PORT"; then
    if our_pid >/dev/null; then say "running on $OURS (pid $(our_pid))"
    else say "a broker not started from $ROOT answers on $OURS"; fi
    return 0
  fi
  say "not running"; return 1
}

env_lines() { printf 'export KAFKA_BOOTSTRAP_SERVERS=%q\n' "${KAFKA_BOOTSTRAP_SERVERS:-$OURS}"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) env_lines ;;
  reset) reset ;;
  *) echo "usage: $0 {start|stop|status|env|reset}" >&2; exit 2 ;;
esac
