/*
 * Server-side Cyrus SASL for Debian's Qpid Proton, as a SASL plugin.
 *
 * Debian builds Proton 0.37 without Cyrus SASL (python3 -c 'import proton;
 * print(proton.SASL.extended())' prints False), so its servers offer only
 * ANONYMOUS, EXTERNAL and PLAIN without a user database: no SCRAM. Proton has
 * a public plugin interface for SASL implementations (proton/sasl_plugin.h);
 * this file implements its server half on Cyrus SASL, the library a
 * Cyrus-enabled Proton uses, so that a Proton server authenticates SCRAM-SHA-*
 * against a sasldb. Proton's SASL framing and state machine stay Proton's;
 * every mechanism is Cyrus's.
 *
 * Loaded into proton_secure_broker.py with ctypes, which calls
 * rx_cyrus_sasl_install() before any transport exists. Configuration as
 * Proton's: the directory in PN_SASL_CONFIG_PATH holds proton-server.conf
 * (mech_list, sasldb_path...). RX_SASL_REALM, when set, is the user realm
 * (the -u of saslpasswd2); else Cyrus uses the host name. RX_SASL_FQDN, when
 * set, is the server's host name (GSSAPI's service principal is
 * amqp/RX_SASL_FQDN); else Cyrus uses gethostname().
 *
 * Built by test/support/peers/proton-secure.ts:
 *   gcc -shared -fPIC -o libproton-cyrus-sasl.so proton_cyrus_sasl.c -l:libqpid-proton-core.so.10 -lsasl2
 */
#include <proton/error.h>
#include <proton/sasl_plugin.h>
#include <proton/transport.h>
#include <sasl/sasl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int server_init_result = SASL_NOTINIT;

/* Reports a Cyrus failure as a Proton transport error; true when `rc` is SASL_OK. */
static bool ok(pn_transport_t *transport, sasl_conn_t *conn, int rc) {
  if (rc == SASL_OK) return true;
  pnx_sasl_error(transport, conn != NULL ? sasl_errdetail(conn) : sasl_errstring(rc, NULL, NULL), "amqp:unauthorized-access");
  return false;
}

static sasl_conn_t *conn_of(pn_transport_t *transport) {
  return (sasl_conn_t *)pnx_sasl_get_context(transport);
}

static void plugin_free(pn_transport_t *transport) {
  sasl_conn_t *conn = conn_of(transport);
  if (conn != NULL) sasl_dispose(&conn);
  pnx_sasl_set_context(transport, NULL);
}

static const char *plugin_list_mechanisms(pn_transport_t *transport) {
  sasl_conn_t *conn = conn_of(transport);
  const char *list = NULL;
  if (conn == NULL) return NULL;
  if (!ok(transport, conn, sasl_listmech(conn, NULL, "", " ", "", &list, NULL, NULL))) return NULL;
  return list;
}

static bool plugin_init_server(pn_transport_t *transport) {
  sasl_conn_t *conn = NULL;
  int rc = server_init_result;
  if (rc == SASL_OK) rc = sasl_server_new("amqp", getenv("RX_SASL_FQDN"), getenv("RX_SASL_REALM"), NULL, NULL, NULL, 0, &conn);
  if (rc == SASL_OK) {
    pnx_sasl_set_context(transport, conn);
    sasl_security_properties_t props;
    memset(&props, 0, sizeof props);
    props.security_flags = (pnx_sasl_get_allow_insecure_mechanisms(transport) ? 0 : SASL_SEC_NOPLAINTEXT) |
                           (pnx_sasl_get_authentication_required(transport) ? SASL_SEC_NOANONYMOUS : 0);
    props.max_ssf = 0; /* no SASL security layer: TLS does that */
    props.maxbufsize = 0;
    rc = sasl_setprop(conn, SASL_SEC_PROPS, &props);
  }
  if (rc == SASL_OK) {
    sasl_ssf_t ssf = (sasl_ssf_t)pnx_sasl_get_external_ssf(transport);
    rc = sasl_setprop(conn, SASL_SSF_EXTERNAL, &ssf);
  }
  if (rc == SASL_OK && pnx_sasl_get_external_username(transport) != NULL) {
    rc = sasl_setprop(conn, SASL_AUTH_EXTERNAL, pnx_sasl_get_external_username(transport));
  }
  if (!ok(transport, conn, rc)) return false;
  pnx_sasl_set_desired_state(transport, SASL_POSTED_MECHANISMS);
  return true;
}

