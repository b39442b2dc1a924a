#!/usr/bin/env python3
"""Runs a command and writes the peak of its process tree's summed RSS.

    python3 benches/segmentation/treepeak.py OUT_FILE command...

GNU time's "Maximum resident set size" is that of the largest single process of the tree
(getrusage of the children is a maximum, not a sum); clic runs the model in a process of
its own and the Python pipeline may fork workers, so this samples every 0.1 s the RSS of
the command and all its descendants (/proc/PID/status VmRSS), sums them, and writes the
largest sum in KiB to OUT_FILE. The command's exit status is returned.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def tree_rss_kib(root: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as f:
                ppid, kib = 0, 0
                for line in f:
                    if line.startswith("PPid:"):
                        ppid = int(line.split()[1])
                    elif line.startswith("VmRSS:"):
                        kib = int(line.split()[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(name))
        rss[int(name)] = kib
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def main() -> int:
    out, cmd = sys.argv[1], sys.argv[2:]
    proc = subprocess.Popen(cmd)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kib(proc.pid))
        time.sleep(0.1)
    with open(out, "w") as f:
        f.write(f"{peak}\n")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
