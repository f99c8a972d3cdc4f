#!/usr/bin/env bash
# Headroom's benchmarks. `cargo xtask bench` runs this script after it has
# built the console in dist/ and the release server. From the repository
# root, `bash benches/run.sh` runs it directly. docs/benchmarks.md records
# the figures and explains them.
#
# (a) Autoscaling: `headroom simulate`, a day of each traffic scenario
#     under the autoscaler, a fixed count sized for the peak and the best
#     plan.
# (b) The console's first-visit transfer: the bytes on the wire for / and
#     every script, wasm and stylesheet the index references, with
#     Accept-Encoding: br and with gzip, against a budget of 250 KB
#     (250,000 bytes) for br, which every current browser accepts.
# (c) The cost of reading the configuration: wrk against
#     get-feature-server-config, /auth/me with the same API key, a static
#     console file, and /healthz when the server has it.
# (d) The load generator: 20 s of steady traffic at 200 requests/s while
#     the autoscaler works.
#
# Every request goes to a server this script starts on 127.0.0.1 with a
# temporary data directory, and the server stops when the script exits.

set -euo pipefail
cd "$(dirname "$0")/.."

HEADROOM=target/release/headroom
CONSOLE_DIR=dist
BUDGET_BYTES=250000
WRK_DURATION=5s
WRK_THREADS=2
WRK_CONNECTIONS=16

fail() {
    echo "error: $*" >&2
    exit 1
}

if [[ ! -x $HEADROOM ]]; then
    fail "$HEADROOM is missing; build it with: cargo build --release -p headroom-server"
fi
if [[ ! -f $CONSOLE_DIR/index.html ]]; then
    fail "$CONSOLE_DIR/index.html is missing; build the console with: cargo xtask build"
fi
command -v curl > /dev/null || fail "curl is missing; install it with: apt-get install -y curl"
if ! command -v wrk > /dev/null; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get > /dev/null; then
        echo "Installing wrk with apt-get."
        apt-get install -y wrk > /dev/null
    else
        fail "wrk is missing; install it with: sudo apt-get install -y wrk"
    fi
fi

umask 077
workdir=$(mktemp -d)
server_pid=""

stop_server() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2> /dev/null; then
        kill -TERM "$server_pid"
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2> /dev/null || break
            sleep 0.1
        done
        kill -0 "$server_pid" 2> /dev/null && kill -KILL "$server_pid"
        wait "$server_pid" 2> /dev/null || true
    fi
    server_pid=""
}

