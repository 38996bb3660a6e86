# Shared helpers for stopplan's integration tests (tests/*.test).
#
# Source it from a test script:   . "$srcdir/lib.sh"
#
# The automake harness runs each test in the build's tests directory with
# STOPPLAN (path of the built binary), srcdir (source tests directory) and
# optionally PYTHON (default python3) in the environment.  Tests print
# "PASS: ..." for every assertion and exit 0 on success, 1 on failure
# (fail). No test is ever skipped.
#
# Functions (see each one's comment):
#   tmpdir_setup                           make $T, clean up at exit
#   start_server NAME ROUTES_JSON [ARGS]   tests/server.py -> $PORT_NAME
#   set_routes NAME ROUTES_JSON            rewrite a server's routes
#   start_listener NAME [ARGS] [PORTS]     tests/tcp-listen.py -> $PORT_NAME
#   start_bg NAME CMD [ARGS]               any command -> $PID_NAME
#   wait_bg NAME [TIMEOUT_S]               wait for it, set RC
#   stop_bg NAME                           SIGTERM it and wait
#   wait_for_file FILE [TIMEOUT_S]
#   wait_for_line FILE REGEX [TIMEOUT_S]
#   nreqs NAME / req_field NAME INDEX FIELD
#   run_plan OUT_PREFIX ARGS...            run $STOPPLAN, set RC, ELAPSED_MS, RUN_MS
#   run_ms OUT_PREFIX                      the run's duration from stopplan's own log
#   now_ms
#   fail MSG / pass MSG
#   assert_eq EXPECTED ACTUAL WHAT / assert_exit EXPECTED ACTUAL [WHAT]
#   assert_match REGEX FILE WHAT / assert_no_match REGEX FILE WHAT
#   assert_between LOW HIGH VALUE WHAT
#   in_netns "$0" "$@"                     re-run the test in a private netns

# shellcheck disable=SC2034  # RC, ELAPSED_MS, PORT_* are for the tests
: "${PYTHON:=python3}"
: "${srcdir:=$(dirname "$0")}"
TESTS_SRCDIR=$(cd "$srcdir" && pwd) || {
    echo "FAIL: cannot find the tests source directory '$srcdir'" >&2
    exit 1
}
# Seconds after which run_plan kills stopplan (exit status 137).
: "${RUN_TIMEOUT:=120}"

_BG_PIDS=
_LAST_RUN=

# ---------------------------------------------------------------------------
# Results

# pass MSG: report a successful check.
pass() {
    echo "PASS: $*"
}

# fail MSG: report a failure (plus the output of the last run_plan) and
# exit 1.  Inside $(...) it only leaves the subshell.
fail() {
    echo "FAIL: $*" >&2
    if [ -n "$_LAST_RUN" ]; then
        for _f in "$_LAST_RUN.out" "$_LAST_RUN.err"; do
            [ -f "$_f" ] || continue
            echo "--- $_f:" >&2
            cat "$_f" >&2
        done
    fi
    exit 1
}

# ---------------------------------------------------------------------------
# Temporary directory and background processes

# tmpdir_setup: create $T and make sure every background process started
# by this library is stopped and $T removed when the script exits.  Set
# STOPPLAN_KEEP_TMP=1 to keep $T for inspection.
tmpdir_setup() {
    T=$(mktemp -d "${TMPDIR:-/tmp}/stopplan-test.XXXXXX") ||
        fail "cannot create a temporary directory"
    trap _cleanup EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

_cleanup() {
    _rc=$?
    trap - EXIT
    for _p in $_BG_PIDS; do kill "$_p" 2>/dev/null; done
    for _p in $_BG_PIDS; do wait "$_p" 2>/dev/null; done
    _BG_PIDS=
    if [ "${STOPPLAN_KEEP_TMP:-0}" = 1 ]; then
        echo "kept $T" >&2
    elif [ -n "${T:-}" ]; then
        rm -rf "$T"
    fi
    exit "$_rc"
}

# _check_name NAME: NAME is used in variable names, so keep it simple.
_check_name() {
    case $1 in
    '' | [0-9]* | *[!A-Za-z0-9_]*) fail "bad name '$1' (use [A-Za-z0-9_])" ;;
    esac
    [ -n "${T:-}" ] || fail "call tmpdir_setup first"
}

