# lib/maps.sh - reading, writing and comparing pinned maps, through the BTF
# they carry (helpers/xk-dump, lib/btf.jq). Sourced by lib/xdpkit.sh.
# shellcheck disable=SC2034 # xk_is_settings and the like are used by the commands

# Print every entry of a pinned map as JSON lines (helpers/xk-dump).
xk_dump() { "$XK_DUMP" "$@"; }

# The config entry in a pin directory, one JSON object, or nothing.
xk_config() { # DIR
	[ -e "$1/config" ] || return 1
	xk_dump "$1/config"
}

# Host byte order, for encoding map values: 1 little-endian, 0 big-endian.
xk_le() {
	[ "$(printf '\001\000' | od -An -tu2 | tr -d ' ')" = 1 ] && echo 1 || echo 0
}

# Write one entry of a pinned array map from a JSON object whose fields are
# named as the value struct's members (the layout comes from the map's BTF,
# through lib/btf.jq): the same names xk-dump prints, so a line it printed
# can be edited and written back. Usage: xk_map_write PIN KEY_INDEX JSON
xk_map_write() {
	local pin key json btf type hex keyhex enums
	pin=$1 key=$2 json=$3
	btf=$(bpftool -j map show pinned "$pin" | jq -r '.btf_id // empty') || btf=""
	[ -n "$btf" ] || die "$EX_FAIL" "$pin: map has no BTF"
	type=$(xk_dump --layout "$pin" | jq -r '.value_type') ||
		die "$EX_FAIL" "$pin: cannot read its layout"
	enums=$(xk_dump --enums "$pin" | jq -sc 'map({(.enum): .names}) | add // {}') ||
		die "$EX_FAIL" "$pin: cannot read its enums"
	hex=$(bpftool -j btf dump id "$btf" |
		jq -r --argjson v "$json" --arg t "$type" --argjson le "$(xk_le)" --argjson enums "$enums" \
			-L "$XK_SHARE" 'include "btf"; xk_encode($t; $v; $le; $enums) | join(" ")') ||
		die "$EX_FAIL" "$pin: cannot encode $type"
	keyhex=$(jq -rn --argjson k "$key" --argjson le "$(xk_le)" -L "$XK_SHARE" \
		'include "btf"; xk_le_bytes($k; 4; $le) | join(" ")')
	# shellcheck disable=SC2086 # word splitting of the hex byte lists is wanted
	bpftool map update pinned "$pin" key hex $keyhex value hex $hex ||
		die "$EX_FAIL" "$pin: update failed"
}

# Names of the features an object knows, one a line, in bit order (enum
# xk_feature in its BTF, named by the helper).
xk_features_of() {
	xk_dump --enums "$1" | jq -r 'select(.enum == "xk_feature") | .names | to_entries | sort_by(.value)[].key'
}

# The features of the built object, space-separated; exit 3 when the object
# is not a usable xdpkit object (truncated, or without its feature enum).
xk_known_features() {
	local f
	f=$(xk_features_of "$XK_OBJ" 2>/dev/null | tr '\n' ' ') || f=""
	f=${f% }
	case $f in
	'' | *[!a-z0-9_\ ]*) die "$EX_ENV" "$XK_OBJ is not a usable xdpkit object (no feature list in its BTF): rebuild it (make)" ;;
	esac
	printf '%s\n' "$f"
}

# Check a feature list (words checked by xk_check_feature_word) against the
# object's.
xk_check_features() { # KNOWN FEATURE...
	local known f
	known=$1
	shift
	for f in "$@"; do
		case " $known " in
		*" $f "*) ;;
		*) xk_usage "unknown feature '$f': one of $known" ;;
		esac
	done
}

# The layout of every map of a BPF object, or of pinned maps: JSON lines
# {map, map_type, key_size, value_size, max_entries, flags, key, value,
# value_type} from helpers/xk-dump --layout. Two maps hold the same data
# when everything but map and value_type is the same.
xk_layouts() { xk_dump --layout "$@"; }

# Is a layout line that of a settings map (an array of one entry shared by
# all CPUs, written by user space), which is carried over by field name
# when its layout changes, rather than a table of counters?
xk_is_settings='.map_type == "array" and .max_entries == 1'

# Is a layout line that of a table (a map whose value is a set of slots,
# struct { slot way[N]; }, sized at attach time), and its facts: "NAME WAYS
# SLOT_BYTES SETS".
xk_is_table='.value != null and (.value | test("^\\{way@0:\\[[0-9]+\\]"))'
# shellcheck disable=SC2016 # a jq program
xk_table_info='(.value | capture("^\\{way@0:\\[(?<w>[0-9]+)\\]").w | tonumber) as $w
	| "\(.map) \($w) \(.value_size / $w) \(.max_entries)"'

# The CPUs per-CPU maps are allocated for (/sys/devices/system/cpu/possible).
xk_possible_cpus() {
	tr ',' '\n' </sys/devices/system/cpu/possible 2>/dev/null |
		awk -F- '{ n += ($2 == "" ? 1 : $2 - $1 + 1) } END { print (n > 0 ? n : 1) }'
}

# The default slots per CPU of a table: the largest power of two whose
# copies on every possible CPU take at most XK_TABLE_BUDGET bytes (16 MiB),
# at most the object's size and at least one set.
XK_TABLE_BUDGET=16777216
xk_default_slots() { # WAYS SLOT_BYTES OBJECT_SLOTS
	local n p
	n=$((XK_TABLE_BUDGET / ($(xk_possible_cpus) * $2)))
	[ "$n" -le "$3" ] || n=$3
	p=$1
	while [ $((p * 2)) -le "$n" ]; do p=$((p * 2)); done
	echo "$p"
}

# A table size given by the user: slots per CPU, a power of two, at least two
# sets (one set is the size of a table whose feature is off) and at most
# 2^24.
xk_check_slots() { # OPTION VALUE WAYS
	case $2 in
	'' | *[!0-9]* | ?????????*) xk_usage "$1: slots per CPU, a power of two from $(($3 * 2)) to 16777216, not '$2'" ;;
	esac
	if [ "$2" -lt $(($3 * 2)) ] || [ "$2" -gt 16777216 ] || [ $(($2 & ($2 - 1))) -ne 0 ]; then
		xk_usage "$1: slots per CPU, a power of two from $(($3 * 2)) to 16777216, not '$2'"
	fi
}
