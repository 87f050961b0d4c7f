//! The agent's `--resources` text, parsed as Mesos' `Resources::parse(text, defaultRole)`
//! does (`src/common/resources.cpp`):
//!
//! - a text that is a JSON array (it starts with `[`) is the JSON form: an array of Mesos
//!   `Resource` objects; anything else is the text form;
//! - the text form is `name[(role)]:value` items separated by `;`; empty items are skipped;
//!   an item is split on `:` with empty pieces dropped, and must give exactly a head and a
//!   value; the role is what the first `(` and the first `)` enclose; name and role are
//!   trimmed; no role means the default role, and `*` means unreserved (any other role is a
//!   STATIC reservation);
//! - the value is a Mesos value ([`crate::parse_value`]) that must be a SCALAR, RANGES or SET;
//!   scalars keep three decimals and a non-zero amount that rounds to zero is refused;
//! - then Mesos' validation (roles, set items, one type per name) and the agent command line
//!   rules (no dynamic reservations, persistent volumes or revocable resources), and like
//!   resources merge.
//!
//! As Mesos' `fromSimpleString`, text after the role's `)` is ignored (`cpus(r1)x:1` is
//! `cpus(r1):1`). Deliberate differences, refusals of text Mesos would silently misread: a `)`
//! with no `(` in the name is an error, and an item of only whitespace is skipped like an
//! empty one. One addition: a disk source in
//! brackets after the name and role (`disk[PATH:/mnt/path0]:20000`, `disk(r1)[MOUNT:/mnt/d]:5`,
//! `disk[RAW]:1`), as Mesos prints it, is read back (Mesos' text parser reads no brackets and
//! takes such disks only in the JSON form), so printed resources always parse again.
//!
//! Errors carry the span of the culprit in the original text.

use std::collections::BTreeMap;

use crate::error::{Error, ParseError, Result, Span};
use crate::model::{
    validate_role, DiskInfo, DiskSource, DiskSourceType, Reservation, Resource, ResourceName, ResourceValue, Resources,
    Scalar, Value, ValueType,
};
use crate::text::value::parse_value_at;

/// Mesos' `strings::trim` set.
const TRIM: &[char] = &[' ', '\t', '\n', '\r'];

/// Parses an agent `--resources` text (or its JSON array form) with `default_role` for items
/// that name no role (`"*"` = unreserved).
///
/// # Errors
/// A [`ParseError`] with the culprit's span for bad text (`resources.syntax`,
/// `resources.name`, `resources.type`, `resources.scalar`, `resources.role`,
/// `resources.duplicate_item`, `resources.type_conflict`, `resources.command_line`,
/// `resources.json`, `value.*`); `resources.role` without a span for a bad `default_role`.
///
/// ```
/// use offerfit::parse_resources;
/// let r = parse_resources("cpus(*):8; mem(role):1024; ports(*):[31000-32000, 40000-40010]; disks:{a,b}", "*").unwrap();
/// assert_eq!(r.to_string(), "cpus:8; mem(role):1024; ports:[31000-32000, 40000-40010]; disks:{a, b}");
/// let e = parse_resources("cpus(role1:1", "*").unwrap_err();
/// assert_eq!(e.as_parse().unwrap().render(), "cpus(role1:1\n          ^ expected `)` to close the role, found `:`");
/// ```
pub fn parse_resources(text: &str, default_role: &str) -> Result<Resources> {
    validate_role(default_role).map_err(|e| {
        Error::invalid("resources.role", format!("invalid default role: {}", e.message()))
            .with_help("the default role is `*` (unreserved) or a valid role name")
    })?;
    if text.trim_start().starts_with('[') {
        return crate::mesos::read::resources_from_agent_json(text, default_role);
    }
    let mut items: Vec<Resource> = Vec::new();
    let mut types: BTreeMap<ResourceName, ValueType> = BTreeMap::new();
    let mut start = 0;
    for piece in text.split(';') {
        if let Some((r, value_span)) = parse_item(text, piece, start, default_role)? {
            match types.get(&r.name) {
                Some(&first) if first != r.value_type() => {
                    let e = crate::model::resources::type_conflict(&r.name, first, r.value_type());
                    return Err(ParseError::new(e.code(), e.message(), text, value_span)
                        .with_help(e.help().unwrap_or_default())
                        .into());
                }
                Some(_) => {}
                None => {
                    types.insert(r.name.clone(), r.value_type());
                }
            }
            items.push(r);
        }
        start += piece.len() + 1;
    }
    Ok(items.into_iter().collect())
}

