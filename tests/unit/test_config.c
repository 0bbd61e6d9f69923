/* Tests of config.c: defaults, every value kind, and each error path. */
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "test.h"

#define CONF LH_FIXTURES "/config/"

static void
test_defaults(void)
{
    struct lh_config c;

    CHECK_INT_EQ(0, lh_config_init(&c));
    CHECK_INT_EQ(15 * 60 * 1000, c.interval_ms);
    CHECK_INT_EQ(32, c.concurrency);
    CHECK_INT_EQ(2, c.per_host_concurrency);
    CHECK_INT_EQ(1, c.retries);
    CHECK_INT_EQ(2, c.fail_threshold);
    CHECK_INT_EQ(1, c.recover_threshold);
    CHECK_INT_EQ(10, c.max_redirects);
    CHECK_INT_EQ(8 * 1024 * 1024, c.directory_max_bytes);
    CHECK_INT_EQ(5000, c.directory_parse_timeout_ms);
    CHECK_INT_EQ(LOG_DAEMON, c.syslog_facility);
    CHECK_INT_EQ(LOG_INFO, c.log_level);
    CHECK_STR_EQ("linkhealthd/" LH_VERSION, c.user_agent);
    CHECK(c.ca_file == NULL);
    CHECK(!c.allow_private);
    CHECK_INT_EQ(0, lh_config_validate(&c, NULL, 0));
    lh_config_cleanup(&c);
}

static void
test_good_file(void)
{
    struct lh_config c;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_config_load(&c, CONF "good.conf", err, sizeof(err)));
    CHECK_STR_EQ("", err);
    /* Relative paths are relative to the file's folder. */
    CHECK_STR_EQ(CONF "sub/dir.json", c.directory);
    CHECK_STR_EQ(CONF "certs/ca.pem", c.ca_file);
    CHECK_STR_EQ("/tmp/lh-status.json", c.status_file);
    CHECK_INT_EQ(LH_DIR_WPJSON, c.directory_format);
    CHECK_INT_EQ(2 * 1024 * 1024, c.directory_max_bytes);
    CHECK_INT_EQ(3600 * 1000, c.interval_ms);
    CHECK_INT_EQ(0, c.jitter_ms);
    CHECK_INT_EQ(16, c.concurrency);
    CHECK_INT_EQ(4, c.per_host_concurrency);
    CHECK_INT_EQ(5000, c.timeout_ms);
    CHECK_INT_EQ(1500, c.connect_timeout_ms);
    CHECK_INT_EQ(2, c.retries);
    CHECK_INT_EQ(60000, c.retry_after_max_ms);
    CHECK_INT_EQ(3, c.fail_threshold);
    CHECK_INT_EQ(2, c.recover_threshold);
    CHECK_INT_EQ(5, c.max_redirects);
    CHECK_INT_EQ(16 * 1024, c.max_body_bytes);
    CHECK_STR_EQ("linkhealthd-test/1", c.user_agent);
    CHECK_STR_EQ("mailto:webmaster@example.org", c.contact);
    CHECK_INT_EQ(2, c.nresolve);
    if (c.nresolve == 2) {
        CHECK_STR_EQ("a.test:80:127.0.0.1", c.resolve[0]);
        CHECK_STR_EQ("b.test:443:127.0.0.1", c.resolve[1]);
    }
    CHECK(c.allow_private);
    CHECK_INT_EQ(3, c.nallow_networks);
    if (c.nallow_networks == 3) {
        CHECK_STR_EQ("10.20.0.0/16", c.allow_networks[0]);
        CHECK_STR_EQ("fd00::/8", c.allow_networks[1]);
        CHECK_STR_EQ("192.168.5.0/24", c.allow_networks[2]);
    }
    CHECK_INT_EQ(LOG_LOCAL3, c.syslog_facility);
    CHECK_INT_EQ(LOG_DEBUG, c.log_level);
    lh_config_cleanup(&c);
}

static void
test_bundled_file(void)
{
    struct lh_config c;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_config_load(&c, "conf/linkhealthd.conf", err,
        sizeof(err)));
    CHECK_STR_EQ("", err);
    CHECK_STR_EQ("conf/directory.json", c.directory);
    CHECK_INT_EQ(15 * 60 * 1000, c.interval_ms);
    lh_config_cleanup(&c);
}

