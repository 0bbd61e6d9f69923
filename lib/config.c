/*
 * config: the configuration file into struct lh_config.  The file is INI
 * style ("key = value", '#' comments), read by inih; this module owns the
 * option table, the defaults, value parsing and file:line errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <syslog.h>

#include <ini.h>

#include "config.h"
#include "file.h"
#include "iri.h"
#include "netguard.h"
#include "request.h"
#include "shard.h"
#include "url.h"
#include "util.h"

enum opt_type {
    OPT_STRING,     /* free text; "" means unset (NULL) */
    OPT_PATH,       /* relative to the config file's folder */
    OPT_LOCATION,   /* a path (as OPT_PATH) or an http(s) URL */
    OPT_DURATION,   /* milliseconds, with unit suffixes */
    OPT_COUNT,      /* unsigned integer in [min, max] */
    OPT_SIZE,       /* bytes, with k/M/G suffixes */
    OPT_FORMAT,     /* directory format name */
    OPT_FACILITY,   /* syslog facility name */
    OPT_LEVEL,      /* syslog priority name */
    OPT_RESOLVE,    /* host:port:address, may repeat */
    OPT_CONNECT_TO, /* host:port:host2:port2, may repeat */
    OPT_BOOL,       /* yes/no, true/false, on/off, 1/0 */
    OPT_NETWORKS,   /* CIDRs, comma- or space-separated, may repeat */
    OPT_SHARD,      /* K/N */
    OPT_DNS_SERVERS,/* address[:port], comma- or space-separated */
    OPT_EXCLUDE,    /* a regular expression, may repeat */
    OPT_ACCEPT,     /* a regular expression and states or codes, may
                       repeat */
    OPT_STATES,     /* link states, comma- or space-separated */
    OPT_XPATH,      /* an XPath expression; "" means unset (NULL) */
    OPT_PROXY,      /* a proxy URL or "env"; "" means none (NULL) */
    OPT_LISTEN,     /* address:port; "" means none (NULL) */
    OPT_WEBHOOK,    /* an http(s) URL, may repeat */
    OPT_NOTICE_FORMAT,  /* json, slack, discord */
    OPT_PROGRAM     /* an absolute path; "" means none (NULL) */
};

struct option {
    const char *name;
    enum opt_type type;
    size_t offset;
    unsigned long long min, max;
};

