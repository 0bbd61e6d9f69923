/*
 * linkhealthd: options, configuration test, --once, --show and exit codes.
 * The work lives in lib/ and the daemon's life in monitor.c; this file
 * wires them together and is the only place that exits.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <uv.h>

#include "config.h"
#include "directory.h"
#include "file.h"
#include "http.h"
#include "httpd.h"
#include "log.h"
#include "monitor.h"
#include "notify.h"
#include "report.h"
#include "signals.h"
#include "status.h"
#include "util.h"

#define EXIT_UNHEALTHY 1
#define EXIT_USAGE 2
#define MAX_OVERRIDES 32

/* Options that map to a config key: applied over the file, at start and
 * at every reload. */
struct override {
    const char *key;
    const char *value;
    const char *flag;
};

enum report_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_MARKDOWN };

struct app {
    const char *config_path;    /* -c, or NULL for the default */
    enum report_format format;  /* --format, for --once and --show */
    bool format_given;
    bool show;                  /* --show: report a status file */
    const char *show_path;      /* its path; NULL: the configured one */
    struct override ov[MAX_OVERRIDES];
    size_t nov;
    bool once, foreground, check_config, listed, ready;
    const char *source;         /* directory, for --check-config output */
    uv_loop_t loop;
    struct lh_signals signals;
    struct lh_monitor *monitor;
    struct lh_httpd *httpd;     /* the daemon's HTTP endpoint */
    int exit_code;
};

static void
usage(FILE *f)
{
    fprintf(f,
"usage: linkhealthd [options]\n"
"Watch the links of a directory of organizations and report their health.\n"
"\n"
"  -c, --config FILE        configuration file\n"
"                           (default " LH_CONFIG_DEFAULT_PATH ")\n"
"  -d, --directory SOURCE   directory file or http(s) URL (config: directory)\n"
"  -o, --status-file FILE   JSON status file (config: status_file)\n"
"      --once               check every link once, report, and exit:\n"
"                           0 all links pass, 1 some link fails: its\n"
"                           state is in fail_on (by default stale, error\n"
"                           or unreachable) or unknown; excluded links\n"
"                           never fail,\n"
"                           2 usage, configuration or directory error,\n"
"                           3 all checks inconclusive (the network could\n"
"                           not be reached: no verdict, see the log)\n"
"      --format FORMAT      the report of --once and --show: text (the\n"
"                           default), json (the status document) or\n"
"                           markdown (a table to paste into an issue)\n"
"      --show [FILE]        print the report of an existing status file\n"
"                           (default: the configured one) and exit, with\n"
"                           the exit codes of --once; checks nothing\n"
"      --shard K/N          check only the links of shard K of N, for N\n"
"                           instances sharing a directory (config: shard)\n"
"  -f, --foreground         stay in the foreground, log to stderr too\n"
"      --interval DURATION  time between cycles, e.g. 15m (config: interval)\n"
"      --concurrency N      checks in flight (config: concurrency)\n"
"      --timeout DURATION   time limit of one check (config: timeout)\n"
"      --check-config       load the configuration and the directory, print\n"
"                           what would be checked, and exit\n"
"      --allow-private      also check links on loopback and private\n"
"                           addresses (config: allow_private)\n"
"  -V, --version            print the version and exit\n"
"  -h, --help               print this help and exit\n");
}

static int
add_override(struct app *app, const char *key, const char *value,
    const char *flag)
{
    if (app->nov == MAX_OVERRIDES) {
        fprintf(stderr, "linkhealthd: too many options\n");
        return -1;
    }
    app->ov[app->nov++] = (struct override){ key, value, flag };
    return 0;
}

enum { OPT_ONCE = 256, OPT_INTERVAL, OPT_CONCURRENCY, OPT_TIMEOUT,
    OPT_CHECK_CONFIG, OPT_ALLOW_PRIVATE, OPT_FORMAT, OPT_SHOW, OPT_SHARD };

