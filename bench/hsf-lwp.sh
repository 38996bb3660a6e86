#!/bin/bash
# hsf-lwp.sh: plans/hsf-lwp.yaml written as a shell script with curl, ss and grep, for the
# benchmark (bench/run). Same logic as the plan:
#   1. GET ${OFFLINE_LWP_URL}${APP_NAME}: once if it succeeds, else retried, at most 3 attempts
#      1 s apart; a failure only warns;
#   2. ports 12200 and 12201 must be listening (ipv4 or ipv6 socket table); if not: warn, exit 0;
#   3. GET http://localhost:12201/hsf/offline?k=hsf within HSF_ONLINE_TIMEOUT seconds must answer
#      2xx with "server is unregistered on cs(dr)", else exit 9.
# (app_name's pattern and the urlencode filter are not repeated here: the benchmark's name is plain.)
: "${APP_NAME:?APP_NAME is not set}" "${OFFLINE_LWP_URL:?OFFLINE_LWP_URL is not set}"
HSF_ONLINE_TIMEOUT=${HSF_ONLINE_TIMEOUT:-10}

attempt=1
until curl -sf -o /dev/null --connect-timeout 3 --max-time 5 "${OFFLINE_LWP_URL}${APP_NAME}"; do
    if [ "$attempt" -ge 3 ]; then
        echo "hsf-lwp.sh: warning: LWP offline failed; going on with HSF" >&2
        break
    fi
    attempt=$((attempt + 1))
    sleep 1
done

listening() {
    [ -n "$(ss -Hln4 "sport = :$1")" ] || [ -n "$(ss -Hln6 "sport = :$1")" ]
}
if ! listening 12200 || ! listening 12201; then
    echo "hsf-lwp.sh: warning: HSF ports not listening; HSF offline skipped" >&2
    exit 0
fi

if ! curl -sf --max-time "$HSF_ONLINE_TIMEOUT" "http://localhost:12201/hsf/offline?k=hsf" |
    grep -q 'server is unregistered on cs(dr)'; then
    echo "hsf-lwp.sh: hsf offline failed" >&2
    exit 9
fi
exit 0
