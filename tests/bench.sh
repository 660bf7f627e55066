#!/bin/sh
# tests/bench.sh - what `make bench` runs: the cost of the datapath per packet
# by BPF_PROG_TEST_RUN (bpftool prog run ... repeat N), the memory its tables
# take, and the cost of reading a large flow table. Every program is built,
# loaded and measured in this one run, so the rows compare; compare ratios,
# not absolute figures: they are from one machine, and a shared machine
# moves them between runs by more than some of the margins.
#
# Per-packet figures are ns/packet over BENCH_ROUNDS rounds (default 5,
# at least 5 for figures to quote). The programs compared in a table are
# interleaved (A B C A B C ...), so that a slow moment hits them alike; a
# figure is the median of the rounds, with the minimum and the spread
# (max - min) beside it where it matters. "cpu0": alone on CPU 0 (taskset
# -c 0); "both": the same program on CPU 0 and CPU 1 at once (shared cache
# lines show there), the mean of the two. Targets are judged on medians.
# BENCH_REPEAT sets the repeat count (default 2000000), BENCH_CFLAGS extra
# clang flags for make bench-objs (e.g. -DXK_WAYS=4 to compare table
# shapes). Needs root.
set -eu
top=$(cd "$(dirname -- "$0")/.." && pwd)
XK_SHARE=$top/lib
# shellcheck source=lib/xdpkit.sh
. "$XK_SHARE/xdpkit.sh"
XK_PROG=bench
repeat=${BENCH_REPEAT:-2000000}
rounds=${BENCH_ROUNDS:-5}
xk_check_uint BENCH_REPEAT "$repeat"
xk_check_uint BENCH_ROUNDS "$rounds"
[ "$rounds" -ge 1 ] || xk_usage "BENCH_ROUNDS: at least 1"
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

# "median min max" of the numbers in FILE, one a line
summary() { # FILE
	sort -n "$1" | awk '{ a[NR] = $1 } END {
		m = NR % 2 ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)
		print m, a[1], a[NR] }'
}

# Run the programs PIN... on frame FILE, interleaved, $rounds rounds: each
# round runs every program alone on CPU 0, then every program on CPU 0 and
# CPU 1 at once. One line per program: "median min max both-median".
interleave() { # FILE PIN...
	local f i p r x y
	f=$1
	shift
	rm -f "$tmp"/s0.* "$tmp"/sb.*
	r=0
	while [ "$r" -lt "$rounds" ]; do
		r=$((r + 1))
		i=0
		for p in "$@"; do
			i=$((i + 1))
			run1 "$p" "$f" 0 >>"$tmp/s0.$i"
		done
		i=0
		for p in "$@"; do
			i=$((i + 1))
			run1 "$p" "$f" 0 >"$tmp/b0" &
			x=$!
			run1 "$p" "$f" 1 >"$tmp/b1" &
			y=$!
			wait "$x" "$y"
			echo $((($(cat "$tmp/b0") + $(cat "$tmp/b1")) / 2)) >>"$tmp/sb.$i"
		done
	done
	i=0
	for p in "$@"; do
		i=$((i + 1))
		echo "$(summary "$tmp/s0.$i") $(summary "$tmp/sb.$i" | cut -d' ' -f1)"
	done
}

features() { # CONFIG_PIN JSON-LIST
	xk_map_write "$1" 0 "{\"features\": $2}"
}

echo "xdpkit bench: BPF_PROG_TEST_RUN, repeat $repeat, $rounds interleaved rounds; ns/packet"
echo "kernel $(uname -r); $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cpu0: alone on CPU 0; both: CPU 0 and CPU 1 at once (mean); med: median of the rounds,"
echo "min and spread (max - min) of the cpu0 runs. One machine's figures: read the spread."

mkdir -p "$root"
obj=$top/build/bench # built by make bench-objs, BENCH_CFLAGS and all
bpftool prog load "$XK_LIBEXEC/pass.bpf.o" "$root/pass"
for c in off count stats; do # one copy per feature set, so that they interleave
	bpftool prog loadall "$XK_OBJ" "$root/dp-$c" pinmaps "$root/dpm-$c"
