/*
 * report: the human report.  Groups are printed in the order an editor
 * works through them: dead links, then broken, blocked, moved, and the
 * healthy ones, one line each; last the excluded links, which are not
 * checked (configuration rules), listed so that none is silently dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

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

/*
 * Text from the directory, a server or a status file, escaped by the one
 * sanitizer (lh_text_escape): no control, bidirectional override or
 * invalid byte reaches the terminal.  Write errors show in ferror(f).
 */
static void
text(FILE *f, const char *s)
{
    (void)lh_text_escape_file(f, s);
}

/* A link's region, "-" when it has none. */
static const char *
region_of(const struct lh_link *l)
{
    const char *region = lh_link_region(l);

    return region[0] != '\0' ? region : "-";
}

/* "  Region: Name  URL", the one-line form of a link. */
static void
link_line(FILE *f, const struct lh_link *l)
{
    fputs("  ", f);
    text(f, region_of(l));
    fputs(": ", f);
    text(f, lh_link_name(l));
    fputs("  ", f);
    text(f, l->url);
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
    const struct lh_last *r = &l->last;

    if (r->http_status > 0)
        fprintf(f, "%d", r->http_status);
    else
        fputs("---", f);
    if (r->timings.total_ms >= 0)
        fprintf(f, "  %.0f ms", r->timings.total_ms);
}

/* The closing line: counts per state (unknown and excluded only when
 * there are some). */
static int
summary(FILE *f, const size_t *count, const struct lh_links *links,
    double duration_ms)
{
    size_t n = links->n, excluded = lh_links_excluded(links);

    fprintf(f, "%zu links: ", n);
    for (int s = 1; s <= LH_STATE_COUNT; s++) {
        enum lh_state st = (enum lh_state)(s % LH_STATE_COUNT);

        if (st == LH_STATE_UNKNOWN && count[st] == 0)
            continue;
        fprintf(f, "%s%zu %s", s > 1 ? ", " : "", count[st],
            lh_state_name(st));
    }
    if (excluded > 0)
        fprintf(f, ", %zu excluded", excluded);
    fprintf(f, " (%.1f s)\n", duration_ms / 1000.0);
    return ferror(f) ? -1 : 0;
}

/* The excluded links, a group of their own after every state. */
static void
excluded(FILE *f, const struct lh_links *links, bool colour)
{
    size_t n = lh_links_excluded(links);

    if (n == 0)
        return;
    fprintf(f, "%sEXCLUDED (%zu)%s\n", colour ? "\033[2m\033[1m" : "", n,
        colour ? "\033[0m" : "");
    for (size_t i = 0; i < links->n; i++) {
        const struct lh_link *l = links->v[i];

        if (!l->excluded)
            continue;
        link_line(f, l);
        fprintf(f, "  excluded by rule %u, not checked\n", l->excluded);
    }
    putc('\n', f);
}

int
lh_report_text(FILE *f, const struct lh_links *links, bool colour,
    double duration_ms)
{
    size_t count[LH_STATE_COUNT];
    const char *reset = colour ? "\033[0m" : "";
    const char *bold = colour ? "\033[1m" : "";

    (void)lh_links_count(links, count);
    for (size_t g = 0; g < sizeof(order) / sizeof(order[0]); g++) {
        enum lh_state s = order[g];

        if (count[s] == 0)
            continue;
        fprintf(f, "%s%s", colour ? colour_of(s) : "", bold);
        upper(f, lh_state_name(s));
        fprintf(f, " (%zu)%s\n", count[s], reset);
        for (size_t i = 0; i < links->n; i++) {
            const struct lh_link *l = links->v[i];

            if (l->state != s || l->excluded)
                continue;
            if (s == LH_STATE_OK) {
                link_line(f, l);
                fputs("  ", f);
                code_and_time(f, l);
                /* ok only by a rule: say which, and what it overruled. */
                if (l->accepted && l->reason != NULL) {
                    fputs("  ", f);
                    text(f, l->reason);
                }
                putc('\n', f);
                continue;
            }
            fprintf(f, "  %s", bold);
            text(f, region_of(l));
            fprintf(f, "%s: ", reset);
            text(f, lh_link_name(l));
            fputs("\n      ", f);
            text(f, l->url);
            fputs("\n      ", f);
            code_and_time(f, l);
            fputs("  ", f);
            text(f, l->reason ? l->reason : "not checked");
            putc('\n', f);
            if (l->new_url != NULL) {
                fputs("      fix: change the link to ", f);
                text(f, l->new_url);
                putc('\n', f);
            }
        }
        putc('\n', f);
    }
    excluded(f, links, colour);
    return summary(f, count, links, duration_ms);
}

