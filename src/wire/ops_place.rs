//! Op `place` (docs/contract.md): decode the request into the engine's types (the decoders
//! are in [`crate::dto::place`]), run [`crate::Engine::place`], encode the plan.

use serde_json::{Map, Value as Json};

use super::{decode, Errors};
use crate::decision::Plan;
pub use crate::dto::place::PlaceRequestDto;
use crate::dto::place::{parts_from_json, request_from_json};
use crate::dto::plan::PlaceResult;
use crate::engine::Engine;

/// The plan as the contract's result fields: its typed view [`PlaceResult`] as a JSON object
/// (the fast path's writer, `place_out`, writes the same bytes).
pub fn plan_to_json(plan: &Plan<'_>) -> Map<String, Json> {
    PlaceResult::new(plan).to_map()
}

/// `place` on a request value (without `op`): the fields are moved out of the object, not
/// copied; a request of another shape is decoded as a [`PlaceRequestDto`] for its error.
/// `stored`: the engine of options validated earlier, for a request that has no `options`.
pub(crate) fn place_value(json: Json, stored: Option<&Engine>) -> Result<Map<String, Json>, Errors> {
    let plain = match &json {
        Json::Object(m) => {
            m.keys().all(|k| matches!(k.as_str(), "offers" | "tasks" | "running" | "options"))
                && m.contains_key("offers")
                && matches!(m.get("tasks"), Some(Json::Array(_)))
                && matches!(m.get("running"), None | Some(Json::Array(_)))
        }
        _ => false,
    };
    let req = match json {
        Json::Object(mut m) if plain => {
            let list = |v: Option<Json>| match v {
                Some(Json::Array(list)) => list,
                _ => Vec::new(),
            };
            PlaceRequestDto {
                offers: m.remove("offers").unwrap_or(Json::Null),
                tasks: list(m.remove("tasks")),
                running: list(m.remove("running")),
                options: m.remove("options").filter(|o| !o.is_null()),
            }
        }
        other => decode(other, "")?,
    };
    match stored {
        // Decoding the options first, as `place` does, could refuse nothing here: they were
        // valid when stored, so the request's own errors come out the same.
        Some(engine) if req.options.is_none() => {
            let request = parts_from_json(req)?;
            let plan = engine.place(&request).map_err(|e| super::fail(e.error, &e.path))?;
            Ok(plan_to_json(&plan))
        }
        _ => place(req),
    }
}

/// `place`.
pub fn place(req: PlaceRequestDto) -> Result<Map<String, Json>, Errors> {
    let (options, request) = request_from_json(req)?;
    let engine = Engine::new(options).map_err(|e| super::fail(e.error, &e.path))?;
    let plan = engine.place(&request).map_err(|e| super::fail(e.error, &e.path))?;
    Ok(plan_to_json(&plan))
}