/// Parses one resource from its name, value text and role, as Mesos'
/// `Resources::parse(name, value, role)` does (`*` = unreserved, other roles STATIC), and
/// validates it. A zero amount is returned as it is (it vanishes only when added).
///
/// # Errors
/// Value errors point into `value`; `resources.type`, `resources.scalar`, `resources.role`,
/// `resources.name`, `resources.duplicate_item` otherwise.
///
/// ```
/// let r = offerfit::parse_resource("ports", "[10000-20000, 30000-50000]", "*").unwrap();
/// assert_eq!(r.to_string(), "ports:[10000-20000, 30000-50000]");
/// assert_eq!(offerfit::parse_resource("cpus", "1", "a//b").unwrap_err().code(), "resources.role");
/// ```
pub fn parse_resource(name: &str, value: &str, role: &str) -> Result<Resource> {
    let v = parse_value_at(value, value, 0)?;
    let whole = Span::new(0, value.len());
    let rv = resource_value(name, v, value, whole)?;
    let mut r = Resource::new(name, rv);
    validate_role(role)?;
    if role != "*" {
        r.reservations.push(Reservation::static_for(role));
    }
    r.validate()?;
    Ok(r)
}

/// `found `x``, or `found end of input`, for the character at `at`.
fn found_at(text: &str, at: usize) -> String {
    match text.get(at..).and_then(|r| r.chars().next()) {
        Some(c) => format!("found `{c}`"),
        None => "found end of input".to_owned(),
    }
}

fn syntax(text: &str, span: Span, msg: String) -> Error {
    ParseError::new("resources.syntax", msg, text, span).into()
}

/// The span of `part` (a subslice of `text` at `at`) without the surrounding whitespace; an
/// empty part gives a position.
fn trimmed_span(part: &str, at: usize) -> Span {
    let lead = part.len() - part.trim_start_matches(TRIM).len();
    let t = part.trim_matches(TRIM);
    Span::new(at + lead, at + lead + t.len())
}

