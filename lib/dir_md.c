/*
 * dir_md: the Markdown reader of the directory parser, for the "awesome
 * list" form ("## Region" headings, "- [Name](url) - description" items).
 * cmark (CommonMark) parses; this file walks its tree and hands each
 * organization to lh_dir_add_entry.  directory.h states the rules.
 */
#include <setjmp.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmark.h>

#include "dir_internal.h"
#include "util.h"

/*
 * cmark's own allocator aborts the process when memory runs out, and cmark
 * checks no allocation of a custom one.  So cmark gets an allocator that
 * keeps every block it hands out on a list and, when one fails, jumps back
 * to read_protected, which frees them all: a failed parse leaks nothing and
 * leaves no half-built tree behind.  Per thread, so that a parse may run
 * off the event loop.
 */
struct block {
    struct block *prev, *next;
    alignas(max_align_t) unsigned char data[];
};

struct arena {
    struct block *head;
    jmp_buf *fail;      /* where an allocation failure goes */
};

/* Static, not on read_protected's stack: it changes between setjmp and
 * longjmp, which leaves a local's value indeterminate. */
static _Thread_local struct arena arena;

static void
block_link(struct block *b)
{
    b->prev = NULL;
    b->next = arena.head;
    if (arena.head != NULL)
        arena.head->prev = b;
    arena.head = b;
}

static void
block_unlink(struct block *b)
{
    if (b->prev != NULL)
        b->prev->next = b->next;
    else
        arena.head = b->next;
    if (b->next != NULL)
        b->next->prev = b->prev;
}

static struct block *
block_of(void *p)
{
    return (struct block *)((unsigned char *)p - offsetof(struct block,
        data));
}

static _Noreturn void
arena_fail(void)
{
    longjmp(*arena.fail, 1);
}

static void *
arena_calloc(size_t n, size_t size)
{
    struct block *b;

    if (size != 0 && n > (SIZE_MAX - sizeof(*b)) / size)
        arena_fail();
    if ((b = calloc(1, sizeof(*b) + n * size)) == NULL)
        arena_fail();
    block_link(b);
    return b->data;
}

static void *
arena_realloc(void *p, size_t size)
{
    struct block *b, *nb;

    if (p == NULL)
        return arena_calloc(1, size);
    b = block_of(p);
    if (size > SIZE_MAX - sizeof(*b))
        arena_fail();
    block_unlink(b);
    if ((nb = realloc(b, sizeof(*b) + size)) == NULL) {
        block_link(b);  /* still ours: freed with the rest */
        arena_fail();
    }
    block_link(nb);
    return nb->data;
}

static void
arena_free(void *p)
{
    struct block *b;

    if (p == NULL)
        return;
    b = block_of(p);
    block_unlink(b);
    free(b);
}

static cmark_mem arena_mem = { arena_calloc, arena_realloc, arena_free };

/* One reading of a document. */
struct md_walk {
    struct lh_dir_parser *p;
    const char *text;
    size_t len;
    cmark_node *doc;
    cmark_node *title;  /* the heading that is the document's title */
    char *region;       /* the current region (owned) */
};

/* The node after n in document order under root; skips n's children
 * unless descend.  No allocation, no recursion. */
static cmark_node *
next_node(cmark_node *n, cmark_node *root, int descend)
{
    cmark_node *c;

    if (descend && (c = cmark_node_first_child(n)) != NULL)
        return c;
    for (; n != NULL && n != root; n = cmark_node_parent(n))
        if ((c = cmark_node_next(n)) != NULL)
            return c;
    return NULL;
}

/*
 * Append the text a reader sees in node and its descendants (or only in
 * its descendants, unless self): text and code spans as written, line
 * breaks and <br> as a space, images left out (they show as pictures).
 */
static int
flatten(struct lh_dir_buf *b, cmark_node *node, int self)
{
    cmark_node *n = self ? node : cmark_node_first_child(node);
    const char *s;

    while (n != NULL) {
        int descend = 1;

        switch (cmark_node_get_type(n)) {
        case CMARK_NODE_TEXT:
        case CMARK_NODE_CODE:
            s = cmark_node_get_literal(n);
            if (s != NULL && lh_dir_buf_append(b, s, strlen(s)) == -1)
                return -1;
            break;
        case CMARK_NODE_SOFTBREAK:
        case CMARK_NODE_LINEBREAK:
            if (lh_dir_buf_append(b, " ", 1) == -1)
                return -1;
            break;
        case CMARK_NODE_HTML_INLINE:
            s = cmark_node_get_literal(n);
            if (s != NULL && strncasecmp(s, "<br", 3) == 0 &&
                lh_dir_buf_append(b, " ", 1) == -1)
                return -1;
            break;
        case CMARK_NODE_IMAGE:
            descend = 0;
            break;
        default:
            break;
        }
        n = next_node(n, node, descend);
    }
    return 0;
}

