// SPDX-License-Identifier: GPL-2.0
/*
 * xk-dump - print every entry of a pinned BPF map as one JSON line, with
 * per-CPU values folded into one (bpf/xdpkit.h says how each field folds).
 *
 * usage: xk-dump [--type TYPE] [--iface NAME] [--nonzero] [--by-key MEMBER]
 *                [--top N --sort MEMBER [--top-per MEMBER]]
 *                [--save FILE] [--since FILE] PIN
 *        xk-dump --count PIN
 *        xk-dump --layout PIN|OBJECT...
 *        xk-dump --enums PIN|OBJECT...
 *        xk-dump --version | --help
 *
 * Each line is {"type":TYPE,"ts":NOW,"iface":NAME, key fields, value fields}.
 * TYPE defaults to the map's name.
 *
 * --by-key MEMBER is for tables whose values carry their own key (xdpkit's
 * set-associative flow and port tables, where each CPU's copy of a slot may
 * hold a different key): the map's own keys are ignored, every CPU's copy of
 * every value whose MEMBER is not all zero is one row, rows with equal MEMBER
 * are folded into one, and a line is MEMBER's fields then the other members.
 * A value with a member named "key" is read this way by default.
 *
 * --top N keeps the N rows with the largest MEMBER (--sort, a counter of the
 * value), or with --top-per M the N largest for each value of the key's
 * member M (e.g. dir); rows come out largest first. With --since they rank
 * by MEMBER's increase, and equal increases (an idle table) by MEMBER. --by-key tables only.
 * N 0 prints no rows (with --save: take a reading, print nothing).
 *
 * --save FILE writes the reading (folded rows, its map id and monotonic time)
 * to FILE, atomically. --since FILE adds to every line "dt", the seconds since
 * the reading in FILE, and "delta", the increase of each counter since then
 * (a counter that went down, a row whose first-seen time changed or that is
 * new, and every row when the map was re-created, count whole). With --top,
 * rows are then ranked by the delta of MEMBER: the top N by rate.
 *
 * Keys and values are decoded from the BTF the map carries; a map without
 * BTF, or whose BTF sizes disagree with the map, is refused. Entries are read
 * with BPF_MAP_LOOKUP_BATCH where the kernel has it, one key at a time
 * otherwise (or when XK_DUMP_NO_BATCH is set).
 *
 * --count prints {"type":"count","map":NAME,"entries":N,"capacity":M}: the
 * non-empty entries on every CPU (for a table: the slots in use, whose key
 * is not all zero), and how many there can be (slots times CPUs), without
 * folding or printing them.
 *
 * --enums prints every enum xk_* of the BTF with the names its values are
 * printed by: {"type":"enum","enum":NAME,"flags":BOOL,"names":{NAME:VALUE}}
 * (lib/btf.jq writes values by these names).
 *
 * --layout prints one line per map, of pinned maps or of every map a BPF
 * object file defines: {"type":"layout","map":NAME,"map_type":...,
 * "key_size","value_size","max_entries","flags","key":LAYOUT,
 * "value":LAYOUT,"value_type":NAME}. A LAYOUT string is equal for two types
 * exactly when their bytes mean the same (member names, offsets and widths;
 * not type names): xdp-attach reuses a pinned map only when everything but
 * map and value_type is the same. null: the map has no BTF.
 *
 * Exit status: 0 printed; 1 the map or a FILE could not be read or written;
 * 2 usage.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btfjson.h"

#define PROG "xk-dump"
#define BATCH_INIT 4096u
#define BATCH_BYTES (1u << 20)
#ifndef XK_VERSION
#define XK_VERSION "unknown"
#endif

/* A saved reading: this header, then `rows` rows of key_size + value_size
 * bytes (the row's key, then its folded value). */
struct snap_hdr {
	char magic[8];
	__u32 map_id;
	__u32 key_size;
	__u32 value_size;
	__u32 _pad;
	__u64 rows;
	double mono;
};
static const char snap_magic[8] = "XKSNAP1";

struct sel {
	size_t row;             /* index of the folded row in dump.sel_rows */
	const char *prev;       /* its value in the --since reading, or NULL */
	unsigned long long rank;
	unsigned long long total;   /* ties of rank (idle rates) go by the total */
	unsigned long long group;
};

struct dump {
	int fd;
	struct bpf_map_info info;
	struct btf *btf;
	struct bj bj;
	bool percpu;
	int ncpu;
	size_t vstride;  /* bytes per CPU in a value buffer */
	size_t vsize;    /* bytes per entry in a value buffer */
	void *acc;       /* one folded value */
	const char *type;
	const char *iface;
	bool nonzero;
	bool count;         /* --count: how many rows, nothing else */
	double ts, mono;
	unsigned long long entries;
	/* the key and value types (from the map's BTF, or from the BTF of a
	 * program that uses it), and the rows: values, or the slots of a set */
	__u32 kid, vid;
	__u32 rtype;         /* the type of a row */
	size_t rsize;        /* its size */
	bool set;            /* the value is struct { slot way[N]; } */
	__u32 ways;
	char *scratch;       /* one set's slots on every CPU */
	/* --by-key */
	const char *by_key;
	__u32 bk_type, bk_off, bk_size;
	char *rows;
	size_t nrows, cap;
	/* --top: the rows kept so far (compacted when full) */
	struct sel *sel;
	char *sel_rows, *sel_tmp;
	size_t nsel, selcap;
	/* --top, --sort, --top-per */
	long top;
	const char *sort, *top_per;
	__u32 sort_type, sort_off, sort_size;
	__u32 per_type, per_off, per_size;
	/* --save */
	const char *save;
	char *save_tmp;
	FILE *sf;
	unsigned long long saved;
	/* --since */
	const char *since;
	char *prev;         /* rows of the earlier reading, sorted by key */
	size_t nprev;
	bool have_prev;     /* same map: deltas against prev */
	double dt;
	bool first_ns;      /* the value has an xk_first_ns_t member */
	__u32 fn_off, fn_size;
};

