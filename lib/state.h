/*
 * state: the table of links, keyed by URL, merged with each new directory
 * (added, removed, edited entries), and each link's reported state with
 * hysteresis, history and counters.  Knows nothing of HTTP.
 */
#ifndef LH_STATE_H
#define LH_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "directory.h"
#include "result.h"
#include "strmap.h"

#define LH_HISTORY_LEN 16
/* Flapping: this many good/bad changes among the last FLAP_WINDOW
 * verdicts; it ends when the window holds at most FLAP_CLEAR changes. */
#define LH_FLAP_WINDOW 10
#define LH_FLAP_CHANGES 4
#define LH_FLAP_CLEAR 1

/* A page memo's strings, read with lh_page_memo_text. */
enum lh_memo_text {
    LH_MEMO_TITLE,              /* NULL: none */
    LH_MEMO_FINAL_URL,          /* NULL: the link's own URL */
    LH_MEMO_ETAG,
    LH_MEMO_LAST_MODIFIED,
    LH_MEMO_REASON,             /* for stale and blocked */
    LH_MEMO_NTEXT
};

/*
 * A link's page when it was last read (a content check), kept across
 * cycles and restarts: its fingerprint, the answer it was read under
 * (what the next checks compare) and the verdict it had then.
 */
struct lh_page_memo {
    long long read_at;          /* Unix time; 0: never read */
    double read_mono_ms;        /* when read in this run, on the monotonic
                                   clock (lh_check_now_ms); 0: not in this
                                   run (from the status file), never
                                   written */
    unsigned long long text_hash;
    long long content_length;   /* -1: unknown */
    size_t bytes;               /* HTML read */
    char *strings;              /* the strings it has, one after another
                                   in the order of enum lh_memo_text; NULL
                                   when none (an answer that is not HTML):
                                   a pointer each would take a million
                                   links' memos from 64 to 96 bytes */
    uint32_t text_bytes;        /* visible text (at most max_body_bytes,
                                   16 MiB) */
    unsigned short status;      /* the answer it was read under */
    unsigned char state;        /* enum lh_state: stale or blocked from its
                                   page; else ok */
    unsigned char has;          /* string k is in strings: bit k */
};

/*
 * What few checks leave: a redirect chain, an error text, a final URL
 * that is not the one asked.  Held apart, and only by a check that left
 * any (struct lh_last's extra): a link whose check left none pays one
 * pointer for them, not three and a count.
 */
struct lh_last_extra {
    char *final_url;            /* last URL asked; NULL when nothing was
                                   asked, or the request URL when
                                   final_is_request (lh_link_final_url) */
    char *error;                /* curl's error text or our own, or NULL */
    struct lh_hop *hops;        /* the redirect chain, in order */
    size_t nhops;
};

/*
 * What a link keeps of its last check: what the status document, the
 * metrics, the report, the next cycle's judgement and a restart read.
 * A check's full lh_result lives only while the check runs; it is
 * converted when the check finishes (lh_last_take), for a million links
 * hold one of these each.
 */
struct lh_last {
    struct lh_last_extra *extra;    /* NULL: no chain, error or final URL
                                       of its own (lh_last_error and the
                                       others read it) */
    struct lh_timings timings;
    long long cert_expiry;      /* leaf certificate notAfter; 0 unknown */
    long long checked_at;       /* Unix time the check finished */
    int http_status;            /* final status; 0 when none */
    int head_status;            /* what HEAD got when GET was used */
    int attempts;
    int retries;
    unsigned char method;       /* enum lh_method */
    unsigned char fail;         /* enum lh_fail */
    bool final_is_request : 1;  /* the final URL was the request URL, not
                                   stored twice */
    bool heard_back : 1;        /* lh_result_heard_back */
    bool offline : 1;           /* lh_result_offline */
};

/*
 * A link: what its entry says, its last check and what was made of it.
 * A million of them are held: the fields are ordered so that none pads
 * (248 bytes), enums that fit in a byte are kept in one, and what few
 * links have is held apart (last.extra, page).
 */
