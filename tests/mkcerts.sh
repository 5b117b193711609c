#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/mkcerts.sh DIR - generate a test PKI with openssl into DIR (created if missing).
# Used by tests/test_tls.c, `make demo` and the benchmarks. Nothing here is secret.
#
# Trust material
#   ca.pem ca.key          "cdrest test CA" (RSA-2048): the anchor the good certificates chain to
#   ca.der                 the same certificate in DER
#   ca-crlf.pem            ca.pem with CRLF line ends
#   ca-nonl.pem            other-ca.pem + ca.pem, no newline at the very end
#   ca-bundle.pem          other-ca.pem + ca.pem (two anchors, LF)
#   cadir/ca.pem           a directory holding ca.pem (plain names)
#   hashdir/HASH.0         a directory in OpenSSL's c_rehash layout (ca.pem under its hash name)
#   other-ca.pem .key      "cdrest other CA": a CA the client does not trust by default
#   inter.pem .key         "cdrest test intermediate" (ECDSA P-256), signed by the test CA
# Server certificates (all for DNS:localhost, IP:127.0.0.1, IP:::1 unless said otherwise)
#   rsa.pem rsa.key        RSA-2048 leaf signed by the test CA          (good)
#   ecdsa.pem ecdsa.key    ECDSA P-256 leaf signed by the test CA      (good)
#   chain.pem chain.key    ECDSA leaf signed by inter, file = leaf + intermediate (good)
#   expired.pem            valid 2020-01-01 .. 2020-01-02              (key: rsa.key)
#   notyet.pem             valid 2090-01-01 .. 2091-01-01              (key: rsa.key)
#   wrongname.pem          DNS:wrong.example.com only                  (key: rsa.key)
#   dnsonly.pem            DNS:localhost only, no IP addresses        (key: rsa.key)
#   selfsigned.pem         self-signed                                 (key: rsa.key)
#   unknownca.pem          signed by other CA                          (key: rsa.key)
#   big.pem                ~9 KB: 300 DNS names before DNS:localhost, IP:127.0.0.1 (key: rsa.key)
#   badsig.pem             rsa.pem with its signature's last byte flipped (key: rsa.key)
#   badsigi-chain.pem      chain.pem's leaf + the intermediate with its signature corrupted (key: chain.key)
# The policy matrix (issue 18 and the host-name rules; key rsa.key unless said otherwise;
# a file named *-chain.pem holds the leaf and then its intermediates, *-anchor.pem holds ca.pem
# and the intermediate: the "CA + chain" file, where the intermediate is a trust anchor)
#   eku-client.pem         extendedKeyUsage clientAuth only               (refused)
#   eku-code.pem           extendedKeyUsage codeSigning only              (refused)
#   eku-any.pem            extendedKeyUsage anyExtendedKeyUsage           (accepted)
#   eku-none.pem           no extendedKeyUsage at all                     (accepted)
#   ekuca-chain.pem        leaf (serverAuth) under an intermediate restricted to clientAuth (refused)
#   ncperm-chain.pem       under an intermediate permitting only allowed.example (refused)
#   ncexcl-chain.pem       under one excluding localhost and 127.0.0.0/8  (refused)
#   ncok-chain.pem         under one permitting localhost, 127.0.0.0/8, ::1 (accepted)
#   sha1.pem               leaf signed with SHA-1                         (refused)
#   sha1i-chain.pem        intermediate signed with SHA-1 by the CA       (refused)
#   sha1ca-leaf.pem        SHA-256 leaf under sha1-ca.pem, a SHA-1 self-signed anchor (accepted)
#   rsa1024.pem .key       RSA-1024 leaf key                              (refused)
#   weaki-chain.pem        under an RSA-1024 intermediate                 (refused)
#   rsa2047.pem .key       RSA-2047 leaf key (256 bytes, one bit short)   (refused)
#   weak2047-chain.pem     under an RSA-2047 intermediate                 (refused)
#   pathlen-chain.pem      CA -> inter (pathlen:0) -> inter -> leaf        (refused, path length)
#   cnonly.pem             CN=localhost, no subjectAltName                (refused unless allowed)
#   nccn-chain.pem         a CN-only leaf under the localhost-excluding intermediate (refused even when
#                          CN-only certificates are allowed: the host is held to the constraints)
#   wild.pem               DNS:*.example.test, DNS:*.test, DNS:x*.other.test (only a.example.test)
#   ncbadip-chain.pem      under an intermediate excluding a 4-byte IP range without mask (malformed)
#   md5i-chain.pem         intermediate signed with MD5 by the CA         (refused, weak signature)
#   kui-chain.pem          intermediate whose keyUsage lacks keyCertSign  (refused, names the CA)
#   dupeku.pem             two extendedKeyUsage extensions (serverAuth, clientAuth) (refused)
#   dupsan.pem             two subjectAltName extensions, both naming localhost (refused)
#   dupnc-chain.pem        intermediate with two nameConstraints (localhost, .example.com) (refused)
# Restricted trust anchors (issue 18 red team: an anchor keeps its certificate's rules)
#   NAME-anchor.pem        ca.pem + the intermediate of NAME-chain.pem (inter-anchor.pem: of chain.pem)
#   ekuroot.pem -leaf.pem  self-signed root with extendedKeyUsage clientAuth, localhost leaf under it
#   ncroot.pem -leaf.pem   root permitting only .example.com, localhost leaf
#   path0root.pem -chain.pem  root with pathlen:0 -> intermediate -> leaf
#   exproot.pem -leaf.pem  root valid 2020-01-01 .. 2020-02-01, leaf valid now
#   weakroot.pem -leaf.pem RSA-1024 root, RSA-2048 leaf
#   v1root.pem v1-chain.pem   X.509 v1 self-signed root (no extensions) -> intermediate -> leaf (good)
#   ca-trusted.pem         ca.pem as TRUSTED CERTIFICATE, trusted for serverAuth (good)
#   ca-reject.pem          ... rejected for serverAuth; ca-client.pem  ... trusted for clientAuth only
# Pins (curl's format, sha256 of the SubjectPublicKeyInfo)
#   rsa.pin ecdsa.pin      "sha256//BASE64" for rsa.key / ecdsa.key (chain.pin for chain.key)
set -eu
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"
command -v openssl >/dev/null || { echo "mkcerts.sh: openssl is not installed" >&2; exit 1; }

