"""The private-address guard and the IPv6 spellings of an IPv4 address
(issue 13, item 5), written as a URL's host.

Each run happens in a network namespace of its own (`unshare -n`) whose
loopback is down: no packet can leave it, so an address the guard lets
through fails with "network unreachable" instead of reaching anything,
and a guard that misses a spelling shows as that error, not as a
refusal."""

import json
import os
import subprocess

import lhtest
from lhtest import check, check_eq, check_in, test

FAST = {"timeout": "3s", "connect_timeout": "2s", "retries": 0}


def once_isolated(urls, **cfg):
    """linkhealthd --once on urls inside a fresh network namespace; the
    status document's links by URL."""
    conf = dict(FAST, allow_private="no")
    conf.update(cfg)
    conf["directory"] = lhtest.write_list_directory(urls)
    folder = lhtest.tmpdir()
    path = lhtest.write_config(conf, folder)
    status = os.path.join(folder, "status.json")
    argv = ["unshare", "-n"] + lhtest.wrapper() + \
        [lhtest.binary(), "--once", "-c", path, "-o", status]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, errors="replace", timeout=120,
                       env=lhtest.clean_env(None))
    check(p.returncode in (0, 1), "clean exit (rc %r, stderr %s)"
          % (p.returncode, p.stderr[-300:]))
    try:
        with open(status, encoding="utf-8") as f:
            links = json.load(f).get("links") or []
    except (OSError, ValueError):
        links = []
    return {l.get("url"): l for l in links}


# URL, the reason the guard must give.
REFUSED = [
    ("http://[::7f00:1]/",
     "::127.0.0.1 (IPv4-compatible loopback 127.0.0.1)"),
    ("http://[::ffff:127.0.0.1]/",
     "::ffff:127.0.0.1 (IPv4-mapped loopback 127.0.0.1)"),
    ("http://[::ffff:0:a9fe:a9fe]/latest/meta-data/",
     "::ffff:0:a9fe:a9fe (IPv4-translated link-local 169.254.169.254)"),
    ("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
     "64:ff9b::a9fe:a9fe (NAT64 link-local 169.254.169.254)"),
    ("http://[64:ff9b::10.0.0.1]/",
     "64:ff9b::a00:1 (NAT64 private 10.0.0.1)"),
    ("http://[64:ff9b:1::5db8:d822]/",
     "64:ff9b:1::5db8:d822 (local-use NAT64)"),
    ("http://[2002:c0a8:101::1]:8080/",
     "2002:c0a8:101::1 (6to4 private 192.168.1.1)"),
    ("http://[2001:0:5db8:d822::80ff:fffe]/",
     "2001:0:5db8:d822::80ff:fffe (Teredo loopback 127.0.0.1)"),
]

# The same spellings around public addresses: let through by the guard.
ALLOWED = [
    "http://[::5db8:d822]/",
    "http://[::ffff:93.184.216.34]/",
    "http://[64:ff9b::5db8:d822]/",
    "http://[2002:5db8:d822::1]/",
    "http://[2001:0:5db8:d822::a247:27dd]/",
]


def require_netns():
    p = subprocess.run(["unshare", "-n", "true"], capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise RuntimeError("unshare -n failed (%s): these tests need root "
                           "or user namespaces" % p.stderr.strip())


@test
def every_spelling_of_a_private_address_is_refused():
    require_netns()
    links = once_isolated([u for u, _ in REFUSED] + ALLOWED)
    for url, why in REFUSED:
        l = links.get(url) or {}
        check_eq("error", l.get("state"), url + ": state")
        check_eq("forbidden-address", l.get("failure"), url + ": failure")
        check_in("refused: private address " + why, l.get("reason", ""),
                 url + ": reason")
    for url in ALLOWED:
        l = links.get(url) or {}
        check(url in links, url + ": in the status file")
        check(l.get("failure") != "forbidden-address" and
              "private address" not in l.get("reason", ""),
              "%s: let through by the guard (failure %r, reason %r)"
              % (url, l.get("failure"), l.get("reason")))


@test
def allow_networks_covers_every_spelling():
    require_netns()
    urls = ["http://[::ffff:10.20.3.4]/", "http://[2002:a14:304::1]/",
            "http://[64:ff9b::a15:304]/"]
    links = once_isolated(urls, allow_networks="10.20.0.0/16")
    for url in urls[:2]:
        l = links.get(url) or {}
        check(url in links and l.get("failure") != "forbidden-address",
              "%s: allowed (failure %r)" % (url, l.get("failure")))
    l = links.get(urls[2]) or {}
    check_in("refused: private address 64:ff9b::a15:304 (NAT64 private "
             "10.21.3.4)", l.get("reason", ""), "outside the network")


if __name__ == "__main__":
    lhtest.main()