done
features "$root/dpm-off/config" '[]'
features "$root/dpm-count/config" '["count"]'
features "$root/dpm-stats/config" '["count","stats"]'
bpftool prog loadall "$obj/constmask.bpf.o" "$root/dpc" pinmaps "$root/dpcm"
features "$root/dpcm/config" '["count","stats"]'
bpftool prog loadall "$obj/reference.bpf.o" "$root/ref" pinmaps "$root/refm"
bpftool prog loadall "$obj/cycle.bpf.o" "$root/cy" pinmaps "$root/cym"
bpftool prog loadall "$obj/cycle_const.bpf.o" "$root/cyc" pinmaps "$root/cycm"
features "$root/cym/config" '["count","stats"]'
features "$root/cycm/config" '["count","stats"]'

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
printf '%-36s %6s %6s %7s %6s %10s\n' program med min spread both "vs empty"
interleave "$tmp/udp4" "$root/pass" "$root/dp-off/xdpkit_ingress" "$root/dp-count/xdpkit_ingress" \
	"$root/dp-stats/xdpkit_ingress" "$root/dp-stats/xdpkit_egress" >"$tmp/sec1"
empty=""
for label in "empty XDP_PASS" "xdpkit, features []" 'xdpkit, features ["count"]' \
	'xdpkit, features ["count","stats"]' "xdpkit tc egress, stats"; do
	read -r med min max both
	if [ -z "$empty" ]; then
		empty=$med vs=-
	else
		vs=+$((med - empty))
	fi
	printf '%-36s %6s %6s %7s %6s %10s\n' "$label" "$med" "$min" "$((max - min))" "$both" "$vs"
done <"$tmp/sec1"

echo
echo "2. stats feature over the corpus, beside the empty program and the reference"
echo "   (reference: the same parser and tables as shared maps with atomic adds, an LRU"
echo "   hash for flows, a hash for ports, bpf_ktime_get_ns(); tests/bench/reference.bpf.c)."
echo "   Medians; spread: xdpkit's max - min; mask: what reading the table sizes from the maps"
echo "   costs, against masks compiled in (tests/bench/constmask.bpf.c)"
printf '%-22s %-6s %6s %6s %6s %7s %8s %7s %6s %8s %8s\n' frame flows empty ref xdpkit \
	"xk/ref" "xk-empty" spread mask "both:ref" "both:xk"
