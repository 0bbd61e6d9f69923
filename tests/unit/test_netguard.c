/* Tests of netguard.c: which addresses the private-address guard refuses. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "netguard.h"
#include "test.h"

static int
forbids(const struct lh_netguard *g, const char *addr, char *why,
    size_t whylen)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, addr,
            &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ss.ss_family = AF_INET;
    } else if (inet_pton(AF_INET6, addr,
            &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        ss.ss_family = AF_INET6;
    } else {
        return -1;
    }
    return lh_netguard_forbids(g, (struct sockaddr *)&ss, why, whylen);
}

static void
test_default_guard(void)
{
    static const struct {
        const char *addr;
        int forbidden;
        const char *why;
    } rows[] = {
        { "127.0.0.1", 1, "127.0.0.1 (loopback)" },
        { "127.255.0.9", 1, "127.255.0.9 (loopback)" },
        { "10.0.0.7", 1, "10.0.0.7 (private)" },
        { "172.16.0.1", 1, "172.16.0.1 (private)" },
        { "172.31.255.255", 1, "172.31.255.255 (private)" },
        { "172.32.0.1", 0, NULL },
        { "192.168.1.1", 1, "192.168.1.1 (private)" },
        { "169.254.169.254", 1, "169.254.169.254 (link-local)" },
        { "100.64.0.1", 1, "100.64.0.1 (carrier-grade NAT)" },
        { "100.128.0.1", 0, NULL },
        { "0.0.0.0", 1, "0.0.0.0 (unspecified)" },
        { "224.0.0.1", 1, "224.0.0.1 (multicast)" },
        { "255.255.255.255", 1, "255.255.255.255 (reserved)" },
        { "93.184.216.34", 0, NULL },
        { "8.8.8.8", 0, NULL },
        { "::1", 1, "::1 (loopback)" },
        { "::", 1, ":: (unspecified)" },
        { "fe80::1", 1, "fe80::1 (link-local)" },
        { "fd12:3456::1", 1, "fd12:3456::1 (unique-local)" },
        { "fc00::1", 1, "fc00::1 (unique-local)" },
        { "ff02::1", 1, "ff02::1 (multicast)" },
        { "2606:2800:220:1::248", 0, NULL },
    };
    struct lh_netguard g;

    CHECK_INT_EQ(0, lh_netguard_init(&g, false, NULL, 0, NULL, 0));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char why[96] = "";
        TEST_ROW_BEGIN();

        CHECK_INT_EQ(rows[i].forbidden, forbids(&g, rows[i].addr, why,
            sizeof(why)));
        if (rows[i].why != NULL)
            CHECK_STR_EQ(rows[i].why, why);
        TEST_ROW_END(rows[i].addr);
    }
    lh_netguard_cleanup(&g);
}

/*
 * Every IPv6 spelling of an IPv4 address is judged by the address inside,
 * and the reason names both; the same spelling around a public address is
 * the control that must pass.
 */
