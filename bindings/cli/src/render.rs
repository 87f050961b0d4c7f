//! Encoding answers for people: contract errors as carets on stderr, JSON pretty-printed,
//! aligned plain-text tables. Everything here is deterministic: the same answer always prints
//! the same bytes.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::out::errln;
use serde_json::Value as Json;

/// Whether `c` may not reach a terminal as it is: a control character (C0, DEL, C1: `ESC`
/// starts the escape sequences that move the cursor, retitle the window or rewrite the
/// screen), a bidi embedding, override, isolate or mark (they reorder what is shown, so a
/// constraint could read as another: CVE-2021-42574's "trojan source"), or a line or
/// paragraph separator.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
        || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Appends `c` escaped the way the core escapes messages (`\n`, `\t`, `\r`, `\0`,
/// otherwise `\u{…}`).
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// `text` as one cell or line of terminal output: every unsafe character ([`is_unsafe`]),
/// the newline and the tab included, escaped. Borrowed when nothing needs it.
pub fn term(text: &str) -> Cow<'_, str> {
    escape_unless(text, |_| false)
}

/// A whole block of terminal output: as [`term`] but keeping its newlines (the last guard,
/// applied to everything the CLI prints but `call`'s contract lines).
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    escape_unless(text, |c| c == '\n')
}

