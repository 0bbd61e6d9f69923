/*
 * config: the configuration file (INI style, parsed by inih) into
 * struct lh_config, with defaults, validation and file:line errors.
 * Knows nothing of libuv or curl.
 */
#ifndef LH_CONFIG_H
#define LH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "directory.h"
#include "notice.h"
#include "rules.h"

#define LH_CONFIG_DEFAULT_PATH "/etc/linkhealthd/linkhealthd.conf"

/* An address and port to listen on: the HTTP endpoint's. */
struct lh_listen {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char addr[16];     /* network order, 4 or 16 bytes */
    unsigned port;              /* 1-65535 */
};

struct lh_config {
    char *path;                 /* file it came from; NULL for defaults */

    char *directory;            /* a path or an http(s) URL */
    enum lh_dir_format directory_format;
    size_t directory_max_bytes;
    unsigned directory_parse_timeout_ms;    /* an HTML parse past it is
                                               stopped */
    char *directory_xpath;      /* XPath of the organizations, or NULL */
    char *region_xpath;         /* XPath of the region headings, or NULL */
    bool directory_own_links;   /* links to the directory's own site are
                                   organizations too */
    char *status_file;
    bool status_file_given;     /* named by the file or an option, not the
                                   default */
    char *metrics_file;         /* Prometheus textfile; NULL: none */
    char *listen;               /* the HTTP endpoint's "127.0.0.1:9601" or
                                   "[::1]:9601", as written; NULL: none */
    struct lh_listen listen_addr;   /* the same, parsed */
    unsigned listen_line;       /* the file's line that set it; 0: none */
    bool listen_public;         /* an address that is not loopback is
                                   allowed */
    unsigned shard_index;       /* this instance's shard, from 1 */
    unsigned shard_count;       /* instances sharing the directory; 0: not
                                   sharded */
    unsigned cert_warn_days;    /* warn this many days before a certificate
                                   expires; 0: never */

    unsigned interval_ms;       /* between cycle starts */
    unsigned jitter_ms;         /* random 0..jitter added to each interval */
    unsigned retry_interval_ms; /* unsettled links checked again after
                                   this; 0: at the next cycle */
    unsigned concurrency;       /* checks in flight */
    unsigned per_host_concurrency;
    unsigned timeout_ms;        /* whole check, every hop included */
    unsigned connect_timeout_ms;
    bool connect_timeout_given; /* set by the file or an option */
    unsigned retries;           /* extra tries after a transient failure */
    unsigned retry_after_max_ms;/* longest Retry-After honoured */
    unsigned fail_threshold;    /* bad verdicts in a row to report bad */
    unsigned recover_threshold; /* good verdicts in a row to report good */
    unsigned max_redirects;
    size_t max_body_bytes;      /* read at most this much of a GET body */
    bool content_checks;        /* read pages to judge what a 2xx says */
    unsigned content_interval_ms;   /* read a page at least this often;
                                       0: on every check */

    char *user_agent;           /* full User-Agent header value */
    char *contact;              /* appended to the User-Agent; may be NULL */
    char *proxy;                /* a proxy URL, "env" (the environment's
                                   http_proxy, https_proxy, all_proxy), or
                                   NULL: none, the environment ignored */
    char *no_proxy;             /* hosts reached without the proxy, or
                                   NULL */
    char *ca_file;              /* NULL: the system store */
    char **resolve;             /* "host:port:address", as curl --resolve */
    size_t nresolve;
    char **connect_to;          /* "host:port:host2:port2", as --connect-to */
    size_t nconnect_to;
    bool allow_private;         /* connect to private addresses too */
    char **allow_networks;      /* CIDRs allowed even when private */
    size_t nallow_networks;
    char *dns_servers;          /* "127.0.0.1:5353,[::1]:53"; NULL: the
                                   system's (resolv.conf) */

    struct lh_rules rules;      /* exclude and accept, in file order */
    unsigned fail_on;           /* states that fail --once and --show:
                                   bits LH_STATE_BIT(state) */

    char **webhooks;            /* http(s) URLs a notification is POSTed
                                   to after a cycle that changed something */
    size_t nwebhooks;
    enum lh_notice_format webhook_format;
    unsigned webhook_timeout_ms;/* one delivery, whole */
    char *on_change;            /* absolute path of a program run after
                                   such a cycle, or NULL */
    unsigned on_change_timeout_ms;  /* then SIGTERM, and SIGKILL */

    int syslog_facility;        /* LOG_DAEMON, LOG_LOCAL0, … */
    int log_level;              /* LOG_INFO, … */
};

/* Fill *cfg with the defaults (allocates; call lh_config_cleanup). */
int lh_config_init(struct lh_config *cfg);
void lh_config_cleanup(struct lh_config *cfg);

/*
 * Load path over the defaults into a fresh *cfg.  On failure returns -1,
 * leaves *cfg empty (safe to clean up) and writes
 * "linkhealthd.conf:12: unknown option \"intervall\"" or similar into err.
 */
int lh_config_load(struct lh_config *cfg, const char *path, char *err,
    size_t errlen);

/*
 * As lh_config_load, for the len bytes at buf (not NUL-terminated; not
 * NULL) instead of a file: name stands for the file in messages and in
 * cfg->path, and relative paths are relative to its folder.  Text with a
 * NUL byte or a line longer than 65533 bytes is refused
 * ("linkhealthd.conf:3: a NUL byte (this is not a text file)").
 * lh_config_load reads the file (at most 1 MiB) and calls this.
 */
int lh_config_load_buffer(struct lh_config *cfg, const char *buf, size_t len,
    const char *name, char *err, size_t errlen);

/*
 * Parse one option, as in the file (used for command-line overrides:
 * origin names it in messages, e.g. "--interval").  Returns 0 or -1 with
 * a message in err.
 */
int lh_config_set(struct lh_config *cfg, const char *key, const char *value,
    const char *origin, char *err, size_t errlen);

/*
 * Cross-field checks run after every override.  A connect_timeout that
 * was not given is shortened to timeout; one given above it is an error.
 * 0 or -1 with err.
 */
int lh_config_validate(struct lh_config *cfg, char *err, size_t errlen);

/*
 * Parse "127.0.0.1:9601" or "[::1]:9601" (an address, not a name, and a
 * port 1-65535) into *out.  0, or -1 when s is not such an address.
 */
int lh_config_parse_listen(const char *s, struct lh_listen *out);
/* Whether l is a loopback address: 127.0.0.0/8 or ::1. */
bool lh_listen_is_loopback(const struct lh_listen *l);

/* Parse "900", "15m", "10s", "500ms", "1h" into milliseconds. */
int lh_config_parse_duration(const char *s, unsigned *out);
/* Parse "8M", "512k", "1G", "4096" into bytes. */
int lh_config_parse_size(const char *s, size_t *out);

#endif