/* qsort and bsearch have no context argument: the key's place, and where
 * the rows kept for --top are. */
static __u32 cmp_off, cmp_size, prev_rowsize;
static const char *sel_base;
static size_t sel_rsize;

static int cmp_rows(const void *a, const void *b)
{
	return memcmp((const char *)a + cmp_off, (const char *)b + cmp_off, cmp_size);
}

/* Rows of a saved reading start with their key. */
static int cmp_prev(const void *a, const void *b)
{
	return memcmp(a, b, cmp_size);
}

static int cmp_sel_rank(const void *a, const void *b)
{
	const struct sel *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return memcmp(sel_base + x->row * sel_rsize + cmp_off,
		      sel_base + y->row * sel_rsize + cmp_off, cmp_size);
}

static int cmp_sel_group(const void *a, const void *b)
{
	const struct sel *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return cmp_sel_rank(a, b);
}

static int fail(const char *what, const char *detail)
{
	fprintf(stderr, PROG ": error: %s: %s\n", what, detail);
	return 1;
}

static const char usage_text[] =
	"usage: " PROG " [--type TYPE] [--iface NAME] [--nonzero] [--by-key MEMBER]\n"
	"               [--top N --sort MEMBER [--top-per MEMBER]]\n"
	"               [--save FILE] [--since FILE] PIN\n"
	"       " PROG " --count PIN\n"
	"       " PROG " --layout PIN|OBJECT...\n"
	"       " PROG " --enums PIN|OBJECT...\n"
	"       " PROG " --version | --help\n";

static int usage(const char *why)
{
	fprintf(stderr, PROG ": error: %s\n%s", why, usage_text);
	return 2;
}

static bool is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		if (*c++)
			return false;
	return true;
}

static double now_mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* --by-key without sets: keep every non-empty copy as a row. */
static int collect(struct dump *d, const void *val)
{
	int cpu;

	for (cpu = 0; cpu < d->ncpu; cpu++) {
		const char *v = (const char *)val + cpu * d->vstride;

		if (all_zero(v + d->bk_off, d->bk_size))
			continue;
		if (d->nrows == d->cap) {
			size_t cap = d->cap ? d->cap * 2 : 1024;
			char *r = realloc(d->rows, cap * d->rsize);

			if (!r)
				return -1;
			d->rows = r;
			d->cap = cap;
		}
		memcpy(d->rows + d->nrows++ * d->rsize, v, d->rsize);
	}
	return 0;
}

static void line_start(struct dump *d)
{
	FILE *out = d->bj.out;

	fputs("{\"type\":", out);
	bj_string(out, d->type, strlen(d->type));
	fprintf(out, ",\"ts\":%.6f", d->ts);
	if (d->iface) {
		fputs(",\"iface\":", out);
		bj_string(out, d->iface, strlen(d->iface));
	}
}

static int save_row(struct dump *d, const void *key, __u32 ksize, const void *val,
		    size_t vsize)
{
	if (!d->sf)
		return 0;
	if (fwrite(key, ksize, 1, d->sf) != 1 || fwrite(val, vsize, 1, d->sf) != 1)
		return -1;
	d->saved++;
	return 0;
}

/* The earlier reading's value for a row key, or NULL. */
static const char *prev_of(struct dump *d, const void *key, __u32 ksize)
{
	const char *p;

	if (!d->have_prev || !d->nprev)
		return NULL;
	cmp_size = ksize;
	p = bsearch(key, d->prev, d->nprev, prev_rowsize, cmp_prev);
	return p ? p + ksize : NULL;
}

/* A row whose first-seen time changed is another flow in the same key. */
static const char *prev_same(struct dump *d, const char *val, const char *prev)
{
	if (prev && d->first_ns &&
	    memcmp(val + d->fn_off, prev + d->fn_off, d->fn_size) != 0)
		return NULL;
	return prev;
}

static void line_delta(struct dump *d, __u32 type, const void *val, const void *prev,
		       const char *skip)
{
	if (!d->since)
		return;
	bj_delta(&d->bj, type, val, prev, skip);
	fprintf(d->bj.out, ",\"dt\":%.6f", d->dt);
}

static int print_row(struct dump *d, const char *acc, const char *prev)
{
	line_start(d);
	if (bj_fields(&d->bj, d->bk_type, acc + d->bk_off, d->by_key) ||
	    bj_fields_except(&d->bj, d->rtype, acc, d->by_key)) {
		fputs("\n", d->bj.out);
		errno = EPROTO;
		return -1;
	}
	line_delta(d, d->rtype, acc, prev, d->by_key);
	fputs("}\n", d->bj.out);
	d->entries++;
	return 0;
}

/* --top: keep the first N of each group (or the first N), by rank; the
 * rows kept move to the front of sel_rows. */