static const struct option longopts[] = {
    { "config", required_argument, NULL, 'c' },
    { "directory", required_argument, NULL, 'd' },
    { "status-file", required_argument, NULL, 'o' },
    { "once", no_argument, NULL, OPT_ONCE },
    { "foreground", no_argument, NULL, 'f' },
    { "interval", required_argument, NULL, OPT_INTERVAL },
    { "concurrency", required_argument, NULL, OPT_CONCURRENCY },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
    { "allow-private", no_argument, NULL, OPT_ALLOW_PRIVATE },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "show", optional_argument, NULL, OPT_SHOW },
    { "shard", required_argument, NULL, OPT_SHARD },
    { "version", no_argument, NULL, 'V' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* The options that set a configuration key: the option's argument, or
 * value when the option takes none. */
static const struct {
    int opt;
    const char *key;
    const char *flag;
    const char *value;
} key_options[] = {
    { 'd', "directory", "--directory", NULL },
    { 'o', "status_file", "--status-file", NULL },
    { OPT_INTERVAL, "interval", "--interval", NULL },
    { OPT_CONCURRENCY, "concurrency", "--concurrency", NULL },
    { OPT_TIMEOUT, "timeout", "--timeout", NULL },
    { OPT_ALLOW_PRIVATE, "allow_private", "--allow-private", "yes" },
    { OPT_SHARD, "shard", "--shard", NULL },
};

/* ch, when it sets a configuration key: 1 when taken, 0 when ch is not
 * such an option, -1 on error. */
static int
key_option(struct app *app, int ch, const char *arg)
{
    for (size_t i = 0; i < sizeof(key_options) / sizeof(key_options[0]);
        i++) {
        if (key_options[i].opt != ch)
            continue;
        if (add_override(app, key_options[i].key, key_options[i].value ?
                key_options[i].value : arg, key_options[i].flag) == -1)
            return -1;
        return 1;
    }
    return 0;
}

static int
parse_format(struct app *app, const char *arg)
{
    static const char *const names[] = {
        [FORMAT_TEXT] = "text", [FORMAT_JSON] = "json",
        [FORMAT_MARKDOWN] = "markdown",
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(arg, names[i]) == 0) {
            app->format = (enum report_format)i;
            app->format_given = true;
            return 0;
        }
    }
    fprintf(stderr, "linkhealthd: --format: \"%s\" is not text, json or "
        "markdown\n", arg);
    return -1;
}

/* What is left after the options, and the options that exclude each
 * other. */
static int
check_args(struct app *app, int argc, char **argv)
{
    /* --show FILE as well as --show=FILE. */
    if (app->show && app->show_path == NULL && optind < argc)
        app->show_path = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "linkhealthd: unexpected argument \"%s\"\n",
            argv[optind]);
        usage(stderr);
        return -1;
    }
    if (app->once + app->show + app->check_config > 1) {
        fprintf(stderr, "linkhealthd: --once, --show and --check-config "
            "do not go together\n");
        return -1;
    }
    if (app->format_given && !app->once && !app->show) {
        fprintf(stderr, "linkhealthd: --format is for --once and --show\n");
        return -1;
    }
    return 0;
}

static int
parse_args(struct app *app, int argc, char **argv)
{
    int ch, rc;

    while ((ch = getopt_long(argc, argv, "c:d:o:fVh", longopts, NULL)) !=
        -1) {
        if ((rc = key_option(app, ch, optarg)) != 0) {
            if (rc == -1)
                return -1;
            continue;
        }
        switch (ch) {
        case 'c':
            app->config_path = optarg;
            break;
        case OPT_ONCE:
            app->once = true;
            break;
        case 'f':
            app->foreground = true;
            break;
        case OPT_CHECK_CONFIG:
            app->check_config = true;
            break;
        case OPT_FORMAT:
            if (parse_format(app, optarg) == -1)
                return -1;
            break;
        case OPT_SHOW:
            app->show = true;
            app->show_path = optarg;
            break;
        case 'V':
            printf("linkhealthd %s\n%s\n", LH_VERSION, lh_http_version());
            exit(EXIT_SUCCESS);
        case 'h':
            usage(stdout);
            exit(EXIT_SUCCESS);
        default:
            usage(stderr);
            return -1;
        }
    }
    return check_args(app, argc, argv);
}

