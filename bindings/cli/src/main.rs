//! The `offerfit` command: a thin shell over the core's JSON contract (`docs/contract.md`).
//!
//! Every subcommand decodes its arguments into one contract request, hands it to
//! [`offerfit::call`] and encodes the answer for a person (pretty JSON, tables, carets on
//! stderr) or a program (`offerfit call`). The CLI has no placement, parsing or matching
//! logic of its own, so it always agrees with the library, the WASM package and the C ABI.
//!
//! Exit status everywhere: 0 when the answer is `ok` (and, for `check`, satisfied), 1 when the
//! input was refused (or a constraint is unsatisfied), 2 for a usage error of the command
//! itself (bad flags, an unreadable file).

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod agent;
mod bench;
mod bench_session;
mod call;
mod constraints;
mod contract;
mod out;
mod place;
mod render;
mod session;
mod simulate;
mod text;

/// Exit status 0: every answer was `ok`.
const EXIT_OK: u8 = 0;
/// Exit status 1: some input was refused (or, for `check`, a constraint is unsatisfied).
const EXIT_REFUSED: u8 = 1;
/// Exit status 2: a usage error of the command itself.
const EXIT_USAGE: u8 = 2;

/// A usage error of the command itself (exit status 2): a file that cannot be read, a flag
/// value that cannot be used. Input the core refuses is not a usage error.
#[derive(Debug)]
pub struct UsageError(pub String);

/// What a subcommand returns: its exit status, or a usage error.
pub type Outcome = Result<u8, UsageError>;

