//! Input limits: how much untrusted input offerfit agrees to look at.
//!
//! Hosts feed offerfit text they do not control (constraint strings typed by users, agent
//! attributes, JSON from the network). Every size that could make a request slow or
//! memory-hungry has a bound here; going over one is an [`Error::Limit`] with the code
//! `limit.<name>` and a message naming the limit, the value found and the bound — never an
//! abort, a hang or an unbounded allocation.
//!
//! | limit | default | bounds |
//! | --- | --- | --- |
//! | `request_bytes` | 16 MiB (16 777 216) | the size of one request text |
//! | `json_depth` | 64 | nested arrays/objects in a request (at most 127: serde_json's own bound) |
//! | `offers` | 10 000 | offers in one `place` request |
//! | `tasks` | 10 000 | tasks in one `place` request |
//! | `running` | 100 000 | running tasks (`running`, `placed`) in one request |
//! | `constraints_per_task` | 64 | constraints (and preferences, volume requirements) of one task or request |
//! | `ranges_per_resource` | 10 000 | ranges in one resource or value |
//! | `list_items` | 10 000 | elements of any other array, members of any object (a task's ports, scalars, volumes, accepted roles; an offer's resources, attributes; a port blacklist) |
//! | `json_values` | 1 000 000 | JSON values (strings, numbers, literals, arrays, objects; not keys) in one request |
//! | `string_bytes` | 64 KiB (65 536) | any one string: a constraint, a resource text, an id, a key |
//! | `regex_size` | 1 MiB (1 048 576) | the compiled size of one `LIKE` / `UNLIKE` regex, as [`regex_cost`] charges it (the same on every platform) |
//! | `regex_backtrack` | 100 000 | backtracking steps of one regex match (see [`Limits::regex_backtrack`]) |
//!
//! ```
//! use offerfit::Limits;
//! let limits = Limits { offers: 2, ..Limits::default() };
//! limits.validate().unwrap();
//! let e = limits.check(offerfit::LimitKind::Offers, 3).unwrap_err();
//! assert_eq!(e.code(), "limit.offers");
//! assert_eq!(e.to_string(), "too many offers: found 3, the limit `offers` is 2");
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::error::{Error, Result};

pub mod regex_cost;

/// The deepest nesting `json_depth` may allow: serde_json refuses anything deeper on its own
/// (its recursion limit is 128 levels), so a larger bound could never be reached.
pub const MAX_JSON_DEPTH: usize = 127;

/// How many times `regex_size` all the regexes of one request may take compiled (see
/// [`Limits::regex_budget`]).
pub const REGEX_BUDGET_FACTOR: usize = 8;

/// Bounds on the size of untrusted input; see the [module documentation](self) for the
/// defaults. A plain value: build it with struct update syntax and check it once with
/// [`Limits::validate`] (the engine does so when it is created).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub struct Limits {
    /// Largest request text, in bytes.
    pub request_bytes: usize,
    /// Deepest nesting of arrays and objects in a request (`{}` is 1, `{"a": []}` is 2).
    pub json_depth: usize,
    /// Most offers in one request.
    pub offers: usize,
    /// Most tasks in one request.
    pub tasks: usize,
    /// Most running (already placed) tasks in one request.
    pub running: usize,
    /// Most constraints of one task (or of one `parse_constraints` / `check_constraints`
    /// request); preferences and volume requirements count separately against the same bound.
    pub constraints_per_task: usize,
    /// Most ranges in one resource or value.
    pub ranges_per_resource: usize,
    /// Most elements of any array, or members of any object, that no count above bounds: a
    /// task's `ports`, `scalars`, `volumes` and `accepted_roles`, an offer's `resources` and
    /// `attributes`, the `port_blacklist` and its lists, anything a request carries.
    pub list_items: usize,
    /// Most JSON values in one request (every string, number, `true` / `false` / `null`,
    /// array and object; an object's keys are not counted): bounds the memory of the parsed
    /// request, whatever its shape (see `docs/limits.md`).
    pub json_values: usize,
    /// Longest string, in bytes (constraint texts, resource texts, ids, object keys).
    pub string_bytes: usize,
    /// Largest compiled size of one regex, in bytes (the `regex` crate's `size_limit`).
    pub regex_size: usize,
    /// Most backtracking steps of one regex match (`fancy-regex`'s `backtrack_limit`; only
    /// patterns that need look-around, backreferences or atomic groups backtrack). A match
    /// that runs out is undecided and its constraint counts as not satisfied (fail closed),
    /// reported as `limit.regex_backtrack` (a `check_constraints` warning, the unplaced
    /// task's `constraint` reason) rather than refusing the request.
    ///
    /// Default 100 000: measured in release on the project's 2-core machine, an undecided
    /// pathological match (`(a+)+\1b` against `aaaa…`) costs ~10 ms at 100 000 against
    /// ~0.1 s at 1 000 000, paid per agent class and task in a placement; patterns real
    /// constraints use (`(?!att1value).*`, `(\w+)-\1`) on attribute-sized values need far
    /// fewer steps (well under a millisecond), so only hostile or degenerate patterns notice.
    pub regex_backtrack: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

