/** The `rx-amqp` command line (Node only). */
export { main, usage, COMMANDS } from './main.js';
export { EXIT_OK, EXIT_FAILURE, EXIT_USAGE, type Command } from './command.js';
export { decodeCommand, decodeBytes, DECODE_USAGE, type DecodeMode, type DecodeResult } from './decode.js';
export { nodeIo, type CliIo } from './io.js';
export { parseHex, formatHex, HexError } from './hex.js';
export { valueToJson, elementToJson, descriptorToJson, jsonNumber, toHex, type JsonValue, type TypedJson } from './value-json.js';
export { formatValueTree, formatScalar, formatDescriptor, formatTimestamp } from './value-tree.js';
export { formatMessageTree, messageToJson } from './message-format.js';
export { walkFrames, formatWalkItem, walkItemToJson, modelToJson, type WalkItem, type WalkFailure } from './frame-walk.js';
export { memoryIo, type MemoryIo } from './memory-io.js';
export { sendCommand, parseSendArgs, sendMessages, SEND_USAGE, type SendArgs } from './send.js';
export { receiveCommand, parseReceiveArgs, messageJson, messageLine, RECEIVE_USAGE, type ReceiveArgs } from './receive.js';
export { parseDestination, parseCount, commandConnectOptions, Progress, UsageError, type Destination } from './amqp-args.js';
