//! Strict JSON reading: like `serde_json::from_str::<Value>`, but an object with a duplicate
//! key is refused (the contract says so: the last-wins rule of most parsers silently loses
//! data), and syntax errors come back with a span and a caret.
//!
//! The floor above `model` and below `mesos` and `wire`: errors are [`ParseError`]s about the
//! request text; the contract turns them into its own error objects.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

use crate::error::{Error, ParseError, Span};
use crate::limits::{container_limit, pointer, LimitKind, Limits, Segment, MAX_JSON_DEPTH};

/// Why a request text was not read: it is not strict JSON, or it is but goes over a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Not strict JSON (syntax, a duplicate key, nesting beyond `json_depth`): an error about
    /// the text, with the span of the culprit.
    Text(Box<ParseError>),
    /// Strict JSON, but a limit is exceeded: the first one in document order (as
    /// [`Limits::check_json`] would find it on the parsed value) and the JSON pointer of the
    /// culprit.
    Limit(Error, String),
}

/// Reads a request text into a value, refusing what is not strict JSON and checking the
/// limits the JSON shows while it is read: nesting, the length of every string and key, the
/// count of every array and object ([`container_limit`]) and the number of values. Over a
/// limit, reading goes on without keeping anything (to report the same first error, with its
/// exact count, as [`Limits::check_json`] would), so memory stays bounded by the limits
/// whatever the text holds: time is linear in the text, and an object's duplicate key is
/// found by hashing.
///
/// # Errors
/// [`ReadError::Text`] for text that is not strict JSON (it wins over a limit), else
/// [`ReadError::Limit`].
///
/// ```
/// use offerfit::json::{read, ReadError};
/// let limits = offerfit::Limits { offers: 2, ..Default::default() };
/// assert!(read(r#"{"op":"place","offers":[{},{}]}"#, &limits).is_ok());
/// let Err(ReadError::Limit(e, path)) = read(r#"{"op":"place","offers":[{},{},{}]}"#, &limits) else { panic!() };
/// assert_eq!((e.to_string().as_str(), path.as_str()), ("too many offers: found 3, the limit `offers` is 2", "/offers"));
/// ```
pub fn read(text: &str, limits: &Limits) -> Result<Json, ReadError> {
    // A text long enough to hold more values than `json_values` (a value and its comma take
    // two bytes at least) is counted first, at scanning speed: when it holds more, its value
    // can only be refused, so none of it is built (issue 20: 1,000,000 values of an 11.6 MB
    // request were built before the refusal, 0.5 s and 180 MB).
    let over = text.len() / 2 >= limits.json_values && count_values(text.as_bytes()) > limits.json_values;
    match read_keeping(text, limits, !over) {
        // Never expected (the count is exact for valid JSON), but should it ever be wrong,
        // read again keeping the value.
        Ok(None) => read_keeping(text, limits, true).map(Option::unwrap_or_default),
        other => other.map(Option::unwrap_or_default),
    }
}

/// [`read`], building the value only when `keep`; `Ok(None)` when nothing was built and no
/// limit was exceeded.
fn read_keeping(text: &str, limits: &Limits, keep: bool) -> Result<Option<Json>, ReadError> {
    let reader = Reader::new(limits);
    reader.keeping.set(keep);
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Seed { reader: &reader, depth: 0 }.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match value {
        Err(e) => Err(ReadError::Text(Box::new(json_error(text, &e)))),
        Ok(v) => match reader.found.into_inner() {
            Some(found) => Err(ReadError::Limit(found.error, found.path)),
            None => Ok(keep.then_some(v)),
        },
    }
}