/// One of the bounds of [`Limits`], for [`Limits::check`] and error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LimitKind {
    /// [`Limits::request_bytes`].
    RequestBytes,
    /// [`Limits::json_depth`].
    JsonDepth,
    /// [`Limits::offers`].
    Offers,
    /// [`Limits::tasks`].
    Tasks,
    /// [`Limits::running`].
    Running,
    /// [`Limits::constraints_per_task`].
    ConstraintsPerTask,
    /// [`Limits::ranges_per_resource`].
    RangesPerResource,
    /// [`Limits::list_items`].
    ListItems,
    /// [`Limits::json_values`].
    JsonValues,
    /// [`Limits::string_bytes`].
    StringBytes,
    /// [`Limits::regex_size`].
    RegexSize,
    /// [`Limits::regex_backtrack`].
    RegexBacktrack,
}

impl LimitKind {
    /// Every limit, in the order of the fields of [`Limits`].
    pub const ALL: [LimitKind; 12] = [
        LimitKind::RequestBytes,
        LimitKind::JsonDepth,
        LimitKind::Offers,
        LimitKind::Tasks,
        LimitKind::Running,
        LimitKind::ConstraintsPerTask,
        LimitKind::RangesPerResource,
        LimitKind::ListItems,
        LimitKind::JsonValues,
        LimitKind::StringBytes,
        LimitKind::RegexSize,
        LimitKind::RegexBacktrack,
    ];