#define OFF(field) offsetof(struct lh_config, field)
#define SEC 1000ull
static const struct option options[] = {
    { "directory", OPT_LOCATION, OFF(directory), 0, 0 },
    { "directory_format", OPT_FORMAT, OFF(directory_format), 0, 0 },
    { "directory_max_bytes", OPT_SIZE, OFF(directory_max_bytes), 1024,
        1024ull * 1024 * 1024 },
    { "directory_parse_timeout", OPT_DURATION,
        OFF(directory_parse_timeout_ms), 100, 600 * SEC },
    { "directory_xpath", OPT_XPATH, OFF(directory_xpath), 0, 0 },
    { "region_xpath", OPT_XPATH, OFF(region_xpath), 0, 0 },
    { "directory_own_links", OPT_BOOL, OFF(directory_own_links), 0, 0 },
    { "status_file", OPT_PATH, OFF(status_file), 0, 0 },
    { "metrics_file", OPT_PATH, OFF(metrics_file), 0, 0 },
    { "listen", OPT_LISTEN, OFF(listen), 0, 0 },
    { "listen_public", OPT_BOOL, OFF(listen_public), 0, 0 },
    { "shard", OPT_SHARD, OFF(shard_index), 0, 0 },
    { "cert_warn_days", OPT_COUNT, OFF(cert_warn_days), 0, 3650 },
    { "interval", OPT_DURATION, OFF(interval_ms), 100, 7 * 86400 * SEC },
    { "jitter", OPT_DURATION, OFF(jitter_ms), 0, 86400 * SEC },
    { "retry_interval", OPT_DURATION, OFF(retry_interval_ms), 0,
        86400 * SEC },
    { "concurrency", OPT_COUNT, OFF(concurrency), 1, 4096 },
    { "per_host_concurrency", OPT_COUNT, OFF(per_host_concurrency), 1, 64 },
    { "timeout", OPT_DURATION, OFF(timeout_ms), 100, 600 * SEC },
    { "connect_timeout", OPT_DURATION, OFF(connect_timeout_ms), 100,
        600 * SEC },
    { "retries", OPT_COUNT, OFF(retries), 0, 10 },
    { "retry_after_max", OPT_DURATION, OFF(retry_after_max_ms), 0,
        3600 * SEC },
    { "fail_threshold", OPT_COUNT, OFF(fail_threshold), 1, 100 },
    { "recover_threshold", OPT_COUNT, OFF(recover_threshold), 1, 100 },
    { "max_redirects", OPT_COUNT, OFF(max_redirects), 0, 50 },
    { "max_body_bytes", OPT_SIZE, OFF(max_body_bytes), 0,
        16ull * 1024 * 1024 },
    { "content_checks", OPT_BOOL, OFF(content_checks), 0, 0 },
    { "content_interval", OPT_DURATION, OFF(content_interval_ms), 0,
        30 * 86400 * SEC },
    { "user_agent", OPT_STRING, OFF(user_agent), 0, 0 },
    { "contact", OPT_STRING, OFF(contact), 0, 0 },
    { "proxy", OPT_PROXY, OFF(proxy), 0, 0 },
    { "no_proxy", OPT_STRING, OFF(no_proxy), 0, 0 },
    { "ca_file", OPT_PATH, OFF(ca_file), 0, 0 },
    { "resolve", OPT_RESOLVE, OFF(resolve), 0, 0 },
    { "connect_to", OPT_CONNECT_TO, OFF(connect_to), 0, 0 },
    { "allow_private", OPT_BOOL, OFF(allow_private), 0, 0 },
    { "allow_networks", OPT_NETWORKS, OFF(allow_networks), 0, 0 },
    { "dns_servers", OPT_DNS_SERVERS, OFF(dns_servers), 0, 0 },
    { "exclude", OPT_EXCLUDE, OFF(rules), 0, 0 },
    { "accept", OPT_ACCEPT, OFF(rules), 0, 0 },
    { "fail_on", OPT_STATES, OFF(fail_on), 0, 0 },
    { "webhook", OPT_WEBHOOK, OFF(webhooks), 0, 0 },
    { "webhook_format", OPT_NOTICE_FORMAT, OFF(webhook_format), 0, 0 },
    { "webhook_timeout", OPT_DURATION, OFF(webhook_timeout_ms), 1 * SEC,
        120 * SEC },
    { "on_change", OPT_PROGRAM, OFF(on_change), 0, 0 },
    { "on_change_timeout", OPT_DURATION, OFF(on_change_timeout_ms), 1 * SEC,
        3600 * SEC },
    { "syslog_facility", OPT_FACILITY, OFF(syslog_facility), 0, 0 },
    { "log_level", OPT_LEVEL, OFF(log_level), 0, 0 },
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

int
lh_config_init(struct lh_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->directory_format = LH_DIR_AUTO;
    cfg->directory_max_bytes = LH_DIRECTORY_MAX_BYTES_DEFAULT;
    cfg->directory_parse_timeout_ms = 5 * 1000;
    cfg->interval_ms = 15 * 60 * 1000;
    cfg->jitter_ms = 30 * 1000;
    cfg->retry_interval_ms = 60 * 1000;
    cfg->concurrency = 32;
    cfg->per_host_concurrency = 2;
    cfg->timeout_ms = 20 * 1000;
    cfg->connect_timeout_ms = 10 * 1000;
    cfg->retries = 1;
    cfg->retry_after_max_ms = 30 * 1000;
    cfg->fail_threshold = 2;
    cfg->recover_threshold = 1;
    cfg->max_redirects = 10;
    cfg->cert_warn_days = 14;
    cfg->max_body_bytes = 64 * 1024;
    cfg->content_checks = true;
    cfg->content_interval_ms = 24 * 3600 * 1000;
    cfg->webhook_format = LH_NOTICE_JSON;
    cfg->webhook_timeout_ms = 10 * 1000;
    cfg->on_change_timeout_ms = 30 * 1000;
    cfg->syslog_facility = LOG_DAEMON;
    cfg->log_level = LOG_INFO;
    /* A blocked site is not dead, and a moved one still works. */
    cfg->fail_on = LH_STATE_BIT(LH_STATE_STALE) |
        LH_STATE_BIT(LH_STATE_ERROR) | LH_STATE_BIT(LH_STATE_UNREACHABLE);
    lh_rules_init(&cfg->rules);
    if (lh_replace_string(&cfg->directory,
            "/etc/linkhealthd/directory.json") == -1 ||
        lh_replace_string(&cfg->status_file,
            "/var/lib/linkhealthd/status.json") == -1 ||
        lh_replace_string(&cfg->user_agent, "linkhealthd/" LH_VERSION) == -1) {
        lh_config_cleanup(cfg);
        return -1;
    }
    return 0;
}

void
lh_config_cleanup(struct lh_config *cfg)
{
    free(cfg->path);
    free(cfg->directory);
    free(cfg->directory_xpath);
    free(cfg->region_xpath);
    free(cfg->status_file);
    free(cfg->metrics_file);
    free(cfg->listen);
    free(cfg->user_agent);
    free(cfg->contact);
    free(cfg->proxy);
    free(cfg->no_proxy);
    free(cfg->ca_file);
    free(cfg->dns_servers);
    free(cfg->on_change);
    for (size_t i = 0; i < cfg->nwebhooks; i++)
        free(cfg->webhooks[i]);
    free(cfg->webhooks);
    for (size_t i = 0; i < cfg->nresolve; i++)
        free(cfg->resolve[i]);
    free(cfg->resolve);
    for (size_t i = 0; i < cfg->nconnect_to; i++)
        free(cfg->connect_to[i]);
    free(cfg->connect_to);
    for (size_t i = 0; i < cfg->nallow_networks; i++)
        free(cfg->allow_networks[i]);
    free(cfg->allow_networks);
    lh_rules_cleanup(&cfg->rules);
    memset(cfg, 0, sizeof(*cfg));
}

/* Parse an unsigned decimal number; returns the end or NULL. */
static const char *
parse_number(const char *s, unsigned long long *out)
{
    char *end;

    if (*s < '0' || *s > '9')
        return NULL;
    errno = 0;
    *out = strtoull(s, &end, 10);
    if (errno != 0)
        return NULL;
    return end;
}

int
lh_config_parse_duration(const char *s, unsigned *out)
{
    static const struct {
        const char *suffix;
        unsigned long long ms;
    } units[] = {
        { "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
        { "min", 60000 }, { "h", 3600000 }, { "d", 86400000 },
    };
    unsigned long long n;
    const char *end = parse_number(s, &n);

    if (end == NULL)
        return -1;
    while (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            if (n > UINT_MAX / units[i].ms)
                return -1;
            *out = (unsigned)(n * units[i].ms);
            return 0;
        }
    }
    return -1;
}

int
lh_config_parse_size(const char *s, size_t *out)
{
    unsigned long long n, mult;
    const char *end = parse_number(s, &n);

    if (end == NULL)
        return -1;
    while (*end == ' ')
        end++;
    switch (*end) {
    case '\0': mult = 1; break;
    case 'k': case 'K': mult = 1024; break;
    case 'm': case 'M': mult = 1024 * 1024; break;
    case 'g': case 'G': mult = 1024 * 1024 * 1024; break;
    default: return -1;
    }
    if (*end != '\0') {
        end++;
        /* Accept "8M", "8MB", "8MiB". */
        if (strcmp(end, "") != 0 && strcasecmp(end, "b") != 0 &&
            strcasecmp(end, "ib") != 0)
            return -1;
    }
    if (n > SIZE_MAX / mult)
        return -1;
    *out = (size_t)(n * mult);
    return 0;
}

/* syslog(3) names of levels and facilities, as in syslog.conf. */
struct name_value {
    const char *name;
    int value;
};

static const struct name_value levels[] = {
    { "emerg", LOG_EMERG }, { "alert", LOG_ALERT }, { "crit", LOG_CRIT },
    { "err", LOG_ERR }, { "error", LOG_ERR }, { "warning", LOG_WARNING },
    { "warn", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
    { "debug", LOG_DEBUG },
}, facilities[] = {
    { "daemon", LOG_DAEMON }, { "user", LOG_USER }, { "local0", LOG_LOCAL0 },
    { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
    { "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
    { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
    { "local7", LOG_LOCAL7 },
};

static int
find_name(const struct name_value *table, size_t n, const char *name,
    int *out)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(name, table[i].name) == 0) {
            *out = table[i].value;
            return 0;
        }
    }
    return -1;
}

/*
 * A relative path in the file is relative to the file's folder, so the
 * bundled configuration works from the source tree and from /etc alike.
 */
static int
set_path(char **slot, const char *value, const char *basedir)
{
    char *joined;
    int n;

    if (*value == '\0' || value[0] == '/' || basedir == NULL)
        return lh_replace_string(slot, *value == '\0' ? NULL : value);
    n = asprintf(&joined, "%s/%s", basedir, value);
    if (n < 0)
        return -1;
    free(*slot);
    *slot = joined;
    return 0;
}

/* host:port:address[,address…], as curl's --resolve; "+" and "-" prefixes
 * are curl's too. */
static int
valid_resolve(const char *v)
{
    const char *p = v;
    const char *c1, *c2, *end;
    unsigned long long port = 0;

    if (*p == '+' || *p == '-')
        p++;
    if ((c1 = strchr(p, ':')) == NULL || c1 == p)
        return 0;
    if ((c2 = strchr(c1 + 1, ':')) == NULL)
        return 0;
    end = parse_number(c1 + 1, &port);
    if (end != c2 || port == 0 || port > 65535)
        return 0;
    return *v == '-' || c2[1] != '\0';
}

/* HOST1:PORT1:HOST2:PORT2, as curl's --connect-to; empty parts mean
 * "any" (first two) or "unchanged" (last two). */
static int
valid_connect_to(const char *v)
{
    const char *p = v;
    int colons = 0;

    for (; *p != '\0'; p++)
        if (*p == ':')
            colons++;
    return colons == 3;
}

/*
 * value ("host:port:..." of resolve, "host1:port1:host2:port2" of
 * connect_to) with its Unicode host names (field 0, and field 2 when
 * both) in A-labels, as the requests name them, into *out (malloc'd).
 * 0; -1 with *why when a name does not convert or memory runs out.
 */
static int
ascii_hosts(const char *value, bool both, char **out, const char **why)
{
    char host[256], *o;
    const char *f = value;

    *why = "out of memory";
    if ((o = *out = malloc(strlen(value) + 2 * sizeof(host) + 1)) == NULL)
        return -1;
    if (*f == '+' || *f == '-')
        *o++ = *f++;
    for (int field = 0; field < 4; field++) {
        size_t len = strcspn(f, ":");
        bool name = field == 0 || (both && field == 2);

        if (name && lh_iri_has_nonascii(f, len)) {
            if (lh_iri_host_ascii(f, len, host, sizeof(host)) == -1) {
                free(*out);
                *out = NULL;
                *why = "is refused: " LH_IRI_BAD_IDN;
                return -1;
            }
            o = stpcpy(o, host);
        } else {
            memcpy(o, f, len);
            o += len;
        }
        f += len;
        if (*f == '\0')
            break;
        *o++ = *f++;            /* the ':' */
        if (!both && field == 0)
            break;              /* the port and addresses stay */
    }
    strcpy(o, f);
    return 0;
}

/* Append a copy of value to a string list. */
static int
append_string(char ***list, size_t *n, const char *value)
{
    char **grown, *copy;

    if ((copy = strdup(value)) == NULL)
        return -1;
    if ((grown = realloc(*list, (*n + 1) * sizeof(*grown))) == NULL) {
        free(copy);
        return -1;
    }
    *list = grown;
    (*list)[(*n)++] = copy;
    return 0;
}

/* Append value to the resolve (both false) or connect_to list with its
 * host names in A-labels (ascii_hosts). */
static int
append_hosts(char ***list, size_t *n, const char *value, bool both,
    const char **why)
{
    char *ascii;
    int rc;

    if (ascii_hosts(value, both, &ascii, why) == -1)
        return -1;
    *why = "out of memory";
    rc = append_string(list, n, ascii);
    free(ascii);
    return rc;
}

static int
parse_bool(const char *s)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return 1;
        if (strcasecmp(s, no[i]) == 0)
            return 0;
    }
    return -1;
}