struct lh_link {
    /* From the directory entry; owned. */
    char *url;                  /* as listed: the key, and what people read;
                                   the first of the entry's strings, one
                                   block (lh_link_set_text), read with
                                   lh_link_name and the others: a pointer
                                   each would cost a million links 48 MB */

    /* The last check and its verdict. */
    struct lh_last last;
    char *reason;               /* one line; NULL before any verdict;
                                   shared: set by lh_link_set_reason */
    char *new_url;              /* moved: where the directory should point */
    char *inconclusive;         /* why its last check gave no verdict (the
                                   monitor's own failure), NULL when it
                                   gave one */
    struct lh_page_memo *page;  /* its page when last read; NULL: never
                                   (a link without content checks) */

    /* What is reported, after hysteresis. */
    long long since;            /* Unix time the reported state began */
    uint32_t history_at[LH_HISTORY_LEN];    /* Unix time of each verdict
                                               in history; 0: not known
                                               (an older file's, or one
                                               outside 1970-2106) */
    unsigned char history[LH_HISTORY_LEN];  /* recent verdicts, oldest
                                               first */
    unsigned consecutive_failures;  /* bad verdicts in a row */
    unsigned consecutive_good;      /* good verdicts in a row */
    unsigned line;              /* the entry's line */

    /* The configuration's rules (rules.h). */
    unsigned excluded;          /* the exclude rule that keeps it from
                                   being checked, or 0; an excluded link
                                   has no verdict and counts nowhere */
    unsigned accepted;          /* the accept rule that made its last
                                   verdict ok, or 0 */

    unsigned char verdict;      /* enum lh_state of the last verdict */
    unsigned char state;        /* enum lh_state reported */
    unsigned char nhistory;
    bool checked;               /* last holds a finished check */
    bool flapping;              /* alternating between good and bad */
    bool cert_warning;          /* its certificate is within cert_warn_days
                                   of expiry */
};

/*
 * The links by URL: open addressing over the table's own array, each
 * slot a link's index and its URL's hash in eight bytes (a string map
 * would take 24, and a million links fill two million slots).
 */
struct lh_url_index {
    uint64_t *slots;            /* 0: empty; else hash << 32 | index + 1 */
    size_t cap;                 /* a power of two, or 0 */
    size_t n;
};

struct lh_links {
    struct lh_link **v;         /* in directory order */
    size_t n, cap;
    struct lh_url_index by_url;
};

/* What a check's certificate expiry did to a link's warning. */
enum lh_cert_event {
    LH_CERT_NONE,       /* no change (or no certificate seen) */
    LH_CERT_ENTERED,    /* it now expires within warn_days */
    LH_CERT_RENEWED     /* it was within warn_days and is no longer */
};

/* What one verdict did to a link's reported state. */
struct lh_transition {
    enum lh_state from, to;
    bool changed;               /* from != to */
    bool flap_started;          /* the link began flapping with this one */
    bool flap_ended;            /* the link stopped flapping */
    unsigned flap_changes;      /* good/bad changes in the window */
    enum lh_cert_event cert;    /* what the check did to cert_warning */
    bool inconclusive;          /* no verdict: see link->inconclusive */
    bool inconclusive_new;      /* ... for another reason than last time */
};

/* "ok", "moved", "stale", "blocked", "error", "unreachable", "unknown". */
const char *lh_state_name(enum lh_state s);
/* 0 and *out for a known name, -1 otherwise. */
int lh_state_parse(const char *name, enum lh_state *out);
/* True for the states a link may be in and still count as healthy. */
int lh_state_is_good(enum lh_state s);

void lh_links_init(struct lh_links *links);
void lh_links_cleanup(struct lh_links *links);

/* How many links are in each reported state: count[state], zeroed first;
 * returns how many are not good (see lh_state_is_good).  Excluded links
 * are in neither: see lh_links_excluded. */
size_t lh_links_count(const struct lh_links *links,
    size_t count[LH_STATE_COUNT]);