/* The normalized text of node's descendants; NULL when out of memory. */
static char *
text_of(struct md_walk *w, cmark_node *node)
{
    struct lh_dir_buf *b = &w->p->text;

    b->len = 0;
    if (flatten(b, node, 0) == -1)
        return NULL;
    return lh_text_normalize(b->p != NULL ? b->p : "", b->len);
}

/* A link that shows only an image (a badge): not an organization. */
static int
is_badge(struct md_walk *w, cmark_node *link, int *oom)
{
    cmark_node *n;
    char *t;
    int image = 0, empty;

    for (n = cmark_node_first_child(link); n != NULL;
        n = next_node(n, link, 1))
        if (cmark_node_get_type(n) == CMARK_NODE_IMAGE)
            image = 1;
    if (!image)
        return 0;
    if ((t = text_of(w, link)) == NULL) {
        *oom = 1;
        return 0;
    }
    empty = t[0] == '\0';
    free(t);
    return empty;
}

/*
 * The first link of a paragraph that is not a badge, and the number of
 * line breaks before it: cmark 0.30's line numbers for inlines are not
 * reliable (a link whose text spans lines has its last line), its blocks'
 * are.  Only a code span over two lines before the link is counted short,
 * as cmark keeps no line break inside one.
 */
static cmark_node *
first_link(struct md_walk *w, cmark_node *para, unsigned *breaks, int *oom)
{
    cmark_node *n = cmark_node_first_child(para);
    const char *s;

    *breaks = 0;
    while (n != NULL) {
        int descend = 1;

        switch (cmark_node_get_type(n)) {
        case CMARK_NODE_LINK:
            if (!is_badge(w, n, oom))
                return *oom ? NULL : n;
            descend = 0;
            break;
        case CMARK_NODE_IMAGE:
            /* Its description may hold links; they are not shown. */
            descend = 0;
            break;
        case CMARK_NODE_SOFTBREAK:
        case CMARK_NODE_LINEBREAK:
            (*breaks)++;
            break;
        case CMARK_NODE_HTML_INLINE:
            if ((s = cmark_node_get_literal(n)) != NULL)
                for (; (s = strchr(s, '\n')) != NULL; s++)
                    (*breaks)++;
            break;
        default:
            break;
        }
        n = next_node(n, para, descend);
    }
    return NULL;
}

/*
 * Strip a separator ("-", "–", "—" before a space, or ":") from the front
 * of a normalized description, in place.
 */
static void
strip_separator(char *d)
{
    static const char *const dashes[] = { "-", "\u2013", "\u2014" };
    size_t skip = 0;

    for (size_t i = 0; i < sizeof(dashes) / sizeof(dashes[0]); i++) {
        size_t n = strlen(dashes[i]);

        if (strncmp(d, dashes[i], n) == 0 && (d[n] == ' ' || d[n] == '\0'))
            skip = n;
    }
    if (d[0] == ':')
        skip = 1;
    if (skip == 0)
        return;
    if (d[skip] == ' ')
        skip++;
    memmove(d, d + skip, strlen(d + skip) + 1);
}

/*
 * The description: what follows the link in its paragraph (the link's
 * later siblings, then its ancestors' up to the paragraph), then the
 * item's later paragraphs.
 */
static char *
description(struct md_walk *w, cmark_node *link, cmark_node *para)
{
    struct lh_dir_buf *b = &w->p->text;
    cmark_node *a, *s;
    char *d;

    b->len = 0;
    for (a = link; a != NULL && a != para; a = cmark_node_parent(a))
        for (s = cmark_node_next(a); s != NULL; s = cmark_node_next(s))
            if (flatten(b, s, 1) == -1)
                return NULL;
    for (s = cmark_node_next(para); s != NULL; s = cmark_node_next(s))
        if (cmark_node_get_type(s) == CMARK_NODE_PARAGRAPH &&
            (lh_dir_buf_append(b, " ", 1) == -1 || flatten(b, s, 0) == -1))
            return NULL;
    if ((d = lh_text_normalize(b->p != NULL ? b->p : "", b->len)) != NULL)
        strip_separator(d);
    return d;
}