/*
 * What the configuration allows but will not do what was meant: a
 * metrics file that node_exporter's textfile collector never reads (it
 * reads *.prom files only), a region_xpath without the directory_xpath
 * it goes with.
 */
static void
warn_config(const struct lh_config *cfg)
{
    const char *f = cfg->metrics_file;
    size_t n = f != NULL ? strlen(f) : 0;

    if (f != NULL && (n < 5 || strcmp(f + n - 5, ".prom") != 0))
        log_warnx("metrics_file %s does not end in .prom: node_exporter's "
            "textfile collector will not read it", f);
    if (cfg->region_xpath != NULL && cfg->directory_xpath == NULL)
        log_warnx("region_xpath has no effect without directory_xpath");
}

/* Read the configuration and apply the command line over it, into a
 * fresh *cfg; on failure the message is logged and *cfg left empty. */
static int
load_config(struct app *app, struct lh_config *cfg)
{
    const char *path = app->config_path;
    char err[1024];

    if (path == NULL && access(LH_CONFIG_DEFAULT_PATH, F_OK) == 0)
        path = LH_CONFIG_DEFAULT_PATH;
    if (path == NULL) {
        /* No file given and none where one is looked for: defaults. */
        if (lh_config_init(cfg) == -1) {
            log_err("out of memory");
            return -1;
        }
    } else if (lh_config_load(cfg, path, err, sizeof(err)) == -1) {
        log_err("%s", err);
        return -1;
    }
    for (size_t i = 0; i < app->nov; i++) {
        if (lh_config_set(cfg, app->ov[i].key, app->ov[i].value,
                app->ov[i].flag, err, sizeof(err)) == -1)
            goto fail;
    }
    if (lh_config_validate(cfg, err, sizeof(err)) == -1)
        goto fail;
    warn_config(cfg);
    return 0;
fail:
    log_err("%s", err);
    lh_config_cleanup(cfg);
    return -1;
}

/* The rules and fail_on, as comment lines before the list. */
static void
print_rules(const struct lh_config *cfg)
{
    const struct lh_rules *r = &cfg->rules;
    bool first = true;

    for (size_t i = 0; i < r->n; i++) {
        if (r->v[i].kind == LH_RULE_EXCLUDE)
            printf("# rule %u: exclude %s\n", r->v[i].number,
                r->v[i].pattern);
        else
            printf("# rule %u: accept %s as ok when %s\n", r->v[i].number,
                r->v[i].pattern, r->v[i].what);
    }
    printf("# fail_on:");
    for (int s = 0; s < LH_STATE_COUNT; s++) {
        if (cfg->fail_on & LH_STATE_BIT(s)) {
            printf("%s %s", first ? "" : ",", lh_state_name(
                (enum lh_state)s));
            first = false;
        }
    }
    printf("%s (and unknown)\n", first ? " nothing" : "");
}

/* The entries: region, organization, URL, and for an excluded one a
 * fourth column that says so. */
static void
print_list(const struct lh_directory *dir, const struct lh_config *cfg,
    void *arg)
{
    struct app *app = arg;
    size_t excluded = 0;

    for (size_t i = 0; i < dir->n; i++)
        if (lh_rules_excluded(&cfg->rules, dir->entries[i].url) != 0)
            excluded++;
    printf("# %s: %zu organizations (%s)", app->source, dir->n,
        lh_directory_format_name(dir->format));
    if (excluded > 0)
        printf(", %zu excluded", excluded);
    putchar('\n');
    print_rules(cfg);
    for (size_t i = 0; i < dir->n; i++) {
        const struct lh_entry *e = &dir->entries[i];
        unsigned rule = lh_rules_excluded(&cfg->rules, e->url);

        /* Tab-separated: a tab or a newline inside a name would move
         * the columns, so each field is escaped. */
        (void)lh_text_escape_file(stdout, e->region[0] ? e->region : "-");
        putchar('\t');
        (void)lh_text_escape_file(stdout, e->name);
        putchar('\t');
        (void)lh_text_escape_file(stdout, e->url);
        if (rule != 0)
            printf("\texcluded by rule %u", rule);
        putchar('\n');
    }
    fflush(stdout);
    app->listed = true;
}

