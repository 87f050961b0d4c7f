//! Ops on the value, resource and attribute model: `version`, `parse_value`,
//! `parse_resources`, `format_resources`, `resource_math`, `parse_attributes`.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::{fail, mesos, Errors, WireError, OPS, VERSION};
use crate::mesos::dto::ValueDto;

/// `version`: no fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRequest {}

/// `version` result.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "VersionResult"))]
pub struct VersionResponse {
    /// The library's version.
    #[cfg_attr(feature = "tsify", tsify(type = "string"))]
    version: &'static str,
    /// Every op name.
    #[cfg_attr(feature = "tsify", tsify(type = "string[]"))]
    ops: &'static [&'static str],
}

pub fn version(_: VersionRequest) -> Result<VersionResponse, Errors> {
    Ok(VersionResponse { version: VERSION, ops: OPS })
}

/// `parse_value`: `text`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub struct ParseValueRequest {
    /// A Mesos value: scalar, ranges, set or text.
    text: String,
}

/// `parse_value` result.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "ParseValueResult"))]
pub struct ParseValueResponse {
    /// The value.
    #[cfg_attr(feature = "tsify", tsify(type = "MesosValue"))]
    value: ValueDto,
}

pub fn parse_value(req: ParseValueRequest) -> Result<ParseValueResponse, Errors> {
    let v = crate::text::parse_value(&req.text).map_err(|e| fail(e, "/text"))?;
    Ok(ParseValueResponse { value: ValueDto::from(&v) })
}

/// `parse_resources`: `text` (the agent `--resources` text or its JSON array form),
/// `default_role` (default `*`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub struct ParseResourcesRequest {
    /// Mesos resource text.
    text: String,
    /// The role of resources without one (default `*`).
    #[serde(default)]
    default_role: Option<String>,
}

/// `parse_resources` result: the merged resources as Mesos v1 JSON.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "ParseResourcesResult"))]
pub struct ParseResourcesResponse {
    /// The resources.
    #[cfg_attr(feature = "tsify", tsify(type = "Resource[]"))]
    resources: Json,
}

pub fn parse_resources(req: ParseResourcesRequest) -> Result<ParseResourcesResponse, Errors> {
    let role = req.default_role.as_deref().unwrap_or("*");
    crate::model::validate_role(role).map_err(|e| fail(e, "/default_role"))?;
    let r = crate::text::parse_resources(&req.text, role).map_err(|e| fail(e, "/text"))?;
    check_scalar_bound(&r, "/text")?;
    Ok(ParseResourcesResponse { resources: mesos::resources_to_json(&r) })
}

/// `format_resources`: `resources` (an array of Mesos resources or a resources text).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub struct FormatResourcesRequest {
    /// The resources to print (Mesos JSON or text).
    #[cfg_attr(feature = "tsify", tsify(type = "ResourcesInput"))]
    resources: Json,
}

/// `format_resources` result: Mesos' printed form.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "FormatResourcesResult"))]
pub struct FormatResourcesResponse {
    /// Mesos' printed form.
    text: String,
}

pub fn format_resources(req: FormatResourcesRequest) -> Result<FormatResourcesResponse, Errors> {
    let r = mesos::resources_from_json(&req.resources, "/resources")?;
    check_scalar_bound(&r, "/resources")?;
    Ok(FormatResourcesResponse { text: r.to_string() })
}

/// The operations of `resource_math`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum MathOperation {
    /// `left + right`.
    Add,
    /// `left - right` (right must be contained).
    Subtract,
    /// Whether `left` contains `right`.
    Contains,
    /// Whether both sides hold the same resources.
    Equal,
    /// What of `left` the `role` may use.
    AllocatableTo,
}

/// `resource_math`: `operation`, `left`, `right` (unused by `allocatable_to`), `role` (for
/// `allocatable_to`); sides are arrays of Mesos resources or resources texts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub struct ResourceMathRequest {
    /// What to compute.
    operation: MathOperation,
    /// The left operand (Mesos JSON or text).
    #[cfg_attr(feature = "tsify", tsify(type = "ResourcesInput"))]
    left: Json,
    /// The right operand (unused by `allocatable_to`).
    #[cfg_attr(feature = "tsify", tsify(type = "ResourcesInput"))]
    #[serde(default)]
    right: Option<Json>,
    /// For `allocatable_to`: the role.
    #[serde(default)]
    role: Option<String>,
}

