//! systemd-analyze's command line: options anywhere (getopt_long with permutation), then a
//! verb and its operands. Only the verbs unitbox implements are accepted.

use std::ffi::OsString;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Calendar,
    Timespan,
    Timestamp,
}

/// Options of the calendar verb.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub iterations: u32,
    /// `--base-time=` as given (parsed as a timestamp by the verb).
    pub base_time: Option<String>,
}

pub enum Action {
    Run(Verb, Vec<String>, Options),
    Exit(i32),
}

const VERBS: &[(&str, Verb)] = &[
    ("calendar", Verb::Calendar),
    ("timespan", Verb::Timespan),
    ("timestamp", Verb::Timestamp),
];

/// Options that take no value and change nothing for the offline verbs.
const IGNORED_FLAGS: &[&str] = &[
    "--no-pager",
    "--system",
    "--user",
    "--global",
    "-q",
    "--quiet",
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
    println!();
    println!("Options:");
    println!("  -h --help                  Show this help");
    println!("     --version               Show package version");
    println!("     --no-pager              Do not pipe output into a pager");
    println!("     --iterations=N          Show the specified number of iterations");
    println!("     --base-time=TIMESTAMP   Calculate calendar times relative to specified time");
}

pub fn parse(args: Vec<OsString>) -> Result<Action, String> {
    let mut args = args.into_iter().map(|a| a.to_string_lossy().into_owned());
    let program = args.next().unwrap_or_else(|| "systemd-analyze".into());
    let mut positional = Vec::new();
    let mut only_positional = false;
    let mut options = Options {
        iterations: 1,
        base_time: None,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        if only_positional || !arg.starts_with('-') || arg == "-" {
            positional.push(arg);
            continue;
        }
        match arg.as_str() {
            "--" => only_positional = true,
            "-h" | "--help" => {
                usage(&program);
                return Ok(Action::Exit(0));
            }
            "--version" => {
                unitbox_core::version::print();
                return Ok(Action::Exit(0));
            }
            flag if IGNORED_FLAGS.contains(&flag) => {}
            with_value
                if with_value.starts_with("--iterations")
                    || with_value.starts_with("--base-time") =>
            {
                let (name, value) = match with_value.split_once('=') {
                    Some((name, value)) => (name.to_string(), value.to_string()),
                    None => {
                        let Some(value) = args.next() else {
                            return Err(format!(
                                "{program}: option '{with_value}' requires an argument"
                            ));
                        };
                        (with_value.to_string(), value)
                    }
                };
                match name.as_str() {
                    "--iterations" => {
                        options.iterations = value
                            .parse()
                            .map_err(|_| format!("Failed to parse iterations: {value}"))?;
                    }
                    "--base-time" => options.base_time = Some(value),
                    _ => return Err(format!("{program}: unrecognized option '{name}'")),
                }
            }
            long if long.starts_with("--") => {
                return Err(format!("{program}: unrecognized option '{long}'"));
            }
            short => {
                let c = short.chars().nth(1).unwrap_or('-');
                return Err(format!("{program}: invalid option -- '{c}'"));
            }
        }
    }
    let Some(verb_name) = positional.first().cloned() else {
        return Err(
            "unitbox: systemd-analyze without a verb (time) needs a running systemd; \
                    the offline verbs are calendar, timespan, timestamp"
                .into(),
        );
    };
    let Some(&(_, verb)) = VERBS.iter().find(|(name, _)| *name == verb_name) else {
        return Err(format!("Unknown command verb {verb_name}."));
    };
    let operands: Vec<String> = positional.into_iter().skip(1).collect();
    if operands.is_empty() {
        return Err("Too few arguments.".into());
    }
    Ok(Action::Run(verb, operands, options))
}
