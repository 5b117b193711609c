#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a CloudBees CD-shaped property listing of about SIZE bytes to OUT.

    gen_listing.py SIZE OUT        (SIZE in bytes, or with a K/M suffix: 20M, 1M)

The shape is what getProperties answers: {"propertySheet": {..., "property": [ {...}, ... ]}}
with the fields CD sends for each property (ids, names, paths, owners, ISO times, all as
strings). Values and descriptions mix plain ASCII, escapes (\\" \\\\ \\n \\t \\/ \\uXXXX,
surrogate pairs) and raw non-ASCII UTF-8 (Latin, CJK, emoji), as real job output does.
Deterministic (fixed seed), so runs compare like with like. Benchmark input only: written
under build/, never committed."""
import json
import random
import sys

WORDS = ("build deploy release artifact version job step procedure pipeline stage task "
         "server agent resource workspace commit branch tag config timeout retry status "
         "success warning error").split()
NON_ASCII = ["Größe", "café", "naïve", "Ærøskøbing", "日本語のテキスト", "构建成功", "проверка",
             "ελληνικά", "🚀", "✅ done", "Zürich–Genève", "ﬁle", "𝄞 clef"]
ESCAPED = ['say "hi"', "C:\\builds\\out", "line1\nline2", "col1\tcol2", "a/b/c",
           "bell\u0007", "nul-free \u001f unit sep"]
USERS = ["admin", "jenkins", "svc-release", "maria.lopez", "kenji.tanaka"]


def words(rnd, lo, hi):
    return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(lo, hi)))


def value_text(rnd):
    roll = rnd.random()
    if roll < 0.35:
        return words(rnd, 1, 6)
    if roll < 0.55:
        return rnd.choice(NON_ASCII) + " " + words(rnd, 0, 3)
    if roll < 0.75:
        return words(rnd, 0, 2) + " " + rnd.choice(ESCAPED)
    if roll < 0.9:
        return str(rnd.randint(0, 10 ** rnd.randint(1, 12)))
    return "%d.%d.%d" % (rnd.randint(0, 9), rnd.randint(0, 30), rnd.randint(0, 999))


def iso_time(rnd):
    return "20%02d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        rnd.randint(18, 25), rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23),
        rnd.randint(0, 59), rnd.randint(0, 59), rnd.randint(0, 999))


def uuid(rnd):
    h = "%032x" % rnd.getrandbits(128)
    return "-".join((h[:8], h[8:12], h[12:16], h[16:20], h[20:]))


def prop(rnd, i, sheet_path):
    name = "%s_%05d" % (rnd.choice(WORDS), i)
    ascii_only = rnd.random() < 0.3  # some servers/proxies send \\u escapes, not raw UTF-8
    desc = "" if rnd.random() < 0.5 else value_text(rnd) + " " + words(rnd, 3, 12)
    fields = {
        "propertyId": uuid(rnd),
        "propertyName": name,
        "value": value_text(rnd),
        "expandable": rnd.choice(["0", "1"]),
        "createTime": iso_time(rnd),
        "modifyTime": iso_time(rnd),
        "lastModifiedBy": rnd.choice(USERS),
        "owner": rnd.choice(USERS),
        "path": sheet_path + "/" + name,
        "description": desc,
    }
    return json.dumps(fields, ensure_ascii=ascii_only)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen_listing.py SIZE OUT")
    size = sys.argv[1].upper()
    mult = {"K": 1024, "M": 1024 * 1024}.get(size[-1:], 1)
    target = int(size.rstrip("KM")) * mult
    rnd = random.Random(20260101)
    sheet = "/projects/Default/procedures/Release/propertySheet"
    head = '{"propertySheet": {"propertySheetId": "%s", "owner": "admin", "property": [' % uuid(rnd)
    tail = "]}}\n"
    parts, used, i = [], len(head) + len(tail), 0
    while True:
        p = prop(rnd, i, sheet)
        extra = len(p.encode()) + (2 if parts else 0)
        if used + extra > target and parts:
            break
        parts.append(p)
        used += extra
        i += 1
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(head + ", ".join(parts) + tail)


if __name__ == "__main__":
    main()
