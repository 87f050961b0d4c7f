//! `Session` for JavaScript (SESSION.md, "Handles"): `new Session(config)`, `step(input)`
//! (objects), `stepText(line)` (text, the same bytes as `offerfit session`), `free()`.

use serde::Serialize;
use serde_json::Value as Json;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const SESSION_TS: &str = r#"
/** One session input (SESSION.md, "Inputs"): `now` plus one kind. */
export type SessionInput = { now: number } & Record<string, unknown>;
/** One session output: the calls to send in order, notices, the next wake-up time; or a refusal. */
export type SessionOutput =
  | { ok: true; calls: Record<string, unknown>[]; notices: ({ kind: string } & Record<string, unknown>)[]; wake_at: number | null }
  | { ok: false; errors: { code: string; message: string; path?: string; help?: string }[] };
"#;

/// A framework's scheduler state machine (SESSION.md): feed it every input, send the calls it
/// answers in order, persist what its notices ask, and `tick` it at `wake_at`.
#[wasm_bindgen(js_name = Session)]
pub struct JsSession {
    inner: offerfit::Session,
}

#[wasm_bindgen(js_class = Session)]
impl JsSession {
    /// Builds a session from its config, an object or JSON text (SESSION.md, "Config").
    /// Throws an `Error` whose message is the refusal line (`{"ok":false,"errors":[...]}`) for
    /// a bad config.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<JsSession, JsError> {
        let text = match config.as_string() {
            Some(t) => t,
            None => {
                let json: Json = serde_wasm_bindgen::from_value(config)
                    .map_err(|e| JsError::new(&format!("expected the session config object or text: {e}")))?;
                json.to_string()
            }
        };
        offerfit::Session::from_json(&text)
            .map(|inner| JsSession { inner })
            .map_err(|errors| JsError::new(&offerfit::session::Refused { errors }.to_json_text()))
    }

    /// Answers one input line (JSON text) with one output line, the same bytes as `offerfit
    /// session`. Never throws for bad input: a refused input (`ok: false`) changes nothing.
    #[wasm_bindgen(js_name = stepText)]
    pub fn step_text(&mut self, line: &str) -> String {
        self.inner.step_json(line)
    }

    /// Answers one input object with one output object (the parsed `stepText` answer).
    #[wasm_bindgen(unchecked_return_type = "SessionOutput")]
    pub fn step(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "SessionInput")] input: JsValue,
    ) -> Result<JsValue, JsError> {
        let line = match input.as_string() {
            Some(t) => t,
            None => serde_wasm_bindgen::from_value::<Json>(input)
                .map_err(|e| JsError::new(&format!("expected a session input object: {e}")))?
                .to_string(),
        };
        let out: Json = serde_json::from_str(&self.inner.step_json(&line)).map_err(|e| JsError::new(&e.to_string()))?;
        out.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| JsError::new(&e.to_string()))
    }
}
