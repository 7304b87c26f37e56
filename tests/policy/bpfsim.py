"""bpfsim.py - a small classic-BPF interpreter for seccomp filters.

It runs a filter the way the kernel's seccomp does (kernel/seccomp.c,
net/core/filter.c), on a struct seccomp_data built here, without loading
anything: no root, no seccomp(2).  It knows the instructions the kernel
accepts in a seccomp filter and refuses every other one, so an opcode it
does not understand fails the test instead of being guessed at.

    action = run(program, nr=39, arch=AUDIT_ARCH_X86_64, args=(0,))
    action_name(action)  ->  "ALLOW", "NOTIFY", "ERRNO(ENOSYS)", ...
"""
import errno
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
AUDIT_ARCH_I386 = 0x40000003
AUDIT_ARCH_AARCH64 = 0xC00000B7
X32_SYSCALL_BIT = 0x40000000

# struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer;
#                       __u64 args[6]; }, little endian: 64 bytes.
SECCOMP_DATA = struct.Struct("<iIQ6Q")
BPF_MAXINSNS = 4096
U32 = 0xFFFFFFFF

# Instruction classes (code & 0x07)
LD, LDX, ST, STX, ALU, JMP, RET, MISC = range(8)
# Size (code & 0x18) and mode (code & 0xe0) of loads
W = 0x00
IMM, ABS, MEM, LEN = 0x00, 0x20, 0x60, 0x80
# Operand source (code & 0x08): the constant k or the register X
K, X = 0x00, 0x08
# RET value (code & 0x18): k or A
RET_K, RET_A = 0x00, 0x10
# MISC operations (code & 0xf8)
TAX, TXA = 0x00, 0x80

ALU_OPS = {
    0x00: lambda a, b: a + b,   # ADD
    0x10: lambda a, b: a - b,   # SUB
    0x20: lambda a, b: a * b,   # MUL
    0x30: lambda a, b: a // b,  # DIV
    0x40: lambda a, b: a | b,   # OR
    0x50: lambda a, b: a & b,   # AND
    0x60: lambda a, b: a << b if b < 32 else 0,  # LSH
    0x70: lambda a, b: a >> b,  # RSH
    0x80: lambda a, b: -a,      # NEG
    0x90: lambda a, b: a % b,   # MOD
    0xA0: lambda a, b: a ^ b,   # XOR
}
JMP_TESTS = {
    0x10: lambda a, b: a == b,      # JEQ
    0x20: lambda a, b: a > b,       # JGT
    0x30: lambda a, b: a >= b,      # JGE
    0x40: lambda a, b: a & b != 0,  # JSET
}
JA = 0x00

# Return values (SECCOMP_RET_*): the action is the top 16 bits (the kernel's
# SECCOMP_RET_ACTION_FULL), the data the low 16 (an errno for ERRNO).
ACTIONS = {
    0x80000000: "KILL_PROCESS",
    0x00000000: "KILL_THREAD",
    0x00030000: "TRAP",
    0x00050000: "ERRNO",
    0x7FC00000: "NOTIFY",  # SECCOMP_RET_USER_NOTIF
    0x7FF00000: "TRACE",
    0x7FFC0000: "LOG",
    0x7FFF0000: "ALLOW",
}


class BpfError(Exception):
    """A program the kernel would refuse, or that this simulator cannot run."""


def decode(program):
    """The bytes of a sock_filter array as a list of (code, jt, jf, k)."""
    if not program or len(program) % 8:
        raise BpfError(f"program of {len(program)} bytes: not a whole number "
                       "of 8-byte instructions")
    if len(program) // 8 > BPF_MAXINSNS:
        raise BpfError(f"{len(program) // 8} instructions: over {BPF_MAXINSNS}")
    return list(struct.iter_unpack("<HBBI", program))


def seccomp_data(nr, arch=AUDIT_ARCH_X86_64, ip=0, args=()):
    """The 64 bytes the filter reads: args beyond those given are 0."""
    args = [a & 0xFFFFFFFFFFFFFFFF for a in args] + [0] * (6 - len(args))
    if len(args) != 6:
        raise ValueError("a system call has at most 6 arguments")
    nr = nr & U32
    return SECCOMP_DATA.pack(nr - (1 << 32) if nr >> 31 else nr, arch, ip,
                             *args)


def run(program, nr, arch=AUDIT_ARCH_X86_64, ip=0, args=()):
    """Runs a filter (bytes or decoded list) on one call; returns the 32-bit
    value it returns, as the kernel would get it."""
    insns = decode(program) if isinstance(program, (bytes, bytearray)) else program
    data = seccomp_data(nr, arch, ip, args)
    a = x = 0
    mem = [0] * 16  # the scratch memory M[]
    pc = 0
    while True:
        if not 0 <= pc < len(insns):
            raise BpfError(f"pc {pc} runs off a program of {len(insns)} "
                           "instructions")
        code, jt, jf, k = insns[pc]
        cls = code & 0x07
        where = f"instruction {pc} (code {code:#06x}, k {k:#x})"
        pc += 1
        if cls in (LD, LDX):
            size, mode = code & 0x18, code & 0xE0
            if size != W:
                raise BpfError(f"{where}: only 32-bit loads are allowed")
            if cls == LD and mode == ABS:
                if k % 4 or k + 4 > len(data):
                    raise BpfError(f"{where}: load outside seccomp_data")
                value = struct.unpack_from("<I", data, k)[0]
            elif mode == IMM:
                value = k
            elif mode == MEM and k < 16:
                value = mem[k]
            elif mode == LEN:
                value = len(data)
            else:
                raise BpfError(f"{where}: load mode not allowed in seccomp")
            if cls == LD:
                a = value
            else:
                x = value
        elif cls in (ST, STX):
            if code & 0xF8 or k >= 16:
                raise BpfError(f"{where}: bad store")
            mem[k] = a if cls == ST else x
        elif cls == ALU:
            op, b = code & 0xF0, (x if code & 0x08 == X else k)
            if op not in ALU_OPS:
                raise BpfError(f"{where}: unknown ALU operation")
            if op in (0x30, 0x90) and b == 0:
                return 0  # the kernel's answer to a division by zero
            a = ALU_OPS[op](a, b) & U32
        elif cls == JMP:
            op = code & 0xF0
            if op == JA:
                if code & 0x08:
                    raise BpfError(f"{where}: JA takes no register")
                pc += k
            elif op in JMP_TESTS:
                b = x if code & 0x08 == X else k
                pc += jt if JMP_TESTS[op](a, b) else jf
            else:
                raise BpfError(f"{where}: unknown jump")
        elif cls == RET:
            rval = code & 0x18
            if code & 0xE0 or rval not in (RET_K, RET_A):
                raise BpfError(f"{where}: seccomp returns k or A only")
            return k if rval == RET_K else a
        else:  # MISC
            op = code & 0xF8
            if op == TAX:
                x = a
            elif op == TXA:
                a = x
            else:
                raise BpfError(f"{where}: unknown MISC operation")


def action_name(value):
    """ALLOW, NOTIFY, ERRNO(ENOSYS), KILL_PROCESS ... for a filter's value."""
    action, data = value & 0xFFFF0000, value & 0xFFFF
    name = ACTIONS.get(action)
    if name is None:
        return f"UNKNOWN({value:#010x})"  # the kernel kills the process
    if name == "ERRNO":
        return f"ERRNO({errno.errorcode.get(data, data)})"
    if name == "TRACE" and data:
        return f"TRACE({data})"
    return name
