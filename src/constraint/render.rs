//! How Marathon turns an attribute value into the string its constraints compare
//! (`Constraints.getValueString`, SEMANTICS §1.4):
//!
//! * TEXT → the text;
//! * SCALAR → Java `DecimalFormat("0.###")` with `HALF_EVEN` rounding: at most three fraction
//!   digits, trailing zeros and point dropped, no grouping; the digits are the shortest ones
//!   that read back as the same double, and a tie on those digits is settled by the exact
//!   binary value (JDK 8+), so `1.0005` (just below the tie in binary) gives `1` while
//!   `0.0625` (an exact tie) gives `0.062`;
//! * RANGES → `[1-2,5-9]` (sorted, no spaces, single values still `5-5`);
//! * SET → items sorted as strings, `{0,1}`.

use std::borrow::Cow;

use crate::model::Value;

/// A Mesos attribute value as Marathon's constraints see it.
///
/// ```
/// use offerfit::{constraint::render_value, Ranges, Set, Value};
/// assert_eq!(render_value(&Value::Scalar(7.0)), "7");
/// assert_eq!(render_value(&Value::Ranges(Ranges::from_pairs([(5, 9), (1, 2)]).unwrap())), "[1-2,5-9]");
/// assert_eq!(render_value(&Value::Set(Set::from_items(["1", "0"]))), "{0,1}");
/// ```
pub fn render_value(value: &Value) -> Cow<'_, str> {
    match value {
        Value::Text(t) => Cow::Borrowed(t),
        Value::Scalar(x) => Cow::Owned(render_scalar(*x)),
        Value::Ranges(r) => {
            let parts: Vec<String> = r.iter().map(|x| format!("{}-{}", x.begin, x.end)).collect();
            Cow::Owned(format!("[{}]", parts.join(",")))
        }
        Value::Set(s) => {
            let mut items: Vec<&str> = s.items().iter().map(String::as_str).collect();
            // Java's String.compareTo orders by UTF-16 code units; for the characters Mesos
            // allows in set items (ASCII) that is byte order.
            items.sort_unstable();
            Cow::Owned(format!("{{{}}}", items.join(",")))
        }
    }
}

/// Java `new DecimalFormat("0.###")` (rounding `HALF_EVEN`) applied to a double.
///
/// ```
/// use offerfit::constraint::render_scalar;
/// assert_eq!(render_scalar(1.0), "1");
/// assert_eq!(render_scalar(2.50), "2.5");
/// assert_eq!(render_scalar(1.0005), "1");
/// assert_eq!(render_scalar(1.00051), "1.001");
/// ```
pub fn render_scalar(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    let negative = x.is_sign_negative();
    let sign = if negative { "-" } else { "" };
    if x.is_infinite() {
        return format!("{sign}\u{221e}");
    }
    let a = x.abs();
    if a == 0.0 {
        return format!("{sign}0");
    }
    // Shortest round-trip digits: `d.ddddde<exp>`.
    let sci = format!("{a:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    // The decimal point sits after `point` digits (may be negative or beyond the digits).
    let mut point = exp + 1;
    let keep = point + 3;
    if keep < 0 {
        return format!("{sign}0");
    }
    // INVARIANT: `keep ≥ 0` here, so it fits a usize; and `keep_len < digits.len()` below,
    // so `digits[keep_len]` exists: neither fallback is taken.
    let keep_len = usize::try_from(keep).unwrap_or(usize::MAX);
    if keep_len < digits.len() {
        let first_dropped = digits.get(keep_len).copied().unwrap_or(0);
        let rest_nonzero = digits.get(keep_len + 1..).is_some_and(|r| r.iter().any(|&d| d != 0));
        let round_up = match first_dropped.cmp(&5) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal if rest_nonzero => true,
            std::cmp::Ordering::Equal => match exact_vs_tie(a) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Equal => keep_len > 0 && digits.get(keep_len - 1).is_some_and(|d| d % 2 == 1),
            },
        };
        digits.truncate(keep_len);
        if round_up {
            let mut i = digits.len();
            loop {
                if i == 0 {
                    digits.insert(0, 1);
                    point += 1;
                    break;
                }
                i -= 1;
                if let Some(d) = digits.get_mut(i) {
                    if *d == 9 {
                        *d = 0;
                    } else {
                        *d += 1;
                        break;
                    }
                }
            }
        }
    }
    // Lay the digits out around the point.
    let mut int_part = String::new();
    let mut frac_part = String::new();
    if point <= 0 {
        int_part.push('0');
        for _ in 0..(-point) {
            frac_part.push('0');
        }
        frac_part.extend(digits.iter().map(|d| char::from(b'0' + d)));
    } else {
        let p = usize::try_from(point).unwrap_or(0);
        for i in 0..p.max(digits.len()) {
            let d = char::from(b'0' + digits.get(i).copied().unwrap_or(0));
            if i < p {
                int_part.push(d);
            } else {
                frac_part.push(d);
            }
        }
    }
    let frac = frac_part.trim_end_matches('0');
    let int = int_part.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// Compares the exact binary value of `a` (positive, finite) with the tie `k.xxx5` whose