static void
test_bad_files(void)
{
    static const struct {
        const char *file;
        const char *message;
    } rows[] = {
        { "unknown-key.conf", "unknown-key.conf:2: unknown option "
            "\"intervall\"" },
        { "bad-duration.conf", "bad-duration.conf:3: interval: \"soon\" "
            "is not a duration" },
        { "out-of-range.conf", "out-of-range.conf:1: concurrency: \"0\" "
            "is out of range (1 to 4096)" },
        { "duplicate.conf", "duplicate.conf:2: option \"interval\" is set "
            "twice" },
        { "no-equals.conf", "no-equals.conf:1: expected \"key = value\"" },
        { "section.conf", "section.conf:2: option \"interval\" in section "
            "[main]" },
        { "bad-scheme.conf", "bad-scheme.conf:1: directory: "
            "\"ftp://example.org/dir\" only http and https" },
        { "bad-resolve.conf", "bad-resolve.conf:1: resolve: "
            "\"example.org:443\" is not host:port:address" },
        { "per-host-above.conf", "per-host-above.conf: "
            "per_host_concurrency (8) is above concurrency (4)" },
        { "bad-format.conf", "bad-format.conf:1: directory_format: \"xml\" "
            "is not one of" },
        { "bad-facility.conf", "bad-facility.conf:1: syslog_facility: "
            "\"kernel\" is not a syslog facility" },
        { "bad-level.conf", "bad-level.conf:1: log_level: \"loud\"" },
        { "connect-above.conf", "connect_timeout (30000 ms) is above "
            "timeout (10000 ms)" },
        { "missing.conf", "missing.conf: No such file or directory" },
        { "bad-bool.conf", "bad-bool.conf:1: allow_private: \"maybe\" is "
            "not yes or no" },
        { "bad-network.conf", "bad-network.conf:1: allow_networks: "
            "\"10.0.0.0/8, intranet\" holds something that is not a "
            "network" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_config c;
        char path[256], err[512] = "";
        TEST_ROW_BEGIN();

        snprintf(path, sizeof(path), CONF "%s", rows[i].file);
        CHECK_INT_EQ(-1, lh_config_load(&c, path, err, sizeof(err)));
        CHECK_STR_CONTAINS(rows[i].message, err);
        /* A failed load leaves nothing to free and nothing set. */
        CHECK(c.directory == NULL && c.path == NULL);
        lh_config_cleanup(&c);
        TEST_ROW_END(rows[i].file);
    }
}

static void
test_overrides(void)
{
    struct lh_config c;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_config_init(&c));
    CHECK_INT_EQ(0, lh_config_set(&c, "interval", "90s", "--interval", err,
        sizeof(err)));
    CHECK_INT_EQ(90000, c.interval_ms);
    /* Command-line paths stay relative to the working folder. */
    CHECK_INT_EQ(0, lh_config_set(&c, "directory", "x/dir.json",
        "--directory", err, sizeof(err)));
    CHECK_STR_EQ("x/dir.json", c.directory);
    CHECK_INT_EQ(-1, lh_config_set(&c, "concurrency", "many",
        "--concurrency", err, sizeof(err)));
    CHECK_STR_EQ("--concurrency: \"many\" is not a whole number", err);
    CHECK_INT_EQ(-1, lh_config_set(&c, "nope", "1", "--set", err,
        sizeof(err)));
    CHECK_STR_EQ("--set: unknown option \"nope\"", err);
    lh_config_cleanup(&c);
}

/* curl reads ca_file at each handshake, on the loop: a FIFO or a device
 * there is refused when the configuration is checked. */
static void
test_ca_file_kind(void)
{
    struct lh_config c;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_config_init(&c));
    CHECK_INT_EQ(0, lh_config_set(&c, "directory", "dir.json", "--directory",
        err, sizeof(err)));
    CHECK_INT_EQ(0, lh_config_set(&c, "status_file", "status.json", "-o",
        err, sizeof(err)));
    CHECK_INT_EQ(0, lh_config_set(&c, "ca_file", "/dev/zero", "--set", err,
        sizeof(err)));
    CHECK_INT_EQ(-1, lh_config_validate(&c, err, sizeof(err)));
    CHECK_STR_EQ("configuration: ca_file /dev/zero: is a character device, "
        "not a regular file", err);
    /* The controls: a regular file, and one not there (curl says so at
     * the check, as before). */
    CHECK_INT_EQ(0, lh_config_set(&c, "ca_file", LH_FIXTURES
        "/directory.txt", "--set", err, sizeof(err)));
    CHECK_INT_EQ(0, lh_config_validate(&c, err, sizeof(err)));
    CHECK_INT_EQ(0, lh_config_set(&c, "ca_file", "/nonexistent/ca.pem",
        "--set", err, sizeof(err)));
    CHECK_INT_EQ(0, lh_config_validate(&c, err, sizeof(err)));
    lh_config_cleanup(&c);
}