/* "10.0.0.0/8, fd00::/8": each network checked, then kept as text. */
static int
set_networks(struct lh_config *cfg, const char *value, const char **why)
{
    char word[128];
    struct lh_cidr c;
    const char *p = value;
    int n;

    while ((n = lh_list_next(&p, word, sizeof(word))) > 0) {
        if (lh_cidr_parse(word, &c) == -1)
            break;
        if (append_string(&cfg->allow_networks, &cfg->nallow_networks,
                word) == -1) {
            *why = "out of memory";
            return -1;
        }
    }
    if (n != 0) {
        *why = "holds something that is not a network (10.0.0.0/8)";
        return -1;
    }
    return 0;
}

/* One DNS server: 192.0.2.53, 192.0.2.53:5353, 2001:db8::53 or
 * [2001:db8::53]:5353. */
static bool
valid_dns_server(const char *w)
{
    unsigned char addr[16];
    char host[64];
    const char *port = NULL, *end;
    size_t n;

    if (w[0] == '[') {
        if ((end = strchr(w, ']')) == NULL ||
            (end[1] != '\0' && end[1] != ':'))
            return false;
        n = (size_t)(end - w - 1);
        if (n >= sizeof(host))
            return false;
        memcpy(host, w + 1, n);
        host[n] = '\0';
        if (inet_pton(AF_INET6, host, addr) != 1)
            return false;
        port = end[1] == ':' ? end + 2 : NULL;
    } else if (inet_pton(AF_INET6, w, addr) == 1) {
        return true;
    } else {
        n = strcspn(w, ":");
        if (n >= sizeof(host))
            return false;
        memcpy(host, w, n);
        host[n] = '\0';
        if (inet_pton(AF_INET, host, addr) != 1)
            return false;
        port = w[n] == ':' ? w + n + 1 : NULL;
    }
    if (port != NULL) {
        char *pend;
        long v = strtol(port, &pend, 10);

        if (*port < '0' || *port > '9' || *pend != '\0' || v < 1 ||
            v > 65535)
            return false;
    }
    return true;
}