/// first three fraction digits are those of `a`: only called when the shortest digits of `a`
/// end exactly at that tie.
fn exact_vs_tie(a: f64) -> std::cmp::Ordering {
    // Every finite double has a finite decimal expansion with at most 1074 fraction digits;
    // with that precision the formatting is exact, no rounding involved.
    let exact = format!("{a:.1074}");
    let frac = exact.split_once('.').map_or("", |(_, f)| f);
    let tail = frac.get(3..).unwrap_or("");
    let mut chars = tail.bytes();
    match chars.next() {
        Some(b'5') => {
            if chars.any(|c| c != b'0') {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        }
        Some(d) if d > b'5' => std::cmp::Ordering::Greater,
        _ => std::cmp::Ordering::Less,
    }
}

/// A value written in a constraint, as `IS` (and `IN`) compare it: Marathon re-renders a
/// value that whole-matches `[0-9]+(\.[0-9]+)?` with the scalar formatter, so `1.0`, `1` and
/// `1.0005` all compare as `1`.
pub(crate) fn normalize_is_value(v: &str) -> Cow<'_, str> {
    let (int, frac) = match v.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (v, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(int) && frac.map_or(true, digits) {
        match v.parse::<f64>() {
            Ok(x) => Cow::Owned(render_scalar(x)),
            Err(_) => Cow::Borrowed(v),
        }
    } else {
        Cow::Borrowed(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Ranges, Set};

    #[test]
    fn decimal_format_cases() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (2.50, "2.5"),
            (1.0005, "1"),
            (1.00051, "1.001"),
            (0.0625, "0.062"),
            (0.1875, "0.188"),
            (2.0625, "2.062"),
            (0.0005, "0.001"),
            (0.0004, "0"),
            (0.00005, "0"),
            (0.9995, "1"),
            (0.99951, "1"),
            (9.9999, "10"),
            (45.55, "45.55"),
            (1e23, "100000000000000000000000"),
            (123456789.125, "123456789.125"),
            (0.001, "0.001"),
            (1.2345, "1.234"),
            (1.2355, "1.236"),
            (-1.5, "-1.5"),
            (-0.0001, "-0"),
            (-0.0, "-0"),
            (0.0, "0"),
        ];
        for (x, want) in cases {
            assert_eq!(render_scalar(*x), *want, "{x}");
        }
        assert_eq!(render_scalar(f64::NAN), "NaN");
        assert_eq!(render_scalar(f64::INFINITY), "\u{221e}");
    }

    #[test]
    fn values_render_like_marathon() {
        assert_eq!(render_value(&Value::Text("r1".into())), "r1");
        assert_eq!(render_value(&Value::Ranges(Ranges::from_pairs([(5, 5)]).unwrap())), "[5-5]");
        assert_eq!(render_value(&Value::Ranges(Ranges::new())), "[]");
        assert_eq!(render_value(&Value::Set(Set::from_items(["b", "a", "c"]))), "{a,b,c}");
        assert_eq!(render_value(&Value::Set(Set::new())), "{}");
    }

    #[test]
    fn is_values_are_normalized_only_when_numeric() {
        assert_eq!(normalize_is_value("1.0"), "1");
        assert_eq!(normalize_is_value("1.0005"), "1");
        assert_eq!(normalize_is_value("1.0001"), "1");
        assert_eq!(normalize_is_value("007"), "7");
        assert_eq!(normalize_is_value("1."), "1.");
        assert_eq!(normalize_is_value(".5"), ".5");
        assert_eq!(normalize_is_value("a1"), "a1");
        assert_eq!(normalize_is_value("1e3"), "1e3");
    }
}
