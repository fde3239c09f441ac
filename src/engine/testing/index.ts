/** Test support for code built on the engine: an in-memory engine pair and the engine fuzzer. */
export { EnginePair, type EnginePairOptions, type Side, type Responder, type CapturedChunk } from './engine-pair.js';
export { fuzzEngine, captureConversation, Random, type FuzzOptions, type FuzzReport, type FuzzFailure, type Conversation } from './fuzz.js';
