#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/run.py - owns the measuring behind `make bench`: cdrest against libcurl and Python requests.

Started by bench/peers.mk once the programs are built (build/bench/peers/). It
  - makes the test PKI (tests/mkcerts.sh), the documents (a 200-byte CD-shaped JSON, 1 MiB),
  - starts nginx (bench/nginx.conf.in), the CD emulator (tests/cdemu.py) and the TCP echo
    server (bench/echo.c), all on 127.0.0.1 and pinned to the clients' CPU, stopped at exit,
  - runs `make bench-json` (the JSON engineer's part) and keeps its ratio,
  - measures: keep-alive GETs (HTTP, HTTPS), fresh connections (full handshakes and
    resumed sessions, RSA-2048 and ECDSA P-256 servers), a 1 MiB body (HTTP, HTTPS),
    getProperty+setProperty pairs against the emulator, the TCP floor; every client in
    every round, in the same order (A B A B ...), client and server on one CPU;
  - splits each run's wall time into the client process's own CPU time and the rest (the
    server's), from which bench/report.py computes what any client could reach at best;
  - times AES-128-GCM decryption: BearSSL's (bench/gcm_speed.c) and OpenSSL's (`openssl speed`);
  - counts instructions per request with callgrind ((Ir(N=1001) - Ir(N=1)) / 1000) and
    where they go, heap (counting allocators, massif), peak RSS, code size;
  - writes build/bench/results.json, bench/results.md and bench/results.svg (bench/chart.py),
    prints the table and ends with the machine-readable "ratio ..." / "figure ..." / "bound ..." lines.
Environment: BENCH_ROUNDS (default 7), BENCH_CPU (default 0), BENCH_SKIP_JSON=1 (reuse the
last bench-json output), BENCH_QUICK=1 (fewer requests: a smoke test, figures not comparable).
"""
import datetime
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
B = os.path.join(ROOT, "build", "bench")
P = os.path.join(B, "peers")
W = os.path.join(B, "run")  # scratch: nginx prefix, logs, documents, callgrind files
CERTS = os.path.join(B, "certs")
CA = os.path.join(CERTS, "ca.pem")
SYS_PY = "/usr/bin/python3"  # Debian's python3-requests lives here only

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
CPU = os.environ.get("BENCH_CPU", "0")
QUICK = os.environ.get("BENCH_QUICK") == "1"
N_KA = 1000 if QUICK else 10000      # keep-alive GETs
N_FRESH = 20 if QUICK else 200       # fresh connections
N_BIG = 20 if QUICK else 200         # 1 MiB GETs
N_CD = 200 if QUICK else 2000        # getProperty + setProperty pairs
N_ECHO = 10000                       # TCP round trips
SMALL_LEN = 200
BIG_LEN = 1 << 20

CHILDREN = []  # (name, Popen) of the servers we started; stopped at exit


def log(msg):
    print(msg, flush=True)


def stop_children():
    while CHILDREN:
        name, proc = CHILDREN.pop()
        if proc.poll() is None:
            try:
                proc.terminate()  # nginx: fast shutdown; cdemu/echo: exit
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            except ProcessLookupError:
                pass


def on_signal(signum, frame):
    stop_children()
    sys.exit(128 + signum)


def pinned(cmd):
    return ["taskset", "-c", CPU] + cmd


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def wait_port(port, proc, what, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit("bench: %s exited early (status %s)" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("bench: %s does not listen on port %d" % (what, port))


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw).stdout


def sh_quiet(cmd):
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return r.stdout.strip()
    except OSError:
        return "?"


# --- setup --------------------------------------------------------------------------------

def make_docs(docs):
    os.makedirs(docs, exist_ok=True)
    small = ('{"property":{"propertyId":"4c9e0a1e-8a3b-11ee-9c4a-0242ac120002","propertyName":"buildNumber",'
             '"value":"1234","description":"","expandable":"1","owner":"admin",'
             '"modifyTime":"2023-11-24T10:15:30.123Z"}}')
    assert len(small) == SMALL_LEN, len(small)
    with open(os.path.join(docs, "small.json"), "w") as f:
        f.write(small)
    big = bytearray()
    x = 0x9E3779B97F4A7C15
    while len(big) < BIG_LEN:  # xorshift bytes: incompressible, reproducible
        x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 7
        x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
        big += x.to_bytes(8, "little")
    with open(os.path.join(docs, "big.bin"), "wb") as f:
        f.write(bytes(big[:BIG_LEN]))


def start_nginx(ports):
    conf = open(os.path.join(HERE, "nginx.conf.in")).read()
    subst = {
        "@USER@": "user root root;" if os.geteuid() == 0 else "",
        "@DIR@": W, "@DOCS@": os.path.join(W, "docs"), "@CERTS@": CERTS,
    }
    for k, v in ports.items():
        subst["@PORT_%s@" % k.upper()] = str(v)
    for k, v in subst.items():
        conf = conf.replace(k, v)
    left = re.findall(r"@[A-Z_]+@", conf)
    if left:
        raise SystemExit("bench: nginx.conf.in: unknown %s" % left)
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(W, "tmp", d), exist_ok=True)
    path = os.path.join(W, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    proc = subprocess.Popen(pinned(["nginx", "-e", os.path.join(W, "nginx-startup.log"), "-p", W, "-c", path]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    CHILDREN.append(("nginx", proc))
    for port in ports.values():
        wait_port(port, proc, "nginx")
    # The worker inherits the master's CPU (taskset at launch); say so if it did not.
    try:
        kids = open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)).read().split()
        for kid in kids:
            for line in open("/proc/%s/status" % kid):
                if line.startswith("Cpus_allowed_list:") and line.split()[1] != CPU:
                    log("bench: warning: nginx worker %s runs on CPUs %s, not %s" % (kid, line.split()[1], CPU))
    except OSError:
        pass
    return proc


def start_line_server(cmd, what):
    """A server that prints 'PORT n' first (cdemu, echo)."""
    proc = subprocess.Popen(pinned(cmd), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    CHILDREN.append((what, proc))
    line = proc.stdout.readline()
    m = re.match(r"PORT (\d+)", line or "")
    if not m:
        raise SystemExit("bench: %s did not start (%r)" % (what, line))
    port = int(m.group(1))
    wait_port(port, proc, what)
    return port


# --- running clients ------------------------------------------------------------------------

def parse_ok(out):
    for line in out.splitlines():
        if line.startswith("ok "):
            return {k: (float(v) if re.match(r"^-?[0-9.]+$", v) else v)
                    for k, v in (kv.split("=", 1) for kv in line.split()[1:])}
    raise ValueError("no result line in %r" % out)


def run_client(cmd):
    """Runs one client; its result line, plus the whole process's wall time and CPU time (user +
    system, from the kernel's accounting of the reaped child: taskset execs the client)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(pinned(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit("bench: failed (%d): %s\n%s%s" % (r.returncode, " ".join(cmd), r.stdout, r.stderr))
    res = parse_ok(r.stdout)
    res["proc_wall"] = wall
    res["proc_cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return res


def split_of(res):
    """Where one run's time went, per request: the client's own CPU (user and kernel time of its
    process) and the rest of the wall time, which on one pinned CPU is the server's CPU and the
    kernel's work done on the server's behalf (and anything else that ran on that CPU)."""
    n = res["n"]
    return {"cpu": res["proc_cpu"] / n, "rest": max(res["proc_wall"] - res["proc_cpu"], 0.0) / n,
            "wall": res["proc_wall"] / n}


def stats(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def experiment(name, variants, unit, rounds, metric):
    """variants: [(client, cmd)], all run once per round in this order (A B A B ...).
    metric(result) -> the figure (higher is better). Returns per-client stats and the
    pairwise ratios cdrest/peer of each round."""
    runs = {client: [] for client, _ in variants}
    raw = {client: [] for client, _ in variants}
    for _ in range(rounds):
        for client, cmd in variants:
            res = run_client(cmd)
            raw[client].append(res)
            runs[client].append(metric(res))
    out = {"name": name, "unit": unit, "clients": {c: stats(v) for c, v in runs.items()}, "raw": raw,
           "ratios": {}}
    if "cdrest" in runs:
        for client in runs:
            if client != "cdrest":
                pair = [a / b for a, b in zip(runs["cdrest"], runs[client])]
                out["ratios"][client] = stats(pair)
    # The time split, per request, in seconds (medians over the rounds; the per-round values are kept
    # for the bounds, which are taken round by round like the ratios).
    out["split"] = {}
    for client in raw:
        per = [split_of(r) for r in raw[client]]
        out["split"][client] = {k: stats([p[k] for p in per]) for k in ("cpu", "rest", "wall")}
    log("  %-34s %s" % (name, "  ".join("%s %s" % (c, fmt_num(s["median"])) for c, s in out["clients"].items())))
    return out


def rate(res):
    return res["n"] / res["secs"]


def mbps(res):
    return res["bytes"] / res["secs"] / 1e6


def fmt_num(x):
    if x >= 100:
        return "{:,.0f}".format(x)
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


# --- callgrind, massif, sizes ------------------------------------------------------------------

def callgrind_total(path):
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise ValueError("no totals in " + path)


def callgrind(tag, cmd):
    out = os.path.join(W, "callgrind.%s.out" % tag)
    r = subprocess.run(pinned(["valgrind", "--tool=callgrind", "--dump-instr=no", "--callgrind-out-file=" + out]
                              + cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit("bench: callgrind failed: %s\n%s" % (" ".join(cmd), r.stderr[-2000:]))
    return out, callgrind_total(out)


def annotate_self(path):
    """{function: self Ir} from callgrind_annotate's function table. Functions without a
    symbol (libcurl is stripped) are named by library and address."""
    txt = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=no", path],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    costs = {}
    in_table = False
    for line in txt.splitlines():
        if re.match(r"^Ir\s+file:function", line):
            in_table = True
            continue
        m = re.match(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*?):(\S+)(?:\s+\[(.*)\])?\s*$", line)
        if not in_table or not m:
            continue
        fn, obj = m.group(3), m.group(4)
        hexaddr = re.match(r"^0x([0-9a-f]+)(.*)$", fn)
        if hexaddr and obj:
            fn = "%s+0x%x%s" % (os.path.basename(obj), int(hexaddr.group(1), 16), hexaddr.group(2))
        costs[fn] = costs.get(fn, 0) + int(m.group(1).replace(",", ""))
    return costs


def per_request_profile(path1, pathN, n):
    a, b = annotate_self(path1), annotate_self(pathN)
    diff = {fn: (b.get(fn, 0) - a.get(fn, 0)) / n for fn in set(a) | set(b)}
    return sorted(((fn, c) for fn, c in diff.items() if c > 0), key=lambda x: -x[1])


def massif_peak(cmd, tag):
    out = os.path.join(W, "massif.%s.out" % tag)
    r = subprocess.run(pinned(["valgrind", "--tool=massif", "--massif-out-file=" + out] + cmd),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit("bench: massif failed: %s\n%s" % (" ".join(cmd), r.stderr[-2000:]))
    peak = 0  # the largest mem_heap_B of any snapshot: bytes asked of malloc, live at once
    with open(out) as f:
        for line in f:
            if line.startswith("mem_heap_B="):
                peak = max(peak, int(line.split("=")[1]))
    return peak


def size_of(path):
    """text + data (bss left out: it costs no file bytes and is zero pages until touched)."""
    line = sh(["size", path]).splitlines()[1].split()
    return int(line[0]) + int(line[1])


def ldd_libs(exe):
    libs = []
    for line in sh(["ldd", exe]).splitlines():
        m = re.search(r"=>\s+(/\S+)", line) or re.match(r"\s*(/\S+)", line)
        if m:
            libs.append(os.path.realpath(m.group(1)))
    return libs


def measure_cli():
    """The `cdrest` CLI, one HTTPS getProperty against the emulator (it logs in first, as a
    job step does): peak RSS through bench/rss.c, for the static musl build (`make
    cli-static`) and the default dynamic one (`build/cdrest`, glibc), rounds alternating."""
    emu = start_line_server([SYS_PY, os.path.join(ROOT, "tests", "cdemu.py"), "--port", "0", "--quiet",
                             "--cert", os.path.join(CERTS, "rsa.pem"), "--key", os.path.join(CERTS, "rsa.key")],
                            "cdemu-tls")
    home = os.path.join(W, "cli-home")
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ, HOME=home, CDREST_USER="admin", CDREST_PASSWORD="changeme",
               CDREST_SERVER="https://127.0.0.1:%d" % emu)
    for k in ("CDREST_TOKEN", "CDREST_SESSION_FILE", "https_proxy", "HTTPS_PROXY"):
        env.pop(k, None)
    exe = {"static": os.path.join(ROOT, "build", "cdrest-static"), "dynamic": os.path.join(ROOT, "build", "cdrest")}
    rss = os.path.join(P, "rss")
    base = ["--cacert", CA]
    r = subprocess.run(pinned([exe["dynamic"]] + base + ["setProperty", "/projects/Default/benchCli", "cli-value"]),
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit("bench: the CLI failed: %s%s" % (r.stdout, r.stderr))
    runs = {"static": [], "dynamic": []}
    for _ in range(ROUNDS):
        for kind in ("static", "dynamic"):
            r = subprocess.run(pinned([rss, exe[kind]] + base + ["getProperty", "/projects/Default/benchCli"]),
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            res = parse_ok(r.stdout) if r.returncode == 0 else {}
            if res.get("exit") != 0 or "cli-value" not in r.stdout:
                raise SystemExit("bench: the %s CLI failed: %s%s" % (kind, r.stdout, r.stderr))
            runs[kind].append(int(res["maxrss_kib"]))
    launcher = int(run_client([rss, "--self"])["maxrss_kib"])
    out = {"cli_launcher_rss_kib": launcher}
    for kind in ("static", "dynamic"):
        out["cli_%s_rss_kib" % kind] = stats(runs[kind])
        out["cli_%s_disk" % kind] = os.path.getsize(exe[kind])
        out["cli_%s_size" % kind] = size_of(exe[kind])
        out["cli_%s_nlibs" % kind] = len(ldd_libs(exe[kind])) if kind == "dynamic" else 0
    log("  CLI getProperty over HTTPS: peak RSS static %d KiB, dynamic %d KiB (medians); %d / %d bytes on disk"
        % (out["cli_static_rss_kib"]["median"], out["cli_dynamic_rss_kib"]["median"], out["cli_static_disk"],
           out["cli_dynamic_disk"]))
    return out


def bearssl_impls():
    """Which of BearSSL's faster implementations the installed library exports (Debian's 0.6 has
    no 64-bit elliptic-curve code; later versions do, and route their defaults to it)."""
    lib = ""
    for l in ldd_libs(os.path.join(P, "cdrest_client")):
        if "libbearssl" in l:
            lib = l
    names = set()
    if lib:
        for line in sh_quiet(["nm", "-D", "--defined-only", lib]).splitlines():
            parts = line.split()
            if len(parts) == 3:
                names.add(parts[2])
    want = ["br_ec_p256_m64", "br_ec_p256_m62", "br_ec_c25519_m64", "br_ec_c25519_m62", "br_ec_p256_m31",
            "br_ec_c25519_m31", "br_rsa_i62_pkcs1_vrfy_get", "br_aes_x86ni_ctr_get_vtable", "br_ghash_pclmul_get"]
    return {"library": lib, "exports": {n: n in names for n in want}}


# --- the run ------------------------------------------------------------------------------------

def cipher_speeds(rounds=3):
    """AES-128-GCM decryption of 16 KiB records (the TLS maximum), bytes/s, on the clients' CPU:
    BearSSL with the implementations cdrest's engine takes (bench/gcm_speed.c) and OpenSSL's
    `openssl speed` (what libcurl's TLS runs). Alternating, medians."""
    bear, ossl = [], []
    for _ in range(rounds):
        r = run_client([os.path.join(P, "gcm_speed"), "1"])
        bear.append(r["bytes"] / r["secs"])
        out = subprocess.run(pinned(["openssl", "speed", "-seconds", "1", "-bytes", "16384", "-evp", "aes-128-gcm",
                                     "-decrypt"]), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
        m = re.search(r"^AES-128-GCM\s+([0-9.]+)k\s*$", out, re.M)
        if not m:
            raise SystemExit("bench: no AES-128-GCM figure from openssl speed:\n%s" % out)
        ossl.append(float(m.group(1)) * 1000)
    return {"bearssl": stats(bear), "openssl": stats(ossl), "bearssl_impl": r["impl"]}


def run_bench_json():
    if os.environ.get("BENCH_SKIP_JSON") == "1" and os.path.exists(os.path.join(W, "bench-json.txt")):
        txt = open(os.path.join(W, "bench-json.txt")).read()
        log("bench-json: reusing the last output (BENCH_SKIP_JSON=1)")
    else:
        make = os.environ.get("MAKE", "make")
        log("== make bench-json (the JSON engineer's benchmark) ==")
        proc = subprocess.Popen([make, "--no-print-directory", "bench-json"], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        lines = []
        for line in proc.stdout:
            sys.stdout.write("  " + line)
            lines.append(line)
        sys.stdout.flush()
        if proc.wait() != 0:
            raise SystemExit("bench: make bench-json failed")
        txt = "".join(lines)
        with open(os.path.join(W, "bench-json.txt"), "w") as f:
            f.write(txt)
    m = re.search(r"^\s*ratio json_vs_jsmn_strict ([\d.]+)", txt, re.M)
    medians, section = [], None  # [(document, parser, MB/s)] of the parent-links sections
    for line in txt.splitlines():
        h = re.match(r"^\s*(\d+ MiB) listing( \(|, jsmn without)", line)
        if h:
            section = h.group(1) if h.group(2) == " (" else None
        mm = re.match(r"^\s*(\S+)\s+median\s+([\d.]+) MB/s", line)
        if mm and section:
            medians.append((section, mm.group(1), float(mm.group(2))))
    return {"ratio": float(m.group(1)) if m else None, "text": txt, "medians": medians}


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "arch": platform.machine(), "cpu": model, "ncpu": os.cpu_count(), "kernel": platform.release(),
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "loadavg_start": os.getloadavg()[0],
        "versions": {
            "cc": sh_quiet(["cc", "--version"]).splitlines()[0],
            "libcurl": sh_quiet(["curl-config", "--version"]),
            "openssl": " ".join(sh_quiet(["openssl", "version"]).split()[:2]),
            "nginx": sh_quiet(["nginx", "-v"]).replace("nginx version: nginx/", ""),
            "bearssl": sh_quiet(["dpkg-query", "-W", "-f=${Version}", "libbearssl-dev"]),
            "requests": sh_quiet([SYS_PY, "-c", "import requests,sys;print(requests.__version__, sys.version.split()[0])"]),
            "valgrind": sh_quiet(["valgrind", "--version"]),
        },
    }


def main():
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    t_start = time.monotonic()
    for tool in ("nginx", "taskset", "valgrind", "callgrind_annotate", "size", "ldd", SYS_PY):
        if not shutil.which(tool):
            raise SystemExit("bench: %s is missing (tools/deps.sh bench)" % tool)
    os.makedirs(W, exist_ok=True)
    res = {"machine": machine(), "rounds": ROUNDS, "quick": QUICK, "cpu": CPU}
    res["json"] = run_bench_json()

    if not os.path.exists(os.path.join(CERTS, "ecdsa.key")):
        log("== certificates (tests/mkcerts.sh) ==")
        sh(["sh", os.path.join(ROOT, "tests", "mkcerts.sh"), CERTS])
    make_docs(os.path.join(W, "docs"))
    for f in os.listdir(W):
        if f.startswith("hs-") or f.startswith("callgrind.") or f.startswith("massif."):
            os.remove(os.path.join(W, f))

    names = ["http", "https", "rsa_full", "ecdsa_full", "rsa_resume", "ecdsa_resume"]
    ports = dict(zip(names, free_ports(len(names))))
    start_nginx(ports)
    emu_port = start_line_server([SYS_PY, os.path.join(ROOT, "tests", "cdemu.py"), "--port", "0", "--quiet"],
                                 "cdemu")
    echo_port = start_line_server([os.path.join(P, "echo"), "server"], "echo")
    url = {k: ("http://127.0.0.1:%d" if k == "http" else "https://127.0.0.1:%d") % v for k, v in ports.items()}
    emu = "http://127.0.0.1:%d" % emu_port

    cd_c = os.path.join(P, "cdrest_client")
    curl_c = os.path.join(P, "curl_client")
    req_c = [SYS_PY, os.path.join(HERE, "requests_client.py")]
    echo_c = [os.path.join(P, "echo"), "client", str(echo_port), str(N_ECHO), str(SMALL_LEN)]

    def three(mode, key, target, n, expect, with_requests=True, floor=False):
        args = [mode, url[key], target, str(n), "--ca", CA, "--expect", str(expect)]
        v = [("floor", echo_c)] if floor else []
        v += [("cdrest", [cd_c] + args), ("libcurl", [curl_c] + args)]
        if with_requests:
            v.append(("requests", req_c + args))
        return v

    E = res["experiments"] = {}
    log("== throughput: %d rounds, every client once per round, pinned to CPU %s (medians) ==" % (ROUNDS, CPU))
    # The floor (TCP echo of 200 B) runs in the same rounds as the keep-alive clients.
    E["http_keepalive"] = experiment("HTTP keep-alive, 10,000 GETs",
                                     three("get", "http", "/small.json", N_KA, SMALL_LEN, floor=True),
                                     "req/s", ROUNDS, rate)
    E["https_keepalive"] = experiment("HTTPS keep-alive, 10,000 GETs",
                                      three("get", "https", "/small.json", N_KA, SMALL_LEN, floor=True),
                                      "req/s", ROUNDS, rate)
    E["rsa_full"] = experiment("fresh HTTPS, full handshake, RSA", three("fresh", "rsa_full", "/small.json", N_FRESH, SMALL_LEN),
                               "handshakes/s", ROUNDS, rate)
    E["ecdsa_full"] = experiment("fresh HTTPS, full handshake, ECDSA",
                                 three("fresh", "ecdsa_full", "/small.json", N_FRESH, SMALL_LEN, False),
                                 "handshakes/s", ROUNDS, rate)
    E["rsa_resume"] = experiment("fresh HTTPS, resumed session, RSA",
                                 three("fresh", "rsa_resume", "/small.json", N_FRESH, SMALL_LEN, False),
                                 "handshakes/s", ROUNDS, rate)
    E["ecdsa_resume"] = experiment("fresh HTTPS, resumed session, ECDSA",
                                   three("fresh", "ecdsa_resume", "/small.json", N_FRESH, SMALL_LEN, False),
                                   "handshakes/s", ROUNDS, rate)
    E["http_big"] = experiment("1 MiB body, HTTP", three("get", "http", "/big.bin", N_BIG, BIG_LEN), "MB/s", ROUNDS, mbps)
    E["https_big"] = experiment("1 MiB body, HTTPS", three("get", "https", "/big.bin", N_BIG, BIG_LEN), "MB/s",
                                ROUNDS, mbps)
    E["cd_calls"] = experiment("CD getProperty+setProperty pairs",
                               [("cdrest", [cd_c, "cd", emu, str(N_CD)]), ("requests", req_c + ["cd", emu, str(N_CD)])],
                               "pairs/s", ROUNDS, rate)

    res["cipher"] = cipher_speeds()
    log("  AES-128-GCM decryption, 16 KiB records: BearSSL (%s) %s MB/s, OpenSSL %s MB/s" % (
        res["cipher"]["bearssl_impl"], fmt_num(res["cipher"]["bearssl"]["median"] / 1e6),
        fmt_num(res["cipher"]["openssl"]["median"] / 1e6)))

    # Was each fresh connection resumed? nginx logs "r" (resumed) or "." per request, with the client.
    res["resumption"] = {}
    for key in ("rsa_full", "ecdsa_full", "rsa_resume", "ecdsa_resume"):
        counts = {}
        path = os.path.join(W, "hs-%s.log" % key.replace("_", "-"))
        for line in open(path) if os.path.exists(path) else []:
            parts = line.split()
            ua = line.rsplit(" ", 1)[-1].strip()
            client = "cdrest" if ua.startswith("cdrest") else "requests" if ua.startswith("python-requests") else "libcurl"
            c = counts.setdefault(client, {"resumed": 0, "full": 0, "protocol": parts[1], "cipher": parts[2],
                                           "curve": parts[3]})
            c["resumed" if parts[0] == "r" else "full"] += 1
        res["resumption"][key] = counts

    # --- instructions per request (client only) ---------------------------------------------------
    log("== callgrind: instructions per keep-alive request, (Ir(N=1001) - Ir(N=1)) / 1000 ==")
    cg = res["callgrind"] = {}
    profiles = {}
    cd_cg = os.path.join(P, "cdrest_client_static")  # the same -O2 client, BearSSL static: named functions
    for key in ("http", "https"):
        for client, exe in (("cdrest", cd_cg), ("libcurl", curl_c)):
            files, totals = [], []
            for n in (1, 1001):
                f, ir = callgrind("%s.%s.%d" % (client, key, n),
                                  [exe, "get", url[key], "/small.json", str(n), "--ca", CA, "--expect", str(SMALL_LEN)])
                files.append(f)
                totals.append(ir)
            per = (totals[1] - totals[0]) / 1000.0
            cg["%s_%s" % (client, key)] = {"ir_1": totals[0], "ir_1001": totals[1], "per_request": per}
            profiles["%s_%s" % (client, key)] = per_request_profile(files[0], files[1], 1000)
            log("  %-8s %-5s %10s instructions per request (Ir N=1: %s)" % (client, key, "{:,.0f}".format(per),
                                                                            "{:,}".format(totals[0])))
    # A full handshake's client instructions: (Ir(fresh N=3) - Ir(fresh N=1)) / 2 on the cache-less servers.
    for key in ("rsa_full", "ecdsa_full"):
        for client, exe in (("cdrest", cd_cg), ("libcurl", curl_c)):
            files = [callgrind("%s.%s.%d" % (client, key, n),
                               [exe, "fresh", url[key], "/small.json", str(n), "--ca", CA]) for n in (1, 3)]
            irs = [f[1] for f in files]
            cg["%s_%s" % (client, key)] = {"ir_1": irs[0], "ir_3": irs[1], "per_request": (irs[1] - irs[0]) / 2.0}
            profiles["%s_%s" % (client, key)] = per_request_profile(files[0][0], files[1][0], 2)
            log("  %-8s %-10s %12s instructions per fresh connection" % (
                client, key, "{:,.0f}".format((irs[1] - irs[0]) / 2.0)))

    # The 1 MiB body: instructions per GET and how often its bytes are copied in user space.
    # glibc's memcpy moves large blocks with `rep movsb`, which callgrind counts once per
    # byte, so memcpy/memmove instructions per body byte ~ the number of copies.
    for key in ("http", "https"):
        for client, exe in (("cdrest", cd_cg), ("libcurl", curl_c)):
            files = [callgrind("%s.big_%s.%d" % (client, key, n),
                               [exe, "get", url[key], "/big.bin", str(n), "--ca", CA, "--expect", str(BIG_LEN)])
                     for n in (1, 3)]
            prof = per_request_profile(files[0][0], files[1][0], 2)
            copy = sum(c for fn, c in prof if "memcpy" in fn or "memmove" in fn)
            per = (files[1][1] - files[0][1]) / 2.0
            cg["%s_big_%s" % (client, key)] = {"per_request": per, "copy_ir": copy, "copies": copy / BIG_LEN}
            profiles["%s_big_%s" % (client, key)] = prof
            log("  %-8s 1 MiB %-5s %12s instructions per GET, memcpy/memmove %.2f per body byte"
                % (client, key, "{:,.0f}".format(per), copy / BIG_LEN))
    res["profiles"] = {k: v[:25] for k, v in profiles.items()}
    res["bearssl_impls"] = bearssl_impls()

    # --- memory and size ---------------------------------------------------------------------------
    log("== footprint ==")
    fp = res["footprint"] = {}
    one = ["get", url["https"], "/small.json", "1", "--ca", CA, "--expect", str(SMALL_LEN)]
    r = run_client([cd_c] + one)
    fp["cdrest_https_peak_heap"] = int(r["peak_heap"])
    fp["cdrest_https_vmhwm_kb"] = int(r["vmhwm_kb"])
    fp["cdrest_https_allocs"] = int(r["allocs"])
    r = run_client([curl_c] + one + ["--count-allocs"])
    fp["libcurl_https_peak_heap"] = int(r["peak_heap"])
    fp["libcurl_https_allocs"] = int(r["allocs"])
    r = run_client([curl_c] + one)
    fp["libcurl_https_vmhwm_kb"] = int(r["vmhwm_kb"])
    r = run_client(req_c + one)
    fp["requests_https_vmhwm_kb"] = int(r["vmhwm_kb"])
    fp["cdrest_https_massif"] = massif_peak([cd_c] + one, "cdrest")
    fp["libcurl_https_massif"] = massif_peak([curl_c] + one, "libcurl")
    # Heap allocations per steady-state request: requests 101..N of one run (after 100 warm-up).
    steady = {}
    for key, target, n, expect in (("http", "/small.json", 2000, SMALL_LEN), ("https", "/small.json", 2000, SMALL_LEN),
                                   ("https_big", "/big.bin", 200, BIG_LEN)):
        u = url["https" if key.startswith("https") else "http"]
        a = ["get", u, target, str(n), "--ca", CA, "--expect", str(expect), "--warm", str(n // 10)]
        rc = run_client([cd_c] + a)
        rl = run_client([curl_c] + a + ["--count-allocs"])
        steady[key] = {"cdrest": rc["steady_allocs"] / rc["steady_reqs"],
                       "libcurl": rl["steady_allocs"] / rl["steady_reqs"]}
    rc = run_client([cd_c, "cd", emu, "500", "--warm", "100"])
    steady["cd_pair"] = {"cdrest": rc["steady_allocs"] / rc["steady_reqs"], "libcurl": None}
    rc = run_client([cd_c, "fresh", url["rsa_resume"], "/small.json", "50", "--ca", CA, "--warm", "10"])
    rl = run_client([curl_c, "fresh", url["rsa_resume"], "/small.json", "50", "--ca", CA, "--warm", "10", "--count-allocs"])
    steady["https_resumed_connection"] = {"cdrest": rc["steady_allocs"] / rc["steady_reqs"],
                                          "libcurl": rl["steady_allocs"] / rl["steady_reqs"]}
    fp["steady_allocs"] = steady
    fp["cdrest_max_steady_allocs"] = max(v["cdrest"] for v in steady.values())
    # Code size (text + data).
    fp["cdrest_obj_tls"] = size_of(os.path.join(P, "cdrest-Os.o"))
    fp["cdrest_obj_notls"] = size_of(os.path.join(P, "cdrest-Os-notls.o"))
    fp["cdrest_exe_static_bearssl"] = size_of(os.path.join(P, "cdrest_client_os_static"))
    libs = ldd_libs(curl_c)
    fp["libcurl_nlibs"] = len(libs)
    fp["libcurl_libs_total"] = sum(size_of(l) for l in libs)
    fp["libcurl_libs_disk"] = sum(os.path.getsize(l) for l in libs)
    core = {}
    for l in libs:
        base = os.path.basename(l)
        for name in ("libcurl.so", "libssl.so", "libcrypto.so"):
            if base.startswith(name):
                core[name] = size_of(l)
    fp["libcurl_core"] = core
    fp["libcurl_core_total"] = sum(core.values())
    fp["cdrest_nlibs"] = len(ldd_libs(os.path.join(P, "cdrest_client_os_static")))
    fp.update(measure_cli())
    log("  done")

    stop_children()
    res["machine"]["loadavg_end"] = os.getloadavg()[0]
    res["elapsed_s"] = time.monotonic() - t_start
    with open(os.path.join(B, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    import report  # bench/report.py: the table, results.md and the final lines
    import chart
    chart.write_svg(res, os.path.join(HERE, "results.svg"))
    text = report.markdown(res)
    with open(os.path.join(HERE, "results.md"), "w") as f:
        f.write(text)
    report.update_readme(res, os.path.join(HERE, "..", "README.md"))
    print()
    print(report.console(res))
    for line in report.machine_lines(res):
        print(line)


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    try:
        main()
    finally:
        stop_children()
