#!/bin/sh
# tests/soak.sh [SECONDS] - make soak: SECONDS (default 600) of mixed
# traffic over a veth pair with every feature on, the way a host runs them:
#   traffic  TCP (iperf3, IPv4 and IPv6 by turns, from a tracked cgroup),
#            UDP frames (trafgen, to port 9), DNS queries answered by
#            dnsmasq (IPv4 and IPv6), ICMP and ICMPv6 echo (ping)
#   readers  xdp-conntrack for the whole run; xdp-capture and xdp-dns
#            restarted again and again (runs of 2 to 4 s)
#   export   xdp-snapshot every 3 s (--keep 20); xdp-prom behind socat,
#            scraped every 5 s (timeout 5 s) by a real Prometheus
# At the end, with the traffic stopped:
#   - no snapshot, capture or DNS run failed; Prometheus scraped every
#     time (up was 1 throughout, no scrape failed);
#   - the helpers' memory did not grow: xdp-conntrack's reader by at most
#     256 KiB from its size after the first minute's tenth; each capture
#     and DNS reader's peak not above the first's by more than 256 KiB;
#   - the counters are whole (classes add up to packets, both ways) and
#     exact where the sender counts: ICMP echo requests and replies as
#     ping sent and received them, DNS queries and responses as dig sent
#     and got them, the UDP frames to port 9 as trafgen sent them;
#   - every line any reader printed is JSON.
# Prints a summary; exit 1 when a check fails. Root. Its own namespace,
# veth pair, cgroup and pin root, all removed at the end.
set -eu
top=$(cd "$(dirname -- "$0")/.." && pwd)
PATH="$top/bin:$PATH"
export PATH
secs=${1:-600}
case $secs in '' | *[!0-9]*) echo "soak: SECONDS must be a whole number, not '$secs'" >&2; exit 2 ;; esac
[ "$secs" -ge 20 ] || { echo "soak: at least 20 seconds" >&2; exit 2; }

id=$$
ns=xksoak$id
a=xksa$id
b=xksb$id
cg=/sys/fs/cgroup/unified/xksoak$id
own_root=""
if [ -z "${XDPKIT_BPFFS:-}" ]; then
	XDPKIT_BPFFS=/sys/fs/bpf/xksoak$id
	own_root=$XDPKIT_BPFFS
fi
export XDPKIT_BPFFS
tmp=$(mktemp -d)
pids=""
fail=0

bad() {
	echo "soak: FAILED: $*" >&2
	fail=1
}

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || :; done
	[ ! -e "$tmp/trafgen.pid" ] || kill "$(cat "$tmp/trafgen.pid")" 2>/dev/null || :
	pkill -f "xk-drain .*$XDPKIT_BPFFS" 2>/dev/null || :
	sleep 0.5
	xdp-detach "$a" >/dev/null 2>&1 || :
	xdp-detach --cgroup "$cg" >/dev/null 2>&1 || :
	rmdir "$cg" 2>/dev/null || :
	ip link del "$a" 2>/dev/null || :
	ip netns del "$ns" 2>/dev/null || :
	[ -z "$own_root" ] || rm -rf "$own_root"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
	while :; do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000))
		ss -ltnH "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# the pair: A here (198.18.71.1, fd00:71::1), B in the namespace
ip netns add "$ns"
ip -n "$ns" link set lo up
ip link add "$a" type veth peer name "$b" netns "$ns"
ip addr add 198.18.71.1/24 dev "$a"
ip addr add fd00:71::1/64 dev "$a" nodad
ip -n "$ns" addr add 198.18.71.2/24 dev "$b"
ip -n "$ns" addr add fd00:71::2/64 dev "$b" nodad
ip link set "$a" up
ip -n "$ns" link set "$b" up
mkdir "$cg"

xdp-attach "$a" count stats dns >/dev/null 2>&1
xdp-attach --cgroup "$cg" conntrack >/dev/null 2>&1

