"""Rot behind a 200: what a page says about itself (parked, not found, an
error page, a refresh, a sign-in wall, a server that answers every path
alike), each case with the look-alike that must stay ok, and when pages
are read (first sight, a changed answer, content_interval), across
cycles and restarts.  Local servers on 127.0.0.1 only."""

import lhtest
from lhtest import Daemon, check, check_eq, check_in, serve, test

FAST = {"timeout": "3s", "connect_timeout": "2s", "retries": 0,
        "fail_threshold": 1}

# A real page: a title, a heading and some text of its own.
REAL = ("<html><head><title>Coastal Ecology Lab</title></head><body>"
        "<h1>Coastal Ecology Lab</h1><p>We study salt marshes and the "
        "birds that live in them.</p></body></html>")
NOT_FOUND_404 = {"status": 404, "prefix": True, "body": "<title>404</title>"}


def html(body, **extra):
    spec = {"status": 200, "body": body,
            "headers": {"Content-Type": "text/html; charset=utf-8"}}
    spec.update(extra)
    return spec


def once(urls, **cfg):
    conf = dict(FAST)
    conf.update(cfg)
    conf["directory"] = lhtest.write_list_directory(urls)
    return lhtest.run_once(conf)


def verdict(srv, path, **cfg):
    url = srv.url(path)
    r = once([url], **cfg)
    link = r.link(url)
    check(link is not None, "a status entry for %s (stderr: %s)"
          % (url, r.stderr[-400:]))
    return link or {}


def gets(srv, path):
    return sum(1 for q in srv.requests()
               if q["method"] == "GET" and q["path"] == path)


@test
def parked_page_is_stale():
    srv = serve({"/": html("<title>lapsed.example</title><p>This domain is "
                           "for sale! Make an offer.</p>"),
                 "/group": html("<title>lapsed.example</title><p>This "
                                "domain is for sale!</p>"),
                 "*": NOT_FOUND_404})
    for path in ("/", "/group"):
        l = verdict(srv, path)
        check_eq("stale", l.get("state"), "state of %s" % path)
        check_eq("domain parked (for sale)", l.get("reason"),
                 "reason of %s" % path)


@test
def not_found_title_served_with_200_is_stale():
    titles = ["Page not found", "Page introuvable", "Seite nicht gefunden",
              "P\u00e1gina no encontrada", "Pagina niet gevonden",
              "Pagina non trovata", "P\u00e1gina n\u00e3o encontrada",
              "\u30da\u30fc\u30b8\u304c\u898b\u3064\u304b\u308a\u307e\u305b"
              "\u3093"]
    routes = {"*": NOT_FOUND_404}
    for i, t in enumerate(titles):
        routes["/p%d" % i] = html("<title>%s</title><p>Sorry.</p>" % t)
    srv = serve(routes)
    urls = [srv.url("/p%d" % i) for i in range(len(titles))]
    r = once(urls)
    for url, t in zip(urls, titles):
        l = r.link(url) or {}
        check_eq("stale", l.get("state"), "state for %r" % t)
        check_eq('soft 404 (the page says "%s")' % t, l.get("reason"),
                 "reason for %r" % t)


@test
def not_found_heading_is_stale():
    srv = serve({"/p": html("<title>Example</title><h1>Error 404</h1>"),
                 "*": NOT_FOUND_404})
    l = verdict(srv, "/p")
    check_eq("stale", l.get("state"), "state")
    check_eq('soft 404 (the page says "Error 404")', l.get("reason"),
             "reason")


@test
def control_error_analysis_group_is_ok():
    srv = serve({"/eag": html("<title>Error Analysis Research Group</title>"
                              "<h1>Error Analysis</h1><p>Numerical error "
                              "bounds.</p>"),
                 "*": NOT_FOUND_404})
    l = verdict(srv, "/eag")
    check_eq("ok", l.get("state"), "state")
    check_eq("200 OK", l.get("reason"), "reason")


@test
def redirect_to_an_error_page_is_stale():
    srv = serve({"/p": {"redirect": {"status": 302,
                                     "location": "/errors/404.html"}},
                 "/errors/404.html": html("<title>Oops</title>"),
                 "*": NOT_FOUND_404})
    l = verdict(srv, "/p")
    check_eq("stale", l.get("state"), "state")
    check_eq("redirected to an error page " + srv.url("/errors/404.html"),
             l.get("reason"), "reason")


