/*
 * test_notice: the notification document (its fields, the cap on listed
 * transitions), the chat bodies (cap, escapes, length), the hook's
 * environment, and the queue (bound, owed webhooks, file round trip).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "notice.h"
#include "test.h"

/* A link named name at url; its block of strings freed by the caller. */
static struct lh_link
link_of(const char *name, const char *url, char *reason,
    enum lh_state state)
{
    struct lh_link l;

    memset(&l, 0, sizeof(l));
    if (lh_link_set_text(&l, &(struct lh_link_text){ .url = url,
            .name = name, .region = "Liège" }) == -1)
        abort();
    l.reason = reason;
    l.state = state;
    return l;
}

static struct lh_notice_cycle
cycle_of(unsigned long long n)
{
    struct lh_notice_cycle c;

    memset(&c, 0, sizeof(c));
    c.number = n;
    c.started_at = 1796000000;
    c.source = "/etc/linkhealthd/directory.json";
    c.links = 3;
    c.count[LH_STATE_OK] = 1;
    c.count[LH_STATE_STALE] = 2;
    return c;
}

static void
document_fields(void)
{
    struct lh_notice *n = lh_notice_new();
    struct lh_link a = link_of("HEPL", "https://a.test/", "HTTP 404",
        LH_STATE_STALE);
    struct lh_link b = link_of("Bad \xff name", "https://b.test/",
        "301 to https://b.test/new", LH_STATE_MOVED);
    struct lh_notice_cycle c = cycle_of(7);
    cJSON *doc, *t;
    char *text;

    b.new_url = "https://b.test/new";
    CHECK(n != NULL);
    CHECK_INT_EQ(0, lh_notice_add(n, &a, LH_STATE_OK, LH_STATE_STALE));
    CHECK_INT_EQ(0, lh_notice_add(n, &b, LH_STATE_OK, LH_STATE_MOVED));
    CHECK_INT_EQ(2, lh_notice_count(n));
    text = lh_notice_document(n, &c, 1796000060);
    CHECK((doc = cJSON_Parse(text)) != NULL);
    CHECK_STR_EQ("1796000000-7",
        cJSON_GetObjectItem(doc, "id")->valuestring);
    CHECK_INT_EQ(7, cJSON_GetObjectItem(doc, "cycle")->valuedouble);
    CHECK_STR_EQ("2026-11-30T00:53:20Z",
        cJSON_GetObjectItem(doc, "started_at")->valuestring);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(doc, "inconclusive")));
    CHECK_INT_EQ(2, cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "summary"),
        "stale")->valuedouble);
    CHECK_INT_EQ(0, cJSON_GetObjectItem(doc, "omitted")->valuedouble);
    t = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "transitions"), 0);
    CHECK_STR_EQ("HEPL", cJSON_GetObjectItem(t, "organization")->valuestring);
    CHECK_STR_EQ("Liège", cJSON_GetObjectItem(t, "region")->valuestring);
    CHECK_STR_EQ("ok", cJSON_GetObjectItem(t, "from")->valuestring);
    CHECK_STR_EQ("stale", cJSON_GetObjectItem(t, "to")->valuestring);
    CHECK_STR_EQ("HTTP 404", cJSON_GetObjectItem(t, "reason")->valuestring);
    CHECK_STR_CONTAINS("new page", cJSON_GetObjectItem(t,
        "fix")->valuestring);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(t, "new_url")));
    t = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "transitions"), 1);
    /* Bytes that are not UTF-8 become U+FFFD: the document parses. */
    CHECK_STR_EQ("Bad \xef\xbf\xbd name", cJSON_GetObjectItem(t,
        "organization")->valuestring);
    CHECK_STR_EQ("change the link to https://b.test/new",
        cJSON_GetObjectItem(t, "fix")->valuestring);
    CHECK_STR_EQ("https://b.test/new", cJSON_GetObjectItem(t,
        "new_url")->valuestring);
    cJSON_Delete(doc);
    free(text);
    lh_notice_free(n);
    lh_notice_free(NULL);
    free(a.url);
    free(b.url);
}

/* More than LH_NOTICE_MAX_CHANGES: the rest counted in "omitted"; the
 * chat formats list LH_NOTICE_CHAT_CHANGES and say how many more. */
