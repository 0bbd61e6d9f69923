"""Sharding: N instances given one directory split it between them with
no coordination; every link is checked by exactly one of them, and each
status file says which shard it holds."""

import collections
import os
import subprocess

import lhtest
from lhtest import check, check_eq, serve, test

FAST = {"timeout": "5s", "connect_timeout": "2s", "retries": 0}


@test(deadline=120)
def three_instances_check_every_link_exactly_once():
    srv = serve({"/": {"status": 200, "prefix": True}})
    urls = [srv.url("/org/%d" % i) for i in range(300)]
    directory = lhtest.write_list_directory(urls)
    seen = collections.Counter()
    for k in (1, 2, 3):
        conf = dict(FAST, directory=directory)
        r = lhtest.run_once(conf, ["--shard", "%d/3" % k])
        check_eq(0, r.returncode, "shard %d/3 exit (stderr %s)"
                 % (k, r.stderr[-300:]))
        st = r.status or {}
        check_eq({"index": k, "count": 3}, st.get("shard"),
                 "shard %d/3 in its status file" % k)
        check_eq(300, st.get("directory", {}).get("entries"),
                 "the whole directory's entries, in shard %d" % k)
        mine = [l["url"] for l in r.links]
        # A fair hash: no shard is empty or holds nearly everything.
        check(40 <= len(mine) <= 160, "shard %d/3 holds %d of 300 links"
              % (k, len(mine)))
        seen.update(mine)
    check_eq(set(urls), set(seen), "every link is in some shard")
    twice = [u for u, n in seen.items() if n != 1]
    check_eq([], twice, "links in more than one shard")
    # The server saw each path checked once, no more (the servers' random
    # path probes of the content checks aside).
    paths = collections.Counter(
        q["path"] for q in srv.requests()
        if not q["path"].endswith("-linkhealthd-probe"))
    check_eq(300, len(paths), "distinct paths requested")
    check_eq([], [p for p, n in paths.items() if n != 1],
             "paths requested more than once")


@test
def the_split_is_the_same_on_every_machine():
    """The shard of a URL is FNV-1a 64 of its bytes, modulo N: a fixed
    function, so instances on other machines agree (and a tool can
    compute it).  Checked against an independent implementation."""
    srv = serve({"/": {"status": 200, "prefix": True}})
    urls = [srv.url("/x/%d" % i) for i in range(60)] + \
        [srv.url("/caf%C3%A9")]
    directory = lhtest.write_list_directory(urls)

    def shard_of(url, n):
        h = 0xcbf29ce484222325
        for b in url.encode():
            h ^= b
            h = (h * 0x100000001b3) & 0xffffffffffffffff
        return h % n + 1

    for k in (1, 2):
        r = lhtest.run_once(dict(FAST, directory=directory, shard="%d/2" % k))
        got = sorted(l["url"] for l in r.links)
        want = sorted(u for u in urls if shard_of(u, 2) == k)
        check_eq(want, got, "links of shard %d/2 (config key shard)" % k)


@test
def bad_shards_are_refused_with_the_reason():
    srv = serve({"/": 200})
    directory = lhtest.write_list_directory([srv.url("/")])
    for bad in ("0/3", "4/3", "3", "1/0", "a/b", "1/3/4", "-1/3", "1/5000"):
        r = lhtest.run_once(dict(FAST, directory=directory),
                            ["--shard", bad])
        check_eq(2, r.returncode, "exit for --shard %s" % bad)
        check(("\"%s\" is not K/N" % bad) in r.stderr,
              "message for %s: %r" % (bad, r.stderr[-200:]))
    conf = lhtest.write_config(dict(FAST, directory=directory, shard="5/4"))
    p = subprocess.run([lhtest.binary(), "--check-config", "-c", conf],
                       capture_output=True, text=True, timeout=30)
    check_eq(2, p.returncode, "exit for shard = 5/4 in the file")
    check("%s:" % os.path.basename(conf) in p.stderr and "shard" in p.stderr,
          "the file and key named: %r" % p.stderr[-200:])


@test
def an_unsharded_status_says_so():
    srv = serve({"/": 200})
    r = lhtest.run_once(dict(FAST, directory=lhtest.write_list_directory(
        [srv.url("/")])))
    check("shard" in (r.status or {}), "a shard key")
    check_eq(None, (r.status or {}).get("shard"), "shard is null")


if __name__ == "__main__":
    lhtest.main()
