#!/usr/bin/env python3
"""Helper of bench/cortex-m4-link: one probe's line of the size table.

argv: MAP CI_OF_PROBE LIB_OBJ_DIR PROBE VERBOSE
Reads the linker map (input sections kept by --gc-sections, with their
sizes and archive members) and the -fcallgraph-info=su graphs (*.ci) of the
probe and of the library objects, prints: the library's .text+.rodata and
.data+.bss, libc+libgcc's .text+.rodata, the probe's .bss, the deepest
stack chain from main."""
import glob
import re
import sys

map_path, probe_ci, lib_dir, probe, verbose = sys.argv[1:6]
text = open(map_path).read()
lines = text[text.index('Linker script and memory map'):].split('\n')
sizes = {'lib_ro': 0, 'lib_rw': 0, 'libc_ro': 0, 'probe_bss': 0}
kept_funcs = set()
members = {}
funcs = []
detail = []
sec_re = re.compile(r'^ (\.\S+)(?:\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S+))?\s*$')
for i, l in enumerate(lines):
    m = sec_re.match(l)
    if not m:
        continue
    name = m.group(1)
    if m.group(2) is None:  # a long name alone: address, size, file on the next line
        n = lines[i + 1].split() if i + 1 < len(lines) else []
        if len(n) < 3 or not n[0].startswith('0x'):
            continue
        size, src = int(n[1], 16), n[2]
    else:
        size, src = int(m.group(3), 16), m.group(4)
    if size == 0:
        continue
    ro = name.startswith(('.text', '.rodata'))
    rw = name.startswith(('.data', '.bss', 'COMMON'))
    if 'libmailproto.a' in src:
        if ro:
            sizes['lib_ro'] += size
            members[src.split('(')[-1].rstrip(')')] = members.get(src.split('(')[-1].rstrip(')'), 0) + size
            if name.startswith('.text.'):
                kept_funcs.add(name[len('.text.'):])
            funcs.append((size, name, src.split('(')[-1].rstrip(')')))
        elif rw:
            sizes['lib_rw'] += size
            detail.append('  library %s %d (%s)' % (name, size, src))
    elif re.search(r'lib(c_nano|gcc)\.a', src) and ro:
        sizes['libc_ro'] += size
    elif src.endswith(probe + '.o'):
        if name.startswith('.bss') or name.startswith('.data'):
            sizes['probe_bss'] += size
            detail.append('  %-30s %6d' % (name.split('.', 2)[-1], size))
        if name.startswith('.text.'):
            kept_funcs.add(name[len('.text.'):])

# Call graph: node title -> own stack bytes; edges title -> [title].
node_re = re.compile(r'node: \{ title: "([^"]+)" label: "[^"]*\\n(\d+) bytes \((\w+)')
edge_re = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
own, calls, dynamic = {}, {}, set()
for ci in [probe_ci] + glob.glob(lib_dir + '/**/*.ci', recursive=True):
    for l in open(ci):
        m = node_re.search(l)
        if m:
            own[m.group(1)] = int(m.group(2))
            if m.group(3) != 'static':
                dynamic.add(m.group(1))
            continue
        m = edge_re.search(l)
        if m:
            calls.setdefault(m.group(1), []).append(m.group(2))


def base(title):
    return title.rsplit(':', 1)[-1]


# Only what the link kept (-ffunction-sections: one .text.<name> each).
kept = {t for t in own if base(t) in kept_funcs}
called = {c for t in kept for c in calls.get(t, []) if c != '__indirect_call'}
indirect_targets = sorted(t for t in kept if t not in called and base(t) != 'main')


def deep_fn(indirect):
    """Deepest chain from a node; an indirect call reaches `indirect`
    bytes (0: not followed).  Direct calls only form a DAG (no recursion
    in the library or the probes)."""
    memo = {}

    def deep(t):
        if t not in memo:
            memo[t] = 0  # a cycle would count once, not loop
            best = 0
            for c in calls.get(t, []):
                if c == '__indirect_call':
                    best = max(best, indirect)
                elif c in own:
                    best = max(best, deep(c))
            memo[t] = own.get(t, 0) + best
        return memo[t]
    return deep


# One level of indirection: the session calls a host callback (or an ops
# table's function) that calls into the session again, whose own indirect
# calls are not followed a second time.
deep0 = deep_fn(0)
deep = deep_fn(max([deep0(t) for t in indirect_targets] + [0]))
stack = deep('main')
flag = ' (dynamic stack in %s)' % ','.join(sorted(dynamic & kept)) if dynamic & kept else ''
print('%7d %7d %9d %6d %6d  %s%s' % (sizes['lib_ro'], sizes['lib_rw'], sizes['libc_ro'],
                                     sizes['probe_bss'], stack, probe, flag))
if verbose == '1':
    print('\n'.join(detail))
    for m, n in sorted(members.items(), key=lambda kv: -kv[1]):
        print('  %6d  %s' % (n, m))
if verbose == '2':
    print('  own stack of the kept functions (bytes), largest first:')
    for t in sorted(kept, key=lambda t: -own[t])[:8]:
        print('  %6d  %s' % (own[t], base(t)))
    for n, name, m in sorted(funcs, reverse=True):
        print('  %6d  %-50s %s' % (n, name, m))