static void compact(struct dump *d)
{
	size_t k, out = d->nsel;

	sel_base = d->sel_rows;
	sel_rsize = d->rsize;
	cmp_off = d->bk_off;
	cmp_size = d->bk_size;
	if (d->top_per) {
		unsigned long long group = 0;
		long taken = 0;

		qsort(d->sel, d->nsel, sizeof(*d->sel), cmp_sel_group);
		for (k = 0, out = 0; k < d->nsel; k++) {
			if (k == 0 || d->sel[k].group != group) {
				group = d->sel[k].group;
				taken = 0;
			}
			if (taken++ < d->top)
				d->sel[out++] = d->sel[k];
		}
	} else {
		qsort(d->sel, d->nsel, sizeof(*d->sel), cmp_sel_rank);
		if ((size_t)d->top < out)
			out = (size_t)d->top;
	}
	for (k = 0; k < out; k++) {
		memcpy(d->sel_tmp + k * d->rsize, d->sel_rows + d->sel[k].row * d->rsize, d->rsize);
		d->sel[k].row = k;
	}
	memcpy(d->sel_rows, d->sel_tmp, out * d->rsize);
	d->nsel = out;
}

/* --top: keep a copy of the row, compacting (and growing, when N per group
 * fill more than half) as the buffer fills: memory is O(N), not O(rows). */
static int select_row(struct dump *d, const char *acc, const char *prev)
{
	unsigned long long v = 0, p = 0;
	struct sel *e;

	if (d->nsel == d->selcap) {
		if (d->selcap)
			compact(d);
		if (d->nsel * 2 >= d->selcap) {
			size_t cap = d->selcap ? d->selcap * 2 : 1024;
			struct sel *s = realloc(d->sel, cap * sizeof(*s));
			char *r, *t;

			if (!s)
				return -1;
			d->sel = s;
			r = realloc(d->sel_rows, cap * d->rsize);
			if (!r)
				return -1;
			d->sel_rows = r;
			t = realloc(d->sel_tmp, cap * d->rsize);
			if (!t)
				return -1;
			d->sel_tmp = t;
			d->selcap = cap;
		}
	}
	e = &d->sel[d->nsel];
	memcpy(d->sel_rows + d->nsel * d->rsize, acc, d->rsize);
	e->row = d->nsel++;
	e->prev = prev;
	bj_uint(&d->bj, d->sort_type, acc + d->sort_off, &v);
	if (prev)
		bj_uint(&d->bj, d->sort_type, prev + d->sort_off, &p);
	/* with --since, the increase; a reset counts whole */
	e->rank = d->since ? (v >= p ? v - p : v) : v;
	e->total = v;
	e->group = 0;
	if (d->top_per)
		bj_uint(&d->bj, d->per_type, acc + d->bk_off + d->per_off, &e->group);
	return 0;
}

/* A folded row: saved, then printed at once, or kept for --top. */
static int row_out(struct dump *d, const char *acc)
{
	const char *prev;

	if (d->nonzero && all_zero(acc, d->rsize))
		return 0;
	if (save_row(d, acc + d->bk_off, d->bk_size, acc, d->rsize))
		return -1;
	prev = prev_same(d, acc, prev_of(d, acc + d->bk_off, d->bk_size));
	if (d->top < 0)
		return print_row(d, acc, prev);
	return select_row(d, acc, prev);
}

/* Sort n rows by key, fold equal keys, and pass each on. */
static int fold_rows(struct dump *d, char *rows, size_t n)
{
	size_t i = 0, j;

	cmp_off = d->bk_off;
	cmp_size = d->bk_size;
	if (n > 1)
		qsort(rows, n, d->rsize, cmp_rows);
	while (i < n) {
		char *acc = rows + i * d->rsize;

		for (j = i + 1; j < n && cmp_rows(acc, rows + j * d->rsize) == 0; j++)
			bj_fold_except(&d->bj, d->rtype, acc, rows + j * d->rsize, d->by_key);
		i = j;
		if (row_out(d, acc))
			return -1;
	}
	return 0;
}

/* One set, on every CPU: a key lands in the same set on each, so folding
 * the set's slots alone is complete. */
static int fold_set(struct dump *d, const void *val)
{
	size_t n = 0;
	int cpu;
	__u32 w;

	for (cpu = 0; cpu < d->ncpu; cpu++) {
		const char *v = (const char *)val + cpu * d->vstride;

		for (w = 0; w < d->ways; w++, v += d->rsize) {
			if (all_zero(v + d->bk_off, d->bk_size))
				continue;
			memcpy(d->scratch + n++ * d->rsize, v, d->rsize);
		}
	}
	return fold_rows(d, d->scratch, n);
}

/* --by-key, after the last entry: fold what collect() kept; print what
 * --top kept, largest first. */
static int emit_rows(struct dump *d)
{
	size_t k;

	if (!d->set && fold_rows(d, d->rows, d->nrows))
		return fail("reading", errno == EPROTO ? "a type no map key or value holds" : strerror(errno));
	if (d->top < 0)
		return 0;
	if (d->nsel)
		compact(d);
	sel_base = d->sel_rows;
	qsort(d->sel, d->nsel, sizeof(*d->sel), cmp_sel_rank);
	for (k = 0; k < d->nsel; k++)
		if (print_row(d, d->sel_rows + d->sel[k].row * d->rsize, d->sel[k].prev))
			return fail("print", "a type no map key or value holds");
	return 0;
}