static void
caps(void)
{
    struct lh_notice *n = lh_notice_new();
    struct lh_link a = link_of("<!channel> & co", "https://a.test/",
        "HTTP 404", LH_STATE_STALE);
    struct lh_notice_cycle c = cycle_of(2);
    char *text, *body, err[256];
    cJSON *doc, *b;
    size_t total = LH_NOTICE_MAX_CHANGES + 5;

    for (size_t i = 0; i < total; i++)
        CHECK_INT_EQ(0, lh_notice_add(n, &a, LH_STATE_OK, LH_STATE_STALE));
    text = lh_notice_document(n, &c, 1796000060);
    doc = cJSON_Parse(text);
    CHECK_INT_EQ(LH_NOTICE_MAX_CHANGES, cJSON_GetArraySize(
        cJSON_GetObjectItem(doc, "transitions")));
    CHECK_INT_EQ(5, cJSON_GetObjectItem(doc, "omitted")->valuedouble);
    cJSON_Delete(doc);

    body = lh_notice_body(text, LH_NOTICE_JSON, err, sizeof(err));
    CHECK_STR_EQ(text, body);
    free(body);

    body = lh_notice_body(text, LH_NOTICE_SLACK, err, sizeof(err));
    b = cJSON_Parse(body);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(b, "text")));
    CHECK_INT_EQ(1, cJSON_GetArraySize(b));
    if (cJSON_IsString(cJSON_GetObjectItem(b, "text"))) {
        const char *s = cJSON_GetObjectItem(b, "text")->valuestring;
        size_t lines = 0;

        for (const char *p = s; (p = strstr(p, "\n- ")) != NULL; p++)
            lines++;
        CHECK_INT_EQ(LH_NOTICE_CHAT_CHANGES, lines);
        CHECK_STR_CONTAINS("1005 links changed state", s);
        CHECK_STR_CONTAINS("and 955 more", s);
        CHECK_STR_CONTAINS("&lt;!channel&gt; &amp; co", s);
        CHECK(strstr(s, "<!channel>") == NULL);
    }
    cJSON_Delete(b);
    free(body);

    body = lh_notice_body(text, LH_NOTICE_DISCORD, err, sizeof(err));
    b = cJSON_Parse(body);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(b, "content")));
    if (cJSON_IsString(cJSON_GetObjectItem(b, "content"))) {
        const char *s = cJSON_GetObjectItem(b, "content")->valuestring;

        CHECK(strlen(s) <= 2000);
        CHECK_STR_CONTAINS("more (all in the status file)", s);
        CHECK_STR_CONTAINS("<!channel> & co", s);
    }
    CHECK_INT_EQ(0, cJSON_GetArraySize(cJSON_GetObjectItem(
        cJSON_GetObjectItem(b, "allowed_mentions"), "parse")));
    cJSON_Delete(b);
    free(body);

    CHECK(lh_notice_body("not json", LH_NOTICE_SLACK, err,
        sizeof(err)) == NULL);
    CHECK_STR_CONTAINS("not JSON", err);
    free(text);
    lh_notice_free(n);
    free(a.url);
}

/* A cycle with no transition but news of inconclusive checks. */
static void
inconclusive_text(void)
{
    struct lh_notice *n = lh_notice_new();
    struct lh_notice_cycle c = cycle_of(3);
    char *text, *body, err[256];

    c.inconclusive = "no DNS server answers";
    text = lh_notice_document(n, &c, 1796000060);
    body = lh_notice_body(text, LH_NOTICE_SLACK, err, sizeof(err));
    CHECK_STR_CONTAINS("Checks inconclusive, every link keeps its state: "
        "no DNS server answers.", body);
    CHECK(strstr(body, "changed state") == NULL);
    CHECK(strstr(body, "conclusive again") == NULL);
    free(body);
    free(text);
    c.inconclusive = NULL;
    c.conclusive_again = true;
    text = lh_notice_document(n, &c, 1796000060);
    body = lh_notice_body(text, LH_NOTICE_SLACK, err, sizeof(err));
    CHECK_STR_CONTAINS("Checks conclusive again.", body);
    free(body);
    free(text);
    lh_notice_free(n);
}

static const char *
env_get(char **env, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; env != NULL && env[i] != NULL; i++)
        if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
            return env[i] + len + 1;
    return NULL;
}

static void
environment(void)
{
    struct lh_notice *n = lh_notice_new();
    struct lh_link a = link_of("A", "https://a.test/", "HTTP 404",
        LH_STATE_STALE);
    struct lh_notice_cycle c = cycle_of(9);
    char *base[] = { "PATH=/usr/bin", "LINKHEALTHD_CYCLE=forged",
        "NOTIFY_SOCKET=/run/systemd/notify", NULL };
    char *text, **env;
    size_t n_cycle = 0;

    (void)lh_notice_add(n, &a, LH_STATE_OK, LH_STATE_STALE);
    text = lh_notice_document(n, &c, 1796000060);
    env = lh_notice_env(text, base, 2);
    CHECK(env != NULL);
    CHECK_STR_EQ("/usr/bin", env_get(env, "PATH"));
    CHECK(env_get(env, "NOTIFY_SOCKET") == NULL);
    CHECK_STR_EQ("9", env_get(env, "LINKHEALTHD_CYCLE"));
    for (size_t i = 0; env != NULL && env[i] != NULL; i++)
        n_cycle += strncmp(env[i], "LINKHEALTHD_CYCLE=", 18) == 0;
    CHECK_INT_EQ(1, n_cycle);
    CHECK_STR_EQ("1796000000-9", env_get(env, "LINKHEALTHD_ID"));
    CHECK_STR_EQ("1", env_get(env, "LINKHEALTHD_TRANSITIONS"));
    CHECK_STR_EQ("2", env_get(env, "LINKHEALTHD_STALE"));
    CHECK_STR_EQ("1", env_get(env, "LINKHEALTHD_OK"));
    CHECK_STR_EQ("0", env_get(env, "LINKHEALTHD_UNREACHABLE"));
    CHECK_STR_EQ("3", env_get(env, "LINKHEALTHD_LINKS"));
    CHECK_STR_EQ("", env_get(env, "LINKHEALTHD_INCONCLUSIVE"));
    CHECK_STR_EQ("0", env_get(env, "LINKHEALTHD_CONCLUSIVE_AGAIN"));
    CHECK_STR_EQ("2", env_get(env, "LINKHEALTHD_SKIPPED"));
    lh_notice_env_free(env);
    CHECK(lh_notice_env("[", NULL, 0) == NULL);
    free(text);
    lh_notice_free(n);
    free(a.url);
}

