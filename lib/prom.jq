# lib/prom.jq - xdpkit's counters in the Prometheus text exposition format
# (version 0.0.4), from the JSON lines of xdp-status --json, xdp-stats
# --json, the connection tracker's ct_stats (xk-dump, with a "cgroup"
# field) and bpftool's programs (lines of type "prog"). bin/xdp-prom feeds
# it; the families are listed in the README ("xdp-prom").
#
#   jq -rs -L lib 'include "prom"; xk_prom'

# A label value: backslash, double quote and newline escaped.
def xk_prom_esc: tostring | gsub("\\\\"; "\\\\") | gsub("\""; "\\\"") | gsub("\n"; "\\n");

# {a: "x", b: 1} -> {a="x",b="1"}; null labels are left out.
def xk_prom_labels:
	to_entries | map(select(.value != null))
	| if length == 0 then "" else "{" + (map("\(.key)=\"\(.value | xk_prom_esc)\"") | join(",")) + "}" end;

# A number as Prometheus reads it.
def xk_prom_num:
	if . == null then "NaN" elif type == "number" then tostring else tostring end;

# One family: HELP, TYPE and its samples, [{labels, value}] or, for a
# histogram, [{labels, suffix, value}].
def xk_prom_family($name; $type; $help; $samples):
	if ($samples | length) == 0 then empty else
		"# HELP \($name) \($help)",
		"# TYPE \($name) \($type)",
		($samples[] | "\($name)\(.suffix // "")\(.labels | xk_prom_labels) \(.value | xk_prom_num)")
	end;

# The labels an interface's lines carry.
def xk_prom_if: {iface: .iface, netns: .netns};