/* systemd: ready once the configuration and the directory are loaded. */
static void
loaded(const struct lh_links *links, const char *error, void *arg)
{
    struct app *app = arg;

    if (app->once || app->check_config)
        return;
    if (!app->ready) {
        app->ready = true;
        if (lh_notify("READY=1\nSTATUS=%s%zu links, first cycle running",
                error ? "directory error, " : "", links->n) == -1)
            log_warn("sd_notify");
    }
}

/* The report of links in the format asked for; 0, or -1 when stdout
 * failed.  info is NULL for --show, which prints the file itself for
 * json. */
static int
report(struct app *app, const struct lh_links *links,
    const struct lh_status_info *info, double duration_ms)
{
    const char *why = info != NULL ? info->inconclusive : NULL;
    int rc;

    /* A run that could not reach the network judged nothing: say so
     * first, rather than let a page of unchecked links speak for it. */
    if (why != NULL && app->format == FORMAT_TEXT) {
        fputs("NO VERDICTS: checks inconclusive: ", stdout);
        (void)lh_text_escape_file(stdout, why);
        fputs("\n  Nothing was judged in this run; the links keep their "
            "last verdicts.\n\n", stdout);
    } else if (why != NULL && app->format == FORMAT_MARKDOWN) {
        fputs("> **No verdicts: checks inconclusive**: ", stdout);
        (void)lh_text_escape_file(stdout, why);
        fputs(". Nothing was judged in this run.\n\n", stdout);
    }
    switch (app->format) {
    case FORMAT_JSON:
        rc = lh_status_print(stdout, info, links);
        break;
    case FORMAT_MARKDOWN:
        rc = lh_report_markdown(stdout, links, duration_ms);
        break;
    default:
        rc = lh_report_text(stdout, links, isatty(STDOUT_FILENO) &&
            getenv("NO_COLOR") == NULL, duration_ms);
    }
    if (fflush(stdout) == EOF || rc == -1) {
        log_warn("writing the report");
        return -1;
    }
    return 0;
}

static void
cycle_done(const struct lh_links *links, const struct lh_status_info *info,
    void *arg)
{
    struct app *app = arg;
    size_t count[LH_STATE_COUNT];
    double duration_ms = info->duration_ms;

    if (app->httpd != NULL)
        lh_httpd_update(app->httpd, links, info);
    if (!app->once) {
        (void)lh_links_count(links, count);
        (void)lh_notify("STATUS=%zu links: %zu ok, %zu moved, %zu stale, "
            "%zu blocked, %zu error, %zu unreachable (last cycle %.1f s)",
            links->n, count[LH_STATE_OK], count[LH_STATE_MOVED],
            count[LH_STATE_STALE], count[LH_STATE_BLOCKED],
            count[LH_STATE_ERROR], count[LH_STATE_UNREACHABLE],
            duration_ms / 1000.0);
        return;
    }
    (void)report(app, links, info, duration_ms);
}

