//! Mesos offer constraints (scheduler.proto, `OfferConstraints`, Mesos 1.11+) compiled from the
//! hard constraints that every pending task shares, so that the master stops offering agents
//! the framework would only decline (opt-in: `session.offer_constraints`).
//!
//! Only constraints whose Mesos predicate admits at least every agent offerfit admits are
//! sent (the master's filter may let more through, never fewer): `LIKE` / `UNLIKE` whose regex
//! the `regex` crate (RE2 syntax) reads, as `text_matches` / `text_not_matches` (the master
//! full-matches with RE2 and lets non-TEXT attributes pass:
//! src/master/allocator/mesos/offer_constraints_filter.cpp); `CLUSTER value` as `text_equals`;
//! `EXISTS` / `NOT_EXISTS`. Placement-dependent operators (`UNIQUE`, `GROUP_BY`, `MAX_PER`,
//! `CLUSTER` without a value) and comparisons never are.

use serde_json::{json, Map, Value as Json};

use crate::constraint::{parse_constraint, Field, Operator, ParseOptions, Parsed};
use crate::limits::Limits;
use crate::model::TaskRequest;

/// One task's constraints as Mesos `AttributeConstraint`s (those that translate).
fn translate(task: &TaskRequest, limits: &Limits) -> Vec<Json> {
    let Ok(opts) = ParseOptions::new(task.dialect, None, limits) else { return Vec::new() };
    let mut out = Vec::new();
    for spec in &task.constraints {
        let Ok(Parsed::Constraint(c)) = parse_constraint(spec.as_input(), &opts) else { continue };
        let selector = match c.field() {
            Field::Hostname => json!({"pseudoattribute_type": "HOSTNAME"}),
            Field::Region => json!({"pseudoattribute_type": "REGION"}),
            Field::Zone => json!({"pseudoattribute_type": "ZONE"}),
            Field::Attribute(name) => json!({ "attribute_name": name }),
        };
        // A regex the engine would compile: within `regex_size` as offerfit charges it (the
        // same on every platform, `Limits::compile_regex`).
        let re2 = |v: &str| !v.is_empty() && limits.compile_regex(v).is_ok();
        let predicate = match (c.operator(), c.value()) {
            (Operator::Like, Some(v)) if re2(v) => json!({"text_matches": {"regex": v}}),
            (Operator::Unlike, Some(v)) if re2(v) => json!({"text_not_matches": {"regex": v}}),
            (Operator::Cluster, Some(v)) if !v.is_empty() => json!({"text_equals": {"value": v}}),
            (Operator::Exists, _) => json!({"exists": {}}),
            (Operator::NotExists, _) => json!({"not_exists": {}}),
            _ => continue,
        };
        let ac = json!({"selector": selector, "predicate": predicate});
        if !out.contains(&ac) {
            out.push(ac);
        }
    }
    out
}

/// The `OfferConstraints` for `roles` from the constraints every task of `pending` shares;
/// `{}` (no constraint) when there is none or nothing is pending.
pub(crate) fn compile(pending: &[TaskRequest], roles: &[String], limits: &Limits) -> Json {
    let mut shared: Option<Vec<Json>> = None;
    for t in pending {
        let mine = translate(t, limits);
        shared = Some(match shared {
            None => mine,
            Some(s) => s.into_iter().filter(|c| mine.contains(c)).collect(),
        });
        if shared.as_ref().is_some_and(Vec::is_empty) {
            break;
        }
    }
    let shared = shared.unwrap_or_default();
    let mut m = Map::new();
    if !shared.is_empty() {
        let mut per_role = Map::new();
        for role in roles {
            per_role.insert(role.clone(), json!({"groups": [{"attribute_constraints": shared}]}));
        }
        m.insert("role_constraints".into(), Json::Object(per_role));
    }
    Json::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ConstraintSpec;

    fn task(id: &str, cs: &[&str]) -> TaskRequest {
        let mut t = TaskRequest::new(id);
        t.constraints = cs.iter().map(|c| ConstraintSpec::text(*c)).collect();
        t
    }

    #[test]
    fn only_shared_translatable_constraints_are_sent() {
        let roles = vec!["web".to_owned()];
        let l = Limits::default();
        let a = task("a", &["rack LIKE r[12]", "hostname UNIQUE", "zone CLUSTER z1"]);
        let b = task("b", &["rack LIKE r[12]", "hostname MAX_PER 2"]);
        let c = compile(&[a.clone(), b], &roles, &l);
        assert_eq!(
            c,
            json!({"role_constraints": {"web": {"groups": [{"attribute_constraints": [
                {"selector": {"attribute_name": "rack"}, "predicate": {"text_matches": {"regex": "r[12]"}}}
            ]}]}}})
        );
        assert_eq!(compile(&[a, task("c", &[])], &roles, &l), json!({}));
        assert_eq!(compile(&[], &roles, &l), json!({}));
        // A regex RE2 cannot read (a look-ahead) is left to offerfit.
        assert_eq!(compile(&[task("d", &["rack LIKE (?!r1).*"])], &roles, &l), json!({}));
    }
}
