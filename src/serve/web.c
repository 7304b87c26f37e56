/* web.c - the playground page (web/, bundled by `make web`): read once
 * at the start, before the front confines itself, and served from memory
 * at / and /assets/NAME. */
#define _GNU_SOURCE
#include "front.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WEB_MAX_FILES 64
#define WEB_MAX_BYTES (32u << 20)

struct web_file {
	char name[128]; /* "index.html", or an asset's name */
	const char *type;
	uint8_t *data; /* owned */
	size_t len;
};

static struct web_file files[WEB_MAX_FILES];
static size_t n_files, total;

static const char *type_of(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".map", "application/json"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".woff2", "font/woff2"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static int load(const char *dir, const char *name, const char *as)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = fd < 0 ? errno : EINVAL;
		if (fd >= 0)
			close(fd);
		return -e;
	}
	if (n_files == WEB_MAX_FILES ||
	    total + (uint64_t)st.st_size > WEB_MAX_BYTES) {
		close(fd);
		return -EFBIG;
	}
	struct web_file *f = &files[n_files];
	f->len = (size_t)st.st_size;
	f->data = malloc(f->len + 1);
	size_t got = 0;
	while (f->data && got < f->len) {
		ssize_t n = read(fd, f->data + got, f->len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!f->data || got != f->len) {
		free(f->data);
		return -EIO;
	}
	snprintf(f->name, sizeof(f->name), "%s", as);
	f->type = type_of(as);
	total += f->len;
	n_files++;
	return 0;
}

int web_load(const char *dir, bool required)
{
	int r = load(dir, "index.html", "index.html");
	if (r < 0) {
		if (required)
			serve_log("web %s: index.html: %s", dir, strerror(-r));
		return required ? -1 : 0;
	}
	char assets[PATH_MAX];
	snprintf(assets, sizeof(assets), "%s/assets", dir);
	DIR *d = opendir(assets);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= 128)
			continue;
		r = load(assets, e->d_name, e->d_name);
		if (r < 0) {
			serve_log("web %s/%s: %s", assets, e->d_name,
				  strerror(-r));
			closedir(d);
			return -1;
		}
	}
	if (d)
		closedir(d);
	return 0;
}

void get_page(struct request *rq)
{
	const char *name = rq->path ? rq->path : "index.html";
	const struct web_file *f = NULL;
	for (size_t i = 0; i < n_files && !f; i++)
		if (!strcmp(files[i].name, name) &&
		    (rq->path == NULL) == !strcmp(name, "index.html"))
			f = &files[i];
	if (!f) {
		answer_error(rq, 404, NULL,
			     n_files ? "no such resource"
				     : "the playground is not installed here "
				       "(make web; docs/serve.md)",
			     NULL);
		return;
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		f->len, f->data, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return;
	MHD_add_response_header(resp, "Content-Type", f->type);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; connect-src 'self' ws: "
				"wss:; style-src 'self' 'unsafe-inline'; "
				"frame-ancestors 'none'");
	send_response(rq, 200, resp);
}
