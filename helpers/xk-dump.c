// SPDX-License-Identifier: GPL-2.0
/*
 * xk-dump - print every entry of a pinned BPF map as one JSON line, with
 * per-CPU values folded into one (bpf/xdpkit.h says how each field folds).
 *
 * usage: xk-dump [--type TYPE] [--iface NAME] [--nonzero] [--by-key MEMBER] PIN
 *
 * Each line is {"type":TYPE,"ts":NOW,"iface":NAME, key fields, value fields}.
 * TYPE defaults to the map's name.
 *
 * --by-key MEMBER is for tables whose values carry their own key (xdpkit's
 * set-associative flow and port tables, where each CPU's copy of a slot may
 * hold a different key): the map's own keys are ignored, every CPU's copy of
 * every value whose MEMBER is not all zero is one row, rows with equal MEMBER
 * are folded into one, and a line is MEMBER's fields then the other members. Keys and values are decoded from the BTF
 * the map carries; a map without BTF, or whose BTF sizes disagree with the
 * map, is refused. Entries are read with BPF_MAP_LOOKUP_BATCH where the kernel
 * has it, one key at a time otherwise (or when XK_DUMP_NO_BATCH is set).
 *
 * Exit status: 0 printed, 1 the map could not be read, 2 usage.
 */
#include <errno.h>
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
	double ts;
	unsigned long long entries;
	/* --by-key */
	const char *by_key;
	__u32 bk_type, bk_off, bk_size;
	char *rows;
	size_t nrows, cap;
};

/* qsort has no context argument: the key's place, for the comparison. */
static __u32 cmp_off, cmp_size;

static int cmp_rows(const void *a, const void *b)
{
	return memcmp((const char *)a + cmp_off, (const char *)b + cmp_off, cmp_size);
}

