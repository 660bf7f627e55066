# lib/format.jq - human formatting of xdpkit JSON lines. Usable on its own:
#   xdp-stats eth0 --json | jq -rs -L /usr/local/share/xdpkit 'include "format"; xk_global_table'

# 1234567 -> "1,234,567"
def xk_group:
  tostring | if test("^[0-9]+$") then
    [explode | reverse | _nwise(3) | reverse | implode] | reverse | join(",")
  else . end;

# Bytes or bits with an SI unit: 1500000 -> "1.5 M"
def xk_si:
  if . >= 1e12 then "\(. / 1e11 | floor / 10) T"
  elif . >= 1e9 then "\(. / 1e8 | floor / 10) G"
  elif . >= 1e6 then "\(. / 1e5 | floor / 10) M"
  elif . >= 1e3 then "\(. / 1e2 | floor / 10) k"
  else "\(. | floor) " end;

# Right-align to width $w.
def xk_rpad($w): tostring | (" " * ([$w - length, 0] | max)) + .;
def xk_lpad($w): tostring | . + (" " * ([$w - length, 0] | max));

# Seconds -> "3 d 4 h", "17 h 10 min", "5 min 3 s", "42 s"
def xk_duration:
  floor | if . >= 86400 then "\(. / 86400 | floor) d \(. % 86400 / 3600 | floor) h"
  elif . >= 3600 then "\(. / 3600 | floor) h \(. % 3600 / 60 | floor) min"
  elif . >= 60 then "\(. / 60 | floor) min \(. % 60) s"
  else "\([., 0] | max) s" end;

# Unix seconds -> "2026-11-26 22:09:21 UTC"
def xk_time: if . == null or . == 0 then "-" else floor | strftime("%Y-%m-%d %H:%M:%S UTC") end;

# The totals table from an array of "global" lines.
def xk_global_table:
  map(select(.type == "global"))
  | ("\("dir" | xk_lpad(8)) \("packets" | xk_rpad(16)) \("bytes" | xk_rpad(20))",
     (.[] | "\(.dir | xk_lpad(8)) \(.packets | xk_group | xk_rpad(16)) \(.bytes | xk_group | xk_rpad(20))"));

def xk_bytes: if . >= 1048576 then "\(. / 104857.6 | round / 10) MiB"
              elif . >= 1024 then "\(. / 102.4 | round / 10) KiB" else "\(.) B" end;

# One xdp-status line as text.
# One program that runs before xdpkit's (a status line's "before" entry),
# and what that hides: "tc pref 7 prog 12 (name): what it drops, ...".
def xk_before_text:
  "\(.hook)\(if .pref then " pref \(.pref)" else "" end)\(if .mode then " \(.mode)" else "" end) prog \(.prog_id // "-") (\(.name // "?"))"
  + ": what it drops\(if .hook == "xdp" then " or redirects" else ", redirects or ends with a verdict" end) is not counted";

