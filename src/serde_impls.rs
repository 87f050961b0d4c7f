//! `serde` for the typed model and the plan (feature `serde`), in the contract's JSON shapes,
//! so a Rust host goes from JSON to typed values and back without the contract's internals:
//!
//! | type | JSON shape | |
//! |---|---|---|
//! | [`Offer`] | a Mesos v1 `Offer` | both ways |
//! | [`Resource`], [`Resources`] | a Mesos v1 `Resource`, a list of them (or agent resources text) | both ways |
//! | [`Attribute`], [`Attributes`] | a Mesos v1 `Attribute`, a list of them (or agent attributes text) | both ways |
//! | [`TaskRequest`], [`RunningTask`] | a task / running task of the `place` request | deserialize |
//! | [`Options`] | the `options` of the `place` request | deserialize |
//! | [`PlaceRequest`] | a `place` request: `offers`, `tasks`, `running` (`options` apart) | deserialize |
//! | [`Plan`] | the `place` answer's result fields (`accept`, `decline`, `unplaced`, `stats`, ...) | serialize |
//!
//! Decoding validates exactly as the contract does; an error says what and where (the JSON
//! pointer inside the value, and the contract's error code):
//! `expected a number, found "x" at /scalar/value [request.type]`.
//! JSON is the format these shapes are written for; other self-describing formats work through
//! the same data model.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value as Json};

use crate::decision::Plan;
use crate::dto::mesos;
use crate::dto::place::{options_from_json, request_from_json, running_from_json, task_from_json};
use crate::dto::{Errors, WireError};
use crate::engine::{Options, PlaceRequest};
use crate::model::{Attribute, Attributes, Offer, Resource, Resources, RunningTask, TaskRequest};

/// The contract's errors as one serde error message: each as `message at path [code]`,
/// joined by `; `.
fn to_error<E: serde::de::Error>(errors: Errors) -> E {
    let parts: Vec<String> = errors.iter().map(describe).collect();
    E::custom(parts.join("; "))
}

fn describe(e: &WireError) -> String {
    match e.path.as_deref() {
        Some(path) if !path.is_empty() => format!("{} at {path} [{}]", e.message, e.code),
        _ => format!("{} [{}]", e.message, e.code),
    }
}

/// Serialize through the contract's JSON value (the same bytes the contract writes).
macro_rules! serialize_as_json {
    ($ty:ty, $to:expr) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let json: Json = $to(self);
                json.serialize(serializer)
            }
        }
    };
}

/// Deserialize a JSON value, then decode it as the contract does.
macro_rules! deserialize_from_json {
    ($ty:ty, $from:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let json = Json::deserialize(deserializer)?;
                $from(json).map_err(to_error)
            }
        }
    };
}

serialize_as_json!(Offer, mesos::offer_to_json);
deserialize_from_json!(Offer, |json: Json| mesos::offer_from_json(&json, ""));
serialize_as_json!(Resource, mesos::resource_to_json);
deserialize_from_json!(Resource, |json: Json| mesos::resource_from_json(&json, ""));
serialize_as_json!(Resources, mesos::resources_to_json);
deserialize_from_json!(Resources, |json: Json| mesos::resources_from_json(&json, ""));
serialize_as_json!(Attribute, mesos::attribute_to_json);
deserialize_from_json!(Attribute, |json: Json| {
    mesos::attributes_from_json(&Json::Array(vec![json]), "").map(|a| {
        let mut list = a.0;
        list.swap_remove(0)
    })
});
serialize_as_json!(Attributes, mesos::attributes_to_json);
deserialize_from_json!(Attributes, |json: Json| mesos::attributes_from_json(&json, ""));
deserialize_from_json!(TaskRequest, |json: Json| task_from_json(json, ""));
deserialize_from_json!(RunningTask, |json: Json| running_from_json(json, ""));
deserialize_from_json!(Options, |json: Json| options_from_json(Some(json)));