# A minimal `openssl ca` setup so that any validity window can be chosen.
rm -rf db && mkdir db
: > db/index.txt
echo 1000 > db/serial
cat > ca.cnf <<'EOF'
[ ca ]
default_ca = testca
[ testca ]
database = db/index.txt
new_certs_dir = db
serial = db/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
EOF

# section NAME BASIC KEY-USAGE EXT-KEY-USAGE SAN [LINE...]: an extensions section ("-" leaves
# that extension out; each LINE is written as it is); leaf and ca: the usual ones.
section() {
  echo "[ $1 ]"
  echo "basicConstraints = critical, $2"
  [ "$3" = - ] || echo "keyUsage = critical, $3"
  [ "$4" = - ] || echo "extendedKeyUsage = $4"
  [ "$5" = - ] || echo "subjectAltName = $5"
  shift 5
  for line in "$@"; do echo "$line"; done
}
LEAF_KU="digitalSignature, keyEncipherment"
CA_KU="keyCertSign, cRLSign"
ALL="DNS:localhost, IP:127.0.0.1, IP:::1"
V4="DNS:localhost, IP:127.0.0.1"
leaf() { n=$1 eku=$2 san=$3; shift 3; section "$n" CA:false "$LEAF_KU" "$eku" "$san" "$@"; }
ca() { n=$1; shift; section "$n" CA:true "$CA_KU" - - "$@"; }
# big: more SANs than CDREST_TLS_LEAF_MAX keeps, the IP address last
big_san() {
  i=0
  while [ $i -lt 300 ]; do printf 'DNS:host-%03d.cdrest.example, ' $i; i=$((i + 1)); done
  echo "DNS:localhost, IP:127.0.0.1"
}
{
  ca v3_ca "subjectKeyIdentifier = hash"
  leaf v3_leaf serverAuth "$ALL"
  leaf v3_wrongname serverAuth DNS:wrong.example.com
  leaf v3_dnsonly serverAuth DNS:localhost
  leaf v3_ekuclient clientAuth "$V4"
  leaf v3_ekucode codeSigning "$V4"
  leaf v3_ekuany anyExtendedKeyUsage "$V4"
  leaf v3_ekunone - "$V4"
  ca v3_ca_ekuclient "extendedKeyUsage = clientAuth"
  ca v3_ca_ncperm "nameConstraints = permitted;DNS:allowed.example"
  ca v3_ca_ncexcl "nameConstraints = excluded;DNS:localhost, excluded;IP:127.0.0.0/255.0.0.0"
  ca v3_ca_ncok "nameConstraints = permitted;DNS:localhost, permitted;IP:127.0.0.0/255.0.0.0, permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
  section v3_ca_path0 "CA:true, pathlen:0" "$CA_KU" - -
  leaf v3_cnonly serverAuth -
  ca v3_ca_ekuclient_root "extendedKeyUsage = clientAuth"
  ca v3_ca_ncroot "nameConstraints = permitted;DNS:.example.com"
  ca v3_ca_ncbadip "2.5.29.30 = DER:300aa108300687047f000001"
  section v3_ca_ku CA:true digitalSignature - -
  section v3_leaf_noku CA:false - serverAuth "$ALL"
  leaf v3_dupeku serverAuth "$ALL" "1.2.3.4 = DER:300a06082b06010505070302"
  leaf v3_dupsan serverAuth "$ALL" "1.2.3.4 = DER:300b82096c6f63616c686f7374"
  ca v3_ca_dupnc "nameConstraints = permitted;DNS:localhost" "1.2.3.4 = DER:3010a00e300c820a2e6578616d706c652e636f6d"
  leaf v3_wild serverAuth "DNS:*.example.test, DNS:*.test, DNS:x*.other.test"
  leaf v3_big serverAuth "$(big_san)"
} >> ca.cnf