/* How many links are excluded. */
size_t lh_links_excluded(const struct lh_links *links);
/*
 * How many links fail a run (--once, --show): those not excluded whose
 * reported state is in fail_on (bits LH_STATE_BIT(state), rules.h) or
 * unknown (no verdict is no evidence of health).
 */
size_t lh_links_failing(const struct lh_links *links, unsigned fail_on);

struct lh_link *lh_links_find(const struct lh_links *links, const char *url);

/* Add a link made by the caller (the table then owns it); its URL must be
 * new.  Returns 0, or -1 when out of memory (the caller still owns l). */
int lh_links_append(struct lh_links *links, struct lh_link *l);
/* Free a link that is in no table.  NULL is a no-op. */
void lh_link_free(struct lh_link *l);
/* A link's entry strings, for lh_link_set_text; NULL: none (url must
 * not be NULL). */
struct lh_link_text {
    const char *url;
    const char *request_url;    /* NULL, or the URL itself: as listed */
    const char *note;
    const char *name, *region, *description;
};
/* Make t (which may point into l's own block) l's URL and entry strings,
 * all or nothing: 0, or -1 when out of memory (l unchanged). */
int lh_link_set_text(struct lh_link *l, const struct lh_link_text *t);
/* The entry's note (a host that mixes scripts), or NULL. */
const char *lh_link_note(const struct lh_link *l);
/* The entry's name, region and description; "" when it has none. */
const char *lh_link_name(const struct lh_link *l);
const char *lh_link_region(const struct lh_link *l);
const char *lh_link_description(const struct lh_link *l);
/* Set l->reason to a copy of reason (NULL: none), shared with every
 * link that has the same (most say "200 OK").  0, or -1 when out of
 * memory (the old one stays). */
int lh_link_set_reason(struct lh_link *l, const char *reason);
/* The address a check of l requests: its request URL, or (one listed
 * as it is requested) its url. */
const char *lh_link_request_url(const struct lh_link *l);
/* The last URL its last check asked: last.extra's final_url, or the
 * request URL when last.final_is_request; NULL when none. */
const char *lh_link_final_url(const struct lh_link *l);

/* The last check's error text, or NULL. */
const char *lh_last_error(const struct lh_last *last);
/* Its redirect chain, in order, and how many hops: 0 (NULL) for none. */
const struct lh_hop *lh_last_hops(const struct lh_last *last, size_t *n);

void lh_last_init(struct lh_last *last);
void lh_last_cleanup(struct lh_last *last);
/* Nothing known: as lh_last_init leaves it. */
bool lh_last_is_empty(const struct lh_last *last);
/*
 * Make last (cleaned first) the record of the finished check r: its
 * strings and chain are taken (r keeps the rest, for lh_result_cleanup);
 * a final URL equal to the URL asked (r->url) with no redirect is not
 * kept twice (final_is_request).  0, or -1 when out of memory for its
 * extra (last then keeps neither the chain, the error nor the final
 * URL; r still has them).
 */
int lh_last_take(struct lh_last *last, struct lh_result *r);
/* Give last the final URL url (a copy; NULL: none), as a check would
 * have left it.  0, or -1 when out of memory. */
int lh_last_set_final_url(struct lh_last *last, const char *url);

/*
 * Make the table match dir: links whose URL is still listed keep their
 * state (name, region and description are refreshed), new URLs are added
 * as unknown, and links no longer listed are removed.  added and removed
 * (may be NULL) are called for each, before removal.  Returns 0, or -1
 * when out of memory (the table is then unchanged).
 */
int lh_links_sync(struct lh_links *links, const struct lh_directory *dir,
    void (*added)(const struct lh_link *, void *),
    void (*removed)(const struct lh_link *, void *), void *arg);
/*
 * As lh_links_sync, for a directory used for nothing else afterwards:
 * the strings of the entries that become new links are taken over or
 * freed as the merge goes, so that a million of them are not held
 * twice.  Whether it succeeds or not, dir's entries are then fit only
 * for lh_directory_drop_entries or lh_directory_cleanup.
 */
