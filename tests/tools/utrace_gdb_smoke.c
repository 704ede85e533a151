// SPDX-License-Identifier: GPL-2.0
/*
 * utrace_gdb_smoke [SECS]: /dev/utrace-gdb without gdb (insmod utrace.ko and utrace_gdb.ko
 * first). Attaches to a forked child, checks replies to a set of packets (breakpoint hit,
 * step, Ctrl-C, errors for bad addresses and thread ids, an overlong packet), then sends
 * random and mutated packets for SECS seconds (default 10). After close the child must run
 * on: not stopped, not dead. Prints ok/FAIL lines and PASS or FAIL at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static volatile unsigned long spins;

__attribute__((noinline)) void spin_body(void)
{
	spins++;
}

static int fd;
static int fails;
static unsigned long spurious;

static void send_pkt(const char *s, size_t n)
{
	char buf[70000];
	unsigned char sum = 0;
	size_t i;

	buf[0] = '$';
	for (i = 0; i < n; i++) {
		buf[1 + i] = s[i];
		sum += (unsigned char)s[i];
	}
	snprintf(buf + 1 + n, 4, "#%02x", sum);
	if (write(fd, buf, n + 4) < 0)
		perror("write");
}

/* Reads until a whole `$...#xx` reply (or a timeout); returns its payload in out. */
static int get_reply(char *out, size_t max, int ms)
{
	static char acc[200000];
	static size_t len;
	char *d, *h;

	for (;;) {
		acc[len] = 0;
		d = memchr(acc, '$', len);
		h = d ? memchr(d, '#', len - (d - acc)) : NULL;
		if (h && (size_t)(h - acc) + 3 <= len) {
			size_t n = h - d - 1, rest;

			if (n >= max)
				n = max - 1;
			memcpy(out, d + 1, n);
			out[n] = 0;
			rest = len - (h + 3 - acc);
			memmove(acc, h + 3, rest);
			len = rest;
			return 0;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, ms);

		if (r <= 0)
			return -1;
		ssize_t k = read(fd, acc + len, sizeof(acc) - 1 - len);

		if (k <= 0)
			return -1;
		len += k;
		if (len > sizeof(acc) - 1000)
			len = 0;
	}
}

