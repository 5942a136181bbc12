#!/usr/bin/python3
"""Turns `swanctl --list-sas --pretty` output (stdin) into JSON (stdout): a list of IKE SAs, each
the dict of its fields plus "name" (the connection), with "child-sas" as a list of dicts (each
plus "key", e.g. "net-1"). Several IKE SAs of one connection (e.g. during a rekey) stay apart.

The pretty format is one item per line: `key = value`, `key {` ... `}`, `key = [` ... `]`.
"""
import json
import sys


def parse(lines):
    root = {}
    stack = [root]
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        top = stack[-1]
        if line == "}" or line == "]":
            stack.pop()
        elif line.endswith("{"):
            key = line[:-1].strip()
            node = {}
            # repeated sections (events) become lists
            if key in top:
                if not isinstance(top[key], list) or not top.get("__list__" + key):
                    top[key] = [top[key]]
                    top["__list__" + key] = True
                top[key].append(node)
            else:
                top[key] = node
            stack.append(node)
        elif line.endswith("= ["):
            key = line[:-3].strip()
            node = []
            top[key] = node
            stack.append(node)
        elif isinstance(top, list):
            top.append(line)
        elif " = " in line:
            key, value = line.split(" = ", 1)
            top[key.strip()] = value
        elif line.endswith(" ="):
            top[line[:-2].strip()] = ""
    return root


def main():
    root = parse(sys.stdin.read().splitlines())
    events = root.get("list-sa event", [])
    if isinstance(events, dict):
        events = [events]
    sas = []
    for event in events:
        for name, sa in event.items():
            if name.startswith("__list__") or not isinstance(sa, dict):
                continue
            sa = dict(sa)
            sa["name"] = name
            children = []
            for key, child in (sa.get("child-sas") or {}).items():
                if isinstance(child, dict):
                    child = dict(child)
                    child["key"] = key
                    children.append(child)
            sa["child-sas"] = children
            sas.append(sa)
    json.dump(sas, sys.stdout)


if __name__ == "__main__":
    main()