/// One item `name[(role)]:value` at byte `base` of `text`; `None` for an empty item.
fn parse_item(text: &str, item: &str, base: usize, default_role: &str) -> Result<Option<(Resource, Span)>> {
    if item.trim_matches(TRIM).is_empty() {
        return Ok(None);
    }
    // A reservation stack as Mesos prints it (`cpus(reservations: [(DYNAMIC,r1)]):2`, what
    // `format_resources` prints for dynamic or refined reservations): refused as a whole, with
    // what to do, before the `:` inside it splits the item (an agent's `--resources` never
    // carries dynamic reservations; Mesos' `fromSimpleString` would take the text up to the
    // first `)` as a role and refuse it).
    if let Some(at) = item.find("(reservations:") {
        let start = base + at + 1;
        let end = item.get(at..).and_then(|rest| rest.find("])")).map_or(base + item.len(), |e| base + at + e + 2);
        return Err(ParseError::new(
            "resources.syntax",
            "expected a role in parentheses, found a reservation stack (`reservations: [...]`)",
            text,
            Span::new(start, end.max(start)),
        )
        .with_help(
            "dynamic and refined reservations cannot be given in the agent's text form; give them in the JSON form",
        )
        .into());
    }
    // A disk source in brackets before the value (`disk(role)[MOUNT:/mnt/d1]:100`), as Mesos
    // prints it; it is taken out before the item is split on `:`, since a root may hold `:`.
    let (parts, disk) = split_disk(text, item, base)?;
    // Mesos' `strings::tokenize(item, ":")`: pieces with their offsets, empty ones dropped.
    let mut pieces: Vec<(usize, &str)> = Vec::with_capacity(2);
    for (at, p) in parts {
        let mut at = at;
        for p in p.split(':') {
            if !p.is_empty() {
                pieces.push((at, p));
            }
            at += p.len() + 1;
        }
    }
    let Some(&(head_at, head)) = pieces.first() else {
        let span = trimmed_span(item, base);
        return Err(syntax(text, span, format!("expected `name:value`, found `{}`", item.trim_matches(TRIM)))
            .with_help("write a resource as `cpus:8` or `cpus(role):8`"));
    };
    let head_end = head_at + head.len();
    let stray_close = |close: usize| {
        let at = head_at + close;
        Err(syntax(text, Span::new(at, at + 1), "unexpected `)` without an opening `(`".into())
            .with_help("write the role in parentheses after the name: `cpus(role1):8`"))
    };
    let (name, name_at, role) = match (head.find('('), head.find(')')) {
        (None, None) => (head, head_at, None),
        (None, Some(close)) => return stray_close(close),
        (Some(open), Some(close)) if close < open => return stray_close(close),
        (Some(_), None) => {
            return Err(syntax(
                text,
                Span::new(head_end, head_end + 1),
                format!("expected `)` to close the role, {}", found_at(text, head_end)),
            )
            .with_help("write the role in parentheses after the name: `cpus(role1):8`"));
        }
        (Some(open), Some(close)) => {
            // INVARIANT: `open` and `close` index the ASCII `(` and `)` of `head`, `open <
            // close`: the slices below are on char boundaries and the `""` fallbacks are never
            // taken.
            // Text after the role's `)` is ignored, as Mesos' `Resources::fromSimpleString`
            // (src/common/resources.cpp) takes the name before the first `(` and the role up
            // to the first `)`, and reads nothing else of the part before the `:`.
            let role_at = head_at + open + 1;
            let role = head.get(open + 1..close).unwrap_or("");
            (head.get(..open).unwrap_or(""), head_at, Some((role, role_at)))
        }
    };
    let name_span = trimmed_span(name, name_at);
    let name = name.trim_matches(TRIM);
    if name.is_empty() {
        let at = role.map_or(name_span.start, |(_, role_at)| role_at - 1);
        return Err(ParseError::new(
            "resources.name",
            "expected a resource name, found nothing",
            text,
            Span::new(at, at),
        )
        .with_help("write a resource as `cpus:8` or `cpus(role):8`")
        .into());
    }
    let Some(&(value_at, value)) = pieces.get(1) else {
        let shown = head.trim_matches(TRIM);
        return Err(syntax(
            text,
            Span::new(head_end, head_end + 1),
            format!("expected `:` and a value after `{shown}`, {}", found_at(text, head_end)),
        )
        .with_help("write a resource as `cpus:8` or `cpus(role):8`"));
    };
    if let Some(&(extra_at, _)) = pieces.get(2) {
        let colon = extra_at - 1;
        return Err(syntax(
            text,
            Span::new(colon, colon + 1),
            "expected one `:` between the name and the value, found another `:`".into(),
        )
        .with_help("separate resources with `;`"));
    }
    let value_span = trimmed_span(value, value_at);
    let parsed = parse_value_at(text, value, value_at)?;
    let rv = resource_value(name, parsed, text, value_span)?;
    let mut resource = Resource::new(name, rv);
    let role = match role {
        Some((raw, role_at)) => {
            let span = trimmed_span(raw, role_at);
            let role = raw.trim_matches(TRIM);
            validate_role(role).map_err(|e| ParseError::new("resources.role", e.message(), text, span))?;
            role
        }
        None => default_role,
    };
    if role != "*" {
        resource.reservations.push(Reservation::static_for(role));
    }
    if let Some(source) = disk {
        resource.disk = Some(Box::new(DiskInfo { source: Some(source), ..DiskInfo::default() }));
    }
    resource.validate().map_err(|e| {
        let item_span = trimmed_span(item, base);
        ParseError::new(e.code(), e.message(), text, item_span)
    })?;
    Ok(Some((resource, value_span)))
}