static int emit(struct dump *d, const void *key, const void *val)
{
	FILE *out = d->bj.out;
	const void *v = val;
	int cpu;

	if (d->count) {
		for (cpu = 0; cpu < d->ncpu; cpu++) {
			const char *c = (const char *)val + cpu * d->vstride;
			__u32 w;

			for (w = 0; w < (d->set ? d->ways : 1); w++, c += d->rsize)
				d->entries += d->by_key ? !all_zero(c + d->bk_off, d->bk_size)
							: !all_zero(c, d->rsize);
		}
		return 0;
	}
	if (d->set)
		return fold_set(d, val);
	if (d->by_key)
		return collect(d, val);
	if (d->percpu) {
		for (cpu = 0; cpu < d->ncpu; cpu++)
			bj_fold(&d->bj, d->vid, d->acc, (const char *)val + cpu * d->vstride, cpu);
		v = d->acc;
	}
	if (d->nonzero && all_zero(v, d->info.value_size))
		return 0;
	if (save_row(d, key, d->info.key_size, v, d->info.value_size))
		return -1;
	line_start(d);
	if (bj_fields(&d->bj, d->kid, key, "key") || bj_fields(&d->bj, d->vid, v, "value")) {
		fputs("\n", out);
		errno = EPROTO;
		return -1;
	}
	line_delta(d, d->vid, v, prev_same(d, v, prev_of(d, key, d->info.key_size)), NULL);
	fputs("}\n", out);
	d->entries++;
	return 0;
}

/* One key at a time: the fallback for kernels or map types without batch. */
static int dump_by_key(struct dump *d)
{
	void *key = calloc(1, d->info.key_size), *next = calloc(1, d->info.key_size);
	void *val = calloc(1, d->vsize);
	int err = 0, r;
	void *prev = NULL;

	if (!key || !next || !val) {
		err = fail("out of memory", "key buffers");
		goto out;
	}
	while ((r = bpf_map_get_next_key(d->fd, prev, next)) == 0) {
		memcpy(key, next, d->info.key_size);
		prev = key;
		if (bpf_map_lookup_elem(d->fd, key, val)) {
			if (errno == ENOENT) /* deleted under us (LRU) */
				continue;
			err = fail("lookup", strerror(errno));
			goto out;
		}
		if (emit(d, key, val)) {
			err = fail("out of memory or --save", strerror(errno));
			goto out;
		}
	}
	if (errno != ENOENT)
		err = fail("get_next_key", strerror(errno));
out:
	free(key);
	free(next);
	free(val);
	return err;
}

/* Returns 0 done, 1 error, -1 the kernel has no batch lookup for this map. */
static int dump_batch(struct dump *d)
{
	/* at most about BATCH_BYTES a batch, whatever the number of CPUs */
	__u32 n = d->info.max_entries < BATCH_INIT ? d->info.max_entries : BATCH_INIT;

	if ((size_t)n * d->vsize > BATCH_BYTES)
		n = (__u32)(BATCH_BYTES / d->vsize);
	size_t tok = d->info.key_size < 8 ? 8 : d->info.key_size;
	void *in = calloc(1, tok), *outb = calloc(1, tok);
	void *keys = NULL, *vals = NULL;
	bool first = true;
	int ret = 0;
	__u32 i;

	if (n == 0)
		n = 1;
	if (!in || !outb) {
		ret = fail("out of memory", "batch tokens");
		goto out;
	}
	for (;;) {
		__u32 count = n;
		int r;

		if (!keys) {
			keys = calloc(n, d->info.key_size);
			vals = calloc(n, d->vsize);
			if (!keys || !vals) {
				ret = fail("out of memory", "batch buffers");
				goto out;
			}
		}
		r = bpf_map_lookup_batch(d->fd, first ? NULL : in, outb, keys, vals,
					 &count, NULL);
		if (r && errno == ENOSPC && count == 0) {
			/* a hash bucket larger than the buffer: grow, retry */
			free(keys);
			free(vals);
			keys = vals = NULL;
			n *= 2;
			continue;
		}
		if (r && errno != ENOENT) {
			if (first && (errno == EINVAL || errno == ENOTSUP ||
				      errno == EOPNOTSUPP))
				ret = -1;
			else
				ret = fail("batch lookup", strerror(errno));
			goto out;
		}
		for (i = 0; i < count; i++) {
			if (emit(d, (char *)keys + (size_t)i * d->info.key_size,
				 (char *)vals + (size_t)i * d->vsize)) {
				ret = fail("reading", errno == EPROTO ? "a type no map key or value holds" : strerror(errno));
				goto out;
			}
		}
		if (r) /* ENOENT: that was the last batch */
			break;
		memcpy(in, outb, tok);
		first = false;
	}
out:
	free(in);
	free(outb);
	free(keys);
	free(vals);
	return ret;
}

/* What a BPF fd is, from its /proc link: "bpf-map", "bpf-prog", ... */
static const char *fd_kind(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, size - 1);
	if (n < 0)
		return "";
	buf[n] = '\0';
	return strncmp(buf, "anon_inode:", 11) == 0 ? buf + 11 : buf;
}

/*
 * A map made with `bpftool map create` carries no BTF: its key and value
 * types are those of the map of that name in the BTF of a program that uses
 * it (its definition in the ".maps" section). The programs pinned beside
 * the map are tried first, then every program.
 */
