#!/bin/sh
# mkcerts.sh DIR: test certificates for linkhealthd's TLS tests (OpenSSL 3.0).
#
#   ca.pem ca.key               the test CA (trust it with curl --cacert / ca_file)
#   server.pem server.key       valid, signed by the CA, for localhost,
#                               127.0.0.1, *.test and *.lh.test
#   expired.pem expired.key     same names and CA, validity over in 2020
#   unknown.pem unknown.key     same names, signed by another CA (unknown-ca.pem)
#   wrongname.pem wrongname.key signed by the CA, only for other.example
#   soon.pem soon.key           as server.pem, but expires in 5 days
#   future.pem future.key       same names and CA, not valid before 2040
#
# Why *.lh.test too: curl (and so libcurl in the daemon) refuses a wildcard
# directly under a top-level label, so "*.test" never matches "a.test";
# use names like "a.lh.test" when a test needs many host names on one cert.
#
# EC P-256 keys, so it runs in well under a second.  Idempotent: when every
# file is already there it does nothing; otherwise the whole set is built
# in a scratch folder and moved into DIR, so a half-made set never shows.
set -eu

dir=${1:?usage: mkcerts.sh DIR}
files="ca.pem ca.key server.pem server.key expired.pem expired.key
unknown.pem unknown.key unknown-ca.pem wrongname.pem wrongname.key
soon.pem soon.key future.pem future.key"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)         # absolute: we cd into a scratch folder below
complete=1
for f in $files; do [ -s "$dir/$f" ] || complete=0; done
[ "$complete" -eq 1 ] && exit 0

work=$(mktemp -d "$dir/.mkcerts.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

SAN_GOOD="DNS:localhost,DNS:*.test,DNS:*.lh.test,IP:127.0.0.1"

# Our own minimal config, so the system openssl.cnf adds nothing unexpected.
cat > openssl.cnf <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = ${ENV::SAN}
authorityKeyIdentifier = keyid
# "openssl ca" is only used for the expired and future certificates: it
# is the one OpenSSL 3.0 command that takes explicit -startdate / -enddate.
[ ca ]
default_ca = expired_ca
[ expired_ca ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[ any ]
commonName = supplied
EOF
export OPENSSL_CONF="$work/openssl.cnf"
SAN=$SAN_GOOD; export SAN

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
serial() { printf '0x%s' "$(openssl rand -hex 8)"; }

# ca NAME CN: a self-signed CA
ca() {
    key "$1.key"
    openssl req -new -x509 -config openssl.cnf -key "$1.key" -subj "/CN=$2" \
        -days 3650 -extensions v3_ca -set_serial "$(serial)" -out "$1.pem"
}

# leaf NAME CA CN SAN [DAYS]: a server certificate signed by CA
leaf() {
    key "$1.key"
    openssl req -new -config openssl.cnf -key "$1.key" -subj "/CN=$3" -out "$1.csr"
    SAN=$4 openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
        -set_serial "$(serial)" -days "${5:-825}" -extfile openssl.cnf \
        -extensions leaf -out "$1.pem" 2>/dev/null
}

ca ca "linkhealthd test CA"
ca unknown-ca "linkhealthd unknown CA"
leaf server ca localhost "$SAN_GOOD"
leaf unknown unknown-ca localhost "$SAN_GOOD"
leaf wrongname ca other.example "DNS:other.example"
leaf soon ca localhost "$SAN_GOOD" 5

# Expired: valid January 2020 only, signed by the real test CA.
key expired.key
openssl req -new -config openssl.cnf -key expired.key -subj "/CN=localhost" \
    -out expired.csr
: > index.txt
openssl rand -hex 8 > serial
openssl ca -batch -config openssl.cnf -notext -cert ca.pem -keyfile ca.key \
    -startdate 20200101000000Z -enddate 20200201000000Z \
    -extfile openssl.cnf -extensions leaf \
    -in expired.csr -out expired.pem 2>/dev/null

# Not valid yet: from 2040 on, signed by the real test CA.
key future.key
openssl req -new -config openssl.cnf -key future.key -subj "/CN=localhost" \
    -out future.csr
openssl ca -batch -config openssl.cnf -notext -cert ca.pem -keyfile ca.key \
    -startdate 20400101000000Z -enddate 20410101000000Z \
    -extfile openssl.cnf -extensions leaf \
    -in future.csr -out future.pem 2>/dev/null

chmod 600 ./*.key
for f in $files; do mv -f "$f" "$dir/$f"; done