/// Pieces of an item with their byte offsets in the whole text.
type Parts<'t> = Vec<(usize, &'t str)>;

/// The parts of `item` (at byte `base` of `text`) around a disk source in brackets, and the
/// source: `disk[MOUNT:/mnt/d1]:100` gives the parts `disk` and `:100` and a MOUNT source with
/// root `/mnt/d1`. An item without a `[` before its first `:` is returned whole.
///
/// Mesos prints a disk source this way (`operator<<` for `Resource::DiskInfo::Source` in
/// `src/v1/resources.cpp`: `MOUNT` or `PATH` with `:root` when the root is set, `BLOCK`,
/// `RAW`), but its text parser (`Resources::fromSimpleString`) reads no brackets: its TODO
/// there asks for PATH and MOUNT disks in the text form, and until then an agent takes such
/// disks only in the JSON form of `--resources`. offerfit reads the printed source back, so
/// what it prints for any resources an agent may be given parses again to the same
/// resources. The rest of the printed disk info (a persistent volume's id and container
/// path) cannot be given to an agent; such brackets are not read as a source.
fn split_disk<'t>(text: &str, item: &'t str, base: usize) -> Result<(Parts<'t>, Option<DiskSource>)> {
    let first_colon = item.find(':').unwrap_or(item.len());
    let Some(open) = item.find('[').filter(|&open| open < first_colon) else {
        return Ok((vec![(base, item)], None));
    };
    let Some(close) = item.get(open..).and_then(|rest| rest.find(']')).map(|c| open + c) else {
        return Ok((vec![(base, item)], None));
    };
    let inner = item.get(open + 1..close).unwrap_or("");
    let (kind_text, root) = match inner.split_once(':') {
        Some((kind, root)) => (kind, Some(root)),
        None => (inner, None),
    };
    // Only a bracket that holds a source is one: other names with brackets (`gpus[x]:1`) stay
    // names, as Mesos reads them.
    let kind = match (kind_text, root) {
        ("PATH", _) => DiskSourceType::Path,
        ("MOUNT", _) => DiskSourceType::Mount,
        ("BLOCK", None) => DiskSourceType::Block,
        ("RAW", None) => DiskSourceType::Raw,
        _ => return Ok((vec![(base, item)], None)),
    };
    let after = item.get(close + 1..).unwrap_or("");
    // Between `]` and the value's `:` only whitespace: what else Mesos prints there is
    // `{REV}` and `<SHARED>`, neither of which an agent may be given.
    let gap = after.find(':').unwrap_or(after.len());
    let between = after.get(..gap).unwrap_or("");
    if !between.trim_matches(TRIM).is_empty() {
        let span = trimmed_span(between, base + close + 1);
        let shown = between.trim_matches(TRIM);
        let e = syntax(text, span, format!("expected `:` and a value after the disk source, found `{shown}`"));
        return Err(if shown.starts_with("{REV}") || shown.starts_with("<SHARED>") {
            e.with_help("revocable and shared resources cannot be given on the agent command line")
        } else {
            e.with_help("write a disk source as `disk[MOUNT:/mnt/d1]:1000`")
        });
    }
    let source =
        DiskSource { kind, root: root.map(str::to_owned), profile: None, vendor: None, id: None, metadata: Vec::new() };
    let head = item.get(..open).unwrap_or("");
    Ok((vec![(base, head), (base + close + 1, after)], Some(source)))
}