fn escape_unless(text: &str, keep: fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) && !keep(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Pretty JSON (two-space indent, keys in the core's order). Characters JSON may carry raw
/// but a terminal must not see ([`is_unsafe`]: DEL, C1 controls, bidi controls) are written
/// as `\uXXXX` escapes: the same JSON value, safe to print.
pub fn pretty(v: &Json) -> String {
    let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    if !text.chars().any(is_unsafe) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        // Outside strings JSON has only newlines and spaces; inside, serde_json escaped C0.
        if is_unsafe(c) && c != '\n' {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{u:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Renders one contract error (or warning, with `kind` = `"warning"`) for a terminal.
///
/// `label` turns the error's JSON pointer into words for this command ("constraint 2",
/// "TEXT"); `None` keeps the pointer. A text error shows the error's `rendered` caret drawing,
/// which already ends with the message:
///
/// ```text
/// error[resources.syntax] in TEXT at column 12:
///   cpus:8;mem:abc
///              ^^^ expected a number, found `abc`
///   help: …
/// ```
pub fn problem(kind: &str, e: &Json, label: &dyn Fn(&str) -> Option<String>) -> String {
    let code = term(str_field(e, "code").unwrap_or("unknown"));
    let message = term(str_field(e, "message").unwrap_or(""));
    let place = str_field(e, "path").and_then(|p| label(p).or_else(|| (!p.is_empty()).then(|| p.to_owned())));
    let mut out = format!("{kind}[{code}]");
    if let Some(place) = &place {
        out.push_str(" in ");
        out.push_str(&term(place));
    }
    match str_field(e, "rendered") {
        Some(rendered) => {
            let line = e.get("line").and_then(Json::as_u64).unwrap_or(1);
            if let Some(column) = e.get("column").and_then(Json::as_u64) {
                if line > 1 {
                    out.push_str(&format!(" at line {line}, column {column}"));
                } else {
                    out.push_str(&format!(" at column {column}"));
                }
            }
            out.push(':');
            for l in rendered.lines() {
                out.push_str("\n  ");
                out.push_str(&term(l));
            }
        }
        None => {
            out.push_str(": ");
            out.push_str(&message);
        }
    }
    if let Some(help) = str_field(e, "help") {
        // A help of several lines keeps them aligned under its first.
        for (i, l) in help.lines().enumerate() {
            out.push_str(if i == 0 { "\n  help: " } else { "\n        " });
            out.push_str(&term(l));
        }
    }
    out
}

/// Prints every error on stderr, in the order the core gave them.
pub fn print_errors(errors: &[Json], label: &dyn Fn(&str) -> Option<String>) {
    for e in errors {
        errln!("{}", problem("error", e, label));
    }
}

/// A JSON value as a short piece of text: strings bare, numbers as written, lists joined by
/// `, `, anything else compact JSON.
pub fn short(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        Json::Array(items) => items.iter().map(short).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A string field of a JSON object.
pub fn str_field<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str)
}

/// A plain-text table (comfy-table, no borders): a header row, then rows, columns
/// left-aligned and separated by two spaces, trailing spaces trimmed. Widths count display
/// columns, not bytes. With a width, long cells wrap inside their column so that every line
/// fits; without one, nothing wraps.
#[derive(Debug)]
pub struct Table {
    table: comfy_table::Table,
}

impl Table {
    /// A table with these column headers.
    pub fn new(headers: &[&str]) -> Table {
        let mut table = comfy_table::Table::new();
        table.load_preset(comfy_table::presets::NOTHING).set_header(headers.to_vec());
        Table { table }
    }

    /// Adds a row (missing cells are empty); each cell is escaped with [`term`], so user
    /// text (an id, a hostname, a constraint) stays in its cell and cannot drive the terminal.
    pub fn row(&mut self, cells: Vec<String>) {
        self.table.add_row(cells.into_iter().map(|c| term(&c).into_owned()).collect::<Vec<_>>());
    }

    /// The table as lines of text, each ending with `\n`, wrapped to fit `width` columns when
    /// given (a column never gets narrower than a few characters, so a very narrow width may
    /// still be exceeded).
    pub fn render(&mut self, width: Option<u16>) -> String {
        let columns = self.table.column_count();
        for (i, column) in self.table.column_iter_mut().enumerate() {
            // Two spaces between columns, none before the first or after the last.
            column.set_padding((0, if i + 1 < columns { 2 } else { 0 }));
        }
        match width {
            Some(w) => {
                self.table.set_width(w).set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            }
            None => {
                self.table.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
            }
        }
        let mut out = String::new();
        for line in self.table.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// The width `--format table` fits: `$COLUMNS` when set to a number, else the terminal's
/// width when standard output is a terminal, else none (a pipe or a file gets whole lines).
pub fn output_width() -> Option<u16> {
    if let Some(w) = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<u16>().ok()).filter(|&w| w > 0) {
        return Some(w);
    }
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        return terminal_size::terminal_size().map(|(terminal_size::Width(w), _)| w);
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn keep(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn text_errors_show_the_caret_drawing_once() {
        let e = json!({"code": "value.syntax", "message": "expected a non-negative integer, found `2b`",
            "path": "/text", "line": 1, "column": 4,
            "rendered": "[1-2b]\n   ^^ expected a non-negative integer, found `2b`", "help": "write `[1-2]`"});
        let label = |p: &str| (p == "/text").then(|| "TEXT".to_owned());
        assert_eq!(
            problem("error", &e, &label),
            "error[value.syntax] in TEXT at column 4:\n  [1-2b]\n     ^^ expected a non-negative integer, found `2b`\n  help: write `[1-2]`"
        );
    }

    #[test]
    fn other_errors_are_one_line_with_their_pointer() {
        let e = json!({"code": "request.unknown_field", "message": "unknown field `cpu`", "path": "/tasks/0"});
        assert_eq!(problem("error", &e, &keep), "error[request.unknown_field] in /tasks/0: unknown field `cpu`");
        let e = json!({"code": "request.json", "message": "m", "path": ""});
        assert_eq!(problem("warning", &e, &keep), "warning[request.json]: m");
    }

    #[test]
    fn help_lines_stay_aligned() {
        let e = json!({"code": "c", "message": "m", "help": "did you mean `UNIQUE`?\noperators: UNIQUE, LIKE"});
        assert_eq!(
            problem("error", &e, &keep),
            "error[c]: m\n  help: did you mean `UNIQUE`?\n        operators: UNIQUE, LIKE"
        );
    }

    #[test]
    fn later_lines_are_named() {
        let e = json!({"code": "c", "message": "m", "line": 3, "column": 2, "rendered": "ab\n ^ m"});
        assert_eq!(problem("error", &e, &keep), "error[c] at line 3, column 2:\n  ab\n   ^ m");
    }

    #[test]
    fn tables_align_by_characters() {
        let mut t = Table::new(&["A", "BB"]);
        t.row(vec!["çç".into(), "x".into()]);
        t.row(vec!["long cell".into()]);
        assert_eq!(t.render(None), "A          BB\nçç         x\nlong cell\n");
    }

    #[test]
    fn tables_wrap_to_the_width() {
        let mut t = Table::new(&["TASK", "DETAIL"]);
        t.row(vec!["t1".into(), "one two three four five six seven eight nine ten".into()]);
        let out = t.render(Some(24));
        assert!(out.lines().all(|l| l.chars().count() <= 24), "{out}");
        assert_eq!(
            out.split_whitespace().filter(|w| *w != "TASK" && *w != "DETAIL" && *w != "t1").count(),
            10,
            "{out}"
        );
        assert!(out.starts_with("TASK  DETAIL\nt1    one two three"), "{out}");
    }

    #[test]
    fn terminal_text_is_escaped() {
        let hostile = "h1\u{1b}]0;pwned\u{7}\n\u{202e}evil\u{85}\t";
        assert_eq!(term(hostile), "h1\\u{1b}]0;pwned\\u{7}\\n\\u{202e}evil\\u{85}\\t");
        assert_eq!(terminal_safe("a\nb\u{1b}[2J\n"), "a\nb\\u{1b}[2J\n");
        assert!(matches!(term("plain ü 漢"), Cow::Borrowed(_)));
        let mut t = Table::new(&["TASK"]);
        t.row(vec!["a\nb\u{2066}".into()]);
        assert_eq!(t.render(None), "TASK\na\\nb\\u{2066}\n");
        let e = json!({"code": "c\u{1b}", "message": "m `\u{202e}x`", "path": "/a\u{1b}"});
        assert_eq!(problem("error", &e, &keep), "error[c\\u{1b}] in /a\\u{1b}: m `\\u{202e}x`");
        let e =
            json!({"code": "c", "message": "m", "line": 1, "column": 1, "rendered": "\u{1b}x\n^ m", "help": "h\u{9b}"});
        assert_eq!(problem("error", &e, &keep), "error[c] at column 1:\n  \\u{1b}x\n  ^ m\n  help: h\\u{9b}");
    }

    #[test]
    fn pretty_json_escapes_what_a_terminal_must_not_see() {
        let v = json!({"id": "a\u{202e}b\u{7f}\u{1b}", "x": "\u{1F600}"});
        let text = pretty(&v);
        assert_eq!(text, "{\n  \"id\": \"a\\u202eb\\u007f\\u001b\",\n  \"x\": \"\u{1F600}\"\n}");
        assert_eq!(serde_json::from_str::<Json>(&text).unwrap(), v);
    }

    #[test]
    fn short_values() {
        assert_eq!(short(&json!(["a", 1, null])), "a, 1, ");
        assert_eq!(short(&json!({"a": 1})), r#"{"a":1}"#);
        assert_eq!(short(&json!(5.5)), "5.5");
    }
}
