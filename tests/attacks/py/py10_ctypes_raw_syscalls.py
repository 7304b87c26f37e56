# PY-10 ctypes-raw-syscalls: Python with ctypes has all of native code: raw
# system calls through libc's syscall() answer as in the C attacks
# (keyctl, unshare, mount, io_uring_setup, bpf, perf_event_open, ptrace:
# EPERM; clone3 and unknown numbers: ENOSYS; an AF_INET socket, with or
# without high bits in the family: EPERM), processes start as usual
# (_posixsubprocess, posix_spawn), ctypes.string_at(0) kills its process
# (SIGSEGV, no core), and machine code written into an executable mapping
# that makes an i386 system call (int 0x80) ends the whole run: verdict
# syscall-denied.
import ctypes
import errno
import mmap
import os
import signal
import subprocess


class Refused(Exception):
    """The trick did not work."""


def must(cond):
    if not cond:
        raise Refused


libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def raw(name, nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    e = ctypes.get_errno()
    print(name, "ok" if r >= 0 else errno.errorcode.get(e, str(e)), flush=True)


raw("keyctl", 250, 1, 0)                        # KEYCTL_JOIN_SESSION_KEYRING, NULL
raw("unshare-newuser", 272, 0x10000000)
raw("mount", 165, 0, 0, 0, 0, 0)
raw("io-uring-setup", 425, 4, 0)                # NULL params
raw("bpf", 321, 0, 0, 0)
raw("perf-event-open", 298, 0, 0, -1, -1, 0)
raw("ptrace-peek", 101, 2, -1, 0, 0)            # PTRACE_PEEKDATA of no process
raw("clone3", 435, 0, 0)
raw("unknown-1000", 1000)
raw("socket-inet", 41, 2, 1, 0)
raw("socket-inet-highbits", 41, (1 << 32) | 2, 1, 0)
report("posixsubprocess-true", subprocess.run, ["/bin/true"], check=True)
report("posix-spawn-true",
       lambda: must(os.waitpid(os.posix_spawn("/bin/true", ["true"], {}), 0)[1] == 0))

pid = os.fork()
if pid == 0:
    ctypes.string_at(0)
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("child-string-at-0",
      signal.Signals(os.WTERMSIG(status)).name if os.WIFSIGNALED(status) else "exited",
      flush=True)
print("core-dumped-string-at-0", "dumped" if os.WCOREDUMP(status) else "none", flush=True)

# mov eax, 20 (i386 getpid); int 0x80; ret
code = bytes([0xB8, 0x14, 0, 0, 0, 0xCD, 0x80, 0xC3])
m = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
m.write(code)
address = ctypes.addressof(ctypes.c_char.from_buffer(m))
note("calling int 0x80 from machine code")
r = ctypes.CFUNCTYPE(ctypes.c_int)(address)()
escaped(f"an i386 system call from native code returned {r}")
done()
