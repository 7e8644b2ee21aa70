#!/usr/bin/env python3
"""Writes SOURCE.log_structured.csv (LineId,Content,EventId,EventTemplate) from SOURCE.log
and the hand-written SOURCE.templates: each line must match exactly one template (`<*>`
matches any text), else the script stops and names the line.

Set 1's script, with two changes made before any scoring of set 2:
- lines are split as `uc logs patterns` splits them (at `\\n` only, one trailing `\\r`
  dropped, invalid UTF-8 replaced), so a `\\r` inside a line (apt's progress output)
  does not make two lines;
- a template written `re:REGEX` is a Python regex matched against the whole line, for
  the shapes `<*>` cannot tell apart (a line of carets under a source line; a blank line
  is `re:`)."""
import csv, re, sys

def regex(template):
    if template.startswith("re:"):
        return re.compile("^(?:" + template[3:] + ")$")
    parts = [re.escape(p) for p in template.split("<*>")]
    return re.compile("^" + "(.*?)".join(parts) + "$")

def lines_of(path):
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [l.removesuffix(b"\r").decode("utf-8", "replace") for l in lines]

def main(source):
    templates = [t.rstrip("\n") for t in open(f"{source}.templates") if t.strip()]
    compiled = [regex(t) for t in templates]
    lines = lines_of(f"{source}.log")
    with open(f"{source}.log_structured.csv", "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["LineId", "Content", "EventId", "EventTemplate"])
        for n, line in enumerate(lines, 1):
            hits = [i for i, r in enumerate(compiled) if r.match(line.rstrip())]
            if len(hits) != 1:
                sys.exit(f"{source}.log:{n}: {len(hits)} templates match: {line[:120]!r}")
            w.writerow([n, line, f"E{hits[0] + 1}", templates[hits[0]]])

for s in sys.argv[1:]:
    main(s)
