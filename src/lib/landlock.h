/* landlock.h - access control that mirrors the mount plan (landlock.c). */
#ifndef STK_LANDLOCK_H
#define STK_LANDLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct landlock_plan {
	int abi;	 /* the kernel's; 0: no Landlock */
	uint64_t fs;	 /* handled file-system rights */
	uint64_t net;	 /* handled TCP rights: denied */
	uint64_t scoped; /* abstract unix sockets, signals */
};

struct plan;

/* Supervisor: the kernel's ABI, 0 when Landlock is off or absent. */
int landlock_abi(void);
void landlock_plan(struct landlock_plan *ll, int abi, bool network);
/* Payload: build the ruleset from the plan and restrict itself. */
int landlock_apply(const struct plan *plan);

#endif