/* "127.0.0.1:5353, [::1]:53" -> "127.0.0.1:5353,[::1]:53" (c-ares's CSV),
 * each server checked; "" is none (the system's). */
static int
set_dns_servers(struct lh_config *cfg, const char *value, const char **why)
{
    size_t len = strlen(value), out = 0;
    char *csv, word[80];
    const char *p = value;
    int n;

    if ((csv = malloc(len + 1)) == NULL)
        return -1;
    while ((n = lh_list_next(&p, word, sizeof(word))) > 0) {
        if (!valid_dns_server(word))
            goto bad;
        if (out > 0)
            csv[out++] = ',';
        memcpy(csv + out, word, (size_t)n);
        out += (size_t)n;
    }
    if (n == -1)
        goto bad;
    csv[out] = '\0';
    free(cfg->dns_servers);
    cfg->dns_servers = out > 0 ? csv : NULL;
    if (out == 0)
        free(csv);
    return 0;
bad:
    free(csv);
    *why = "holds something that is not an address[:port] "
        "(127.0.0.1:5353, [::1]:53)";
    return -1;
}

int
lh_config_parse_listen(const char *s, struct lh_listen *out)
{
    char host[INET6_ADDRSTRLEN + 1], *end;
    const char *port;
    size_t n;
    long v;

    memset(out, 0, sizeof(*out));
    if (s[0] == '[') {
        /* An IPv6 address is bracketed, as in a URL: its colons would
         * read as the port's. */
        if ((end = strchr(s, ']')) == NULL || end[1] != ':')
            return -1;
        n = (size_t)(end - s - 1);
        port = end + 2;
        s++;
        out->family = AF_INET6;
    } else {
        if ((port = strrchr(s, ':')) == NULL)
            return -1;
        n = (size_t)(port - s);
        port++;
        out->family = AF_INET;
    }
    if (n == 0 || n >= sizeof(host))
        return -1;
    memcpy(host, s, n);
    host[n] = '\0';
    if (inet_pton(out->family, host, out->addr) != 1)
        return -1;
    errno = 0;
    v = strtol(port, &end, 10);
    if (*port < '0' || *port > '9' || *end != '\0' || errno != 0 ||
        v < 1 || v > 65535)
        return -1;
    out->port = (unsigned)v;
    return 0;
}

