/*
 * notice: the notification of a cycle that changed something (links that
 * changed state, checks that turned inconclusive or conclusive again) as
 * one JSON document (doc/notice.schema.json), the bodies the chat formats
 * make of it, the hook's environment, and the bounded queue of documents
 * not yet delivered, read and written as a file.  No I/O but FILE
 * printing; knows nothing of curl or libuv.
 */
#ifndef LH_NOTICE_H
#define LH_NOTICE_H

#include <stdbool.h>
#include <stdio.h>

#include "state.h"

#define LH_NOTICE_VERSION 1
/* Transitions listed in one JSON document; more are counted in
 * "omitted". */
#define LH_NOTICE_MAX_CHANGES 1000
/* Transitions listed in one chat message, then "and N more". */
#define LH_NOTICE_CHAT_CHANGES 50
/* Documents kept for delivery; the oldest is dropped beyond this. */
#define LH_NOTICE_QUEUE_MAX 32
/* The largest queue file read back. */
#define LH_NOTICE_QUEUE_MAX_BYTES (64u * 1024 * 1024)

enum lh_notice_format {
    LH_NOTICE_JSON,         /* the document itself */
    LH_NOTICE_SLACK,        /* {"text": ...}: Slack, Mattermost, Rocket.Chat */
    LH_NOTICE_DISCORD       /* {"content": ...} */
};

/* 0 and *out for "json", "slack" or "discord"; -1 otherwise. */
int lh_notice_format_parse(const char *name, enum lh_notice_format *out);
const char *lh_notice_format_name(enum lh_notice_format f);

/* What a cycle was, for its document. */
struct lh_notice_cycle {
    unsigned long long number;
    long long started_at;       /* Unix time */
    const char *source;         /* the directory, path or URL */
    const char *inconclusive;   /* NULL, or why the checks were */
    bool conclusive_again;      /* the first conclusive cycle after */
    size_t links;
    size_t count[LH_STATE_COUNT];   /* links in each state after it */
};

struct lh_notice;

/* An empty notice; NULL when out of memory.  lh_notice_free(NULL) is a
 * no-op. */
struct lh_notice *lh_notice_new(void);
void lh_notice_free(struct lh_notice *n);

/*
 * A transition of link l from one reported state to another (l->state is
 * to): organization, region, URL, states, l's reason and the fix an
 * editor can make.  Beyond LH_NOTICE_MAX_CHANGES it is only counted.
 * 0, or -1 when out of memory (then it is counted as omitted).
 */
int lh_notice_add(struct lh_notice *n, const struct lh_link *l,
    enum lh_state from, enum lh_state to);
/* Transitions added, omitted ones included. */
size_t lh_notice_count(const struct lh_notice *n);

/*
 * The document of n for cycle c, generated at time now: compact JSON, to
 * be freed with free().  NULL when out of memory.
 */
char *lh_notice_document(const struct lh_notice *n,
    const struct lh_notice_cycle *c, long long now);

/*
 * The body of a POST in format f for a document made by
 * lh_notice_document: the document itself for json, a message of at most
 * LH_NOTICE_CHAT_CHANGES transitions (and within the service's length
 * limit) for the chat formats.  Freed with free(); NULL with err when the
 * document does not parse or memory ran out.
 */
char *lh_notice_body(const char *doc, enum lh_notice_format f, char *err,
    size_t errlen);

/*
 * The hook's environment for a document: "NAME=value" strings, a NULL
 * after the last, each and the array freed with lh_notice_env_free.
 * base (may be NULL) is copied first, without the LINKHEALTHD_ variables
 * and NOTIFY_SOCKET it has.  skipped goes into LINKHEALTHD_SKIPPED.  NULL
 * when the document does not parse or memory ran out.
 */
char **lh_notice_env(const char *doc, char *const *base,
    unsigned long long skipped);
void lh_notice_env_free(char **env);

/* One document waiting, and the webhooks it is still owed to. */
struct lh_notice_entry {
    unsigned long long seq;     /* its number in this run, from 1 */
    char *doc;
    char **owed;                /* webhook URLs */
    size_t nowed;
};

struct lh_notice_queue {
    struct lh_notice_entry *v;  /* oldest first */
    size_t n;
    unsigned long long dropped; /* dropped because the queue was full,
                                   since the file was made */
    unsigned long long last_seq;
};

void lh_notice_queue_init(struct lh_notice_queue *q);
void lh_notice_queue_cleanup(struct lh_notice_queue *q);

/*
 * Append doc (copied), owed to the nurls URLs, dropping the oldest
 * entries beyond max (counted in q->dropped; *dropped, when not NULL,
 * gets how many this call dropped).  0, or -1 when out of memory (the
 * queue unchanged).
 */
int lh_notice_queue_push(struct lh_notice_queue *q, const char *doc,
    char *const *urls, size_t nurls, size_t max, size_t *dropped);

/* The entry numbered seq, or -1 when it left the queue. */
long lh_notice_queue_find(const struct lh_notice_queue *q,
    unsigned long long seq);

/* The oldest entry still owed to url, or -1. */
long lh_notice_queue_next(const struct lh_notice_queue *q, const char *url);

/* Entry i was delivered to url: no longer owed to it; an entry owed to
 * no one leaves the queue. */
void lh_notice_queue_done(struct lh_notice_queue *q, size_t i,
    const char *url);

/* Forget every URL not among the nurls urls (webhooks no longer
 * configured); entries owed to no one leave.  Returns how many left. */
size_t lh_notice_queue_retain(struct lh_notice_queue *q, char *const *urls,
    size_t nurls);

/* The queue as a JSON file.  0, or -1 when a write failed. */
int lh_notice_queue_print(FILE *f, const struct lh_notice_queue *q);

/*
 * Read back what lh_notice_queue_print wrote (len bytes at buf; name
 * stands for them in messages) into *q (initialized here).  0, or -1
 * with err and *q empty.
 */
int lh_notice_queue_parse(struct lh_notice_queue *q, const char *buf,
    size_t len, const char *name, char *err, size_t errlen);

#endif
