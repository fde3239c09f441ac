/**
 * How mechanisms.ts gets the extra mechanisms' client sides (extra-mechanisms.ts): here,
 * at once. A browser bundle gets extra-mechanisms-loader.browser.ts instead
 * (package.json's `browser` field), which loads them when first chosen.
 */
export { createExtraClientMechanism } from './extra-mechanisms.js';