q() { "$@" >/dev/null 2>&1 || { echo "mkcerts.sh: failed: $*" >&2; "$@"; exit 1; }; }

md=sha256 # the signature digest of sign(); sha1 for the weak-signature cases
rsakey() { q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }
eckey() { q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# selfsign NAME CN EXTENSIONS VALIDITY...: NAME.pem, self-signed with NAME.key
selfsign() {
  n=$1 cn=$2 ext=$3
  shift 3
  q openssl req -config ca.cnf -new -key "$n.key" -subj "/CN=$cn" -out "$n.csr"
  q openssl ca -config ca.cnf -batch -notext -selfsign -keyfile "$n.key" -md sha256 -extfile ca.cnf \
    -extensions "$ext" "$@" -in "$n.csr" -out "$n.pem"
  rm -f "$n.csr"
}
# selfca NAME CN: a self-signed CA certificate, valid from 2019 (the tests' clocks go back
# to 2020, and a trust anchor's own dates are checked)
selfca() { selfsign "$1" "$2" v3_ca -startdate 20190101000000Z -enddate 20391231000000Z; }
# sign OUT KEY CN ISSUER EXTENSIONS [START END]: a certificate for KEY signed by ISSUER(.pem/.key)
sign() {
  out=$1 key=$2 cn=$3 issuer=$4 ext=$5
  if [ -n "${6:-}" ]; then set -- -startdate "$6" -enddate "$7"; else set -- -days 825; fi
  q openssl req -config ca.cnf -new -key "$key" -subj "/CN=$cn" -out "$out.csr"
  q openssl ca -config ca.cnf -batch -notext -cert "$issuer.pem" -keyfile "$issuer.key" -md "$md" \
    -extfile ca.cnf -extensions "$ext" "$@" -in "$out.csr" -out "$out.pem"
  rm -f "$out.csr"
}
pin() {
  printf 'sha256//%s\n' "$(openssl pkey -in "$1" -pubout -outform der | openssl dgst -sha256 -binary | openssl base64 -A)"
}

rsakey ca.key;       selfca ca "cdrest test CA"
rsakey other-ca.key; selfca other-ca "cdrest other CA"
eckey inter.key
sign inter inter.key "cdrest test intermediate" ca v3_ca

rsakey rsa.key
eckey ecdsa.key
eckey chain.key
sign rsa rsa.key localhost ca v3_leaf
sign ecdsa ecdsa.key localhost ca v3_leaf
sign chain-leaf chain.key localhost inter v3_leaf
cat chain-leaf.pem inter.pem > chain.pem
rm -f chain-leaf.pem

sign expired rsa.key localhost ca v3_leaf 20200101000000Z 20200102000000Z
sign notyet rsa.key localhost ca v3_leaf 20900101000000Z 20910101000000Z
sign wrongname rsa.key wrong.example.com ca v3_wrongname
sign dnsonly rsa.key localhost ca v3_dnsonly
sign unknownca rsa.key localhost other-ca v3_leaf
sign big rsa.key localhost ca v3_big
q openssl req -config ca.cnf -new -x509 -key rsa.key -subj "/CN=localhost" -days 825 \
  -extensions v3_leaf -sha256 -out selfsigned.pem
# badsig IN OUT: the certificate with the last byte of its signature flipped (servers load it
# unchecked; a client must refuse it)
badsig() {
  q openssl x509 -in "$1" -outform der -out "$2.der"
  n=$(wc -c < "$2.der")
  last=$(tail -c 1 "$2.der" | od -An -tu1 | tr -d ' ')
  { head -c $((n - 1)) "$2.der"; printf "\\$(printf '%03o' $((last ^ 1)))"; } > "$2.bad"
  q openssl x509 -inform der -in "$2.bad" -out "$2"
  rm -f "$2.der" "$2.bad"
}
badsig rsa.pem badsig.pem
badsig inter.pem badsig-inter.pem
q openssl x509 -in chain.pem -out badsigi-leaf.pem
cat badsigi-leaf.pem badsig-inter.pem > badsigi-chain.pem
rm -f badsigi-leaf.pem badsig-inter.pem

# the policy matrix
sign eku-client rsa.key localhost ca v3_ekuclient
sign eku-code rsa.key localhost ca v3_ekucode
sign eku-any rsa.key localhost ca v3_ekuany
sign eku-none rsa.key localhost ca v3_ekunone
sign cnonly rsa.key localhost ca v3_cnonly
sign wild rsa.key wild ca v3_wild
# chain NAME INTER-EXTENSIONS [INTER-KEY [LEAF-EXTENSIONS [INTER-DIGEST]]]: an intermediate
# with these extensions under the test CA (signed with INTER-DIGEST, sha256 by default), a
# localhost leaf (rsa.key) under it, NAME-chain.pem = leaf + intermediate, NAME-anchor.pem =
# ca.pem + intermediate
chain() {
  if [ -n "${3:-}" ]; then cp "$3" "$1-inter.key"; else eckey "$1-inter.key"; fi
  md=${5:-sha256}
  sign "$1-inter" "$1-inter.key" "cdrest $1 intermediate" ca "$2"
  md=sha256
  sign "$1-leaf" rsa.key localhost "$1-inter" "${4:-v3_leaf}"
  cat "$1-leaf.pem" "$1-inter.pem" > "$1-chain.pem"
  cat ca.pem "$1-inter.pem" > "$1-anchor.pem"
  rm -f "$1-leaf.pem"
}
chain ekuca v3_ca_ekuclient
chain ncperm v3_ca_ncperm
chain ncexcl v3_ca_ncexcl
chain ncok v3_ca_ncok
chain nccn v3_ca_ncexcl "" v3_cnonly
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key
sign rsa1024 rsa1024.key localhost ca v3_leaf
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2047 -out rsa2047.key
sign rsa2047 rsa2047.key localhost ca v3_leaf
chain weak2047 v3_ca rsa2047.key
chain weaki v3_ca rsa1024.key
md=sha1
sign sha1 rsa.key localhost ca v3_leaf
md=sha256
chain sha1i v3_ca "" v3_leaf sha1
# a SHA-1 self-signed anchor: its own signature is never checked, so a leaf under it is fine
rsakey sha1-ca.key
q openssl req -config ca.cnf -new -x509 -key sha1-ca.key -subj "/CN=cdrest SHA-1 CA" -days 3650 \
  -extensions v3_ca -sha1 -out sha1-ca.pem
sign sha1ca-leaf rsa.key localhost sha1-ca v3_leaf
# CA -> path0 (pathlen:0) -> pathsub -> leaf: one CA too many under path0
eckey path0.key
sign path0 path0.key "cdrest pathlen-0 intermediate" ca v3_ca_path0
eckey pathsub.key
sign pathsub pathsub.key "cdrest sub intermediate" path0 v3_ca
sign pathlen-leaf rsa.key localhost pathsub v3_leaf
cat pathlen-leaf.pem pathsub.pem path0.pem > pathlen-chain.pem
rm -f pathlen-leaf.pem

chain ncbadip v3_ca_ncbadip
chain md5i v3_ca "" v3_leaf md5
chain kui v3_ca_ku "" v3_leaf_noku

# dup: the extension 1.2.3.4 (06 03 2a 03 04) renamed to 2.5.29.N (06 03 55 1d N) and the
# certificate signed again by ISSUER: two extensions of one kind, which openssl will not write
dup() {
  python3 - "$1.pem" "$2.key" "$3" <<'PY'
import base64, subprocess, sys
pem, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
der = base64.b64decode(''.join(l for l in open(pem).read().split('\n') if l and not l.startswith('-----')))
def tlv(b, i):  # (start of contents, end) of the element at i
    l = b[i + 1]
    if l < 0x80: return i + 2, i + 2 + l
    k = l & 0x7f
    return i + 2 + k, i + 2 + k + int.from_bytes(b[i + 2:i + 2 + k], 'big')
def hdr(tag, n):
    return bytes([tag]) + (bytes([n]) if n < 0x80 else bytes([0x82]) + n.to_bytes(2, 'big'))
c0, _ = tlv(der, 0)
t0, t1 = tlv(der, c0)
tbs = der[c0:t1].replace(bytes([6, 3, 0x2a, 3, 4]), bytes([6, 3, 0x55, 0x1d, n]))
a0, a1 = tlv(der, t1)
sig = subprocess.run(['openssl', 'dgst', '-sha256', '-sign', key], input=tbs, capture_output=True, check=True).stdout
body = tbs + der[t1:a1] + hdr(3, len(sig) + 1) + b'\0' + sig
out = hdr(0x30, len(body)) + body
b64 = base64.b64encode(out).decode()
open(pem, 'w').write('-----BEGIN CERTIFICATE-----\n' + '\n'.join(b64[i:i + 64] for i in range(0, len(b64), 64)) + '\n-----END CERTIFICATE-----\n')
PY
}
sign dupeku rsa.key localhost ca v3_dupeku
dup dupeku ca 37
sign dupsan rsa.key localhost ca v3_dupsan
dup dupsan ca 17
eckey dupnc-inter.key
sign dupnc-inter dupnc-inter.key "cdrest dupnc intermediate" ca v3_ca_dupnc
dup dupnc-inter ca 30
sign dupnc-leaf rsa.key localhost dupnc-inter v3_leaf
cat dupnc-leaf.pem dupnc-inter.pem > dupnc-chain.pem
cat ca.pem dupnc-inter.pem > dupnc-anchor.pem
rm -f dupnc-leaf.pem

# restricted trust anchors
cat ca.pem inter.pem > inter-anchor.pem
cat ca.pem path0.pem > pathlen-anchor.pem
# root NAME CN EXTENSIONS [KEY-BITS [START END]]: a self-signed root, NAME-leaf.pem a localhost leaf under it
root() {
  q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"${4:-2048}" -out "$1.key"
  if [ -n "${5:-}" ]; then selfsign "$1" "$2" "$3" -startdate "$5" -enddate "$6"
  else selfsign "$1" "$2" "$3" -days 3650; fi
  sign "$1-leaf" rsa.key localhost "$1" v3_leaf
}
root ekuroot "cdrest ekuroot" v3_ca_ekuclient_root
root ncroot "cdrest ncroot" v3_ca_ncroot
root path0root "cdrest path0root" v3_ca_path0
eckey path0root-inter.key
sign path0root-inter path0root-inter.key "cdrest path0root intermediate" path0root v3_ca
sign path0root-chain rsa.key localhost path0root-inter v3_leaf
cat path0root-inter.pem >> path0root-chain.pem
root exproot "cdrest exproot" v3_ca 2048 20200101000000Z 20200201000000Z
root weakroot "cdrest weakroot" v3_ca 1024
# X.509 v1: `openssl x509 -req` without extensions writes version 1
rsakey v1root.key
q openssl req -config ca.cnf -new -key v1root.key -subj "/CN=cdrest v1 root" -out v1root.csr
q openssl x509 -req -in v1root.csr -signkey v1root.key -days 3650 -sha256 -out v1root.pem
rm -f v1root.csr
eckey v1-inter.key
sign v1-inter v1-inter.key "cdrest v1 intermediate" v1root v3_ca
sign v1-chain rsa.key localhost v1-inter v3_leaf
cat v1-inter.pem >> v1-chain.pem
q openssl x509 -in ca.pem -addtrust serverAuth -trustout -out ca-trusted.pem
q openssl x509 -in ca.pem -addtrust serverAuth -addreject serverAuth -trustout -out ca-reject.pem
q openssl x509 -in ca.pem -addtrust clientAuth -trustout -out ca-client.pem

q openssl x509 -in ca.pem -outform der -out ca.der
sed 's/$/\r/' ca.pem > ca-crlf.pem
cat other-ca.pem ca.pem > ca-bundle.pem
cat other-ca.pem ca.pem | awk 'NR > 1 { print prev } { prev = $0 } END { printf "%s", prev }' > ca-nonl.pem
rm -rf cadir hashdir && mkdir cadir hashdir
cp ca.pem cadir/ca.pem
cp ca.pem "hashdir/$(openssl x509 -in ca.pem -noout -hash).0"

pin rsa.key > rsa.pin
pin ecdsa.key > ecdsa.pin
pin chain.key > chain.pin
rm -rf db ca.cnf
exit 0