/* --show: the report of a status file; the exit codes of --once. */
static int
show(struct app *app, const struct lh_config *cfg)
{
    const char *path = app->show_path ? app->show_path : cfg->status_file;
    struct lh_links links;
    double duration_ms;
    char err[1024];
    int code = EXIT_SUCCESS;

    if (lh_status_read(path, LH_STATUS_MAX_BYTES, false, &links,
            &duration_ms, err, sizeof(err)) == -1) {
        log_err("%s", err);
        return EXIT_USAGE;
    }
    if (app->format == FORMAT_JSON) {
        /* The file as it is: no document is rebuilt from a partial read.
         * Read again through the same checks (a regular file, bounded):
         * the name may have changed since.  It may have been crafted, and
         * a JSON string may hold a raw escape or override, so what would
         * drive the terminal is written in JSON's own escapes (the same
         * document). */
        char *buf = NULL;
        size_t len;

        if (lh_file_read(path, LH_STATUS_MAX_BYTES, NULL, &buf, &len, err,
                sizeof(err)) == -1) {
            log_err("%s", err);
            code = EXIT_USAGE;
        } else if (lh_text_escape_json_file(stdout, buf, len) == -1 ||
            fflush(stdout) == EOF) {
            log_warn("stdout");
            code = EXIT_USAGE;
        }
        free(buf);
    } else if (report(app, &links, NULL, duration_ms) == -1) {
        code = EXIT_USAGE;
    }
    if (code == EXIT_SUCCESS && lh_links_failing(&links, cfg->fail_on) > 0)
        code = EXIT_UNHEALTHY;
    lh_links_cleanup(&links);
    return code;
}

static void
stopped(int exit_code, void *arg)
{
    struct app *app = arg;

    app->monitor = NULL;
    lh_httpd_close(app->httpd);
    app->httpd = NULL;
    app->exit_code = exit_code;
    if (app->check_config && !app->listed)
        app->exit_code = EXIT_USAGE;
    lh_signals_close(&app->signals);
}

static void
on_reload(void *arg)
{
    struct app *app = arg;
    struct lh_config fresh;
    char err[1024];

    log_info("SIGHUP: reloading %s", app->config_path ?
        app->config_path : "the built-in defaults");
    memset(&fresh, 0, sizeof(fresh));
    (void)lh_notify("RELOADING=1");
    if (load_config(app, &fresh) == -1) {
        log_warnx("reload rejected; the running configuration stays");
        (void)lh_notify("READY=1");
        return;
    }
    lh_log_init(app->foreground, true, fresh.syslog_facility,
        fresh.log_level);
    if (app->httpd != NULL &&
        lh_httpd_configure(app->httpd, &fresh, err, sizeof(err)) == -1)
        log_warnx("%s; the HTTP endpoint stays where it was", err);
    lh_monitor_reload(app->monitor, &fresh);
    (void)lh_notify("READY=1");
}

static void
on_check_now(void *arg)
{
    struct app *app = arg;

    if (lh_monitor_cycle_now(app->monitor))
        log_info("SIGUSR1: checking now");
    else
        log_info("SIGUSR1: a cycle is running; ignored");
}

static void
on_stop(int signum, void *arg)
{
    struct app *app = arg;

    log_info("%s: stopping", strsignal(signum));
    (void)lh_notify("STOPPING=1");
    if (app->monitor != NULL)
        lh_monitor_stop(app->monitor);
    lh_httpd_close(app->httpd);
    app->httpd = NULL;
}