worst_ratio=0 worst_over=0
for spec in "$@"; do
	f=${spec%%:*}
	rest=${spec#*:}
	off=${rest%%:*}
	label=${rest#*:}
	for mode in 1 10000; do
		if [ "$mode" = 1 ]; then
			interleave "$tmp/$f" "$root/pass" "$root/ref/reference" \
				"$root/dp-stats/xdpkit_ingress" "$root/dpc/xdpkit_ingress" >"$tmp/sec2"
		else
			for m in cym cycm; do
				bpftool map update pinned "$root/$m/cyc_cfg" key hex 00 00 00 00 value \
					"$((off & 255))" 0 0 0 16 39 0 0
			done
			interleave "$tmp/$f" "$root/cy/cycle_pass" "$root/cy/cycle_reference" \
				"$root/cy/cycle_xdpkit" "$root/cyc/cycle_xdpkit" >"$tmp/sec2"
		fi
		{
			read -r e _ _ _
			read -r r _ _ rb
			read -r x xmin xmax xb
			read -r c _ _ _
		} <"$tmp/sec2"
		ratio=$(echo "$x $r" | awk '{ printf "%.2f", $1 / $2 }')
		over=$((x - e))
		printf '%-22s %-6s %6s %6s %6s %7s %8s %7s %6s %8s %8s\n' "$label" "$mode" "$e" "$r" \
			"$x" "$ratio" "+$over" "$((xmax - xmin))" "$((x - c))" "$rb" "$xb"
		worst_ratio=$(echo "$worst_ratio $ratio" | awk '{ print ($2 > $1 ? $2 : $1) }')
		[ "$over" -gt "$worst_over" ] && worst_over=$over
	done
done
echo "target: existing-flow cost at most 0.6 x the reference (medians): worst $worst_ratio -> $(echo "$worst_ratio" | awk '{ print ($1 <= 0.6 ? "met" : "NOT met") }')"
echo "target: within 40 ns of the empty program (medians): worst +$worst_over ns -> $([ "$worst_over" -le 40 ] && echo met || echo "NOT met")"

echo
echo "3. reading 100,000 flows (a table of 131072 slots per CPU, every flow on every CPU)"
bpftool prog loadall "$obj/big.bpf.o" "$root/big" pinmaps "$root/bigm"
python3 - "$root/bigm/flows" >"$tmp/fill" <<'PY'
import sys
pin = sys.argv[1]
def flow(i):
    key = bytes(10) + b"\xff\xff" + bytes([198, 18 + (i >> 16), (i >> 8) & 255, i & 255]) \
        + bytes(10) + b"\xff\xff" + bytes([198, 19, 255, 1]) + (i % 60000 + 1024).to_bytes(2, "big") \
        + (443).to_bytes(2, "big") + bytes([6, 4, 0, 0])
    return key + (3).to_bytes(8, "little") + (4500).to_bytes(8, "little") \
        + (10**9).to_bytes(8, "little") + (2 * 10**9).to_bytes(8, "little") + bytes([0x12]) + bytes(7)
for s in range(50000):  # sets of two slots
    print("map update pinned %s key %s value hex %s" % (
        pin, " ".join(str(b) for b in s.to_bytes(4, "little")),
        " ".join("%02x" % b for b in flow(2 * s) + flow(2 * s + 1))))
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
def flow(i):
    key = bytes(10) + b"\xff\xff" + bytes([198, 18, i >> 8, i & 255]) \
        + bytes(10) + b"\xff\xff" + bytes([198, 19, 0, 1]) + (1024 + i % 60000).to_bytes(2, "big") \
        + (443).to_bytes(2, "big") + bytes([6, 4, i & 1, 0])
    return key + (1 + i % 997).to_bytes(8, "little") + (1500 * (1 + i % 997)).to_bytes(8, "little") \
        + (10**9).to_bytes(8, "little") + (2 * 10**9).to_bytes(8, "little") + bytes([0x12]) + bytes(7)
def port(i):
    return (1 + i).to_bytes(2, "big") + bytes([6, i & 1]) + bytes(4) + (i + 1).to_bytes(8, "little") \
        + (100 * (i + 1)).to_bytes(8, "little") + bytes(8)
for s in range(32768):  # sets of two slots
    print("map update pinned %s key %s value hex %s" % (flows, ix(s), hx(flow(2 * s) + flow(2 * s + 1))))
for s in range(500):
    print("map update pinned %s key %s value hex %s" % (ports, ix(s), hx(port(2 * s) + port(2 * s + 1))))
PY
bpftool batch file "$tmp/fill4" >/dev/null
# (xkbench0 is no interface: the note that says so goes)
stats() { XDPKIT_BPFFS=$st "$top/bin/xdp-stats" xkbench0 "$@" 2>/dev/null; }
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

echo
echo "5. memory of one interface's maps (the kernel's figures: every CPU's copy)"
echo "   tables at the default size: the largest power of two of slots per CPU, at most the"
echo "   object's, whose copies on every possible CPU take at most 16 MiB (README: Memory)"
mkdir -p "$root/mem"
tables=$(xk_layouts "$XK_OBJ" | jq -r "select($xk_is_table) | $xk_table_info")
memory() { # SETS-RULE: "min" (one set) or "default"; the bytes of every map, loaded
	local d name ways slot sets want
	d=$root/mem/$1
	mkdir -p "$d/t"
	set -- # the tables, made at their size, for bpftool to adopt
	while read -r name ways slot sets; do
		if [ "${d##*/}" = min ]; then want=1; else
			want=$(($(xk_default_slots "$ways" "$slot" "$((sets * ways))") / ways))
		fi
		bpftool map create "$d/t/$name" type percpu_array key 4 value $((ways * slot)) \
			entries "$want" name "$name"
		set -- "$@" map name "$name" pinned "$d/t/$name"
	done <<EOF
$tables
EOF
	if [ "${d##*/}" = min ]; then # the ring buffer of a capture that is off: one page
		bpftool map create "$d/t/packets" type ringbuf key 0 value 0 entries 4096 name packets
		set -- "$@" map name packets pinned "$d/t/packets"
	fi
	bpftool prog loadall "$XK_OBJ" "$d/p" "$@" pinmaps "$d/m"
	for m in "$d/m/"*; do bpftool -j map show pinned "$m" | jq .bytes_memlock; done |
		awk '{ s += $1 } END { if (s < 1048576) printf "%.1f KiB", s / 1024; else printf "%.1f MiB", s / 1048576 }'
}
printf '%-46s %s\n' "count only (tables of one set, a ring of one page)" "$(memory min)"
printf '%-46s %s\n' "stats and capture, default tables, $(xk_possible_cpus) possible CPUs (here)" "$(memory default)"
for n in 16 64 256; do
	printf '%-46s %s\n' "stats, default tables, $n CPUs (the rule)" "$(printf '%s\n' "$tables" |
		awk -v n="$n" -v b="$XK_TABLE_BUDGET" '{ m = b / (n * $3); s = $2; o = $2 * $4
			while (s * 2 <= m && s * 2 <= o) s *= 2
			t += n * s * $3; d = d sprintf("%s%s %d", d == "" ? "" : ", ", $1, s) }
			END { printf "%.1f MiB of tables (%s slots per CPU)", t / 1048576, d }')"
done

echo
echo "6. capture (64-byte IPv4 UDP frame; a 64 MiB ring buffer, tests/bench/capture.bpf.c,"
echo "   drained between runs). Per-packet cost, ${cap_repeat:=100000} runs each, interleaved:"
# Capture settings that take every packet until far in the future (the
# deadline: CLOCK_MONOTONIC ns), or reject each by protocol.
capture_on() { # MAPS_DIR SNAPLEN MATCH
	xk_map_write "$1/capture" 0 "{\"deadline\": 9007199254740991, \"match\": $3, \"snaplen\": $2}"
}
for c in off rej all p128; do
	bpftool prog loadall "$obj/capture.bpf.o" "$root/cap-$c" pinmaps "$root/capm-$c"
done
features "$root/capm-off/config" '["count","stats"]'
for c in rej all p128; do features "$root/capm-$c/config" '["count","stats","capture"]'; done
capture_on "$root/capm-rej" 0 '["ingress","egress","proto"]' # proto 0: no UDP frame passes
capture_on "$root/capm-all" 0 '["ingress","egress"]'
capture_on "$root/capm-p128" 128 '["ingress","egress"]'
# ns/packet of one run of PIN, then its events drained (exactly as many)
run_drain() { # C CPU
	taskset -c "$2" bpftool -j prog run pinned "$root/cap-$1/xdpkit_ingress" data_in "$tmp/udp4" \
		repeat "$cap_repeat" | jq .duration
	case $1 in
	all | p128) "$XK_DRAIN" --type packet --quiet --count "$cap_repeat" "$root/capm-$1/packets" >/dev/null ;;
	esac
}
rm -f "$tmp"/cap.*
r=0
while [ "$r" -lt "$rounds" ]; do
	r=$((r + 1))
	for c in off rej all p128; do run_drain "$c" 0 >>"$tmp/cap.$c"; done
