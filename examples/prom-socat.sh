#!/bin/sh
# examples/prom-socat.sh - xdpkit's metrics on a TCP port without systemd:
# socat accepts each connection and runs one `xdp-prom --http` for it (no
# HTTP server in shell, nothing running between scrapes).
#
# usage: prom-socat.sh [PORT [ADDRESS]] [-- XDP-PROM-ARGUMENT...]
#   e.g. prom-socat.sh 9435 0.0.0.0 -- eth0 --ports 20
#
# -t 30: socat's default 0.5 s would close the connection of a client that
# half-closes its side before the answer (a second or two) is written.
set -eu
port=${1:-9435}
addr=${2:-127.0.0.1}
[ $# -eq 0 ] || shift
[ $# -eq 0 ] || [ "$1" = -- ] || shift
[ "${1:-}" != -- ] || shift
case $port in '' | *[!0-9]*) echo "prom-socat.sh: error: a port number, not '$port'" >&2; exit 2 ;; esac
case $addr in *[!0-9a-fA-F.:]*) echo "prom-socat.sh: error: an IP address, not '$addr'" >&2; exit 2 ;; esac
prom=$(command -v xdp-prom 2>/dev/null) || prom=$(cd "$(dirname -- "$0")/../bin" && pwd)/xdp-prom
cmd=$prom
for a in "$@"; do
	case $a in *[!A-Za-z0-9_.=/-]*) echo "prom-socat.sh: error: '$a': only plain words are passed on" >&2; exit 2 ;; esac
	cmd="$cmd $a"
done
exec socat -t 30 "TCP-LISTEN:$port,bind=$addr,reuseaddr,fork" "EXEC:$cmd --http"
