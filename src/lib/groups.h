/* groups.h - the policy as data: the syscall groups (groups.c), the
 * masked entries of /proc (masks.c). */
#ifndef STK_GROUPS_H
#define STK_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct syscall_group {
	const char *name;
	const char *description;
	const char *const *calls; /* NULL-terminated */
	bool default_on;
	bool required; /* cannot be denied: the payload could not start */
};

extern const struct syscall_group stk_groups[];
extern const size_t stk_n_groups;
extern const char *const stk_dangerous_syscalls[];

/* masks.c: the entries of /proc covered inside, relative to /proc. */
struct proc_mask {
	const char *path;
	const char *why;
};
extern const struct proc_mask stk_proc_masks[];
extern const size_t stk_n_proc_masks;

const struct syscall_group *stk_group_find(const char *name);
/* The bit of the group of that name in a policy's set (0: no such group),
 * and whether it is among groups. */
uint64_t stk_group_bit(const char *name);
bool stk_groups_has(uint64_t groups, const char *name);
bool stk_syscall_dangerous(const char *name);
/* A call of the native architecture, by name. */
bool stk_syscall_known(const char *name);
/* In a required group: the payload cannot start without it. */
bool stk_syscall_required(const char *name);
/* The call has argument rules (clone, socket, ioctl, personality ...). */
bool stk_syscall_has_arg_rules(const char *name);

#endif
