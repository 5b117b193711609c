"""A TLS server that reads slowly, for tests/test_faults.c: it accepts one connection,
completes the handshake, then reads 4 KiB every 50 ms for SLOW seconds (so the client's
writes time out mid-record, and anything it sends while closing is read), then reads the
rest at full speed, and writes to OUT how the stream ended and how many bytes came:
"eof N" (closed without close_notify), "close_notify N", or "sslerror:REASON N" (a
corrupted stream: bad record MAC). Usage: tls_slow_reader.py CERT KEY OUT SLOW"""
import socket
import ssl
import sys
import time

cert, key, out, slow = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
ls.bind(("127.0.0.1", 0))
ls.listen(1)
print("PORT %d" % ls.getsockname()[1], flush=True)
ls.settimeout(30)
conn, _ = ls.accept()
conn.settimeout(30)
s = ctx.wrap_socket(conn, server_side=True, suppress_ragged_eofs=False)
start = time.monotonic()
total = 0
verdict = "eof"
try:
    while True:
        d = s.recv(4096 if time.monotonic() - start < slow else 1 << 20)
        if not d:
            verdict = "close_notify"
            break
        total += len(d)
        if time.monotonic() - start < slow:
            time.sleep(0.05)
except ssl.SSLEOFError:
    verdict = "eof"
except ssl.SSLError as e:
    verdict = "sslerror:%s" % (e.reason or e)
except OSError as e:
    verdict = "oserror:%s" % type(e).__name__
with open(out, "w") as f:
    f.write("%s %d\n" % (verdict, total))
