# SPDX-License-Identifier: MIT
"""bench/chart.py - bench/results.svg: the ratios of `make bench` as a small bar chart
(hand-written SVG, log scale, 1 = parity, > 1 = cdrest better; whiskers: min-max of the
pair-by-pair ratios; ticks: the issue's targets).
    python3 bench/chart.py [results.json [out.svg]]
"""
import json
import math
import os
import sys
from xml.sax.saxutils import escape


def bars(res):
    E = res["experiments"]
    cg = res["callgrind"]

    def r(key, peer):
        x = E[key]["ratios"].get(peer)
        return (x["median"], x["min"], x["max"]) if x else None

    out = [
        ("HTTPS keep-alive vs libcurl", r("https_keepalive", "libcurl"), 1.5),
        ("HTTPS keep-alive vs requests", r("https_keepalive", "requests"), 10),
        ("HTTP keep-alive vs libcurl", r("http_keepalive", "libcurl"), None),
        ("HTTP keep-alive vs requests", r("http_keepalive", "requests"), None),
        ("full handshakes RSA vs libcurl", r("rsa_full", "libcurl"), None),
        ("full handshakes ECDSA vs libcurl", r("ecdsa_full", "libcurl"), None),
        ("resumed RSA vs libcurl", r("rsa_resume", "libcurl"), None),
        ("resumed ECDSA vs libcurl", r("ecdsa_resume", "libcurl"), None),
        ("1 MiB HTTP vs libcurl", r("http_big", "libcurl"), None),
        ("1 MiB HTTPS vs libcurl", r("https_big", "libcurl"), None),
        ("CD calls vs requests", r("cd_calls", "requests"), None),
    ]
    for key, label in (("http", "instructions/req HTTP, libcurl/cdrest"),
                       ("https", "instructions/req HTTPS, libcurl/cdrest")):
        v = cg["libcurl_" + key]["per_request"] / cg["cdrest_" + key]["per_request"]
        out.append((label, (v, v, v), 3 if key == "http" else None))
    j = res["json"]["ratio"]
    if j:
        out.append(("JSON tokenizer vs jsmn strict", (j, j, j), None))
    return [b for b in out if b[1]]


def write_svg(res, path):
    items = bars(res)
    m = res["machine"]
    low = min(min(b[1][1] for b in items), 1.0) / 1.2
    high = max(max(b[1][2] for b in items), max(b[2] or 1 for b in items)) * 1.3
    lo = max([t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5) if t <= low] or [0.01])
    hi = min([t for t in (2, 5, 10, 20, 50, 100, 200, 500, 1000, 10000) if t >= high] or [10000])
    left, right, top, row = 250, 40, 96, 24
    width = 860
    plot = width - left - right
    height = top + row * len(items) + 50

    def x(v):
        return left + plot * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    s = []
    s.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
             'font-family="Helvetica, Arial, sans-serif" font-size="12">' % (width, height, width, height))
    s.append('<rect width="100%" height="100%" fill="white"/>')
    s.append('<text x="12" y="22" font-size="15" font-weight="bold">cdrest against its peers: ratios '
             '(&gt; 1 = cdrest better, log scale)</text>')
    sub = [
        "%s, %s (%s, %d vCPU), Linux %s" % (m["date"], m["arch"], m["cpu"], m["ncpu"], m["kernel"]),
        "medians of %d rounds, whiskers: min-max of the ratios pair by pair; load average %.1f at the start, "
        "%.1f at the end" % (res["rounds"], m["loadavg_start"], m["loadavg_end"]),
        "peers: libcurl %s + %s, Python requests %s, nginx %s, BearSSL %s; all on one CPU; | = target"
        % (m["versions"]["libcurl"].replace("libcurl ", ""), m["versions"]["openssl"],
           m["versions"]["requests"].split()[0], m["versions"]["nginx"], m["versions"]["bearssl"]),
    ]
    for i, line in enumerate(sub):
        s.append('<text x="12" y="%d" fill="#444">%s</text>' % (40 + 15 * i, escape(line)))
    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10000)
             if lo <= t <= hi]
    bottom = top + row * len(items)
    for t in ticks:
        s.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%s"/>'
                 % (x(t), top - 6, x(t), bottom, "#000" if t == 1 else "#ddd", "1.2" if t == 1 else "1"))
        s.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#444">%g</text>' % (x(t), bottom + 16, t))
    for i, (label, (med, mn, mx), target) in enumerate(items):
        y = top + i * row
        good = med >= (target or 1.0)
        color = "#2e7d32" if good else "#c62828"
        x0, x1 = sorted((x(1.0), x(med)))
        s.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (left - 8, y + 15, escape(label)))
        s.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" opacity="0.85"/>'
                 % (x0, y + 4, max(x1 - x0, 1), row - 8, color))
        if mx > mn:
            s.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#222"/>' % (x(mn), y + row // 2, x(mx), y + row // 2))
        if target:
            s.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000" stroke-width="2.5"/>'
                     % (x(target), y + 1, x(target), y + row - 1))
        s.append('<text x="%.1f" y="%d" fill="#222">%.2f</text>' % (max(x1, x(mx)) + 5, y + 15, med))
    s.append('<text x="%d" y="%d" fill="#444">cdrest / peer (for instructions: libcurl / cdrest)</text>'
             % (left, bottom + 34))
    s.append('</svg>')
    with open(path, "w") as f:
        f.write("\n".join(s) + "\n")


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "build", "bench", "results.json")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "results.svg")
    with open(src) as f:
        write_svg(json.load(f), out)
