/*
 * linkhealthd: options, configuration test, --once, and exit codes.
 * Everything that does work lives in lib/; this file wires it together
 * and is the only place that exits.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <uv.h>

#include "config.h"
#include "directory.h"
#include "http.h"
#include "log.h"
#include "monitor.h"
#include "notify.h"
#include "report.h"
#include "signals.h"

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

struct app {
    const char *config_path;    /* -c, or NULL for the default */
    struct override ov[MAX_OVERRIDES];
    size_t nov;
    bool once, foreground, check_config, listed, ready;
    const char *source;         /* directory, for --check-config output */
    uv_loop_t loop;
    struct lh_signals signals;
    struct lh_monitor *monitor;
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
"                           0 all ok or moved, 1 some link unhealthy,\n"
"                           2 usage, configuration or directory error\n"
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

static int
parse_args(struct app *app, int argc, char **argv)
{
    enum { OPT_ONCE = 256, OPT_INTERVAL, OPT_CONCURRENCY, OPT_TIMEOUT,
        OPT_CHECK_CONFIG, OPT_ALLOW_PRIVATE };
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
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int ch;

    while ((ch = getopt_long(argc, argv, "c:d:o:fVh", longopts, NULL)) !=
        -1) {
        switch (ch) {
        case 'c':
            app->config_path = optarg;
            break;
        case 'd':
            if (add_override(app, "directory", optarg, "--directory") == -1)
                return -1;
            break;
        case 'o':
            if (add_override(app, "status_file", optarg, "--status-file") == -1)
                return -1;
            break;
        case OPT_ONCE:
            app->once = true;
            break;
        case 'f':
            app->foreground = true;
            break;
        case OPT_INTERVAL:
            if (add_override(app, "interval", optarg, "--interval") == -1)
                return -1;
            break;
        case OPT_CONCURRENCY:
            if (add_override(app, "concurrency", optarg, "--concurrency") == -1)
                return -1;
            break;
        case OPT_TIMEOUT:
            if (add_override(app, "timeout", optarg, "--timeout") == -1)
                return -1;
            break;
        case OPT_CHECK_CONFIG:
            app->check_config = true;
            break;
        case OPT_ALLOW_PRIVATE:
            if (add_override(app, "allow_private", "yes",
                    "--allow-private") == -1)
                return -1;
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
    if (optind < argc) {
        fprintf(stderr, "linkhealthd: unexpected argument \"%s\"\n",
            argv[optind]);
        usage(stderr);
        return -1;
    }
    return 0;
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
    return 0;
fail:
    log_err("%s", err);
    lh_config_cleanup(cfg);
    return -1;
}

static void
print_list(const struct lh_directory *dir, void *arg)
{
    struct app *app = arg;

    printf("# %s: %zu organizations (%s)\n", app->source, dir->n,
        lh_directory_format_name(dir->format));
    for (size_t i = 0; i < dir->n; i++) {
        const struct lh_entry *e = &dir->entries[i];

        printf("%s\t%s\t%s\n", e->region[0] ? e->region : "-", e->name,
            e->url);
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

static void
cycle_done(const struct lh_links *links, double duration_ms, void *arg)
{
    struct app *app = arg;
    size_t count[LH_STATE_COUNT] = { 0 };

    if (!app->once) {
        for (size_t i = 0; i < links->n; i++)
            count[links->v[i]->state]++;
        (void)lh_notify("STATUS=%zu links: %zu ok, %zu moved, %zu stale, "
            "%zu blocked, %zu error, %zu unreachable (last cycle %.1f s)",
            links->n, count[LH_STATE_OK], count[LH_STATE_MOVED],
            count[LH_STATE_STALE], count[LH_STATE_BLOCKED],
            count[LH_STATE_ERROR], count[LH_STATE_UNREACHABLE],
            duration_ms / 1000.0);
        return;
    }
    lh_report_text(stdout, links, isatty(STDOUT_FILENO) &&
        getenv("NO_COLOR") == NULL, duration_ms);
    fflush(stdout);
}

static void
stopped(int exit_code, void *arg)
{
    struct app *app = arg;

    app->monitor = NULL;
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
        log_info("linkhealthd %s starting: %s every %u s, status in %s",
            LH_VERSION, cfg->directory, cfg->interval_ms / 1000,
            cfg->status_file);
    app->monitor = lh_monitor_start(&app->loop, cfg, mode, &hooks, err,
        sizeof(err));
    if (app->monitor == NULL) {
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
    xmlInitParser();
    if (load_config(&app, &cfg) == -1) {
        code = EXIT_USAGE;
        goto done;
    }
    app.source = cfg.directory;
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
