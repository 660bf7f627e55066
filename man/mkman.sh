#!/bin/sh
# man/mkman.sh - a man page (section 8) from a command's --help, which is
# the comment block under its shebang: so the page says what --help says.
#
# usage: man/mkman.sh bin/COMMAND VERSION >COMMAND.8
#
# The help's layout: "NAME - what" first; "usage:" lines (continued by
# deeper indented lines) become the SYNOPSIS; paragraphs the DESCRIPTION;
# an indented "--option  text" list the OPTIONS; the paragraph starting
# "Exit status:" the EXIT STATUS. Then SEE ALSO: the other commands.
set -eu
[ $# -eq 2 ] || { echo "mkman.sh: usage: mkman.sh bin/COMMAND VERSION" >&2; exit 2; }
cmd=$1 version=$2
name=${cmd##*/}
[ -r "$cmd" ] || { echo "mkman.sh: $cmd: cannot read it" >&2; exit 1; }
others=$(for f in "$(dirname -- "$cmd")"/xdp-*; do
	n=${f##*/}
	[ "$n" = "$name" ] || printf '%s\n' "$n"
done)
date=$(git -C "$(dirname -- "$cmd")" log -1 --format=%cs -- "${cmd##*/}" 2>/dev/null || :)
[ -n "$date" ] || date=$(date -u +%Y-%m-%d)
sed -n '2,/^[^#]/{/^#/{s/^# \{0,1\}//;p;}}' "$cmd" |
	awk -v name="$name" -v version="$version" -v date="$date" -v others="$others" '
	# roff: a backslash, a leading dot or quote, and the hyphens of options
	function esc(s) {
		gsub(/\\/, "\\e", s)
		gsub(/-/, "\\-", s)
		if (s ~ /^[.'\'']/) s = "\\&" s
		return s
	}
	function flush() {
		if (para != "") { print ".PP"; print esc(para); para = "" }
	}
	BEGIN { state = "head" }
	# the NAME line, and its continuation up to the blank line
	NR == 1 {
		split($0, h, " - ")
		printf ".TH %s 8 \"%s\" \"xdpkit %s\" \"xdpkit\"\n", toupper(name), date, version
		print ".nh"
		print ".ad l"
		print ".SH NAME"
		what = substr($0, length(h[1]) + 4)
		next
	}
	state == "head" && /^ *$/ { if (what != "") print esc(name) " \\- " esc(what); what = ""; next }
	state == "head" && !/^usage: / { t = $0; sub(/^ +/, "", t); what = what " " t; next }
	/^usage: / { state = "usage"; print ".SH SYNOPSIS"; print ".nf"; sub(/^usage: /, ""); print esc($0); next }
	# another form of the command: a line of its own; else a continuation
	state == "usage" && /^ +/ && !/^  -/ { t = $0; sub(/^ +/, "", t); print (index(t, name " ") == 1 ? "" : "        ") esc(t); next }
	state == "usage" && /^ *$/ { print ".fi"; print ".SH DESCRIPTION"; state = "desc"; next }
	state == "usage" && /^[a-z]/ { sub(/^ +/, "        "); print esc($0); next }
	/^Exit status:/ { flush(); if (inopt) { inopt = 0 }; print ".SH EXIT STATUS"; sub(/^Exit status: */, ""); para = $0; state = "exit"; next }
	# an option: two spaces, the option and its argument, two or more spaces, the text
	/^  -/ {
		flush()
		if (!inopt) { print ".SH OPTIONS"; inopt = 1 }
		line = $0; sub(/^  /, "", line)
		# the option ends at the first run of two spaces or more
		opt = line; sub(/  +.*$/, "", opt)
		text = substr(line, length(opt) + 1); sub(/^ +/, "", text)
		print ".TP"; print "\\fB" esc(opt) "\\fR"; if (text != "") print esc(text)
		state = "opt"; next
	}
	state == "opt" && /^     +/ { t = $0; sub(/^ +/, "", t); print esc(t); next }
	/^ *$/ {
		flush()
		if (state == "opt") { state = "desc"; if (inopt) { print ".SH NOTES"; inopt = 0 } }
		next
	}
	# an indented line outside the options: an example, as it is
	/^  +[^ -]/ && state != "opt" && state != "usage" && state != "head" { flush(); t = $0; sub(/^  +/, "", t); print ".nf"; print "    " esc(t); print ".fi"; next }
	{ t = $0; sub(/^ +/, "", t); para = (para == "" ? t : para "\n" t) }
	END {
		flush()
		print ".SH SEE ALSO"
		n = split(others, o, "\n"); s = ""
		for (i = 1; i <= n; i++) if (o[i] != "") s = s (s == "" ? "" : ",\n") "\\fB" esc(o[i]) "\\fR(8)"
		print s ","
		print "\\fBbpftool\\fR(8), \\fBip\\fR(8), \\fBtc\\fR(8), \\fBjq\\fR(1);"
		print "the README of xdpkit (installed in share/doc/xdpkit)."
	}'