/* --timeout 5s alone shortens the default connect_timeout with it; both
 * given and contradicting each other is an error.  Range errors name the
 * range in the units a person writes. */
static void
test_timeouts_and_ranges(void)
{
    struct lh_config c;
    char err[256] = "";

    CHECK_INT_EQ(0, lh_config_init(&c));
    CHECK_INT_EQ(0, lh_config_set(&c, "timeout", "5s", "--timeout", err,
        sizeof(err)));
    CHECK_INT_EQ(0, lh_config_validate(&c, err, sizeof(err)));
    CHECK_INT_EQ(5000, c.connect_timeout_ms);
    CHECK_INT_EQ(0, lh_config_set(&c, "connect_timeout", "10s", "x", err,
        sizeof(err)));
    CHECK_INT_EQ(-1, lh_config_validate(&c, err, sizeof(err)));
    CHECK_STR_CONTAINS("connect_timeout (10000 ms) is above timeout "
        "(5000 ms)", err);
    CHECK_INT_EQ(-1, lh_config_set(&c, "timeout", "99h", "--timeout", err,
        sizeof(err)));
    CHECK_STR_EQ("--timeout: \"99h\" is out of range (100ms to 10m)", err);
    CHECK_INT_EQ(-1, lh_config_set(&c, "interval", "50ms", "--interval",
        err, sizeof(err)));
    CHECK_STR_CONTAINS("is out of range (100ms to 7d)", err);
    CHECK_INT_EQ(0, lh_config_set(&c, "directory_parse_timeout", "1500ms",
        "x", err, sizeof(err)));
    CHECK_INT_EQ(1500, c.directory_parse_timeout_ms);
    CHECK_INT_EQ(-1, lh_config_set(&c, "directory_parse_timeout", "0", "x",
        err, sizeof(err)));
    CHECK_STR_CONTAINS("is out of range (100ms to 10m)", err);
    CHECK_INT_EQ(-1, lh_config_set(&c, "directory_max_bytes", "1", "x", err,
        sizeof(err)));
    CHECK_STR_CONTAINS("is out of range (1k to 1G)", err);
    lh_config_cleanup(&c);
}

/* dns_servers: each server checked, kept as c-ares's CSV. */
static void
test_dns_servers(void)
{
    static const struct {
        const char *in;
        const char *out;    /* NULL: refused */
    } rows[] = {
        { "127.0.0.1:5353", "127.0.0.1:5353" },
        { "192.0.2.53, [2001:db8::53]:5353", "192.0.2.53,[2001:db8::53]:5353" },
        { " 192.0.2.1   192.0.2.2,", "192.0.2.1,192.0.2.2" },
        { "2001:db8::1", "2001:db8::1" },
        { "[::1]", "[::1]" },
        { "", "" },                     /* none: the system's */
        { "dns.example.org", NULL },
        { "127.0.0.1:0", NULL },
        { "127.0.0.1:65536", NULL },
        { "127.0.0.1:53x", NULL },
        { "127.0.0.1:", NULL },
        { "[::1", NULL },
        { "[127.0.0.1]:53", NULL },
        { "256.0.0.1", NULL },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_config c;
        char err[512] = "";
        int rc;
        TEST_ROW_BEGIN();

        CHECK_INT_EQ(0, lh_config_init(&c));
        rc = lh_config_set(&c, "dns_servers", rows[i].in, "--set", err,
            sizeof(err));
        if (rows[i].out == NULL) {
            CHECK_INT_EQ(-1, rc);
            CHECK_STR_CONTAINS("is not an address[:port]", err);
        } else {
            CHECK_INT_EQ(0, rc);
            CHECK_STR_EQ(rows[i].out[0] != '\0' ? rows[i].out : NULL,
                c.dns_servers);
        }
        lh_config_cleanup(&c);
        TEST_ROW_END(rows[i].in);
    }
    /* Not set: the system's servers. */
    {
        struct lh_config c;

        CHECK_INT_EQ(0, lh_config_init(&c));
        CHECK(c.dns_servers == NULL);
        lh_config_cleanup(&c);
    }
}

