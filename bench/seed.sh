#!/bin/bash
# seed.sh: the preStop script that plans/hsf-lwp.yaml replaces, as it was, for the
# benchmark (bench/run): three LWP offline calls whatever they return, each followed by
# `sleep 1`, four ss runs for the HSF ports, then the HSF offline call checked with grep (exit 9
# when the text is missing). Its 3 s of sleeps make its "about 3.06 s".
offline_lwp_url=${OFFLINE_LWP_URL:?OFFLINE_LWP_URL is not set}
APP_NAME=${APP_NAME:?APP_NAME is not set}
HSF_ONLINE_TIMEOUT=${HSF_ONLINE_TIMEOUT:-10}

for _ in 1 2 3; do
    curl -s --connect-timeout 3 --max-time 5 "${offline_lwp_url}${APP_NAME}" >/dev/null
    sleep 1
done

hsf4=$(ss -ln4 sport = :12200 | grep -c 12200)
hsf6=$(ss -ln6 sport = :12200 | grep -c 12200)
http4=$(ss -ln4 sport = :12201 | grep -c 12201)
http6=$(ss -ln6 sport = :12201 | grep -c 12201)
if [ $((hsf4 + hsf6)) -gt 0 ] && [ $((http4 + http6)) -gt 0 ]; then
    result=$(curl -s --max-time "$HSF_ONLINE_TIMEOUT" "http://localhost:12201/hsf/offline?k=hsf")
    if ! echo "$result" | grep -q 'server is unregistered on cs(dr)'; then
        echo "hsf offline failed: $result" >&2
        exit 9
    fi
else
    echo "warning: HSF ports not listening; HSF offline skipped" >&2
fi
exit 0