static int member_ptr_type(const struct btf *btf, const struct btf_type *def,
			   const char *name, __u32 *id)
{
	const struct btf_member *m = btf_members(def);
	int i;

	for (i = 0; i < btf_vlen(def); i++, m++) {
		const struct btf_type *t;

		if (strcmp(btf__name_by_offset(btf, m->name_off), name) != 0)
			continue;
		t = btf__type_by_id(btf, m->type);
		if (!t || !btf_is_ptr(t))
			return -1;
		*id = t->type;
		return 0;
	}
	return -1;
}

static int types_in_prog_btf(struct dump *d, __u32 btf_id)
{
	struct btf *btf = bj_load_btf(btf_id);
	int i, n;

	if (!btf)
		return -1;
	n = (int)btf__type_cnt(btf);
	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const struct btf_var_secinfo *v;
		int j;

		if (!btf_is_datasec(t) || strcmp(btf__name_by_offset(btf, t->name_off), ".maps"))
			continue;
		v = btf_var_secinfos(t);
		for (j = 0; j < btf_vlen(t); j++, v++) {
			const struct btf_type *var = btf__type_by_id(btf, v->type);
			const struct btf_type *def;

			/* map names are cut to BPF_OBJ_NAME_LEN - 1 */
			if (!var || strncmp(btf__name_by_offset(btf, var->name_off), d->info.name,
					    sizeof(d->info.name) - 1) != 0)
				continue;
			def = btf__type_by_id(btf, var->type);
			if (!def || !btf_is_struct(def) ||
			    member_ptr_type(btf, def, "value", &d->vid))
				continue;
			if (member_ptr_type(btf, def, "key", &d->kid))
				d->kid = 0;
			d->btf = btf;
			return 0;
		}
	}
	btf__free(btf);
	return -1;
}

/* Take the map's types from the BTF of program FD (closed here), if the
 * program uses the map: 0 when it did. */
static int btf_from_prog_fd(struct dump *d, int fd)
{
	__u32 btf_id;

	if (fd < 0)
		return -1;
	btf_id = bj_prog_btf_using(fd, d->info.id);
	close(fd);
	return btf_id && types_in_prog_btf(d, btf_id) == 0 ? 0 : -1;
}

static int btf_from_prog(struct dump *d, const char *pin)
{
	static const char *const beside[] = { "xdpkit_ingress", "xdpkit_egress", "xdpkit_tc_in" };
	const char *slash = strrchr(pin, '/');
	size_t dlen = slash ? (size_t)(slash - pin) + 1 : 0;
	__u32 id = 0;
	unsigned int i;

	for (i = 0; i < sizeof(beside) / sizeof(beside[0]); i++) {
		char path[4096];

		if (dlen + strlen(beside[i]) + 1 > sizeof(path))
			break;
		memcpy(path, pin, dlen);
		strcpy(path + dlen, beside[i]);
		if (btf_from_prog_fd(d, bpf_obj_get(path)) == 0)
			return 0;
	}
	while (bpf_prog_get_next_id(id, &id) == 0)
		if (btf_from_prog_fd(d, bpf_prog_get_fd_by_id(id)) == 0)
			return 0;
	return -1;
}

/* Is the value a set, struct { slot way[N]; }? Then the rows are its
 * slots: rtype, rsize and ways say which. */
static void find_set(struct dump *d)
{
	const struct btf_type *t = btf__type_by_id(d->btf, d->vid);
	const struct btf_member *m;
	const struct btf_array *a;
	__s64 sz;

	while (t && (btf_is_typedef(t) || btf_is_mod(t)))
		t = btf__type_by_id(d->btf, t->type);
	d->rtype = d->vid;
	d->rsize = d->info.value_size;
	if (!t || !btf_is_struct(t) || btf_vlen(t) != 1)
		return;
	m = btf_members(t);
	if (strcmp(btf__name_by_offset(d->btf, m->name_off), "way") != 0)
		return;
	t = btf__type_by_id(d->btf, m->type);
	if (!t || !btf_is_array(t))
		return;
	a = btf_array(t);
	sz = btf__resolve_size(d->btf, a->type);
	if (sz <= 0 || !a->nelems || (size_t)sz * a->nelems != d->info.value_size)
		return;
	d->set = true;
	d->ways = a->nelems;
	d->rtype = a->type;
	d->rsize = (size_t)sz;
}

