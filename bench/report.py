# SPDX-License-Identifier: MIT
"""bench/report.py - the tables of `make bench` from build/bench/results.json (see bench/run.py):
results.md, the console table, and the machine-readable last lines.
    python3 bench/report.py [results.json]     reprints the table and the lines
"""
import json
import statistics
import os
import sys



# The CD row's server is the bundled emulator, which both clients wait for: its own speed
# (measured when issue 16 made it faster; not re-measured by every run).
CD_EMULATOR_NOTE = (
    "The CD row runs against the bundled emulator (tests/cdemu.py), whose Python time is most of cdrest's "
    "side of a pair. Issue 16 made the emulator itself faster, with the same behaviour: 732,015 -> 514,884 -> 250,539 "
    "instructions per setProperty+getProperty pair served to cdrest's client (-66% in two rounds; Python 3.11; callgrind, "
    "(Ir(501 pairs) - Ir(1 pair)) / 500), and 4 -> 2 system calls per request (no poll() before each recv() "
    "and send(); tests/t_budgets.sh). Both clients' rows gain from it; the requests client, whose own Python "
    "time dominates its side, gains less, so the ratio rises.\n")

def num(x, unit=""):
    if x is None:
        return "-"
    if abs(x) >= 100:
        s = "{:,.0f}".format(x)
    elif abs(x) >= 10:
        s = "%.1f" % x
    else:
        s = "%.2f" % x
    return s + unit


def kib(n):
    return "{:,.1f} KiB".format(n / 1024.0)


def mib(n):
    return "{:,.2f} MiB".format(n / 1048576.0)


def cell(exp, client):
    s = exp["clients"].get(client)
    if not s:
        return "-"
    return "%s (%s-%s)" % (num(s["median"]), num(s["min"]), num(s["max"]))


def ratio_cell(exp, client):
    r = exp["ratios"].get(client)
    if not r:
        return "-"
    return "**%.2f** (%.2f-%.2f)" % (r["median"], r["min"], r["max"])


def ratio(exp, client):
    r = exp["ratios"].get(client)
    return r["median"] if r else None


def verdict(value, target, higher=True):
    if value is None:
        return "-"
    ok = value >= target if higher else value <= target
    return "met" if ok else "NOT met"


# --- the figures the issue asks for -------------------------------------------------------------

def headline(res):
    E = res["experiments"]
    cg = res["callgrind"]
    hs = min(ratio(E["rsa_full"], "libcurl"), ratio(E["ecdsa_full"], "libcurl"))
    # cdrest's resumed ECDSA connections over its own full ones, round by round
    rf = [a / b for a, b in zip(E["ecdsa_resume"]["clients"]["cdrest"]["runs"], E["ecdsa_full"]["clients"]["cdrest"]["runs"])]
    return {
        "https_keepalive_vs_libcurl": ratio(E["https_keepalive"], "libcurl"),
        "https_keepalive_vs_requests": ratio(E["https_keepalive"], "requests"),
        "http_keepalive_vs_libcurl": ratio(E["http_keepalive"], "libcurl"),
        "handshakes_vs_libcurl": hs,
        "cd_calls_vs_requests": ratio(E["cd_calls"], "requests"),
        "instructions_libcurl_over_cdrest": cg["libcurl_http"]["per_request"] / cg["cdrest_http"]["per_request"],
        "json_vs_jsmn_strict": res["json"]["ratio"],
        "https_1mib_vs_libcurl": ratio(E["https_big"], "libcurl"),
        "resumed_vs_full_handshake": statistics.median(rf) if rf else None,
    }


def http_of_floor(res):
    f = res["experiments"]["http_keepalive"]["ratios"].get("floor")
    return f["median"] if f else None


# --- where the time goes, and what any client could reach -------------------------------------

def _runs(exp, client, key):
    sp = exp.get("split", {}).get(client)
    return sp[key]["runs"] if sp else None


def _median_pairs(a, b, f):
    if not a or not b:
        return None
    return statistics.median([f(x, y) for x, y in zip(a, b)])