/// `resource_math` result: `resources` (add, subtract, allocatable_to) or `result` (contains,
/// equal).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "ResourceMathResult"))]
pub struct ResourceMathResponse {
    /// The resulting resources.
    #[cfg_attr(feature = "tsify", tsify(type = "Resource[]"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<Json>,
    /// The answer of a comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<bool>,
}

fn missing(field: &str, operation: &str) -> Errors {
    let mut e = WireError::new("request.missing_field", format!("missing field `{field}`")).with_path("");
    e.help = Some(format!("`{operation}` needs `{field}`"));
    vec![e]
}

/// Every scalar of `sum` within ±2^53/1000, the bound every parsed scalar meets (above it
/// a double, and so a JSON number, no longer holds the thousandths exactly). Like resources
/// are summed when a list is read (`cpus:1;cpus:2` is `cpus:3`) and by `add`, so both can
/// cross it; `subtract` and `allocatable_to` give parts of `left`, `contains` and `equal` a
/// boolean.
fn check_scalar_bound(sum: &crate::model::Resources, path: &str) -> Result<(), Errors> {
    use crate::model::scalar::SCALAR_MAX_MILLIS;
    match sum.iter().find(|r| r.scalar().is_some_and(|s| s.millis().unsigned_abs() > SCALAR_MAX_MILLIS.unsigned_abs()))
    {
        None => Ok(()),
        Some(r) => {
            let mut e = WireError::new(
                "scalar.out_of_range",
                format!(
                    "the sum of `{}` is {}, too large to be held exactly (at most 2^53/1000)",
                    r.name,
                    r.scalar().unwrap_or_default()
                ),
            )
            .with_path(path);
            e.help = Some("a scalar amount holds at most 9007199254740.992".to_owned());
            Err(vec![e])
        }
    }
}

pub fn resource_math(req: ResourceMathRequest) -> Result<ResourceMathResponse, Errors> {
    let left = mesos::resources_from_json(&req.left, "/left")?;
    check_scalar_bound(&left, "/left")?;
    let resources = |r: crate::model::Resources| {
        Ok(ResourceMathResponse { resources: Some(mesos::resources_to_json(&r)), result: None })
    };
    let result = |b: bool| Ok(ResourceMathResponse { resources: None, result: Some(b) });
    if req.operation == MathOperation::AllocatableTo {
        let role = req.role.ok_or_else(|| missing("role", "allocatable_to"))?;
        crate::model::validate_role(&role).map_err(|e| fail(e, "/role"))?;
        return resources(left.allocatable_to(&role));
    }
    let name = match req.operation {
        MathOperation::Add => "add",
        MathOperation::Subtract => "subtract",
        MathOperation::Contains => "contains",
        MathOperation::Equal => "equal",
        MathOperation::AllocatableTo => "allocatable_to",
    };
    let right = req.right.ok_or_else(|| missing("right", name))?;
    let right = mesos::resources_from_json(&right, "/right")?;
    check_scalar_bound(&right, "/right")?;
    match req.operation {
        MathOperation::Add => {
            let sum = left.add(&right);
            sum.check_types().map_err(|e| fail(e, "/right"))?;
            check_scalar_bound(&sum, "/right")?;
            resources(sum)
        }
        // Mesos' `Resources::subtract` (src/common/resources.cpp): each resource of `right` is
        // taken from the first subtractable entry of `left` by the `Value` operators of
        // src/common/values.cpp (ranges and sets lose their overlap); an entry left empty or
        // negative is removed, and what `left` does not hold is simply not there. No error.
        MathOperation::Subtract => resources(left.saturating_sub(&right)),
        MathOperation::Contains => result(left.contains(&right)),
        MathOperation::Equal | MathOperation::AllocatableTo => result(left == right),
    }
}

/// `parse_attributes`: `text` (the agent `--attributes` text).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub struct ParseAttributesRequest {
    /// Mesos attribute text.
    text: String,
}

/// `parse_attributes` result: the attributes as Mesos v1 JSON, in input order.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify), tsify(rename = "ParseAttributesResult"))]
pub struct ParseAttributesResponse {
    /// The attributes, in input order.
    #[cfg_attr(feature = "tsify", tsify(type = "Attribute[]"))]
    attributes: Json,
}