    /// The field name: `offers`, `string_bytes`, …
    pub const fn name(self) -> &'static str {
        match self {
            LimitKind::RequestBytes => "request_bytes",
            LimitKind::JsonDepth => "json_depth",
            LimitKind::Offers => "offers",
            LimitKind::Tasks => "tasks",
            LimitKind::Running => "running",
            LimitKind::ConstraintsPerTask => "constraints_per_task",
            LimitKind::RangesPerResource => "ranges_per_resource",
            LimitKind::ListItems => "list_items",
            LimitKind::JsonValues => "json_values",
            LimitKind::StringBytes => "string_bytes",
            LimitKind::RegexSize => "regex_size",
            LimitKind::RegexBacktrack => "regex_backtrack",
        }
    }

    /// The error code: `limit.offers`, `limit.string_bytes`, …
    pub const fn code(self) -> &'static str {
        match self {
            LimitKind::RequestBytes => "limit.request_bytes",
            LimitKind::JsonDepth => "limit.json_depth",
            LimitKind::Offers => "limit.offers",
            LimitKind::Tasks => "limit.tasks",
            LimitKind::Running => "limit.running",
            LimitKind::ConstraintsPerTask => "limit.constraints_per_task",
            LimitKind::RangesPerResource => "limit.ranges_per_resource",
            LimitKind::ListItems => "limit.list_items",
            LimitKind::JsonValues => "limit.json_values",
            LimitKind::StringBytes => "limit.string_bytes",
            LimitKind::RegexSize => "limit.regex_size",
            LimitKind::RegexBacktrack => "limit.regex_backtrack",
        }
    }

    /// What is counted, for messages: "too many *offers*", "*request* is too large".
    const fn what(self) -> &'static str {
        match self {
            LimitKind::RequestBytes => "request is too large",
            LimitKind::JsonDepth => "request is nested too deeply",
            LimitKind::Offers => "too many offers",
            LimitKind::Tasks => "too many tasks",
            LimitKind::Running => "too many running tasks",
            LimitKind::ConstraintsPerTask => "too many constraints",
            LimitKind::RangesPerResource => "too many ranges in one resource",
            LimitKind::ListItems => "too many items in one list or object",
            LimitKind::JsonValues => "too many JSON values in the request",
            LimitKind::StringBytes => "string is too long",
            LimitKind::RegexSize => "regex is too large once compiled",
            LimitKind::RegexBacktrack => "regex needs too many backtracking steps",
        }
    }

    /// The unit of the value, for messages (`bytes`, `levels`, or nothing for a count).
    const fn unit(self) -> &'static str {
        match self {
            LimitKind::RequestBytes | LimitKind::StringBytes | LimitKind::RegexSize => " bytes",
            LimitKind::JsonDepth => " levels",
            LimitKind::RegexBacktrack => " steps",
            _ => "",
        }
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Limits {
    /// The documented defaults (see the [module documentation](self)).
    pub const DEFAULT: Limits = Limits {
        request_bytes: 16 * 1024 * 1024,
        json_depth: 64,
        offers: 10_000,
        tasks: 10_000,
        running: 100_000,
        constraints_per_task: 64,
        ranges_per_resource: 10_000,
        list_items: 10_000,
        json_values: 1_000_000,
        string_bytes: 64 * 1024,
        regex_size: 1024 * 1024,
        regex_backtrack: 100_000,
    };

    /// These limits, lowered wherever `requested` is lower: what a request may ask for
    /// without being able to raise the host's bounds (a `place` request's `options.limits`).
    ///
    /// ```
    /// use offerfit::Limits;
    /// let asked = Limits { offers: 5, regex_backtrack: usize::MAX, ..Limits::DEFAULT };
    /// let got = Limits::DEFAULT.tightened_by(&asked);
    /// assert_eq!((got.offers, got.regex_backtrack), (5, Limits::DEFAULT.regex_backtrack));
    /// ```
    #[must_use]
    pub fn tightened_by(&self, requested: &Limits) -> Limits {
        Limits {
            request_bytes: self.request_bytes.min(requested.request_bytes),
            json_depth: self.json_depth.min(requested.json_depth),
            offers: self.offers.min(requested.offers),
            tasks: self.tasks.min(requested.tasks),
            running: self.running.min(requested.running),
            constraints_per_task: self.constraints_per_task.min(requested.constraints_per_task),
            ranges_per_resource: self.ranges_per_resource.min(requested.ranges_per_resource),
            list_items: self.list_items.min(requested.list_items),
            json_values: self.json_values.min(requested.json_values),
            string_bytes: self.string_bytes.min(requested.string_bytes),
            regex_size: self.regex_size.min(requested.regex_size),
            regex_backtrack: self.regex_backtrack.min(requested.regex_backtrack),
        }
    }

    /// The bound of one limit.
    pub const fn get(&self, kind: LimitKind) -> usize {
        match kind {
            LimitKind::RequestBytes => self.request_bytes,
            LimitKind::JsonDepth => self.json_depth,
            LimitKind::Offers => self.offers,
            LimitKind::Tasks => self.tasks,
            LimitKind::Running => self.running,
            LimitKind::ConstraintsPerTask => self.constraints_per_task,
            LimitKind::RangesPerResource => self.ranges_per_resource,
            LimitKind::ListItems => self.list_items,
            LimitKind::JsonValues => self.json_values,
            LimitKind::StringBytes => self.string_bytes,
            LimitKind::RegexSize => self.regex_size,
            LimitKind::RegexBacktrack => self.regex_backtrack,
        }
    }

    /// Checks that every bound is usable: at least 1, and `json_depth` at most
    /// [`MAX_JSON_DEPTH`].
    ///
    /// # Errors
    /// `options.limits` naming the first bad limit.
    ///
    /// ```
    /// let bad = offerfit::Limits { tasks: 0, ..Default::default() };
    /// assert_eq!(bad.validate().unwrap_err().to_string(), "expected limit `tasks` to be at least 1, found `0`");
    /// ```
    pub fn validate(&self) -> Result<()> {
        for kind in LimitKind::ALL {
            let v = self.get(kind);
            if v == 0 {
                return Err(Error::invalid(
                    "options.limits",
                    format!("expected limit `{}` to be at least 1, found `0`", kind.name()),
                ));
            }
        }
        if self.json_depth > MAX_JSON_DEPTH {
            return Err(Error::invalid(
                "options.limits",
                format!("expected limit `json_depth` to be at most {MAX_JSON_DEPTH}, found `{}`", self.json_depth),
            )
            .with_help("serde_json refuses deeper JSON on its own"));
        }
        Ok(())
    }

    /// The error for `found` going over the limit `kind` (whether it does is not checked).
    pub fn exceeded(&self, kind: LimitKind, found: usize) -> Error {
        let bound = self.get(kind);
        let unit = kind.unit();
        let message = match kind {
            LimitKind::JsonDepth => {
                format!("{}: more than {bound}{unit}, the limit `{}` is {bound}", kind.what(), kind.name())
            }
            _ => format!("{}: found {found}{unit}, the limit `{}` is {bound}", kind.what(), kind.name()),
        };
        Error::limit(kind.code(), message)
    }

    /// `Ok` when `found` is within the limit `kind`.
    ///
    /// # Errors
    /// [`Error::Limit`] with code `limit.<name>` when `found` is over the bound.
    pub fn check(&self, kind: LimitKind, found: usize) -> Result<()> {
        if found > self.get(kind) {
            Err(self.exceeded(kind, found))
        } else {
            Ok(())
        }
    }

    /// Checks a string against `string_bytes`.
    ///
    /// # Errors
    /// `limit.string_bytes`.
    pub fn check_str(&self, s: &str) -> Result<()> {
        self.check(LimitKind::StringBytes, s.len())
    }

    /// Checks a parsed request against the limits that can be seen in its JSON: nesting
    /// depth, every string and key, the number of values, and the length of every array and
    /// object ([`container_limit`] says which count bounds which). Walks the value without
    /// recursing deeper than `json_depth`, so any value is safe. Text requests are checked
    /// while they are read instead (`crate::json::read`), with the same answers.
    ///
    /// # Errors
    /// The first limit exceeded in document order (a container's own count before its
    /// elements), with the JSON pointer of the offending element.
    ///
    /// ```
    /// let limits = offerfit::Limits { tasks: 1, ..Default::default() };
    /// let req = serde_json::json!({"op": "place", "offers": [], "tasks": [{"id": "a"}, {"id": "b"}]});
    /// let (e, path) = limits.check_json(&req).unwrap_err();
    /// assert_eq!((e.code(), path.as_str()), ("limit.tasks", "/tasks"));
    /// ```
    pub fn check_json(&self, request: &Json) -> std::result::Result<(), (Error, String)> {
        let mut path = Vec::new();
        let mut values = 0;
        self.walk(request, 0, &mut values, &mut path).map_err(|e| (e, pointer(&path)))
    }

    /// Depth-first walk; `path` holds the keys and indexes down to `v` and, on error, to the
    /// culprit; `values` counts the values visited so far.
    fn walk<'a>(&self, v: &'a Json, depth: usize, values: &mut usize, path: &mut Vec<Segment<'a>>) -> Result<()> {
        *values += 1;
        self.check(LimitKind::JsonValues, *values)?;
        let key = || match path.last() {
            Some(Segment::Key(k)) => Some(k.as_bytes()),
            _ => None,
        };
        let in_request = path.len() == 1 && matches!(path.first(), Some(Segment::Key(_)));
        match v {
            Json::String(s) => self.check_str(s),
            Json::Array(items) => {
                let depth = depth + 1;
                if depth > self.json_depth {
                    return Err(self.exceeded(LimitKind::JsonDepth, depth));
                }
                self.check(container_limit(true, key(), in_request), items.len())?;
                for (i, item) in items.iter().enumerate() {
                    path.push(Segment::Index(i));
                    self.walk(item, depth, values, path)?;
                    path.pop();
                }
                Ok(())
            }
            Json::Object(map) => {
                let depth = depth + 1;
                if depth > self.json_depth {
                    return Err(self.exceeded(LimitKind::JsonDepth, depth));
                }
                self.check(container_limit(false, key(), in_request), map.len())?;
                for (k, item) in map {
                    path.push(Segment::Key(k));
                    self.check_str(k)?;
                    self.walk(item, depth, values, path)?;
                    path.pop();
                }
                Ok(())
            }
            Json::Null | Json::Bool(_) | Json::Number(_) => Ok(()),
        }
    }

    /// The most bytes all the distinct `LIKE` / `UNLIKE` regexes of one `place` request may
    /// take compiled ([`crate::constraint::JavaRegex::compiled_bytes`], charged by
    /// [`regex_cost`]): [`REGEX_BUDGET_FACTOR`] × `regex_size` (8 MiB by default: measured in
    /// release, 3,000 tasks × 64 distinct heavy patterns of ~516 KB are refused at the 17th,
    /// ~0.2 s in all; 15 of them, or 2,500 distinct small ones, are compiled and matched in
    /// well under a second: `benches/REPORT-hostile.md`). Each regex is bounded by
    /// `regex_size`; without a budget for the request, thousands of distinct patterns would
    /// cost minutes and gigabytes (issue 20: 3,000 tasks × 64 patterns, 78 s and 2.1 GB).
    ///
    /// ```
    /// assert_eq!(offerfit::Limits::default().regex_budget(), 8 * 1024 * 1024);
    /// ```
    pub const fn regex_budget(&self) -> usize {
        self.regex_size.saturating_mul(REGEX_BUDGET_FACTOR)
    }

    /// How many bytes of the offers' resource metadata (reservations with their roles,
    /// principals and labels, disk info, allocation role, provider) the launches of one plan
    /// may copy: `request_bytes` (16 MiB by default). Each launched resource repeats the
    /// metadata of the offer resource it comes from (twice when the plan writes `calls`), so
    /// without a budget one reserved resource with 60 KB of labels and 10,000 tasks of 0.001
    /// cpu would answer 1.2 GB from a 1 MB request (issue 20). A plan over it is refused,
    /// before its launches are built, with [`Limits::repeat_budget_exceeded`].
    ///
    /// ```
    /// assert_eq!(offerfit::Limits::default().repeat_budget(), 16 * 1024 * 1024);
    /// ```
    pub const fn repeat_budget(&self) -> usize {
        self.request_bytes
    }

    /// The error for the launches of one plan copying `found` bytes of resource metadata,
    /// over [`Limits::repeat_budget`]: code `limit.answer_bytes`.
    pub fn repeat_budget_exceeded(&self, found: usize, launches: usize) -> Error {
        Error::limit(
            "limit.answer_bytes",
            format!(
                "the plan's launches would copy {found} bytes (or more) of the offers' reservations, labels and disk \
                 info over {launches} placements, the budget is `request_bytes` = {} bytes",
                self.repeat_budget()
            ),
        )
        .with_help("take the large labels or reservations off the offers' resources, or place fewer tasks per call")
    }

    /// The error for the regexes of one request taking `found` bytes compiled, over
    /// [`Limits::regex_budget`]: code `limit.regex_size`.
    pub fn regex_budget_exceeded(&self, found: usize) -> Error {
        Error::limit(
            LimitKind::RegexSize.code(),
            format!(
                "the regexes of this request are too large once compiled: found {found} bytes in all, the budget is \
                 {REGEX_BUDGET_FACTOR} × `regex_size` = {} bytes",
                self.regex_budget()
            ),
        )
    }

    /// Compiles a regex (the `regex` crate) with its size bounded by `regex_size`: its
    /// charge ([`regex_cost`], the same on every platform) decides, the crate's own limits are
    /// a safety net above it.
    ///
    /// # Errors
    /// `limit.regex_size` when the compiled program would be too large; `regex.syntax` with
    /// the regex crate's one-line message for an invalid pattern.
    pub fn compile_regex(&self, pattern: &str) -> Result<regex::Regex> {
        self.check_str(pattern)?;
        if regex_cost::pattern_cost(pattern, self.regex_size).is_some_and(|c| c > self.regex_size) {
            return Err(self.regex_too_big(pattern));
        }
        let net = regex_cost::safety_net(self.regex_size);
        regex::RegexBuilder::new(pattern).size_limit(net).dfa_size_limit(net).build().map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => self.regex_too_big(pattern),
            other => regex_syntax(pattern, &other.to_string()),
        })
    }

    /// Compiles a regex with `fancy-regex` (look-around, backreferences, as Java allows),
    /// its size bounded by `regex_size` and each match by `regex_backtrack` steps. A match
    /// that runs out of steps returns an error: map it with [`Limits::regex_match_error`].
    ///
    /// The regexes it hands to the linear engine are charged as [`regex_cost`] says, the same
    /// on every platform.
    ///
    /// # Errors
    /// `limit.regex_size` when the compiled program would be too large; `regex.syntax` for an
    /// invalid pattern.
    pub fn compile_fancy_regex(&self, pattern: &str) -> Result<fancy_regex::Regex> {
        self.check_str(pattern)?;
        if regex_cost::backtracking_cost(pattern, self.regex_size).is_some_and(|c| c > self.regex_size) {
            return Err(self.regex_too_big(pattern));
        }
        let net = regex_cost::safety_net(self.regex_size);
        fancy_regex::RegexBuilder::new(pattern)
            .backtrack_limit(self.regex_backtrack)
            .delegate_size_limit(net)
            .delegate_dfa_size_limit(net)
            .build()
            .map_err(|e| match &e {
                fancy_regex::Error::CompileError(fancy_regex::CompileError::InnerError(inner))
                    if inner.size_limit().is_some() =>
                {
                    self.regex_too_big(pattern)
                }
                other => regex_syntax(pattern, &other.to_string()),
            })
    }

    /// Converts the error of a `fancy-regex` match into a core error: `limit.regex_backtrack`
    /// when the backtracking bound was hit, `regex.runtime` otherwise.
    pub fn regex_match_error(&self, pattern: &str, e: &fancy_regex::Error) -> Error {
        match e {
            fancy_regex::Error::RuntimeError(fancy_regex::RuntimeError::BacktrackLimitExceeded) => Error::limit(
                LimitKind::RegexBacktrack.code(),
                format!(
                    "regex `{pattern}` needs more than {} backtracking steps, the limit `regex_backtrack` is {}",
                    self.regex_backtrack, self.regex_backtrack
                ),
            ),
            other => Error::invalid("regex.runtime", format!("regex `{pattern}` failed: {}", lowercase_first(other))),
        }
    }

    fn regex_too_big(&self, pattern: &str) -> Error {
        Error::limit(
            LimitKind::RegexSize.code(),
            format!(
                "regex `{pattern}` is too large once compiled, the limit `regex_size` is {} bytes",
                self.regex_size
            ),
        )
    }
}

