//! systemd-analyze's command line: options anywhere (getopt_long with permutation), then a
//! verb and its operands. Only the verbs unitbox implements are accepted.

use std::ffi::OsString;
use unitbox_core::getopt::{opt, HasArg, Parser, Spec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Calendar,
    Timespan,
    Timestamp,
    Condition,
}

/// Options of the calendar verb.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub iterations: u32,
    /// `--base-time=` as given (parsed as a timestamp by the verb).
    pub base_time: Option<String>,
    /// `--user`: conditions are tested as the user manager would.
    pub user: bool,
}

pub enum Action {
    Run(Verb, Vec<String>, Options),
    Exit(i32),
}

const VERBS: &[(&str, Verb)] = &[
    ("calendar", Verb::Calendar),
    ("timespan", Verb::Timespan),
    ("timestamp", Verb::Timestamp),
    ("condition", Verb::Condition),
];

/// The options of 252's systemd-analyze that the offline verbs accept; those that change
/// nothing for them (`--no-pager`, the scope, `-q`) are taken and ignored.
const SPECS: &[Spec] = &[
    opt("help", Some('h'), HasArg::No),
    opt("version", None, HasArg::No),
    opt("no-pager", None, HasArg::No),
    opt("system", None, HasArg::No),
    opt("user", None, HasArg::No),
    opt("global", None, HasArg::No),
    opt("quiet", Some('q'), HasArg::No),
    opt("iterations", None, HasArg::Required),
    opt("base-time", None, HasArg::Required),
];

fn usage(program: &str) {
    println!("{program} [OPTIONS...] COMMAND ...");
    println!();
    println!("Profile systemd, show unit dependencies, check unit files.");
    println!();
    println!("Commands:");
    println!("  calendar SPEC...           Validate repetitive calendar time events");
    println!("  timestamp TIMESTAMP...     Validate a timestamp");
    println!("  timespan SPAN...           Validate a time span");
    println!("  condition CONDITION...     Evaluate conditions and asserts");
    println!();
    println!("Options:");
    println!("  -h --help                  Show this help");
    println!("     --version               Show package version");
    println!("     --no-pager              Do not pipe output into a pager");
    println!("     --iterations=N          Show the specified number of iterations");
    println!("     --base-time=TIMESTAMP   Calculate calendar times relative to specified time");
}

pub fn parse(args: Vec<OsString>) -> Result<Action, String> {
    let mut args = args.into_iter();
    let program = args
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "systemd-analyze".into());
    let mut options = Options {
        iterations: 1,
        base_time: None,
        user: false,
    };
    let mut p = Parser::new(&program, SPECS, args.collect());
    while let Some(found) = p.next_option().map_err(|e| e.0)? {
        let value = found.value.unwrap_or_default();
        match found.name {
            "help" => {
                usage(&program);
                return Ok(Action::Exit(0));
            }
            "version" => {
                unitbox_core::version::print();
                return Ok(Action::Exit(0));
            }
            "iterations" => {
                options.iterations = value
                    .parse()
                    .map_err(|_| format!("Failed to parse iterations: {value}"))?;
            }
            "base-time" => options.base_time = Some(value),
            "user" => options.user = true,
            "system" => options.user = false,
            _ => {}
        }
    }
    let positional = p.operand_strings();
    let Some(verb_name) = positional.first().cloned() else {
        return Err(
            "unitbox: systemd-analyze without a verb (time) needs a running systemd; \
                    the offline verbs are calendar, timespan, timestamp, condition"
                .into(),
        );
    };
    let Some(&(_, verb)) = VERBS.iter().find(|(name, _)| *name == verb_name) else {
        return Err(format!("Unknown command verb {verb_name}."));
    };
    let operands: Vec<String> = positional.into_iter().skip(1).collect();
    if operands.is_empty() {
        // 252's verb table: condition's own check words it differently.
        return Err(match verb {
            Verb::Condition => "Too few arguments for condition".into(),
            _ => "Too few arguments.".into(),
        });
    }
    Ok(Action::Run(verb, operands, options))
}
