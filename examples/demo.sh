#!/bin/sh
# examples/demo.sh - what `sudo make demo` runs: xdpkit on a throwaway veth
# pair, with real traffic, then everything removed again.
#
# Makes a network namespace and a veth pair (one end here, one in the
# namespace, a /30 of the benchmarking range 198.18.0.0/15), attaches
# xdpkit's stats feature, pings across 5 times, prints xdp-stats, captures
# 2 more pings with xdp-capture, prints xdp-status, and removes the attachment, the pair and the namespace, also
# when interrupted. Nothing leaves the machine.
set -eu
top=$(cd "$(dirname -- "$0")/.." && pwd)
bin=$top/bin
id=$$
ns=xkdemo$id
a=xkd${id}a
b=xkd${id}b
net=198.18.$((id % 256))

[ "$(id -u)" -eq 0 ] || { echo "demo: error: run as root: sudo make demo" >&2; exit 3; }

# The demo's lock files go to a directory of its own, removed at the end:
# xdpkit keeps lock files (removing one races with a command waiting on it).
run=$(mktemp -d)
XDPKIT_RUNDIR=$run
export XDPKIT_RUNDIR

# The pin root stays after a detach: the demo removes it if it made it.
root=${XDPKIT_BPFFS:-/sys/fs/bpf/xdpkit}
root_was=0
[ ! -e "$root" ] || root_was=1

cleanup() {
	"$bin/xdp-detach" "$a" >/dev/null 2>&1 || :
	[ "$root_was" = 1 ] || rmdir "$root" 2>/dev/null || :
	ip link del "$a" 2>/dev/null || :
	ip netns del "$ns" 2>/dev/null || :
	rm -rf "$run"
}
# every way out runs cleanup: also a closed pipe (demo | head) or terminal
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

"$bin/xdp-check" "$a" >/dev/null 2>&1 || "$bin/xdp-check" >/dev/null || {
	echo "demo: error: xdp-check found a missing requirement; run bin/xdp-check" >&2
	exit 3
}

echo "== making namespace $ns and veth pair $a <-> $b"
ip netns add "$ns"
ip link add "$a" type veth peer name "$b" netns "$ns"
# nothing on the wire but the pings: no IPv6, static neighbours
sysctl -qw "net.ipv6.conf.$a.disable_ipv6=1"
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$b.disable_ipv6=1"
ip addr add "$net.1/30" dev "$a"
ip -n "$ns" addr add "$net.2/30" dev "$b"
ip link set "$a" up
ip -n "$ns" link set "$b" up
ip neigh replace "$net.2" lladdr "$(ip -n "$ns" -j link show dev "$b" | jq -r .[0].address)" dev "$a" nud permanent
ip -n "$ns" neigh replace "$net.1" lladdr "$(ip -j link show dev "$a" | jq -r .[0].address)" dev "$b" nud permanent

echo "== sudo bin/xdp-attach $a stats"
"$bin/xdp-attach" "$a" stats 2>&1

echo "== ping -c 5 $net.2 (5 requests out, 5 replies in, 98 bytes each)"
ping -I "$a" -c 5 -i 0.2 -W 1 -q "$net.2" | grep 'packets transmitted'

echo "== bin/xdp-stats $a --interval 0"
"$bin/xdp-stats" "$a" --interval 0
echo "== bin/xdp-stats $a --json | jq -c 'select(.type == \"global\" or .type == \"flow\")'"
"$bin/xdp-stats" "$a" --json | jq -c 'select(.type == "global" or .type == "flow")'
echo "== sudo bin/xdp-capture $a --count 4, while 2 more pings go (stats keeps counting)"
"$bin/xdp-capture" "$a" --count 4 &
cap=$!
for _ in $(seq 100); do # until the capture runs
	[ "$("$bin/xdp-status" "$a" --json 2>/dev/null | jq '.capture.running')" = true ] && break
	sleep 0.1
done
ping -I "$a" -c 2 -i 0.2 -W 1 -q "$net.2" >/dev/null
wait "$cap"
echo "== bin/xdp-status $a"
"$bin/xdp-status" "$a"

echo "== sudo bin/xdp-detach $a, removing the pair and the namespace"
"$bin/xdp-detach" "$a" 2>&1
cleanup
trap - EXIT
echo "== done: nothing left behind (its lock files went to a directory of its own, now removed; on a host they stay in /run/xdpkit: README, Locks)"