impl<'de> Deserialize<'de> for PlaceRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut json = Map::<String, Json>::deserialize(deserializer)?;
        // `"op": "place"` may be there, as in a whole contract request.
        match json.remove("op") {
            None => {}
            Some(Json::String(op)) if op == "place" => {}
            Some(other) => return Err(D::Error::custom(format!("expected op `place`, found {other} at /op"))),
        }
        if json.contains_key("options") {
            return Err(D::Error::custom(
                "`options` are not part of a PlaceRequest: deserialize them as `offerfit::Options`",
            ));
        }
        let dto = crate::dto::decode(Json::Object(json), "").map_err(to_error)?;
        request_from_json(dto).map(|(_, request)| request).map_err(to_error)
    }
}

impl Serialize for Plan<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::dto::plan::PlaceResult::new(self).serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Engine;

    #[test]
    fn offers_round_trip_through_mesos_json() {
        let o = json!({"id": {"value": "O1"}, "agent_id": {"value": "S1"}, "hostname": "h1",
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 4}}],
            "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}]});
        let offer: Offer = serde_json::from_value(o.clone()).unwrap();
        assert_eq!((offer.hostname.as_str(), offer.resources.to_string()), ("h1", "cpus:4".to_owned()));
        let back = serde_json::to_value(&offer).unwrap();
        assert_eq!(serde_json::from_value::<Offer>(back).unwrap(), offer);
    }

    #[test]
    fn resources_and_attributes_from_json_or_text() {
        let r: Resources = serde_json::from_str(r#""cpus:2; ports:[31000-31005]""#).unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), serde_json::to_string(&mesos::resources_to_json(&r)).unwrap());
        let one: Resource =
            serde_json::from_value(json!({"name": "mem", "type": "SCALAR", "scalar": {"value": 64}})).unwrap();
        assert_eq!(one.to_string(), "mem:64");
        let a: Attribute =
            serde_json::from_value(json!({"name": "zone", "type": "TEXT", "text": {"value": "a"}})).unwrap();
        assert_eq!(serde_json::to_value(&a).unwrap()["text"]["value"], "a");
        let all: Attributes = serde_json::from_str(r#""rack:r1;level:2""#).unwrap();
        assert_eq!(all.0.len(), 2);
    }

    #[test]
    fn errors_say_what_and_where() {
        let e =
            serde_json::from_value::<Resources>(json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": -1}}]))
                .unwrap_err()
                .to_string();
        assert!(e.contains(" at /0/scalar/value ["), "{e}");
        let e = serde_json::from_value::<PlaceRequest>(json!({"op": "version"})).unwrap_err().to_string();
        assert_eq!(e, "expected op `place`, found \"version\" at /op");
        let e = serde_json::from_value::<PlaceRequest>(json!({"offers": [], "tasks": [], "options": {}})).unwrap_err();
        assert!(e.to_string().contains("offerfit::Options"), "{e}");
        let e = serde_json::from_value::<TaskRequest>(json!({"id": "t", "cpu": 1})).unwrap_err().to_string();
        assert!(e.contains("[request.unknown_field]"), "{e}");
    }

    #[test]
    fn a_plan_serializes_as_the_place_answer() {
        let request = json!({"offers": [{"id": {"value": "O1"}, "agent_id": {"value": "S1"}, "hostname": "h1",
            "resources": "cpus:4;mem:4096;ports:[31000-31010]"}],
            "tasks": [{"id": "web", "cpus": 1, "mem": 128, "ports": [0]}, {"id": "big", "cpus": 64}]});
        let options: Options = serde_json::from_value(json!({"strategy": "binpack"})).unwrap();
        let req: PlaceRequest = serde_json::from_value(request.clone()).unwrap();
        let plan = Engine::new(options).unwrap().place(&req).unwrap();
        let mut call = request.as_object().unwrap().clone();
        call.insert("op".into(), json!("place"));
        call.insert("options".into(), json!({"strategy": "binpack"}));
        let mut answer: Json = serde_json::from_str(&crate::call(&Json::Object(call).to_string())).unwrap();
        answer.as_object_mut().unwrap().remove("ok");
        assert_eq!(serde_json::to_value(&plan).unwrap(), answer);
    }
}
