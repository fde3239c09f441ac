/**
 * The frame layer (Part 2 §2.3, §2.7; Part 3; Part 4; Part 5): frame headers,
 * performatives, SASL frames, terminus, delivery states, transaction control
 * and message sections, on top of src/codec.
 */
export * from './types.js';
export {
  SPEC_TYPES,
  SPEC_CHOICES,
  DESCRIPTOR_CODE,
  DESCRIPTOR_SYMBOL,
  RESTRICTED_SOURCE,
  type SpecField,
  type SpecType,
  type SpecChoice,
  type SpecTypeName,
} from './spec.generated.js';
export { FRAME_HEADER_SIZE, writeFrame, writeSaslFrame, beginFrame, endFrame } from './frame-writer.js';
export { FrameReader } from './frame-reader.js';
export {
  encodePerformative,
  decodePerformative,
  encodeOpen,
  encodeBegin,
  encodeAttach,
  encodeFlow,
  encodeTransfer,
  encodeDisposition,
  encodeDetach,
} from './performatives.js';
export { encodeSaslPerformative, decodeSaslPerformative } from './sasl.js';
export { encodeDeliveryState, decodeDeliveryState, decodeOutcome } from './delivery-state.js';
export { encodeSource, decodeSource, encodeTarget, decodeTarget } from './terminus.js';
export { encodeWireError, decodeWireError } from './wire-error.js';
export { encodeTxnControl, decodeTxnControl, txnControlValue, txnControlFromValue } from './transactions.js';
export { encodeMessage, encodeMessageBytes, decodeMessage, encodeHeader, encodeProperties } from './message.js';
export { describeFrame, describeBody, formatValue } from './describe.js';