# _track NAME PID: remember a background process for stop/cleanup.
_track() {
    _BG_PIDS="$_BG_PIDS $2"
    eval "PID_$1=\$2"
}

_untrack() {
    _rest=
    for _p in $_BG_PIDS; do
        [ "$_p" = "$1" ] || _rest="$_rest $_p"
    done
    _BG_PIDS=$_rest
}

# _pid_of NAME: print $PID_NAME, fail if NAME was never started.
_pid_of() {
    eval "_pid=\${PID_$1:-}"
    [ -n "$_pid" ] || fail "no background process named '$1'"
    echo "$_pid"
}

# start_bg NAME CMD [ARGS...]: run a command in the background with stdout
# in $T/NAME.out and stderr in $T/NAME.err; sets PID_NAME and BG_PID.
start_bg() {
    _check_name "$1"
    _name=$1
    shift
    "$@" >"$T/$_name.out" 2>"$T/$_name.err" &
    BG_PID=$!
    _track "$_name" "$BG_PID"
}

# wait_bg NAME [TIMEOUT_S]: wait (default at most 30 s, then SIGKILL and
# fail) for a background process to end; sets RC to its exit status.
wait_bg() {
    _pid=$(_pid_of "$1") || exit 1
    # Poll rather than run a watchdog subshell: a subshell signalled before it
    # resets the traps it inherited would run _cleanup and kill our servers.
    _n=$(_iterations "${2:-30}")
    while kill -0 "$_pid" 2>/dev/null && [ "$_n" -gt 0 ]; do
        sleep 0.02
        _n=$((_n - 1))
    done
    if kill -0 "$_pid" 2>/dev/null; then
        kill -KILL "$_pid" 2>/dev/null
        wait "$_pid" 2>/dev/null
        _untrack "$_pid"
        fail "'$1' still running after ${2:-30} s (killed)"
    fi
    wait "$_pid"
    RC=$?
    _untrack "$_pid"
}

# stop_bg NAME: send SIGTERM to a background process and wait for it.
stop_bg() {
    _pid=$(_pid_of "$1") || exit 1
    kill "$_pid" 2>/dev/null
    wait "$_pid" 2>/dev/null
    _untrack "$_pid"
}

# ---------------------------------------------------------------------------
# Waiting

# _iterations TIMEOUT_S: number of 20 ms polls in TIMEOUT_S seconds.
_iterations() {
    awk -v t="$1" 'BEGIN { printf "%d\n", t * 50 + 1 }'
}

# wait_for_file FILE [TIMEOUT_S]: poll every 20 ms (default at most 10 s)
# until FILE exists; returns 1 on timeout.
wait_for_file() {
    _n=$(_iterations "${2:-10}")
    while [ "$_n" -gt 0 ]; do
        [ -e "$1" ] && return 0
        sleep 0.02
        _n=$((_n - 1))
    done
    return 1
}

# wait_for_line FILE REGEX [TIMEOUT_S]: poll every 20 ms (default at most
# 10 s) until FILE has a line matching the extended REGEX; fails the test
# on timeout.
wait_for_line() {
    _n=$(_iterations "${3:-10}")
    while [ "$_n" -gt 0 ]; do
        grep -Eq -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.02
        _n=$((_n - 1))
    done
    echo "--- $1:" >&2
    cat "$1" >&2 2>/dev/null
    fail "no line matching '$2' in $1 after ${3:-10} s"
}

# _wait_port_file NAME FILE: wait for a helper's port file, set PORT_NAME.
_wait_port_file() {
    if ! wait_for_file "$2" 10; then
        cat "$T/$1.log" >&2 2>/dev/null
        fail "'$1' did not start listening within 10 s"
    fi
    read -r _port _more <"$2"
    eval "PORT_$1=\$_port"
}

# ---------------------------------------------------------------------------
# Test servers