# servers in B: iperf3, dnsmasq (answers every name under soak.test)
ip netns exec "$ns" iperf3 -s -D -I "$tmp/iperf3.pid" >/dev/null
pids="$pids $(cat "$tmp/iperf3.pid")"
ip netns exec "$ns" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
	--listen-address=198.18.71.2,fd00:71::2 --address=/soak.test/198.18.71.9 --pid-file= \
	--log-facility=- >"$tmp/dnsmasq.log" 2>&1 &
pids="$pids $!"

# Prometheus scraping xdp-prom (socat, one xdp-prom a scrape)
pp=$(free_port)
sp=$(free_port)
sh "$top/examples/prom-socat.sh" "$sp" 127.0.0.1 -- "$a" >"$tmp/socat.log" 2>&1 &
pids="$pids $!"
cat >"$tmp/prometheus.yml" <<EOF
global: {scrape_interval: 5s, scrape_timeout: 5s, evaluation_interval: 5s}
scrape_configs:
  - job_name: xdpkit
    static_configs: [{targets: ["127.0.0.1:$sp"]}]
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address="127.0.0.1:$pp" >"$tmp/prometheus.log" 2>&1 &
pids="$pids $!"

# xdp-conntrack for the whole run
xdp-conntrack --cgroup "$cg" --json >"$tmp/ct.out" 2>"$tmp/ct.err" &
ct=$!
pids="$pids $ct"
i=0
until ct_reader=$(pgrep -f "xk-drain .*--cgroup $cg" 2>/dev/null | head -n 1) && [ -n "$ct_reader" ]; do
	i=$((i + 1))
	[ "$i" -lt 200 ] || { bad "xdp-conntrack did not start: $(cat "$tmp/ct.err")"; exit 1; }
	sleep 0.1
done

end=$(($(date +%s) + secs))

# The loads, each a loop until the end; each counts what it sent.
tcp_load() {
	n=0
	while [ "$(date +%s)" -lt "$end" ]; do
		n=$((n + 1))
		if [ $((n % 2)) -eq 0 ]; then dst=fd00:71::2; else dst=198.18.71.2; fi
		sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" \
			iperf3 -c "$dst" -t 3 -b 300M >/dev/null 2>&1 || :
	done
}
ping_load() { # FAMILY
	n=$(((end - $(date +%s)) * 20))
	dst=198.18.71.2
	[ "$1" = 4 ] || dst=fd00:71::2
	ping -"$1" -q -i 0.05 -c "$n" -W 1 "$dst" >"$tmp/ping$1" 2>&1 || :
}
dns_load() {
	q=0 r=0
	while [ "$(date +%s)" -lt "$end" ]; do
		for s in 198.18.71.2 fd00:71::2; do
			q=$((q + 1))
			dig +tries=1 +time=2 +short "@$s" "n$q.soak.test" A >/dev/null 2>&1 && r=$((r + 1))
		done
	done
	echo "$q $r" >"$tmp/dig"
}
udp_load() {
	ma=$(cat "/sys/class/net/$a/address")
	mb=$(ip netns exec "$ns" cat "/sys/class/net/$b/address")
	sent=0
	while [ "$(date +%s)" -lt "$end" ]; do
		ip netns exec "$ns" trafgen -o "$b" -q -P 1 -n 20000 -t 50us \
			"{ eth(da=$ma, sa=$mb), ipv4(sa=198.18.71.2, da=198.18.71.1, ttl=64),
			   udp(sp=dinc(1024, 5119), dp=9, csum=0), fill(0x00, 18) }" >/dev/null 2>&1 || break
		sent=$((sent + 20000))
	done
	echo "$sent" >"$tmp/udp"
}
readers_load() { # capture|dns
	runs=0 failed=0
	while [ "$(date +%s)" -lt $((end - 4)) ]; do
		runs=$((runs + 1))
		d=$((2 + runs % 3))
		if [ "$1" = capture ]; then
			xdp-capture "$a" --json --duration "$d" >"$tmp/$1.$runs" 2>"$tmp/$1.$runs.err" &
		else
			xdp-dns "$a" --json --duration "$d" >"$tmp/$1.$runs" 2>"$tmp/$1.$runs.err" &
		fi
		rp=$!
		t=packet
		[ "$1" = capture ] || t=dns
		i=0
		until rp2=$(pgrep -f "xk-drain --type $t .*$XDPKIT_BPFFS" | head -n 1) && [ -n "$rp2" ]; do
			i=$((i + 1))
			[ "$i" -lt 50 ] || break
			sleep 0.1
		done
		sleep 0.5
		[ -z "$rp2" ] || rss "$rp2" >>"$tmp/$1.rss"
		wait "$rp" || failed=$((failed + 1))
		jq -c . "$tmp/$1.$runs" >/dev/null 2>&1 || failed=$((failed + 1))
		rm -f "$tmp/$1.$runs"
	done
	echo "$runs $failed" >"$tmp/$1.runs"
}
snap_load() {
	runs=0 failed=0
	while [ "$(date +%s)" -lt "$end" ]; do
		runs=$((runs + 1))
		xdp-snapshot "$a" --dir "$tmp/snap" --keep 20 >/dev/null 2>>"$tmp/snap.err" || failed=$((failed + 1))
		sleep 3
	done
	echo "$runs $failed" >"$tmp/snap.runs"
}