/* A list item: an organization when its first link is one. */
static int
read_item(struct md_walk *w, cmark_node *item)
{
    cmark_node *para, *link = NULL;
    unsigned breaks = 0, line;
    const char *url;
    char *name, *desc;
    int oom = 0;

    for (para = cmark_node_first_child(item); para != NULL;
        para = cmark_node_next(para)) {
        if (cmark_node_get_type(para) != CMARK_NODE_PARAGRAPH)
            continue;
        link = first_link(w, para, &breaks, &oom);
        if (oom)
            return lh_dir_oom(w->p);
        if (link != NULL)
            break;
    }
    if (link == NULL)
        return 0;
    url = cmark_node_get_url(link);
    if (url == NULL || url[0] == '#')
        return 0;       /* an in-page anchor, as in a table of contents */
    line = (unsigned)cmark_node_get_start_line(para) + breaks;
    if ((name = text_of(w, link)) == NULL)
        return lh_dir_oom(w->p);
    if ((desc = description(w, link, para)) == NULL) {
        free(name);
        return lh_dir_oom(w->p);
    }
    return lh_dir_add_entry(w->p, line, w->region, url, name, desc);
}

/* A heading: the region of what follows, unless it is the title. */
static int
read_heading(struct md_walk *w, cmark_node *h)
{
    char *r;

    if (h == w->title)
        r = strdup("");
    else
        r = text_of(w, h);
    if (r == NULL)
        return lh_dir_oom(w->p);
    free(w->region);
    w->region = r;
    return 0;
}

/* Can this block hold headings and list items? */
static int
is_container(cmark_node *n)
{
    switch (cmark_node_get_type(n)) {
    case CMARK_NODE_DOCUMENT:
    case CMARK_NODE_BLOCK_QUOTE:
    case CMARK_NODE_LIST:
    case CMARK_NODE_ITEM:
        return 1;
    default:
        return 0;       /* paragraphs, headings, code, HTML */
    }
}

/*
 * The document's title: its one level-1 heading, when it also has deeper
 * headings (the regions); NULL otherwise.
 */
static cmark_node *
find_title(cmark_node *doc)
{
    cmark_node *n, *h1 = NULL;
    int nh1 = 0, deeper = 0;

    for (n = doc; n != NULL; n = next_node(n, doc, is_container(n))) {
        if (cmark_node_get_type(n) != CMARK_NODE_HEADING)
            continue;
        if (cmark_node_get_heading_level(n) == 1) {
            nh1++;
            h1 = n;
        } else {
            deeper = 1;
        }
    }
    return nh1 == 1 && deeper ? h1 : NULL;
}

/* Parse and walk; runs under read_protected. */
static int
read_document(struct md_walk *w)
{
    cmark_parser *parser;
    cmark_node *n;

    parser = cmark_parser_new_with_mem(CMARK_OPT_DEFAULT, &arena_mem);
    cmark_parser_feed(parser, w->text, w->len);
    w->doc = cmark_parser_finish(parser);
    cmark_parser_free(parser);
    /* From here on cmark only hands out what it stored (0.30's getters
     * allocate nothing), so no jump leaves a string of ours behind. */
    w->title = find_title(w->doc);
    for (n = w->doc; n != NULL; n = next_node(n, w->doc, is_container(n))) {
        cmark_node_type t = cmark_node_get_type(n);

        /* An item's nested lists are walked into: items too. */
        if (t == CMARK_NODE_ITEM && read_item(w, n) == -1)
            return -1;
        if (t == CMARK_NODE_HEADING && read_heading(w, n) == -1)
            return -1;
    }
    return 0;
}

/* read_document with cmark's allocations on the arena; -2 when they ran
 * out of memory (all of them freed then). */
static int
read_protected(struct md_walk *w)
{
    jmp_buf fail;
    int rc;

    arena.head = NULL;
    arena.fail = &fail;
    if (setjmp(fail) != 0) {
        while (arena.head != NULL) {
            struct block *b = arena.head;

            arena.head = b->next;
            free(b);
        }
        arena.fail = NULL;
        return -2;
    }
    rc = read_document(w);
    cmark_node_free(w->doc);
    arena.fail = NULL;
    return rc;
}

int
lh_dir_md_parse(struct lh_dir_parser *p, const char *text, size_t len)
{
    struct md_walk w;
    int rc;

    memset(&w, 0, sizeof(w));
    w.p = p;
    w.text = text;
    w.len = len;
    if ((w.region = strdup("")) == NULL)
        return lh_dir_oom(p);
    rc = read_protected(&w);
    free(w.region);
    if (rc == -2)
        return lh_dir_oom(p);
    return rc;
}