static int open_map(struct dump *d, const char *pin)
{
	__u32 len = sizeof(d->info);
	__s64 ksz, vsz;
	char kind[128];
	const char *k;

	d->fd = bpf_obj_get(pin);
	if (d->fd < 0)
		return fail(pin, strerror(errno));
	k = fd_kind(d->fd, kind, sizeof(kind));
	if (*k && strcmp(k, "bpf-map") != 0)
		return fail(pin, strcmp(k, "bpf-prog") == 0 ? "a program, not a map"
							      : "not a map");
	if (bpf_obj_get_info_by_fd(d->fd, &d->info, &len))
		return fail(pin, strerror(errno));
	if (d->info.btf_id && d->info.btf_value_type_id) {
		d->btf = bj_load_btf(d->info.btf_id);
		if (!d->btf)
			return fail(pin, "cannot load the map's BTF");
		d->kid = d->info.btf_key_type_id;
		d->vid = d->info.btf_value_type_id;
	} else if (btf_from_prog(d, pin)) {
		return fail(pin, "map has no BTF, nor has a program that uses it");
	}
	ksz = d->kid ? btf__resolve_size(d->btf, d->kid) : -1;
	vsz = btf__resolve_size(d->btf, d->vid);
	if (ksz != d->info.key_size || vsz != d->info.value_size)
		return fail(pin, "BTF key/value sizes do not match the map");
	d->percpu = is_percpu(d->info.type);
	d->ncpu = d->percpu ? libbpf_num_possible_cpus() : 1;
	if (d->ncpu <= 0)
		return fail("possible CPUs", strerror(-d->ncpu));
	d->vstride = d->percpu ? ((size_t)d->info.value_size + 7) / 8 * 8 : d->info.value_size;
	d->vsize = d->vstride * (size_t)d->ncpu;
	d->acc = calloc(1, d->info.value_size);
	if (!d->acc)
		return fail("out of memory", "value buffer");
	if (bj_init(&d->bj, d->btf, stdout))
		return fail("clock", strerror(errno));
	if (!d->type)
		d->type = d->info.name;
	find_set(d);
	if (d->set) {
		d->scratch = calloc((size_t)d->ways * (size_t)d->ncpu, d->rsize);
		if (!d->scratch)
			return fail("out of memory", "set buffer");
	}
	/* a row that carries its own key is a slot of a table: read it by key */
	if (!d->by_key && bj_member(&d->bj, d->rtype, "key",
				    &d->bk_type, &d->bk_off, &d->bk_size) == 0)
		d->by_key = "key";
	if (d->by_key && bj_member(&d->bj, d->rtype, d->by_key,
				   &d->bk_type, &d->bk_off, &d->bk_size))
		return fail(pin, "--by-key: the value has no such member");
	if (d->set && !d->by_key)
		return fail(pin, "a set whose slots have no key member");
	if (d->top >= 0) {
		unsigned long long v;

		if (!d->by_key)
			return fail(pin, "--top: only for tables read by key");
		if (bj_member(&d->bj, d->rtype, d->sort, &d->sort_type,
			      &d->sort_off, &d->sort_size) ||
		    bj_uint(&d->bj, d->sort_type, d->acc, &v))
			return fail(pin, "--sort: the value has no such integer member");
		if (d->top_per &&
		    (bj_member(&d->bj, d->bk_type, d->top_per, &d->per_type,
			       &d->per_off, &d->per_size) ||
		     bj_uint(&d->bj, d->per_type, d->acc, &v)))
			return fail(pin, "--top-per: the key has no such integer member");
	}
	d->first_ns = bj_member_typed(&d->bj, d->rtype, "xk_first_ns_t",
				      &d->fn_off, &d->fn_size) == 0;
	return 0;
}

static __u32 row_key_size(const struct dump *d)
{
	return d->by_key ? d->bk_size : d->info.key_size;
}

static __u32 row_value_size(const struct dump *d)
{
	return d->by_key ? (__u32)d->rsize : d->info.value_size;
}

/* Read the --since reading: same map and layout, else no deltas (every
 * counter counts whole, as after a reset). */
static int load_since(struct dump *d)
{
	struct snap_hdr h;
	FILE *f = fopen(d->since, "rb");
	size_t rs;
	int ret = 0;

	if (!f)
		return fail(d->since, strerror(errno));
	if (fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, snap_magic, 8) != 0) {
		ret = fail(d->since, "not a reading saved by " PROG " --save");
		goto out;
	}
	d->dt = d->mono - h.mono;
	if (h.map_id != d->info.id || h.key_size != row_key_size(d) ||
	    h.value_size != row_value_size(d))
		goto out; /* another map: nothing to compare with */
	rs = (size_t)h.key_size + h.value_size;
	if (h.rows > (unsigned long long)d->info.max_entries * (unsigned long long)d->ncpu *
			     (d->set ? d->ways : 1)) {
		ret = fail(d->since, "more rows than the map can hold");
		goto out;
	}
	d->prev = malloc(h.rows ? h.rows * rs : 1);
	if (!d->prev) {
		ret = fail("out of memory", "--since");
		goto out;
	}
	if (h.rows && fread(d->prev, rs, h.rows, f) != h.rows) {
		ret = fail(d->since, "truncated");
		goto out;
	}
	d->nprev = h.rows;
	d->have_prev = true;
	prev_rowsize = (__u32)rs;
	cmp_size = h.key_size;
	qsort(d->prev, d->nprev, rs, cmp_prev);
out:
	fclose(f);
	return ret;
}

static int save_open(struct dump *d)
{
	struct snap_hdr h = { .map_id = d->info.id, .key_size = row_key_size(d),
			      .value_size = row_value_size(d), .mono = d->mono };
	size_t n = strlen(d->save) + 16;

	memcpy(h.magic, snap_magic, 8);
	d->save_tmp = malloc(n);
	if (!d->save_tmp)
		return fail("out of memory", "--save");
	snprintf(d->save_tmp, n, "%s.tmp%ld", d->save, (long)getpid());
	d->sf = fopen(d->save_tmp, "wb");
	if (!d->sf || fwrite(&h, sizeof(h), 1, d->sf) != 1)
		return fail(d->save_tmp, strerror(errno));
	return 0;
}

/* Write the row count into the header, then rename into place. */
static int save_close(struct dump *d)
{
	__u64 rows = d->saved;
	int bad;

	bad = fseek(d->sf, (long)offsetof(struct snap_hdr, rows), SEEK_SET) ||
	      fwrite(&rows, sizeof(rows), 1, d->sf) != 1;
	bad |= fclose(d->sf) != 0;
	d->sf = NULL;
	if (bad || rename(d->save_tmp, d->save))
		return fail(d->save, strerror(errno));
	return 0;
}