# set_routes NAME ROUTES_JSON: (re)write $T/NAME.routes.json atomically.
# The server re-reads it on every request; hit counters ("times") restart.
set_routes() {
    _check_name "$1"
    if ! printf '%s\n' "$2" >"$T/$1.routes.json.tmp" ||
        ! mv -f "$T/$1.routes.json.tmp" "$T/$1.routes.json"; then
        fail "cannot write routes for '$1'"
    fi
}

# start_server NAME ROUTES_JSON [ARGS...]: start tests/server.py (extra
# ARGS passed on, e.g. --tls-cert C --tls-key K) recording requests in
# $T/NAME.reqs, logging to $T/NAME.log; sets PORT_NAME and PID_NAME.
start_server() {
    [ $# -ge 2 ] || fail "usage: start_server NAME ROUTES_JSON [ARGS...]"
    _check_name "$1"
    _name=$1
    set_routes "$_name" "$2"
    shift 2
    rm -f "$T/$_name.port"
    "$PYTHON" "$TESTS_SRCDIR/server.py" --routes "$T/$_name.routes.json" \
        --record "$T/$_name.reqs" --port-file "$T/$_name.port" "$@" \
        >"$T/$_name.log" 2>&1 &
    _track "$_name" "$!"
    _wait_port_file "$_name" "$T/$_name.port"
}

# start_listener NAME [ARGS...] [PORTS...]: start tests/tcp-listen.py on
# PORTS (default one ephemeral port; ARGS such as --ipv6 or --bind ADDR are
# passed on), logging to $T/NAME.log.  Sets PORT_NAME to the first port,
# PORTS_NAME to all of them, and PID_NAME.
start_listener() {
    _check_name "$1"
    _name=$1
    shift
    [ $# -gt 0 ] || set -- 0
    rm -f "$T/$_name.port"
    "$PYTHON" "$TESTS_SRCDIR/tcp-listen.py" --port-file "$T/$_name.port" "$@" \
        >"$T/$_name.log" 2>&1 &
    _track "$_name" "$!"
    _wait_port_file "$_name" "$T/$_name.port"
    eval "PORTS_$_name=\$(cat \"\$T/\$_name.port\")"
}

# nreqs NAME: print how many requests server NAME has recorded.
nreqs() {
    if [ -f "$T/$1.reqs" ]; then
        awk 'END { print NR }' "$T/$1.reqs"
    else
        echo 0
    fi
}

# req_field NAME INDEX FIELD: print FIELD of the INDEX-th (0-based) request
# recorded by server NAME.  FIELD: method, path, query, body, version,
# time, headers.NAME (case-insensitive) or args.NAME (first value).
# Prints nothing and returns 1 if there is no such request or field.
req_field() {
    "$PYTHON" - "$T/$1.reqs" "$2" "$3" <<'EOF'
import json, sys

path, index, field = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    with open(path, encoding="utf-8") as f:
        req = json.loads(f.readlines()[index])
except (OSError, IndexError):
    sys.exit(1)
kind, _, name = field.partition(".")
if kind == "headers" and name:
    value = req["headers"].get(name.lower())
elif kind == "args" and name:
    value = (req["args"].get(name) or [None])[0]
else:
    value = req.get(field)
if value is None:
    sys.exit(1)
sys.stdout.write("%s\n" % value)
EOF
}

# ---------------------------------------------------------------------------
# Running stopplan

# now_ms: print the current time in milliseconds.
now_ms() {
    _ns=$(date +%s%N 2>/dev/null)
    case $_ns in
    '' | *[!0-9]*) "$PYTHON" -c 'import time; print(int(time.time() * 1000))' ;;
    *) echo "${_ns%??????}" ;;
    esac
}

