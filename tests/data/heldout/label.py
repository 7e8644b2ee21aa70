#!/usr/bin/env python3
"""Writes SOURCE.log_structured.csv (LineId,Content,EventId,EventTemplate) from SOURCE.log
and the hand-written SOURCE.templates: each line must match exactly one template (`<*>`
matches any text), else the script stops and names the line."""
import csv, re, sys

def regex(template):
    parts = [re.escape(p) for p in template.split("<*>")]
    return re.compile("^" + "(.*?)".join(parts) + "$")

def main(source):
    templates = [t.rstrip("\n") for t in open(f"{source}.templates") if t.strip()]
    compiled = [regex(t) for t in templates]
    lines = open(f"{source}.log", encoding="utf-8").read().splitlines()
    with open(f"{source}.log_structured.csv", "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["LineId", "Content", "EventId", "EventTemplate"])
        for n, line in enumerate(lines, 1):
            hits = [i for i, r in enumerate(compiled) if r.match(line.rstrip())]
            if len(hits) != 1:
                sys.exit(f"{source}.log:{n}: {len(hits)} templates match: {line[:120]}")
            w.writerow([n, line, f"E{hits[0] + 1}", templates[hits[0]]])

for s in sys.argv[1:]:
    main(s)
