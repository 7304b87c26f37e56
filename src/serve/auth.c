/* auth.c - bearer tokens.
 *
 * The tokens file holds a line per token (docs/serve.md):
 *
 *   NAME sha256:HEX [concurrency=N] [rate=R] [burst=B] [profiles=a,b]
 *
 * Only the hash of each secret is kept, so the file (and the front's
 * memory) gives no token away; a secret presented is hashed and compared
 * with every token's hash in constant time, all of them every time, so
 * the time taken says nothing about which bytes, or which token, came
 * close. */
#define _GNU_SOURCE
#include "serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int parse_hash(const char *s, uint8_t out[32])
{
	if (strncmp(s, "sha256:", 7) || strlen(s + 7) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		int hi = hexval(s[7 + 2 * i]), lo = hexval(s[8 + 2 * i]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int parse_option(struct token *t, const char *opt)
{
	char *end;
	if (!strncmp(opt, "concurrency=", 12)) {
		unsigned long n = strtoul(opt + 12, &end, 10);
		if (*end || end == opt + 12 || n < 1 || n > 100000)
			return -1;
		t->concurrency = (unsigned)n;
	} else if (!strncmp(opt, "rate=", 5) || !strncmp(opt, "burst=", 6)) {
		const char *v = strchr(opt, '=') + 1;
		double d = strtod(v, &end);
		if (*end || end == v || !(d > 0) || d > 1e6)
			return -1;
		if (opt[0] == 'r')
			t->rate = d;
		else
			t->burst = d;
	} else if (!strncmp(opt, "profiles=", 9)) {
		if (strlen(opt + 9) >= sizeof(t->profiles))
			return -1;
		snprintf(t->profiles, sizeof(t->profiles), "%s", opt + 9);
	} else {
		return -1;
	}
	return 0;
}

int tokens_load(struct serve_config *c, const char *path)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	if (!f || fstat(fileno(f), &st) < 0) {
		serve_log("tokens %s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	/* A file others may write lets them add a token. */
	if (st.st_mode & S_IWOTH) {
		serve_log("tokens %s: writable by others; refused", path);
		fclose(f);
		return -1;
	}
	char line[1024];
	int n = 0, r = 0;
	while (r == 0 && fgets(line, sizeof(line), f)) {
		n++;
		if (!strchr(line, '\n') && !feof(f)) {
			r = -1;
			break;
		}
		char *save, *name = strtok_r(line, " \t\r\n", &save);
		if (!name || name[0] == '#')
			continue;
		char *hash = strtok_r(NULL, " \t\r\n", &save);
		struct token t = {0};
		if (!hash || strlen(name) >= sizeof(t.name) ||
		    parse_hash(hash, t.hash) < 0) {
			r = -1;
			break;
		}
		snprintf(t.name, sizeof(t.name), "%s", name);
		for (char *o; r == 0 && (o = strtok_r(NULL, " \t\r\n", &save));)
			r = parse_option(&t, o);
		if (r < 0)
			break;
		if (t.rate && !t.burst)
			t.burst = t.rate;
		t.tokens_left = t.burst;
		struct token *grown =
			realloc(c->tokens, (c->n_tokens + 1) * sizeof(t));
		if (!grown) {
			r = -1;
			break;
		}
		c->tokens = grown;
		c->tokens[c->n_tokens++] = t;
	}
	fclose(f);
	if (r < 0) {
		serve_log("tokens %s:%d: expected NAME sha256:HEX "
			  "[concurrency=N] [rate=R] [burst=B] "
			  "[profiles=a,b]",
			  path, n);
		return -1;
	}
	if (c->n_tokens == 0) {
		serve_log("tokens %s: no token; every request would be "
			  "refused",
			  path);
		return -1;
	}
	return 0;
}

struct token *token_find(struct serve_config *c, const char *secret)
{
	uint8_t h[32];
	sha256(secret, strlen(secret), h);
	struct token *found = NULL;
	for (size_t i = 0; i < c->n_tokens; i++) {
		uint8_t diff = 0;
		for (int j = 0; j < 32; j++)
			diff |= (uint8_t)(h[j] ^ c->tokens[i].hash[j]);
		/* no branch on the secret's bytes: a mask picks the match */
		uintptr_t match = (uintptr_t)0 - (uintptr_t)(diff == 0);
		found = (struct token *)(((uintptr_t)&c->tokens[i] & match) |
					 ((uintptr_t)found & ~match));
	}
	return found;
}
