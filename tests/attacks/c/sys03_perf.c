/* SYS-03 perf: perf_event_open has been the source of many kernel bugs
 * (CVE-2013-2094) and side channels.  It must be refused (EPERM) for a
 * software counter on the process itself and for a system-wide hardware
 * counter, whatever kernel.perf_event_paranoid says. */
#include "attack.h"

#include <linux/perf_event.h>

int main(void)
{
	struct perf_event_attr sw = {.type = PERF_TYPE_SOFTWARE,
				     .size = sizeof(sw),
				     .config = PERF_COUNT_SW_CPU_CLOCK,
				     .disabled = 1};
	long fd = TRY("perf-sw-cpu-clock-self",
		      syscall(SYS_perf_event_open, &sw, 0, -1, -1, 0));
	if (fd >= 0)
		close(fd);
	struct perf_event_attr hw = {.type = PERF_TYPE_HARDWARE,
				     .size = sizeof(hw),
				     .config = PERF_COUNT_HW_CPU_CYCLES,
				     .disabled = 1};
	fd = TRY("perf-hw-cycles-system-wide",
		 syscall(SYS_perf_event_open, &hw, -1, 0, -1, 0));
	if (fd >= 0)
		close(fd);
	struct perf_event_attr tp = {.type = PERF_TYPE_TRACEPOINT,
				     .size = sizeof(tp),
				     .config = 1,
				     .disabled = 1};
	fd = TRY("perf-tracepoint-self",
		 syscall(SYS_perf_event_open, &tp, 0, -1, -1, 0));
	if (fd >= 0)
		close(fd);
	/* A bad pointer: EFAULT if the call got through. */
	TRY("perf-badptr",
	    syscall(SYS_perf_event_open, (void *)1, 0, -1, -1, 0));
	done();
	return 0;
}