static int fail(const char *what, const char *detail)
{
	fprintf(stderr, PROG ": error: %s: %s\n", what, detail);
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: " PROG " [--type TYPE] [--iface NAME] [--nonzero] [--by-key MEMBER] PIN\n");
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

static bool all_zero(const void *p, size_t n);

/* --by-key: keep every non-empty copy as a row. */
static int collect(struct dump *d, const void *val)
{
	int cpu;

	for (cpu = 0; cpu < d->ncpu; cpu++) {
		const char *v = (const char *)val + cpu * d->vstride;

		if (all_zero(v + d->bk_off, d->bk_size))
			continue;
		if (d->nrows == d->cap) {
			size_t cap = d->cap ? d->cap * 2 : 1024;
			char *r = realloc(d->rows, cap * d->info.value_size);

			if (!r)
				return -1;
			d->rows = r;
			d->cap = cap;
		}
		memcpy(d->rows + d->nrows++ * d->info.value_size, v, d->info.value_size);
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

/* --by-key: sort the rows by key, fold equal keys, print. */
static void emit_rows(struct dump *d)
{
	size_t vs = d->info.value_size, i = 0, j;

	cmp_off = d->bk_off;
	cmp_size = d->bk_size;
	if (d->nrows)
		qsort(d->rows, d->nrows, vs, cmp_rows);
	while (i < d->nrows) {
		char *acc = d->rows + i * vs;

		for (j = i + 1; j < d->nrows && cmp_rows(acc, d->rows + j * vs) == 0; j++)
			bj_fold_except(&d->bj, d->info.btf_value_type_id, acc,
				       d->rows + j * vs, d->by_key);
		line_start(d);
		bj_fields(&d->bj, d->bk_type, acc + d->bk_off, d->by_key);
		bj_fields_except(&d->bj, d->info.btf_value_type_id, acc, d->by_key);
		fputs("}\n", d->bj.out);
		d->entries++;
		i = j;
	}
}

static int emit(struct dump *d, const void *key, const void *val)
{
	FILE *out = d->bj.out;
	const void *v = val;
	int cpu;

	if (d->by_key)
		return collect(d, val);
	if (d->percpu) {
		for (cpu = 0; cpu < d->ncpu; cpu++)
			bj_fold(&d->bj, d->info.btf_value_type_id, d->acc,
				(const char *)val + cpu * d->vstride, cpu);
		v = d->acc;
	}
	if (d->nonzero && all_zero(v, d->info.value_size))
		return 0;
	line_start(d);
	bj_fields(&d->bj, d->info.btf_key_type_id, key, "key");
	bj_fields(&d->bj, d->info.btf_value_type_id, v, "value");
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
			err = fail("out of memory", "rows");
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
	__u32 n = d->info.max_entries < BATCH_INIT ? d->info.max_entries : BATCH_INIT;
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
				ret = fail("out of memory", "rows");
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

/*
 * The map's BTF, read into a zeroed buffer of our own rather than with
 * btf__load_from_kernel_by_id(): same result, but valgrind can then tell the
 * kernel-written bytes are defined, and so check this program's own reads.
 */
static struct btf *load_btf(__u32 id)
{
	struct bpf_btf_info info;
	__u32 len = sizeof(info);
	struct btf *btf = NULL;
	void *buf = NULL;
	int fd = bpf_btf_get_fd_by_id(id);

	if (fd < 0)
		return NULL;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.btf_size)
		goto out;
	buf = calloc(1, info.btf_size);
	if (!buf)
		goto out;
	len = sizeof(info);
	info = (struct bpf_btf_info){ .btf = (__u64)(unsigned long)buf,
				      .btf_size = info.btf_size };
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		goto out;
	btf = btf__new(buf, info.btf_size);
	if (libbpf_get_error(btf))
		btf = NULL;
out:
	free(buf);
	close(fd);
	return btf;
}

static int open_map(struct dump *d, const char *pin)
{
	__u32 len = sizeof(d->info);
	__s64 ksz, vsz;

	d->fd = bpf_obj_get(pin);
	if (d->fd < 0)
		return fail(pin, strerror(errno));
	if (bpf_obj_get_info_by_fd(d->fd, &d->info, &len))
		return fail(pin, strerror(errno));
	if (!d->info.btf_id || !d->info.btf_value_type_id)
		return fail(pin, "map has no BTF");
	d->btf = load_btf(d->info.btf_id);
	if (!d->btf)
		return fail(pin, "cannot load the map's BTF");
	ksz = d->info.btf_key_type_id ? btf__resolve_size(d->btf, d->info.btf_key_type_id) : -1;
	vsz = btf__resolve_size(d->btf, d->info.btf_value_type_id);
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
	if (d->by_key && bj_member(&d->bj, d->info.btf_value_type_id, d->by_key,
				   &d->bk_type, &d->bk_off, &d->bk_size))
		return fail(pin, "--by-key: the value has no such member");
	return 0;
}

int main(int argc, char **argv)
{
	static char obuf[1 << 16];
	struct dump d = { .fd = -1 };
	struct timespec now;
	const char *pin = NULL;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--type") == 0 && i + 1 < argc)
			d.type = argv[++i];
		else if (strcmp(argv[i], "--iface") == 0 && i + 1 < argc)
			d.iface = argv[++i];
		else if (strcmp(argv[i], "--nonzero") == 0)
			d.nonzero = true;
		else if (strcmp(argv[i], "--by-key") == 0 && i + 1 < argc)
			d.by_key = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage() - 2;
		else if (argv[i][0] == '-' || pin)
			return usage();
		else
			pin = argv[i];
	}
	if (!pin)
		return usage();
	libbpf_set_print(NULL);
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	if (clock_gettime(CLOCK_REALTIME, &now))
		return fail("clock", strerror(errno));
	d.ts = (double)now.tv_sec + (double)now.tv_nsec / 1e9;

	ret = open_map(&d, pin);
	if (!ret) {
		/* XK_DUMP_NO_BATCH: take the fallback path, for tests */
		ret = getenv("XK_DUMP_NO_BATCH") ? -1 : dump_batch(&d);
		if (ret < 0)
			ret = dump_by_key(&d);
		if (!ret && d.by_key)
			emit_rows(&d);
	}
	if (fflush(stdout) || ferror(stdout))
		ret = fail("stdout", strerror(errno));
	free(d.acc);
	free(d.rows);
	btf__free(d.btf);
	if (d.fd >= 0)
		close(d.fd);
	return ret;
}