# A histogram's samples from its bucket lines (cumulative counts, le), a sum
# and labels: _bucket for each le, _sum, _count (the +Inf bucket).
def xk_prom_hist($labels; $buckets; $sum):
	($buckets | map({labels: ($labels + {le: (.le | tostring)}), suffix: "_bucket", value: .cumulative}))
	+ [{labels: $labels, suffix: "_sum", value: $sum},
	   {labels: $labels, suffix: "_count", value: ($buckets | map(.cumulative) | max // 0)}];

# Counters of the global lines, one family each: [field, name, help].
def xk_prom_global_counters: [
	["fragments", "xdpkit_fragments_total", "IP fragments after the first."],
	["parse_errors", "xdpkit_parse_errors_total", "Frames shorter than a header they claim, or with a malformed header: in the totals only."],
	["flows_created", "xdpkit_flows_created_total", "Flows entered in the flow table."],
	["flow_evictions", "xdpkit_flow_evictions_total", "Flows evicted from the full flow table by a new one."],
	["ports_created", "xdpkit_ports_created_total", "Service ports entered in the port table."],
	["port_evictions", "xdpkit_port_evictions_total", "Service ports evicted from the full port table."],
	["capture_events", "xdpkit_capture_events_total", "Packets written to the capture ring buffer."],
	["capture_lost", "xdpkit_capture_lost_total", "Packets a capture lost: the ring buffer was full."],
	["capture_capped", "xdpkit_capture_capped_total", "Packets a capture skipped over its --rate."]
];

def xk_prom_dns_counters: [
	["queries", "xdpkit_dns_queries_total", "DNS queries."],
	["responses", "xdpkit_dns_responses_total", "DNS responses."],
	["malformed", "xdpkit_dns_malformed_total", "DNS messages that could not be decoded."],
	["truncated", "xdpkit_dns_truncated_total", "DNS responses with the TC flag."],
	["answered", "xdpkit_dns_answered_total", "DNS responses matched to their query."],
	["unmatched", "xdpkit_dns_unmatched_total", "DNS responses without a pending query."],
	["timeouts", "xdpkit_dns_timeouts_total", "DNS queries given up on (5 s without a response)."],
	["evictions", "xdpkit_dns_evictions_total", "Pending DNS queries evicted from the full table."],
	["events", "xdpkit_dns_events_total", "DNS messages written to the ring buffer."],
	["lost", "xdpkit_dns_lost_total", "DNS messages lost: the ring buffer was full."]
];

def xk_prom_tcp_counters: [
	["connects", "xdpkit_tcp_connects_total", "Active TCP opens started (first SYN sent)."],
	["closed", "xdpkit_tcp_closed_total", "Established TCP connections closed."],
	["resets", "xdpkit_tcp_resets_total", "Closes that were resets."],
	["retransmits", "xdpkit_tcp_retransmits_total", "TCP segments retransmitted by tracked sockets."],
	["unlisted", "xdpkit_tcp_unlisted_total", "Connections the live table had no room for (tracked, not listed)."],
	["events", "xdpkit_tcp_events_total", "Connection events written to the ring buffer."],
	["lost", "xdpkit_tcp_lost_total", "Connection events lost: the ring buffer was full."]
];

# The tracker's duration buckets, in seconds.
def xk_prom_ct_le: [
	["le_1ms", 0.001], ["le_10ms", 0.01], ["le_100ms", 0.1], ["le_1s", 1], ["le_10s", 10],
	["le_1min", 60], ["le_10min", 600], ["le_1h", 3600], ["le_inf", "+Inf"]
];

def xk_prom:
	. as $all
	| ($all | map(select(.type == "status" and .scope != "cgroup"))) as $ifs
	| ($all | map(select(.type == "status" and .scope == "cgroup"))) as $cgs
	| ($all | map(select(.type == "global"))) as $g
	| ($all | map(select(.type == "ct_stats"))) as $ct
	| ($all | map(select(.type == "prog")) | map({key: (.id | tostring), value: .}) | from_entries) as $progs
	| def up: if .health == "ok" then 1 else 0 end;
	  def iflabels: {iface: .iface, netns: .netns};
	  def per($type): $all | map(select(.type == $type));
	  def counter($type; $field; $name; $help):
		xk_prom_family($name; "counter"; $help;
			per($type) | map({labels: (xk_prom_if + {dir: .dir}), value: .[$field]}));
	(
	# Health first: what is up, since when, with what.
	xk_prom_family("xdpkit_up"; "gauge";
		"1 when the module is attached and healthy (xdp-status health ok), 0 when it is degraded, stale or not attached.";
		($ifs | map(. as $s | (if .health == "missing" then ["stats"] else .features end)[]
			| {labels: (($s | iflabels) + {module: .}), value: ($s | up)}))
		+ ($cgs | map({labels: {cgroup: .cgroup, module: "conntrack"}, value: up}))),
	xk_prom_family("xdpkit_attach_time_seconds"; "gauge";
		"When the counters started: the attach they count from, Unix seconds. A change is a counter reset.";
		($ifs | map(select(.attached_at != null) | {labels: iflabels, value: .attached_at}))),
	xk_prom_family("xdpkit_info"; "gauge";
		"The monitor on an interface: ingress hook, XDP mode, features, version, program tags.";
		($ifs | map(select(.health != "missing") | {labels: (iflabels + {
			hook: .hook, mode: (.xdp.mode // "tc"), features: (.features | join(",")),
			version: .version, ingress_tag: .object.ingress_tag, egress_tag: .object.egress_tag}), value: 1}))
		+ ($cgs | map({labels: {cgroup: .cgroup, features: (.features | join(",")), version: .version}, value: 1}))),
	# Traffic
	counter("global"; "packets"; "xdpkit_packets_total"; "Frames seen at the hook (a GSO packet counts as the frames it becomes on the wire)."),
	counter("global"; "bytes"; "xdpkit_bytes_total"; "Bytes of the frames seen at the hook, layer-2 header included."),
	xk_prom_family("xdpkit_family_packets_total"; "counter";
		"Frames by network family: ipv4, ipv6, non_ip (parse errors are in none).";
		$g | map(. as $l | ("ipv4", "ipv6", "non_ip") | {labels: (($l | xk_prom_if + {dir: .dir}) + {family: .}), value: $l[.]})),
	xk_prom_family("xdpkit_transport_packets_total"; "counter";
		"IP frames by transport: tcp, udp, icmp (ICMP and ICMPv6), other.";
		$g | map(. as $l | ("tcp", "udp", "icmp", "other") | {labels: (($l | xk_prom_if + {dir: .dir}) + {transport: .}), value: $l[.]})),
	xk_prom_family("xdpkit_protocol_packets_total"; "counter"; "Frames by IP protocol (protocols seen only).";
		per("proto") | map({labels: (xk_prom_if + {dir: .dir, proto: .proto}), value: .packets})),
	xk_prom_family("xdpkit_protocol_bytes_total"; "counter"; "Bytes by IP protocol (protocols seen only).";
		per("proto") | map({labels: (xk_prom_if + {dir: .dir, proto: .proto}), value: .bytes})),
	xk_prom_family("xdpkit_port_packets_total"; "counter"; "Frames of the top service ports by bytes (xdp-prom --ports K).";
		per("port") | map({labels: (xk_prom_if + {dir: .dir, proto: .proto, port: .port}), value: .packets})),
	xk_prom_family("xdpkit_port_bytes_total"; "counter"; "Bytes of the top service ports by bytes (xdp-prom --ports K).";
		per("port") | map({labels: (xk_prom_if + {dir: .dir, proto: .proto, port: .port}), value: .bytes})),
	xk_prom_family("xdpkit_port_syns_total"; "counter"; "SYNs without ACK to the top service ports.";
		per("port") | map(select(.proto == "tcp") | {labels: (xk_prom_if + {dir: .dir, proto: .proto, port: .port}), value: .syns})),
	xk_prom_family("xdpkit_frame_size_bytes"; "histogram";
		"Frame sizes at the hook, layer-2 header included; the sum is the bytes.";
		[$g[] | . as $l
		 | xk_prom_hist($l | xk_prom_if + {dir: .dir};
			per("size") | map(select(.iface == $l.iface and .netns == $l.netns and .dir == $l.dir));
			$l.bytes)[]]),
	(xk_prom_global_counters[] as [$f, $n, $h] | counter("global"; $f; $n; $h)),
	xk_prom_family("xdpkit_flows"; "gauge"; "Flows in the flow table now (both directions).";
		$ifs | map(select(.maps != null) | . as $s | .maps[] | select(.name == "flows")
			| {labels: ($s | iflabels), value: .entries})),
	xk_prom_family("xdpkit_flow_slots"; "gauge"; "Slots of the flow table: flows it holds before it evicts.";
		$ifs | map(select(.maps != null) | . as $s | .maps[] | select(.name == "flows")
			| {labels: ($s | iflabels), value: .capacity})),
	# DNS
	(xk_prom_dns_counters[] as [$f, $n, $h] | counter("dns_stats"; $f; $n; $h)),
	xk_prom_family("xdpkit_dns_rcode_responses_total"; "counter"; "DNS responses by rcode (rcodes seen only).";
		per("dns_rcode") | map({labels: (xk_prom_if + {dir: .dir, rcode: .rcode}), value: .responses})),
	xk_prom_family("xdpkit_dns_qtype_queries_total"; "counter"; "DNS queries by qtype (qtypes seen only).";
		per("dns_qtype") | map({labels: (xk_prom_if + {dir: .dir, qtype: .qtype}), value: .queries})),
	xk_prom_family("xdpkit_dns_latency_seconds"; "histogram";
		"From a DNS query to its response, for the answered ones; dir is the responses'.";
		[per("dns_stats")[] | . as $l
		 | xk_prom_hist($l | xk_prom_if + {dir: .dir};
			per("dns_latency") | map(select(.iface == $l.iface and .netns == $l.netns and .dir == $l.dir));
			$l.latency_sum_us / 1e6)[]]),
	# Connections
	(xk_prom_tcp_counters[] as [$f, $n, $h]
	 | xk_prom_family($n; "counter"; $h; $ct | map({labels: {cgroup: .cgroup}, value: .[$f]}))),
	xk_prom_family("xdpkit_tcp_opens_total"; "counter"; "TCP connections established, by role: active (connect) or passive (accept).";
		$ct | map(. as $c | ("active", "passive") | {labels: {cgroup: $c.cgroup, role: .}, value: $c[.]})),
	xk_prom_family("xdpkit_tcp_failed_total"; "counter"; "Active TCP opens that failed, by reason.";
		$ct | map(. as $c | ("refused", "timeout", "unreachable", "aborted", "other")
			| {labels: {cgroup: $c.cgroup, reason: .}, value: $c["failed_" + .]})),
	xk_prom_family("xdpkit_tcp_connections"; "gauge"; "TCP connections open now (established, not yet closed).";
		$cgs | map({labels: {cgroup: .cgroup}, value: .conntrack.live})),
	xk_prom_family("xdpkit_tcp_duration_seconds"; "histogram"; "Durations of closed TCP connections, from the first SYN.";
		[$ct[] | . as $c
		 | xk_prom_hist({cgroup: $c.cgroup};
			[foreach xk_prom_ct_le[] as [$k, $le] (0; . + $c.duration[$k]; {le: $le, cumulative: .})];
			$c.duration_sum_us / 1e6)[]]),
	# The monitor's own cost (kernel.bpf_stats_enabled=1)
	(([$ifs[] | select(.health != "missing") | . as $s
	   | (["xdp", .xdp], ["tc_ingress", .tc_ingress], ["tc_egress", .tc])
	   | select(.[1] != null and .[1].prog_id != null)
	   | {labels: (($s | iflabels) + {hook: .[0], prog_id: (.[1].prog_id | tostring)}), p: $progs[.[1].prog_id | tostring]}]
	  + [$cgs[] | select(.sockops.prog_id != null)
	   | {labels: {cgroup: .cgroup, hook: "sockops", prog_id: (.sockops.prog_id | tostring)}, p: $progs[.sockops.prog_id | tostring]}])
	 | map(select(.p.run_cnt != null))) as $runs
	| xk_prom_family("xdpkit_bpf_run_seconds_total"; "counter";
		"Time the program ran, from the kernel's BPF statistics (kernel.bpf_stats_enabled=1).";
		$runs | map({labels: .labels, value: (.p.run_time_ns / 1e9)})),
	  xk_prom_family("xdpkit_bpf_runs_total"; "counter";
		"Times the program ran, from the kernel's BPF statistics (kernel.bpf_stats_enabled=1).";
		$runs | map({labels: .labels, value: .p.run_cnt}))
	);