def bounds(res):
    """Upper bounds on what a client could reach in the rows whose targets are not met, from the
    time split of the same runs (round by round, medians). On one pinned CPU a request's wall time
    is the client's own CPU plus the rest (the server, and the kernel's work for it). A client can
    only remove its own part, and it cannot go below what receiving the bytes costs:
      cheapest_client: the client's part is only the echo client's (bench/echo.c: one send(), one
                       recv() per round trip, no HTTP, no TLS) - for the keep-alive rows;
      best_cipher:     the client's part is what cdrest spends receiving 1 MiB over plain HTTP (no
                       copy in user space) plus OpenSSL's AES-128-GCM decryption time for 1 MiB -
                       for the 1 MiB HTTPS row (an estimate: it assumes no other work at all);
      zero_cpu:        the client's part is nothing - for the CD row."""
    E = res["experiments"]
    out = {}
    for key in ("http_keepalive", "https_keepalive"):
        e = E[key]
        rest_c, echo_cpu = _runs(e, "cdrest", "rest"), _runs(e, "floor", "cpu")
        if not rest_c or not echo_cpu:
            continue
        cheapest = [r + c for r, c in zip(rest_c, echo_cpu)]
        out[key + "_vs_libcurl_cheapest_client"] = _median_pairs(_runs(e, "libcurl", "wall"), cheapest,
                                                                lambda a, b: a / b)
        out[key + "_of_floor_cheapest_client"] = _median_pairs(_runs(e, "floor", "wall"), cheapest,
                                                              lambda a, b: a / b)
    e, cipher = E["https_big"], res.get("cipher")
    recv_http = E["http_big"].get("split", {}).get("cdrest")
    if cipher and recv_http and _runs(e, "cdrest", "rest"):
        client = recv_http["cpu"]["median"] + (1 << 20) / cipher["openssl"]["median"]
        out["https_1mib_vs_libcurl_best_cipher_client"] = _median_pairs(
            _runs(e, "libcurl", "wall"), [r + client for r in _runs(e, "cdrest", "rest")], lambda a, b: a / b)
    e = E["cd_calls"]
    out["cd_calls_vs_requests_zero_cpu_client"] = _median_pairs(_runs(e, "requests", "wall"),
                                                                _runs(e, "cdrest", "rest"), lambda a, b: a / b)
    return {k: v for k, v in out.items() if v is not None}


def split_rows(res):
    E = res["experiments"]
    rows = []
    for key, label, unit in SPEC:
        e = E[key]
        if "split" not in e:
            continue
        cells = []
        for client in ("cdrest", "libcurl", "requests"):
            sp = e["split"].get(client)
            cells.append("%s / %s" % (num(sp["cpu"]["median"] * 1e6), num(sp["rest"]["median"] * 1e6)) if sp else "-")
        fl = e["split"].get("floor")
        cells.append("%s / %s" % (num(fl["cpu"]["median"] * 1e6), num(fl["rest"]["median"] * 1e6)) if fl else "")
        rows.append([label, "us per " + PER[unit]] + cells)
    return rows


def time_split_section(res):
    E = res["experiments"]
    if "split" not in E["http_keepalive"]:
        return ""
    b = bounds(res)
    L = ["## Where the time goes (one CPU: the client's own CPU / the rest)\n",
         "Every client and server share one CPU, so a request's wall time is the client process's own CPU "
         "time (user + system, from the kernel's accounting of the finished process; start-up included) plus "
         "the rest: the server's CPU and the kernel's work done for it (and anything else that ran on that "
         "CPU). Medians over the rounds, microseconds per unit of work. A faster client can only shrink its "
         "own part; the bounds in the targets table say what the rows could reach at best:\n",
         "- *cheapest client* (keep-alive rows): a client whose own CPU is only the echo client's (one "
         "send(), one recv() of 200 bytes per round trip: no HTTP, no TLS, no liveness check), the rest "
         "unchanged: %s with HTTP, %s with HTTPS against libcurl's measured time, and %s of the echo floor "
         "over HTTP;"
         % (bound_cell(b, "http_keepalive_vs_libcurl_cheapest_client"),
            bound_cell(b, "https_keepalive_vs_libcurl_cheapest_client"),
            "%.0f%%" % (100 * b["http_keepalive_of_floor_cheapest_client"])
            if "http_keepalive_of_floor_cheapest_client" in b else "-"),
         "- *best cipher* (1 MiB HTTPS): a client that spends only what cdrest spends receiving 1 MiB over "
         "plain HTTP (no copy in user space) plus OpenSSL's own AES-128-GCM decryption time for 1 MiB: %s "
         "against libcurl (an estimate; it leaves out the TLS record handling and assumes nothing else);"
         % bound_cell(b, "https_1mib_vs_libcurl_best_cipher_client"),
         "- *zero CPU* (CD row): a client that costs nothing, against the emulator's time for cdrest: %s "
         "against requests.\n" % bound_cell(b, "cd_calls_vs_requests_zero_cpu_client")]
    L.append(md_table(["", "unit", "cdrest", "libcurl", "requests", "echo (floor)"], split_rows(res)) + "\n")
    c = res.get("cipher")
    if c:
        L.append("AES-128-GCM decryption of 16 KiB records on the same CPU (the cipher of every HTTPS row): "
                 "BearSSL %s MB/s (%s-%s; %s, what cdrest's engine runs; bench/gcm_speed.c), OpenSSL %s MB/s "
                 "(%s-%s; `openssl speed -evp aes-128-gcm -decrypt`, what libcurl's TLS runs). 1 MiB takes "
                 "BearSSL %s us and OpenSSL %s us.\n"
                 % (num(c["bearssl"]["median"] / 1e6), num(c["bearssl"]["min"] / 1e6), num(c["bearssl"]["max"] / 1e6),
                    c["bearssl_impl"], num(c["openssl"]["median"] / 1e6), num(c["openssl"]["min"] / 1e6),
                    num(c["openssl"]["max"] / 1e6), num((1 << 20) / c["bearssl"]["median"] * 1e6),
                    num((1 << 20) / c["openssl"]["median"] * 1e6)))
    return "\n".join(L)