/* Table cell text: first the one sanitizer (so the cell is one line and
 * holds no control), then Markdown and HTML specials escaped. */
static void
md_text(FILE *f, const char *raw)
{
    char *safe = lh_text_escape_dup(raw), *s;

    /* Out of memory: the cell stays empty rather than unescaped. */
    for (s = safe; s != NULL && *s != '\0'; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '\\': case '|': case '`': case '*': case '_': case '[':
        case ']': case '#': case '~':
            putc('\\', f);
            putc(*s, f);
            break;
        default:
            putc(*s, f);
        }
    }
    free(safe);
}

/*
 * A URL as an autolink; what would end one early is percent-encoded.  A
 * URL with a control or an override in it (the directory's parser lets
 * none through, a crafted status file might) goes through the sanitizer
 * first, like any other text.
 */
static void
md_url(FILE *f, const char *raw)
{
    char *safe = lh_text_escape_dup(raw), *s;

    putc('<', f);
    for (s = safe; s != NULL && *s != '\0'; s++) {
        if (strchr("<>| \\`", *s) != NULL)
            fprintf(f, "%%%02X", (unsigned char)*s);
        else
            putc(*s, f);
    }
    putc('>', f);
    free(safe);
}

const char *
lh_report_fix(const struct lh_link *l)
{
    switch (l->state) {
    case LH_STATE_MOVED:
        return NULL;    /* the new URL, written by the caller */
    case LH_STATE_STALE:
        return "find the organization's new page, or remove the entry";
    case LH_STATE_UNREACHABLE:
        return "check that the site still exists; remove the entry if "
            "the domain has lapsed";
    case LH_STATE_ERROR:
        return "open the link in a browser and see what the server says";
    case LH_STATE_BLOCKED:
        return "the site refuses automated checks; check it by hand";
    default:
        return "";
    }
}

int
lh_report_markdown(FILE *f, const struct lh_links *links, double duration_ms)
{
    size_t count[LH_STATE_COUNT];
    size_t bad = lh_links_count(links, count);

    fprintf(f, "### Link check: %zu of %zu links need attention\n\n", bad +
        count[LH_STATE_MOVED], links->n);
    fputs("| State | Organization | Region | Link | Problem | Fix |\n"
        "|---|---|---|---|---|---|\n", f);
    for (size_t g = 0; g < sizeof(order) / sizeof(order[0]); g++) {
        enum lh_state s = order[g];

        for (size_t i = 0; count[s] > 0 && i < links->n; i++) {
            const struct lh_link *l = links->v[i];

            if (l->state != s || l->excluded)
                continue;
            fprintf(f, "| %s%s%s | ", s == LH_STATE_OK ? "" : "**",
                lh_state_name(s), s == LH_STATE_OK ? "" : "**");
            md_text(f, lh_link_name(l));
            fputs(" | ", f);
            md_text(f, region_of(l));
            fputs(" | ", f);
            md_url(f, l->url);
            fputs(" | ", f);
            md_text(f, s == LH_STATE_OK && !l->accepted ? "" : l->reason ?
                l->reason : "not checked");
            fputs(" | ", f);
            if (l->new_url != NULL && s != LH_STATE_OK) {
                fputs("change the link to ", f);
                md_url(f, l->new_url);
            } else {
                md_text(f, lh_report_fix(l));
            }
            fputs(" |\n", f);
        }
    }
    for (size_t i = 0; i < links->n; i++) {
        const struct lh_link *l = links->v[i];

        if (!l->excluded)
            continue;
        fputs("| excluded | ", f);
        md_text(f, lh_link_name(l));
        fputs(" | ", f);
        md_text(f, region_of(l));
        fputs(" | ", f);
        md_url(f, l->url);
        fprintf(f, " | excluded by rule %u, not checked |  |\n",
            l->excluded);
    }
    putc('\n', f);
    return summary(f, count, links, duration_ms);
}