bool
lh_listen_is_loopback(const struct lh_listen *l)
{
    static const unsigned char v6[16] = { [15] = 1 };

    if (l->family == AF_INET)
        return l->addr[0] == 127;
    return l->family == AF_INET6 && memcmp(l->addr, v6, 16) == 0;
}

/* A number of milliseconds or bytes the way a person would write it. */
static void
human(char *buf, size_t len, enum opt_type type, unsigned long long v)
{
    static const struct { unsigned long long unit; const char *name; }
        times[] = { { 86400000, "d" }, { 3600000, "h" }, { 60000, "m" },
            { 1000, "s" } },
        sizes[] = { { 1ull << 30, "G" }, { 1 << 20, "M" }, { 1 << 10, "k" } };

    if (type == OPT_DURATION) {
        for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
            if (v != 0 && v % times[i].unit == 0) {
                snprintf(buf, len, "%llu%s", v / times[i].unit,
                    times[i].name);
                return;
            }
        snprintf(buf, len, "%llums", v);
        return;
    }
    if (type == OPT_SIZE)
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
            if (v != 0 && v % sizes[i].unit == 0) {
                snprintf(buf, len, "%llu%s", v / sizes[i].unit,
                    sizes[i].name);
                return;
            }
    snprintf(buf, len, "%llu", v);
}

/* "is out of range (MIN to MAX)" for o, into buf. */
static const char *
out_of_range(const struct option *o, char *buf, size_t len)
{
    char lo[32], hi[32];

    human(lo, sizeof(lo), o->type, o->min);
    human(hi, sizeof(hi), o->type, o->max);
    snprintf(buf, len, "is out of range (%s to %s)", lo, hi);
    return buf;
}

/* An http(s) URL option, kept in the form it is requested in
 * (lh_iri_to_uri): a Unicode host in A-labels, the path encoded. */
static int
set_url(char **field, const char *value, const char **why)
{
    char *req;
    int rc = lh_iri_to_uri(value, &req, why);

    if (rc == -1)
        *why = "is refused: " LH_IRI_BAD_IDN;
    if (rc != 0)
        return -1;
    free(*field);
    *field = req;
    return 0;
}

/*
 * Set option o from value.  0, or -1 with *why the end of a sentence
 * ("is not a duration"); range (rangelen bytes) holds a why that names
 * numbers.
 */
