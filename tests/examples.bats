#!/usr/bin/env bats
# examples/: the crontab's lines run under cron's environment, the systemd
# units pass systemd-analyze verify, the socket-activated exporter answers
# a scrape, and the Prometheus rules and configuration pass promtool.

load helpers

setup() {
	xk_setup
	PIDS=""
	prefix=$BATS_TEST_TMPDIR/prefix
	make -C "$XK_TOP" --no-print-directory -s install PREFIX="$prefix" >/dev/null
}

teardown() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null || :; done
	for p in $PIDS; do wait "$p" 2>/dev/null || :; done
	xk_teardown
}

# An example file with the installed prefix, the test's interface and
# directories in place of /usr/local, eth0 and /var/lib.
localize() { # FILE
	sed -e "s#/usr/local/#$prefix/#g" -e "s#eth0#$A#g" -e "s#/var/lib/#$BATS_TEST_TMPDIR/var/#g" "$1"
}

@test "examples/crontab: every line runs under cron's environment from the installed copy and does its job" {
	xdp-attach "$A" stats
	xk_send_in 12 100
	[ "$(xk_wait_count "$A" ingress packets 12)" = 12 ]
	mkdir -p "$BATS_TEST_TMPDIR/var/prometheus/node-exporter"
	n=0
	while read -r _ _ _ _ _ user cmd; do
		[ "$user" = root ]
		echo "$cmd"
		cd /
		env -i PATH=/usr/bin:/bin SHELL=/bin/sh LOGNAME=root XDPKIT_BPFFS="$XDPKIT_BPFFS" \
			XDPKIT_RUNDIR="$XDPKIT_RUNDIR" /bin/sh -c "$cmd" </dev/null
		n=$((n + 1))
	done < <(localize "$XK_TOP/examples/crontab" | grep -v '^#' | grep .)
	[ "$n" = 3 ]
	grep -qx "xdpkit_packets_total{iface=\"$A\",dir=\"ingress\"} 12" \
		"$BATS_TEST_TMPDIR/var/prometheus/node-exporter/xdpkit.prom"
	[ "$(jq -r 'select(.type == "global" and .dir == "ingress") | .packets' "$BATS_TEST_TMPDIR"/var/xdpkit/snapshots/xdpkit-*.jsonl)" = 12 ]
}

@test "examples/systemd: every unit passes systemd-analyze verify (the template as an instance for the test's interface)" {
	d=$BATS_TEST_TMPDIR/units
	mkdir "$d"
	for f in "$XK_TOP"/examples/systemd/*; do
		localize "$f" >"$d/${f##*/}"
	done
	# the templates as instances (the socket needs its template beside)
	cp "$d/xdpkit@.service" "$d/xdpkit@$A.service"
	cp "$d/xdpkit-prom@.service" "$d/xdpkit-prom@0.service"
	cd "$d"
	run systemd-analyze verify --man=no $(ls | grep -v '@\.service$')
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# what the template would run: attach, then detach
	start=$(sed -n 's/^ExecStart=//p' "xdpkit@$A.service" | sed "s/%i/$A/; s/\$XDPKIT_FEATURES/stats/")
	stop=$(sed -n 's/^ExecStop=//p' "xdpkit@$A.service" | sed "s/%i/$A/")
	env -i PATH=/usr/bin:/bin XDPKIT_BPFFS="$XDPKIT_BPFFS" XDPKIT_RUNDIR="$XDPKIT_RUNDIR" $start
	xdp-status "$A"
	env -i PATH=/usr/bin:/bin XDPKIT_BPFFS="$XDPKIT_BPFFS" XDPKIT_RUNDIR="$XDPKIT_RUNDIR" $stop
	run xdp-status "$A"
	[ "$status" -eq 7 ]
}

@test "examples/systemd: the socket-activated exporter (Accept=yes, one xdp-prom --http per connection) answers a scrape" {
	xdp-attach "$A" count
	xk_send_in 7 100
	[ "$(xk_wait_count "$A" ingress packets 7)" = 7 ]
	cmd=$(localize "$XK_TOP/examples/systemd/xdpkit-prom@.service" | sed -n 's/^ExecStart=//p')
	grep -qx 'Accept=yes' "$XK_TOP/examples/systemd/xdpkit-prom.socket"
	port=$(xk_free_port)
	# systemd-socket-activate --inetd: the connection on stdin and stdout,
	# as StandardInput=socket does (and a clean environment, but for -E)
	systemd-socket-activate --inetd -a -l "127.0.0.1:$port" -E XDPKIT_BPFFS -E XDPKIT_RUNDIR $cmd 2>"$BATS_TEST_TMPDIR/sa.log" 3>&- &
	PIDS="$PIDS $!"
	for _ in $(seq 50); do ss -ltnH "sport = :$port" | grep -q . && break; sleep 0.1; done
	for _ in 1 2; do
		run curl -sf "http://127.0.0.1:$port/metrics"
		[ "$status" -eq 0 ]
		grep -qx "xdpkit_packets_total{iface=\"$A\",dir=\"ingress\"} 7" <<<"$output"
	done
}

@test "examples/prometheus: promtool passes the configuration, the recording rules and the alerts" {
	run promtool check config "$XK_TOP/examples/prometheus/prometheus.yml"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q 'SUCCESS: 6 rules found' <<<"$output"
	grep -q 'SUCCESS: 5 rules found' <<<"$output"
}