pub fn parse_attributes(req: ParseAttributesRequest) -> Result<ParseAttributesResponse, Errors> {
    let a = crate::text::parse_attributes(&req.text).map_err(|e| fail(e, "/text"))?;
    Ok(ParseAttributesResponse { attributes: mesos::attributes_to_json(&a) })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value as Json};

    fn call(req: Json) -> Json {
        serde_json::from_str(&crate::call(&req.to_string())).unwrap()
    }

    #[test]
    fn parse_resources_op() {
        let out =
            call(json!({"op": "parse_resources", "text": "cpus(*):8; ports:[31000-32000]", "default_role": "web"}));
        assert_eq!(
            out,
            json!({"ok": true, "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 8}, "reservations": []},
                {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 32000}]},
                 "reservations": [{"type": "STATIC", "role": "web"}]}]})
        );
        let out = call(json!({"op": "parse_resources", "text": "cpus(role1:1"}));
        assert_eq!(
            out["errors"][0],
            json!({"code": "resources.syntax", "message": "expected `)` to close the role, found `:`",
                   "help": "write the role in parentheses after the name: `cpus(role1):8`", "path": "/text",
                   "span": {"start": 10, "end": 11}, "line": 1, "column": 11,
                   "rendered": "cpus(role1:1\n          ^ expected `)` to close the role, found `:`"})
        );
        let out = call(json!({"op": "parse_resources", "text": "cpus:1", "default_role": "/x"}));
        assert_eq!(
            (out["errors"][0]["code"].as_str(), out["errors"][0]["path"].as_str()),
            (Some("resources.role"), Some("/default_role"))
        );
        let out = call(json!({"op": "parse_resources", "text": "cpus:1", "role": "x"}));
        assert_eq!(out["errors"][0]["code"], "request.unknown_field");
    }

    #[test]
    fn format_resources_op() {
        let out = call(
            json!({"op": "format_resources", "resources": "cpus:45.55;ports:[10000-20000, 30000-50000];disks:{sda1}"}),
        );
        assert_eq!(out, json!({"ok": true, "text": "cpus:45.55; ports:[10000-20000, 30000-50000]; disks:{sda1}"}));
        let out = call(json!({"op": "format_resources", "resources": [
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 512}, "role": "r"},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": "512.5"}, "reservations": [{"type": "STATIC", "role": "r"}]}]}));
        assert_eq!(out, json!({"ok": true, "text": "mem(r):1024.5"}));
        let out = call(json!({"op": "format_resources", "resources": 3}));
        assert_eq!(
            (out["errors"][0]["code"].as_str(), out["errors"][0]["path"].as_str()),
            (Some("request.type"), Some("/resources"))
        );
    }

    #[test]
    fn resource_math_op() {
        let math =
            |op: &str, l: &str, r: &str| call(json!({"op": "resource_math", "operation": op, "left": l, "right": r}));
        assert_eq!(math("contains", "cpus(role2):1", "cpus(role1):1"), json!({"ok": true, "result": false}));
        assert_eq!(math("equal", "ports:[20-40]", "ports:[20-30, 31-39, 40-40]"), json!({"ok": true, "result": true}));
        let out = math("subtract", "cpus(role1):5;cpus(role2):3", "cpus(role1):1");
        let text = call(json!({"op": "format_resources", "resources": out["resources"]}));
        assert_eq!(text["text"], "cpus(role1):4; cpus(role2):3");
        // Resources::subtract: more than is held leaves nothing, what is not held is ignored,
        // ranges and sets lose only their overlap.
        let text_of =
            |out: Json| call(json!({"op": "format_resources", "resources": out["resources"]}))["text"].clone();
        assert_eq!(text_of(math("subtract", "cpus:1;mem:5", "cpus:2")), "mem:5");
        assert_eq!(text_of(math("subtract", "cpus:1", "cpus(r):1;gpus:1")), "cpus:1");
        assert_eq!(text_of(math("subtract", "ports:[1-10]", "ports:[5-20]")), "ports:[1-4]");
        assert_eq!(text_of(math("subtract", "disks:{a,b}", "disks:{b,c}")), "disks:{a}");
        let out = math("add", "foo:1", "foo:[1-2]");
        assert_eq!(
            (out["errors"][0]["code"].as_str(), out["errors"][0]["path"].as_str()),
            (Some("resources.type_conflict"), Some("/right"))
        );
        let out = math("add", "cpus:1", "cpus(x:1");
        assert_eq!((out["errors"][0]["path"].as_str(), out["errors"][0]["column"].as_u64()), (Some("/right"), Some(7)));
        let out = call(
            json!({"op": "resource_math", "operation": "allocatable_to", "left": "cpus:1;cpus(a):2;cpus(a/bx):3", "role": "a/b"}),
        );
        let text = call(json!({"op": "format_resources", "resources": out["resources"]}));
        assert_eq!(text["text"], "cpus:1; cpus(a):2");
        let out = call(json!({"op": "resource_math", "operation": "allocatable_to", "left": "cpus:1"}));
        assert_eq!(out["errors"][0]["message"], "missing field `role`");
        let out = call(json!({"op": "resource_math", "operation": "add", "left": "cpus:1"}));
        assert_eq!(out["errors"][0]["message"], "missing field `right`");
        let out = call(json!({"op": "resource_math", "operation": "multiply", "left": "", "right": ""}));
        assert_eq!(
            (out["errors"][0]["code"].as_str(), out["errors"][0]["path"].as_str()),
            (Some("request.unknown_variant"), Some("/operation"))
        );
    }

    #[test]
    fn resource_math_keeps_scalars_in_bound() {
        let max = "9007199254740.992";
        let math =
            |op: &str, l: &str, r: &str| call(json!({"op": "resource_math", "operation": op, "left": l, "right": r}));
        // Up to the bound the sum is exact.
        let out = math("add", "cpus:9007199254740", "cpus:0.992");
        assert_eq!(out["resources"][0]["scalar"]["value"].as_f64(), Some(9_007_199_254_740.992));
        // One thousandth more is refused, naming the resource and the sum.
        let out = math("add", &format!("cpus:{max}"), "cpus:0.001");
        assert_eq!(
            out["errors"][0],
            json!({"code": "scalar.out_of_range",
                   "message": "the sum of `cpus` is 9007199254740.993, too large to be held exactly (at most 2^53/1000)",
                   "help": "a scalar amount holds at most 9007199254740.992", "path": "/right"})
        );
        let out = math("add", &format!("cpus(r):{max};mem:1"), &format!("cpus(r):{max}"));
        assert_eq!(out["errors"][0]["code"], "scalar.out_of_range");
        // Different roles do not sum, so each stays in bound.
        let out = math("add", &format!("cpus(a):{max}"), &format!("cpus(b):{max}"));
        assert_eq!(out["ok"], true);
        // subtract, contains and equal cannot leave the bound.
        let out = math("subtract", &format!("cpus:{max}"), &format!("cpus:{max}"));
        assert_eq!(out["resources"], json!([]));
        assert_eq!(math("contains", &format!("cpus:{max}"), "cpus:1")["result"], true);
        assert_eq!(math("equal", &format!("cpus:{max}"), &format!("cpus:{max}"))["result"], true);
        // Reading a list sums like resources: that is refused too, at the list.
        let twice = format!("cpus:{max};cpus:{max}");
        let out = math("subtract", &twice, "cpus:1");
        assert_eq!(
            (out["errors"][0]["code"].as_str(), out["errors"][0]["path"].as_str()),
            (Some("scalar.out_of_range"), Some("/left"))
        );
        assert_eq!(
            out["errors"][0]["message"],
            "the sum of `cpus` is 18014398509481.984, too large to be held exactly (at most 2^53/1000)"
        );
        assert_eq!(math("contains", "cpus:1", &twice)["errors"][0]["path"], "/right");
        let out = call(json!({"op": "parse_resources", "text": twice}));
        assert_eq!(
            (out["errors"][0]["code"].as_str(), out["errors"][0]["path"].as_str()),
            (Some("scalar.out_of_range"), Some("/text"))
        );
        let one = json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": 9_007_199_254_740.992_f64}});
        let out = call(json!({"op": "format_resources", "resources": [one, one]}));
        assert_eq!(out["errors"][0]["path"], "/resources");
    }

    #[test]
    fn parse_attributes_op() {
        let out = call(json!({"op": "parse_attributes", "text": "rack:r1;level:2.5"}));
        assert_eq!(
            out,
            json!({"ok": true, "attributes": [
                {"name": "rack", "type": "TEXT", "text": {"value": "r1"}},
                {"name": "level", "type": "SCALAR", "scalar": {"value": 2.5}}]})
        );
        let out = call(json!({"op": "parse_attributes", "text": "rack:r1\ndisks:{a}"}));
        assert_eq!((out["errors"][0]["line"].as_u64(), out["errors"][0]["column"].as_u64()), (Some(2), Some(7)));
    }
}