static int
set_option(struct lh_config *cfg, const struct option *o, const char *value,
    const char *basedir, const char **why, char *range, size_t rangelen)
{
    void *field = (char *)cfg + o->offset;
    unsigned long long n = 0;
    const char *end;
    unsigned ms;
    size_t size;
    int v;

    *why = "out of memory";
    if (field == &cfg->status_file)
        cfg->status_file_given = true;
    if (field == &cfg->connect_timeout_ms)
        cfg->connect_timeout_given = true;
    switch (o->type) {
    case OPT_STRING:
        return lh_replace_string(field, *value == '\0' ? NULL : value);
    case OPT_LOCATION:
        if (*value == '\0') {
            *why = "must name a file or an http(s) URL";
            return -1;
        }
        if (lh_url_is_http(value))
            return set_url(field, value, why);
        if (strstr(value, "://") != NULL) {
            *why = "only http and https URLs (or a file path) are allowed";
            return -1;
        }
        return set_path(field, value, basedir);
    case OPT_PATH:
        return set_path(field, value, basedir);
    case OPT_DURATION:
        if (lh_config_parse_duration(value, &ms) == -1) {
            *why = "is not a duration (examples: 30s, 15m, 500ms, 1h)";
            return -1;
        }
        if (ms < o->min || ms > o->max) {
            *why = out_of_range(o, range, rangelen);
            return -1;
        }
        *(unsigned *)field = ms;
        return 0;
    case OPT_COUNT:
        end = parse_number(value, &n);
        if (end == NULL || *end != '\0') {
            *why = "is not a whole number";
            return -1;
        }
        if (n < o->min || n > o->max) {
            *why = out_of_range(o, range, rangelen);
            return -1;
        }
        *(unsigned *)field = (unsigned)n;
        return 0;
    case OPT_SIZE:
        if (lh_config_parse_size(value, &size) == -1) {
            *why = "is not a size (examples: 8M, 512k, 65536)";
            return -1;
        }
        if (size < o->min || size > o->max) {
            *why = out_of_range(o, range, rangelen);
            return -1;
        }
        *(size_t *)field = size;
        return 0;
    case OPT_FORMAT:
        if (lh_directory_format_parse(value,
                (enum lh_dir_format *)field) == -1) {
            *why = "is not one of auto, wordpress, html, list, markdown";
            return -1;
        }
        return 0;
    case OPT_FACILITY:
        if (find_name(facilities, sizeof(facilities) / sizeof(facilities[0]),
                value, &v) == -1) {
            *why = "is not a syslog facility (daemon, user, local0-7)";
            return -1;
        }
        *(int *)field = v;
        return 0;
    case OPT_LEVEL:
        if (find_name(levels, sizeof(levels) / sizeof(levels[0]), value,
                &v) == -1) {
            *why = "is not a level (err, warning, notice, info, debug)";
            return -1;
        }
        *(int *)field = v;
        return 0;
    case OPT_RESOLVE:
        if (!valid_resolve(value)) {
            *why = "is not host:port:address";
            return -1;
        }
        return append_hosts(&cfg->resolve, &cfg->nresolve, value, false,
            why);
    case OPT_CONNECT_TO:
        if (!valid_connect_to(value)) {
            *why = "is not host:port:connect-host:connect-port";
            return -1;
        }
        return append_hosts(&cfg->connect_to, &cfg->nconnect_to, value,
            true, why);
    case OPT_BOOL:
        if ((v = parse_bool(value)) == -1) {
            *why = "is not yes or no";
            return -1;
        }
        *(bool *)field = v;
        return 0;
    case OPT_NETWORKS:
        return set_networks(cfg, value, why);
    case OPT_DNS_SERVERS:
        return set_dns_servers(cfg, value, why);
    case OPT_EXCLUDE:
    case OPT_ACCEPT:
        if (lh_rules_add(&cfg->rules, o->type == OPT_EXCLUDE ?
                LH_RULE_EXCLUDE : LH_RULE_ACCEPT, value, range,
                rangelen) == -1) {
            *why = range;
            return -1;
        }
        return 0;
    case OPT_STATES:
        if (lh_rules_parse_states(value, (unsigned *)field, range,
                rangelen) == -1) {
            *why = range;
            return -1;
        }
        return 0;
    case OPT_PROXY:
        if (*value != '\0' && strcmp(value, "env") != 0 &&
            !lh_proxy_url_ok(value)) {
            *why = "is not \"env\" or a proxy URL (http://, https://, "
                "socks4://, socks4a://, socks5:// or socks5h://, with a "
                "host)";
            return -1;
        }
        return lh_replace_string(field, *value == '\0' ? NULL : value);
    case OPT_LISTEN:
        if (*value != '\0' &&
            lh_config_parse_listen(value, &cfg->listen_addr) == -1) {
            *why = "is not address:port (127.0.0.1:9601, [::1]:9601)";
            return -1;
        }
        return lh_replace_string(field, *value == '\0' ? NULL : value);
    case OPT_XPATH:
        if (*value != '\0' && lh_dir_xpath_check(value, range, rangelen) ==
            -1) {
            *why = range;
            return -1;
        }
        return lh_replace_string(field, *value == '\0' ? NULL : value);
    case OPT_WEBHOOK:
        if (!lh_url_is_http(value)) {
            *why = "is not an http or https URL";
            return -1;
        }
        return append_string(&cfg->webhooks, &cfg->nwebhooks, value);
    case OPT_NOTICE_FORMAT:
        if (lh_notice_format_parse(value,
                (enum lh_notice_format *)field) == -1) {
            *why = "is not one of json, slack, discord";
            return -1;
        }
        return 0;
    case OPT_PROGRAM:
        /* Run without a shell and without a search of PATH: the path
         * says which program, whatever the service's environment. */
        if (*value != '\0' && value[0] != '/') {
            *why = "is not an absolute path (the program is run without "
                "a shell)";
            return -1;
        }
        return lh_replace_string(field, *value == '\0' ? NULL : value);
    case OPT_SHARD:
        if (*value == '\0') {
            cfg->shard_index = cfg->shard_count = 0;
            return 0;
        }
        if (lh_shard_parse(value, &cfg->shard_index,
                &cfg->shard_count) == -1) {
            *why = "is not K/N with 1 <= K <= N <= 4096 (example: 2/3)";
            return -1;
        }
        return 0;
    }
    return -1;
}