static int
run(struct app *app, struct lh_config *cfg)
{
    struct lh_monitor_hooks hooks = { cycle_done, print_list, loaded, stopped,
        app };
    struct lh_signal_hooks sh = { on_reload, on_check_now, on_stop, app };
    enum lh_monitor_mode mode = app->check_config ? LH_MONITOR_LIST :
        app->once ? LH_MONITOR_ONCE : LH_MONITOR_DAEMON;
    char err[1024];
    int rc;

    if ((rc = uv_loop_init(&app->loop)) != 0) {
        fprintf(stderr, "linkhealthd: uv_loop_init: %s\n", uv_strerror(rc));
        return EXIT_USAGE;
    }
    if ((rc = lh_signals_start(&app->loop, &app->signals,
            mode == LH_MONITOR_DAEMON, &sh)) != 0) {
        log_err("signals: %s", uv_strerror(rc));
        lh_signals_close(&app->signals);
        uv_run(&app->loop, UV_RUN_DEFAULT);
        uv_loop_close(&app->loop);
        return EXIT_USAGE;
    }
    if (mode == LH_MONITOR_DAEMON)
        log_info("version %s starting: %s every %u s, status in %s",
            LH_VERSION, cfg->directory, cfg->interval_ms / 1000,
            cfg->status_file);
    /* The endpoint is the service's: --once and --check-config have none. */
    if (mode == LH_MONITOR_DAEMON &&
        ((app->httpd = lh_httpd_new(&app->loop)) == NULL ||
        lh_httpd_configure(app->httpd, cfg, err, sizeof(err)) == -1)) {
        log_err("%s", app->httpd == NULL ? "out of memory" : err);
        lh_httpd_close(app->httpd);
        app->httpd = NULL;
        lh_signals_close(&app->signals);
        uv_run(&app->loop, UV_RUN_DEFAULT);
        uv_loop_close(&app->loop);
        return EXIT_USAGE;
    }
    app->monitor = lh_monitor_start(&app->loop, cfg, mode, &hooks, err,
        sizeof(err));
    if (app->monitor == NULL) {
        lh_httpd_close(app->httpd);
        app->httpd = NULL;
        log_err("%s", err);
        lh_signals_close(&app->signals);
        app->exit_code = EXIT_USAGE;
    }
    uv_run(&app->loop, UV_RUN_DEFAULT);
    if ((rc = uv_loop_close(&app->loop)) != 0) {
        log_err("uv_loop_close: %s", uv_strerror(rc));
        return EXIT_USAGE;
    }
    if (mode == LH_MONITOR_DAEMON)
        log_info("stopped");
    return app->exit_code;
}

int
main(int argc, char **argv)
{
    struct app app;
    struct lh_config cfg;
    int code;

    memset(&app, 0, sizeof(app));
    memset(&cfg, 0, sizeof(cfg));
    if (parse_args(&app, argc, argv) == -1)
        return EXIT_USAGE;
    /* Until the configuration says otherwise, errors go to stderr. */
    lh_log_init(true, false, LOG_DAEMON, LOG_INFO);
    if (lh_http_global_init() == -1) {
        log_err("curl_global_init failed");
        return EXIT_USAGE;
    }
    /* The directory is parsed on a worker thread (monitor.c), one parse
     * at a time, so libuv's pool needs one thread rather than its default
     * four (a setting in the environment wins; if setenv fails, four it
     * is).  libxml2 is initialized before any parse, on this thread. */
    (void)setenv("UV_THREADPOOL_SIZE", "1", 0);
    /* One malloc arena: what the parse on that thread frees (the file's
     * bytes, the entries once merged) is then reused by the links and
     * results made on this one, instead of staying resident in an arena
     * of its own; the two threads seldom allocate at the same time. */
    (void)mallopt(M_ARENA_MAX, 1);
    xmlInitParser();
    if (load_config(&app, &cfg) == -1) {
        code = EXIT_USAGE;
        goto done;
    }
    app.source = cfg.directory;
    if (app.show) {
        code = show(&app, &cfg);
        goto done;
    }
    /* One check writes a status file only where one was named: the
     * default is the service's, which a user's --once has no business
     * touching (and may not be able to). */
    if (app.once && !cfg.status_file_given) {
        free(cfg.status_file);
        cfg.status_file = NULL;
    }
    if (app.once || app.check_config)
        /* The report is the output; stderr has what needs attention,
         * and everything with -f. */
        lh_log_init(true, false, cfg.syslog_facility, app.foreground ||
            cfg.log_level < LOG_WARNING ? cfg.log_level : LOG_WARNING);
    else
        lh_log_init(app.foreground, true, cfg.syslog_facility,
            cfg.log_level);
    code = run(&app, &cfg);
done:
    lh_config_cleanup(&cfg);
    xmlCleanupParser();
    lh_http_global_cleanup();
    lh_log_close();
    return code;
}
