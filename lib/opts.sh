# lib/opts.sh - one option parser for every command, and argument checks.
# Sourced by lib/xdpkit.sh.
# shellcheck disable=SC2034 # values set through eval, read by the commands

# Usage error: one line, and where to look.
xk_usage() { die "$EX_USAGE" "$* (see --help)"; }

# $1 quoted for eval: 'it'\''s'.
xk_quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# Parse the command line against SPEC, a space-separated list of long option
# names: NAME is a switch, NAME= takes a value, NAME+ takes a value and may
# be repeated (the values add up, space-separated). Usage:
#
#   xk_opts "json top= by+" "$@"; eval "set -- $xk_rest"
#
# sets opt_NAME (dashes become underscores) for every option in SPEC: ""
# when not given, 1 for a switch given, the value otherwise. For everyone
# alike: `--opt value` and `--opt=value`; a repeated option that is not a
# list keeps its last value (as ip and tc do); `--` ends the options;
# -h/--help and --version anywhere before `--` answer and exit. The
# operands, in order, are left quoted in xk_rest.
xk_opts() { # SPEC ARG...
	local spec a name val has var n
	spec=" $1 "
	shift
	for a in "$@"; do
		case $a in
		--) break ;;
		-h | --help) xk_help; exit 0 ;;
		--version) printf '%s (xdpkit) %s\n' "$XK_PROG" "$(xk_version)"; exit 0 ;;
		esac
	done
	for a in $spec; do
		eval "$(xk_optvar "${a%[=+]}")=''"
	done
	xk_rest=""
	while [ $# -gt 0 ]; do
		a=$1
		shift
		case $a in
		--)
			for a in "$@"; do xk_rest="$xk_rest $(xk_quote "$a")"; done
			break
			;;
		--*=*) name=${a%%=*} val=${a#*=} has=1 ;;
		--?*) name=$a val="" has=0 ;;
		-?*) xk_usage "unknown option '$a'" ;;
		*)
			xk_rest="$xk_rest $(xk_quote "$a")"
			continue
			;;
		esac
		n=${name#--}
		case $n in *[!a-z0-9-]* | -*) xk_usage "unknown option '$name'" ;; esac
		var=$(xk_optvar "$n")
		case $spec in
		*" $n "*)
			[ "$has" -eq 0 ] || xk_usage "$name takes no value"
			val=1
			;;
		*" $n= "* | *" $n+ "*)
			if [ "$has" -eq 0 ]; then
				[ $# -gt 0 ] || xk_usage "$name needs a value"
				val=$1
				shift
			fi
			[ -n "$val" ] || xk_usage "$name needs a value, not an empty one"
			case $spec in
			*" $n+ "*) eval "[ -z \"\$$var\" ] || val=\"\$$var \$val\"" ;;
			esac
			;;
		*) xk_usage "unknown option '$name'" ;;
		esac
		eval "$var=\$val"
	done
}

# The variable of option NAME: opt_ and the name, dashes as underscores.
xk_optvar() {
	local n v
	n=$1 v=""
	while :; do
		case $n in
		*-*) v="$v${n%%-*}_" n=${n#*-} ;;
		*) break ;;
		esac
	done
	printf 'opt_%s%s\n' "$v" "$n"
}

xk_valid_iface() {
	case $1 in
	'' | *[!A-Za-z0-9_.-]*) return 1 ;;
	esac
	[ "${#1}" -le 15 ] || return 1
	# (nor a name that the tools it goes to would take for an option)
	case $1 in . | .. | -*) return 1 ;; esac
	return 0
}

xk_check_iface_name() {
	xk_valid_iface "$1" ||
		xk_usage "invalid interface name '$1': 1-15 characters of [A-Za-z0-9_.-], not starting with -"
}

xk_check_uint() { # NAME VALUE
	case $2 in
	'' | *[!0-9]*) xk_usage "$1 needs a non-negative integer, not '$2'" ;;
	esac
	[ "${#2}" -le 9 ] || xk_usage "$1 is too large: '$2'"
}

# A feature name as given: one word of [a-z0-9_], nothing to split or glob.
xk_check_feature_word() {
	case $1 in '' | *[!a-z0-9_]*) xk_usage "unknown feature '$1'" ;; esac
}

# --nats URL and --subject PREFIX (xdp-capture, xdp-dns, xdp-conntrack,
# xdp-snapshot): a NATS URL (nats://HOST:PORT or tls://, several joined by
# commas) and a subject prefix of tokens joined by dots. A prefix other than
# xdpkit has a stream of its own (xk-drain: FLEET_A for fleet.a).
xk_check_nats() { # URL PREFIX
	if [ -n "$2" ] && [ -z "$1" ]; then
		xk_usage "--subject goes with --nats URL"
	fi
	[ -n "$1" ] || return 0
	case $1 in
	nats://* | tls://*) ;;
	*) xk_usage "--nats: a URL nats://HOST:PORT (or tls://), not '$1'" ;;
	esac
	case $1 in
	*[!A-Za-z0-9.:/_@,\[\]-]* | ????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????*)
		xk_usage "--nats: a URL such as nats://127.0.0.1:4222, not '$1'" ;;
	esac
	case $2 in
	'') ;;
	.* | *. | *..* | *[!A-Za-z0-9_.-]* | ?????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????????*)
		xk_usage "--subject: tokens of [A-Za-z0-9_-] joined by dots, not '$2'" ;;
	esac
}
