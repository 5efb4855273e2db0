#!/usr/bin/python3
"""Reads a server log written with log_line_prefix '%m [%p] %e ' and
log_error_verbosity = verbose (make fuzz) and reports crashes and internal
errors (XX000).  An XX000 is ours when its LOCATION is a function of this
extension (Mx*, or an SQL entry point) or its statement or context calls one
of the extension's functions or the smith.* wrappers.  Exit status 1 when
the server crashed or an XX000 is ours; XX000s of PostgreSQL's own functions
on sqlsmith's random input are counted and shown, not failed.
"""
import re
import sys

PREFIX = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \w+ \[(\d+)\] (\w{5}) (\w+):\s+(.*)$')
CRASH = re.compile(r'terminated by signal|PANIC|TRAP:')
OURS_LOCATION = re.compile(
    r'LOCATION:\s+(Mx\w+|prefetch_related\w*|prefetch_batch|select_related|fetch_related\w*|'
    r'explain_related|register_relation|unregister_relation|relations_all|stats|cache_reset|'
    r'forget_dropped_relations),')
OURS_CALL = re.compile(
    r'(matrx_relations\.\w+|smith\.(load_\w+|prefetch_\w+|select_\w+|fetch_\w+|explain))\s*\(')


def main(path):
    crashes = []
    records = []            # XX000 errors: lists of lines
    current = None
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if CRASH.search(line):
                crashes.append(line)
            m = PREFIX.match(line)
            if m:
                pid, state, level, _ = m.groups()
                if state == 'XX000' and level == 'ERROR':
                    current = [line]
                    records.append(current)
                    current_pid = pid
                elif current is not None and state == 'XX000' and pid == current_pid:
                    current.append(line)
                else:
                    current = None
            elif current is not None:
                current.append(line)     # a statement's continuation lines
    ours = [r for r in records if any(OURS_LOCATION.search(l) for l in r) or OURS_CALL.search('\n'.join(r))]
    print('smithlog: %d internal errors (XX000), %d of them in or around matrx_relations; %s'
          % (len(records), len(ours), 'server crashed' if crashes else 'no crash'))
    shown = set()
    for r in records:
        if r in ours:
            continue
        msg = PREFIX.match(r[0]).group(4)
        if msg not in shown:
            shown.add(msg)
            print('  PostgreSQL\'s own XX000 (not failed): %s' % msg[:200])
    for r in ours:
        print('OUR XX000:\n' + '\n'.join(r[:40]))
    for c in crashes[:20]:
        print('CRASH: ' + c[:2000])
    return 1 if crashes or ours else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
