//! Mesos v1 scheduler-API JSON (serde DTOs) for `Offer`, `Resource`, `Attribute` and `Value`,
//! and their conversion to and from the model.

use serde_json::{json, Value as Json};

use crate::model::{Ranges, Set, Value};

/// `{"range": [{"begin", "end"}, ...]}`.
pub fn ranges_to_json(r: &Ranges) -> Json {
    let list: Vec<Json> = r.iter().map(|x| json!({"begin": x.begin, "end": x.end})).collect();
    json!({ "range": list })
}

/// `{"item": [...]}`.
pub fn set_to_json(s: &Set) -> Json {
    json!({ "item": s.items() })
}

/// A Mesos v1 `Value`: `{"type": "SCALAR", "scalar": {"value": 45.55}}`, …
pub fn value_to_json(v: &Value) -> Json {
    match v {
        Value::Scalar(x) => json!({"type": "SCALAR", "scalar": {"value": scalar_json(*x)}}),
        Value::Ranges(r) => json!({"type": "RANGES", "ranges": ranges_to_json(r)}),
        Value::Set(s) => json!({"type": "SET", "set": set_to_json(s)}),
        Value::Text(t) => json!({"type": "TEXT", "text": {"value": t}}),
    }
}

/// A double as JSON: whole numbers print without a fraction (`8`, not `8.0`), so output is
/// identical on every platform and in every binding.
pub fn scalar_json(x: f64) -> Json {
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        Json::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
    }
}
