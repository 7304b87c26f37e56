/* wire.c - the messages between the front and the runner (wire.h). */
#define _GNU_SOURCE
#include "wire.h"
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- writing a job -------------------------------------------------- */

static void put_bytes(struct wire_buf *b, const void *data, size_t len)
{
	if (b->failed)
		return;
	if (b->len + len > WIRE_JOB_MAX || b->len + len < b->len) {
		b->failed = true;
		return;
	}
	if (b->len + len > b->size) {
		size_t size = b->size ? b->size : 4096;
		while (size < b->len + len)
			size *= 2;
		uint8_t *grown = realloc(b->data, size);
		if (!grown) {
			b->failed = true;
			return;
		}
		b->data = grown;
		b->size = size;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
}

void wire_buf_append(struct wire_buf *b, const void *data, size_t len)
{
	put_bytes(b, data, len);
}

static void put_u32(struct wire_buf *b, uint32_t v)
{
	put_bytes(b, &v, sizeof(v));
}

void wire_put(struct wire_buf *b, enum wire_tag tag, const void *data,
	      size_t len)
{
	if (len > WIRE_JOB_MAX) {
		b->failed = true;
		return;
	}
	put_u32(b, tag);
	put_u32(b, (uint32_t)len);
	put_bytes(b, data, len);
}

void wire_put_str(struct wire_buf *b, enum wire_tag tag, const char *s)
{
	wire_put(b, tag, s, strlen(s));
}

void wire_put_file(struct wire_buf *b, const char *path, unsigned mode,
		   const void *data, size_t len)
{
	size_t plen = strlen(path);
	if (len > WIRE_JOB_MAX || plen > 4096) {
		b->failed = true;
		return;
	}
	put_u32(b, WIRE_TAG_FILE);
	put_u32(b, (uint32_t)(8 + plen + len));
	put_u32(b, mode);
	put_u32(b, (uint32_t)plen);
	put_bytes(b, path, plen);
	put_bytes(b, data, len);
}

void wire_put_limit(struct wire_buf *b, enum stk_limit which, uint64_t value)
{
	put_u32(b, WIRE_TAG_LIMIT);
	put_u32(b, 12);
	put_u32(b, (uint32_t)which);
	put_bytes(b, &value, sizeof(value));
}

void wire_buf_release(struct wire_buf *b)
{
	free(b->data);
	*b = (struct wire_buf){0};
}

/* ---- reading a job (the runner; the front may lie) ------------------ */

/* A string part: no NUL inside, copied with one. */
static char *part_str(const uint8_t *p, uint32_t len)
{
	if (memchr(p, 0, len))
		return NULL;
	char *s = malloc((size_t)len + 1);
	if (s) {
		memcpy(s, p, len);
		s[len] = 0;
	}
	return s;
}

#define MAX_ARGS 4096

static int decode_part(struct wire_job *out, uint32_t tag, const uint8_t *p,
		       uint32_t len, char **argv, size_t *argc,
		       struct stk_error **err)
{
	switch (tag) {
	case WIRE_TAG_PROFILE:
		if (len == 0 || len >= sizeof(out->profile) ||
		    memchr(p, 0, len))
			return serve_error(err, EINVAL, "job",
					   "job: bad profile name");
		memcpy(out->profile, p, len);
		out->profile[len] = 0;
		return 0;
	case WIRE_TAG_NETWORK:
		if (len != 1 || p[0] > 1)
			return serve_error(err, EINVAL, "job",
					   "job: bad network part");
		out->network = p[0];
		return 0;
	case WIRE_TAG_ARG:
		if (*argc >= MAX_ARGS)
			return serve_error(err, E2BIG, "job",
					   "job: too many arguments");
		argv[*argc] = part_str(p, len);
		if (!argv[*argc])
			return serve_error(err, EINVAL, "job",
					   "job: bad argument");
		(*argc)++;
		return 0;
	case WIRE_TAG_ENV: {
		char *s = part_str(p, len);
		char *eq = s ? strchr(s, '=') : NULL;
		if (!eq) {
			free(s);
			return serve_error(err, EINVAL, "job",
					   "job: bad environment part");
		}
		*eq = 0;
		int r = stk_job_set_env(out->job, s, eq + 1, err);
		free(s);
		return r;
	}
	case WIRE_TAG_STDIN:
		return stk_job_set_stdin(out->job, p, len, err);
	case WIRE_TAG_FILE: {
		uint32_t mode, plen;
		if (len < 8)
			return serve_error(err, EINVAL, "job",
					   "job: short file part");
		memcpy(&mode, p, 4);
		memcpy(&plen, p + 4, 4);
		if (plen > len - 8)
			return serve_error(err, EINVAL, "job",
					   "job: bad file part");
		char *path = part_str(p + 8, plen);
		if (!path)
			return serve_error(err, EINVAL, "job",
					   "job: bad file path");
		int r = stk_job_add_file(out->job, path, p + 8 + plen,
					 len - 8 - plen, mode, err);
		free(path);
		return r;
	}
	case WIRE_TAG_LIMIT: {
		uint32_t which;
		uint64_t value;
		if (len != 12)
			return serve_error(err, EINVAL, "job",
					   "job: bad limit part");
		memcpy(&which, p, 4);
		memcpy(&value, p + 4, 8);
		if (which >= STK_LIMIT_COUNT)
			return serve_error(err, EINVAL, "job",
					   "job: unknown limit");
		out->limits[which] = value;
		return stk_job_set_limit(out->job, (enum stk_limit)which, value,
					 err);
	}
	default:
		return serve_error(err, EINVAL, "job", "job: unknown part %u",
				   tag);
	}
}

int wire_job_decode(const uint8_t *data, size_t len, bool compile_stage,
		    struct wire_job *out, struct stk_error **err)
{
	*out = (struct wire_job){0};
	out->job = stk_job_new();
	char **argv = calloc(MAX_ARGS + 1, sizeof(*argv));
	size_t argc = 0;
	int r = 0;
	if (!out->job || !argv)
		r = serve_error(err, ENOMEM, "job", "out of memory");
	/* No input is empty input, never the runner's own stdin. */
	if (r == 0)
		r = stk_job_set_stdin(out->job, "", 0, err);
	size_t at = 0;
	while (r == 0 && at < len) {
		uint32_t tag, plen;
		if (len - at < 8) {
			r = serve_error(err, EINVAL, "job", "job: truncated");
			break;
		}
		memcpy(&tag, data + at, 4);
		memcpy(&plen, data + at + 4, 4);
		at += 8;
		if (plen > len - at) {
			r = serve_error(err, EINVAL, "job", "job: truncated");
			break;
		}
		bool run_only = tag == WIRE_TAG_ARG || tag == WIRE_TAG_STDIN ||
				tag == WIRE_TAG_LIMIT;
		if (!(compile_stage && run_only))
			r = decode_part(out, tag, data + at, plen, argv, &argc,
					err);
		at += plen;
	}
	if (r == 0 && !out->profile[0])
		r = serve_error(err, EINVAL, "job", "job: no profile");
	out->has_command = argc > 0;
	if (r == 0 && argc)
		r = stk_job_set_command(out->job, (const char *const *)argv,
					err);
	for (size_t i = 0; argv && i < argc; i++)
		free(argv[i]);
	free(argv);
	if (r < 0)
		wire_job_release(out);
	return r;
}

void wire_job_release(struct wire_job *job)
{
	stk_job_free(job->job);
	job->job = NULL;
}

/* ---- messages ------------------------------------------------------- */

int wire_send(int sock, const struct wire_msg *m, const void *payload,
	      size_t len, int fd)
{
	if (len > WIRE_MAX)
		return -EMSGSIZE;
	struct iovec iov[2] = {
		{.iov_base = (void *)m, .iov_len = sizeof(*m)},
		{.iov_base = (void *)payload, .iov_len = len},
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

ssize_t wire_recv(int sock, struct wire_msg *m, void *buf, int *fd)
{
	*fd = -1;
	memset(m, 0, sizeof(*m));
	struct iovec iov[2] = {
		{.iov_base = m, .iov_len = sizeof(*m)},
		{.iov_base = buf, .iov_len = WIRE_MAX},
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = iov,
			    .msg_iovlen = 2,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (n == 0)
		return 0;
	/* A message cut by the buffer, or shorter than its head, is a peer
	 * that does not speak this protocol. */
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (size_t)n < sizeof(*m)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	return n - (ssize_t)sizeof(*m);
}

int wire_memfd(const void *data, size_t len)
{
	int fd = memfd_create("stockade-job", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	const uint8_t *p = data;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			return -e;
		}
		done += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) <
	    0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}