fn regex_syntax(pattern: &str, message: &str) -> Error {
    // The regex crate's message spans several lines (pattern, caret, description): keep the
    // description, which is the last non-empty line.
    let last = message.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(message).trim();
    let last = last.strip_prefix("error: ").unwrap_or(last);
    Error::invalid("regex.syntax", format!("invalid regex `{pattern}`: {}", lowercase_first(&last)))
}

fn lowercase_first(x: &dyn fmt::Display) -> String {
    let s = x.to_string();
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => s,
    }
}

/// One step of a JSON pointer: an object key or an array index.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Segment<'a> {
    /// A member of an object.
    Key(&'a str),
    /// An element of an array.
    Index(usize),
}

/// The count limit on one array (`array`) or object of a request: the one table the JSON
/// reader (`crate::json::read`), [`Limits::check_json`] and the `place` fast path's prescan
/// share. `key` is the key the container is the value of (`None` for an element of an array
/// or the request itself); `in_request` says that key is a member of the request object.
///
/// | container | limit |
/// | --- | --- |
/// | the request's `offers` / `tasks` / `running`, `placed` arrays | `offers` / `tasks` / `running` |
/// | any `constraints`, `preferences`, `require` array | `constraints_per_task` |
/// | any `range`, `ranges` array | `ranges_per_resource` |
/// | any other array, every object | `list_items` |
pub fn container_limit(array: bool, key: Option<&[u8]>, in_request: bool) -> LimitKind {
    if !array {
        return LimitKind::ListItems;
    }
    match (in_request, key) {
        (true, Some(b"offers")) => LimitKind::Offers,
        (true, Some(b"tasks")) => LimitKind::Tasks,
        (true, Some(b"running" | b"placed")) => LimitKind::Running,
        (_, Some(b"constraints" | b"preferences" | b"require")) => LimitKind::ConstraintsPerTask,
        (_, Some(b"range" | b"ranges")) => LimitKind::RangesPerResource,
        _ => LimitKind::ListItems,
    }
}