static const struct option *
find_option(const char *key)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strcmp(options[i].name, key) == 0)
            return &options[i];
    return NULL;
}

int
lh_config_set(struct lh_config *cfg, const char *key, const char *value,
    const char *origin, char *err, size_t errlen)
{
    const struct option *o = find_option(key);
    const char *why;
    char range[256];

    if (o == NULL) {
        lh_seterr(err, errlen, "%s: unknown option \"%s\"", origin, key);
        return -1;
    }
    if (set_option(cfg, o, value, NULL, &why, range, sizeof(range)) == -1) {
        lh_seterr(err, errlen, "%s: \"%s\" %s", origin, value, why);
        return -1;
    }
    return 0;
}

struct load_ctx {
    struct lh_config *cfg;
    const char *basedir;
    const char *text;   /* what is left to read of the file */
    unsigned line;      /* of the text being parsed */
    bool line_ended;    /* the last piece read ended a line */
    unsigned char seen[NOPTIONS];
    char msg[512];      /* the first error, without file:line */
};

static int
ini_cb(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *ctx = user;
    const struct option *o;
    const char *why;
    char range[256];

    if (ctx->msg[0] != '\0')
        return 0;
    if (*section != '\0') {
        snprintf(ctx->msg, sizeof(ctx->msg),
            "option \"%s\" in section [%s]: this file has no sections",
            name, section);
        return 0;
    }
    if ((o = find_option(name)) == NULL) {
        snprintf(ctx->msg, sizeof(ctx->msg), "unknown option \"%s\"", name);
        return 0;
    }
    if (o->type != OPT_RESOLVE && o->type != OPT_CONNECT_TO &&
        o->type != OPT_NETWORKS && o->type != OPT_EXCLUDE &&
        o->type != OPT_ACCEPT && o->type != OPT_WEBHOOK &&
        ctx->seen[o - options]++) {
        snprintf(ctx->msg, sizeof(ctx->msg),
            "option \"%s\" is set twice", name);
        return 0;
    }
    if (set_option(ctx->cfg, o, value, ctx->basedir, &why, range,
            sizeof(range)) == -1) {
        snprintf(ctx->msg, sizeof(ctx->msg), "%s: \"%s\" %s", name, value,
            why);
        return 0;
    }
    if (strcmp(o->name, "listen") == 0)
        ctx->cfg->listen_line = ctx->line;
    return 1;
}

/*
 * inih's reader, as fgets over the text, counting lines: so that a check
 * made once the whole file is read (listen_public) can name the line of
 * the option it refuses.  inih may read a long line in several pieces.
 */
static char *
read_line_cb(char *str, int num, void *stream)
{
    struct load_ctx *ctx = stream;
    const char *nl;
    size_t n;

    if (*ctx->text == '\0' || num < 2)
        return NULL;
    if (ctx->line_ended)
        ctx->line++;
    nl = strchr(ctx->text, '\n');
    n = nl != NULL ? (size_t)(nl - ctx->text) + 1 : strlen(ctx->text);
    if (n > (size_t)num - 1)
        n = (size_t)num - 1;
    memcpy(str, ctx->text, n);
    str[n] = '\0';
    ctx->text += n;
    ctx->line_ended = str[n - 1] == '\n';
    return str;
}

/* A configuration file is a page of text; anything this big is a mistake. */
#define CONFIG_MAX_BYTES (1024 * 1024)
/* inih's line buffer; its default, 200 bytes, is too short for a list of
 * networks or a long path. */
#define CONFIG_MAX_LINE (64 * 1024)

int
lh_config_load(struct lh_config *cfg, const char *path, char *err,
    size_t errlen)
{
    char *buf;
    size_t len;
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    if (lh_file_read(path, CONFIG_MAX_BYTES, NULL, &buf, &len, err,
        errlen) == -1)
        return -1;
    rc = lh_config_load_buffer(cfg, buf, len, path, err, errlen);
    free(buf);
    return rc;
}

/*
 * inih reads C strings a line at a time, into a buffer of CONFIG_MAX_LINE
 * bytes: a NUL would silently end its line early, and a longer line would
 * be cut in two, its tail read as a line of its own (after a long comment,
 * an option).  Refuse both, naming the line.
 */
static int
check_text(const char *buf, size_t len, const char *name, char *err,
    size_t errlen)
{
    unsigned line = 1;
    size_t start = 0;

    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            line++;
            start = i + 1;
        } else if (buf[i] == '\0') {
            lh_seterr(err, errlen, "%s:%u: a NUL byte (this is not a text "
                "file)", name, line);
            return -1;
        } else if (i - start >= CONFIG_MAX_LINE - 3) {
            /* Room for "\r\n" and the NUL, as inih needs. */
            lh_seterr(err, errlen, "%s:%u: line longer than %d bytes", name,
                line, CONFIG_MAX_LINE - 3);
            return -1;
        }
    }
    return 0;
}

