#!/bin/sh
# tests/bench.sh - what `make bench` runs: the cost of the datapath per packet
# by BPF_PROG_TEST_RUN (bpftool prog run ... repeat N), and of reading a
# large flow table. Every program is built, loaded and measured in this one
# run, so the rows compare; compare ratios, not absolute figures.
#
# Per-packet figures are ns/packet, the median of 3 runs, pinned to a CPU
# (taskset): "cpu0" alone, and "both" with the same program running on CPU 0
# and CPU 1 at once (shared cache lines show there). BENCH_REPEAT sets the
# repeat count (default 2000000), BENCH_CFLAGS extra clang flags for make bench-objs (e.g.
# -DXK_WAYS=4 to compare table shapes). Needs root.
set -eu
top=$(cd "$(dirname -- "$0")/.." && pwd)
XK_SHARE=$top/lib
# shellcheck source=lib/xdpkit.sh
. "$XK_SHARE/xdpkit.sh"
XK_PROG=bench
repeat=${BENCH_REPEAT:-2000000}
xk_check_uint BENCH_REPEAT "$repeat"
xk_require_root
xk_require_build
root=/sys/fs/bpf/xkbench$$
tmp=$(mktemp -d)

cleanup() { rm -rf "$root" "$tmp"; }

trap cleanup EXIT
trap 'exit 130' INT TERM

# ns/packet of program PIN on frame FILE, on CPU N
run1() { # PIN FILE CPU
	taskset -c "$3" bpftool -j prog run pinned "$1" data_in "$2" repeat "$repeat" | jq .duration
}
median3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }

# "cpu0 both" for PIN on FILE; both = the mean of the two concurrent runs
measure() { # PIN FILE
	local c b x y
	c="" b=""
	for _ in 1 2 3; do
		c="$c $(run1 "$1" "$2" 0)"
		run1 "$1" "$2" 0 >"$tmp/b0" &
		x=$!
		run1 "$1" "$2" 1 >"$tmp/b1" &
		y=$!
		wait "$x" "$y"
		b="$b $((($(cat "$tmp/b0") + $(cat "$tmp/b1")) / 2))"
	done
	# shellcheck disable=SC2086 # the lists are meant to split
	echo "$(median3 $c) $(median3 $b)"
}

features() { # CONFIG_PIN JSON-LIST
	xk_map_write "$1" 0 "{\"features\": $2}"
}

echo "xdpkit bench: BPF_PROG_TEST_RUN, repeat $repeat, median of 3; ns/packet"
echo "kernel $(uname -r); $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"

mkdir -p "$root"
obj=$top/build/bench # built by make bench-objs, BENCH_CFLAGS and all
bpftool prog load "$XK_LIBEXEC/pass.bpf.o" "$root/pass"
bpftool prog loadall "$XK_OBJ" "$root/dp" pinmaps "$root/dpm"
bpftool prog loadall "$obj/reference.bpf.o" "$root/ref" pinmaps "$root/refm"
bpftool prog loadall "$obj/cycle.bpf.o" "$root/cy" pinmaps "$root/cym"

# The corpus; the offset of each frame's source port, for cycling.
set -- udp4:34:"IPv4 UDP" syn4:34:"IPv4 TCP SYN" tcp6:54:"IPv6 TCP" \
	vlan_udp4:38:"VLAN IPv4 UDP" hbh_tcp6:62:"IPv6 hop-by-hop TCP"
for f in udp4 vlan_udp4 tcp6 hbh_tcp6; do
	python3 "$top/tests/craft.py" "file:$tmp/$f" "$f" 1
done
# a TCP SYN over IPv4: craft's trunc4 uncut
python3 "$top/tests/craft.py" "file:$tmp/syn4" trunc4 1 54

echo
echo "1. features (64-byte IPv4 UDP frame)"
printf '%-36s %8s %8s %10s\n' program cpu0 both "vs empty"
python3 "$top/tests/craft.py" "file:$tmp/f64" udp4 1
# shellcheck disable=SC2046
set -- $(measure "$root/pass" "$tmp/udp4") "$@"
empty=$1
printf '%-36s %8s %8s %10s\n' "empty XDP_PASS" "$1" "$2" -
shift 2
for fs in '[]' '["count"]' '["count","stats"]'; do
	features "$root/dpm/config" "$fs"
	m=$(measure "$root/dp/xdpkit_ingress" "$tmp/udp4")
	printf '%-36s %8s %8s %10s\n' "xdpkit, features $fs" "${m% *}" "${m#* }" "+$((${m% *} - empty))"
done
m=$(measure "$root/dp/xdpkit_egress" "$tmp/udp4")
printf '%-36s %8s %8s %10s\n' "xdpkit tc egress, stats" "${m% *}" "${m#* }" -