int lh_links_sync_take(struct lh_links *links, struct lh_directory *dir,
    void (*added)(const struct lh_link *, void *),
    void (*removed)(const struct lh_link *, void *), void *arg);

/*
 * Record a verdict (link->last must already hold the check) at
 * time now.  A good link turns bad only after fail_threshold bad verdicts
 * in a row; a bad one turns good after recover_threshold good verdicts.
 * A first verdict is taken as it is once it passes the same thresholds.
 * Flapping is judged on the verdict history (see LH_FLAP_*).
 */
void lh_state_record(struct lh_link *link, const struct lh_verdict *v,
    long long now, unsigned fail_threshold, unsigned recover_threshold,
    struct lh_transition *out);

/*
 * Forget what the link's checks said (it is excluded now): reported state
 * and verdict unknown, no reason, history, counters, flapping, warning or
 * page.  Its last check stays, unused.
 */
void lh_state_forget(struct lh_link *link);

/*
 * Append verdict state, given at time at (0: not known), to the link's
 * history, dropping the oldest entry when it holds LH_HISTORY_LEN.
 * lh_state_record calls it; so does the reader of a previous status file.
 */
void lh_state_history_push(struct lh_link *link, enum lh_state state,
    long long at);

/*
 * The link's check gave no verdict (lh_verdict.inconclusive): nothing is
 * recorded (state, verdict, reason, history and the last check stay);
 * link->inconclusive gets reason (out of memory, the old one stays).
 * Returns true when the reason differs from the link's previous one.
 */
bool lh_state_inconclusive(struct lh_link *link, const char *reason);

/*
 * The link's last verdict and its reported state disagree on good or bad
 * (a verdict waiting for fail_threshold or recover_threshold to confirm
 * it, or a first verdict not yet taken): it wants checking again soon.
 * A flapping link is settled: its state waits for the flapping to end.
 */
bool lh_state_unsettled(const struct lh_link *link);

/*
 * Carry what a previous run knew about a link (from lh_status_load) into
 * dst: reported state, since, history, counters, flapping and the last
 * verdict and reason.  Returns 0, or -1 when out of memory.
 */
int lh_state_seed(struct lh_link *dst, const struct lh_link *src);


/*
 * The memo of the page check r read (r->page not NULL), under verdict v
 * (kept when it is stale or blocked), for the link requesting
 * request_url.  0, or -1 when out of memory (m then empty).
 */
int lh_page_memo_make(struct lh_page_memo *m, const struct lh_result *r,
    const struct lh_verdict *v, const char *request_url);
/* The link's page memo becomes m (allocated; the link owns it now), the
 * old one freed; NULL forgets the page, so it is read again. */
void lh_link_set_page(struct lh_link *l, struct lh_page_memo *m);
/* Copy src over dst (dst cleaned first).  0, or -1 when out of memory
 * (dst then empty). */
int lh_page_memo_copy(struct lh_page_memo *dst,
    const struct lh_page_memo *src);
void lh_page_memo_init(struct lh_page_memo *m);
/* The memo's string k, or NULL when it has none. */
const char *lh_page_memo_text(const struct lh_page_memo *m,
    enum lh_memo_text k);
/* Make text[k] (NULL: none; they may be m's own) the memo's strings, all
 * or nothing: 0, or -1 when out of memory (m unchanged). */
int lh_page_memo_set_text(struct lh_page_memo *m,
    const char *const text[LH_MEMO_NTEXT]);
/* The link's page memo, made (empty: never read) when it has none; NULL
 * when out of memory.  The link owns it. */
struct lh_page_memo *lh_link_page(struct lh_link *l);
void lh_page_memo_cleanup(struct lh_page_memo *m);

/*
 * Update link->cert_warning from the leaf certificate expiry of its last
 * check (link->last.cert_expiry) at time now; warn_days 0 turns the
 * warning off without an event.  A check that saw no certificate changes
 * nothing.
 */
enum lh_cert_event lh_state_cert(struct lh_link *link, long long now,
    unsigned warn_days);

#endif
