//! Placement constraints: parsed once into an AST with spans, compiled once (regexes
//! included), evaluated fast against a candidate agent (or disk) and the placements of the
//! task's group.
//!
//! # The language
//!
//! A constraint is `field OPERATOR [value]`, written as text (`"rack LIKE r[12]"`), as
//! Marathon's array (`["rack", "GROUP_BY", "3"]`) or as an object (`{"field", "operator",
//! "value"}`). In the Marathon dialect the text's value is the rest of the string after the
//! operator, trimmed. A field or value may be written in double quotes when it is empty, has
//! spaces around it (a field: anywhere) or starts with a quote (`rack LIKE ""`,
//! `"my rack" IS a`); inside quotes `\"` is a quote and `\\` a backslash, and any other
//! backslash is kept as written, so regex escapes such as `"\[6-7\]"` need no doubling.
//! `Display` prints the canonical text, which parses back to an equal constraint.
//!
//! Fields: `hostname` / `@hostname`, `@region`, `@zone` (the offer's fault domain), and any
//! other name is the first agent attribute of that name. Attribute values are compared as
//! Marathon renders them ([`render_value`]): TEXT as is, SCALAR with Java's
//! `DecimalFormat("0.###")` (`7.0` → `7`), RANGES as `[1-2,5-9]`, SET as sorted `{0,1}`.
//!
//! | operator | value | satisfied when the candidate's value *v* … |
//! | --- | --- | --- |
//! | `UNIQUE` | none | is not the value of any placement of the group |
//! | `CLUSTER` | optional | equals the value; without one, equals the first placement's (anything if none) |
//! | `GROUP_BY` | optional integer *g* | keeps the group spread evenly (below) |
//! | `MAX_PER` | integer *n* | is the value of fewer than *n* placements |
//! | `LIKE` / `UNLIKE` | Java regex | matches / does not match it as a whole (an empty regex: never satisfied) |
//! | `IS` | Mesos text or number | equals it (`1.0` is read as `1`, as Marathon does) |
//! | `IN` / `NOT_IN` | set `{a,b}` | is / is not one of the items |
//! | `EXISTS` / `NOT_EXISTS` | none | the field is present / absent |
//! | `<` `<=` `>` `>=` | number or text | compares numerically when both sides are numbers, else by bytes |
//! | `VERSION` | semver requirement (`>=1.2, <2`) | is a version (`1.4`, `v2`, `1.2.3-rc1`) meeting it |
//!
//! A missing field fails every operator except the negative ones (`UNLIKE`, `NOT_IN`,
//! `NOT_EXISTS`), as Marathon does for `UNLIKE`. Operator names are case-insensitive.
//! Values are validated as Marathon's `SchedulingValidation` does (SEMANTICS §1.2): no value
//! for `UNIQUE`; an integer or nothing for `GROUP_BY`; an integer for `MAX_PER`; a valid regex
//! for `LIKE` / `UNLIKE`; only `[a-zA-Z0-9_/.-]` for `IS`.
//!
//! ## GROUP_BY
//!
//! With a value *g* ≥ 1 the rule is Marathon's at the reference snapshot (SEMANTICS §1.6): with
//! *N* the group's target size ([`GroupState::new`]'s `instances`; when unknown, the number
//! of placements plus one), `per = N div g`, `rem = N mod g` and `consumed = Σ max(0, c(x) −
//! per)`, a value already used is accepted iff `c(v) < per`, or `c(v) == per` and `rem >
//! consumed`; a new value iff fewer than *g* groups exist (placements lacking the field form
//! one more group). Without a value (or with *g* ≤ 0, which the snapshot would divide by) the
//! rule is Marathon's before PR #7206, which its documentation still describes: a new value
//! is accepted, a used one iff its count is the smallest group count — balance over the
//! values seen so far.
//!
//! # Dialect `openwhisk`
//!
//! OpenWhisk's `whisk.mesos.constraints` strings ([`Dialect::OpenWhisk`]): split by the
//! delimiter (a Java regex, default `" "`) with Java's `String.split` rules, exactly three
//! non-empty fields, and only `LIKE` / `UNLIKE` (case-sensitive); other operators are left
//! out with a [`Warning`], as OpenWhisk drops them. Evaluation follows mesos-actor: a missing
//! attribute fails `LIKE` and `UNLIKE` alike, only TEXT values are seen (others read as
//! `""`), and `hostname` is an ordinary attribute name.
//!
//! # Disks
//!
//! The same language evaluated against a disk ([`DiskCandidate`], [`Target::Disk`]): fields
//! `type`, `path`, `profile`, `vendor` and the disk's metadata labels
//! (`storage_type IS ssd`, `replication >= 2`). Marathon's own volume rules are
//! [`marathon_volume_constraint_matches`] and [`volume_profile_matches`].
//!
//! # Evaluation
//!
//! A task's constraints are compiled into [`CompiledConstraints`]; the placements of its
//! group live in a [`GroupState`] of per-value counters, so checking a candidate costs O(1)
//! per constraint whatever the number of placements:
//!
//! ```
//! use offerfit::constraint::{parse_constraint, Candidate, CompiledConstraints, ConstraintInput,
//!     GroupState, ParseOptions, Parsed};
//! use offerfit::parse_attributes;
//!
//! let opts = ParseOptions::default();
//! let hard: Vec<_> = ["rack GROUP_BY 2", "hostname UNIQUE"]
//!     .iter()
//!     .filter_map(|t| match parse_constraint(ConstraintInput::Text(t), &opts) {
//!         Ok(Parsed::Constraint(c)) => Some(c),
//!         _ => None,
//!     })
//!     .collect();
//! let cc = CompiledConstraints::new(hard, vec![]);
//! let mut group = GroupState::for_constraints(&cc, Some(4));
//! let (r1, r2) = (parse_attributes("rack:r1").unwrap(), parse_attributes("rack:r2").unwrap());
//! group.record(&Candidate::new("a", &r1));
//! group.record(&Candidate::new("b", &r1));
//! // Two of four on r1: the next goes to r2, and never onto a host already used.
//! assert_eq!(cc.check(&Candidate::new("c", &r1), &group).unwrap_err().index, 0);
//! assert!(cc.check(&Candidate::new("c", &r2), &group).is_ok());
//! assert_eq!(cc.check(&Candidate::new("a", &r2), &group).unwrap_err().index, 1);
//! ```