@test
def control_redirect_to_a_group_named_errors_is_ok():
    srv = serve({"/p": {"redirect": {"status": 302, "location":
                                     "/errors-and-omissions-group/"}},
                 "/errors-and-omissions-group/": html(REAL),
                 "*": NOT_FOUND_404})
    check_eq("ok", verdict(srv, "/p").get("state"), "state")


@test
def meta_refresh_to_the_home_page_is_stale():
    srv = serve({"/old": html('<meta http-equiv="refresh" content="0; '
                              'url=/">'),
                 "/": html(REAL), "*": NOT_FOUND_404})
    l = verdict(srv, "/old")
    check_eq("stale", l.get("state"), "state")
    check_eq("refreshed to the home page %s \u2014 soft 404"
             % srv.url("/"), l.get("reason"), "reason")
    chain = l.get("redirect_chain") or [{}]
    check_eq(srv.url("/"), chain[-1].get("location"), "the refresh is a hop")


@test
def refresh_header_is_followed_too():
    srv = serve({"/old": html("<p>moving</p>",
                              headers={"Refresh": "0; url=/",
                                       "Content-Type": "text/html"}),
                 "/": html(REAL), "*": NOT_FOUND_404})
    l = verdict(srv, "/old")
    check_eq("stale", l.get("state"), "state")
    check_in("refreshed to the home page", l.get("reason", ""), "reason")


@test
def control_listed_home_page_is_ok():
    # A home page, a home page refreshing to itself (another spelling of
    # it), and a home page served on every path: all fine.
    srv = serve({"/": html('<meta http-equiv="refresh" content="0; '
                           'url=/index.html">' + REAL),
                 "/index.html": html(REAL),
                 "*": html(REAL)})
    l = verdict(srv, "/")
    check_eq("ok", l.get("state"), "state (%s)" % l.get("reason"))


@test
def site_answering_every_path_alike_is_stale():
    srv = serve({"*": html(REAL)})
    l = verdict(srv, "/people/alice")
    check_eq("stale", l.get("state"), "state")
    check_eq("the site answers every address with the same page \u2014 "
             "soft 404", l.get("reason"), "reason")
    probes = [q["path"] for q in srv.requests()
              if q["path"].endswith("-linkhealthd-probe")]
    check_eq(1, len(probes), "one probe (%r)" % probes)


@test
def control_real_page_on_a_site_whose_other_paths_404_is_ok():
    srv = serve({"/people/alice": html(REAL), "*": NOT_FOUND_404})
    l = verdict(srv, "/people/alice")
    check_eq("ok", l.get("state"), "state")
    check_eq("200 OK", l.get("reason"), "reason")


@test
def one_probe_per_server_per_cycle():
    routes = {"*": NOT_FOUND_404}
    for i in range(12):
        routes["/p%d" % i] = html(REAL.replace("salt", "salt %d" % i))
    srv = serve(routes)
    r = once([srv.url("/p%d" % i) for i in range(12)], concurrency=4,
             per_host_concurrency=4)
    check_eq(12, (r.status or {}).get("summary", {}).get("ok"), "all ok")
    probes = [q for q in srv.requests()
              if q["path"].endswith("-linkhealthd-probe")]
    check_eq(1, len(probes), "probes")


@test
def redirect_to_login_is_blocked():
    srv = serve({"/members": {"redirect": {"status": 302,
                                           "location": "/login?next=/m"}},
                 "/login": html("<title>Log in</title><form><input "
                                "type=password></form>"),
                 "*": NOT_FOUND_404})
    l = verdict(srv, "/members")
    check_eq("blocked", l.get("state"), "state")
    check_eq("sign-in required (redirected to %s)"
             % srv.url("/login?next=/m"), l.get("reason"), "reason")


@test
def control_a_page_with_a_login_box_is_ok():
    srv = serve({"/lab": html("<title>Coastal Ecology Lab</title><h1>Lab"
                              "</h1><form action=/wp-login.php><input "
                              "type=password></form>"),
                 "*": NOT_FOUND_404})
    check_eq("ok", verdict(srv, "/lab").get("state"), "state")