/// offerfit — offer matching and placement for Apache Mesos style schedulers.
///
/// Parses Mesos resources and attributes, lints and checks placement constraints (Marathon
/// and OpenWhisk dialects), and places tasks on offers with accept / decline decisions and
/// reasons. Every subcommand is a thin front end to the JSON contract that `offerfit call`
/// speaks directly.
#[derive(Debug, Parser)]
#[command(name = "offerfit", version, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Answer JSON contract requests: one from FILE (or stdin), or JSON Lines with --lines
    ///
    /// Without --lines: reads one request from FILE (or standard input) and writes one
    /// response line. With --lines: reads JSON Lines and writes one response line per request
    /// line, in order, flushing after each, and keeps going after bad lines (a blank line gets
    /// its own `ok: false` answer). Exit status: 0 when every response is `ok: true`, 1 when
    /// some request was refused, 2 for a usage error. The requests and responses are those of
    /// docs/contract.md (ops: version, parse_value, parse_resources, format_resources,
    /// resource_math, parse_attributes, parse_constraints, check_constraints, place).
    Call(call::Args),
    /// Parse or print Mesos resources text (the agent's `--resources` flag)
    #[command(subcommand)]
    Resources(text::ResourcesCommand),
    /// Parse Mesos attributes text (the agent's `--attributes` flag)
    #[command(subcommand)]
    Attributes(text::AttributesCommand),
    /// Turn Mesos agent flags (`--resources=…`, `--attributes=…`) from a file into Mesos JSON
    ///
    /// The file holds one flag per line, as `--name=value` (the agent's command line) or
    /// `MESOS_NAME=value` (its environment). Blank lines and `#` comments are skipped, and flags
    /// other than --hostname, --resources, --attributes and --default_role are ignored, so a
    /// real flags file works as it is. A second --hostname starts the next agent. Prints a JSON
    /// list of `{"hostname", "resources", "attributes"}`; bad text prints carets with the file
    /// and line on stderr and exits 1.
    Agent(agent::Args),
    /// Check placement constraints before deploying them: carets for bad ones, canonical forms
    ///
    /// Prints each constraint's canonical text on stdout when all are valid. Each invalid
    /// constraint gets its caret rendering and help on stderr, and the exit status is 1.
    /// Constraints the dialect ignores (OpenWhisk understands only LIKE and UNLIKE) are left
    /// out with a warning on stderr; --deny-warnings makes them fail too.
    Lint(constraints::LintArgs),
    /// Evaluate placement constraints against one candidate agent
    ///
    /// Prints `satisfied` or `unsatisfied` before each constraint's canonical text. The
    /// placements of the task's group (for UNIQUE, GROUP_BY, MAX_PER) come from --placed.
    /// Exit status: 0 when all are satisfied, 1 otherwise (or when a constraint is invalid).
    Check(constraints::CheckArgs),
    /// Place tasks on offers: accepts per agent, declines and unplaced tasks with reasons
    ///
    /// Reads a `place` request (docs/contract.md) and prints the decision: the contract response
    /// as pretty JSON, or with --format table, tables of launches per agent (offers, tasks,
    /// exact resources, ports, what is left), declines (refuse seconds, reason) and unplaced
    /// tasks (reasons in check order with offer counts, and the nearest fit). Exit status 0
    /// for any decision, 1 when the request is refused.
    Place(place::Args),
    /// Run the performance scenarios in-process: ms per call, tasks/s, utilisation, JSON cost
    ///
    /// Scenarios (generated deterministically from --seed): Fenzo's TestLotsOfTasks (10,000
    /// agents × 8 cpus, calls of 200 tasks until full), kube-scheduler's SchedulingBasic shape
    /// (10,000 tasks onto 5,000 agents in one call), a constraint-heavy and a port-heavy variant
    /// of it, and a growth table with peak memory. Each is timed through the typed API and
    /// from JSON text to JSON text, beside serde_json parsing the same request (the floor).
    Bench(bench::Args),
    /// Run a Mesos framework's scheduler state machine: JSON Lines inputs in, one output line each
    ///
    /// Reads the session config (docs/contract.md part 3: `framework`, `options`, `session` timers, the
    /// store's `tasks`) from CONFIG.json, then one input per line on standard input (`connect`,
    /// `event` with a Mesos v1 scheduler Event, `disconnected`, `submit`, `kill`, `tick`, each
    /// with `now`) and writes one output line per input, flushed, in order: `{"ok": true,
    /// "calls": [Mesos v1 Calls to POST], "notices": [...], "wake_at": T | null}` or `{"ok":
    /// false, "errors": [...]}` for a refused input (which changes nothing). A bad config prints
    /// one `ok: false` line and exits 1; otherwise the exit status is 0 at the end of input.
    Session(session::Args),
    /// Run a workload on a cluster over simulated time: capacity and strategy planning
    ///
    /// A simulated Mesos master (offers every allocation interval, refuse filters,
    /// suppress/revive, offer timeouts, rescinds, maintenance, agent loss, task lifecycles with
    /// acknowledged status updates) drives the framework scheduler over simulated time. The
    /// files are recognised by content: clusters are Mesos agent flags, a master's /slaves or
    /// /state JSON, or template lines (`20 × "cpus:16;mem:65536" rack=r1..r4`); workloads are
    /// Marathon app JSON, OpenWhisk action classes or offerfit Task JSON. Prints a summary
    /// (placed, pending, unplaced by reason with what to blame, utilisation, stranded capacity,
    /// spread per rack and zone, time to place, offers and revives); --compare, --what-if and
    /// --min-agents answer planning questions; --report writes an HTML report with plots.
    /// Exit status 0 when the simulation ran, whatever it found; 2 for a usage error.
    Simulate(simulate::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    ///
    /// Install it where the shell looks, e.g.
    /// `offerfit completions bash > ~/.local/share/bash-completion/completions/offerfit`,
    /// `offerfit completions zsh > ~/.zfunc/_offerfit` (with `fpath+=~/.zfunc` before
    /// `compinit`), `offerfit completions fish > ~/.config/fish/completions/offerfit.fish`.
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of `offerfit` and its subcommands
    ///
    /// `offerfit man > offerfit.1 && man ./offerfit.1`, or install it as
    /// `/usr/local/share/man/man1/offerfit.1`. With --dir, writes one page per command
    /// (`offerfit.1`, `offerfit-place.1`, ...) into DIR instead.
    Man {
        /// Write every page (the command and each subcommand) into DIR
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

fn run(command: Command) -> Outcome {
    match command {
        Command::Call(args) => call::run(&args),
        Command::Resources(cmd) => text::run_resources(&cmd),
        Command::Attributes(cmd) => text::run_attributes(&cmd),
        Command::Agent(args) => agent::run(&args),
        Command::Lint(args) => constraints::run_lint(&args),
        Command::Check(args) => constraints::run_check(&args),
        Command::Place(args) => place::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Session(args) => session::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "offerfit", &mut buf);
            out::out!("{}", String::from_utf8_lossy(&buf));
            Ok(EXIT_OK)
        }
        Command::Man { dir } => man(dir.as_deref()),
    }
}

/// `offerfit man`: the page of the whole command on stdout, or every page into `dir`.
fn man(dir: Option<&std::path::Path>) -> Outcome {
    let cmd = Cli::command();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .and_then(|()| clap_mangen::generate_to(cmd, dir))
                .map_err(|e| UsageError(format!("cannot write the pages into `{}`: {e}", dir.display())))?;
            Ok(EXIT_OK)
        }
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut buf)
                .map_err(|e| UsageError(format!("cannot render the page: {e}")))?;
            out::out!("{}", String::from_utf8_lossy(&buf));
            Ok(EXIT_OK)
        }
    }
}

fn main() -> ExitCode {
    // clap prints its own usage errors and exits with status 2 (0 for --help / --version).
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(UsageError(message)) => {
            out::errln!("error: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn exit_codes_are_the_contracts() {
        assert_eq!((EXIT_OK, EXIT_REFUSED, EXIT_USAGE), (0, 1, 2));
    }
}