/// How many values (strings that are not keys, numbers, literals, arrays, objects) the JSON
/// text `b` holds: exact for valid JSON (what [`Reader::count`] counts), a rough count of
/// anything else. One walk of the bytes: a string is a key when a `:` follows it; a run of
/// other bytes up to a structural byte or a blank is one number or literal.
fn count_values(b: &[u8]) -> usize {
    let blank = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let mut values = 0usize;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        i += 1;
        match c {
            b'"' => {
                while let Some(&d) = b.get(i) {
                    i += if d == b'\\' { 2 } else { 1 };
                    if d == b'"' {
                        break;
                    }
                }
                let next = b.get(i..).unwrap_or_default().iter().copied().find(|&d| !blank(d));
                values += usize::from(next != Some(b':'));
            }
            b'[' | b'{' => values += 1,
            b']' | b'}' | b',' | b':' => {}
            _ if blank(c) => {}
            _ => {
                values += 1;
                while b
                    .get(i)
                    .is_some_and(|&d| !blank(d) && !matches!(d, b'"' | b'[' | b']' | b'{' | b'}' | b',' | b':'))
                {
                    i += 1;
                }
            }
        }
    }
    values
}

/// Why a value given by another deserializer than the JSON text reader (a JavaScript object
/// through `serde-wasm-bindgen`, say) was not read.
#[derive(Debug)]
pub enum ValueError<E> {
    /// A limit is exceeded: the first one in the value's order (nesting beyond `json_depth`
    /// included), as [`Limits::check_json`] reports it, and the JSON pointer of the culprit.
    Limit(Error, String),
    /// The deserializer's own error: a value JSON cannot hold (a non-finite number is refused
    /// as `expected a finite number, found \`NaN\``).
    Source(E),
}

/// [`read`] for a value from any serde deserializer: the limits are counted while the value
/// is read, so a host that hands over a value rather than text (the JavaScript package's typed
/// functions take objects) never builds more of it than the limits allow; past a limit nothing
/// more is kept and the value is read on only to report the first error with its exact count.
///
/// # Errors
/// [`ValueError::Limit`] past a limit, [`ValueError::Source`] for the deserializer's errors.
///
/// ```
/// use offerfit::json::{read_value, ValueError};
/// let limits = offerfit::Limits { offers: 2, ..Default::default() };
/// let value = serde_json::json!({"op": "place", "offers": [{}, {}, {}]});
/// let Err(ValueError::Limit(e, path)) = read_value(value, &limits) else { panic!() };
/// assert_eq!((e.code(), path.as_str()), ("limit.offers", "/offers"));
/// ```
pub fn read_value<'de, D: Deserializer<'de>>(d: D, limits: &Limits) -> Result<Json, ValueError<D::Error>> {
    let reader = Reader::new(limits);
    let value = Seed { reader: &reader, depth: 0 }.deserialize(d);
    if let Some((e, path)) = reader.too_deep.into_inner() {
        return Err(ValueError::Limit(e, path));
    }
    let value = value.map_err(ValueError::Source)?;
    match reader.found.into_inner() {
        Some(found) => Err(ValueError::Limit(found.error, found.path)),
        None => Ok(value),
    }
}

/// Parses JSON text, refusing duplicate keys, trailing characters and nesting beyond the
/// default [`Limits::json_depth`], with the error's position as a span. No other limit
/// applies (see [`read`] for a request).
///
/// # Errors
/// A [`ParseError`] about `text` with code `request.json` (or `request.duplicate_key`,
/// `limit.json_depth`) and the span of the culprit.
///
/// ```
/// let e = offerfit::json::parse_strict(r#"{"a":1,"a":2}"#).unwrap_err();
/// assert_eq!((e.code, e.message.as_str()), ("request.duplicate_key", "invalid JSON: duplicate key `a`"));
/// ```
pub fn parse_strict(text: &str) -> Result<Json, Box<ParseError>> {
    parse_strict_with_depth(text, Limits::DEFAULT.json_depth)
}

/// [`parse_strict`] with nesting bounded by `max_depth` containers (`{}` is 1 deep); serde_json
/// refuses more than 127 on its own whatever `max_depth` says.
///
/// # Errors
/// As [`parse_strict`].
pub fn parse_strict_with_depth(text: &str, max_depth: usize) -> Result<Json, Box<ParseError>> {
    let unbounded = Limits {
        json_depth: max_depth,
        request_bytes: usize::MAX,
        offers: usize::MAX,
        tasks: usize::MAX,
        running: usize::MAX,
        constraints_per_task: usize::MAX,
        ranges_per_resource: usize::MAX,
        list_items: usize::MAX,
        json_values: usize::MAX,
        string_bytes: usize::MAX,
        regex_size: usize::MAX,
        regex_backtrack: usize::MAX,
    };
    match read(text, &unbounded) {
        Ok(v) => Ok(v),
        Err(ReadError::Text(p)) => Err(p),
        // Unreachable with no bound but the depth, which is a text error; kept total.
        Err(ReadError::Limit(e, _)) => Err(Box::new(ParseError::new(e.code(), e.message(), text, Span::new(0, 0)))),
    }
}

