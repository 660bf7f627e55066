#!/bin/sh
# tests/fuzz.sh [FRAMES] - make fuzz: FRAMES (default 1,000,000) random and
# mutated frames through each of the three programs (XDP ingress, tc
# ingress, tc egress) by BPF_PROG_TEST_RUN (build/test/xk-fuzz), with every
# feature on and xdp-capture and xdp-dns reading their ring buffers. Then
# the kernel's own counters, as xdp-stats shows them, are checked:
#   - every frame passed (XDP_PASS, TC_ACT_UNSPEC), none refused but those
#     the kernel never runs at tc (shorter than their IP header);
#   - per direction, packets = the frames run, and ipv4 + ipv6 + non_ip +
#     parse_errors = packets, tcp + udp + icmp + other = ipv4 + ipv6, the
#     size histogram adds up to packets;
#   - every line either reader printed is valid JSON, as many as it says it
#     delivered, and delivered + lost = what the datapath selected.
# Prints a table, exits 1 when a check fails. A veth pair of its own, a pin
# root of its own (XDPKIT_BPFFS, else one under /sys/fs/bpf), all removed
# at the end. Root.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
set -eu
top=$(cd "$(dirname -- "$0")/.." && pwd)
PATH="$top/bin:$PATH"
export PATH
n=${1:-1000000}
case $n in '' | *[!0-9]*) echo "fuzz: FRAMES must be a whole number, not '$n'" >&2; exit 2 ;; esac
[ "$n" -gt 0 ] || { echo "fuzz: FRAMES must be above 0" >&2; exit 2; }
fuzz=$top/build/test/xk-fuzz
seeds=$top/build/test/corpus.pcap
if [ ! -x "$fuzz" ] || [ ! -r "$seeds" ]; then
	echo "fuzz: build/test/xk-fuzz missing: make test-objs" >&2
	exit 3
fi

id=$$
a=xkfa$id
b=xkfb$id
own_root=""
if [ -z "${XDPKIT_BPFFS:-}" ]; then
	XDPKIT_BPFFS=/sys/fs/bpf/xkfuzz$id
	own_root=$XDPKIT_BPFFS