static void
queue(void)
{
    struct lh_notice_queue q, back;
    char *two[] = { "k1", "k2" }, *one[] = { "k2" };
    char doc[64], *buf = NULL, err[256];
    size_t len = 0, dropped = 9;
    FILE *f;

    lh_notice_queue_init(&q);
    for (int i = 0; i < 5; i++) {
        snprintf(doc, sizeof(doc), "{\"n\":%d}", i);
        CHECK_INT_EQ(0, lh_notice_queue_push(&q, doc, two, 2, 3, &dropped));
    }
    /* Bounded: the oldest two dropped, and counted. */
    CHECK_INT_EQ(3, q.n);
    CHECK_INT_EQ(2, q.dropped);
    CHECK_INT_EQ(1, dropped);
    CHECK_STR_EQ("{\"n\":2}", q.v[0].doc);
    CHECK_INT_EQ(0, lh_notice_queue_next(&q, "k1"));
    CHECK_INT_EQ(-1, lh_notice_queue_next(&q, "k3"));
    /* Delivered to k1: still owed to k2, so it stays. */
    lh_notice_queue_done(&q, 0, "k1");
    CHECK_INT_EQ(3, q.n);
    CHECK_INT_EQ(1, lh_notice_queue_next(&q, "k1"));
    CHECK_INT_EQ(0, lh_notice_queue_next(&q, "k2"));
    /* Twice is harmless (a duplicate answer). */
    lh_notice_queue_done(&q, 0, "k1");
    CHECK_INT_EQ(3, q.n);
    lh_notice_queue_done(&q, 0, "k2");
    CHECK_INT_EQ(2, q.n);
    CHECK_INT_EQ(-1, lh_notice_queue_find(&q, 3));
    CHECK_INT_EQ(0, lh_notice_queue_find(&q, 4));

    f = open_memstream(&buf, &len);
    CHECK_INT_EQ(0, lh_notice_queue_print(f, &q));
    fclose(f);
    CHECK_INT_EQ(0, lh_notice_queue_parse(&back, buf, len, "outbox", err,
        sizeof(err)));
    CHECK_INT_EQ(2, back.n);
    CHECK_INT_EQ(2, back.dropped);
    CHECK_STR_EQ("{\"n\":3}", back.v[0].doc);
    CHECK_INT_EQ(2, back.v[0].nowed);
    /* A webhook no longer configured is owed nothing. */
    CHECK_INT_EQ(0, lh_notice_queue_retain(&back, one, 1));
    CHECK_INT_EQ(1, back.v[0].nowed);
    CHECK_INT_EQ(2, lh_notice_queue_retain(&back, NULL, 0));
    CHECK_INT_EQ(0, back.n);
    lh_notice_queue_cleanup(&back);
    free(buf);

    CHECK_INT_EQ(-1, lh_notice_queue_parse(&back, "{\"version\":2,"
        "\"pending\":[]}", 26, "outbox", err, sizeof(err)));
    CHECK_STR_CONTAINS("outbox: not a linkhealthd notification queue", err);
    CHECK_INT_EQ(-1, lh_notice_queue_parse(&back, "{\"version\":1,"
        "\"pending\":[{\"owed\":\"k1\",\"notice\":{}}]}", 52, "outbox", err,
        sizeof(err)));
    CHECK_STR_CONTAINS("a pending notification", err);
    CHECK_INT_EQ(0, back.n);
    lh_notice_queue_cleanup(&q);
}

static void
formats(void)
{
    enum lh_notice_format f;

    CHECK_INT_EQ(0, lh_notice_format_parse("slack", &f));
    CHECK_INT_EQ(LH_NOTICE_SLACK, f);
    CHECK_INT_EQ(0, lh_notice_format_parse("discord", &f));
    CHECK_STR_EQ("discord", lh_notice_format_name(f));
    CHECK_INT_EQ(-1, lh_notice_format_parse("Slack", &f));
    CHECK_INT_EQ(-1, lh_notice_format_parse("teams", &f));
}

int
main(void)
{
    RUN_TEST(document_fields);
    RUN_TEST(caps);
    RUN_TEST(inconclusive_text);
    RUN_TEST(environment);
    RUN_TEST(queue);
    RUN_TEST(formats);
    TEST_EXIT();
}
