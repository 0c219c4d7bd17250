//! systemd-cat's command line, as systemd 252's `parse_argv()` reads it: `getopt_long()`
//! with `+ht:p:` (options end at the command, long options may be abbreviated, `--` ends
//! them), glibc's messages for bad options, systemd's for bad values, each on the first
//! option that fails.

use std::ffi::OsString;
use unitbox_core::getopt::{opt, HasArg, Parser, Spec};
use unitbox_core::journal::record::parse_priority;
use unitbox_core::unit::value::parse_bool;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `-t`; empty means none (`sd_journal_stream_fd(NULL, …)`).
    pub identifier: String,
    pub priority: u8,
    pub stderr_priority: Option<u8>,
    pub level_prefix: bool,
    /// The command and its arguments; empty: copy stdin.
    pub command: Vec<OsString>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            identifier: String::new(),
            priority: unitbox_core::journal::record::DEFAULT_PRIORITY,
            stderr_priority: None,
            level_prefix: true,
            command: Vec::new(),
        }
    }
}

pub enum Action {
    Run(Options),
    /// `--help` (printed) or `--version`: exit 0.
    Exit,
}

const SPECS: &[Spec] = &[
    opt("help", Some('h'), HasArg::No),
    opt("version", None, HasArg::No),
    opt("identifier", Some('t'), HasArg::Required),
    opt("priority", Some('p'), HasArg::Required),
    opt("stderr-priority", None, HasArg::Required),
    opt("level-prefix", None, HasArg::Required),
];

/// Parses the full argv; `Err` is the one line for stderr (exit 1).
pub fn parse(args: Vec<OsString>) -> Result<Action, String> {
    let mut args = args.into_iter();
    let argv0 = args
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "systemd-cat".into());
    let mut opts = Options::default();
    let mut p = Parser::new(&argv0, SPECS, args.collect()).stop_at_operand();
    while let Some(found) = p.next_option().map_err(|e| e.0)? {
        if !apply(&mut opts, &argv0, found.name, found.value)? {
            return Ok(Action::Exit);
        }
    }
    opts.command = std::mem::take(&mut p.operands);
    Ok(Action::Run(opts))
}

/// One option; `Ok(false)`: `--help`/`--version` done, exit 0.
fn apply(o: &mut Options, argv0: &str, name: &str, value: Option<String>) -> Result<bool, String> {
    let value = value.unwrap_or_default();
    match name {
        "help" => {
            let program = std::path::Path::new(argv0)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            print!("{}", include_str!("help.txt").replacen("{}", &program, 1));
            return Ok(false);
        }
        "version" => {
            unitbox_core::version::print();
            return Ok(false);
        }
        "identifier" => o.identifier = value,
        "priority" => {
            o.priority = parse_priority(&value).ok_or("Failed to parse priority value.")?
        }
        "stderr-priority" => {
            o.stderr_priority =
                Some(parse_priority(&value).ok_or("Failed to parse stderr priority value.")?)
        }
        _ => {
            o.level_prefix = parse_bool(&value).ok_or_else(|| {
                format!("Failed to parse boolean argument to --level-prefix=: {value}.")
            })?
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        let argv = std::iter::once("systemd-cat")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        parse(argv).map(|a| match a {
            Action::Run(o) => o,
            Action::Exit => panic!("exit"),
        })
    }

    #[test]
    fn options_end_at_the_command() {
        let o = run(&[
            "-tid",
            "--prio",
            "err",
            "--level-prefix=no",
            "sh",
            "-p",
            "x",
        ])
        .unwrap();
        assert_eq!(
            (o.identifier.as_str(), o.priority, o.level_prefix),
            ("id", 3, false)
        );
        assert_eq!(o.command, ["sh", "-p", "x"]);
        // A required value is the next word, whatever it looks like.
        let o = run(&["-t", "true"]).unwrap();
        assert_eq!(
            (o.identifier.as_str(), o.priority, o.command.len()),
            ("true", 6, 0)
        );
        assert!(run(&["-p", "7", "--", "-t"]).unwrap().command == ["-t"]);
        assert_eq!(
            run(&["--stderr-priority=0"]).unwrap().stderr_priority,
            Some(0)
        );
    }

    #[test]
    fn errors_are_systemds_and_glibcs() {
        let err = |a: &[&str]| run(a).unwrap_err();
        assert_eq!(err(&["-p", "8"]), "Failed to parse priority value.");
        assert_eq!(
            err(&["-p"]),
            "systemd-cat: option requires an argument -- 'p'"
        );
        assert_eq!(
            err(&["--stderr-priority=x"]),
            "Failed to parse stderr priority value."
        );
        assert_eq!(
            err(&["--level-prefix=maybe"]),
            "Failed to parse boolean argument to --level-prefix=: maybe."
        );
        assert_eq!(
            err(&["--bogus=1"]),
            "systemd-cat: unrecognized option '--bogus=1'"
        );
        assert_eq!(err(&["-x"]), "systemd-cat: invalid option -- 'x'");
        assert_eq!(
            err(&["--ident"]),
            "systemd-cat: option '--identifier' requires an argument"
        );
        assert_eq!(
            err(&["--help=1"]),
            "systemd-cat: option '--help' doesn't allow an argument"
        );
    }
}
