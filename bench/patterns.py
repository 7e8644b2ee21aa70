#!/usr/bin/env python3
"""Helpers for bench/patterns.sh.

usage: patterns.py content STRUCTURED_CSV OUT_TXT   the Content column, one message a line
       patterns.py drain3 IN_TXT OUT_CSV            Drain3 (its example config: masks, sim_th
                                                    0.4, depth 4, '_' delimiter; profiling off)
                                                    on each line; writes LineId,EventId and
                                                    prints "lines=N seconds=S" (mining only)
"""
import csv, os, sys, tempfile, time

EXAMPLE_INI = r"""
[MASKING]
masking = [
          {"regex_pattern":"((?<=[^A-Za-z0-9])|^)(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))((?=[^A-Za-z0-9])|$)", "mask_with": "ID"},
          {"regex_pattern":"((?<=[^A-Za-z0-9])|^)(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})((?=[^A-Za-z0-9])|$)", "mask_with": "IP"},
          {"regex_pattern":"((?<=[^A-Za-z0-9])|^)([0-9a-f]{6,} ?){3,}((?=[^A-Za-z0-9])|$)", "mask_with": "SEQ"},
          {"regex_pattern":"((?<=[^A-Za-z0-9])|^)([0-9A-F]{4} ?){4,}((?=[^A-Za-z0-9])|$)", "mask_with": "SEQ"},
          {"regex_pattern":"((?<=[^A-Za-z0-9])|^)(0x[a-f0-9A-F]+)((?=[^A-Za-z0-9])|$)", "mask_with": "HEX"},
          {"regex_pattern":"((?<=[^A-Za-z0-9])|^)([\\-\\+]?\\d+)((?=[^A-Za-z0-9])|$)", "mask_with": "NUM"},
          {"regex_pattern":"(?<=executed cmd )(\".+?\")", "mask_with": "CMD"}
          ]
mask_prefix = <:
mask_suffix = :>

[DRAIN]
sim_th = 0.4
depth = 4
max_children = 100
max_clusters = 1024
extra_delimiters = ["_"]

[PROFILING]
enabled = False
"""


def content(structured, out):
    with open(structured, newline='', encoding='utf-8', errors='replace') as f, \
            open(out, 'w', encoding='utf-8') as o:
        for row in csv.DictReader(f):
            o.write(row['Content'].replace('\n', ' ') + '\n')


def drain3(src, out):
    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig
    with tempfile.NamedTemporaryFile('w', suffix='.ini', delete=False) as ini:
        ini.write(EXAMPLE_INI)
    config = TemplateMinerConfig()
    config.load(ini.name)
    os.unlink(ini.name)
    miner = TemplateMiner(config=config)
    with open(src, encoding='utf-8', errors='replace') as f:
        lines = f.read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    start = time.perf_counter()
    ids = [miner.add_log_message(line)['cluster_id'] for line in lines]
    seconds = time.perf_counter() - start
    with open(out, 'w', newline='') as o:
        w = csv.writer(o)
        w.writerow(['LineId', 'EventId'])
        for n, cid in enumerate(ids, 1):
            w.writerow([n, cid])
    print(f"lines={len(lines)} seconds={seconds:.4f}")


if __name__ == '__main__':
    if len(sys.argv) != 4 or sys.argv[1] not in ('content', 'drain3'):
        sys.exit(__doc__)
    {'content': content, 'drain3': drain3}[sys.argv[1]](sys.argv[2], sys.argv[3])
