/*
 * report: the human report.  Groups are printed in the order an editor
 * works through them: dead links, then broken, blocked, moved, and the
 * healthy ones last, one line each.
 */
#include <stdio.h>

#include "report.h"

static const enum lh_state order[] = {
    LH_STATE_STALE, LH_STATE_ERROR, LH_STATE_UNREACHABLE, LH_STATE_BLOCKED,
    LH_STATE_MOVED, LH_STATE_UNKNOWN, LH_STATE_OK,
};

static const char *
colour_of(enum lh_state s)
{
    switch (s) {
    case LH_STATE_OK: return "\033[32m";
    case LH_STATE_MOVED: return "\033[36m";
    case LH_STATE_BLOCKED: return "\033[35m";
    case LH_STATE_UNKNOWN: return "\033[2m";
    default: return "\033[31m";
    }
}

static void
upper(FILE *f, const char *s)
{
    for (; *s != '\0'; s++)
        putc(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s, f);
}

static void
code_and_time(FILE *f, const struct lh_link *l)
{
    const struct lh_result *r = &l->result;

    if (r->http_status > 0)
        fprintf(f, "%d", r->http_status);
    else
        fputs("---", f);
    if (r->timings.total_ms >= 0)
        fprintf(f, "  %.0f ms", r->timings.total_ms);
}

int
lh_report_text(FILE *f, const struct lh_links *links, bool colour,
    double duration_ms)
{
    size_t count[LH_STATE_COUNT] = { 0 };
    const char *reset = colour ? "\033[0m" : "";
    const char *bold = colour ? "\033[1m" : "";

    for (size_t i = 0; i < links->n; i++)
        count[links->v[i]->state]++;
    for (size_t g = 0; g < sizeof(order) / sizeof(order[0]); g++) {
        enum lh_state s = order[g];

        if (count[s] == 0)
            continue;
        fprintf(f, "%s%s", colour ? colour_of(s) : "", bold);
        upper(f, lh_state_name(s));
        fprintf(f, " (%zu)%s\n", count[s], reset);
        for (size_t i = 0; i < links->n; i++) {
            const struct lh_link *l = links->v[i];

            if (l->state != s)
                continue;
            if (s == LH_STATE_OK) {
                fprintf(f, "  %s: %s  %s  ", l->region[0] ? l->region : "-",
                    l->name, l->url);
                code_and_time(f, l);
                putc('\n', f);
                continue;
            }
            fprintf(f, "  %s%s%s: %s\n      %s\n      ", bold,
                l->region[0] ? l->region : "-", reset, l->name, l->url);
            code_and_time(f, l);
            fprintf(f, "  %s\n", l->reason ? l->reason : "not checked");
            if (l->new_url != NULL)
                fprintf(f, "      fix: change the link to %s\n", l->new_url);
        }
        putc('\n', f);
    }
    fprintf(f, "%zu links: ", links->n);
    for (int s = 1; s <= LH_STATE_COUNT; s++) {
        enum lh_state st = (enum lh_state)(s % LH_STATE_COUNT);

        if (st == LH_STATE_UNKNOWN && count[st] == 0)
            continue;
        fprintf(f, "%s%zu %s", s > 1 ? ", " : "", count[st],
            lh_state_name(st));
    }
    fprintf(f, " (%.1f s)\n", duration_ms / 1000.0);
    return ferror(f) ? -1 : 0;
}
