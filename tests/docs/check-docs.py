#!/usr/bin/env python3
"""Checks that keep the documentation true (docs/README.md):

 1. Every relative link in README.md, CHANGELOG.md, fuzz/README.md and
    docs/*.md resolves to a file of the repository, and none of them leaves
    it (no absolute path, no link above the top; web links are not allowed
    in README.md and docs/).
 2. Every C block of a guide marked <!-- excerpt: examples/NAME.c --> is a
    verbatim piece of docs/examples/NAME.c, so the guides cannot drift from
    the programs that ctest runs.
 3. Every public header's opening comment names its guide (a docs/....md
    that exists).
 4. No file of the repository points at the team's notes outside it.
"""
import os
import re
import subprocess
import sys

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
errors = []


def rel(p):
    return os.path.relpath(p, root)


def read(p):
    with open(p, encoding="utf-8") as f:
        return f.read()


# ---- 1. links --------------------------------------------------------------
md_files = [os.path.join(root, "README.md"), os.path.join(root, "CHANGELOG.md"),
            os.path.join(root, "fuzz", "README.md")]
md_files += sorted(os.path.join(root, "docs", f) for f in os.listdir(os.path.join(root, "docs"))
                   if f.endswith(".md"))
link_re = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
for md in md_files:
    if not os.path.exists(md):
        errors.append(f"{rel(md)}: missing")
        continue
    text = read(md)
    for target in link_re.findall(text):
        if re.match(r"^[a-z]+:", target):
            if rel(md) == "README.md" or rel(md).startswith("docs"):
                errors.append(f"{rel(md)}: link leaves the repository: {target}")
            continue
        if target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        if path.startswith("/"):
            errors.append(f"{rel(md)}: absolute link {target}")
            continue
        full = os.path.normpath(os.path.join(os.path.dirname(md), path))
        if not (full + os.sep).startswith(root + os.sep) and full != root:
            errors.append(f"{rel(md)}: link outside the repository: {target}")
        elif not os.path.exists(full):
            errors.append(f"{rel(md)}: broken link {target}")

# ---- 2. excerpts -------------------------------------------------------------
excerpt_re = re.compile(r"<!-- excerpt: (examples/[\w.-]+) -->\s*\n```c\n(.*?)\n```", re.S)
n_excerpts = 0
for md in md_files:
    if not os.path.exists(md) or not rel(md).startswith("docs"):
        continue
    for src, block in excerpt_re.findall(read(md)):
        n_excerpts += 1
        path = os.path.join(root, "docs", src)
        if not os.path.exists(path):
            errors.append(f"{rel(md)}: excerpt from missing {src}")
        elif block not in read(path):
            first = block.splitlines()[0] if block else ""
            errors.append(f"{rel(md)}: excerpt not found verbatim in docs/{src}: {first!r}")

# ---- 3. headers name their guide ---------------------------------------------
inc = os.path.join(root, "include", "mailproto")
for h in sorted(os.listdir(inc)):
    if not h.endswith(".h"):
        continue
    text = read(os.path.join(inc, h))
    m = re.match(r"\s*/\*(.*?)\*/", text, re.S)
    named = re.findall(r"docs/[\w.-]+\.md", m.group(1)) if m else []
    if not named:
        errors.append(f"include/mailproto/{h}: opening comment names no guide (docs/....md)")
    for g in named:
        if not os.path.exists(os.path.join(root, g)):
            errors.append(f"include/mailproto/{h}: names {g}, which does not exist")

# ---- 4. nothing points outside --------------------------------------------------
outside = [".." + "/shared", "/work" + "/shared"]
try:
    files = subprocess.run(["git", "-C", root, "ls-files", "-co", "--exclude-standard"],
                           check=True, capture_output=True, text=True).stdout.split("\n")
except (OSError, subprocess.CalledProcessError):
    files = [rel(os.path.join(d, f)) for d, dirs, fs in os.walk(root)
             for f in fs if "/build" not in d and "/.git" not in d]
for f in files:
    p = os.path.join(root, f)
    if not f or not os.path.isfile(p):
        continue
    with open(p, "rb") as fh:
        data = fh.read()
    for o in outside:
        if o.encode() in data:
            errors.append(f"{f}: points outside the repository ({o})")

for e in errors:
    print(e)
print(f"docs check: {len(md_files)} documents, {n_excerpts} excerpts, "
      f"{len(os.listdir(inc))} headers, {len(files)} files: "
      + ("ok" if not errors else f"{len(errors)} problem(s)"))
sys.exit(1 if errors else 0)
