// Types of the package entry (Node and bundlers): the functions and contract types that
// wasm-bindgen and tsify generate, unchanged by the JS guard.
export * from '../pkg/node/offerfit_wasm.js';