mod ast;
mod candidate;
mod compile;
mod counts;
mod dialect;
mod eval;
mod regex;
mod render;

pub use ast::{Constraint, ConstraintSpans, Dialect, Field, Operator, Target};
pub use candidate::{Candidate, DiskCandidate};
pub use compile::{CompiledConstraints, FailedConstraint, FieldValues, Preference};
pub use counts::GroupState;
pub(crate) use counts::{FieldCounts, GroupRef, ValueIds};
pub use dialect::{
    parse_constraint, ConstraintError, ConstraintInput, ParseOptions, Parsed, Part, Warning, DEFAULT_DELIMITER,
};
pub use eval::{marathon_volume_constraint_matches, volume_profile_matches};
pub use regex::{JavaRegex, RegexError};
pub use render::{render_scalar, render_value};

/// Parses a constraint text in the Marathon dialect with default limits.
impl std::str::FromStr for Constraint {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Constraint, crate::Error> {
        match parse_constraint(ConstraintInput::Text(s), &ParseOptions::default()) {
            Ok(Parsed::Constraint(c)) => Ok(c),
            // The Marathon dialect ignores nothing; keep the warning as an error anyway.
            Ok(Parsed::Ignored(w)) => Err(crate::Error::invalid(w.code, w.message)),
            Err(e) => Err(e.error),
        }
    }
}
