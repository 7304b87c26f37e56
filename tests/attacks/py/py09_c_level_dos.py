# PY-09 c-level-dos: the Python side of RES-03 and RES-11.  Allocations far
# past memory fail at once with MemoryError (RLIMIT_AS, or the kernel's
# overcommit check for sizes past the machine's memory); then the program
# ignores SIGALRM, SIGTERM, SIGXCPU and SIGINT, arms an alarm, and enters
# a regular expression that backtracks forever inside C code, where no
# Python signal handler or timeout ever runs (pysandbox's ChangeLog 1.5:
# its timeout "was not effective on CPU intensive function implemented in
# C").  Only enforcement from outside ends it: the CPU limit of the entry
# (--cpu-time 1s), verdict cpu-limit.
import re
import signal

report("bytes-1T", lambda: b"x" * 10**12)
report("bytearray-100G", bytearray, 10**11)
report("list-10G-items", lambda: [0] * 10**10)
for sig in (signal.SIGALRM, signal.SIGTERM, signal.SIGXCPU, signal.SIGINT):
    report("ignore-" + sig.name, signal.signal, sig, signal.SIG_IGN)
signal.alarm(1)
note("backtracking forever in C")
re.match(r"(a+)+$", "a" * 64 + "!")
escaped("the regular expression returned")
done()