/* The name a value type is written by (lib/btf.jq): the first named type
 * on the way from id, a typedef or a struct. */
static const char *type_name(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t) {
		const char *n = btf__name_by_offset(btf, t->name_off);

		if (n && *n)
			return n;
		if (!btf_is_mod(t))
			break;
		t = btf__type_by_id(btf, t->type);
	}
	return "";
}

static int layout_line(const char *name, __u32 type, __u32 ksize, __u32 vsize,
		       __u32 entries, __u32 flags, const struct btf *btf,
		       __u32 kid, __u32 vid)
{
	const char *tn = libbpf_bpf_map_type_str(type);

	printf("{\"type\":\"layout\",\"map\":");
	bj_string(stdout, name, strlen(name));
	printf(",\"map_type\":\"%s\",\"key_size\":%u,\"value_size\":%u,"
	       "\"max_entries\":%u,\"flags\":%u,\"key\":", tn ? tn : "unknown",
	       ksize, vsize, entries, flags);
	if (btf && kid) {
		putchar('"');
		if (bj_layout(btf, kid, stdout))
			return fail(name, "the key has a type no map holds");
		putchar('"');
	} else {
		printf("null");
	}
	printf(",\"value\":");
	if (btf && vid) {
		putchar('"');
		if (bj_layout(btf, vid, stdout))
			return fail(name, "the value has a type no map holds");
		printf("\",\"value_type\":");
		bj_string(stdout, type_name(btf, vid), strlen(type_name(btf, vid)));
	} else {
		printf("null,\"value_type\":null");
	}
	printf("}\n");
	return 0;
}

/* --enums: every enum xk_* of a BTF, with the names it prints by. */
static int enums_of(const struct btf *btf)
{
	int i, j, n = (int)btf__type_cnt(btf);
	char name[128];

	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const char *tn = btf__name_by_offset(btf, t->name_off);

		if (!btf_is_any_enum(t) || !tn || strncmp(tn, "xk_", 3) != 0)
			continue;
		printf("{\"type\":\"enum\",\"enum\":");
		bj_string(stdout, tn, strlen(tn));
		printf(",\"flags\":%s,\"names\":{", bj_enum_is_flags(t) ? "true" : "false");
		for (j = 0; j < btf_vlen(t); j++) {
			unsigned long long v = btf_is_enum64(t) ? btf_enum64_value(&btf_enum64(t)[j])
							        : (__u32)btf_enum(t)[j].val;

			if (bj_enum_name(btf, t, j, name, sizeof(name)))
				return fail(tn, "an enumerator name too long");
			printf("%s", j ? "," : "");
			bj_string(stdout, name, strlen(name));
			printf(":%llu", v);
		}
		printf("}}\n");
	}
	return 0;
}

static int enums(int n, char **paths)
{
	int i, ret = 0;

	if (n == 0)
		return usage("--enums: missing PIN or OBJECT");
	libbpf_set_print(NULL);
	for (i = 0; i < n && !ret; i++) {
		size_t len = strlen(paths[i]);

		if (len > 2 && strcmp(paths[i] + len - 2, ".o") == 0) {
			struct btf *btf = btf__parse_elf(paths[i], NULL);

			if (!btf)
				return fail(paths[i], "no BTF in the object");
			ret = enums_of(btf);
			btf__free(btf);
		} else {
			struct dump d;
			__u32 len2 = sizeof(d.info);

			memset(&d, 0, sizeof(d));
			d.fd = bpf_obj_get(paths[i]);
			if (d.fd < 0)
				return fail(paths[i], strerror(errno));
			if (bpf_obj_get_info_by_fd(d.fd, &d.info, &len2)) {
				close(d.fd);
				return fail(paths[i], strerror(errno));
			}
			close(d.fd);
			if (d.info.btf_id && d.info.btf_value_type_id)
				d.btf = bj_load_btf(d.info.btf_id);
			else
				btf_from_prog(&d, paths[i]);
			if (!d.btf)
				return fail(paths[i], "no BTF for this map");
			ret = enums_of(d.btf);
			btf__free(d.btf);
		}
	}
	if (fflush(stdout) || ferror(stdout))
		ret = fail("stdout", strerror(errno));
	return ret;
}

/* --layout of a BPF object file: every map it defines (not .data, .bss...). */
static int layout_object(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_map *m;
	int ret = 0;

	if (!obj)
		return fail(path, strerror(errno));
	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;
		ret = layout_line(bpf_map__name(m), bpf_map__type(m), bpf_map__key_size(m),
				  bpf_map__value_size(m), bpf_map__max_entries(m),
				  bpf_map__map_flags(m), bpf_object__btf(obj),
				  bpf_map__btf_key_type_id(m), bpf_map__btf_value_type_id(m));
		if (ret)
			break;
	}
	bpf_object__close(obj);
	return ret;
}