done
printf '%-52s %6s %6s %7s %10s\n' "" med min spread "vs off"
off=""
for c in off rej all p128; do
	summary "$tmp/cap.$c" >"$tmp/sum"
	read -r med min max <"$tmp/sum"
	set -- "$med" "$min" "$max"
	[ -n "$off" ] || off=$1
	case $c in
	off) label="stats, capture off (one branch)" ;;
	rej) label="stats + capture, the selection rejects the packet" ;;
	all) label="stats + capture, every packet an event, no payload" ;;
	p128) label="stats + capture, every packet, 128 bytes of payload" ;;
	esac
	printf '%-52s %6s %6s %7s %10s\n' "$label" "$1" "$2" "$(($3 - $2))" "$([ "$c" = off ] && echo - || echo "+$(($1 - off))")"
done

echo
n=${cap_drain:-300000}
echo "   Drain: $n events in the ring buffer (written by BPF_PROG_TEST_RUN), read out by one"
echo "   process on CPU 0 to /dev/null; events/s, median of $rounds with the range. Reference:"
echo "   libbpf ring_buffer__poll + printf of the same fields, layout compiled in"
echo "   (tests/bench/refdrain.c)."
drain_rate() { # LABEL CMD...: fill, time the drain, $rounds times
	local label i t0 t1
	label=$1
	shift
	rm -f "$tmp/rate"
	for i in $(seq "$rounds"); do
		bpftool prog run pinned "$root/cap-$fill/xdpkit_ingress" data_in "$tmp/udp4" repeat "$n" >/dev/null
		t0=$(date +%s%N)
		taskset -c 0 "$@" >/dev/null
		t1=$(date +%s%N)
		echo $((n * 1000000000 / (t1 - t0))) >>"$tmp/rate"
	done
	summary "$tmp/rate" >"$tmp/sum"
	read -r med min max <"$tmp/sum"
	set -- "$med" "$min" "$max"
	printf '%-52s %9s events/s  (%s-%s)\n' "$label" "$1" "$2" "$3"
	echo "$1" >"$tmp/rate.$label_key"
}
fill=all label_key=json
drain_rate "xk-drain, JSON lines" "$XK_DRAIN" --type packet --quiet --count "$n" "$root/capm-all/packets"
fill=all label_key=ref
drain_rate "reference consumer (printf, layout compiled in)" "$obj/refdrain" "$root/capm-all/packets" "$n"
fill=p128 label_key=pcapng
drain_rate "xk-drain --pcapng (128-byte frames)" "$XK_DRAIN" --type packet --quiet --count "$n" \
	--pcapng - "$root/capm-p128/packets"
