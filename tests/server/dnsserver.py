"""dnsserver: a small UDP DNS responder for linkhealthd's tests.

Bound to 127.0.0.1, port 0 (the port it got is .port).  It answers from a
table, name -> what to do, names in lower case without the final dot:

    {"ok.lh.test": {"a": ["127.0.0.1"], "aaaa": ["::1"]},
     "gone.lh.test": "nxdomain",
     "broken.lh.test": "servfail",
     "slow.lh.test": "drop",         # no answer at all
     "no.lh.test": "refused",
     "lh.test": {"ns": ["ns1.lh.test"]}}

A name with a dict answers NOERROR: the records of the type asked (a,
aaaa, ns), or none (NODATA).  A name not in the table gets `default`
("nxdomain" unless told).  Every query is counted by (name, type name):
.count("ok.lh.test", "A"), .total().  Standard library only.

As a program (for the C unit tests): python3 dnsserver.py TABLE_JSON
prints "port N" on a line of its own, then serves until stdin closes.
"""

import json
import socket
import struct
import sys
import threading

TYPES = {1: "A", 2: "NS", 28: "AAAA", 6: "SOA"}
RCODES = {"nxdomain": 3, "servfail": 2, "refused": 5}


def _read_name(msg, off):
    labels = []
    while True:
        n = msg[off]
        if n == 0:
            return ".".join(labels), off + 1
        if n & 0xC0:
            raise ValueError("compression in a question")
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n


def _encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            b = label.encode("ascii")
            out += bytes([len(b)]) + b
    return out + b"\0"


def _rr(rtype, rdata, ttl=60):
    # The name is the question's, by a pointer to offset 12.
    return struct.pack("!HHHIH", 0xC00C, rtype, 1, ttl, len(rdata)) + rdata


def answer(table, msg, default="nxdomain"):
    """The reply to query msg (bytes), or None to stay silent; and the
    (name, type) asked, or None when msg is no query."""
    if len(msg) < 12:
        return None, None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if flags & 0x8000 or qd < 1:
        return None, None
    try:
        name, off = _read_name(msg, 12)
        qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    except (ValueError, IndexError, struct.error):
        return None, None
    name = name.lower().rstrip(".")
    asked = (name, TYPES.get(qtype, str(qtype)))
    question = msg[12:off + 4]
    spec = table.get(name, default)
    rcode = 0
    records = []
    if spec == "drop":
        return None, asked
    if isinstance(spec, str):
        rcode = RCODES[spec]
    else:
        if qtype == 1:
            records = [_rr(1, socket.inet_pton(socket.AF_INET, a))
                       for a in spec.get("a", [])]
        elif qtype == 28:
            records = [_rr(28, socket.inet_pton(socket.AF_INET6, a))
                       for a in spec.get("aaaa", [])]
        elif qtype == 2:
            records = [_rr(2, _encode_name(n)) for n in spec.get("ns", [])]
    # QR, the opcode and RD copied, RA, the rcode.
    rflags = 0x8000 | (flags & 0x7900) | 0x0080 | rcode
    head = struct.pack("!HHHHHH", qid, rflags, 1, len(records), 0, 0)
    return head + question + b"".join(records), asked


class DnsServer:
    """The responder on a thread of this process; stop() ends it."""

    def __init__(self, table, default="nxdomain"):
        self.table = dict(table)
        self.default = default
        self.counts = {}
        self._lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self):
        """What dns_servers wants: 127.0.0.1:PORT."""
        return "127.0.0.1:%d" % self.port

    def _serve(self):
        while not self._stop:
            try:
                msg, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            reply, asked = answer(self.table, msg, self.default)
            if asked is not None:
                with self._lock:
                    self.counts[asked] = self.counts.get(asked, 0) + 1
            if reply is not None:
                try:
                    self.sock.sendto(reply, peer)
                except OSError:
                    pass

    def count(self, name, qtype=None):
        """Queries for name (of qtype, or of any type)."""
        with self._lock:
            return sum(n for (nm, t), n in self.counts.items()
                       if nm == name and (qtype is None or t == qtype))

    def total(self):
        with self._lock:
            return sum(self.counts.values())

    def stop(self):
        self._stop = True
        self._thread.join(5)
        self.sock.close()


def closed_udp_port():
    """A UDP port on 127.0.0.1 with nobody listening (for a while)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    table = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    srv = DnsServer(table)
    print("port %d" % srv.port, flush=True)
    try:
        sys.stdin.read()
    finally:
        srv.stop()
        try:
            print("queries %d" % srv.total(), flush=True)
        except BrokenPipeError:
            pass            # nobody reads the count


if __name__ == "__main__":
    main()