/* --layout of a pinned map, from the BTF the kernel holds for it. */
static int layout_pin(const char *pin)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	struct btf *btf = NULL;
	char kind[128];
	const char *k;
	__u32 kid, vid;
	int fd, ret;

	memset(&info, 0, sizeof(info));
	fd = bpf_obj_get(pin);
	if (fd < 0)
		return fail(pin, strerror(errno));
	k = fd_kind(fd, kind, sizeof(kind));
	if (*k && strcmp(k, "bpf-map") != 0) {
		close(fd);
		return fail(pin, "not a map");
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		ret = fail(pin, strerror(errno));
		close(fd);
		return ret;
	}
	close(fd);
	kid = info.btf_key_type_id;
	vid = info.btf_value_type_id;
	if (info.btf_id && vid) {
		btf = bj_load_btf(info.btf_id);
		if (!btf)
			return fail(pin, "cannot load the map's BTF");
	} else {
		/* made by bpftool map create: the types of a program that uses it */
		struct dump d;

		memset(&d, 0, sizeof(d));
		d.info = info;
		if (btf_from_prog(&d, pin) == 0) {
			btf = d.btf;
			kid = d.kid;
			vid = d.vid;
		}
	}
	ret = layout_line(pin[0] && strrchr(pin, '/') ? strrchr(pin, '/') + 1 : pin,
			  info.type, info.key_size, info.value_size, info.max_entries,
			  info.map_flags, btf, kid, vid);
	btf__free(btf);
	return ret;
}

static int layouts(int n, char **paths)
{
	int i, ret = 0;
	size_t len;

	if (n == 0)
		return usage("--layout: missing PIN or OBJECT");
	libbpf_set_print(NULL);
	for (i = 0; i < n && !ret; i++) {
		len = strlen(paths[i]);
		if (len > 2 && strcmp(paths[i] + len - 2, ".o") == 0)
			ret = layout_object(paths[i]);
		else
			ret = layout_pin(paths[i]);
	}
	if (fflush(stdout) || ferror(stdout))
		ret = fail("stdout", strerror(errno));
	return ret;
}

static int parse_count(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return (errno || !*s || *end || *v < 0 || *v > INT_MAX) ? -1 : 0;
}

int main(int argc, char **argv)
{
	static char obuf[1 << 16];
	struct dump d = { .fd = -1, .top = -1 };
	struct timespec now;
	const char *pin = NULL;
	int i, ret;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool val = i + 1 < argc;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			puts(PROG " " XK_VERSION);
			return 0;
		} else if (strcmp(a, "--enums") == 0) {
			return enums(argc - i - 1, argv + i + 1);
		} else if (strcmp(a, "--layout") == 0) {
			return layouts(argc - i - 1, argv + i + 1);
		} else if (strcmp(a, "--count") == 0) {
			d.count = true;
		} else if (strcmp(a, "--nonzero") == 0) {
			d.nonzero = true;
		} else if (a[0] == '-' && a[1] == '-' && !val) {
			return usage("option needs a value or is unknown");
		} else if (strcmp(a, "--type") == 0) {
			d.type = argv[++i];
		} else if (strcmp(a, "--iface") == 0) {
			d.iface = argv[++i];
		} else if (strcmp(a, "--by-key") == 0) {
			d.by_key = argv[++i];
		} else if (strcmp(a, "--top") == 0) {
			if (parse_count(argv[++i], &d.top))
				return usage("--top needs a count");
		} else if (strcmp(a, "--sort") == 0) {
			d.sort = argv[++i];
		} else if (strcmp(a, "--top-per") == 0) {
			d.top_per = argv[++i];
		} else if (strcmp(a, "--save") == 0) {
			d.save = argv[++i];
		} else if (strcmp(a, "--since") == 0) {
			d.since = argv[++i];
		} else if (a[0] == '-' || pin) {
			return usage(a[0] == '-' ? "unknown option" : "one PIN only");
		} else {
			pin = a;
		}
	}
	if (!pin)
		return usage("missing PIN");
	if ((d.top >= 0) != (d.sort != NULL) || (d.top_per && d.top < 0))
		return usage("--top and --sort go together (and --top-per with them)");
	libbpf_set_print(NULL);
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	if (clock_gettime(CLOCK_REALTIME, &now))
		return fail("clock", strerror(errno));
	d.ts = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	d.mono = now_mono();

	ret = open_map(&d, pin);
	if (!ret && d.since)
		ret = load_since(&d);
	if (!ret && d.save)
		ret = save_open(&d);
	if (!ret) {
		/* XK_DUMP_NO_BATCH: take the fallback path, for tests */
		ret = getenv("XK_DUMP_NO_BATCH") ? -1 : dump_batch(&d);
		if (ret < 0)
			ret = dump_by_key(&d);
		if (!ret && d.count)
			printf("{\"type\":\"count\",\"map\":\"%s\",\"entries\":%llu,"
			       "\"capacity\":%llu}\n", d.info.name, d.entries,
			       (unsigned long long)d.info.max_entries * (d.set ? d.ways : 1) *
				       (unsigned long long)d.ncpu);
		else if (!ret && d.by_key)
			ret = emit_rows(&d);
	}
	if (!ret && d.sf)
		ret = save_close(&d);
	if (d.sf) { /* failed: no partial reading left behind */
		fclose(d.sf);
		unlink(d.save_tmp);
	}
	if (fflush(stdout) || ferror(stdout))
		ret = fail("stdout", strerror(errno));
	free(d.acc);
	free(d.rows);
	free(d.scratch);
	free(d.sel);
	free(d.sel_rows);
	free(d.sel_tmp);
	free(d.prev);
	free(d.save_tmp);
	btf__free(d.btf);
	if (d.fd >= 0)
		close(d.fd);
	return ret;
}