tcp_load &
l1=$!
ping_load 4 &
l2=$!
ping_load 6 &
l3=$!
dns_load &
l4=$!
udp_load &
l5=$!
readers_load capture &
l6=$!
readers_load dns &
l7=$!
snap_load &
l8=$!
loads="$l1 $l2 $l3 $l4 $l5 $l6 $l7 $l8"
pids="$pids $loads"
sleep $((secs / 10))
ct_rss0=$(rss "$ct_reader")
for p in $loads; do wait "$p" || :; done
sleep 2
ct_rss1=$(rss "$ct_reader")

# Prometheus: every scrape succeeded
q() { curl -fsS --get "http://127.0.0.1:$pp/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // "none"'; }
scrapes=$(q "count_over_time(up{job=\"xdpkit\"}[${secs}s])")
ups=$(q "sum_over_time(up{job=\"xdpkit\"}[${secs}s])")
slowest=$(q "max_over_time(scrape_duration_seconds{job=\"xdpkit\"}[${secs}s])")
if [ "$scrapes" = none ] || [ "$scrapes" -lt $((secs / 6)) ]; then
	bad "Prometheus scraped $scrapes times in $secs s"
fi
[ "$ups" = "$scrapes" ] || bad "Prometheus: $ups of $scrapes scrapes up: $(curl -fsS "http://127.0.0.1:$pp/api/v1/targets" | jq -c '[.data.activeTargets[] | {health, lastError, lastScrapeDuration}]')"

kill "$ct"
wait "$ct" || bad "xdp-conntrack ended with status $?"
jq -c . "$tmp/ct.out" >/dev/null || bad "xdp-conntrack printed a line that is not JSON"
xdp-stats "$a" --json >"$tmp/stats"

# shellcheck disable=SC2046 # numbers, split on purpose
set -- $(cat "$tmp/snap.runs")
snaps=$1
[ "$2" -eq 0 ] || bad "$2 of $1 snapshots failed: $(head -n 3 "$tmp/snap.err")"
kept=$(find "$tmp/snap" -name 'xdpkit-*.jsonl' | wc -l)
[ "$kept" -eq "$(($1 < 20 ? $1 : 20))" ] || bad "--keep 20: $kept files"
for r in capture dns; do
	# shellcheck disable=SC2046 # numbers, split on purpose
	set -- $(cat "$tmp/$r.runs")
	eval "${r}_runs=$1"
	[ "$2" -eq 0 ] || bad "$2 of $1 $r runs failed"
	# each run's reader, 1.5 s in: the later half's peak against the earlier's
	eval "${r}_rss=\"\$(awk '{ v[NR] = \$1 } END { h = int((NR + 1) / 2); for (i = 1; i <= NR; i++) if (i <= h) { if (v[i] > a) a = v[i] } else if (v[i] > b) b = v[i]; print a + 0, b + 0 }' \"\$tmp/\$r.rss\")\""
	eval "set -- \$${r}_rss"
	[ "$2" -le $(($1 + 256)) ] || bad "$r readers: peak RSS $2 KiB in the later runs, $1 KiB in the earlier"
done
[ "$ct_rss1" -le $((ct_rss0 + 256)) ] || bad "xdp-conntrack's reader grew from $ct_rss0 to $ct_rss1 KiB"

# exact where the sender counts
g() { jq -s --arg d "$1" "map(select(.type == \"global\" and .dir == \$d))[0].$2" "$tmp/stats"; }
jq -s -e 'map(select(.type == "global")) | length == 2 and all(
	.ipv4 + .ipv6 + .non_ip + .parse_errors == .packets and .tcp + .udp + .icmp + .other == .ipv4 + .ipv6)' \
	"$tmp/stats" >/dev/null || bad "the classes do not add up"
