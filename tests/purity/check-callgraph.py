#!/usr/bin/env python3
"""Recursion and stack checks over gcc's -fcallgraph-info=su output.

Usage: check-callgraph.py MAX_FRAME_BYTES FILE.ci...
Fails when any function in lib/ is part of a call cycle (no recursion,
docs/architecture.md) or when a frame exceeds MAX_FRAME_BYTES.  Prints the largest
frames.  Calls through function pointers (callbacks, hash vtables) do not
appear in the graph; lib/ never calls back into itself through them.
"""
import re
import sys

limit = int(sys.argv[1])
edges, frames = {}, {}
node_re = re.compile(r'node:\s*\{\s*title:\s*"([^"]+)"\s*label:\s*"([^"]*)"')
edge_re = re.compile(r'edge:\s*\{\s*sourcename:\s*"([^"]+)"\s*targetname:\s*"([^"]+)"')
for path in sys.argv[2:]:
    text = open(path, encoding="utf-8", errors="replace").read()
    for title, label in node_re.findall(text):
        m = re.search(r"(\d+) bytes", label)
        if m:
            frames[title] = int(m.group(1))
        edges.setdefault(title, set())
    for src, dst in edge_re.findall(text):
        edges.setdefault(src, set()).add(dst)

# Iterative DFS for cycles (the checker itself does not recurse either).
WHITE, GREY, BLACK = 0, 1, 2
color = {n: WHITE for n in edges}
cycles = []
for root in list(edges):
    if color[root] != WHITE:
        continue
    stack = [(root, iter(sorted(edges[root])))]
    color[root] = GREY
    while stack:
        node, it = stack[-1]
        nxt = next(it, None)
        if nxt is None:
            color[node] = BLACK
            stack.pop()
            continue
        if nxt not in edges:
            continue
        if color.get(nxt) == GREY:
            cycles.append(nxt)
        elif color.get(nxt) == WHITE:
            color[nxt] = GREY
            stack.append((nxt, iter(sorted(edges[nxt]))))

top = sorted(frames.items(), key=lambda kv: -kv[1])[:5]
print("largest frames:", ", ".join(f"{k.split(':')[-1]} {v} B" for k, v in top))
bad = 0
if cycles:
    print("recursion through:", ", ".join(sorted(set(cycles))))
    bad = 1
over = [k for k, v in frames.items() if v > limit]
if over:
    print(f"frames over {limit} bytes:", ", ".join(over))
    bad = 1
if not bad:
    print(f"callgraph: {len(edges)} functions, no recursion, every frame <= {limit} bytes")
sys.exit(bad)