static void
test_embedded_ipv4(void)
{
    static const struct {
        const char *addr;
        int forbidden;
        const char *why;
    } rows[] = {
        /* IPv4-mapped. */
        { "::ffff:127.0.0.1", 1,
            "::ffff:127.0.0.1 (IPv4-mapped loopback 127.0.0.1)" },
        { "::ffff:10.1.2.3", 1, "::ffff:10.1.2.3 (IPv4-mapped private "
            "10.1.2.3)" },
        { "::ffff:a9fe:a9fe", 1, "::ffff:169.254.169.254 (IPv4-mapped "
            "link-local 169.254.169.254)" },
        { "::ffff:93.184.216.34", 0, NULL },
        /* IPv4-translated (SIIT). */
        { "::ffff:0:7f00:1", 1,
            "::ffff:0:7f00:1 (IPv4-translated loopback 127.0.0.1)" },
        { "::ffff:0:5db8:d822", 0, NULL },
        /* IPv4-compatible; :: and ::1 stay IPv6's own. */
        { "::7f00:1", 1, "::127.0.0.1 (IPv4-compatible loopback "
            "127.0.0.1)" },
        { "::a9fe:a9fe", 1, "::169.254.169.254 (IPv4-compatible "
            "link-local 169.254.169.254)" },
        { "::c0a8:101", 1, "::192.168.1.1 (IPv4-compatible private "
            "192.168.1.1)" },
        { "::0.0.0.2", 1, "::2 (IPv4-compatible unspecified "
            "0.0.0.2)" },
        { "::5db8:d822", 0, NULL },
        { "::1", 1, "::1 (loopback)" },
        { "::", 1, ":: (unspecified)" },
        /* NAT64, well-known prefix. */
        { "64:ff9b::7f00:1", 1, "64:ff9b::7f00:1 (NAT64 loopback "
            "127.0.0.1)" },
        { "64:ff9b::a9fe:a9fe", 1, "64:ff9b::a9fe:a9fe (NAT64 link-local "
            "169.254.169.254)" },
        { "64:ff9b::10.0.0.1", 1, "64:ff9b::a00:1 (NAT64 private "
            "10.0.0.1)" },
        { "64:ff9b::5db8:d822", 0, NULL },
        { "64:ff9b::808:808", 0, NULL },
        /* Outside the /96: not NAT64, judged as IPv6 (public). */
        { "64:ff9b:0:1::7f00:1", 0, NULL },
        /* Local-use NAT64: never global, whatever it carries. */
        { "64:ff9b:1::7f00:1", 1, "64:ff9b:1::7f00:1 (local-use NAT64)" },
        { "64:ff9b:1:2::5db8:d822", 1,
            "64:ff9b:1:2::5db8:d822 (local-use NAT64)" },
        { "64:ff9b:2::5db8:d822", 0, NULL },
        /* 6to4. */
        { "2002:7f00:1::", 1, "2002:7f00:1:: (6to4 loopback 127.0.0.1)" },
        { "2002:a00:1::1", 1, "2002:a00:1::1 (6to4 private 10.0.0.1)" },
        { "2002:a9fe:a9fe:1::1", 1, "2002:a9fe:a9fe:1::1 (6to4 link-local "
            "169.254.169.254)" },
        { "2002:c0a8:101::", 1, "2002:c0a8:101:: (6to4 private "
            "192.168.1.1)" },
        { "2002:5db8:d822::1", 0, NULL },
        { "2003:7f00:1::", 0, NULL },
        /* Teredo: the client address is stored inverted. */
        { "2001:0:5db8:d822::80ff:fffe", 1, "2001:0:5db8:d822::80ff:fffe "
            "(Teredo loopback 127.0.0.1)" },
        { "2001:0:5db8:d822::a247:27dd", 0, NULL },
        { "2001:db8::7f00:1", 0, NULL },
    };
    struct lh_netguard g;

    CHECK_INT_EQ(0, lh_netguard_init(&g, false, NULL, 0, NULL, 0));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char why[128] = "";
        TEST_ROW_BEGIN();

        CHECK_INT_EQ(rows[i].forbidden, forbids(&g, rows[i].addr, why,
            sizeof(why)));
        if (rows[i].why != NULL)
            CHECK_STR_EQ(rows[i].why, why);
        TEST_ROW_END(rows[i].addr);
    }
    lh_netguard_cleanup(&g);
}

/* An allowed network covers an address in any of its spellings, and an
 * allowed IPv6 network covers its own addresses whatever they carry. */
static void
test_allow_embedded(void)
{
    char *nets[] = { (char *)"10.20.0.0/16", (char *)"64:ff9b:1::/48" };
    struct lh_netguard g;
    char why[128], err[128];

    CHECK_INT_EQ(0, lh_netguard_init(&g, false, nets, 2, err, sizeof(err)));
    CHECK_INT_EQ(0, forbids(&g, "::ffff:10.20.3.4", why, sizeof(why)));
    CHECK_INT_EQ(0, forbids(&g, "2002:a14:304::1", why, sizeof(why)));
    CHECK_INT_EQ(0, forbids(&g, "64:ff9b::a14:304", why, sizeof(why)));
    CHECK_INT_EQ(1, forbids(&g, "64:ff9b::a15:304", why, sizeof(why)));
    CHECK_STR_EQ("64:ff9b::a15:304 (NAT64 private 10.21.3.4)", why);
    CHECK_INT_EQ(0, forbids(&g, "64:ff9b:1::7f00:1", why, sizeof(why)));
    CHECK_INT_EQ(1, forbids(&g, "2002:7f00:1::", why, sizeof(why)));
    lh_netguard_cleanup(&g);
}

