// The package's `Session` class (SESSION.md, "Handles": `new Session(config)`, `step(input)`,
// `stepText(line)`, `free()`), one per entry, over the module's internal session exports
// (bindings/wasm/src/session.rs): the module keeps the sessions by handle; this class owns a
// handle, guards every call as the other functions are guarded (an exception out of the module
// becomes the contract's `internal` error) and frees the session when asked or when the object
// is garbage-collected.
//
// Handles are chosen here, from a counter that outlives the module's instance: a panic makes
// the module start afresh with no sessions, and a session from before it is then answered with
// `session.handle` (never mistaken for a newer session with the same number).
import { answerText, internalError, jsonText } from './guard.mjs';

/** The module's exports the class needs (besides `answerText`'s). */
const SESSION_EXPORTS = [
  '__sessionNew',
  '__sessionStepRequest',
  '__sessionStepRequestKept',
  '__sessionStepTyped',
  '__sessionStepTypedKept',
  '__sessionStepValue',
  '__sessionFree',
];

/** A refused session config, as an `Error` carrying the contract's error objects. */
export class OfferfitError extends Error {
  constructor(errors) {
    super(errors.map((e) => `${e.code}: ${e.message}${e.path ? ` at ${e.path}` : ''}`).join('\n'));
    this.name = 'OfferfitError';
    this.errors = errors;
    this.code = errors[0]?.code;
    this.path = errors[0]?.path;
  }
}

/**
 * The `Session` class over a wasm-bindgen module. `decodeAscii` as for guard.mjs `textCall`;
 * `checkReady(what)` throws when the module is not loaded yet (the web entry's `init`).
 */
export function sessionClass(module, decodeAscii, checkReady = () => {}) {
  for (const name of SESSION_EXPORTS) {
    if (typeof module[name] !== 'function') throw new Error(`offerfit: the wasm module lacks the export \`${name}\``);
  }
  let lastHandle = 0;
  const free = (handle) => {
    try {
      module.__sessionFree(handle);
    } catch {
      // A module that cannot free a session (it is being started afresh) has lost it anyway.
    }
  };
  const finalizer = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry(free) : undefined;

  class Session {
    /** The module's handle; 0 once freed. */
    #handle = 0;

    constructor(config) {
      checkReady('new Session');
      if (lastHandle >= 0xffff_ffff) throw new Error('offerfit: no session handle left (2^32 - 1 sessions were made)');
      const handle = ++lastHandle;
      let refusal;
      try {
        refusal = module.__sessionNew(handle, config);
      } catch (error) {
        refusal = JSON.stringify(internalError(error));
      }
      if (refusal !== '') throw new OfferfitError(JSON.parse(refusal).errors);
      this.#handle = handle;
      finalizer?.register(this, handle, this);
    }

    // An input of plain JSON values goes as its `JSON.stringify` text, which the module reads
    // as it reads the object (guard.mjs `jsonText`; session.rs `__sessionStepTyped`): the same
    // answer without serde-wasm-bindgen's property-by-property reading. Anything else, and a
    // text the module cannot read (`""`), goes as the object.
    step(input) {
      const handle = this.#live('step');
      try {
        const text = jsonText(input);
        if (text !== undefined) {
          const answer = answerText(
            module,
            text,
            decodeAscii,
            (len) => module.__sessionStepTyped(handle, len),
            (len) => module.__sessionStepTypedKept(handle, len),
          );
          if (answer !== '') return JSON.parse(answer);
        }
        return JSON.parse(module.__sessionStepValue(handle, input));
      } catch (error) {
        return internalError(error);
      }
    }

    stepText(line) {
      const handle = this.#live('stepText');
      if (typeof line !== 'string') throw new TypeError(`offerfit: Session.stepText takes one JSON line as a string, found ${typeof line}`);
      try {
        return answerText(
          module,
          line,
          decodeAscii,
          (len) => module.__sessionStepRequest(handle, len),
          (len) => module.__sessionStepRequestKept(handle, len),
        );
      } catch (error) {
        return JSON.stringify(internalError(error));
      }
    }

    free() {
      const handle = this.#handle;
      if (handle === 0) return;
      this.#handle = 0;
      finalizer?.unregister(this);
      free(handle);
    }

    get freed() {
      return this.#handle === 0;
    }

    #live(method) {
      checkReady(`Session.${method}`);
      if (this.#handle === 0) throw new Error(`offerfit: Session.${method}() after free(): make a new Session`);
      return this.#handle;
    }
  }
  // `using session = new Session(...)` where the runtime has explicit resource management (the
  // types leave it out: declaring it would need `esnext.disposable` in every consumer's lib).
  if (typeof Symbol.dispose === 'symbol') {
    Object.defineProperty(Session.prototype, Symbol.dispose, {
      value: function dispose() {
        this.free();
      },
      writable: true,
      configurable: true,
    });
  }
  return Session;
}
