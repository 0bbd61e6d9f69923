/*
 * libFuzzer target for the configuration parser (lh_config_load_buffer,
 * what lh_config_load runs on a file's bytes).  The input is the file.
 */
#include "config.h"
#include "fuzz.h"

#define NAME "conf/fuzz.conf"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lh_config cfg;
    char err[1024];
    int rc;

    memset(err, 'x', sizeof(err));
    rc = lh_config_load_buffer(&cfg, (const char *)data, size, NAME, err,
        sizeof(err));
    FUZZ_ASSERT(rc == 0 || rc == -1, "rc %d", rc);
    if (rc == 0) {
        FUZZ_ASSERT(cfg.path != NULL && strcmp(cfg.path, NAME) == 0,
            "path \"%s\"", cfg.path ? cfg.path : "(null)");
        FUZZ_ASSERT(cfg.directory != NULL && cfg.status_file != NULL &&
            cfg.user_agent != NULL, "a required string is NULL");
        FUZZ_ASSERT(lh_config_validate(&cfg, err, sizeof(err)) == 0,
            "loaded but invalid: %s", err);
        FUZZ_ASSERT(cfg.per_host_concurrency <= cfg.concurrency &&
            cfg.concurrency >= 1, "concurrency %u/%u",
            cfg.per_host_concurrency, cfg.concurrency);
        FUZZ_ASSERT(cfg.connect_timeout_ms <= cfg.timeout_ms,
            "connect_timeout %u > timeout %u", cfg.connect_timeout_ms,
            cfg.timeout_ms);
        for (size_t i = 0; i < cfg.nresolve; i++)
            FUZZ_ASSERT(cfg.resolve[i] != NULL, "resolve[%zu]", i);
        for (size_t i = 0; i < cfg.nconnect_to; i++)
            FUZZ_ASSERT(cfg.connect_to[i] != NULL, "connect_to[%zu]", i);
        for (size_t i = 0; i < cfg.nallow_networks; i++)
            FUZZ_ASSERT(cfg.allow_networks[i] != NULL &&
                cfg.allow_networks[i][0] != '\0', "allow_networks[%zu]", i);
    } else {
        /* A failed load leaves nothing set and nothing to free. */
        FUZZ_ASSERT(cfg.path == NULL && cfg.directory == NULL &&
            cfg.status_file == NULL && cfg.user_agent == NULL &&
            cfg.nresolve == 0 && cfg.resolve == NULL,
            "failure left the configuration set");
        FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL,
            "error not terminated");
        FUZZ_ASSERT(strncmp(err, NAME, strlen(NAME)) == 0, "error \"%s\"",
            err);
    }
    lh_config_cleanup(&cfg);
    return 0;
}
