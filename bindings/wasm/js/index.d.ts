// Types of the package entry (Node and bundlers): the functions and contract types that
// wasm-bindgen and tsify generate, unchanged by the JS guard (the build drops the module's
// `start()`, which runs by itself and is not exported).
export * from '../pkg/offerfit_wasm.js';