echo
echo "2. stats feature over the corpus, beside the empty program and the reference"
echo "   (reference: the same parser and tables as shared maps with atomic adds, an LRU"
echo "   hash for flows, a hash for ports, bpf_ktime_get_ns(); tests/bench/reference.bpf.c)"
printf '%-22s %-9s %7s %7s %7s %8s %9s %10s %10s\n' frame flows empty ref xdpkit "xk/ref" "xk-empty" "both:ref" "both:xk"
features "$root/cym/config" '["count","stats"]'
worst_ratio=0 worst_over=0
for spec in "$@"; do
	f=${spec%%:*}
	rest=${spec#*:}
	off=${rest%%:*}
	label=${rest#*:}
	for mode in 1 10000; do
		if [ "$mode" = 1 ]; then
			e=$(measure "$root/pass" "$tmp/$f")
			r=$(measure "$root/ref/reference" "$tmp/$f")
			x=$(measure "$root/dp/xdpkit_ingress" "$tmp/$f")
		else
			bpftool map update pinned "$root/cym/cyc_cfg" key hex 00 00 00 00 value \
				"$((off & 255))" 0 0 0 16 39 0 0
			e=$(measure "$root/cy/cycle_pass" "$tmp/$f")
			r=$(measure "$root/cy/cycle_reference" "$tmp/$f")
			x=$(measure "$root/cy/cycle_xdpkit" "$tmp/$f")
		fi
		ratio=$(echo "${x% *} ${r% *}" | awk '{ printf "%.2f", $1 / $2 }')
		over=$((${x% *} - ${e% *}))
		printf '%-22s %-9s %7s %7s %7s %8s %9s %10s %10s\n' "$label" "$mode" "${e% *}" "${r% *}" \
			"${x% *}" "$ratio" "+$over" "${r#* }" "${x#* }"
		worst_ratio=$(echo "$worst_ratio $ratio" | awk '{ print ($2 > $1 ? $2 : $1) }')
		[ "$over" -gt "$worst_over" ] && worst_over=$over
	done
done
echo "target: existing-flow cost at most 0.6 x the reference: worst $worst_ratio -> $(echo "$worst_ratio" | awk '{ print ($1 <= 0.6 ? "met" : "NOT met") }')"
echo "target: within 40 ns of the empty program: worst +$worst_over ns -> $([ "$worst_over" -le 40 ] && echo met || echo "NOT met")"

echo
echo "3. reading 100,000 flows (a table of 131072 slots per CPU, every flow on every CPU)"
bpftool prog loadall "$obj/big.bpf.o" "$root/big" pinmaps "$root/bigm"
python3 - "$root/bigm/flows" >"$tmp/fill" <<'PY'
import sys
pin = sys.argv[1]
for i in range(100000):
    key = bytes(10) + b"\xff\xff" + bytes([198, 18 + (i >> 16), (i >> 8) & 255, i & 255]) \
        + bytes(10) + b"\xff\xff" + bytes([198, 19, 255, 1]) + (i % 60000 + 1024).to_bytes(2, "big") \
        + (443).to_bytes(2, "big") + bytes([6, 4, 0, 0])
    val = key + (3).to_bytes(8, "little") + (4500).to_bytes(8, "little") \
        + (10**9).to_bytes(8, "little") + (2 * 10**9).to_bytes(8, "little") + bytes([0x12]) + bytes(7)
    print("map update pinned %s key %s value hex %s" % (
        pin, " ".join(str(b) for b in i.to_bytes(4, "little")), " ".join("%02x" % b for b in val)))
PY
bpftool batch file "$tmp/fill" >/dev/null
ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms)
n1=$("$XK_DUMP" --by-key key --type flow "$root/bigm/flows" | wc -l)
t1=$(ms)
n2=$(bpftool -j map dump pinned "$root/bigm/flows" | jq -c '.[]' | wc -l)
t2=$(ms)
rss=$(python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$XK_DUMP" --by-key key "$root/bigm/flows")
printf '%-58s %8s ms  %7s lines\n' "xk-dump --by-key key (JSON lines, CPUs folded)" "$((t1 - t0))" "$n1"
printf '%-58s %8s ms  %7s lines\n' "bpftool -j map dump pinned MAP | jq -c '.[]'" "$((t2 - t1))" "$n2"
echo "ratio: xk-dump takes 1/$(((t2 - t1) / (t1 - t0 > 0 ? t1 - t0 : 1))) of the time (target: 1/20 or less)"
echo "xk-dump peak RSS for 100,000 flows: $((rss / 1024)) MiB (target: under 64 MiB)"

echo
echo "4. xdp-stats on a full flow table: 65,536 flows (each on every CPU: $(nproc) x 65,536 slots to fold), 1,000 ports"
echo "   (ms, median of 5 runs, min-max; target: under 1000 ms each, not counting the interval slept)"
st=$root/stats
sd=$st/net/$XK_OWN_NS/xkbench0
mkdir -p "${sd%/*}"
bpftool prog loadall "$XK_OBJ" "$root/sp" pinmaps "$sd"
xk_map_write "$sd/config" 0 "{\"features\": [\"count\", \"stats\"], \"attached_at\": $(date +%s)}"
python3 - "$sd/flows" "$sd/ports" >"$tmp/fill4" <<'PY'
import sys
flows, ports = sys.argv[1], sys.argv[2]
def hx(b): return " ".join("%02x" % x for x in b)
def ix(i): return " ".join(str(b) for b in i.to_bytes(4, "little"))
for i in range(65536):
    key = bytes(10) + b"\xff\xff" + bytes([198, 18, i >> 8, i & 255]) \
        + bytes(10) + b"\xff\xff" + bytes([198, 19, 0, 1]) + (1024 + i % 60000).to_bytes(2, "big") \
        + (443).to_bytes(2, "big") + bytes([6, 4, i & 1, 0])
    val = key + (1 + i % 997).to_bytes(8, "little") + (1500 * (1 + i % 997)).to_bytes(8, "little") \
        + (10**9).to_bytes(8, "little") + (2 * 10**9).to_bytes(8, "little") + bytes([0x12]) + bytes(7)
    print("map update pinned %s key %s value hex %s" % (flows, ix(i), hx(val)))
for i in range(1000):
    val = (1 + i).to_bytes(2, "big") + bytes([6, i & 1]) + bytes(4) + (i + 1).to_bytes(8, "little") \
        + (100 * (i + 1)).to_bytes(8, "little") + bytes(8)
    print("map update pinned %s key %s value hex %s" % (ports, ix(i), hx(val)))
PY
bpftool batch file "$tmp/fill4" >/dev/null
stats() { XDPKIT_BPFFS=$st "$top/bin/xdp-stats" xkbench0 "$@"; }
# ms for one run of the command
ms1() {
	local t0
	t0=$(date +%s%N)
	"$@" >/dev/null
	echo $((($(date +%s%N) - t0) / 1000000))
}
# "median min-max" of 5 runs
five() {
	local r
	r=$(for _ in 1 2 3 4 5; do ms1 "$@"; done | sort -n | tr '\n' ' ')
	# shellcheck disable=SC2086
	set -- $r
	echo "$3 $1-$5"
}
reading() {
	"$XK_DUMP" --save "$tmp/r.g" "$sd/global"
	"$XK_DUMP" --save "$tmp/r.p" --nonzero "$sd/protos"
	"$XK_DUMP" --save "$tmp/r.f" --top 0 --sort bytes "$sd/flows"
	"$XK_DUMP" --save "$tmp/r.o" --top 0 --sort bytes "$sd/ports"
}
row4() { # LABEL "median min-max" [MINUS]
	local m r
	m=${2% *} r=${2#* }
	printf '%-60s %7s ms  (%s-%s)\n' "$1" "$((m - ${3:-0}))" "$((${r%-*} - ${3:-0}))" "$((${r#*-} - ${3:-0}))"
}
one=$(five reading)
row4 "one reading of the four maps (xk-dump, what --interval adds)" "$one"
row4 "the table, top 10, one reading (--interval 0)" "$(five stats --interval 0)"
row4 "--json --top 10, one reading" "$(five stats --json --top 10)"
row4 "the default table (rates over 1 s), less the 1000 ms slept" "$(five stats)" 1000
row4 "--json --interval 1 (every flow with its rate), less 1000 ms" "$(five stats --json --interval 1)" 1000
# --watch: the time from one screen to the next, less the interval
stats --watch --interval 1 >"$tmp/watch" 2>&1 &
wpid=$!
t1="" t4=""
for _ in $(seq 400); do
	n=$(grep -c 'rates over 1 s' "$tmp/watch" || :)
	[ -n "$t1" ] || [ "$n" -lt 1 ] || t1=$(date +%s%N)
	if [ "$n" -ge 4 ]; then t4=$(date +%s%N); break; fi
	sleep 0.02
done
kill "$wpid" 2>/dev/null || :
wait "$wpid" 2>/dev/null || :
[ -z "$t4" ] || printf '%-60s %7s ms  (mean of 3 redraws)\n' "one --watch redraw, less the 1000 ms interval" \
	"$(((t4 - t1) / 3000000 - 1000))"
row4 "--by conversations, one reading (every flow through jq)" "$(five stats --by conversations --interval 0)"
row4 "--by hosts, one reading (every flow through jq)" "$(five stats --by hosts --interval 0)"