def machine_lines(res):
    h = headline(res)
    fp = res["footprint"]
    out = ["ratio %s %s" % (k, "%.2f" % v if v is not None else "nan") for k, v in h.items()]
    a = fp["cdrest_max_steady_allocs"]
    out.append("figure heap_allocs_per_request %s" % ("%d" % a if a == int(a) else "%.3f" % a))
    out.append("figure peak_heap_https_client_bytes %d" % fp["cdrest_https_peak_heap"])
    out.append("figure cli_peak_rss_kib %d" % fp["cli_static_rss_kib"]["median"])
    out += ["bound %s %.2f" % kv for kv in bounds(res).items()]
    return out


TARGET_HEAD = ["target", "measured", "", "the most any client could reach (bench/results.md, *Where the time goes*)"]

# The throughput rows: experiment key, label, unit.
SPEC = [
    ("http_keepalive", "HTTP keep-alive, 200 B JSON, 10,000 GETs", "req/s"),
    ("https_keepalive", "HTTPS keep-alive, 200 B JSON, 10,000 GETs", "req/s"),
    ("rsa_full", "fresh HTTPS, full handshake, RSA-2048 server, 200", "conn/s"),
    ("ecdsa_full", "fresh HTTPS, full handshake, ECDSA P-256 server, 200", "conn/s"),
    ("rsa_resume", "fresh HTTPS, resumed session, RSA-2048, 200", "conn/s"),
    ("ecdsa_resume", "fresh HTTPS, resumed session, ECDSA P-256, 200", "conn/s"),
    ("http_big", "1 MiB body, HTTP, 200 GETs", "MB/s"),
    ("https_big", "1 MiB body, HTTPS, 200 GETs", "MB/s"),
    ("cd_calls", "CD setProperty+getProperty pairs vs emulator, 2,000", "pairs/s"),
]


# What one unit of work is in each row (the clients' n).
PER = {"req/s": "request", "conn/s": "connection", "MB/s": "1 MiB GET", "pairs/s": "pair"}


def throughput_rows(res):
    E = res["experiments"]
    rows = []
    for key, label, unit in SPEC:
        e = E[key]
        f = e["ratios"].get("floor")
        of_floor = "%.0f%% (%.0f-%.0f%%) of %s/s" % (100 * f["median"], 100 * f["min"], 100 * f["max"],
                                                    num(e["clients"]["floor"]["median"])) if f else ""
        rows.append([label, unit, cell(e, "cdrest"), cell(e, "libcurl"), cell(e, "requests"),
                     ratio_cell(e, "libcurl"), ratio_cell(e, "requests"), of_floor])
    return rows


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def bound_cell(b, key):
    return "%.2f" % b[key] if key in b else "-"


