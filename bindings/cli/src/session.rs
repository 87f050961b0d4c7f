//! `offerfit session CONFIG.json`: a framework's scheduler state machine on standard streams
//! (docs/contract.md part 3). One input JSON line on stdin, one output JSON line on stdout, flushed, in
//! order; the session lives until the end of stdin.

use std::io::{BufRead, BufWriter, Write};

use crate::contract::read_bytes;
use crate::{Outcome, UsageError, EXIT_OK, EXIT_REFUSED};

/// `offerfit session` (documented on the subcommand in `main.rs`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The session config (docs/contract.md part 3, "Config"): framework, options, session timers, tasks
    #[arg(value_name = "CONFIG.json")]
    config: String,
    /// Read the inputs from this file instead of standard input
    #[arg(long, value_name = "FILE")]
    input: Option<String>,
}

/// Runs `offerfit session`.
pub fn run(args: &Args) -> Outcome {
    let bytes = read_bytes(&args.config)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = refusal(vec![offerfit::host::utf8_error(&bytes, &e)]);
            let _ = writeln!(out, "{line}").and_then(|()| out.flush());
            return Ok(EXIT_REFUSED);
        }
    };
    let mut session = match offerfit::Session::from_json(text) {
        Ok(s) => s,
        Err(errors) => {
            let _ = writeln!(out, "{}", refusal(errors)).and_then(|()| out.flush());
            return Ok(EXIT_REFUSED);
        }
    };
    let input: Box<dyn BufRead> = match &args.input {
        None => Box::new(std::io::stdin().lock()),
        Some(f) if f == "-" => Box::new(std::io::stdin().lock()),
        Some(f) => {
            let file = std::fs::File::open(f)
                .map_err(|e| UsageError(format!("cannot read `{f}`: {}", crate::contract::io_reason(&e))))?;
            Box::new(std::io::BufReader::new(file))
        }
    };
    answer_lines(&mut session, input, out)
}

fn refusal(errors: Vec<offerfit::host::WireError>) -> String {
    offerfit::session::Refused { errors }.to_json_text()
}

/// One output line per input line; a line that is not UTF-8 is refused with its byte offset.
/// The session keeps going after refused lines (they change nothing); the exit status is 0
/// (the session ran to the end of its input) unless the output cannot be written.
fn answer_lines(session: &mut offerfit::Session, mut input: impl BufRead, out: impl Write) -> Outcome {
    let mut out = BufWriter::new(out);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = input.read_until(b'\n', &mut line).map_err(|e| UsageError(format!("cannot read the input: {e}")))?;
        if n == 0 {
            break;
        }
        let raw = line.strip_suffix(b"\n").unwrap_or(&line);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let answer = match std::str::from_utf8(raw) {
            Ok(text) => session.step_json(text),
            Err(e) => refusal(vec![offerfit::host::utf8_error(raw, &e)]),
        };
        if let Err(e) = writeln!(out, "{answer}").and_then(|()| out.flush()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                break;
            }
            return Err(UsageError(format!("cannot write the output: {e}")));
        }
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_out_per_line_in() {
        let mut s = offerfit::Session::from_json(r#"{"framework": {"name": "fw"}}"#).unwrap();
        let input = b"{\"now\": 1, \"connect\": {}}\n\n{\"now\": 2, \"tick\": {}}\r\n\xff\n";
        let mut out = Vec::new();
        assert_eq!(answer_lines(&mut s, &input[..], &mut out).unwrap(), EXIT_OK);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].contains("SUBSCRIBE"));
        assert!(lines[1].starts_with(r#"{"ok":false,"errors":[{"code":"request.json""#));
        assert_eq!(lines[2], r#"{"ok":true,"calls":[],"notices":[],"wake_at":null}"#);
        assert!(lines[3].contains("request.utf8"));
    }
}
