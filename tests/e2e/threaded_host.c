/* threaded_host.c - stk_run, N times, from a process whose other thread
 * keeps creating and joining threads, as a server does
 * (test_library.py). */
#include "stockade.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *nothing(void *arg)
{
	return arg;
}

/* Threads come and go, as in a server: glibc's set*id wrappers wait for
 * every thread it knows of, and one being created in the parent is one
 * the child would wait for forever. */
static void *spin(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_t t;
		if (pthread_create(&t, NULL, nothing, NULL) == 0)
			pthread_join(t, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 20;
	pthread_t t;
	if (pthread_create(&t, NULL, spin, NULL) != 0)
		return 2;
	const char *cmd[] = {"/bin/true", NULL};
	for (int i = 0; i < runs; i++) {
		struct stk_error *err = NULL;
		struct stk_record *rec = NULL;
		struct stk_policy *p = stk_policy_new();
		if (!p || stk_policy_set_command(p, cmd, &err) < 0 ||
		    (stk_run(p, &rec, &err) < 0 && !rec)) {
			fprintf(stderr, "run %d: %s\n", i,
				err ? err->message : "?");
			return 1;
		}
		if (strcmp(stk_record_verdict(rec), "ok") != 0) {
			fprintf(stderr, "run %d: verdict %s\n", i,
				stk_record_verdict(rec));
			return 1;
		}
		stk_record_free(rec);
		stk_policy_free(p);
		stk_error_free(err);
	}
	printf("%d runs ok\n", runs);
	return 0;
}
