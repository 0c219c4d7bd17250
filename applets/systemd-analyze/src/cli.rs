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
    Verify,
}

/// `--recursive-errors=`: which units' syntax warnings fail `verify` (252's
/// `RecursiveErrors`); `None` (the option not given) fails on none of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecursiveErrors {
    Yes,
    No,
    One,
}

/// Options of the verbs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub iterations: u32,
    /// `--base-time=` as given (parsed as a timestamp by the verb).
    pub base_time: Option<String>,
    /// `--user`: conditions are tested as the user manager would.
    pub user: bool,
    /// `--man=`: run `man` for `Documentation=man:` (verify; default yes).
    pub man: bool,
    /// `--generators=`: run the generators before verifying (default no).
    pub generators: bool,
    pub recursive_errors: Option<RecursiveErrors>,
    pub root: Option<String>,
    pub image: Option<String>,
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
    ("verify", Verb::Verify),
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
    opt("man", None, HasArg::Optional),
    opt("generators", None, HasArg::Optional),
    opt("recursive-errors", None, HasArg::Required),
    opt("root", None, HasArg::Required),
    opt("image", None, HasArg::Required),
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
    println!("  verify FILE...             Check unit files for correctness");
    println!();
    println!("Options:");
    println!("  -h --help                  Show this help");
    println!("     --version               Show package version");
    println!("     --no-pager              Do not pipe output into a pager");
    println!("     --iterations=N          Show the specified number of iterations");
    println!("     --base-time=TIMESTAMP   Calculate calendar times relative to specified time");
    println!("     --recursive-errors=MODE Control which units are verified");
    println!("     --man[=BOOL]            Do [not] check for existence of man pages");
    println!("     --generators[=BOOL]     Do [not] run unit generators");
    println!("                             (requires privileges)");
    println!("     --root=PATH             Operate on an alternate filesystem root");
    println!("     --image=PATH            Operate on disk image as filesystem root");
}

pub fn parse(args: Vec<OsString>) -> Result<Action, String> {
    let mut args = args.into_iter();
    let program = args
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "systemd-analyze".into());
    let mut options = Options {
        iterations: 1,
        man: true,
        ..Options::default()
    };
    let mut p = Parser::new(&program, SPECS, args.collect());
    while let Some(found) = p.next_option().map_err(|e| e.0)? {
        let given = found.value.clone();
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
            "man" => options.man = bool_argument("man", given.as_deref())?,
            "generators" => options.generators = bool_argument("generators", given.as_deref())?,
            "recursive-errors" => match recursive_errors(&value)? {
                Some(mode) => options.recursive_errors = Some(mode),
                None => return Ok(Action::Exit(0)),
            },
            "root" => options.root = Some(value),
            "image" => options.image = Some(value),
            "user" => options.user = true,
            "system" => options.user = false,
            _ => {}
        }
    }
    let positional = p.operand_strings();
    let Some(verb_name) = positional.first().cloned() else {
        return Err(
            "unitbox: systemd-analyze without a verb (time) needs a running systemd; \
                    the offline verbs are calendar, timespan, timestamp, condition, verify"
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

/// `--man[=BOOL]`, `--generators[=BOOL]`: no value means yes (252's `parse_boolean_argument()`).
fn bool_argument(name: &str, value: Option<&str>) -> Result<bool, String> {
    match value {
        None => Ok(true),
        Some(v) => unitbox_core::unit::value::parse_bool(v)
            .ok_or_else(|| format!("Failed to parse boolean argument to --{name}: {v}.")),
    }
}

/// `--recursive-errors=MODE`; `help` lists the modes and ends the program (`None`).
fn recursive_errors(value: &str) -> Result<Option<RecursiveErrors>, String> {
    Ok(Some(match value {
        "yes" => RecursiveErrors::Yes,
        "no" => RecursiveErrors::No,
        "one" => RecursiveErrors::One,
        "help" => {
            println!("yes\nno\none");
            return Ok(None);
        }
        _ => {
            return Err(format!(
                "Unknown mode passed to --recursive-errors='{value}'."
            ))
        }
    }))
}