/// One step of the path to the value being read; keys are owned (they move into the map
/// once their value is read).
enum Step {
    Key(String),
    Index(usize),
}

/// The first limit exceeded: where in document order (the value's number, then 0 for a key,
/// 1 for the value count, 2 for a string's length or a container's count), the error, the
/// pointer.
struct Found {
    at: (usize, u8),
    error: Error,
    path: String,
}

/// The state of one [`read`].
struct Reader {
    limits: Limits,
    /// Values read so far (the number of the one being read).
    values: Cell<usize>,
    /// Whether values are still built: false once a limit is known to be exceeded.
    keeping: Cell<bool>,
    path: RefCell<Vec<Step>>,
    found: RefCell<Option<Found>>,
    /// Nesting beyond `json_depth`, and where (a text reader reports it as a text error).
    too_deep: RefCell<Option<(Error, String)>>,
}

impl Reader {
    fn new(limits: &Limits) -> Reader {
        Reader {
            limits: *limits,
            values: Cell::new(0),
            keeping: Cell::new(true),
            path: RefCell::new(Vec::new()),
            found: RefCell::new(None),
            too_deep: RefCell::new(None),
        }
    }

    /// The JSON pointer of the value being read.
    fn pointer(&self) -> String {
        let path = self.path.borrow();
        let segments: Vec<Segment<'_>> = path
            .iter()
            .map(|s| match s {
                Step::Key(k) => Segment::Key(k),
                Step::Index(i) => Segment::Index(*i),
            })
            .collect();
        pointer(&segments)
    }

    /// Records `kind` exceeded with `found` at `at`, unless an earlier one is recorded; from
    /// then on nothing is kept.
    fn exceeded(&self, at: (usize, u8), kind: LimitKind, found: usize) {
        self.keeping.set(false);
        let mut slot = self.found.borrow_mut();
        if slot.as_ref().is_some_and(|f| f.at <= at) {
            return;
        }
        *slot = Some(Found { at, error: self.limits.exceeded(kind, found), path: self.pointer() });
    }

    /// Counts one more value; returns its number. Only the first value past `json_values`
    /// is recorded: a later one can never come first in document order (16 MiB of `[1,1,…]`
    /// called [`Reader::exceeded`] for each of its ~7.4 M values past the limit, 5.7% of its
    /// refusal by callgrind).
    fn count(&self) -> usize {
        let n = self.values.get() + 1;
        self.values.set(n);
        if n == self.limits.json_values.saturating_add(1) {
            self.exceeded((n, 1), LimitKind::JsonValues, n);
        }
        n
    }
}

