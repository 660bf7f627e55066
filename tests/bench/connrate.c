// SPDX-License-Identifier: GPL-2.0
/*
 * connrate - the connection-rate load of make bench, like netperf's TCP_CRR:
 * connect, a 64-byte request, a 64-byte response, the server closes, the
 * client reads the end and closes; one connection after another.
 *
 * usage: connrate serve ADDR PORT     accept and answer until killed
 *        connrate run ADDR PORT SECS  connect again and again for SECS
 *                                     seconds; print connections/s and
 *                                     the number of connections
 *
 * ADDR is a numeric IPv4 or IPv6 address. Exit 0, or 1 with the reason on
 * stderr (a refused or reset connection, a short answer: nothing is
 * counted that did not go through whole).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#define MSG 64

static int addr(const char *host, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai;
	int err = getaddrinfo(host, port, &hints, &ai);

	if (err) {
		fprintf(stderr, "connrate: %s port %s: %s\n", host, port, gai_strerror(err));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* Read (out 0) or write (out 1) exactly n bytes: 0, or -1 */
static int full(int fd, char *buf, size_t n, int out)
{
	while (n > 0) {
		ssize_t r = out ? write(fd, buf, n) : read(fd, buf, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

static int serve(const struct sockaddr_storage *ss, socklen_t len)
{
	char buf[MSG];
	int one = 1;
	int s = socket(ss->ss_family, SOCK_STREAM, 0);

	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (const struct sockaddr *)ss, len) || listen(s, 1024)) {
		perror("connrate: listen");
		return 1;
	}
	memset(buf, 'r', sizeof(buf));
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("connrate: accept");
			close(s);
			return 1;
		}
		/* a client that goes away mid-way is its own failure */
		if (full(c, buf, MSG, 0) == 0)
			(void)full(c, buf, MSG, 1);
		close(c);
	}
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int run(const struct sockaddr_storage *ss, socklen_t len, double secs)
{
	char req[MSG], resp[MSG + 1];
	unsigned long n = 0;
	double t0 = now(), t = t0;

	memset(req, 'q', sizeof(req));
	while (t - t0 < secs) {
		int c = socket(ss->ss_family, SOCK_STREAM, 0);

		if (c < 0) {
			perror("connrate: socket");
			return 1;
		}
		errno = 0;
		if (connect(c, (const struct sockaddr *)ss, len) || full(c, req, MSG, 1) ||
		    full(c, resp, MSG, 0) || read(c, resp + MSG, 1) != 0) {
			fprintf(stderr, "connrate: connection %lu: %s\n", n + 1,
				errno ? strerror(errno) : "short answer");
			close(c);
			return 1;
		}
		close(c);
		n++;
		t = now();
	}
	printf("%.0f %lu\n", (double)n / (t - t0), n);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char *end;
	double secs;

	if (argc == 4 && strcmp(argv[1], "serve") == 0) {
		if (addr(argv[2], argv[3], &ss, &len))
			return 1;
		return serve(&ss, len);
	}
	if (argc == 5 && strcmp(argv[1], "run") == 0) {
		secs = strtod(argv[4], &end);
		if (*end || secs <= 0) {
			fprintf(stderr, "connrate: %s: not a number of seconds\n", argv[4]);
			return 1;
		}
		if (addr(argv[2], argv[3], &ss, &len))
			return 1;
		return run(&ss, len, secs);
	}
	fprintf(stderr, "usage: connrate serve ADDR PORT | connrate run ADDR PORT SECS\n");
	return 1;
}