def targets(res):
    """[target, measured, verdict, bound]: the bound (see bounds()) where one is computed."""
    h = headline(res)
    b = bounds(res)
    fp = res["footprint"]
    rows = [
        ["HTTPS keep-alive >= 1.5x libcurl", "%.2f" % h["https_keepalive_vs_libcurl"],
         verdict(h["https_keepalive_vs_libcurl"], 1.5)],
        ["HTTPS keep-alive >= 10x requests", "%.2f" % h["https_keepalive_vs_requests"],
         verdict(h["https_keepalive_vs_requests"], 10)],
        ["instructions per HTTP request <= 1/3 of libcurl's", "libcurl/cdrest = %.2f" % h["instructions_libcurl_over_cdrest"],
         verdict(h["instructions_libcurl_over_cdrest"], 3)],
        ["heap allocations per steady-state request = 0", "%g" % fp["cdrest_max_steady_allocs"],
         verdict(fp["cdrest_max_steady_allocs"], 0, higher=False)],
        # issue 16
        ["full handshakes >= 1.3x libcurl (the lower of RSA and ECDSA)", "%.2f" % h["handshakes_vs_libcurl"],
         verdict(h["handshakes_vs_libcurl"], 1.3)],
        ["HTTPS keep-alive >= 2.0x libcurl", "%.2f" % h["https_keepalive_vs_libcurl"],
         verdict(h["https_keepalive_vs_libcurl"], 2.0), bound_cell(b, "https_keepalive_vs_libcurl_cheapest_client")],
        ["HTTP keep-alive >= 1.8x libcurl and >= 60% of the echo floor",
         "%.2f, %.0f%% of floor" % (h["http_keepalive_vs_libcurl"], 100 * (http_of_floor(res) or 0)),
         "met" if verdict(h["http_keepalive_vs_libcurl"], 1.8) == "met" and verdict(http_of_floor(res), 0.6) == "met"
         else "NOT met",
         bound_cell(b, "http_keepalive_vs_libcurl_cheapest_client") + (
             ", %.0f%% of floor" % (100 * b["http_keepalive_of_floor_cheapest_client"])
             if "http_keepalive_of_floor_cheapest_client" in b else "")],
        ["1 MiB HTTPS >= 1.3x libcurl", "%.2f" % h["https_1mib_vs_libcurl"], verdict(h["https_1mib_vs_libcurl"], 1.3),
         bound_cell(b, "https_1mib_vs_libcurl_best_cipher_client")],
        ["CD calls >= 10x requests", "%.2f" % h["cd_calls_vs_requests"], verdict(h["cd_calls_vs_requests"], 10),
         bound_cell(b, "cd_calls_vs_requests_zero_cpu_client")],
        ["resumed >= 5x full handshake (cdrest, ECDSA)", "%.2f" % h["resumed_vs_full_handshake"],
         verdict(h["resumed_vs_full_handshake"], 5)],
        ["peak heap, default client, one HTTPS GET, one-CA trust file <= 49,152 B", "{:,}".format(fp["cdrest_https_peak_heap"]),
         verdict(fp["cdrest_https_peak_heap"], 49152, higher=False)],
        ["CLI peak RSS, one HTTPS getProperty <= 1,536 KiB (`make cli-static`)",
         "%d KiB" % fp["cli_static_rss_kib"]["median"], verdict(fp["cli_static_rss_kib"]["median"], 1536, higher=False)],
    ]
    return [r + [""] * (4 - len(r)) for r in rows]


# cdrest's instructions per request in the last run before issue 16 (bench/results.md of 2026-11-27).
BEFORE_16 = {"http": "7,061", "https": "13,677", "rsa_full": "10,294,108", "ecdsa_full": "18,129,298"}


