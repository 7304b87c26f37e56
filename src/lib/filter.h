/* filter.h - the syscall filter (seccomp.c): built in the supervisor, loaded by
 * the payload, its denials answered and counted by the supervisor. */
#ifndef STK_FILTER_H
#define STK_FILTER_H

#include "policy.h"

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

struct filter {
	struct sock_fprog prog; /* owned filter array */
	unsigned rules;		/* rules given to libseccomp */
};

/* Builds the BPF program of the policy with the syscall groups in force
 * (the policy's, or fewer where the run cannot bound them: plan.h); no
 * system call is loaded. */
int filter_build(const struct stk_policy *policy, uint64_t groups,
		 struct filter *filter, struct stk_error **err);
/* The same, always with libseccomp (the build's generator uses it). */
int filter_build_now(const struct stk_policy *policy, uint64_t groups,
		     struct filter *filter, struct stk_error **err);
void filter_release(struct filter *filter);

/* A program built when stockade was (tools/mkfilters.c). */
struct prebuilt_filter {
	uint64_t groups; /* the policy's groups; no call denied singly */
	unsigned rules;
	unsigned short len;
	const struct sock_filter *filter;
};
extern const struct prebuilt_filter stk_prebuilt_filters[];
extern const size_t stk_n_prebuilt_filters;

/* Child, payload, last step before execve: returns the listener fd. */
int filter_load(const struct filter *filter);

#define DENIAL_ARGS_KEPT 3

struct denial {
	int nr;	       /* as the program passed it (any int, -1 too) */
	uint32_t arch; /* AUDIT_ARCH_* */
	bool others;   /* the calls beyond the ones kept by name (nr and
			* arch: the first of them) */
	char name[48];
	int errnum; /* what the call returned */
	unsigned long count;
	unsigned kept; /* sets of arguments in args */
	uint64_t args[DENIAL_ARGS_KEPT][6];
};

struct denials {
	struct denial *list; /* owned */
	size_t n;
	bool kill;     /* the policy ends the run at the first one */
	int killed_by; /* index + 1 of the call that ended it */
};

/* Supervisor: takes one notification from the listener and counts it;
 * answers it with the policy's errno and returns 0, or, with
 * --on-deny=kill, leaves the caller blocked in the call and returns 1: the
 * run must end now.  -errno when the listener is done. */
int filter_answer(int listener, const struct stk_policy *policy,
		  struct denials *denials);
void denials_release(struct denials *denials);

#endif
