export { SaslError, type SaslErrorOptions, type SaslFailureCode } from './sasl-error.js';
export type {
  SaslCredentials,
  SaslClientMechanism,
  SaslServerStep,
  SaslServerMechanism,
  SaslAuthenticator,
  ScramStoredCredentials,
  SaslRequest,
  SaslAnswer,
  SaslPending,
} from './types.js';
export { type HashName, type SaslCrypto, defaultSaslCrypto } from './crypto/index.js';
export { SASL_MECHANISMS, type SaslMechanismName, createClientMechanism, serverMechanisms } from './mechanisms.js';
export { createServerMechanism } from './server-mechanisms.js';
export { chooseMechanism, type ChooseMechanismOptions } from './choose-mechanism.js';
export { scramCredentialsFromPassword } from './scram-credentials.js';
export { MAX_SCRAM_ITERATIONS } from './scram-messages.js';
export { saslPrep } from './saslprep.js';