/// A parsed value as a resource value: SCALAR (three decimals; a non-zero amount may not
/// round to zero), RANGES or SET (no item twice); TEXT is refused. `span` is the value in
/// `text`.
fn resource_value(name: &str, v: Value, text: &str, span: Span) -> Result<ResourceValue> {
    let shown = text.get(span.start..span.end).unwrap_or("");
    match v {
        Value::Scalar(x) => {
            let s = Scalar::from_f64(x).map_err(|e| ParseError::new(e.code(), e.message(), text, span))?;
            if s.is_zero() && x != 0.0 {
                return Err(ParseError::new(
                    "resources.scalar",
                    format!("expected an amount of at least 0.001 (or 0), found `{shown}`"),
                    text,
                    span,
                )
                .with_help("Mesos keeps three decimals, so this amount would be lost")
                .into());
            }
            Ok(ResourceValue::Scalar(s))
        }
        Value::Ranges(r) => Ok(ResourceValue::Ranges(r)),
        Value::Set(s) => {
            if let Some(d) = s.first_duplicate() {
                return Err(ParseError::new(
                    "resources.duplicate_item",
                    format!("set item `{d}` of resource `{name}` appears more than once"),
                    text,
                    second_occurrence(text, span, d).unwrap_or(span),
                )
                .with_help("list each item once")
                .into());
            }
            Ok(ResourceValue::Set(s))
        }
        Value::Text(t) => Err(ParseError::new(
            "resources.type",
            format!("expected a number, ranges or a set as the value of `{name}`, found text `{t}`"),
            text,
            span,
        )
        .with_help("resources hold SCALAR (`8`), RANGES (`[31000-32000]`) or SET (`{a,b}`) values")
        .into()),
    }
}

