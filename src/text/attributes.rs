//! The agent's `--attributes` text, parsed as Mesos' `Attributes::parse` does
//! (`src/common/attributes.cpp`): items separated by `;` or a newline, each split at its
//! **first** `:` into a name and a Mesos value (`attr1:foo:bar` is the TEXT `foo:bar`); the
//! value is TEXT, SCALAR or RANGES — a SET is refused, as the agent refuses it; an empty
//! name or value, or an item without `:`, is an error.
//!
//! Deliberate differences, for text Mesos would misread rather than refuse: the name is
//! trimmed of surrounding whitespace (Mesos would keep ` zone` in `rack:r1; zone:a` as a
//! name with a leading space, which no constraint could ever name), and an item of only
//! whitespace is skipped like an empty one.

use crate::error::{ParseError, Result, Span};
use crate::model::{Attribute, Attributes, Value};
use crate::text::value::parse_value_at;

const TRIM: &[char] = &[' ', '\t', '\r', '\n'];

/// Parses an agent `--attributes` text, keeping the attributes in order.
///
/// # Errors
/// A [`ParseError`] with the culprit's span: `attributes.syntax` (no `:`), `attributes.name`
/// (empty name), `attributes.value` (empty value), `attributes.type` (a SET), `value.*`.
///
/// ```
/// use offerfit::{parse_attributes, Value};
/// let a = parse_attributes("rack:r1;zone:us-east\nlevel:2.5;ports:[1-10];dn:a:b").unwrap();
/// assert_eq!(a.len(), 5);
/// assert_eq!(a.value("level"), Some(&Value::Scalar(2.5)));
/// assert_eq!(a.value("dn"), Some(&Value::Text("a:b".into())));
/// let e = parse_attributes("disks:{a,b}").unwrap_err();
/// assert_eq!(e.code(), "attributes.type");
/// ```
pub fn parse_attributes(text: &str) -> Result<Attributes> {
    let mut out = Attributes::new();
    let mut start = 0;
    for item in text.split([';', '\n']) {
        if let Some(a) = parse_item(text, item, start)? {
            out.push(a);
        }
        start += item.len() + 1;
    }
    Ok(out)
}

fn parse_item(text: &str, item: &str, base: usize) -> Result<Option<Attribute>> {
    if item.trim_matches(TRIM).is_empty() {
        return Ok(None);
    }
    let help = "write attributes as `name:value`, e.g. `rack:r1;level:2.5`";
    let Some(colon) = item.find(':') else {
        let end = base + item.len();
        let found = match text.get(end..).and_then(|r| r.chars().next()) {
            Some(c) => format!("found `{}`", c.escape_default()),
            None => "found end of input".to_owned(),
        };
        let name = item.trim_matches(TRIM);
        return Err(ParseError::new(
            "attributes.syntax",
            format!("expected `:` and a value after `{name}`, {found}"),
            text,
            Span::new(end, end + 1),
        )
        .with_help(help)
        .into());
    };
    // INVARIANT: `colon` is the byte index of an ASCII `:` in `item`, so this slice and
    // `colon + 1..` below are on char boundaries: the `""` fallbacks are never taken.
    let raw_name = item.get(..colon).unwrap_or("");
    let name = raw_name.trim_matches(TRIM);
    let colon_at = base + colon;
    if name.is_empty() {
        return Err(ParseError::new(
            "attributes.name",
            "expected an attribute name before `:`, found nothing",
            text,
            Span::new(colon_at, colon_at + 1),
        )
        .with_help(help)
        .into());
    }
    let value = item.get(colon + 1..).unwrap_or("");
    let value_at = colon_at + 1;
    if value.trim_matches(' ').is_empty() {
        return Err(ParseError::new(
            "attributes.value",
            format!("expected a value for attribute `{name}`, found nothing"),
            text,
            Span::new(value_at, value_at + value.len()),
        )
        .with_help(help)
        .into());
    }
    let parsed = parse_value_at(text, value, value_at)?;
    if let Value::Set(_) = parsed {
        let lead = value.len() - value.trim_start_matches(' ').len();
        let span = Span::new(value_at + lead, value_at + value.trim_end_matches(' ').len());
        return Err(ParseError::new(
            "attributes.type",
            format!("expected text, a number or ranges as the value of attribute `{name}`, found a set"),
            text,
            span,
        )
        .with_help("Mesos agents refuse SET attributes; write the items as text, e.g. `disks:a,b`")
        .into());
    }
    Ok(Some(Attribute::new(name, parsed)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Ranges;

    fn render(text: &str) -> String {
        parse_attributes(text).unwrap_err().as_parse().unwrap().render()
    }

    #[test]
    fn types_follow_mesos() {
        let a = parse_attributes("cpus:45.55;ports:[10000-20000, 30000-50000];rack:rack1,rack2").unwrap();
        let values: Vec<&Value> = a.iter().map(|x| &x.value).collect();
        assert_eq!(values[0], &Value::Scalar(45.55));
        assert_eq!(values[1], &Value::Ranges(Ranges::from_pairs([(10000, 20000), (30000, 50000)]).unwrap()));
        assert_eq!(values[2], &Value::Text("rack1,rack2".into()));
    }

    #[test]
    fn split_at_the_first_colon_only() {
        let a = parse_attributes("attr1:foo:bar;attr2:baz:qux:").unwrap();
        assert_eq!(a.value("attr1"), Some(&Value::Text("foo:bar".into())));
        assert_eq!(a.value("attr2"), Some(&Value::Text("baz:qux:".into())));
    }

    #[test]
    fn newlines_separate_and_order_is_kept() {
        let a = parse_attributes("rack:r1\nzone:us-east;level:2.5;ports:[1-10]\n").unwrap();
        let names: Vec<&str> = a.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["rack", "zone", "level", "ports"]);
        assert_eq!(parse_attributes("").unwrap().len(), 0);
        assert_eq!(parse_attributes("rack:r1; zone:a").unwrap().value("zone"), Some(&Value::Text("a".into())));
    }

    #[test]
    fn duplicates_are_kept() {
        let a = parse_attributes("dedicated:c1;dedicated:c2").unwrap();
        assert_eq!(a.get_all("dedicated").count(), 2);
    }

    #[test]
    fn errors_point_at_the_culprit() {
        assert_eq!(render("rack"), "rack\n    ^ expected `:` and a value after `rack`, found end of input");
        assert_eq!(render("rack;zone:a"), "rack;zone:a\n    ^ expected `:` and a value after `rack`, found `;`");
        assert_eq!(render("a:1;:x"), "a:1;:x\n    ^ expected an attribute name before `:`, found nothing");
        assert_eq!(render("rack:"), "rack:\n     ^ expected a value for attribute `rack`, found nothing");
        assert_eq!(
            render("rack:r1;disks:{a,b}"),
            "rack:r1;disks:{a,b}\n              ^^^^^ expected text, a number or ranges as the value of attribute `disks`, found a set"
        );
        assert_eq!(render("p:[1-2"), "p:[1-2\n      ^ expected `]` to close the `[`, found end of input");
        let e = parse_attributes("a:1\nb:[3-x]").unwrap_err();
        let p = e.as_parse().unwrap();
        assert_eq!((p.line(), p.column()), (2, 6));
    }
}