/* listen: an address (not a name) and a port; loopback unless the file
 * says listen_public = yes, refused naming the line otherwise. */
static void
test_listen(void)
{
    static const struct {
        const char *in;
        int family;         /* 0: refused */
        unsigned port;
        bool loopback;
    } rows[] = {
        { "127.0.0.1:9601", AF_INET, 9601, true },
        { "127.9.8.7:1", AF_INET, 1, true },
        { "[::1]:9601", AF_INET6, 9601, true },
        { "[::1]:65535", AF_INET6, 65535, true },
        { "0.0.0.0:9601", AF_INET, 9601, false },
        { "192.0.2.1:80", AF_INET, 80, false },
        { "128.0.0.1:80", AF_INET, 80, false },
        { "[::]:9601", AF_INET6, 9601, false },
        { "[::ffff:127.0.0.1]:9601", AF_INET6, 9601, false },
        { "[2001:db8::1]:9601", AF_INET6, 9601, false },
        { "localhost:9601", 0, 0, false },
        { "127.0.0.1", 0, 0, false },
        { "127.0.0.1:", 0, 0, false },
        { "127.0.0.1:0", 0, 0, false },
        { "127.0.0.1:65536", 0, 0, false },
        { "127.0.0.1:96x", 0, 0, false },
        { "127.0.0.1:-1", 0, 0, false },
        { "127.0.0.1: 9601", 0, 0, false },
        { ":9601", 0, 0, false },
        { "::1:9601", 0, 0, false },
        { "[::1]", 0, 0, false },
        { "[::1]9601", 0, 0, false },
        { "[127.0.0.1]:9601", 0, 0, false },
        { "256.0.0.1:9601", 0, 0, false },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_listen l;
        struct lh_config c;
        char err[512] = "";
        TEST_ROW_BEGIN();

        if (rows[i].family == 0) {
            CHECK_INT_EQ(-1, lh_config_parse_listen(rows[i].in, &l));
            CHECK_INT_EQ(0, lh_config_init(&c));
            CHECK_INT_EQ(-1, lh_config_set(&c, "listen", rows[i].in,
                "--set", err, sizeof(err)));
            CHECK_STR_CONTAINS("is not address:port", err);
            CHECK(c.listen == NULL);
            lh_config_cleanup(&c);
        } else {
            CHECK_INT_EQ(0, lh_config_parse_listen(rows[i].in, &l));
            CHECK_INT_EQ(rows[i].family, l.family);
            CHECK_INT_EQ(rows[i].port, l.port);
            CHECK_INT_EQ(rows[i].loopback, lh_listen_is_loopback(&l));
        }
        TEST_ROW_END(rows[i].in);
    }

    /* In a file: off by default, "" is off, and an address that is not
     * loopback only with listen_public = yes, before or after it. */
    static const struct {
        const char *text;
        const char *message;    /* NULL: loads */
        const char *listen;
    } files[] = {
        { "", NULL, NULL },
        { "listen =\n", NULL, NULL },
        { "listen = 127.0.0.1:9601\n", NULL, "127.0.0.1:9601" },
        { "listen = [::1]:9601\n", NULL, "[::1]:9601" },
        { "# a comment\n\ninterval = 1h\nlisten = 0.0.0.0:9601\n",
            "etc/lh.conf:4: listen: 0.0.0.0:9601 is not a loopback address; "
            "set listen_public = yes", NULL },
        { "listen = [::]:9601\nlisten_public = no\n",
            "etc/lh.conf:1: listen: [::]:9601 is not a loopback", NULL },
        { "listen = 192.0.2.1:9601\nlisten_public = yes\n", NULL,
            "192.0.2.1:9601" },
        { "listen_public = yes\nlisten = [::]:9601\n", NULL, "[::]:9601" },
        /* listen_public alone opens nothing. */
        { "listen_public = yes\n", NULL, NULL },
        { "interval = 1h\nlisten = localhost:9601\n",
            "etc/lh.conf:2: listen: \"localhost:9601\" is not address:port",
            NULL },
    };

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct lh_config c;
        char err[512] = "";
        int rc;
        TEST_ROW_BEGIN();

        rc = lh_config_load_buffer(&c, files[i].text, strlen(files[i].text),
            "etc/lh.conf", err, sizeof(err));
        if (files[i].message == NULL) {
            CHECK_INT_EQ(0, rc);
            CHECK_STR_EQ("", err);
            CHECK_STR_EQ(files[i].listen, c.listen);
        } else {
            CHECK_INT_EQ(-1, rc);
            CHECK_STR_CONTAINS(files[i].message, err);
        }
        lh_config_cleanup(&c);
        TEST_ROW_END(files[i].text);
    }
}