def markdown(res):
    m = res["machine"]
    E = res["experiments"]
    cg = res["callgrind"]
    fp = res["footprint"]
    v = m["versions"]
    L = []
    L.append("# cdrest benchmarks (`make bench`)\n")
    L.append("Generated by `make bench` (bench/run.py) on %s: %s, %s, %d vCPU, Linux %s. "
             "Load average %.2f at the start, %.2f at the end (other jobs were %s). %d rounds%s, %.0f s in all.\n"
             % (m["date"], m["arch"], m["cpu"], m["ncpu"], m["kernel"], m["loadavg_start"], m["loadavg_end"],
                "running" if max(m["loadavg_start"], m["loadavg_end"]) > 1.0 else "quiet",
                res["rounds"], " (BENCH_QUICK: smoke test, not comparable)" if res["quick"] else "",
                res["elapsed_s"]))
    L.append("Peers: %s; %s; Python requests %s; nginx %s; BearSSL %s; %s.\n"
             % (v["libcurl"], v["openssl"], v["requests"], v["nginx"], v["bearssl"], v["cc"]))
    L.append("How: every server (nginx, tests/cdemu.py, the echo server) and every client run on CPU %s "
             "(`taskset`), on 127.0.0.1. Each round runs every client once, in the same order; the figures are "
             "medians over the rounds with (min-max), and each ratio is taken pair by pair within a round "
             "(median, min-max). Ratio > 1: cdrest is better. All HTTPS servers speak TLS 1.2 with "
             "ECDHE-{RSA,ECDSA}-AES128-GCM-SHA256 over X25519 to every client (BearSSL has no TLS 1.3), "
             "session tickets off; resumption is by session id. libcurl reuses one easy handle (for fresh "
             "connections: CURLOPT_FORBID_REUSE, so it resumes from its own session cache); cdrest calls "
             "cdrest_disconnect() between fresh requests (the client keeps its TLS session). Bodies end "
             "contiguous in memory for all (libcurl's write callback copies into one buffer).\n"
             % res["cpu"])
    L.append("## Targets\n")
    L.append(md_table(TARGET_HEAD, targets(res)) + "\n")
    L.append("## Throughput\n")
    L.append("The floor: a bare loopback TCP round trip of 200 bytes (bench/echo.c, no HTTP, no TLS), run in the "
             "same rounds as the keep-alive clients; *of floor* is cdrest's request rate as a share of the echo "
             "rate of the same round (median, min-max), then the echo median in round trips/s. "
             "libcurl reaches %.0f%% (HTTP) and %.0f%% (HTTPS) of it.\n"
             % (100 * E["http_keepalive"]["clients"]["libcurl"]["median"] / E["http_keepalive"]["clients"]["floor"]["median"],
                100 * E["https_keepalive"]["clients"]["libcurl"]["median"] / E["https_keepalive"]["clients"]["floor"]["median"]))
    L.append(md_table(["", "unit", "cdrest", "libcurl", "requests", "cdrest/libcurl", "cdrest/requests", "of floor"],
                      throughput_rows(res)) + "\n")
    L.append(CD_EMULATOR_NOTE)
    L.append("Resumption as nginx logged it ($ssl_session_reused; every run's first connection is a full "
             "handshake):\n")
    rows = []
    for key, c in res["resumption"].items():
        for client, n in sorted(c.items()):
            rows.append([key, client, n["resumed"], n["full"], "%s %s %s" % (n["protocol"], n["cipher"], n["curve"])])
    L.append(md_table(["server", "client", "resumed", "full", "negotiated"], rows) + "\n")
    L.append(time_split_section(res))
    L.append("## CPU per request (callgrind, client only)\n")
    L.append("Instructions per keep-alive GET = (Ir(N=1001) - Ir(N=1)) / 1000; per fresh connection = "
             "(Ir(N=3) - Ir(N=1)) / 2 against the cache-less servers (a full handshake each).\n")
    rows = []
    for key, label in (("http", "keep-alive GET, HTTP"), ("https", "keep-alive GET, HTTPS"),
                       ("rsa_full", "full handshake + GET, RSA server"),
                       ("ecdsa_full", "full handshake + GET, ECDSA server")):
        a, b = cg["cdrest_" + key]["per_request"], cg["libcurl_" + key]["per_request"]
        rows.append([label, "{:,.0f}".format(a), "{:,.0f}".format(b), "**%.2f**" % (b / a),
                     BEFORE_16.get(key, "-")])
    L.append(md_table(["", "cdrest", "libcurl", "libcurl/cdrest", "cdrest before issue 16 (2026-11-27 run)"], rows)
             + "\n")
    bi = res.get("bearssl_impls")
    if bi:
        have = [n for n, ok in bi["exports"].items() if ok]
        lack = [n for n, ok in bi["exports"].items() if not ok]
        # Said from the listings, not assumed: which code the measured handshake ran.
        own = any(fn.startswith(("cdrest__fe_", "cdrest__p256_", "cdrest__wn_"))
                  for fn, _ in res["profiles"].get("cdrest_ecdsa_full", []))
        pk = ("X25519, the ECDSA P-256 and RSA signature checks on cdrest's own 64-bit code (`cdrest__fe_*`, "
              "`cdrest__p256_*`, `cdrest__wn_*` below)" if own else
              "X25519 and P-256 on BearSSL's portable code (this client was built without cdrest's 64-bit "
              "public-key code: CDREST_NO_FAST_PK, or no unsigned __int128)")
        L.append("The handshake's code (tests/test_tls_engine.c checks what the engine runs): AES-GCM on BearSSL's "
                 "AES-NI and PCLMUL GHASH code; " + pk + "; %s exports %s but "
                 "lacks %s (BearSSL 0.6 has only portable 15/31-bit elliptic-curve code); everything else "
                 "BearSSL's. On CPUs with the SHA extensions cdrest also hashes the handshake with SHA-256 on "
                 "SHA-NI, which these instruction counts do not show: valgrind hides SHA-NI from the program, so "
                 "under callgrind BearSSL's portable SHA-256 runs (`br_sha2small_round` in the listings); the "
                 "timed rows above run the SHA-NI code.\n"
                 % (os.path.basename(bi["library"]) or "libbearssl", ", ".join(have) or "none",
                    ", ".join(lack) or "nothing"))
    L.append("The 1 MiB body (instructions per GET = (Ir(N=3) - Ir(N=1)) / 2; glibc's memcpy moves large blocks with "
             "`rep movsb`, which callgrind counts once per byte, so memcpy/memmove instructions per body byte = "
             "how many times the client copies the body in user space):\n")
    rows = []
    for key in ("http", "https"):
        a, b = cg["cdrest_big_" + key], cg["libcurl_big_" + key]
        rows.append(["1 MiB GET, " + key.upper(), "{:,.0f}".format(a["per_request"]), "%.2f" % a["copies"],
                     "{:,.0f}".format(b["per_request"]), "%.2f" % b["copies"]])
    L.append(md_table(["", "cdrest instructions", "cdrest copies", "libcurl instructions", "libcurl copies"], rows)
             + "\n")
    L.append("Reading the code path: over HTTP cdrest learns the length from Content-Length, grows its receive buffer "
             "once to hold head + body (+1 for a NUL) and recv()s straight into it: the kernel writes the body at "
             "its final place, no copy in user space. Over HTTPS BearSSL decrypts each record in place in its I/O "
             "buffer and cdrest copies the plaintext once into the receive buffer; it reads ahead into BearSSL's "
             "input buffer, so a record's header and payload come in one recv() (65 recv()s per 1 MiB body, "
             "libcurl 131 and 66 poll()s). libcurl reads into its 16 KiB "
             "download buffer and the write callback copies it out (HTTPS: OpenSSL first copies each record's "
             "plaintext into libcurl's buffer).\n")
    L.append("## JSON (`make bench-json`)\n")
    L.append("cdrest's tokenizer against jsmn (strict, parent links) on CD-shaped listings, medians: %s. "
             "ratio json_vs_jsmn_strict = **%.2f** (the lower of the 20 MiB and 1 MiB pairwise medians; "
             "the whole output is in build/bench/run/bench-json.txt).\n"
             % ("; ".join("%s %s %.0f MB/s" % tuple(m) for m in res["json"]["medians"]), res["json"]["ratio"] or 0))
    L.append("## Footprint\n")
    core = fp["libcurl_core"]
    rows = [
        ["code, text+data", "%s (-Os, with TLS glue), %s without TLS; a whole -Os client with BearSSL linked "
         "statically: %s (+ libc: %d shared libraries)"
         % (kib(fp["cdrest_obj_tls"]), kib(fp["cdrest_obj_notls"]), kib(fp["cdrest_exe_static_bearssl"]),
            fp["cdrest_nlibs"]),
         "libcurl %s + libssl %s + libcrypto %s = %s; all %d shared libraries it loads: %s (%s on disk)"
         % (kib(core.get("libcurl.so", 0)), kib(core.get("libssl.so", 0)), kib(core.get("libcrypto.so", 0)),
            kib(fp["libcurl_core_total"]), fp["libcurl_nlibs"], mib(fp["libcurl_libs_total"]),
            mib(fp["libcurl_libs_disk"]))],
        ["peak heap, one HTTPS GET (counting allocator)", "%s in %d allocations (CDREST_MALLOC via cfg.alloc_ctx)"
         % ("{:,}".format(fp["cdrest_https_peak_heap"]), fp["cdrest_https_allocs"]),
         "%s in %d allocations (libcurl + OpenSSL hooks)" % ("{:,}".format(fp["libcurl_https_peak_heap"]),
                                                            fp["libcurl_https_allocs"])],
        ["peak heap of the process (massif)", "{:,}".format(fp["cdrest_https_massif"]),
         "{:,}".format(fp["libcurl_https_massif"])],
        ["peak RSS (VmHWM), one HTTPS GET", kib(fp["cdrest_https_vmhwm_kb"] * 1024),
         "%s (Python requests: %s)" % (kib(fp["libcurl_https_vmhwm_kb"] * 1024), kib(fp["requests_https_vmhwm_kb"] * 1024))],
        ["the `cdrest` CLI, one HTTPS getProperty (it logs in first): peak RSS (bench/rss.c) and size",
         "static musl build (`make cli-static`): **%s** (%s-%s), %s on disk (text+data %s, no shared library); "
         "default build (`build/cdrest`, -O2 -g, glibc): %s (%s-%s), %s on disk, %d shared libraries"
         % (kib(fp["cli_static_rss_kib"]["median"] * 1024), kib(fp["cli_static_rss_kib"]["min"] * 1024),
            kib(fp["cli_static_rss_kib"]["max"] * 1024), kib(fp["cli_static_disk"]), kib(fp["cli_static_size"]),
            kib(fp["cli_dynamic_rss_kib"]["median"] * 1024), kib(fp["cli_dynamic_rss_kib"]["min"] * 1024),
            kib(fp["cli_dynamic_rss_kib"]["max"] * 1024), kib(fp["cli_dynamic_disk"]), fp["cli_dynamic_nlibs"]),
         "-"],
    ]
    L.append(md_table(["", "cdrest", "libcurl"], rows) + "\n")
    L.append("The CLI's RSS is the child's ru_maxrss under a static launcher, which counts the launcher pages the "
             "child held before exec: %d KiB measured for a child that only exits.\n" % fp["cli_launcher_rss_kib"])
    L.append("Heap allocations per steady-state request (after 10% warm-up):\n")
    names = {"http": "keep-alive GET, HTTP", "https": "keep-alive GET, HTTPS", "https_big": "1 MiB GET, HTTPS",
             "cd_pair": "setProperty+getProperty (per request)",
             "https_resumed_connection": "fresh connection + GET, resumed session"}
    rows = [[names.get(k, k), "%g" % v["cdrest"], num(v["libcurl"])] for k, v in fp["steady_allocs"].items()]
    L.append(md_table(["", "cdrest", "libcurl + OpenSSL"], rows) + "\n")
    L.append("## Where the instructions go (callgrind self cost: the N=1001 run minus the N=1 run, per request)\n")
    L.append("cdrest's listings come from the same -O2 client linked with libbearssl.a (Debian's .so has no names "
             "for BearSSL's static functions; the counts match the shared build within 0.3%); libcurl is stripped, "
             "so its own functions show as library+offset.\n")
    for key in ("cdrest_http", "libcurl_http", "cdrest_https", "libcurl_https", "cdrest_rsa_full", "cdrest_ecdsa_full",
                "libcurl_ecdsa_full", "cdrest_big_https", "libcurl_big_https"):
        what = ("per fresh connection (full handshake + GET)" if key.endswith("_full") else
                "per 1 MiB GET" if "_big_" in key else "per request")
        L.append("%s (%s %s):\n" % (key.replace("_", ", "), "{:,.0f}".format(cg[key]["per_request"]), what))
        L.append("```")
        for fn, c in res["profiles"][key][:12]:
            L.append("%9s  %5.1f%%  %s" % ("{:,.0f}".format(c), 100.0 * c / cg[key]["per_request"], fn))
        L.append("```\n")
    L.append("## Machine-readable\n")
    L.append("Each ratio is the median of the pair-by-pair ratios above (> 1: cdrest better). handshakes_vs_libcurl "
             "is the lower of the RSA and ECDSA full-handshake rows; instructions_libcurl_over_cdrest is plain HTTP "
             "keep-alive; heap_allocs_per_request is the largest of cdrest's steady-state rows; "
             "peak_heap_https_client_bytes is cdrest's counted peak for one HTTPS GET with a one-CA trust file (the system bundle's anchors add their own heap: about 118 KB more for Debian's bundle of 143 CAs); https_1mib_vs_libcurl is "
             "the 1 MiB HTTPS row; resumed_vs_full_handshake is cdrest's resumed ECDSA rate over its full ECDSA "
             "rate, round by round; cli_peak_rss_kib is the static CLI's median peak RSS for one HTTPS "
             "getProperty.\n")
    L.append("```\n" + "\n".join(machine_lines(res)) + "\n```\n")
    return "\n".join(L)