cleanup() {
    stop_server
    rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# Headroom benchmarks"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "- commit: $(git rev-parse --short HEAD 2> /dev/null || echo unknown)"
echo "- cores: $(nproc)"
echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
echo "- RAM: $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "- $(rustc --version 2> /dev/null || echo "rustc unknown")"
echo "- $(wrk --version 2>&1 | head -n 1 | cut -d ' ' -f 1-2)"

echo
echo "## (a) Autoscaling simulation"
echo
"$HEADROOM" simulate

echo
echo "## Server under test"
echo
data_dir="$workdir/data"

# The cluster clock runs 60 times faster, so that the autoscaler of (d)
# reacts within the run. It does not change (b) or (c).
: > "$workdir/serve.log"
HEADROOM_ADMIN_PASSWORD="$(head -c 18 /dev/urandom | base64)" NO_COLOR=1 \
    "$HEADROOM" serve --data-dir "$data_dir" --listen 127.0.0.1:0 --console-dir "$CONSOLE_DIR" \
    --time-scale 60 > "$workdir/serve.out" 2> "$workdir/serve.log" &
server_pid=$!

port=""
for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$workdir/serve.log" | head -n 1)
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2> /dev/null || fail "headroom serve exited: $(tail -n 5 "$workdir/serve.log")"
    sleep 0.1
done
[[ -n $port ]] || fail "headroom serve did not report its address within 10 s"
base="http://127.0.0.1:$port"
echo "headroom serve listens on $base with the console from $CONSOLE_DIR/ and a temporary data directory."

# Creates a service account in the running server's database and writes
# its API key, which is printed only once, to a file.
create_key() {
    local name=$1 role=$2 file=$3
    if ! "$HEADROOM" service-account create --data-dir "$data_dir" --name "$name" --role "$role" \
        > "$file" 2> "$workdir/create.err"; then
        fail "cannot create the service account $name: $(cat "$workdir/create.err")"
    fi
}
create_key bench-reader viewer "$workdir/viewer.key"
create_key bench-ops admin "$workdir/admin.key"
create_key bench-load consumer "$workdir/consumer.key"

echo
echo "## (b) First-visit transfer of the console"
echo
# Prints the size on the wire, the status and the content encoding of one
# response to a request that accepts `encoding`.
transfer() {
    local encoding=$1 path=$2 size status
    read -r size status < <(curl -s -H "Accept-Encoding: $encoding" -D "$workdir/headers" -o /dev/null \
        -w '%{size_download} %{http_code}\n' "$base$path")
    local content_encoding
    content_encoding=$(tr -d '\r' < "$workdir/headers" | sed -n 's/^[Cc]ontent-[Ee]ncoding: *//p' | head -n 1)
    echo "$size $status ${content_encoding:-identity}"
}

# Without the .gz copies that `cargo xtask build` writes, the server
# compresses each response on the fly at its default gzip level.
if compgen -G "$CONSOLE_DIR/*.wasm.gz" > /dev/null; then
    echo "$CONSOLE_DIR/ has precompressed .gz and .br copies, which the server sends as they are."
else
    echo "$CONSOLE_DIR/ has no precompressed copies, so the server compresses with gzip on the fly" \
        "and sends responses to br requests uncompressed. \`cargo xtask build\` writes the copies."
fi
echo

index=$(curl -s "$base/")
mapfile -t assets < <(grep -oE '/[A-Za-z0-9._/-]+\.(js|wasm|css)\b' <<< "$index" | sort -u)
[[ ${#assets[@]} -gt 0 ]] || fail "the index at $base/ references no script, wasm or stylesheet"

echo "| path | gzip bytes | encoding | br bytes | encoding |"
echo "|---|---:|---|---:|---|"
gzip_total=0
br_total=0
for path in / "${assets[@]}"; do
    read -r gzip_size gzip_status gzip_encoding < <(transfer gzip "$path")
    read -r br_size br_status br_encoding < <(transfer br "$path")
    [[ $gzip_status == 200 && $br_status == 200 ]] || fail "GET $path returned $gzip_status and $br_status"
    echo "| $path | $gzip_size | $gzip_encoding | $br_size | $br_encoding |"
    gzip_total=$((gzip_total + gzip_size))
    br_total=$((br_total + br_size))
done
echo "| total | $gzip_total | | $br_total | |"
echo
# Chromium, Firefox and Safari all accept br, so br is what a first visit sends.
if ((br_total <= BUDGET_BYTES)); then
    verdict="within the budget of $BUDGET_BYTES bytes, $((BUDGET_BYTES - br_total)) bytes to spare"
else
    verdict="OVER the budget of $BUDGET_BYTES bytes by $((br_total - BUDGET_BYTES)) bytes"
fi
echo "First visit with br: $br_total bytes, $verdict. With gzip only: $gzip_total bytes."

echo
echo "## (c) Reading the configuration against a bare handler"
echo
echo "wrk, $WRK_THREADS threads, $WRK_CONNECTIONS connections, $WRK_DURATION per endpoint, on 127.0.0.1." \
    "The server logs every request at its default log level."
echo
# Runs wrk against one path and prints a table row: requests per second,
# latency percentiles and responses that were not 2xx or 3xx.
measure() {
    local label=$1 path=$2 key_file=${3:-}
    local arguments=(-t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d "$WRK_DURATION" --latency)
    if [[ -n $key_file ]]; then
        arguments+=(-s benches/wrk-api-key.lua)
    fi
    local output
    output=$(HEADROOM_BENCH_KEY_FILE="$key_file" wrk "${arguments[@]}" "$base$path")
    local rate average p50 p99 errors
    rate=$(awk '/^Requests\/sec:/ {print $2}' <<< "$output")
    average=$(awk '$1 == "Latency" && NF >= 4 {print $2; exit}' <<< "$output")
    p50=$(awk '$1 == "50%" {print $2}' <<< "$output")
    p99=$(awk '$1 == "99%" {print $2}' <<< "$output")
    errors=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<< "$output")
    echo "| $label | \`GET $path\` | $rate | $average | $p50 | $p99 | ${errors:-0} |"
}

echo "| handler | request | requests/s | latency avg | p50 | p99 | non-2xx |"
echo "|---|---|---:|---:|---:|---:|---:|"
healthz_status=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/healthz")
if [[ $healthz_status == 200 ]]; then
    measure "bare handler, no authentication" /api/v1/healthz
fi
measure "static console file" /public/favicon.svg
measure "API key check only" /api/v1/auth/me "$workdir/viewer.key"
measure "read the configuration" /api/v1/metadata-service/get-feature-server-config "$workdir/viewer.key"
if [[ $healthz_status != 200 ]]; then
    echo
    echo "GET /api/v1/healthz returned $healthz_status, so no bare handler was measured."
fi

echo
echo "## (d) Load generator against the autoscaler"
echo
admin_key=$(< "$workdir/admin.key")
curl -s -o /dev/null -X POST "$base/api/v1/metadata-service/set-feature-server-config" \
    -H @- -d '{"autoScalingConfig": {"enabled": true, "minNodeCount": 1, "maxNodeCount": 50}}' \
    <<< "Authorization: Tecton-key $admin_key"
unset admin_key
echo "Autoscaling on, 1 to 50 pods, starting from 2 pods (160 requests/s of capacity)."
echo
"$HEADROOM" loadgen --url "$base" --api-key-file "$workdir/consumer.key" --scenario steady \
    --base-rate 200 --duration 20s --report-every 5s
echo
curl -s "$base/api/v1/metadata-service/get-feature-server-config" -H @- \
    <<< "Authorization: Tecton-key $(< "$workdir/viewer.key")"
echo

stop_server
echo
echo "Done; the server has stopped."