fi
export XDPKIT_BPFFS
tmp=$(mktemp -d)
cpid=""
dpid=""
cleanup() {
	[ -z "$cpid" ] || kill "$cpid" 2>/dev/null || :
	[ -z "$dpid" ] || kill "$dpid" 2>/dev/null || :
	wait 2>/dev/null || :
	xdp-detach "$a" >/dev/null 2>&1 || :
	ip link del "$a" 2>/dev/null || :
	[ -z "$own_root" ] || rm -rf "$own_root"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip link add "$a" type veth peer name "$b"
# down: no frame of the kernel's own (IPv6 router solicitations) mixes in
xdp-attach "$a" count stats capture dns >/dev/null
pins=$XDPKIT_BPFFS/net/$(stat -L -c %i /proc/self/ns/net)/$a

xdp-capture "$a" --json >"$tmp/cap.out" 2>"$tmp/cap.err" &
cpid=$!
xdp-dns "$a" --json >"$tmp/dns.out" 2>"$tmp/dns.err" &
dpid=$!
armed() {
	"$top/build/xk-dump" "$pins/$1" 2>/dev/null | jq -e '.deadline != null and .deadline > now' >/dev/null
}
i=0
until armed capture && armed dns; do
	i=$((i + 1))
	[ "$i" -lt 200 ] || { echo "fuzz: the readers did not start" >&2; cat "$tmp/cap.err" "$tmp/dns.err" >&2; exit 1; }
	sleep 0.1
done

k=0
for hook in xdp tc_in egress; do
	k=$((k + 1))
	"$fuzz" "$pins" "$hook" --random "$n" --seed $((id * 3 + k)) --from "$seeds" >>"$tmp/runs" ||
		{ tail -n 1 "$tmp/runs" >&2; echo "fuzz: $hook: an invariant broke" >&2; exit 1; }
done
sleep 0.5
kill -TERM "$cpid" "$dpid" # (an & list of sh ignores SIGINT)
wait "$cpid" || { echo "fuzz: xdp-capture failed" >&2; cat "$tmp/cap.err" >&2; exit 1; }
wait "$dpid" || { echo "fuzz: xdp-dns failed" >&2; cat "$tmp/dns.err" >&2; exit 1; }
cpid=""
dpid=""
xdp-stats "$a" --json >"$tmp/stats"

fail=0
check() { # WHAT JQ-TEST FILE...
	what=$1
	shift
	if ! jq -s -e "$@" >/dev/null; then
		echo "fuzz: FAILED: $what" >&2
		fail=1
	fi
}
# frames run per direction: xdp and tc_in are ingress
check "packets per direction = frames run" --slurpfile r "$tmp/runs" '
	($r | map(select(.hook != "egress") | .frames - .refused) | add) as $in
	| ($r | map(select(.hook == "egress") | .frames - .refused) | add) as $out
	| map(select(.type == "global")) | (map(select(.dir == "ingress"))[0].packets == $in)
	  and (map(select(.dir == "egress"))[0].packets == $out)' "$tmp/stats"
check "classes and sizes add up to packets" '
	. as $all | map(select(.type == "global")) | length == 2 and all(
		.dir as $d
		| .ipv4 + .ipv6 + .non_ip + .parse_errors == .packets
		and .tcp + .udp + .icmp + .other == .ipv4 + .ipv6
		and ($all | map(select(.type == "size" and .dir == $d) | .packets) | add) == .packets)' "$tmp/stats"
for r in cap dns; do
	if ! jq -c . "$tmp/$r.out" >/dev/null 2>"$tmp/$r.jq"; then
		echo "fuzz: FAILED: a line of the $r reader is not JSON: $(head -n 1 "$tmp/$r.jq")" >&2
		fail=1
	fi
	said=$(sed -n 's/.*: \([0-9]*\) events, \([0-9]*\) lost.*/\1 \2/p' "$tmp/$r.err")
	lines=$(wc -l <"$tmp/$r.out")
	# shellcheck disable=SC2086 # two numbers, split on purpose
	set -- $said
	if [ "$#" -ne 2 ] || [ "$1" -ne "$lines" ]; then
		echo "fuzz: FAILED: $r: $lines lines, the reader said: $(cat "$tmp/$r.err")" >&2
		fail=1
	fi
	eval "${r}_events=\${1:-0} ${r}_lost=\${2:-0}"
done
# delivered + lost = selected (capture: every frame; dns: every message)
# shellcheck disable=SC2154
check "capture: delivered + lost = frames selected" --argjson e "$((cap_events + cap_lost))" \
	'map(.captured) | add == $e' "$tmp/runs"
# shellcheck disable=SC2154
check "dns: delivered + lost = messages seen" --argjson e "$((dns_events + dns_lost))" \
	'map(.dns + .dns_malformed) | add == $e' "$tmp/runs"

printf '%-7s %10s %8s %10s %8s %8s %8s %8s %10s %8s\n' hook frames refused frames/s ipv4 ipv6 non_ip errors dns captured
jq -r '[.hook, .frames, .refused, .fps, .ipv4, .ipv6, .non_ip, .parse_errors, .dns + .dns_malformed, .captured]
	| @tsv' "$tmp/runs" | while IFS="$(printf '\t')" read -r h f r s v4 v6 ni pe d c; do
	printf '%-7s %10s %8s %10s %8s %8s %8s %8s %10s %8s\n' "$h" "$f" "$r" "$s" "$v4" "$v6" "$ni" "$pe" "$d" "$c"
done
# shellcheck disable=SC2154
echo "readers: capture $cap_events delivered, $cap_lost lost; dns $dns_events delivered, $dns_lost lost"
if [ "$fail" -ne 0 ]; then
	echo "fuzz: FAILED" >&2
	exit 1
fi
echo "fuzz: $((n * 3)) frames, every invariant held"
