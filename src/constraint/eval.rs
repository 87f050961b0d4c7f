//! Evaluating one constraint: what a candidate agent (or disk) shows for a field, and
//! whether a value satisfies an operator given the group's placements.

use std::cmp::Ordering;

use super::ast::{Arg, Constraint, Dialect, Field, Operator};
use super::candidate::{Candidate, DiskCandidate};
use super::counts::GroupView;
use super::dialect::parse_number;

/// Does the value `v` (`None` = the field is absent; `id` its value id, when known) satisfy
/// `c`, given the group?
pub(crate) fn satisfies(c: &Constraint, v: Option<&str>, id: Option<u32>, group: GroupView<'_>) -> bool {
    let Some(v) = v else {
        // Marathon: only UNLIKE (and our other negative operators) pass on a missing field;
        // mesos-actor: LIKE and UNLIKE alike fail.
        return c.dialect == Dialect::Marathon && c.operator.passes_when_missing();
    };
    let non_empty_value = c.value.as_deref().is_some_and(|x| !x.is_empty());
    match (&c.operator, &c.arg) {
        (Operator::Like, Arg::Regex(re)) => {
            (non_empty_value || c.dialect == Dialect::OpenWhisk) && re.whole_match(v) == Some(true)
        }
        (Operator::Unlike, Arg::Regex(re)) => {
            (non_empty_value || c.dialect == Dialect::OpenWhisk) && re.whole_match(v) == Some(false)
        }
        (Operator::Cluster, Arg::Text(x)) => v == x,
        (Operator::Is, Arg::Text(x)) => v == x,
        (Operator::In, Arg::Set(items)) => items.iter().any(|i| i == v),
        (Operator::NotIn, Arg::Set(items)) => !items.iter().any(|i| i == v),
        (Operator::Exists, _) => true,
        (Operator::NotExists, _) => false,
        (Operator::Lt | Operator::Le | Operator::Gt | Operator::Ge, Arg::Compare(text, number)) => {
            let ord = match (parse_number(v), number) {
                (Some(a), Some(b)) => a.partial_cmp(b),
                _ => Some(v.cmp(text.as_str())),
            };
            match (c.operator, ord) {
                (Operator::Lt, Some(o)) => o == Ordering::Less,
                (Operator::Le, Some(o)) => o != Ordering::Greater,
                (Operator::Gt, Some(o)) => o == Ordering::Greater,
                (Operator::Ge, Some(o)) => o != Ordering::Less,
                _ => false,
            }
        }
        (Operator::Version, Arg::Version(req)) => parse_version(v).is_some_and(|ver| version_matches(req, ver)),
        (Operator::Unique, _) => group.counts.is_some_and(|g| g.count(group.id(v, id)) == 0),
        (Operator::Cluster, _) => {
            group.counts.is_some_and(|g| g.first().map_or(true, |first| first == Some(group.id(v, id))))
        }
        (Operator::MaxPer, Arg::Int(n)) => {
            group.counts.is_some_and(|g| i64::from(g.count(group.id(v, id))) < i64::from(*n))
        }
        (Operator::GroupBy, arg) => {
            let g = match arg {
                Arg::Int(g) => Some(*g),
                _ => None,
            };
            group
                .counts
                .is_some_and(|counts| counts.group_by_accepts(group.id(v, id), g, group.placed, group.instances))
        }
        // Every operator gets its argument from validation; anything else is refused.
        _ => false,
    }
}

impl Constraint {
    /// True when this is a `LIKE` / `UNLIKE` whose regex ran out of backtracking steps
    /// ([`crate::Limits::regex_backtrack`]) on the value `candidate` shows for its field. Such
    /// a match is undecided and the constraint counts as not satisfied (fail closed: one
    /// hostile attribute can neither pass an `UNLIKE` nor abort a whole placement); callers
    /// use this to say so (`limit.regex_backtrack` warnings, unplaced reasons). Re-runs the
    /// match, so call it only for a constraint already found unsatisfied.
    ///
    /// ```
    /// use offerfit::constraint::{parse_constraint, Candidate, ConstraintInput, Dialect, ParseOptions, Parsed};
    /// use offerfit::{Attribute, Attributes, Limits, Value};
    /// let limits = Limits { regex_backtrack: 10_000, ..Limits::default() };
    /// let opts = ParseOptions::new(Dialect::Marathon, None, &limits).unwrap();
    /// let Ok(Parsed::Constraint(c)) = parse_constraint(ConstraintInput::Text(r"rack LIKE (a+)+\1b"), &opts) else { panic!() };
    /// let attrs = Attributes(vec![Attribute { name: "rack".into(), value: Value::Text("a".repeat(5000)) }]);
    /// assert!(c.regex_limit_hit(&Candidate::new("h", &attrs)));
    /// let short = Attributes(vec![Attribute { name: "rack".into(), value: Value::Text("aab".into()) }]);
    /// assert!(!c.regex_limit_hit(&Candidate::new("h", &short)));
    /// ```
    pub fn regex_limit_hit(&self, candidate: &Candidate<'_>) -> bool {
        match (&self.operator, &self.arg) {
            (Operator::Like | Operator::Unlike, Arg::Regex(re)) if re.is_backtracking() => {
                candidate.field_value(&self.field, self.dialect).is_some_and(|v| re.whole_match(&v).is_none())
            }
            _ => false,
        }
    }
}