# the same events published to NATS JetStream (a nats-server -js of the
# bench's on 127.0.0.1, file storage), until every one is acknowledged
nats_port=$(awk 'BEGIN { srand(); print 20000 + int(rand() * 20000) }')
nats-server -js -a 127.0.0.1 -p "$nats_port" -sd "$tmp/nats" >"$tmp/nats.log" 2>&1 &
nats_pid=$!
for _ in $(seq 100); do ss -ltnH "sport = :$nats_port" | grep -q . && break; sleep 0.1; done
fill=all label_key=nats
# shellcheck disable=SC2016 # the inner shell expands them
drain_rate "xk-drain --nats (JetStream, every event acknowledged)" sh -c \
	'exec "$@" 2>>"$0"' "$tmp/nats.summary" "$XK_DRAIN" --type packet --count "$n" \
	--nats "nats://127.0.0.1:$nats_port" --stream XKBENCH --subject xkbench "$root/capm-all/packets"
kill "$nats_pid" 2>/dev/null || :
wait "$nats_pid" 2>/dev/null || :
rm -rf "$tmp/nats"
json=$(cat "$tmp/rate.json") ref=$(cat "$tmp/rate.ref") nats=$(cat "$tmp/rate.nats")
echo "   xk-drain JSON / reference: $(echo "$json $ref" | awk '{ printf "%.2f", $1 / $2 }')"
echo "   xk-drain --nats / JSON to /dev/null: $(echo "$nats $json" | awk '{ printf "%.2f", $1 / $2 }');" \
	"the last round: $(tail -n 1 "$tmp/nats.summary" | sed 's/.*; NATS: //')"
echo "target: at least 1,000,000 events/s of JSON lines without payload: $json -> $([ "$json" -ge 1000000 ] && echo met || echo "NOT met")"

echo
echo "   Accounting: a burst larger than the ring buffer (the object's 4 MiB), nobody reading"
bpftool prog loadall "$XK_OBJ" "$root/cap-acc" pinmaps "$root/capm-acc"
features "$root/capm-acc/config" '["capture"]'
capture_on "$root/capm-acc" 0 '["ingress","egress"]'
burst=100000
bpftool prog run pinned "$root/cap-acc/xdpkit_ingress" data_in "$tmp/udp4" repeat "$burst" >/dev/null
lost=$("$XK_DUMP" "$root/capm-acc/capture_stats" | jq -s 'map(.lost) | add')
events=$("$XK_DUMP" "$root/capm-acc/capture_stats" | jq -s 'map(.events) | add')
delivered=$("$XK_DRAIN" --type packet --quiet --duration 1 "$root/capm-acc/packets" | wc -l)
echo "   produced $burst = delivered $delivered + lost $lost: $([ $((delivered + lost)) = "$burst" ] && echo exact || echo "NOT exact") (events counted: $events)"

