// Types of `offerfit/web`: the `web` build's functions, `init` and `initSync`.
export * from '../pkg/web/offerfit_wasm.js';
export { default } from '../pkg/web/offerfit_wasm.js';