/// Whether `ver` meets `req` as operators expect of agent attributes: when the requirement
/// names no pre-release, the version's pre-release and build suffix are not part of the
/// comparison (a kernel `5.4.0-42-generic` is a 5.4.0 and meets `>=5.4`; strict semver would
/// rank it below 5.4.0 and refuse it); a requirement that names one (`>=2.0.0-rc1`) compares
/// them as semver does.
fn version_matches(req: &semver::VersionReq, mut ver: semver::Version) -> bool {
    if req.comparators.iter().all(|c| c.pre.is_empty()) {
        ver.pre = semver::Prerelease::EMPTY;
        ver.build = semver::BuildMetadata::EMPTY;
    }
    req.matches(&ver)
}

/// A version as attributes write them: full semver, or `1`, `1.2` padded with zeros, with an
/// optional leading `v`; a suffix that is not semver (`5.4.0-42-generic` is, `4.18.0-305.el8.x86_64`
/// and Java's `1.8.0_292` are not) is dropped, the numeric core kept.
fn parse_version(v: &str) -> Option<semver::Version> {
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    if let Ok(ver) = semver::Version::parse(v) {
        return Some(ver);
    }
    let end = v.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(v.len());
    let (core, rest) = (v.get(..end)?, v.get(end..)?);
    if core.is_empty() || core.ends_with('.') {
        return None;
    }
    let padded = match core.split('.').count() {
        1 => format!("{core}.0.0"),
        2 => format!("{core}.0"),
        3 => core.to_owned(),
        _ => return None,
    };
    semver::Version::parse(&format!("{padded}{rest}")).or_else(|_| semver::Version::parse(&padded)).ok()
}

/// Marathon's persistent-volume constraints (SEMANTICS §1.8, `VolumeConstraints.scala`):
/// only the field `path` with `LIKE` / `UNLIKE` is understood, as a whole-string regex on
/// the disk source's root (`""` for ROOT); any other field or operator is unsatisfied.
///
/// ```
/// use offerfit::constraint::{marathon_volume_constraint_matches, Constraint, DiskCandidate};
/// use offerfit::DiskSourceType;
/// let c: Constraint = "path UNLIKE .+disk-b".parse().unwrap();
/// let d = DiskCandidate { kind: DiskSourceType::Path, root: Some("/path/to/disk-a"), profile: None, vendor: None, metadata: &[] };
/// assert!(marathon_volume_constraint_matches(&c, &d));
/// ```
pub fn marathon_volume_constraint_matches(c: &Constraint, disk: &DiskCandidate<'_>) -> bool {
    match (&c.field, c.operator) {
        (Field::Attribute(name), Operator::Like | Operator::Unlike) if name == "path" => {
            satisfies(c, Some(disk.root.unwrap_or("")), None, GroupView::NONE)
        }
        _ => false,
    }
}

