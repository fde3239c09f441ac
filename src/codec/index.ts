export * from './types.js';
export { FormatCode, type FormatCodeValue, MAX_DEPTH } from './format-codes.js';
export { Writer, utf8Length } from './writer.js';
export { Reader, type CompoundHeader } from './reader.js';
export { encode, encodeSequence } from './encode.js';
export { decode, decodeSequence } from './decode.js';
export { equals } from './equals.js';