static void
test_durations_and_sizes(void)
{
    static const struct {
        const char *in;
        int ok;
        unsigned long long ms;
    } d[] = {
        { "900", 1, 900000 }, { "15m", 1, 900000 }, { "10s", 1, 10000 },
        { "500ms", 1, 500 }, { "1h", 1, 3600000 }, { "2d", 1, 172800000 },
        { "3 min", 1, 180000 }, { "", 0, 0 }, { "-1s", 0, 0 },
        { "10x", 0, 0 }, { "s", 0, 0 }, { "99999999999s", 0, 0 },
        { "1.5s", 0, 0 },
    };
    static const struct {
        const char *in;
        int ok;
        unsigned long long bytes;
    } z[] = {
        { "4096", 1, 4096 }, { "8M", 1, 8388608 }, { "512k", 1, 524288 },
        { "1G", 1, 1073741824 }, { "8MiB", 1, 8388608 }, { "8MB", 1, 8388608 },
        { "8Q", 0, 0 }, { "M", 0, 0 }, { "8Mx", 0, 0 },
    };

    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
        unsigned ms = 0;
        TEST_ROW_BEGIN();

        CHECK_INT_EQ(d[i].ok ? 0 : -1, lh_config_parse_duration(d[i].in, &ms));
        if (d[i].ok)
            CHECK_INT_EQ(d[i].ms, ms);
        TEST_ROW_END(d[i].in);
    }
    for (size_t i = 0; i < sizeof(z) / sizeof(z[0]); i++) {
        size_t bytes = 0;
        TEST_ROW_BEGIN();

        CHECK_INT_EQ(z[i].ok ? 0 : -1, lh_config_parse_size(z[i].in, &bytes));
        if (z[i].ok)
            CHECK_INT_EQ(z[i].bytes, bytes);
        TEST_ROW_END(z[i].in);
    }
}