def xk_status_text:
  if .scope == "cgroup" then
    "cgroup \(.cgroup // "?"): \(.health), conntrack, sockops prog \(.sockops.prog_id // "-")\(if .sockops.attached then "" else " (not attached)" end)\(if .for_reader then ", for xdp-conntrack" else "" end)",
    (.conntrack | "  conntrack: \(if .running then "xdp-conntrack running (pid \(.pid // "?"))" else "counting" end); \(.live // "?") live, \(.connects) connects, \(.active) active and \(.passive) passive opens, \(.closed) closed, \(.failed) failed, \(.retransmits) retransmits, \(.unlisted) unlisted; \(.events) events, \(.lost) lost since attach"),
    "  maps: \(.maps | map(if .map_type == "ringbuf" then "\(.name) ring of \(.max_entries | xk_bytes)"
                         else "\(.name) \(.entries // "-")/\(.max_entries // "-")" end) | join(", ")); memory \(.memory | xk_bytes)",
    (.problems[] | "  problem: \(.)")
  elif .health == "missing" then
    "\(.iface): missing, xdpkit is not attached"
  elif .type == "foreign" then
    "\(.iface): XDP program \(.prog_id) (\(.name), \(.mode)) was not attached by xdpkit"
  else
    "\(.iface): \(.health), features \(.features // [] | if length == 0 then "none" else join(" ") end), attached \(.attached_at | xk_time)",
    (if .xdp != null then
       "  xdp \(.xdp.mode // "-") prog \(.xdp.prog_id // "-")\(if .xdp.attached then "" else " (not attached)" end)"
     else
       "  tc ingress prog \(.tc_ingress.prog_id // "-")\(if .tc_ingress.attached then "" else " (not attached)" end)"
     end)
      + (if .tc == null then ", no tc egress (ingress only)"
         else ", tc egress prog \(.tc.prog_id // "-")\(if .tc.attached then "" else " (not attached)" end)" end)
      + ", tag \(.object.ingress_tag // "-")"
      + (if .netns != null then ", netns \(.netns)" else "" end),
    (if .capture == null then empty
     else "  capture: \(if .capture.running then "running (xdp-capture pid \(.capture.pid // "?"))"
                       elif .capture.pid != null then "stopped (its reader, pid \(.capture.pid), is gone)"
                       else "off" end); \(.capture.events) events, \(.capture.lost) lost (ring buffer full)\(if .capture.capped > 0 then ", \(.capture.capped) over the rate cap" else "" end) since attach" end),
    (if .dns == null or ((.dns.on | not) and (.dns.running | not)) then empty
     else "  dns: \(if .dns.running then "xdp-dns running (pid \(.dns.pid // "?"))"
                   elif .dns.pid != null then "on; its xdp-dns (pid \(.dns.pid)) is gone"
                   else "on (counters)" end); \(.dns.queries) queries, \(.dns.responses) responses (\(.dns.answered) answered), \(.dns.timeouts) timeouts, \(.dns.malformed) malformed; \(.dns.events) events, \(.dns.lost) lost since attach" end),
    "  maps: \(.maps | map(if .map_type == "ringbuf" then "\(.name) ring of \(.max_entries | xk_bytes)"
                         else "\(.name) \(.entries // "?")/\(.capacity // .max_entries // "?")" end) | join(", ")); memory \(.memory | xk_bytes)",
    (.before // {} | to_entries[] | select(.key != "unplaced") | .key as $d | .value[]
     | "  before xdpkit on \($d): \(xk_before_text)"),
    (if (.before.unplaced // []) != [] then
       "  note: tcx links on this host, interface unknown (bpftool before 7.3 does not say): \(.before.unplaced | map("link \(.link_id) prog \(.prog_id) (\(.name // "?"))") | join(", ")); one on this interface would run before xdpkit's filters"
     else empty end),
    (.problems[] | "  problem: \(.)")
  end;

def xk_bits: (. // 0) | "\(xk_si)bit/s";
def xk_pct($total): if $total > 0 then "\(. * 1000 / $total | round / 10)%" else "-" end;

# The xdp-stats dashboard. Input: an array of contract lines, with rates
# (pps, bps) when $m.rates. $m: {iface, title, by: ["flows", "ports",
# "conversations", "hosts", "protocols", "sizes"], top, sort: "packets" |
# "bytes", rates: bool}.
def xk_dashboard($m):
  . as $l
  | ($l | map(select(.type == "global"))) as $g
  | ($m.rates) as $r
  | (if $r then (if $m.sort == "packets" then "packets/s" else "bytes/s" end)
     else "\($m.sort) since attach" end) as $by
  | def ftab($rows; $cols):   # $cols: [[title, "l"|"r", field]]; widths fit the data
      ($cols | map(select($r or (.[3] // false | not)))) as $cols
      | ($cols | map(.[0] as $t | .[2] as $f | [$t, ($rows[] | .[$f] // "-" | tostring)]
                   | map(length) | max)) as $w
      | def cell($i; $v): $v | tostring | if $cols[$i][1] == "l" then xk_lpad($w[$i]) else xk_rpad($w[$i]) end;
        ([range(0; $cols | length) as $i | cell($i; $cols[$i][0])] | join("  ") | sub(" +$"; "")),
        ($rows[] | . as $r | [range(0; $cols | length) as $i | cell($i; $r[$cols[$i][2]] // "-")]
         | join("  ") | sub(" +$"; ""));
    def section($name; $rows; $cols):
      if ($rows | length) == 0 then "", "top \($m.top) \($name) by \($by): none"
      else "", "top \($m.top) \($name) by \($by)", ftab($rows; $cols) end;
    # rate columns are marked with a 4th element true: left out without rates
    def rates: [["pps", "r", "pps", true], ["rate", "r", "rate", true]];
    def counts: [["packets", "r", "packets"], ["bytes", "r", "bytes"]];
    def nums: {pps: (.pps // 0 | tostring), rate: (.bps | xk_bits),
               packets: (.packets | xk_group), bytes: (.bytes | xk_group)};
    def io($x): if $x == null then "-" elif $r then $x.bps | xk_bits else $x.bytes | xk_group end;
    def ep($a; $p; $proto):   # address:port; no port for protocols without ports
      if ($proto == "tcp" or $proto == "udp" or $proto == 132) | not then $a
      elif ($a | contains(":")) then "[\($a)]:\($p)" else "\($a):\($p)" end;
    "\($m.iface)  \($m.title)",
    "",
    ftab([$g[] | {dir} + nums];
         [["dir", "l", "dir"]] + rates + counts),
    "",
    ($g[] | select(.packets > 0) | . as $x
     | "\(.dir | xk_lpad(8)) tcp \(.tcp | xk_pct($x.packets))  udp \(.udp | xk_pct($x.packets))  icmp \(.icmp | xk_pct($x.packets))  other IP \(.other | xk_pct($x.packets))  non-IP \(.non_ip | xk_pct($x.packets))  IPv6 \(.ipv6 | xk_pct($x.packets))  (packets since attach)"),
    (if ($m.by | index("protocols")) then
       ([$l[] | select(.type == "proto") | {dir, proto: (.proto | tostring)} + nums]) as $rows
       | if ($rows | length) == 0 then "", "protocols: none"
         else "", "protocols",
              ftab($rows; [["dir", "l", "dir"], ["proto", "l", "proto"]] + rates + counts) end
     else empty end),
    (if ($m.by | index("flows")) then
       section("flows"; [$l[] | select(.type == "flow") | {dir, proto: (.proto | tostring),
                     src: ep(.src; .sport; .proto), dst: ep(.dst; .dport; .proto),
                     flags: (.tcp_flags | join(","))} + nums];
            [["dir", "l", "dir"], ["proto", "l", "proto"], ["source", "l", "src"],
             ["destination", "l", "dst"]] + rates + counts + [["tcp flags", "l", "flags"]])
     else empty end),
    (if ($m.by | index("ports")) then
       section("service ports"; [$l[] | select(.type == "port") | {dir, proto: (.proto | tostring),
                     port: (.port | tostring), syns: (.syns | xk_group)} + nums];
            [["dir", "l", "dir"], ["proto", "l", "proto"], ["port", "r", "port"]] + rates + counts
             + [["syns", "r", "syns"]])
     else empty end),
    (if ($m.by | index("conversations")) then
       section("conversations"; [$l[] | select(.type == "conversation") | {proto: (.proto | tostring),
                     local: ep(.local; .lport; .proto), remote: ep(.remote; .rport; .proto),
                     in: io(.in), out: io(.out)} + nums];
            [["proto", "l", "proto"], ["local", "l", "local"], ["remote", "l", "remote"],
             [if $r then "in rate" else "in bytes" end, "r", "in"],
             [if $r then "out rate" else "out bytes" end, "r", "out"]] + counts)
     else empty end),
    (if ($m.by | index("hosts")) then
       section("hosts"; [$l[] | select(.type == "host") | {addr, in: io(.in), out: io(.out)} + nums];
            [["host", "l", "addr"],
             [if $r then "in rate" else "in bytes" end, "r", "in"],
             [if $r then "out rate" else "out bytes" end, "r", "out"]] + counts)
     else empty end),
    (if ($m.by | index("sizes")) then
       "", "frame sizes (packets since attach)",
       ($g[] | .dir as $d | "\($d | xk_lpad(8)) " + ([$l[] | select(.type == "size" and .dir == $d)
          | "<=\(.le): \(.packets | xk_group)"] | join("  ")))
     else empty end),
    ([$l[] | select(.type == "dns_stats")] as $d
     | if ($d | length) == 0 then empty else
         "", "DNS (messages since attach\(if $r then "; q/s and r/s: queries and responses a second" else "" end))",
         ftab([$d[] | {dir, qps: (.qps // 0 | tostring), rps: (.rps // 0 | tostring)}
                     + (to_entries | map(select(.value | type == "number") | {key, value: (.value | xk_group)}) | from_entries)
                     + {mean: (if .answered > 0 then "\(.latency_sum_us / .answered | round)us" else "-" end)}];
              [["dir", "l", "dir"], ["q/s", "r", "qps", true], ["r/s", "r", "rps", true],
               ["queries", "r", "queries"], ["responses", "r", "responses"], ["answered", "r", "answered"],
               ["mean latency", "r", "mean"], ["unmatched", "r", "unmatched"], ["timeouts", "r", "timeouts"],
               ["malformed", "r", "malformed"], ["truncated", "r", "truncated"], ["lost", "r", "lost"]]),
         ($d[] | .dir as $dir
          | ([$l[] | select(.type == "dns_rcode" and .dir == $dir)] | sort_by(-.responses)
             | map("\(.rcode) \(.responses | xk_group)") | join("  ")) as $rc
          | ([$l[] | select(.type == "dns_qtype" and .dir == $dir)] | sort_by(-.queries)
             | map("\(.qtype) \(.queries | xk_group)") | join("  ")) as $qt
          | (if $qt != "" then "\($dir | xk_lpad(8)) queries by type: \($qt)" else empty end),
            (if $rc != "" then "\($dir | xk_lpad(8)) responses by rcode: \($rc)" else empty end))
       end),
    ([$g[] | . as $x | ("parse_errors", "fragments", "flow_evictions", "port_evictions", "capture_lost", "capture_capped") as $k
      | select(($x[$k] // 0) > 0) | "\($x.dir) \($k | gsub("_"; " ")) \($x[$k] | xk_group)"]
     | if length > 0 then "", "note: " + join(", ") else empty end);

# A capture event ("packet") as one line, in tcpdump's spirit:
# 21:46:51.465070 ingress 198.18.9.2.53 > 198.18.9.1.41234: udp, length 98
def xk_hex4: [(. / 4096 | floor) % 16, (. / 256 | floor) % 16, (. / 16 | floor) % 16, . % 16]
  | map("0123456789abcdef"[.:. + 1]) | join("");
def xk_ethertype_name:
  {"2048": "ipv4", "2054": "arp", "34525": "ipv6", "35020": "lldp", "34958": "eapol",
   "33024": "vlan", "34984": "qinq", "34887": "mpls"}[tostring];
# An event's time of day, to the microsecond: "21:46:51.465070".
def xk_clock:
  (.ts | floor) as $s
  | ($s | strflocaltime("%H:%M:%S")) + "." + ("000000" + ((.ts - $s) * 1e6 | floor | tostring))[-6:];

def xk_packet_text:
  xk_clock + " " + .dir
  + (if (.vlan | length) > 0 then " vlan " + (.vlan | map(tostring) | join(",")) else "" end)
  + " "
  + (if .parse == "non_ip" then
       "ethertype 0x\(.ethertype | xk_hex4)\(.ethertype | xk_ethertype_name | if . then " (\(.))" else "" end)"
     elif .parse == "error" then "malformed"
     elif .proto == "tcp" or .proto == "udp" then "\(.src).\(.sport) > \(.dst).\(.dport): \(.proto)"
     else "\(.src) > \(.dst): \(.proto)" end)
  + (if (.tcp_flags | length) > 0 then " [\(.tcp_flags | join(","))]" else "" end)
  + ", length \(.len)"
  + (if .segs > 1 then " (\(.segs) frames)" else "" end);

# A DNS event ("dns") as one line: time, direction, client > server (a
# query) or client < server (a response), id, qtype, qname, and for a
# response its rcode and latency ("unmatched" without a query seen).
def xk_dns_text:
  def ep($a; $p): "\($a).\($p)";
  xk_clock + " " + .dir + " "
  + (if .qr == "response" then "\(ep(.dst; .dport)) < \(ep(.src; .sport))"
     else "\(ep(.src; .sport)) > \(ep(.dst; .dport))" end)
  + (if .proto == "tcp" then " tcp" else "" end)
  + (if .status != "ok" then " malformed (\(.status | gsub("_"; " "))), length \(.len)"
     else " \(.qr) id \(.id)"
       + (if .opcode != "QUERY" then " \(.opcode)" else "" end)
       + " \(.qtype)"
       + (if .qclass != "IN" then " \(.qclass)" else "" end)
       + " \(.qname)"
       + (if .qr == "response" then
            " \(.rcode)" + (if (.flags | index("tc")) then " truncated" else "" end)
            + (if .latency_us == null then " unmatched"
               elif .latency_us < 1000 then " \(.latency_us)us"
               elif .latency_us < 1000000 then " \(.latency_us / 10 | round / 100)ms"
               else " \(.latency_us / 10000 | round / 100)s" end)
          else "" end)
     end);

# A duration in us as text: us below 1 ms, else ms or s.
def xk_us_text:
  if . < 1000 then "\(.)us"
  elif . < 1000000 then "\(. / 10 | round / 100)ms"
  else "\(. / 10000 | round / 100)s" end;

# An address and port as tcpdump writes them (IPv6 too: ADDR.PORT).
def xk_ep($a; $p): "\($a).\($p)";

# A connection event (xdp-conntrack): time, role, local > remote, event.
def xk_tcp_text:
  xk_clock + " " + .role + " " + xk_ep(.src; .sport) + " > " + xk_ep(.dst; .dport)
  + " " + .event
  + (if .event == "close" then
       " sent \(.bytes_sent) received \(.bytes_received) \(.duration_us | xk_us_text)"
       + " retrans \(.retransmits) srtt \(.srtt_us | xk_us_text)"
       + (if .closed_by != "none" then " by \(.closed_by)" else "" end)
       + (if .reason != "none" then " \(.reason)" else "" end)
     elif .event == "failed" then
       " \(.reason)" + (if .reason == "other" then " (errno \(.error))" else "" end)
       + " \(.duration_us | xk_us_text)"
     elif .event == "state" then " \(.state)"
     else "" end)
  + (if .pid != null then " pid \(.pid)" else "" end)
  + (if .comm != null then " \(.comm)" else "" end);

# The live table (xdp-conntrack --live), from its rows (slurped).
def xk_conns_text:
  (now) as $now
  | if length == 0 then "no live connections"
    else
      (["STATE", "ROLE", "LOCAL", "REMOTE", "AGE", "RETRANS", "PID", "COMMAND"] | join("\t")),
      (sort_by(.start)[]
       | [.state, .role, xk_ep(.src; .sport), xk_ep(.dst; .dport),
          (($now - .start) * 1e6 | floor | xk_us_text), .retransmits,
          (.pid // "-"), (.comm // "-")] | map(tostring) | join("\t"))
    end;