/// Marathon's disk-profile rule (`VolumeProfileMatcher`): a requested profile matches only
/// a disk with exactly that profile; no requested profile matches only a disk without a
/// (non-empty) profile.
///
/// ```
/// use offerfit::constraint::volume_profile_matches;
/// assert!(volume_profile_matches(Some("fast"), Some("fast")));
/// assert!(!volume_profile_matches(Some("fast"), None));
/// assert!(volume_profile_matches(None, None));
/// assert!(volume_profile_matches(Some(""), None));
/// ```
pub fn volume_profile_matches(disk_profile: Option<&str>, required: Option<&str>) -> bool {
    let disk_profile = disk_profile.filter(|p| !p.is_empty());
    match required {
        Some(r) => disk_profile == Some(r),
        None => disk_profile.is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attribute, Attributes, DiskSourceType, Label, Ranges, Set, Value};

    fn c(s: &str) -> Constraint {
        s.parse().unwrap()
    }

    fn attrs() -> Attributes {
        Attributes(vec![
            Attribute { name: "rack".into(), value: Value::Text("r1".into()) },
            Attribute { name: "level".into(), value: Value::Scalar(2.5) },
            Attribute { name: "ports".into(), value: Value::Ranges(Ranges::from_pairs([(5, 9), (1, 2)]).unwrap()) },
            Attribute { name: "gpu".into(), value: Value::Set(Set::from_items(["1", "0"])) },
            Attribute { name: "rack".into(), value: Value::Text("r2".into()) },
            Attribute { name: "jdk".into(), value: Value::Text("1.8.0_292".into()) },
            Attribute { name: "version".into(), value: Value::Text("1.4".into()) },
        ])
    }

    fn eval(s: &str) -> bool {
        let a = attrs();
        let cand = Candidate { hostname: "h1", attributes: &a, region: Some("eu"), zone: None };
        let k = c(s);
        let v = cand.field_value(&k.field, k.dialect);
        satisfies(&k, v.as_deref(), None, GroupView::NONE)
    }

    #[test]
    fn value_operators() {
        assert!(eval("rack LIKE r1"));
        assert!(!eval("rack LIKE r2"), "only the first attribute of a name counts");
        assert!(eval(r"ports LIKE \[1-2,5-9\]"));
        assert!(eval(r"gpu LIKE \{0,1\}"));
        assert!(eval("level IS 2.50"));
        assert!(eval("rack IN {r0,r1}"));
        assert!(!eval("rack NOT_IN {r0,r1}"));
        assert!(eval("missing NOT_IN {r0}"));
        assert!(eval("missing UNLIKE x"));
        assert!(!eval("missing LIKE .*"));
        assert!(eval("missing NOT_EXISTS"));
        assert!(!eval("missing EXISTS"));
        assert!(eval("rack EXISTS"));
        assert!(eval("level > 2"));
        assert!(eval("level <= 2.5"));
        assert!(eval("level < 10"));
        assert!(eval("rack > r0"), "lexical when not both numbers");
        assert!(eval("@region IS eu"));
        assert!(!eval("@zone EXISTS"));
        assert!(eval("hostname LIKE h[0-9]"));
        assert!(eval("version VERSION >=1.2, <2"));
        assert!(!eval("version VERSION ^2"));
        assert!(!eval("rack VERSION >=1"));
        assert!(!eval(r#"rack LIKE """#), "an empty regex never matches a present value");
        assert!(!eval(r#"rack UNLIKE """#));
    }

    #[test]
    fn pre_release_and_build_suffixes_compare_as_operators_expect() {
        let m =
            |req: &str, v: &str| version_matches(&semver::VersionReq::parse(req).unwrap(), parse_version(v).unwrap());
        assert!(m(">=5.4", "5.4.0-42-generic"));
        assert!(m(">=5.4, <5.5", "5.4.0-42-generic+build.7"));
        assert!(!m(">=5.5", "5.4.0-42-generic"));
        assert!(m(">=1.8", "1.8.0_292"));
        assert!(m(">=4.18", "4.18.0-305.el8.x86_64"));
        // A requirement that names a pre-release compares them as semver does.
        assert!(m(">=2.0.0-rc.1", "2.0.0-rc.2"));
        assert!(!m(">=2.0.0-rc.2", "2.0.0-rc.1"));
    }

    #[test]
    fn versions_are_read_leniently() {
        assert_eq!(parse_version("1"), Some(semver::Version::new(1, 0, 0)));
        assert_eq!(parse_version("v1.2"), Some(semver::Version::new(1, 2, 0)));
        assert_eq!(parse_version("1.2.3"), Some(semver::Version::new(1, 2, 3)));
        assert!(parse_version("1.2-rc1").is_some());
        assert_eq!(parse_version("1.8.0_292"), Some(semver::Version::new(1, 8, 0)));
        assert_eq!(parse_version("4.18.0-305.el8.x86_64"), Some(semver::Version::new(4, 18, 0)));
        assert_eq!(parse_version("abc"), None);
        assert_eq!(parse_version("1.2.3.4"), None);
    }

    #[test]
    fn disks() {
        let labels = [Label { key: "replication".into(), value: Some("3".into()) }];
        let d = DiskCandidate {
            kind: DiskSourceType::Path,
            root: Some("/data"),
            profile: Some(""),
            vendor: None,
            metadata: &labels,
        };
        let ev = |s: &str| {
            let k = c(s);
            satisfies(&k, d.field_value(&k.field).as_deref(), None, GroupView::NONE)
        };
        assert!(ev("replication >= 2"));
        assert!(ev("type IS PATH"));
        assert!(ev("path LIKE /data"));
        assert!(ev("profile NOT_EXISTS"));
        assert!(!ev("dedup IS true"));
        let root = DiskCandidate::root();
        assert_eq!(root.field_value(&Field::Attribute("path".into())).as_deref(), Some(""));
        assert_eq!(root.field_value(&Field::Hostname), None);
        assert!(!marathon_volume_constraint_matches(&c("type IS PATH"), &d));
        assert!(marathon_volume_constraint_matches(&c("path LIKE /d.*"), &d));
    }
}