# run_plan OUT_PREFIX ARGS...: run "$STOPPLAN" ARGS with stdout in
# OUT_PREFIX.out and stderr in OUT_PREFIX.err; sets RC (137 if it was
# killed after RUN_TIMEOUT seconds) and ELAPSED_MS.  Never exits the script.
run_plan() {
    [ -n "${STOPPLAN:-}" ] || fail "STOPPLAN is not set"
    _LAST_RUN=$1
    shift
    _start=$(now_ms)
    if command -v timeout >/dev/null 2>&1; then
        timeout -s KILL "$RUN_TIMEOUT" "$STOPPLAN" "$@" \
            >"$_LAST_RUN.out" 2>"$_LAST_RUN.err" </dev/null
    else
        "$STOPPLAN" "$@" >"$_LAST_RUN.out" 2>"$_LAST_RUN.err" </dev/null
    fi
    RC=$?
    ELAPSED_MS=$(($(now_ms) - _start))
    RUN_MS=$(run_ms "$_LAST_RUN")
    return 0
}

# run_ms OUT_PREFIX: print how long the run took by stopplan's own clock, from the summary line in
# OUT_PREFIX.err (text or JSON log), or nothing when there is none. Timing assertions use it (not
# ELAPSED_MS, which also counts starting the process) so that they hold on a loaded machine.
run_ms() {
    sed -n -e 's/^stopplan: plan .* in \([0-9][0-9]*\) ms: .*$/\1/p' \
        -e '/"event":"summary"/s/.*"ms":\([0-9][0-9]*\).*/\1/p' "$1.err" 2>/dev/null | tail -n 1
}

# ---------------------------------------------------------------------------
# Assertions (each prints "PASS: ..." or fails the test)

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
    [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
    pass "$3"
}

# assert_exit EXPECTED ACTUAL [WHAT]: compare exit statuses.
assert_exit() {
    [ "$1" = "$2" ] || fail "${3:-exit status}: expected exit status $1, got $2"
    pass "${3:-exit status $1}"
}

# assert_match REGEX FILE WHAT: FILE has a line matching the extended REGEX.
assert_match() {
    if ! grep -Eq -- "$1" "$2" 2>/dev/null; then
        echo "--- $2:" >&2
        cat "$2" >&2 2>/dev/null
        fail "$3: no line matching '$1' in $2"
    fi
    pass "$3"
}

# assert_no_match REGEX FILE WHAT: no line of FILE matches REGEX.
assert_no_match() {
    if grep -Eq -- "$1" "$2" 2>/dev/null; then
        echo "--- $2:" >&2
        cat "$2" >&2
        fail "$3: unexpected line matching '$1' in $2"
    fi
    pass "$3"
}

# assert_between LOW HIGH VALUE WHAT: LOW <= VALUE <= HIGH (decimals ok).
assert_between() {
    awk -v lo="$1" -v hi="$2" -v v="$3" 'BEGIN {
        if (v !~ /^-?[0-9]+(\.[0-9]*)?$/) exit 1
        exit !(lo + 0 <= v + 0 && v + 0 <= hi + 0)
    }' || fail "$4: $3 is not between $1 and $2"
    pass "$4 ($3 in [$1, $2])"
}

# ---------------------------------------------------------------------------
# Network namespace

# in_netns SCRIPT [ARGS...]: unless already done, re-run SCRIPT (normally
# "$0" "$@") with /bin/sh inside a new network namespace whose loopback is
# up, so the test owns every port.  Call it before tmpdir_setup.  Fails the
# test when namespaces are not available.
in_netns() {
    [ "${STOPPLAN_IN_NETNS:-}" = 1 ] && return 0
    [ -z "$_BG_PIDS" ] || fail "in_netns must be called before starting processes"
    PATH=$PATH:/usr/sbin:/sbin
    command -v unshare >/dev/null 2>&1 || fail "unshare is not installed"
    command -v ip >/dev/null 2>&1 || fail "ip (iproute2) is not installed"
    if unshare -n true 2>/dev/null; then
        _unshare="unshare -n"
    elif unshare -r -n true 2>/dev/null; then
        _unshare="unshare -r -n"
    else
        fail "cannot create a network namespace"
    fi
    STOPPLAN_IN_NETNS=1
    export STOPPLAN_IN_NETNS PATH
    exec $_unshare /bin/sh -c 'ip link set lo up && exec /bin/sh "$@"' sh "$@"
}