/// The span of the second set item (in `span` of `text`) that reads `item` once spaces are
/// removed, for a caret on the repeated item itself.
fn second_occurrence(text: &str, span: Span, item: &str) -> Option<Span> {
    let value = text.get(span.start..span.end)?;
    let mut seen = 0;
    let mut at = span.start;
    for token in value.split(['{', '}', ',', '\n']) {
        if token.replace(' ', "") == item {
            seen += 1;
            if seen == 2 {
                return Some(trimmed_span(token, at));
            }
        }
        at += token.len() + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ReservationType, ValueType};

    fn render(text: &str) -> String {
        parse_resources(text, "*").unwrap_err().as_parse().unwrap().render()
    }

    #[test]
    fn text_form_follows_mesos() {
        let r = parse_resources("cpus:45.55;ports:[10000-20000, 30000-50000];disks:{sda1}", "*").unwrap();
        assert_eq!(r.to_string(), "cpus:45.55; ports:[10000-20000, 30000-50000]; disks:{sda1}");
        assert_eq!(r.len(), 3);
        assert!(r.iter().all(Resource::is_unreserved));
        let r = parse_resources(" cpus ( role1 ) : 2 ; ;mem:10;", "*").unwrap();
        assert_eq!(r.to_string(), "cpus(role1):2; mem:10");
        let first = r.iter().next().unwrap();
        assert_eq!(first.reservations.first().unwrap().kind, ReservationType::Static);
        assert_eq!(parse_resources("", "*").unwrap().len(), 0);
        assert_eq!(parse_resources("cpus::1", "*").unwrap().to_string(), "cpus:1");
    }

    #[test]
    fn default_role_and_star() {
        let r = parse_resources("cpus:1;mem(*):2", "web").unwrap();
        assert_eq!(r.to_string(), "cpus(web):1; mem:2");
        assert_eq!(parse_resources("cpus:1", "a//b").unwrap_err().code(), "resources.role");
    }

    #[test]
    fn like_resources_merge_and_zero_vanishes() {
        let r = parse_resources("ports:[1-10];ports:[11-20];cpus:1;cpus:2;cpus(r):1;gpus:0;s:{a};s:{b}", "*").unwrap();
        assert_eq!(r.to_string(), "ports:[1-20]; cpus:3; cpus(r):1; s:{a, b}");
        assert_eq!(r.names(), ["ports", "cpus", "s"]);
    }

    #[test]
    fn precision_is_three_decimals() {
        assert_eq!(parse_resources("cpus:1.5011", "*").unwrap().scalar("cpus").millis(), 1501);
        assert_eq!(parse_resources("cpus:1.5015", "*").unwrap().scalar("cpus").millis(), 1502);
        assert_eq!(
            render("cpus:0.00001"),
            "cpus:0.00001\n     ^^^^^^^ expected an amount of at least 0.001 (or 0), found `0.00001`"
        );
    }

    #[test]
    fn syntax_errors_point_at_the_culprit() {
        assert_eq!(
            render("cpus(role1)"),
            "cpus(role1)\n           ^ expected `:` and a value after `cpus(role1)`, found end of input"
        );
        assert_eq!(render("cpus)(role1:1"), "cpus)(role1:1\n    ^ unexpected `)` without an opening `(`");
        assert_eq!(
            render("cpus:1:2"),
            "cpus:1:2\n      ^ expected one `:` between the name and the value, found another `:`"
        );
        assert_eq!(
            render("mem:1;cpus(r;x:1"),
            "mem:1;cpus(r;x:1\n            ^ expected `)` to close the role, found `;`"
        );
        // Mesos reads the role up to the first `)` and ignores the rest of the name part.
        assert_eq!(parse_resources("cpus(r)x:1;mem(a)(b) :2", "*").unwrap().to_string(), "cpus(r):1; mem(a):2");
        assert_eq!(render(":1"), ":1\n  ^ expected `:` and a value after `1`, found end of input");
        assert_eq!(render("(r):1"), "(r):1\n^ expected a resource name, found nothing");
        assert_eq!(render("cpus(a//b):1"), "cpus(a//b):1\n     ^^^^ role `a//b` must not contain `//`");
        assert_eq!(render("cpus():1"), "cpus():1\n     ^ expected a role name, found nothing");
    }

    #[test]
    fn values_must_fit_resources() {
        assert_eq!(
            render("foo:abc"),
            "foo:abc\n    ^^^ expected a number, ranges or a set as the value of `foo`, found text `abc`"
        );
        assert_eq!(
            render("cpus:-1"),
            "cpus:-1\n     ^^ expected a number, ranges or a set as the value of `cpus`, found text `-1`"
        );
        assert_eq!(
            render("disks:{a, a}"),
            "disks:{a, a}\n          ^ set item `a` of resource `disks` appears more than once"
        );
        assert_eq!(parse_resources("ports:[5-3]", "*").unwrap_err().code(), "value.reversed");
        assert_eq!(
            render("a:1; ports:[1-2b]"),
            "a:1; ports:[1-2b]\n              ^^ expected a non-negative integer, found `2b`"
        );
    }

    #[test]
    fn one_name_one_type() {
        assert_eq!(
            render("foo(role1):1;foo(role2):[0-1]"),
            "foo(role1):1;foo(role2):[0-1]\n                        ^^^^^ resource `foo` is a SCALAR and a RANGES: one name must keep one type"
        );
    }

    #[test]
    fn json_form() {
        let r = parse_resources(
            r#"[{"name":"cpus","type":"SCALAR","scalar":{"value":45.55},"reservations":[{"type":"STATIC","role":"role1"}]}]"#,
            "*",
        )
        .unwrap();
        assert_eq!(r.to_string(), "cpus(role1):45.55");
        let r = parse_resources(r#" [{"name":"bugs","type":"SET","set":{"item":["a"]}}]"#, "dev").unwrap();
        assert_eq!(r.to_string(), "bugs(dev):{a}");
        assert_eq!(parse_resources("[]", "*").unwrap().len(), 0);
    }

    #[test]
    fn many_items_merge_by_name() {
        let text: String =
            (0..6000).map(|i| format!("r{}({}):1;", i % 3000, if i % 2 == 0 { "*" } else { "a" })).collect();
        let r = parse_resources(&text, "*").unwrap();
        assert_eq!(r.len(), 3000, "i and i + 3000 share a name and a role");
        assert_eq!(r.scalar("r7").millis(), 2000);
        assert_eq!(r.add(&r).scalar("r7").millis(), 4000);
        assert!(r.add(&r).contains(&r) && r.subtract(&r).unwrap().is_empty());
    }

    #[test]
    fn single_resource() {
        let r = parse_resource("disks", "{sda1}", "*").unwrap();
        assert_eq!(r.value_type(), ValueType::Set);
        let r = parse_resource("cpus", "2", "eng").unwrap();
        assert_eq!(r.to_string(), "cpus(eng):2");
        assert_eq!(parse_resource("cpus", "x", "*").unwrap_err().code(), "resources.type");
        assert_eq!(parse_resource("", "1", "*").unwrap_err().code(), "resources.name");
    }
}
