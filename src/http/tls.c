/*
 * tls.c: the server's certificate. `gatehouse init` makes a self-signed one (ECDSA P-256,
 * SHA-256, valid ten years, for the host name, localhost, 127.0.0.1 and ::1) with GnuTLS;
 * the key file is written 0600 and never overwritten. An operator's own pair is checked at
 * start: both files must load and the certificate must be for that key.
 */
#include "http/http_int.h"

#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PEM_MAX (256u << 10)

int http_tls_read_pem(const char *path, char **out, size_t *len, struct gh_err *err)
{
    return gh_read_file(path, PEM_MAX, out, len, err);
}

static int write_new_file(const char *path, const void *data, size_t len, mode_t mode,
                          struct gh_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    const char *p = data;
    if (fd < 0)
        return gh_fail(err, -errno, "%s: %s", path, strerror(errno));
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            int e = errno;
            close(fd);
            unlink(path);
            return gh_fail(err, -e, "%s: %s", path, strerror(e));
        }
        p += n;
        len -= (size_t)n;
    }
    if (fsync(fd) < 0 || close(fd) < 0)
        return gh_fail(err, -EIO, "%s: %s", path, strerror(errno));
    return 0;
}

#define GT(call, what)                                                                             \
    do {                                                                                           \
        int gt_rc = (call);                                                                        \
        if (gt_rc < 0) {                                                                           \
            r = gh_fail(err, -EIO, "%s: %s", what, gnutls_strerror(gt_rc));                        \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

int http_tls_generate(const char *cert_path, const char *key_path, const char *hostname,
                      struct gh_err *err)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t cert_pem = {NULL, 0}, key_pem = {NULL, 0};
    uint8_t serial[16], keyid[64];
    size_t keyid_len = sizeof(keyid);
    static const uint8_t ip4[4] = {127, 0, 0, 1};
    static const uint8_t ip6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    time_t now = time(NULL);
    int r = 0;

    GT(gnutls_x509_privkey_init(&key), "key");
    GT(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
       "generating the key");
    GT(gnutls_x509_crt_init(&crt), "certificate");
    GT(gnutls_x509_crt_set_version(crt, 3), "version");
    randombytes_buf(serial, sizeof(serial));
    serial[0] &= 0x7f; /* a positive serial number */
    GT(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)), "serial");
    GT(gnutls_x509_crt_set_activation_time(crt, now - 3600), "activation time");
    GT(gnutls_x509_crt_set_expiration_time(crt, now + (time_t)3650 * 86400), "expiry");
    GT(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, hostname,
                                     (unsigned)strlen(hostname)),
       "common name");
    GT(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "gatehouse", 9),
       "organization");
    GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, hostname,
                                            (unsigned)strlen(hostname), GNUTLS_FSAN_APPEND),
       "subject alt name");
    if (strcmp(hostname, "localhost") != 0)
        GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                GNUTLS_FSAN_APPEND),
           "subject alt name");
    GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip4, sizeof(ip4),
                                            GNUTLS_FSAN_APPEND),
       "subject alt name");
    GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip6, sizeof(ip6),
                                            GNUTLS_FSAN_APPEND),
       "subject alt name");
    GT(gnutls_x509_crt_set_key(crt, key), "public key");
    GT(gnutls_x509_crt_get_key_id(crt, 0, keyid, &keyid_len), "key id");
    GT(gnutls_x509_crt_set_subject_key_id(crt, keyid, keyid_len), "subject key id");
    GT(gnutls_x509_crt_set_authority_key_id(crt, keyid, keyid_len), "authority key id");
    GT(gnutls_x509_crt_set_basic_constraints(crt, 0, -1), "basic constraints");
    GT(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE), "key usage");
    GT(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0), "key purpose");
    GT(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), "signing");
    GT(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cert_pem), "exporting");
    GT(gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
                                         &key_pem),
       "exporting the key");

    if ((r = write_new_file(key_path, key_pem.data, key_pem.size, 0600, err)) < 0)
        goto out;
    if ((r = write_new_file(cert_path, cert_pem.data, cert_pem.size, 0644, err)) < 0) {
        unlink(key_path);
        goto out;
    }
out:
    if (key_pem.data) {
        sodium_memzero(key_pem.data, key_pem.size);
        gnutls_free(key_pem.data);
    }
    gnutls_free(cert_pem.data);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (key)
        gnutls_x509_privkey_deinit(key);
    return r;
}

int http_tls_check_pair(const char *cert_path, const char *key_path, struct gh_err *err)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    char *cert_text = NULL, *key_text = NULL;
    size_t cert_len = 0, key_len = 0;
    uint8_t id1[64], id2[64];
    size_t n1 = sizeof(id1), n2 = sizeof(id2);
    gnutls_datum_t d;
    int r = 0;

    if ((r = http_tls_read_pem(cert_path, &cert_text, &cert_len, err)) < 0)
        goto out;
    if ((r = http_tls_read_pem(key_path, &key_text, &key_len, err)) < 0)
        goto out;
    GT(gnutls_x509_crt_init(&crt), "certificate");
    d.data = (unsigned char *)cert_text;
    d.size = (unsigned)cert_len;
    if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0) {
        r = gh_fail(err, -EINVAL, "%s is not a PEM certificate", cert_path);
        goto out;
    }
    GT(gnutls_x509_privkey_init(&key), "key");
    d.data = (unsigned char *)key_text;
    d.size = (unsigned)key_len;
    if (gnutls_x509_privkey_import2(key, &d, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
        r = gh_fail(err, -EINVAL, "%s is not an unencrypted PEM private key", key_path);
        goto out;
    }
    if (gnutls_x509_crt_get_key_id(crt, 0, id1, &n1) < 0 ||
        gnutls_x509_privkey_get_key_id(key, 0, id2, &n2) < 0 || n1 != n2 ||
        memcmp(id1, id2, n1) != 0) {
        r = gh_fail(err, -EINVAL, "the certificate %s is not for the key %s", cert_path, key_path);
        goto out;
    }
    if (gnutls_x509_crt_get_expiration_time(crt) < time(NULL))
        log_warn("the TLS certificate %s has expired", cert_path);
out:
    if (key_text) {
        sodium_memzero(key_text, key_len);
        free(key_text);
    }
    free(cert_text);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (key)
        gnutls_x509_privkey_deinit(key);
    return r;
}