static void expect(const char *pkt, const char *prefix)
{
	char r[70000];

	send_pkt(pkt, strlen(pkt));
	if (get_reply(r, sizeof(r), 5000)) {
		printf("FAIL %s: no reply\n", pkt);
		fails++;
		return;
	}
	if (strncmp(r, prefix, strlen(prefix))) {
		printf("FAIL %s: reply '%.60s', want '%s'\n", pkt, r, prefix);
		fails++;
		return;
	}
	printf("ok %s -> %.50s\n", pkt, r);
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 10;
	pid_t child;
	char pkt[256], r[70000];
	struct pollfd p;
	time_t end;
	unsigned long n = 0;
	static const char *const seeds[] = {
		"?", "g", "qC", "qfThreadInfo", "qsThreadInfo", "vCont?", "m0,8", "mffffffffffffffff,10",
		"m%lx,40", "p10", "p30", "p99", "Hg0", "Hgp1.1", "Hc-1", "T1", "Z0,%lx,1", "z0,%lx,1",
		"Z2,%lx,8", "z2,%lx,8", "Z2,1,3", "vCont;c", "vCont;s:p%x.%x;c", "vCont;t", "X%lx,0:",
		"qXfer:features:read:target.xml:0,fff", "qXfer:threads:read::0,fff",
		"qXfer:exec-file:read:%x:0,fff", "qXfer:auxv:read::0,1000", "qXfer:junk:read::0,1",
		"vCont;c:p%x.-1", "c", "s", "vStopped", "QNonStop:1", "QNonStop:0",
		"H", "m", "Z", "vAttach;1", "vAttach;zz", "qXfer:features:read:target.xml:ffffffff,ffffffff",
	};

	child = fork();
	if (!child) {
		for (;;)
			spin_body();
	}
	usleep(100000);
	fd = open("/dev/utrace-gdb", O_RDWR);
	if (fd < 0) {
		perror("open /dev/utrace-gdb");
		return 1;
	}
	p.fd = fd;
	p.events = POLLIN;
	if (poll(&p, 1, 100) != 0)
		printf("FAIL poll readable with nothing queued\n"), fails++;
	expect("qSupported:multiprocess+;swbreak+", "PacketSize=");
	expect("QStartNoAckMode", "OK");
	expect("?", "W00");
	snprintf(pkt, sizeof(pkt), "vAttach;%x", child);
	expect(pkt, "T00");
	expect("g", "");
	snprintf(pkt, sizeof(pkt), "m%lx,4", (unsigned long)spin_body);
	expect(pkt, "");
	snprintf(pkt, sizeof(pkt), "Z0,%lx,1", (unsigned long)spin_body);
	expect(pkt, "OK");
	expect("vCont;c", "T05");
	snprintf(pkt, sizeof(pkt), "z0,%lx,1", (unsigned long)spin_body);
	expect(pkt, "OK");
	expect("vCont;s:p1.-1", "T05");
	/* Ctrl-C while running. */
	send_pkt("vCont;c", 7);
	usleep(100000);
	if (write(fd, "\x03", 1) != 1)
		perror("write");
	if (get_reply(r, sizeof(r), 5000) || strncmp(r, "T02", 3))
		printf("FAIL interrupt: '%.40s'\n", r), fails++;
	else
		printf("ok interrupt -> %.40s\n", r);
	expect("vAttach;1", "E");
	expect("mdeadbeef,8", "E");
	expect("T7fffffff", "E");
	expect("Hg7fffffff", "E");
	expect("qXfer:features:read:target.xml:0,fff", "l<?xml");
	expect("qXfer:features:read:target.xml:0,10", "m<?xml");
	expect("unknownpacket", "");
	expect("vFile:setfs:0", "");
	/* Bad checksum: dropped (no-ack mode), the next packet still works. */
	if (write(fd, "$g#00", 5) < 0)
		perror("write");
	expect("qC", "QCp");
	/* Overlong. */
	{
		static char big[40000];

		memset(big, 'm', sizeof(big));
		send_pkt(big, sizeof(big));
		if (get_reply(r, sizeof(r), 5000) || r[0] != 'E')
			printf("FAIL overlong: '%.20s'\n", r), fails++;
		else
			printf("ok overlong -> %s\n", r);
	}
	/* Fuzz (non-blocking: poll says readable, a read that would block is counted). */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	srand(getpid());
	end = time(NULL) + secs;
	while (time(NULL) < end) {
		int k = rand() % 4;
		const char *s = seeds[rand() % ARRAY_SIZE(seeds)];
		char b[600];
		int len;

		/* The seeds' formats take the breakpoint address and the child's ids. */
		len = snprintf(pkt, sizeof(pkt), s, (unsigned long)spin_body, child, child);
		if (k == 0) {
			/* Raw junk, no framing. */
			for (len = 0; len < 300; len++)
				b[len] = rand();
			if (write(fd, b, len) < 0)
				perror("write");
		} else {
			if (k == 1 && len > 0)
				pkt[rand() % len] = rand() % 96 + 32;
			if (strstr(pkt, ";C") || strstr(pkt, ";S") || pkt[0] == 'C' || pkt[0] == 'S' ||
			    pkt[0] == 'k' || !strncmp(pkt, "vKill", 5) || pkt[0] == 'M' || pkt[0] == 'G' ||
			    pkt[0] == 'P' || (pkt[0] == 'X' && !strstr(pkt, ",0:")) || pkt[0] == 'D')
				continue;
			if ((pkt[0] == 'Z' || pkt[0] == 'z') && pkt[1] == '0' &&
			    strtoul(pkt + 3, NULL, 16) != (unsigned long)spin_body)
				continue;
			send_pkt(pkt, strlen(pkt));
		}
		if (rand() % 20 == 0 && write(fd, "\x03", 1) < 0)
			perror("write");
		/* Drain whatever is there. */
		while (poll(&p, 1, 0) > 0) {
			if (read(fd, b, sizeof(b)) <= 0) {
				if (errno == EAGAIN)
					spurious++;
				break;
			}
		}
		n++;
	}
	printf("fuzz: %lu packets in %d s; poll readable but read EAGAIN: %lu\n", n, secs, spurious);
	close(fd);
	{
		char path[64], st[512];
		int sfd;

		usleep(200000);
		snprintf(path, sizeof(path), "/proc/%d/stat", child);
		sfd = open(path, O_RDONLY);
		if (sfd < 0 || read(sfd, st, sizeof(st)) <= 0) {
			printf("FAIL child gone after close\n");
			fails++;
		} else {
			char *c = strrchr(st, ')');

			printf("child state after close: %c\n", c ? c[2] : '?');
			if (!c || (c[2] != 'R' && c[2] != 'S'))
				fails++;
		}
		if (waitpid(child, NULL, WNOHANG) != 0)
			printf("FAIL child exited\n"), fails++;
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	printf("%s: %d failures\n", fails ? "FAIL" : "PASS", fails);
	return !!fails;
}
