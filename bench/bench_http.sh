#!/usr/bin/env bash
# bench/bench_http.sh: GET /api/v1/doors/{id} with a bearer token over HTTPS with keep-alive,
# measured with wrk against `gatehouse serve`, and the same JSON bytes served as a static
# file by nginx (same certificate, same TLS versions, as many workers as the server has
# threads) in the same run, interleaved. Prints two result lines:
#
#   bench: http_get_door R req/s baseline B req/s ratio R/B target >=40000
#   bench: http_get_door_ratio R/B x baseline B req/s ratio R/B target >=0.500
#
# Each figure is the median of BENCH_RUNS wrk runs. Run from the build dir (bench/run.sh
# does): needs ./gatehouse, wrk, nginx and curl (`scripts/deps.sh bench`).
set -euo pipefail

runs=${GH_BENCH_RUNS:-5}
secs=${GH_BENCH_HTTP_SECONDS:-5}
conns=${GH_BENCH_HTTP_CONNS:-64}
bin=$PWD/gatehouse
for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench_http: $tool is missing (scripts/deps.sh bench)" >&2; exit 2; }
done
[[ -x $bin ]] || { echo "bench_http: no ./gatehouse here" >&2; exit 2; }

mkdir -p bench-tmp
tmp=$(mktemp -d "$PWD/bench-tmp/http.XXXXXX")
chmod 755 "$tmp" # nginx workers drop privileges and must reach www/ (data/ stays 0700)
srv_pid="" nginx_pid=""
cleanup() {
    [[ -n $srv_pid ]] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
    [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

data=$tmp/data
"$bin" --data "$data" init >/dev/null
"$bin" --data "$data" site add "Bench HQ" --tz Europe/Berlin >/dev/null
"$bin" --data "$data" area add Outside --site "Bench HQ" >/dev/null
"$bin" --data "$data" area add Lobby --site "Bench HQ" >/dev/null
for i in $(seq 1 20); do
    "$bin" --data "$data" door add "Door $i" --site "Bench HQ" --from Outside --to Lobby >/dev/null
done
token=$("$bin" --data "$data" token create --name bench --scope read)

# The server, on a free port; it prints "gatehouse: serving https://ADDR:PORT (data DIR)".
"$bin" --data "$data" serve --listen 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.log" &
srv_pid=$!
for _ in $(seq 1 300); do
    grep -q 'serving ' "$tmp/serve.out" 2>/dev/null && break
    kill -0 "$srv_pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; exit 1; }
    sleep 0.1
done
url=$(sed -n 's/.*serving \(https:[^ ]*\).*/\1/p' "$tmp/serve.out")
[[ -n $url ]] || { echo "bench_http: the server did not start" >&2; cat "$tmp/serve.log" >&2; exit 1; }
door_id=$(curl -sf --cacert "$data/tls/cert.pem" -H "Authorization: Bearer $token" \
    "$url/api/v1/doors?limit=1&cursor=9" | sed -n 's/.*"id": *\([0-9]*\).*/\1/p' | head -1)
[[ -n $door_id ]] || { echo "bench_http: could not find a door" >&2; exit 1; }
path=/api/v1/doors/$door_id
mkdir -p "$tmp/www/api/v1/doors"
curl -sf --cacert "$data/tls/cert.pem" -H "Authorization: Bearer $token" "$url$path" \
    >"$tmp/www$path"
bytes=$(wc -c <"$tmp/www$path")
echo "bench_http: $url$path is $bytes bytes of JSON" >&2

# nginx: its own config in the temp dir, foreground, no logs, the same key pair.
threads=$(nproc)
nginx_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/nginx.conf" <<EOF
worker_processes $threads;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx-body;
    proxy_temp_path $tmp/nginx-proxy;
    fastcgi_temp_path $tmp/nginx-fastcgi;
    uwsgi_temp_path $tmp/nginx-uwsgi;
    scgi_temp_path $tmp/nginx-scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$nginx_port ssl;
        ssl_certificate $data/tls/cert.pem;
        ssl_certificate_key $data/tls/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $tmp/www;
        default_type application/json;
    }
}
EOF
nginx -c "$tmp/nginx.conf" -p "$tmp" 2>"$tmp/nginx.stderr" &
nginx_pid=$!
for _ in $(seq 1 100); do
    curl -sf --cacert "$data/tls/cert.pem" "https://127.0.0.1:$nginx_port$path" -o /dev/null && break
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$tmp/nginx.stderr" "$tmp/nginx-error.log" >&2; exit 1; }
    sleep 0.1
done
curl -sf --cacert "$data/tls/cert.pem" "https://127.0.0.1:$nginx_port$path" >"$tmp/nginx.body"
cmp -s "$tmp/nginx.body" "$tmp/www$path" ||
    { echo "bench_http: nginx does not serve the same bytes" >&2; cat "$tmp/nginx.body" "$tmp/nginx-error.log" >&2; exit 1; }

# wrk prints "Requests/sec: N"; non-2xx responses are counted and must be zero.
measure() {
    local out
    out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" 2>&1)
    if grep -q 'Non-2xx' <<<"$out"; then
        echo "bench_http: non-2xx replies: $out" >&2
        exit 1
    fi
    sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out"
}
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

gh=() ng=()
for i in $(seq 1 "$runs"); do
    gh+=("$(measure -H "Authorization: Bearer $token" "$url$path")")
    ng+=("$(measure "https://127.0.0.1:$nginx_port$path")")
    echo "bench_http: run $i: gatehouse ${gh[-1]} req/s, nginx ${ng[-1]} req/s" >&2
done
g=$(printf '%s\n' "${gh[@]}" | median)
n=$(printf '%s\n' "${ng[@]}" | median)
ratio=$(awk -v g="$g" -v n="$n" 'BEGIN {printf "%.3f", g / n}')
printf 'bench: http_get_door %.0f req/s baseline %.0f req/s ratio %s target >=40000\n' "$g" "$n" "$ratio"
printf 'bench: http_get_door_ratio %s x baseline %.0f req/s ratio %s target >=0.500\n' "$ratio" "$n" "$ratio"