/// Reads one value `depth` containers deep.
#[derive(Clone, Copy)]
struct Seed<'r> {
    reader: &'r Reader,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Json;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'r> Seed<'r> {
    /// The seed for the elements of a container opened at this level; refuses to open one
    /// beyond `json_depth`.
    fn nested<E: de::Error>(self) -> Result<Seed<'r>, E> {
        let depth = self.depth + 1;
        let max_depth = self.reader.limits.json_depth;
        if depth > max_depth {
            let limits = Limits { json_depth: max_depth, ..Limits::DEFAULT };
            let e = limits.exceeded(LimitKind::JsonDepth, depth);
            let message = e.message().to_owned();
            let mut slot = self.reader.too_deep.borrow_mut();
            if slot.is_none() {
                *slot = Some((e, self.reader.pointer()));
            }
            return Err(E::custom(message));
        }
        Ok(Seed { reader: self.reader, depth })
    }

    fn string(self, v: &str) -> usize {
        let n = self.reader.count();
        if v.len() > self.reader.limits.string_bytes {
            self.reader.exceeded((n, 2), LimitKind::StringBytes, v.len());
        }
        n
    }

    fn scalar(self, v: Json) -> Json {
        self.reader.count();
        if self.reader.keeping.get() {
            v
        } else {
            Json::Null
        }
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(self.scalar(Json::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(self.scalar(Json::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(self.scalar(Json::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        // Only a value from another deserializer can hold one (JSON text cannot): said as
        // JavaScript prints it.
        let shown = if v.is_nan() {
            "NaN"
        } else if v > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        };
        let n = serde_json::Number::from_f64(v)
            .ok_or_else(|| E::custom(format_args!("expected a finite number, found `{shown}`")))?;
        Ok(self.scalar(Json::Number(n)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        self.string(v);
        Ok(if self.reader.keeping.get() { Json::String(v.to_owned()) } else { Json::Null })
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        self.string(&v);
        Ok(if self.reader.keeping.get() { Json::String(v) } else { Json::Null })
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(self.scalar(Json::Null))
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(self.scalar(Json::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let r = self.reader;
        let n = r.count();
        let seed = self.nested()?;
        let kind = container_kind(r, true);
        let bound = r.limits.get(kind);
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        let mut len = 0usize;
        r.path.borrow_mut().push(Step::Index(0));
        let items = loop {
            if let Some(Step::Index(i)) = r.path.borrow_mut().last_mut() {
                *i = len;
            }
            match seq.next_element_seed(seed) {
                Ok(Some(x)) => {
                    len += 1;
                    if len > bound {
                        r.keeping.set(false);
                    }
                    if r.keeping.get() {
                        v.push(x);
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        r.path.borrow_mut().pop();
        items?;
        if len > bound {
            r.exceeded((n, 2), kind, len);
        }
        Ok(if r.keeping.get() { Json::Array(v) } else { Json::Null })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let r = self.reader;
        let n = r.count();
        let seed = self.nested()?;
        let bound = r.limits.get(container_kind(r, false));
        let mut m = Map::new();
        // Keys once values are no longer kept (a duplicate key is still refused).
        let mut seen: HashSet<String> = HashSet::new();
        let mut len = 0usize;
        while let Some(k) = map.next_key::<String>()? {
            let duplicate = if r.keeping.get() { m.contains_key(&k) } else { seen.contains(&k) };
            if duplicate {
                return Err(de::Error::custom(format_args!("duplicate key `{k}`")));
            }
            len += 1;
            r.path.borrow_mut().push(Step::Key(k));
            if len > bound {
                r.keeping.set(false);
            }
            let key_len = match r.path.borrow().last() {
                Some(Step::Key(k)) => k.len(),
                _ => 0,
            };
            if key_len > r.limits.string_bytes {
                r.exceeded((r.values.get() + 1, 0), LimitKind::StringBytes, key_len);
            }
            let value = map.next_value_seed(seed);
            let k = match r.path.borrow_mut().pop() {
                Some(Step::Key(k)) => k,
                _ => String::new(),
            };
            let value = value?;
            if r.keeping.get() {
                m.insert(k, value);
            } else {
                if !m.is_empty() {
                    seen.extend(std::mem::take(&mut m).into_iter().map(|(k, _)| k));
                }
                seen.insert(k);
            }
        }
        if len > bound {
            r.exceeded((n, 2), LimitKind::ListItems, len);
        }
        Ok(if r.keeping.get() { Json::Object(m) } else { Json::Null })
    }
}

/// The count limit on a container opened at the current path.
fn container_kind(r: &Reader, array: bool) -> LimitKind {
    let path = r.path.borrow();
    let key = match path.last() {
        Some(Step::Key(k)) => Some(k.as_bytes()),
        _ => None,
    };
    let in_request = path.len() == 1 && matches!(path.first(), Some(Step::Key(_)));
    container_limit(array, key, in_request)
}

/// Converts a serde_json syntax error on `text` into a text error with a caret.
pub(crate) fn json_error(text: &str, e: &serde_json::Error) -> ParseError {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(&msg).to_owned(),
        None => msg,
    };
    let code = if msg.starts_with("duplicate key") {
        "request.duplicate_key"
    } else if msg.starts_with("recursion limit") || msg.starts_with("request is nested too deeply") {
        "limit.json_depth"
    } else {
        "request.json"
    };
    let token_error = msg == "expected ident" || msg.starts_with("invalid number") || msg.starts_with("expected value");
    let mut at = byte_offset(text, e.line(), e.column());
    if msg.starts_with("request is nested too deeply") {
        // Reported just after the `[` or `{` (one byte) that opened one level too many.
        at = at.saturating_sub(1);
    }
    let message = if msg.starts_with("recursion limit") {
        Limits { json_depth: MAX_JSON_DEPTH, ..Limits::DEFAULT }.exceeded(LimitKind::JsonDepth, 0).message().to_owned()
    } else if code == "limit.json_depth" {
        msg
    } else if msg == "EOF while parsing a value" || msg.starts_with("EOF while parsing") {
        format!("invalid JSON: {}, found end of input", msg.replace("EOF while parsing", "expected the rest of"))
    } else {
        format!("invalid JSON: {msg}")
    };
    let mut end = (at + 1).min(text.len());
    if token_error {
        // serde_json stops inside or just after a misspelled literal (`tru}`) or a bad number
        // (`1.}`): the caret goes under the whole offending token, not the character after it.
        let bytes = text.as_bytes();
        let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'_');
        let mut start = at.min(text.len());
        while start > 0 && bytes.get(start - 1).copied().is_some_and(word) {
            start -= 1;
        }
        let mut stop = start;
        while bytes.get(stop).copied().is_some_and(word) {
            stop += 1;
        }
        if stop > start {
            (at, end) = (start, stop);
        }
    }
    ParseError::new(code, message, text, Span::new(at, end))
}

/// serde_json reports 1-based line and 1-based byte column of the character it stopped at
/// (0 when the error is at the start of a line).
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (offset + column.saturating_sub(1)).min(text.len());
        }
        offset += l.len();
    }
    text.len()
}

/// True when a JSON string holding `b` must escape some byte of it: `"`, `\\` or a control byte
/// (below 0x20), the bytes `serde_json` writes escaped (nothing else is). Eight bytes a step, as
/// one `u64` (WebAssembly without SIMD would otherwise look at one byte a step); the last few
/// bytes are padded with spaces to a word.
pub(crate) fn needs_escape(b: &[u8]) -> bool {
    let mut words = b.chunks_exact(8);
    for chunk in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        if word_needs_escape(u64::from_le_bytes(w)) {
            return true;
        }
    }
    let rest = words.remainder();
    let mut w = [b' '; 8];
    if let Some(head) = w.get_mut(..rest.len()) {
        head.copy_from_slice(rest);
    }
    word_needs_escape(u64::from_le_bytes(w))
}

/// True when some byte of the word `w` is `"`, `\\` or below 0x20. Exact: a flag can only be
/// wrong above a byte that is rightly flagged, so "some byte" never is.
fn word_needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let equal = |x: u8| {
        let v = w ^ (ONES * u64::from(x));
        v.wrapping_sub(ONES) & !v
    };
    let below_space = w.wrapping_sub(ONES * 0x20) & !w;
    (equal(b'"') | equal(b'\\') | below_space) & HIGHS != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caret_is_on_the_offending_token() {
        let caret = |t: &str| {
            let e = parse_strict(t).unwrap_err();
            let span = e.span;
            (t.get(span.start..span.end).unwrap().to_owned(), e.column())
        };
        assert_eq!(caret(r#"{"op": "version", "x": tru}"#), ("tru".to_owned(), 24));
        assert_eq!(caret(r#"{"x": [nul, 1]}"#), ("nul".to_owned(), 8));
        assert_eq!(caret(r#"{"x": 1.}"#), ("1.".to_owned(), 7));
        assert_eq!(caret(r#"{"x": 1 2}"#), ("2".to_owned(), 9));
        assert_eq!(caret(r#"{"x": @}"#), ("@".to_owned(), 7));
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let e = parse_strict(r#"{"op":"version","op":"place"}"#).unwrap_err();
        assert_eq!(e.code, "request.duplicate_key");
        assert_eq!(e.message, "invalid JSON: duplicate key `op`");
        let nested = parse_strict(r#"{"a":[{"b":1,"b":2}]}"#).unwrap_err();
        assert_eq!(nested.code, "request.duplicate_key");
    }

    #[test]
    fn syntax_errors_have_a_caret() {
        let e = parse_strict("{oops").unwrap_err();
        assert_eq!(e.code, "request.json");
        assert_eq!((e.line(), e.column()), (1, 2));
        assert_eq!(e.render(), "{oops\n ^ invalid JSON: key must be a string");
    }

    #[test]
    fn deep_nesting_is_a_limit() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(parse_strict(&deep).unwrap_err().code, "limit.json_depth");
        let e = parse_strict_with_depth(&deep, 1000).unwrap_err();
        assert_eq!(e.code, "limit.json_depth");
        assert_eq!(e.message, "request is nested too deeply: more than 127 levels, the limit `json_depth` is 127");
    }

    #[test]
    fn nesting_is_bounded_by_the_configured_depth_with_a_caret() {
        let ok = "[".repeat(64) + &"]".repeat(64);
        assert!(parse_strict(&ok).is_ok());
        let e = parse_strict(&format!(r#"{{"a":{}{}}}"#, "[".repeat(64), "]".repeat(64))).unwrap_err();
        assert_eq!(e.code, "limit.json_depth");
        assert_eq!(e.message, "request is nested too deeply: more than 64 levels, the limit `json_depth` is 64");
        assert_eq!(e.column(), 69);
        let e = parse_strict_with_depth(r#"{"a":{"b":1}}"#, 1).unwrap_err();
        assert_eq!(e.message, "request is nested too deeply: more than 1 levels, the limit `json_depth` is 1");
        assert!(parse_strict_with_depth(r#"{"a":1}"#, 1).is_ok());
    }

    #[test]
    fn trailing_text_is_refused() {
        assert_eq!(parse_strict("{} x").unwrap_err().code, "request.json");
    }
}

#[cfg(test)]
mod value_tests {
    use super::*;

    /// The pre-count of a long text is exact for valid JSON, so a text over `json_values` is
    /// refused as before (same first limit, same pointer) without its value being built, and
    /// a text at the bound is read whole.
    #[test]
    fn values_are_counted_before_anything_is_built() {
        fn walk(v: &Json) -> usize {
            1 + match v {
                Json::Array(a) => a.iter().map(walk).sum(),
                Json::Object(m) => m.values().map(walk).sum(),
                _ => 0,
            }
        }
        for text in [
            r#"{"op":"version","x":[1,-2.5e3,true,null,"a:b",{"k" : "v","q":[]},[{}],"\"",""]}"#,
            "[ 1 , \"x\\\\\" , {\"a\"\t:\n0} ]",
            r#"{"a\":b":"c\\","d":[false]}"#,
            "0",
        ] {
            let v: Json = serde_json::from_str(text).unwrap();
            assert_eq!(count_values(text.as_bytes()), walk(&v), "{text}");
            let at = Limits { json_values: walk(&v), ..Limits::DEFAULT };
            assert_eq!(read(text, &at).ok(), Some(v.clone()), "{text}");
            let under = Limits { json_values: walk(&v) - 1, ..Limits::DEFAULT };
            let Err(ReadError::Limit(e, _)) = read(text, &under) else { panic!("{text} not refused") };
            assert_eq!(e.code(), "limit.json_values");
        }
        // Past the bound with an earlier limit: the earlier one is still the one reported.
        let text = format!(r#"{{"op":"version","x":"{}","y":[{}]}}"#, "s".repeat(20), vec!["1"; 30].join(","));
        let limits = Limits { string_bytes: 8, json_values: 10, ..Limits::DEFAULT };
        let Err(ReadError::Limit(e, path)) = read(&text, &limits) else { panic!("not refused") };
        assert_eq!((e.code(), path.as_str()), ("limit.string_bytes", "/x"));
        let Err(ReadError::Text(_)) = read(&format!("{text}x"), &limits) else { panic!("bad text not refused") };
    }

    /// A value handed over by a host (not text) is counted as the text reader counts it:
    /// the same first limit, with its exact count and pointer, and nothing past it kept.
    #[test]
    fn a_value_is_bounded_as_its_text_is() {
        let limits = Limits { offers: 2, list_items: 3, string_bytes: 8, json_values: 40, ..Limits::DEFAULT };
        for text in [
            r#"{"op":"place","offers":[{},{},{}]}"#,
            r#"{"op":"place","tasks":[{"id":"t","ports":[0,0,0,0,0]}]}"#,
            r#"{"op":"place","offers":[{"id":"a-very-long-id"}]}"#,
            r#"{"op":"version","x":[[1,1,1],[1,1,1],[1,1,1],[1,1,1],[1,1,1],[1,1,1],[1,1,1],[1,1,1],[1,1,1],[1,1,1]]}"#,
            r#"{"op":"version","x":{"a":1,"b":2,"c":3,"d":4}}"#,
            r#"{"op":"version"}"#,
        ] {
            let value: Json = serde_json::from_str(text).unwrap();
            let from_text = read(text, &limits);
            let from_value = read_value(value, &limits);
            match (from_text, from_value) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
                (Err(ReadError::Limit(a, p)), Err(ValueError::Limit(b, q))) => {
                    assert_eq!((a.to_string(), p), (b.to_string(), q), "{text}");
                }
                (a, b) => panic!("{text}: {a:?} vs {b:?}"),
            }
        }
        // Nesting beyond `json_depth` is a limit error with its pointer (text: a text error).
        let deep: Json = serde_json::from_str(r#"{"op":"version","x":[[[1]]]}"#).unwrap();
        let Err(ValueError::Limit(e, path)) = read_value(deep, &Limits { json_depth: 3, ..Limits::DEFAULT }) else {
            panic!("nesting not refused")
        };
        assert_eq!((e.code(), path.as_str()), ("limit.json_depth", "/x/0/0"));
    }
}

#[cfg(test)]
mod escape_tests {
    use super::needs_escape;

    /// What `serde_json` escapes, byte by byte.
    fn reference(b: &[u8]) -> bool {
        b.iter().any(|&c| c == b'"' || c == b'\\' || c < 0x20)
    }

    #[test]
    fn every_byte_class_at_every_offset_of_a_word() {
        // Every byte value (quote, backslash, each control byte, space, DEL, high bytes, ...)
        // at every position of strings of 0 to 24 bytes (whole words, tails, both), in a
        // background of plain letters or of high bytes.
        for background in [b'a', 0x20, 0x7f, 0x80, 0xff] {
            for len in 0..=24usize {
                let plain = vec![background; len];
                assert!(!needs_escape(&plain));
                for at in 0..len {
                    for byte in 0..=255u8 {
                        let mut b = plain.clone();
                        b[at] = byte;
                        assert_eq!(
                            needs_escape(&b),
                            reference(&b),
                            "{byte:#04x} at {at} of {len} in {background:#04x}"
                        );
                    }
                }
            }
        }
        // Two special bytes in one word (the flags above the first are not exact).
        for a in 0..8 {
            for c in a..8 {
                for (x, y) in [(b'"', b'\\'), (0x1f, b'"'), (0x00, 0x01), (b'!', 0x1f)] {
                    let mut b = *b"abcdefgh";
                    b[a] = x;
                    b[c] = y;
                    assert_eq!(needs_escape(&b), reference(&b));
                }
            }
        }
        // The bytes serde_json writes as they are, and the ones it escapes.
        let mut out = Vec::new();
        for byte in 0..=0x7fu8 {
            let s = (byte as char).to_string();
            out.clear();
            serde_json::to_writer(&mut out, &s).unwrap();
            assert_eq!(needs_escape(s.as_bytes()), out.len() != s.len() + 2, "{byte:#04x}");
        }
    }
}