def console(res):
    E = res["experiments"]
    cg = res["callgrind"]
    fp = res["footprint"]
    lines = ["cdrest vs peers (medians of %d rounds, min-max; ratios pair by pair, > 1 = cdrest better)" % res["rounds"]]
    for key in ("http_keepalive", "https_keepalive"):
        lines.append("  floor (TCP echo 200 B) in the %s rounds: %s round trips/s"
                     % (key.replace("_", " "), cell(E[key], "floor")))
    head = ["", "unit", "cdrest", "libcurl", "requests", "cd/curl", "cd/req", "floor"]
    rows = [head] + [[r[0], r[1], r[2], r[3], r[4], r[5].replace("**", ""), r[6].replace("**", ""), r[7]]
                     for r in throughput_rows(res)]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(head))]
    for r in rows:
        lines.append("  " + "  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)))
    for key in ("http", "https", "rsa_full", "ecdsa_full"):
        a, b = cg["cdrest_" + key]["per_request"], cg["libcurl_" + key]["per_request"]
        lines.append("  instructions per %-12s cdrest %12s  libcurl %12s  libcurl/cdrest %.2f"
                     % (key if key in ("http", "https") else key + " conn", "{:,.0f}".format(a), "{:,.0f}".format(b),
                        b / a))
    for key in ("http", "https"):
        a, b = cg["cdrest_big_" + key], cg["libcurl_big_" + key]
        lines.append("  1 MiB GET %-5s instructions cdrest %s libcurl %s; user-space copies of the body: cdrest %.2f "
                     "libcurl %.2f" % (key, "{:,.0f}".format(a["per_request"]), "{:,.0f}".format(b["per_request"]),
                                       a["copies"], b["copies"]))
    lines.append("  JSON vs jsmn (strict, parent links): %.2f" % (res["json"]["ratio"] or 0))
    lines.append("  code -Os text+data: cdrest %s (no TLS %s), static-BearSSL client %s; libcurl+libssl+libcrypto %s"
                 % (kib(fp["cdrest_obj_tls"]), kib(fp["cdrest_obj_notls"]), kib(fp["cdrest_exe_static_bearssl"]),
                    kib(fp["libcurl_core_total"])))
    lines.append("  one HTTPS GET: peak heap cdrest %s B, libcurl+OpenSSL %s B; massif %s / %s B; "
                 "VmHWM %d / %d KiB (requests %d)"
                 % ("{:,}".format(fp["cdrest_https_peak_heap"]), "{:,}".format(fp["libcurl_https_peak_heap"]),
                    "{:,}".format(fp["cdrest_https_massif"]), "{:,}".format(fp["libcurl_https_massif"]),
                    fp["cdrest_https_vmhwm_kb"], fp["libcurl_https_vmhwm_kb"], fp["requests_https_vmhwm_kb"]))
    lines.append("  CLI, one HTTPS getProperty: peak RSS static (musl) %d KiB, dynamic (glibc) %d KiB; on disk %s / %s"
                 % (fp["cli_static_rss_kib"]["median"], fp["cli_dynamic_rss_kib"]["median"], kib(fp["cli_static_disk"]),
                    kib(fp["cli_dynamic_disk"])))
    lines.append("  heap allocations per steady-state request: " + ", ".join(
        "%s cdrest %s libcurl %s" % (k, num(v["cdrest"]), num(v["libcurl"])) for k, v in fp["steady_allocs"].items()))
    for t in targets(res):
        lines.append("  target: %-52s %-22s %-8s %s" % (t[0], t[1], t[2], "bound " + t[3] if t[3] else ""))
    lines.append("  (bench/results.md, bench/results.svg written)")
    return "\n".join(lines)


def readme_block(res):
    """The README's performance block: the chart beside the headline tables, dated."""
    m = res["machine"]
    L = ["![cdrest against its peers, ratios (bench/results.svg)](bench/results.svg)", "",
         "Measured by `make bench` on %s (%s); full figures and method in [bench/results.md](bench/results.md)."
         % (m.get("date", "?"), "%s, %s, %s vCPU" % (m.get("arch", "?"), m.get("cpu", "?"), m.get("ncpu", "?"))), "",
         md_table(TARGET_HEAD, targets(res)), "",
         md_table(["", "unit", "cdrest", "libcurl", "requests", "cdrest/libcurl", "cdrest/requests", "of floor"],
                  throughput_rows(res))]
    return "\n".join(L)


def update_readme(res, readme):
    """Rewrite the block between <!-- bench:begin --> and <!-- bench:end --> in README.md."""
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    try:
        with open(readme) as f:
            text = f.read()
    except OSError:
        return False
    if begin not in text or end not in text:
        return False
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(readme, "w") as f:
        f.write(head + begin + "\n" + readme_block(res) + "\n" + end + tail)
    return True


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                             "build", "bench", "results.json")
    with open(path) as f:
        r = json.load(f)
    print(console(r))
    for line in machine_lines(r):
        print(line)