/// A JSON pointer (RFC 6901) from path segments.
pub(crate) fn pointer(path: &[Segment<'_>]) -> String {
    let mut out = String::new();
    for seg in path {
        out.push('/');
        match seg {
            Segment::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Segment::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let d = Limits::default();
        assert_eq!(d.validate(), Ok(()));
        assert_eq!(d.request_bytes, 16_777_216);
        assert_eq!(d.json_depth, 64);
        assert_eq!((d.offers, d.tasks, d.running), (10_000, 10_000, 100_000));
        assert_eq!((d.constraints_per_task, d.ranges_per_resource), (64, 10_000));
        assert_eq!((d.string_bytes, d.regex_size, d.regex_backtrack), (65_536, 1_048_576, 100_000));
    }

    #[test]
    fn validate_refuses_zero_and_too_deep() {
        for kind in LimitKind::ALL {
            let mut l = Limits::default();
            match kind {
                LimitKind::RequestBytes => l.request_bytes = 0,
                LimitKind::JsonDepth => l.json_depth = 0,
                LimitKind::Offers => l.offers = 0,
                LimitKind::Tasks => l.tasks = 0,
                LimitKind::Running => l.running = 0,
                LimitKind::ConstraintsPerTask => l.constraints_per_task = 0,
                LimitKind::RangesPerResource => l.ranges_per_resource = 0,
                LimitKind::ListItems => l.list_items = 0,
                LimitKind::JsonValues => l.json_values = 0,
                LimitKind::StringBytes => l.string_bytes = 0,
                LimitKind::RegexSize => l.regex_size = 0,
                LimitKind::RegexBacktrack => l.regex_backtrack = 0,
            }
            let e = l.validate().unwrap_err();
            assert_eq!(e.code(), "options.limits");
            assert!(e.message().contains(&format!("`{}`", kind.name())), "{e}");
        }
        let e = Limits { json_depth: 128, ..Limits::DEFAULT }.validate().unwrap_err();
        assert_eq!(e.message(), "expected limit `json_depth` to be at most 127, found `128`");
        assert_eq!(Limits { json_depth: 127, ..Limits::DEFAULT }.validate(), Ok(()));
    }

    #[test]
    fn limits_deserialize_with_defaults_and_refuse_unknown_fields() {
        let l: Limits = serde_json::from_value(json!({"offers": 5})).unwrap();
        assert_eq!(l, Limits { offers: 5, ..Limits::DEFAULT });
        assert!(serde_json::from_value::<Limits>(json!({"ofers": 5})).is_err());
    }

    #[test]
    fn check_is_inclusive_and_names_the_limit() {
        let l = Limits { string_bytes: 4, ..Limits::DEFAULT };
        assert_eq!(l.check_str("abcd"), Ok(()));
        let e = l.check_str("abcde").unwrap_err();
        assert_eq!(e.code(), "limit.string_bytes");
        assert_eq!(e.message(), "string is too long: found 5 bytes, the limit `string_bytes` is 4");
    }

    #[test]
    fn check_json_finds_counts_strings_and_depth_with_a_pointer() {
        let l =
            Limits { offers: 1, constraints_per_task: 1, ranges_per_resource: 1, string_bytes: 16, ..Limits::DEFAULT };
        let err = |v: Json| {
            let (e, p) = l.check_json(&v).unwrap_err();
            (e.code(), p)
        };
        assert_eq!(err(json!({"offers": [{}, {}]})), ("limit.offers", "/offers".into()));
        assert_eq!(l.check_json(&json!({"x": {"offers": [1, 2]}})), Ok(()), "only top-level offers count");
        assert_eq!(
            err(json!({"tasks": [{"id": "a", "constraints": ["a", "b"]}]})),
            ("limit.constraints_per_task", "/tasks/0/constraints".into())
        );
        assert_eq!(
            err(json!({"offers": [{"resources": [{"ranges": {"range": [{"begin": 1}, {"begin": 3}]}}]}]})),
            ("limit.ranges_per_resource", "/offers/0/resources/0/ranges/range".into())
        );
        assert_eq!(err(json!({"tasks": [{"id": "12345678901234567"}]})), ("limit.string_bytes", "/tasks/0/id".into()));
        assert_eq!(err(json!({"a/b~c_a_long_key!": 1})), ("limit.string_bytes", "/a~1b~0c_a_long_key!".into()));
        let mut deep = json!(1);
        for _ in 0..70 {
            deep = json!([deep]);
        }
        let (e, p) = Limits::DEFAULT.check_json(&deep).unwrap_err();
        assert_eq!(e.code(), "limit.json_depth");
        assert_eq!(e.message(), "request is nested too deeply: more than 64 levels, the limit `json_depth` is 64");
        assert_eq!(p, "/0".repeat(64));
    }

    #[test]
    fn regex_size_and_syntax() {
        let l = Limits { regex_size: 10_000, ..Limits::DEFAULT };
        assert!(l.compile_regex("r[12]").unwrap().is_match("r1"));
        let e = l.compile_regex("a{1000}{1000}").unwrap_err();
        assert_eq!(e.code(), "limit.regex_size");
        assert_eq!(
            e.message(),
            "regex `a{1000}{1000}` is too large once compiled, the limit `regex_size` is 10000 bytes"
        );
        let e = l.compile_regex("r[12").unwrap_err();
        assert_eq!(e.code(), "regex.syntax");
        assert_eq!(e.message(), "invalid regex `r[12`: unclosed character class");
        let e = l.compile_fancy_regex("a{1000}{1000}").unwrap_err();
        assert_eq!(e.code(), "limit.regex_size");
        let e = l.compile_fancy_regex("(a").unwrap_err();
        assert_eq!(e.code(), "regex.syntax");
        assert!(e.message().starts_with("invalid regex `(a`: "), "{e}");
    }

    #[test]
    fn regex_backtracking_is_bounded() {
        let l = Limits { regex_backtrack: 1000, ..Limits::DEFAULT };
        // A backreference forces the backtracking engine; the classic (a+)+ blow-up follows.
        let re = l.compile_fancy_regex(r"^(a+)+\1b$").unwrap();
        let err = re.is_match(&"a".repeat(40)).unwrap_err();
        let e = l.regex_match_error(re.as_str(), &err);
        assert_eq!(e.code(), "limit.regex_backtrack");
        assert_eq!(
            e.message(),
            r"regex `^(a+)+\1b$` needs more than 1000 backtracking steps, the limit `regex_backtrack` is 1000"
        );
    }
}
