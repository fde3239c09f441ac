/** Real AMQP 1.0 peers for integration tests: start them in beforeAll, stop them in afterAll. */
export type { RunningPeer, RunningRabbitMq } from './running-peer.js';
export {
  buildProtonCExample,
  protonPython,
  startProtonCBroker,
  startProtonPythonBroker,
  startProtonWindowReceiver,
  DEBIAN_PYTHON,
  PEERS_DIR,
  PROTON_C_EXAMPLES,
  PROTON_PYTHON_EXAMPLES,
  type ProtonCExample,
} from './proton.js';
export {
  buildCyrusSaslPlugin,
  makeProtonCertificates,
  makeSaslDatabase,
  protonExampleCertificates,
  startProtonSecureBroker,
  PROTON_SSL_CERTS,
  type ProtonCertificate,
  type ProtonCertificates,
  type ProtonSecureBrokerOptions,
  type SaslDatabase,
} from './proton-secure.js';
export {
  startKerberosRealm,
  makeGssapiSaslConfig,
  gssapiServerEnv,
  requireKerberosPackage,
  type KerberosRealm,
  type KerberosRealmOptions,
} from './kerberos.js';
export { startRabbitMq, startRestartableRabbitMq, RABBITMQ_USER, RABBITMQ_PASSWORD, type RabbitMqOptions, type RestartableRabbitMq } from './rabbitmq.js';
export { startRabbitMqCluster, waitFor, type ClusterNode, type RabbitMqCluster } from './rabbitmq-cluster.js';
export { PeerUnavailableError, PACKAGES } from './packages.js';
export { PeerProcess } from './peer-process.js';
export {
  LOOPBACK,
  PROTOCOL_AMQP,
  PROTOCOL_SASL,
  PROTOCOL_TLS,
  canConnect,
  exchangeProtocolHeader,
  freePort,
  freePortBelowEphemeral,
  isAmqpHeader,
  protocolHeader,
} from './net.js';
