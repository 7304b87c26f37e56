# PY-06 file-type-reconstruction: get the file type back from an object
# that has it (sys.stdout's raw FileIO, an open file's type, its bound
# methods) and open the host's files with it.  It works, and the kernel
# answers as for open(): the secret is not in the sandbox (ENOENT),
# /canary-ro is read-only (EROFS).
import sys


class Refused(Exception):
    """The trick did not work."""


def must(cond):
    if not cond:
        raise Refused


# Buffered stdout has its FileIO below; unbuffered (python3 -u, the python
# profile) its binary layer is the FileIO.
FileIO = type(getattr(sys.stdout.buffer, "raw", sys.stdout.buffer))
report("type-of-stdout-raw", lambda: must(FileIO.__name__ == "FileIO"))
f = open("/etc/hostname", "rb", buffering=0)
report("type-of-open-file", lambda: must(type(f) is FileIO))
reopen = type(f).__init__
report("payoff-read-secret", lambda: FileIO(canary("SECRET")).read())
report("payoff-write-host", lambda: FileIO(canary("RO") + "/pwned", "w").write(b"x"))
# A file of the canary with mode 0666 on the host: the mount still refuses.
report("payoff-write-host-existing",
       lambda: FileIO(canary("RO") + "/writable-looking", "r+").write(b"x"))
# __init__ of an open file object, called again on a new path.
report("payoff-reinit-secret", lambda: (reopen(f, canary("SECRET")), f.read()))
report("payoff-reinit-write-host", lambda: reopen(f, canary("RO") + "/pwned", "w"))
done()
