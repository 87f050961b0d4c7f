//! Ops on the value, resource and attribute model: `version`, `parse_value`,
//! `parse_resources`, `format_resources`, `resource_math`, `parse_attributes`.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::{fail, mesos, Errors, WireError, OPS, VERSION};

/// `version`: no fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRequest {}

/// `version` result.
#[derive(Debug, Serialize)]
pub struct VersionResponse {
    version: &'static str,
    ops: &'static [&'static str],
}

pub fn version(_: VersionRequest) -> Result<VersionResponse, Errors> {
    Ok(VersionResponse { version: VERSION, ops: OPS })
}

/// `parse_value`: `text`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParseValueRequest {
    text: String,
}

/// `parse_value` result.
#[derive(Debug, Serialize)]
pub struct ParseValueResponse {
    value: Json,
}

pub fn parse_value(req: ParseValueRequest) -> Result<ParseValueResponse, Errors> {
    let v = crate::text::parse_value(&req.text).map_err(|e| fail(e, "/text"))?;
    Ok(ParseValueResponse { value: mesos::value_to_json(&v) })
}

fn todo_op(name: &str) -> Errors {
    vec![WireError::new("request.unsupported", format!("op `{name}` is not available yet"))]
}

/// `parse_resources`.
#[derive(Debug, Deserialize)]
pub struct ParseResourcesRequest {}
pub fn parse_resources(_: ParseResourcesRequest) -> Result<Json, Errors> {
    Err(todo_op("parse_resources"))
}
/// `format_resources`.
#[derive(Debug, Deserialize)]
pub struct FormatResourcesRequest {}
pub fn format_resources(_: FormatResourcesRequest) -> Result<Json, Errors> {
    Err(todo_op("format_resources"))
}
/// `resource_math`.
#[derive(Debug, Deserialize)]
pub struct ResourceMathRequest {}
pub fn resource_math(_: ResourceMathRequest) -> Result<Json, Errors> {
    Err(todo_op("resource_math"))
}
/// `parse_attributes`.
#[derive(Debug, Deserialize)]
pub struct ParseAttributesRequest {}
pub fn parse_attributes(_: ParseAttributesRequest) -> Result<Json, Errors> {
    Err(todo_op("parse_attributes"))
}