icmp_sent=0 icmp_got=0
for f in 4 6; do
	# shellcheck disable=SC2046 # numbers, split on purpose
	set -- $(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$tmp/ping$f")
	icmp_sent=$((icmp_sent + $1)) icmp_got=$((icmp_got + $2))
done
# (at least: ICMPv6 carries neighbour discovery too)
[ "$(g egress icmp)" -ge "$icmp_sent" ] || bad "egress icmp $(g egress icmp) < $icmp_sent echo requests sent"
[ "$(g ingress icmp)" -ge "$icmp_got" ] || bad "ingress icmp $(g ingress icmp) < $icmp_got echo replies"
# shellcheck disable=SC2046 # numbers, split on purpose
set -- $(cat "$tmp/dig")
dq=$1 dr=$2
dns=$(jq -sc 'map(select(.type == "dns_stats")) | {q: (map(.queries) | add), r: (map(.responses) | add), m: (map(.malformed) | add)}' "$tmp/stats")
[ "$(echo "$dns" | jq .r)" -ge "$dr" ] || bad "DNS responses counted $dns, dig got $dr answers"
# (dig retries nothing: +tries=1; a query counted more than sent would be
# the kernel's own: none here, the resolver is not asked)
[ "$(echo "$dns" | jq .q)" -eq "$dq" ] || bad "DNS queries counted $(echo "$dns" | jq .q), dig sent $dq"
[ "$(echo "$dns" | jq .m)" -eq 0 ] || bad "DNS malformed $(echo "$dns" | jq .m)"
udp=$(cat "$tmp/udp")
port9=$(jq -s 'map(select(.type == "port" and .dir == "ingress" and .port == 9 and .proto == "udp"))[0].packets // 0' "$tmp/stats")
[ "$port9" -eq "$udp" ] || bad "UDP to port 9: $port9 counted, trafgen sent $udp"

# shellcheck disable=SC2154 # capture_rss, dns_rss: set by eval above
cat <<EOF
soak: $secs s; ingress $(g ingress packets) packets ($(g ingress tcp) tcp, $(g ingress udp) udp, $(g ingress icmp) icmp, $(g ingress ipv6) IPv6), egress $(g egress packets)
soak: $snaps snapshots, ${capture_runs:-0} capture runs, ${dns_runs:-0} DNS runs, $scrapes Prometheus scrapes (the slowest $slowest s), all succeeded
soak: ICMP echo $icmp_sent sent, $icmp_got answered; DNS $dq queries, $dr answered; UDP to port 9 $udp frames, each counted
soak: memory: conntrack reader $ct_rss0 -> $ct_rss1 KiB; capture readers' peak $capture_rss KiB (earlier, later runs); DNS readers' $dns_rss KiB
EOF
if [ "$fail" -ne 0 ]; then
	echo "soak: FAILED" >&2
	exit 1
fi
echo "soak: every check held"
