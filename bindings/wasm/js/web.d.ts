// Types of `offerfit/web`: the `web` build's functions, `init` and `initSync`.
export * from '../pkg/web/offerfit_wasm.js';
export { default } from '../pkg/web/offerfit_wasm.js';
// The Session class of js/session.mjs and its config, input and output types.
export * from './session.js';
