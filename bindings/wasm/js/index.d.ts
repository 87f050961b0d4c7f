// Types of the package entry (Node and bundlers): the functions and contract types that
// wasm-bindgen and tsify generate, unchanged by the JS guard (the build drops the module's
// `start()`, which runs by itself and is not exported).
export * from '../pkg/offerfit_wasm.js';
// The Session class of js/session.mjs and its config, input and output types.
export * from './session.js';
