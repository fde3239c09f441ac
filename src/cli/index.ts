/** The `rx-amqp` command line (Node only). */
export { main, usage, COMMANDS } from './main.js';
export {
  defineCommand,
  formatOptions,
  parseCommandLine,
  UsageError,
  EXIT_OK,
  EXIT_FAILURE,
  EXIT_USAGE,
  type Command,
  type CommandSpec,
  type OptionSpec,
  type OptionTable,
  type ParsedCommandLine,
} from './command.js';
export { decodeCommand, decodeBytes, DECODE_USAGE, type DecodeMode, type DecodeResult } from './decode.js';
export { nodeIo, type CliIo } from './io.js';
export { parseHex, formatHex, HexError } from './hex.js';
export { valueToJson, elementToJson, descriptorToJson, jsonNumber, toHex, type JsonValue, type TypedJson } from './value-json.js';
export { formatValueTree, formatScalar, formatDescriptor, formatTimestamp } from './value-tree.js';
export { formatMessageTree, messageToJson } from './message-format.js';
export { walkFrames, formatWalkItem, walkItemToJson, modelToJson, type WalkItem, type WalkFailure } from './frame-walk.js';
export { memoryIo, type MemoryIo } from './memory-io.js';
export { sendCommand, parseSendArgs, sendMessages, SEND_USAGE, type SendArgs } from './send.js';
export { receiveCommand, parseReceiveArgs, messageJson, messageLine, RECEIVE_USAGE, DUPLICATE_WINDOW, type ReceiveArgs } from './receive.js';
export { DuplicateFilter } from './duplicate-filter.js';
export { nodeConnection, type NodeConnection, type NodeConnectionOptions } from './node-connection.js';
export { destinationArg, parseCount, parseSeconds, Progress, NODE_COMMAND_OPTIONS, type Destination } from './amqp-args.js';