static void
test_allow(void)
{
    char *nets[] = { (char *)"10.20.0.0/16", (char *)"fd00::/8",
        (char *)"127.0.0.1" };
    struct lh_netguard g;
    char why[96], err[128];

    CHECK_INT_EQ(0, lh_netguard_init(&g, false, nets, 3, err, sizeof(err)));
    CHECK_INT_EQ(0, forbids(&g, "10.20.3.4", why, sizeof(why)));
    CHECK_INT_EQ(1, forbids(&g, "10.21.3.4", why, sizeof(why)));
    CHECK_INT_EQ(0, forbids(&g, "fd00::5", why, sizeof(why)));
    CHECK_INT_EQ(1, forbids(&g, "fc00::5", why, sizeof(why)));
    CHECK_INT_EQ(0, forbids(&g, "127.0.0.1", why, sizeof(why)));
    CHECK_INT_EQ(1, forbids(&g, "127.0.0.2", why, sizeof(why)));
    lh_netguard_cleanup(&g);

    /* allow_private turns the guard off. */
    CHECK_INT_EQ(0, lh_netguard_init(&g, true, NULL, 0, NULL, 0));
    CHECK_INT_EQ(0, forbids(&g, "169.254.169.254", why, sizeof(why)));
    lh_netguard_cleanup(&g);

    nets[0] = (char *)"10.0.0.0/33";
    CHECK_INT_EQ(-1, lh_netguard_init(&g, false, nets, 1, err,
        sizeof(err)));
    CHECK_STR_EQ("allow_networks: \"10.0.0.0/33\" is not a network", err);
}

/* An address as text (curl's primary IP): judged as the socket address
 * would be; what is not an address is told apart. */
static void
test_forbids_text(void)
{
    struct lh_netguard g;
    char why[128];

    CHECK_INT_EQ(0, lh_netguard_init(&g, false, NULL, 0, NULL, 0));
    CHECK_INT_EQ(1, lh_netguard_forbids_text(&g, "10.0.0.7", why,
        sizeof(why)));
    CHECK_STR_EQ("10.0.0.7 (private)", why);
    CHECK_INT_EQ(1, lh_netguard_forbids_text(&g, "::1", why, sizeof(why)));
    CHECK_INT_EQ(0, lh_netguard_forbids_text(&g, "93.184.216.34", why,
        sizeof(why)));
    CHECK_INT_EQ(0, lh_netguard_forbids_text(&g, "2606:4700::1", why,
        sizeof(why)));
    CHECK_INT_EQ(-1, lh_netguard_forbids_text(&g, "", why, sizeof(why)));
    CHECK_INT_EQ(-1, lh_netguard_forbids_text(&g, "[::1]", why,
        sizeof(why)));
    CHECK_INT_EQ(-1, lh_netguard_forbids_text(&g, "example.org", why,
        sizeof(why)));
    lh_netguard_cleanup(&g);
}

static void
test_cidr_parse(void)
{
    static const struct {
        const char *in;
        int ok;
        unsigned bits;
    } rows[] = {
        { "10.0.0.0/8", 1, 8 }, { "10.0.0.1", 1, 32 }, { "::/0", 1, 0 },
        { "fd00::/8", 1, 8 }, { "2001:db8::1", 1, 128 },
        { "10.0.0.0/", 0, 0 }, { "10.0.0.0/x", 0, 0 }, { "fd00::/129", 0, 0 },
        { "example.org", 0, 0 }, { "", 0, 0 }, { "10.0.0.0/-1", 0, 0 },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct lh_cidr c;
        TEST_ROW_BEGIN();

        CHECK_INT_EQ(rows[i].ok ? 0 : -1, lh_cidr_parse(rows[i].in, &c));
        if (rows[i].ok)
            CHECK_INT_EQ(rows[i].bits, c.bits);
        TEST_ROW_END(rows[i].in);
    }
}

int
main(void)
{
    RUN_TEST(test_default_guard);
    RUN_TEST(test_embedded_ipv4);
    RUN_TEST(test_allow);
    RUN_TEST(test_allow_embedded);
    RUN_TEST(test_forbids_text);
    RUN_TEST(test_cidr_parse);
    TEST_EXIT();
}
