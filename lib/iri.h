/*
 * iri: addresses as people write them (RFC 3987 IRIs: Unicode host names,
 * paths in any script, spaces) and as they are requested (RFC 3986 URIs:
 * host names in A-labels, everything else percent-encoded UTF-8).  Every
 * module that requests, schedules, shards or compares a link uses the
 * request form; what people read is the form they wrote, or for an
 * address a server gave us, lh_iri_display's.
 */
#ifndef LH_IRI_H
#define LH_IRI_H

#include <stdbool.h>
#include <stddef.h>

/* The reason given when a host name does not convert. */
#define LH_IRI_BAD_IDN \
    "host name is not a valid internationalized domain name"

/* Whether the n bytes at s hold a byte outside ASCII. */
bool lh_iri_has_nonascii(const char *s, size_t n);

/*
 * The request form of iri, an absolute http or https address, into *out
 * (malloc'd): a host with non-ASCII letters converted to A-labels (IDNA
 * 2008 with UTS #46 mapping, libidn2; transitional processing when the
 * nontransitional one refuses, as curl does); in the userinfo, path and
 * query, spaces, non-ASCII bytes, the characters a browser
 * encodes and a '%' that does not start an escape become "%XX" (upper-case
 * hex), while an escape already there stays as it is: encoding happens
 * exactly once (controls stay, for the URL checks to refuse).  The
 * fragment is dropped (it is never sent).  Anything
 * that is not an http(s) address is copied unchanged: the check says why
 * it is not one.
 * 0; -1 and *why (LH_IRI_BAD_IDN) when the host does not convert; -2
 * when out of memory.
 */
int lh_iri_to_uri(const char *iri, char **out, const char **why);

/*
 * A host name (n bytes; not NUL-terminated) in A-label form, lower case,
 * into buf: what lh_iri_to_uri does to the host of a URL, for the names
 * of the configuration's resolve and connect_to.  0; -1 when it is not a
 * valid name or does not fit.
 */
int lh_iri_host_ascii(const char *host, size_t n, char *buf, size_t len);

/*
 * The form of uri a person would read and paste: A-labels shown as
 * U-labels (when they convert back to the same A-labels), and in the
 * path and query the escapes of UTF-8 letters, marks, digits and symbols
 * decoded; escapes of ASCII, of spaces, controls, invisible and
 * bidirectional formatting characters and of bytes that are not UTF-8
 * stay.  Malloc'd; NULL when out of memory.
 */
char *lh_iri_display(const char *uri);

/*
 * UTS #39 for the host of url (either form): a label that mixes scripts
 * beyond the "highly restrictive" level (a Cyrillic "а" in a Latin name;
 * Japanese Han with kana is one script), or that mixes digits of several
 * systems, may imitate another name.  1 and a sentence in note naming
 * the host and its scripts; 0 when not; -1 when the check could not run
 * (ICU failed).
 */
int lh_iri_mixed_scripts(const char *url, char *note, size_t len);

#endif