echo
echo "7. DNS: ns/packet, interleaved, on frames of craft.py (IPv4 UDP). \"dns on\": count,"
echo "   stats and dns, nobody reading events; the same query again and again finds its"
echo "   pending slot. \"dns off\": count and stats."
for c in off on; do
	bpftool prog loadall "$XK_OBJ" "$root/dn-$c" pinmaps "$root/dnm-$c"
done
features "$root/dnm-off/config" '["count","stats"]'
features "$root/dnm-on/config" '["count","stats","dns"]'
python3 "$top/tests/craft.py" "file:$tmp/other" udp_to 1 5000
python3 "$top/tests/craft.py" "file:$tmp/q30" dns_name 1 30
python3 "$top/tests/craft.py" "file:$tmp/q255" dns_name 1 255
printf '%-44s %8s %8s %7s %6s\n' frame "dns off" "dns on" "+" spread
for spec in "other:a UDP packet to port 5000 (not DNS)" "q30:a DNS query, 30-byte name" \
	"q255:a DNS query, 255-byte name (253 chars)"; do
	f=${spec%%:*}
	interleave "$tmp/$f" "$root/dn-off/xdpkit_ingress" "$root/dn-on/xdpkit_ingress" >"$tmp/sec7"
	{
		read -r a _ _ _
		read -r b bmin bmax _
	} <"$tmp/sec7"
	printf '%-44s %8s %8s %7s %6s\n' "${spec#*:}" "$a" "$b" "+$((b - a))" "$((bmax - bmin))"
done

echo
echo "   A reader taking every message (a 64 MiB ring, tests/bench/dns.bpf.c, drained"
echo "   between runs), ${cap_repeat} runs each, interleaved with dns on and no reader:"
bpftool prog loadall "$obj/dns.bpf.o" "$root/dnr" pinmaps "$root/dnrm"
features "$root/dnrm/config" '["count","stats","dns"]'
xk_map_write "$root/dnrm/dns" 0 '{"deadline": 9007199254740991}'
rm -f "$tmp"/dnr.*
r=0
while [ "$r" -lt "$rounds" ]; do
	r=$((r + 1))
	taskset -c 0 bpftool -j prog run pinned "$root/dn-on/xdpkit_ingress" data_in "$tmp/q30" \
		repeat "$cap_repeat" | jq .duration >>"$tmp/dnr.none"
	taskset -c 0 bpftool -j prog run pinned "$root/dnr/xdpkit_ingress" data_in "$tmp/q30" \
		repeat "$cap_repeat" | jq .duration >>"$tmp/dnr.ev"
	"$XK_DRAIN" --type dns --quiet --count "$cap_repeat" "$root/dnrm/dns_events" >/dev/null
done
read -r a _ _ <<EOT
$(summary "$tmp/dnr.none")
EOT
read -r b bmin bmax <<EOT
$(summary "$tmp/dnr.ev")
EOT
printf '%-52s %6s\n' "a DNS query, 30-byte name, no reader" "$a"
printf '%-52s %6s %7s\n' "the same, an event for every message" "$b" "+$((b - a))"

echo
dn=${dns_drain:-150000} # 344-byte records: as many as the 64 MiB ring holds, and some room
echo "   Drain: $dn DNS events (30-byte name) read out by xk-drain on CPU 0 to /dev/null:"
rm -f "$tmp/rate"
for i in $(seq "$rounds"); do
	bpftool prog run pinned "$root/dnr/xdpkit_ingress" data_in "$tmp/q30" repeat "$dn" >/dev/null
	t0=$(date +%s%N)
	taskset -c 0 "$XK_DRAIN" --type dns --quiet --count "$dn" "$root/dnrm/dns_events" >/dev/null
	t1=$(date +%s%N)
	echo $((dn * 1000000000 / (t1 - t0))) >>"$tmp/rate"
done
read -r med min max <<EOT
$(summary "$tmp/rate")
EOT
printf '%-52s %9s events/s  (%s-%s)\n' "xk-drain --type dns, JSON lines" "$med" "$min" "$max"

# 8. connection tracking: real connections over a veth pair (its own script)
sh "$top/tests/bench-conntrack.sh"