@test
def a_pdf_is_not_read_as_a_page():
    srv = serve({"/report.pdf": {"status": 200, "body": "<title>Page not "
                                 "found</title>", "headers": {
                                     "Content-Type": "application/pdf"}},
                 "*": {"status": 200, "body": "%PDF",
                       "headers": {"Content-Type": "application/pdf"}}})
    l = verdict(srv, "/report.pdf")
    check_eq("ok", l.get("state"), "state")
    check_eq(None, (l.get("page") or {}).get("title"), "no title read")
    check_eq([], [q["path"] for q in srv.requests()
                  if q["path"].endswith("-linkhealthd-probe")], "no probe")


@test
def refresh_to_another_scheme_is_not_followed():
    srv = serve({"/p": html('<meta http-equiv="refresh" content="0; '
                            'url=mailto:web@example.org">' + REAL),
                 "*": NOT_FOUND_404})
    l = verdict(srv, "/p")
    check_eq("ok", l.get("state"), "state (%s)" % l.get("reason"))
    check_eq(0, l.get("redirects"), "no hop")


@test
def content_checks_off_reads_nothing():
    srv = serve({"/p": html("<title>Page not found</title>"),
                 "*": NOT_FOUND_404})
    l = verdict(srv, "/p", content_checks="no")
    check_eq("ok", l.get("state"), "state")
    check_eq(["HEAD"], [q["method"] for q in srv.requests()], "requests")


@test(deadline=180)
def pages_are_read_when_due_across_cycles_and_restarts():
    routes = {"/page": html(REAL, headers={"ETag": '"v1"',
                                           "Content-Type": "text/html"}),
              "*": NOT_FOUND_404}
    srv = serve(routes)
    url = srv.url("/page")
    directory = lhtest.write_list_directory([url])
    conf = dict(FAST, interval="1s", jitter=0, directory=directory)
    d = Daemon(conf)
    check(d.wait_status(lambda s: s["cycle"]["number"] >= 3, timeout=60),
          "three cycles")
    check_eq(1, gets(srv, "/page"), "read once in three cycles")
    s = d.status() or {}
    page = ((s.get("links") or [{}])[0]).get("page") or {}
    check_eq("Coastal Ecology Lab", page.get("title"), "the page's title")
    check_eq('"v1"', page.get("etag"), "the ETag it was read under")
    check_eq("ok", page.get("verdict"), "its verdict")

    # A new ETag: read again, once.
    routes["/page"] = html("<title>Page not found</title>",
                           headers={"ETag": '"v2"',
                                    "Content-Type": "text/html"})
    n = s["cycle"]["number"]
    s = d.wait_status(lambda s: s["cycle"]["number"] >= n + 3, timeout=60)
    check_eq(2, gets(srv, "/page"), "read again after the ETag changed")
    link = ((s or {}).get("links") or [{}])[0]
    check_eq("stale", link.get("state"), "the new page is judged")
    check_eq('soft 404 (the page says "Page not found")',
             link.get("reason"), "and keeps its reason between readings")
    d.check_stop()

    # A restart: the memo comes back from the status file, so the page is
    # not read again and its verdict stands.
    d2 = Daemon(conf, status_path=d.status_path)
    # The file already holds later cycle numbers: the log says when.
    check(d2.wait_log("cycle 2:", timeout=60), "two cycles after the restart")
    s = d2.status()
    check_eq(2, gets(srv, "/page"), "not read again after a restart")
    link = ((s or {}).get("links") or [{}])[0]
    check_eq("stale", link.get("state"), "state after the restart")
    check_eq('soft 404 (the page says "Page not found")',
             link.get("reason"), "reason after the restart")
    d2.check_stop()


@test(deadline=180)
def content_interval_zero_reads_every_cycle():
    srv = serve({"/page": html(REAL), "*": NOT_FOUND_404})
    directory = lhtest.write_list_directory([srv.url("/page")])
    d = Daemon(dict(FAST, interval="1s", jitter=0, content_interval=0,
                    directory=directory))
    check(d.wait_status(lambda s: s["cycle"]["number"] >= 3, timeout=60),
          "three cycles")
    check(gets(srv, "/page") >= 3, "read every cycle (%d)"
          % gets(srv, "/page"))
    d.check_stop()


if __name__ == "__main__":
    lhtest.main()