static bool plugin_init_client(pn_transport_t *transport) {
  pnx_sasl_error(transport, "this Cyrus plugin is for servers only", "amqp:internal-error");
  return false;
}

static void plugin_prepare_write(pn_transport_t *transport) {}

/* After a Cyrus server call: send its bytes as a challenge, or the outcome. */
static void after_step(pn_transport_t *transport, int rc, const char *out, unsigned out_len) {
  sasl_conn_t *conn = conn_of(transport);
  pnx_sasl_set_bytes_out(transport, pn_bytes(out_len, out_len > 0 ? out : NULL));
  if (rc == SASL_CONTINUE) {
    pnx_sasl_set_desired_state(transport, SASL_POSTED_CHALLENGE);
  } else if (rc == SASL_OK) {
    const void *authcid = NULL, *authzid = NULL;
    sasl_getprop(conn, SASL_AUTHUSER, &authcid);
    sasl_getprop(conn, SASL_USERNAME, &authzid);
    pnx_sasl_set_succeeded(transport, (const char *)authcid, (const char *)authzid);
    pnx_sasl_set_desired_state(transport, SASL_POSTED_OUTCOME);
  } else {
    pnx_sasl_logf(transport, PN_LEVEL_ERROR, "Cyrus SASL: %s", sasl_errdetail(conn));
    pnx_sasl_set_failed(transport);
    pnx_sasl_set_desired_state(transport, SASL_POSTED_OUTCOME);
  }
}

static void plugin_process_init(pn_transport_t *transport, const char *mechanism, const pn_bytes_t *recv) {
  const char *out = NULL;
  unsigned out_len = 0;
  const char *in = recv->start;
  /* Cyrus distinguishes "no initial response" (NULL) from an empty one. */
  if (in == NULL && strcmp(mechanism, "ANONYMOUS") == 0) in = "";
  int rc = sasl_server_start(conn_of(transport), mechanism, in, (unsigned)recv->size, &out, &out_len);
  after_step(transport, rc, out, out_len);
}

static void plugin_process_response(pn_transport_t *transport, const pn_bytes_t *recv) {
  const char *out = NULL;
  unsigned out_len = 0;
  int rc = sasl_server_step(conn_of(transport), recv->start, (unsigned)recv->size, &out, &out_len);
  after_step(transport, rc, out, out_len);
}

static bool plugin_process_mechanisms(pn_transport_t *transport, const char *mechs) { return false; }
static void plugin_process_challenge(pn_transport_t *transport, const pn_bytes_t *recv) {}
static void plugin_process_outcome(pn_transport_t *transport, const pn_bytes_t *recv) {}
static bool plugin_can_encrypt(pn_transport_t *transport) { return false; }
static ssize_t plugin_max_encrypt_size(pn_transport_t *transport) { return 0; }
static ssize_t plugin_encode(pn_transport_t *transport, pn_bytes_t in, pn_bytes_t *out) { return PN_ERR; }
static ssize_t plugin_decode(pn_transport_t *transport, pn_bytes_t in, pn_bytes_t *out) { return PN_ERR; }

static const pnx_sasl_implementation plugin = {
  plugin_free,
  plugin_list_mechanisms,
  plugin_init_server,
  plugin_init_client,
  plugin_prepare_write,
  plugin_process_init,
  plugin_process_response,
  plugin_process_mechanisms,
  plugin_process_challenge,
  plugin_process_outcome,
  plugin_can_encrypt,
  plugin_max_encrypt_size,
  plugin_encode,
  plugin_decode,
};

/* Initialises Cyrus (config from PN_SASL_CONFIG_PATH, file proton-server.conf) and makes it Proton's SASL. Returns a Cyrus result code. */
int rx_cyrus_sasl_install(void) {
  const char *dir = getenv("PN_SASL_CONFIG_PATH");
  int rc = dir != NULL ? sasl_set_path(SASL_PATH_TYPE_CONFIG, (char *)dir) : SASL_OK;
  if (rc == SASL_OK) rc = sasl_server_init(NULL, "proton-server");
  server_init_result = rc;
  if (rc == SASL_OK) pnx_sasl_set_default_implementation(&plugin);
  return rc;
}

/* Cyrus's text for a result code. */
const char *rx_cyrus_sasl_errstring(int rc) { return sasl_errstring(rc, NULL, NULL); }
