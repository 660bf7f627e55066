# bash completion for xdpkit's commands. Installed as
# share/bash-completion/completions/xdpkit, with a link for each command,
# so that bash-completion finds it by the command's name.
# The options come from each command's --help, so they stay in step.

_xdpkit_opts() { # COMMAND: its long options, from --help
	"$1" --help 2>/dev/null | sed -n 's/^ \{1,\}\(-h, \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' | sort -u
}

_xdpkit() {
	local cur prev cmd words
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	cmd=${COMP_WORDS[0]##*/}
	COMPREPLY=()
	case $prev in
	--netns) words=$(ls /run/netns 2>/dev/null) ;;
	--by) words="flows ports conversations hosts protocols sizes all" ;;
	--sort) words="packets bytes" ;;
	--hook) words="auto xdp tc" ;;
	--mode) words="auto native generic offload" ;;
	--iface) words=$(ls /sys/class/net 2>/dev/null) ;;
	--dir)
		if [ "$cmd" = xdp-snapshot ]; then
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
			return 0
		fi
		words="ingress egress both"
		;;
	--textfile | --cgroup)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return 0
		;;
	--out | --pcapng)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	--top | --ports | --keep | --count | --duration | --interval | --since | --snaplen | --sample | --rate | --flows)
		return 0 # a number
		;;
	--nats | --subject | --host | --port | --proto | --qname-suffix | --qtype | --rcode)
		return 0 # a URL, a prefix, an address...
		;;
	esac
	if [ -z "${words+set}" ]; then
		if [[ $cur == -* ]]; then
			words=$(_xdpkit_opts "${COMP_WORDS[0]}")
		else
			case $cmd in
			xdp-plot)
				mapfile -t COMPREPLY < <(compgen -d -- "$cur")
				return 0
				;;
			xdp-check | xdp-conntrack) return 0 ;;
			xdp-attach)
				# the interface first, then features
				local i n=0
				for ((i = 1; i < COMP_CWORD; i++)); do
					case ${COMP_WORDS[i]} in
					--hook | --mode | --netns | --flows | --ports | --cgroup) i=$((i + 1)) ;;
					-*) ;;
					*) n=$((n + 1)) ;;
					esac
				done
				if [ "$n" -ge 1 ]; then words="count stats dns"; else words=$(ls /sys/class/net 2>/dev/null); fi
				;;
			xdp-detach)
				words="$(ls /sys/class/net 2>/dev/null) count stats dns capture"
				;;
			*) words=$(ls /sys/class/net 2>/dev/null) ;;
			esac
		fi
	fi
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
	return 0
}

complete -F _xdpkit xdp-attach xdp-detach xdp-stats xdp-capture xdp-dns xdp-conntrack \
	xdp-prom xdp-snapshot xdp-plot xdp-status xdp-check