/* lh_config_load_buffer: the file's path as a name, and bad bytes. */
static void
test_buffer(void)
{
    static const struct {
        const char *text;
        size_t len;         /* 0: strlen(text) */
        const char *message;    /* NULL: loads */
    } rows[] = {
        { "", 0, NULL },
        { "interval = 1h", 0, NULL },           /* no final newline */
        { "\xef\xbb\xbfinterval = 1h\r\n", 0, NULL },  /* BOM, CRLF */
        { "interval = 1h\nretries = 2\0\n", 27,
            "etc/lh.conf:2: a NUL byte (this is not a text file)" },
        { "\0", 1, "etc/lh.conf:1: a NUL byte" },
        /* len bounds the text: "retries = 20" is cut to "retries = 2". */
        { "retries = 20", 11, NULL },
        { "retries = 20", 12, "etc/lh.conf:1: retries: \"20\" is out of "
            "range" },
        { "[main]\n", 0, NULL },
        { "x", 0, "etc/lh.conf:1: expected \"key = value\"" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_config c;
        char err[512] = "";
        size_t len = rows[i].len ? rows[i].len : strlen(rows[i].text);
        TEST_ROW_BEGIN();

        if (rows[i].message == NULL) {
            CHECK_INT_EQ(0, lh_config_load_buffer(&c, rows[i].text, len,
                "etc/lh.conf", err, sizeof(err)));
            CHECK_STR_EQ("", err);
            CHECK_STR_EQ("etc/lh.conf", c.path);
        } else {
            CHECK_INT_EQ(-1, lh_config_load_buffer(&c, rows[i].text, len,
                "etc/lh.conf", err, sizeof(err)));
            CHECK_STR_CONTAINS(rows[i].message, err);
            CHECK(c.path == NULL && c.directory == NULL);
        }
        lh_config_cleanup(&c);
        TEST_ROW_END(rows[i].text);
    }
}

/* The notification keys: webhooks repeat, on_change is an absolute path
 * to an executable regular file. */
static void
test_notifications(void)
{
    static const struct {
        const char *text;
        const char *message;    /* NULL: loads */
    } rows[] = {
        { "webhook = https://a.test/x\nwebhook = http://b.test/y\n"
            "webhook_format = slack\nwebhook_timeout = 5s\n"
            "on_change = /bin/sh\non_change_timeout = 2m\n", NULL },
        { "on_change =\n", NULL },
        { "webhook = ftp://a.test/", "etc/lh.conf:1: webhook: "
            "\"ftp://a.test/\" is not an http or https URL" },
        { "webhook_format = teams", "etc/lh.conf:1: webhook_format: "
            "\"teams\" is not one of json, slack, discord" },
        { "webhook_format = json\nwebhook_format = json",
            "etc/lh.conf:2: option \"webhook_format\" is set twice" },
        { "webhook_timeout = 500ms", "etc/lh.conf:1: webhook_timeout: "
            "\"500ms\" is out of range (1s to 2m)" },
        { "on_change = bin/hook", "etc/lh.conf:1: on_change: \"bin/hook\" "
            "is not an absolute path" },
        { "on_change = /nonexistent/hook", "etc/lh.conf: on_change "
            "/nonexistent/hook: No such file or directory" },
        { "on_change = /", "etc/lh.conf: on_change /: is not a regular "
            "file" },
        { "on_change = /etc/passwd", "etc/lh.conf: on_change /etc/passwd: "
            "not executable" },
        { "on_change_timeout = 2h", "etc/lh.conf:1: on_change_timeout: "
            "\"2h\" is out of range (1s to 1h)" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_config c;
        char err[512] = "";
        TEST_ROW_BEGIN();

        if (rows[i].message == NULL) {
            CHECK_INT_EQ(0, lh_config_load_buffer(&c, rows[i].text,
                strlen(rows[i].text), "etc/lh.conf", err, sizeof(err)));
            CHECK_STR_EQ("", err);
        } else {
            CHECK_INT_EQ(-1, lh_config_load_buffer(&c, rows[i].text,
                strlen(rows[i].text), "etc/lh.conf", err, sizeof(err)));
            CHECK_STR_CONTAINS(rows[i].message, err);
        }
        lh_config_cleanup(&c);
        TEST_ROW_END(rows[i].text);
    }
}

static void
test_notification_values(void)
{
    static const char text[] = "webhook = https://a.test/x\n"
        "webhook = http://b.test/y\nwebhook_format = discord\n"
        "on_change = /bin/sh\n";
    struct lh_config c;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_config_init(&c));
    CHECK_INT_EQ(0, c.nwebhooks);
    CHECK_INT_EQ(LH_NOTICE_JSON, c.webhook_format);
    CHECK_INT_EQ(10000, c.webhook_timeout_ms);
    CHECK(c.on_change == NULL);
    CHECK_INT_EQ(30000, c.on_change_timeout_ms);
    lh_config_cleanup(&c);
    CHECK_INT_EQ(0, lh_config_load_buffer(&c, text, strlen(text),
        "etc/lh.conf", err, sizeof(err)));
    CHECK_INT_EQ(2, c.nwebhooks);
    if (c.nwebhooks == 2) {
        CHECK_STR_EQ("https://a.test/x", c.webhooks[0]);
        CHECK_STR_EQ("http://b.test/y", c.webhooks[1]);
    }
    CHECK_INT_EQ(LH_NOTICE_DISCORD, c.webhook_format);
    CHECK_STR_EQ("/bin/sh", c.on_change);
    lh_config_cleanup(&c);
}

/* Relative paths are relative to the named file's folder, as for a file. */
static void
test_buffer_paths(void)
{
    static const char text[] = "directory = d.json\nstatus_file = s.json\n"
        "retries = 2\n";
    struct lh_config c;
    char err[512] = "";

    CHECK_INT_EQ(0, lh_config_load_buffer(&c, text, strlen(text),
        "/etc/lh/lh.conf", err, sizeof(err)));
    CHECK_STR_EQ("/etc/lh/d.json", c.directory);
    CHECK_STR_EQ("/etc/lh/s.json", c.status_file);
    CHECK_INT_EQ(2, c.retries);
    lh_config_cleanup(&c);
    CHECK_INT_EQ(0, lh_config_load_buffer(&c, text, strlen(text), "lh.conf",
        err, sizeof(err)));
    CHECK_STR_EQ("d.json", c.directory);
    lh_config_cleanup(&c);
}

/*
 * inih reads a line into a 64 KiB buffer and used to read the rest of a
 * longer line as a line of its own: an option hidden at the end of a long
 * comment took effect.  Such a line is now an error; 65533 bytes is fine.
 */
static void
test_long_lines(void)
{
    static const struct {
        const char *head;
        size_t fill;        /* bytes of filler after head */
        const char *tail;
        const char *message;    /* NULL: loads */
    } rows[] = {
        { "# ", 65533, "retries = 5\n", "lh.conf:1: line longer than "
            "65533 bytes" },
        { "retries = 2\n# ", 65533, "\n", "lh.conf:2: line longer than" },
        { "user_agent = ", 65533 - 13, "\n", NULL },
        { "user_agent = ", 65533 - 13 + 1, "\n", "lh.conf:1: line longer" },
        { "user_agent = ", 65533 - 13, "\r\n", "lh.conf:1: line longer" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        size_t h = strlen(rows[i].head), t = strlen(rows[i].tail);
        size_t len = h + rows[i].fill + t;
        char *text = malloc(len), err[512] = "";
        struct lh_config c;
        TEST_ROW_BEGIN();

        CHECK(text != NULL);
        if (text == NULL)
            return;
        memcpy(text, rows[i].head, h);
        memset(text + h, 'x', rows[i].fill);
        memcpy(text + h + rows[i].fill, rows[i].tail, t);
        if (rows[i].message == NULL) {
            CHECK_INT_EQ(0, lh_config_load_buffer(&c, text, len, "lh.conf",
                err, sizeof(err)));
            CHECK_STR_EQ("", err);
            CHECK_INT_EQ(rows[i].fill, c.user_agent ?
                strlen(c.user_agent) : 0);
        } else {
            CHECK_INT_EQ(-1, lh_config_load_buffer(&c, text, len, "lh.conf",
                err, sizeof(err)));
            CHECK_STR_CONTAINS(rows[i].message, err);
            CHECK_INT_EQ(0, c.retries);
        }
        lh_config_cleanup(&c);
        free(text);
        TEST_ROW_END(rows[i].head);
    }
}

/* Files that are not configuration files at all. */
static void
test_not_a_file(void)
{
    struct lh_config c;
    char err[512] = "", path[] = "/tmp/lh-test-config-XXXXXX";
    FILE *f;
    int fd;

    /* A folder used to load as an empty file: all defaults. */
    CHECK_INT_EQ(-1, lh_config_load(&c, LH_FIXTURES, err, sizeof(err)));
    CHECK_STR_EQ(LH_FIXTURES ": is a directory, not a regular file", err);
    CHECK(c.path == NULL);
    lh_config_cleanup(&c);
    /* A device used to be read to the limit; /dev/null read as empty. */
    CHECK_INT_EQ(-1, lh_config_load(&c, "/dev/null", err, sizeof(err)));
    CHECK_STR_EQ("/dev/null: is a character device, not a regular file",
        err);
    lh_config_cleanup(&c);

    CHECK((fd = mkstemp(path)) != -1);
    if (fd == -1)
        return;
    CHECK((f = fdopen(fd, "w")) != NULL);
    if (f == NULL) {
        close(fd);
        unlink(path);
        return;
    }
    /* A megabyte of comments, and a line more. */
    for (int i = 0; i < 1024 * 1024 / 64; i++)
        fprintf(f, "#%62s\n", "");
    fprintf(f, "retries = 2\n");
    CHECK_INT_EQ(0, fclose(f));
    CHECK_INT_EQ(-1, lh_config_load(&c, path, err, sizeof(err)));
    CHECK_STR_CONTAINS(" bytes is over the 1048576-byte limit", err);
    lh_config_cleanup(&c);
    unlink(path);
}

int
main(void)
{
    RUN_TEST(test_defaults);
    RUN_TEST(test_good_file);
    RUN_TEST(test_bundled_file);
    RUN_TEST(test_bad_files);
    RUN_TEST(test_overrides);
    RUN_TEST(test_timeouts_and_ranges);
    RUN_TEST(test_dns_servers);
    RUN_TEST(test_listen);
    RUN_TEST(test_durations_and_sizes);
    RUN_TEST(test_buffer);
    RUN_TEST(test_buffer_paths);
    RUN_TEST(test_long_lines);
    RUN_TEST(test_not_a_file);
    RUN_TEST(test_ca_file_kind);
    RUN_TEST(test_notifications);
    RUN_TEST(test_notification_values);
    TEST_EXIT();
}