int
lh_config_load_buffer(struct lh_config *cfg, const char *buf, size_t len,
    const char *name, char *err, size_t errlen)
{
    struct load_ctx ctx;
    char *basedir = NULL, *text = NULL, *slash;
    int line;

    memset(&ctx, 0, sizeof(ctx));
    if (lh_config_init(cfg) == -1) {
        lh_seterr(err, errlen, "%s: out of memory", name);
        return -1;
    }
    if (check_text(buf, len, name, err, errlen) == -1)
        goto fail;
    if ((cfg->path = strdup(name)) == NULL ||
        (basedir = strdup(name)) == NULL ||
        (text = strndup(buf, len)) == NULL)
        goto nomem;
    slash = strrchr(basedir, '/');
    if (slash == NULL) {
        free(basedir);
        basedir = NULL;
    } else if (slash == basedir) {
        slash[1] = '\0';
    } else {
        *slash = '\0';
    }

    /* inih's defaults cut lines at 200 bytes and treat indented lines as
     * continuations; neither is what a sysadmin expects. */
    ini_use_stack = false;
    ini_allow_realloc = true;
    ini_max_line = CONFIG_MAX_LINE;
    ini_allow_multiline = false;
    ini_allow_inline_comments = false;
    ini_stop_on_first_error = true;

    ctx.cfg = cfg;
    ctx.basedir = basedir;
    ctx.text = text;
    ctx.line_ended = true;
    line = ini_parse_stream(read_line_cb, &ctx, ini_cb, &ctx);
    if (line < 0)
        goto nomem;
    if (line > 0) {
        if (ctx.msg[0] != '\0')
            lh_seterr(err, errlen, "%s:%d: %s", name, line, ctx.msg);
        else
            lh_seterr(err, errlen, "%s:%d: expected \"key = value\"", name,
                line);
        goto fail;
    }
    if (lh_config_validate(cfg, err, errlen) == -1)
        goto fail;
    free(text);
    free(basedir);
    return 0;
nomem:
    lh_seterr(err, errlen, "%s: out of memory", name);
fail:
    free(text);
    free(basedir);
    lh_config_cleanup(cfg);
    return -1;
}

/* A program on_change can run: a regular file this process may execute
 * (it is checked again at each run: it may go away). */
static int
check_program(const char *path, char *why, size_t len)
{
    struct stat st;

    if (stat(path, &st) == -1) {
        snprintf(why, len, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, len, "%s: is not a regular file", path);
        return -1;
    }
    if (access(path, X_OK) == -1) {
        snprintf(why, len, "%s: not executable (%s)", path, strerror(errno));
        return -1;
    }
    return 0;
}

int
lh_config_validate(struct lh_config *cfg, char *err, size_t errlen)
{
    const char *src = cfg->path ? cfg->path : "configuration";
    char why[1024];

    if (cfg->directory == NULL) {
        lh_seterr(err, errlen, "%s: directory is not set", src);
        return -1;
    }
    if (cfg->status_file == NULL) {
        lh_seterr(err, errlen, "%s: status_file is not set", src);
        return -1;
    }
    if (cfg->user_agent == NULL) {
        lh_seterr(err, errlen, "%s: user_agent may not be empty", src);
        return -1;
    }
    if (cfg->per_host_concurrency > cfg->concurrency) {
        lh_seterr(err, errlen,
            "%s: per_host_concurrency (%u) is above concurrency (%u)",
            src, cfg->per_host_concurrency, cfg->concurrency);
        return -1;
    }
    /* A short timeout alone shortens the connect timeout with it; only
     * two values given that contradict each other are an error. */
    if (cfg->connect_timeout_ms > cfg->timeout_ms &&
        !cfg->connect_timeout_given)
        cfg->connect_timeout_ms = cfg->timeout_ms;
    if (cfg->connect_timeout_ms > cfg->timeout_ms) {
        lh_seterr(err, errlen,
            "%s: connect_timeout (%u ms) is above timeout (%u ms)",
            src, cfg->connect_timeout_ms, cfg->timeout_ms);
        return -1;
    }
    /* An endpoint open to the network is a decision, not a typo. */
    if (cfg->listen != NULL && !cfg->listen_public &&
        !lh_listen_is_loopback(&cfg->listen_addr)) {
        char where[32] = "";

        if (cfg->listen_line > 0)
            snprintf(where, sizeof(where), ":%u", cfg->listen_line);
        lh_seterr(err, errlen, "%s%s: listen: %s is not a loopback "
            "address; set listen_public = yes to serve other hosts too",
            src, where, cfg->listen);
        return -1;
    }
    /* curl reads it on the loop at each TLS handshake: a FIFO there would
     * stop everything (file.h). */
    if (cfg->ca_file != NULL &&
        lh_file_check_regular(cfg->ca_file, why, sizeof(why)) == -1) {
        lh_seterr(err, errlen, "%s: ca_file %s", src, why);
        return -1;
    }
    if (cfg->on_change != NULL && check_program(cfg->on_change, why,
            sizeof(why)) == -1) {
        lh_seterr(err, errlen, "%s: on_change %s", src, why);
        return -1;
    }
    return 0;
}
