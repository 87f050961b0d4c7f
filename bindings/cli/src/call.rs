//! `offerfit call`: the JSON contract on standard streams, for hosts in any language.

use std::io::{BufRead, BufWriter, Write};

use crate::contract::{io_reason, is_ok, read_bytes_capped, read_line_capped, MAX_REQUEST_BYTES};
use crate::out::outln;
use crate::{Outcome, UsageError, EXIT_OK, EXIT_REFUSED};

/// `offerfit call` (documented on the subcommand in `main.rs`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The request file; `-` or nothing reads standard input
    #[arg(value_name = "FILE", default_value = "-")]
    file: String,
    /// Read JSON Lines: one request per line, one response line each
    #[arg(long)]
    lines: bool,
    /// Pretty-print the response (single request only)
    #[arg(long, conflicts_with = "lines")]
    pretty: bool,
}

/// Runs `offerfit call`.
pub fn run(args: &Args) -> Outcome {
    if args.lines {
        return run_lines(&args.file);
    }
    // An input over the size limit is counted while it is read, never held, and answered as
    // the core answers it.
    let response = match read_bytes_capped(&args.file)? {
        Ok(bytes) => offerfit::host::call_bytes(&bytes),
        Err(too_large) => {
            offerfit::host::refusal_for_size(too_large.0).unwrap_or_else(|| offerfit::host::call_bytes(b""))
        }
    };
    let ok = is_ok(&response);
    if args.pretty {
        let v: serde_json::Value =
            serde_json::from_str(&response).map_err(|e| UsageError(format!("the core's response is not JSON: {e}")))?;
        outln!("{}", crate::render::pretty(&v));
    } else {
        // The contract's own bytes, unfiltered (JSON escapes every control character).
        crate::out::stdout_raw(format_args!("{response}\n"));
    }
    Ok(if ok { EXIT_OK } else { EXIT_REFUSED })
}

/// JSON Lines: answers each line as soon as it is read, so a host can keep the process open
/// and talk to it request by request.
fn run_lines(file: &str) -> Outcome {
    let input: Box<dyn BufRead> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f =
            std::fs::File::open(file).map_err(|e| UsageError(format!("cannot read `{file}`: {}", io_reason(&e))))?;
        Box::new(std::io::BufReader::new(f))
    };
    let out = std::io::stdout().lock();
    answer_lines(input, out)
}

/// Answers every line of `input` on `out`; the exit status is 1 when any answer was refused.
fn answer_lines(mut input: impl BufRead, out: impl Write) -> Outcome {
    let mut out = BufWriter::new(out);
    let mut line = Vec::new();
    let mut refused = false;
    loop {
        line.clear();
        let read = read_line_capped(&mut input, &mut line, MAX_REQUEST_BYTES)
            .map_err(|e| UsageError(format!("cannot read the input: {e}")))?;
        let response = match read {
            Ok(0) => break,
            Ok(_) => {
                let request = line.strip_suffix(b"\n").unwrap_or(&line);
                let request = request.strip_suffix(b"\r").unwrap_or(request);
                offerfit::host::call_bytes(request)
            }
            // A line over the limit is counted, not held.
            Err(too_large) => {
                offerfit::host::refusal_for_size(too_large.0).unwrap_or_else(|| offerfit::host::call_bytes(b""))
            }
        };
        refused |= !is_ok(&response);
        if let Err(e) = writeln!(out, "{response}").and_then(|()| out.flush()) {
            // The reader has gone (`| head -1`): stop quietly, with the status so far.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                break;
            }
            return Err(UsageError(format!("cannot write the output: {e}")));
        }
    }
    Ok(if refused { EXIT_REFUSED } else { EXIT_OK })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> (u8, Vec<String>) {
        let mut out = Vec::new();
        let code = answer_lines(input, &mut out).unwrap();
        (code, String::from_utf8(out).unwrap().lines().map(str::to_owned).collect())
    }

    #[test]
    fn one_answer_per_line_in_order() {
        let (code, out) = lines(b"{\"op\":\"version\"}\n{oops\n\n{\"op\":\"version\"}");
        assert_eq!(code, EXIT_REFUSED);
        assert_eq!(out.len(), 4);
        assert!(out[0].starts_with(r#"{"ok":true,"version":"#), "{}", out[0]);
        assert!(out[1].starts_with(r#"{"ok":false,"errors":[{"code":"request.json""#), "{}", out[1]);
        assert!(out[2].starts_with(r#"{"ok":false"#), "blank line answered: {}", out[2]);
        assert!(out[3].starts_with(r#"{"ok":true"#), "{}", out[3]);
    }

    #[test]
    fn crlf_and_bad_utf8_lines() {
        let (code, out) = lines(b"{\"op\":\"version\"}\r\n\xff\xfe\n");
        assert_eq!(code, EXIT_REFUSED);
        assert!(out[0].starts_with(r#"{"ok":true"#), "{}", out[0]);
        assert!(out[1].starts_with(r#"{"ok":false,"errors":[{"code":"request.utf8""#), "{}", out[1]);
    }

    #[test]
    fn a_line_over_the_limit_is_refused_as_the_core_would() {
        let mut input = b"{\"op\":\"version\",\"x\":\"".to_vec();
        input.resize(MAX_REQUEST_BYTES + 10, b'a');
        input.extend_from_slice(b"\"}\r\n{\"op\":\"version\"}\n");
        let (code, out) = lines(&input);
        assert_eq!(code, EXIT_REFUSED);
        assert_eq!(out.len(), 2);
        let line_len = MAX_REQUEST_BYTES + 12;
        assert_eq!(out[0], offerfit::host::refusal_for_size(line_len).unwrap());
        assert!(out[0].contains(&format!("found {line_len} bytes")), "{}", out[0]);
        assert!(out[1].starts_with(r#"{"ok":true"#), "{}", out[1]);
    }

    #[test]
    fn no_input_no_answers() {
        assert_eq!(lines(b""), (EXIT_OK, vec![]));
    }
}
