//! Writing to stdout and stderr without panicking. `println!` panics when the reader has
//! gone (`offerfit agent flags.txt | head -1`: "failed printing to stdout: Broken pipe",
//! exit 101); every subcommand writes through [`outln!`], [`out!`] and [`errln!`] instead.
//!
//! - stdout closed by the reader (`ErrorKind::BrokenPipe`): nobody wants the rest, so the
//!   process ends quietly at once with status 0, as `head` expects of a producer;
//! - another stdout error (a full disk): one line on stderr and status 2, the CLI's status
//!   for a problem of the command itself rather than of its input;
//! - stderr errors are ignored: there is nowhere left to report them.

use std::fmt;
use std::io::{self, ErrorKind, Write};

/// Writes `args` to stdout, made safe for a terminal ([`crate::render::terminal_safe`]: no
/// control character but the newline, no bidi override), and flushes, ending the process on
/// a closed pipe (status 0) or another write error (status 2).
pub fn stdout(args: fmt::Arguments<'_>) {
    stdout_raw(format_args!("{}", crate::render::terminal_safe(&args.to_string())));
}

/// [`stdout`] without the filter: for the contract's JSON lines (`offerfit call`), whose
/// bytes are the contract's own.
pub fn stdout_raw(args: fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        drop(out);
        std::process::exit(exit_status(&e));
    }
}

/// Writes `args` to stderr, made safe for a terminal as [`stdout`] does; errors are ignored
/// (there is nowhere to report them).
pub fn stderr(args: fmt::Arguments<'_>) {
    let text = crate::render::terminal_safe(&args.to_string()).into_owned();
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// The status to end with after `e` on stdout (after saying why, unless the reader left).
pub fn exit_status(e: &io::Error) -> i32 {
    if e.kind() == ErrorKind::BrokenPipe {
        return i32::from(crate::EXIT_OK);
    }
    stderr(format_args!("error: cannot write the output: {e}\n"));
    i32::from(crate::EXIT_USAGE)
}

/// `println!` on stdout through [`stdout`].
macro_rules! outln {
    () => {
        $crate::out::stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` on stdout through [`stdout`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::stdout(format_args!($($arg)*))
    };
}

/// `eprintln!` through [`stderr`].
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::out::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {errln, out, outln};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_ends_quietly_with_status_0() {
        assert_eq!(exit_status(&io::Error::from(ErrorKind::BrokenPipe)), 0);
        assert_eq!(exit_status(&io::Error::from(ErrorKind::StorageFull)), 2);
    }
}
