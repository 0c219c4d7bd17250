//! systemctl's options, parsed with clap. Verbs and unit names are positional; options may
//! appear anywhere, as with systemd's getopt_long. Help and version text are systemd-style
//! and written by hand (`verbs::misc`).

use clap::{Arg, ArgAction, ArgMatches, Command};
use std::ffi::OsString;

/// Everything a verb may look at.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub verb: Option<String>,
    pub args: Vec<String>,
    pub user: bool,
    pub system: bool,
    pub global: bool,
    pub capsule: Option<String>,
    pub root: Option<String>,
    pub runtime: bool,
    pub force: bool,
    pub now: bool,
    pub no_reload: bool,
    pub no_block: bool,
    pub quiet: bool,
    pub no_warn: bool,
    pub all: bool,
    pub full: bool,
    pub plain: bool,
    pub no_legend: bool,
    pub no_pager: bool,
    pub value: bool,
    pub recursive: bool,
    pub reverse: bool,
    pub before: bool,
    pub after: bool,
    pub failed: bool,
    pub show_types: bool,
    pub types: Vec<String>,
    pub states: Vec<String>,
    pub properties: Vec<String>,
    pub output: Option<String>,
    pub preset_mode: Option<String>,
    pub lines: Option<usize>,
    pub signal: Option<String>,
    pub kill_whom: Option<String>,
    pub what: Vec<String>,
    pub wait: bool,
    pub init: bool,
    pub job_mode: Option<String>,
    /// `edit --drop-in=NAME` (systemd ≥ 253).
    pub drop_in: Option<String>,
}

pub enum Parsed {
    Run(Box<Options>),
    /// `--help`/`--version` were handled: exit with this code.
    Exit(i32),
}

fn flag(name: &'static str) -> Arg {
    Arg::new(name).long(name).action(ArgAction::SetTrue)
}

fn list(name: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .action(ArgAction::Append)
        .num_args(1)
}

fn command() -> Command {
    Command::new("systemctl")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .no_binary_name(true)
        .args([
            flag("help").short('h'),
            flag("version"),
            flag("user"),
            flag("system"),
            flag("global"),
            Arg::new("capsule").long("capsule").short('C').num_args(1),
            Arg::new("root").long("root").num_args(1),
            flag("runtime"),
            flag("force").short('f'),
            flag("now"),
            flag("no-reload"),
            flag("no-block"),
            flag("quiet").short('q'),
            flag("no-warn"),
            flag("all").short('a'),
            flag("full").short('l'),
            flag("plain"),
            flag("no-legend"),
            flag("no-pager"),
            flag("no-ask-password"),
            flag("no-wall"),
            flag("value"),
            flag("recursive").short('r'),
            flag("reverse"),
            flag("after"),
            flag("before"),
            flag("failed"),
            flag("show-types"),
            flag("wait"),
            flag("init"),
            flag("dry-run"),
            list("type").short('t'),
            list("state"),
            list("property").short('p'),
            Arg::new("P")
                .short('P')
                .action(ArgAction::Append)
                .num_args(1),
            Arg::new("output").long("output").short('o').num_args(1),
            Arg::new("preset-mode").long("preset-mode").num_args(1),
            Arg::new("lines").long("lines").short('n').num_args(1),
            Arg::new("signal").long("signal").short('s').num_args(1),
            Arg::new("kill-whom")
                .long("kill-whom")
                .alias("kill-who")
                .num_args(1),
            list("what"),
            Arg::new("job-mode").long("job-mode").num_args(1),
            Arg::new("drop-in").long("drop-in").num_args(1),
            Arg::new("legend").long("legend").num_args(1),
            Arg::new("words")
                .num_args(0..)
                .action(ArgAction::Append)
                .allow_hyphen_values(false),
        ])
}

/// Values of a list option, comma-separated values split (`-p A,B -p C`).
fn split_list(m: &ArgMatches, id: &str) -> Vec<String> {
    m.get_many::<String>(id)
        .map(|vals| {
            vals.flat_map(|v| v.split(',').map(str::trim).map(str::to_string))
                .filter(|v| !v.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

pub fn print_help() {
    print!("{}", include_str!("verbs/help.txt"));
}

pub fn parse(args: Vec<OsString>) -> Result<Parsed, String> {
    let rest: Vec<OsString> = args.into_iter().skip(1).collect();
    let m = command().try_get_matches_from(rest).map_err(clap_message)?;
    if m.get_flag("help") {
        print_help();
        return Ok(Parsed::Exit(0));
    }
    if m.get_flag("version") {
        unitbox_core::version::print();
        return Ok(Parsed::Exit(0));
    }
    let mut words: Vec<String> = m
        .get_many::<String>("words")
        .map(|w| w.cloned().collect())
        .unwrap_or_default();
    let verb = if words.is_empty() {
        None
    } else {
        Some(words.remove(0))
    };
    let mut properties = split_list(&m, "property");
    let p_values = split_list(&m, "P");
    let value = m.get_flag("value") || !p_values.is_empty();
    properties.extend(p_values);
    let lines = match m.get_one::<String>("lines") {
        Some(n) => Some(
            n.parse::<usize>()
                .map_err(|_| format!("Failed to parse lines '{n}'"))?,
        ),
        None => None,
    };
    let mut types = Vec::new();
    let mut states = Vec::new();
    // systemctl accepts states in --type (e.g. -t failed) for compatibility.
    for t in split_list(&m, "type") {
        if unitbox_core::unit::name::UNIT_TYPES.contains(&t.as_str()) || t == "help" {
            types.push(t);
        } else if LOAD_STATES.contains(&t.as_str()) {
            states.push(t);
        } else {
            return Err(format!(
                "Unknown unit type or load state '{t}'.\nUse -t help to see a list of allowed values."
            ));
        }
    }
    states.extend(split_list(&m, "state"));
    let legend = match m.get_one::<String>("legend").map(String::as_str) {
        None => true,
        Some(v) => unitbox_core::unit::value::parse_bool(v)
            .ok_or_else(|| format!("Failed to parse boolean argument to --legend: {v}."))?,
    };
    if let Some(mode) = m.get_one::<String>("preset-mode") {
        if !["full", "enable-only", "disable-only"].contains(&mode.as_str()) {
            return Err(format!("Failed to parse preset mode: {mode}."));
        }
    }
    let opts = Options {
        verb,
        args: words,
        user: m.get_flag("user"),
        system: m.get_flag("system"),
        global: m.get_flag("global"),
        capsule: m.get_one::<String>("capsule").cloned(),
        root: m.get_one::<String>("root").cloned(),
        runtime: m.get_flag("runtime"),
        force: m.get_flag("force"),
        now: m.get_flag("now"),
        no_reload: m.get_flag("no-reload"),
        no_block: m.get_flag("no-block"),
        quiet: m.get_flag("quiet"),
        no_warn: m.get_flag("no-warn"),
        all: m.get_flag("all"),
        full: m.get_flag("full"),
        plain: m.get_flag("plain"),
        no_legend: m.get_flag("no-legend") || !legend,
        no_pager: m.get_flag("no-pager"),
        value,
        recursive: m.get_flag("recursive"),
        reverse: m.get_flag("reverse"),
        before: m.get_flag("before"),
        after: m.get_flag("after"),
        failed: m.get_flag("failed"),
        show_types: m.get_flag("show-types"),
        types,
        states,
        properties,
        output: m.get_one::<String>("output").cloned(),
        preset_mode: m.get_one::<String>("preset-mode").cloned(),
        lines,
        signal: m.get_one::<String>("signal").cloned(),
        kill_whom: m.get_one::<String>("kill-whom").cloned(),
        what: split_list(&m, "what"),
        wait: m.get_flag("wait"),
        init: m.get_flag("init"),
        job_mode: m.get_one::<String>("job-mode").cloned(),
        drop_in: m.get_one::<String>("drop-in").cloned(),
    };
    Ok(Parsed::Run(Box::new(opts)))
}

/// The load states `--type=` accepts besides unit types (252, for old scripts).
const LOAD_STATES: &[&str] = &[
    "stub",
    "loaded",
    "not-found",
    "bad-setting",
    "error",
    "merged",
    "masked",
];

/// clap's multi-line errors become getopt-style one-liners.
fn clap_message(err: clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let arg = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.split_whitespace().next().unwrap_or("").to_string(),
        _ => String::new(),
    };
    match err.kind() {
        ErrorKind::UnknownArgument => format!("systemctl: unrecognized option '{arg}'"),
        ErrorKind::InvalidValue | ErrorKind::NoEquals => {
            format!("systemctl: option '{arg}' requires an argument")
        }
        _ => format!(
            "systemctl: {}",
            err.to_string()
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Options {
        let mut v: Vec<OsString> = vec!["systemctl".into()];
        v.extend(args.iter().map(OsString::from));
        match parse(v) {
            Ok(Parsed::Run(o)) => *o,
            _ => panic!("parse failed for {args:?}"),
        }
    }

    #[test]
    fn options_anywhere_and_lists() {
        let o = run(&[
            "show",
            "-p",
            "Id,Names",
            "foo",
            "--property=Type",
            "--root=/x",
        ]);
        assert_eq!(o.verb.as_deref(), Some("show"));
        assert_eq!(o.args, ["foo"]);
        assert_eq!(o.properties, ["Id", "Names", "Type"]);
        assert_eq!(o.root.as_deref(), Some("/x"));
        // Load states are accepted in --type (252); active states are not.
        let o = run(&["list-units", "-t", "service,masked"]);
        assert_eq!(
            (o.types.as_slice(), o.states.as_slice()),
            (&["service".to_string()][..], &["masked".to_string()][..])
        );
        assert!(parse(vec!["systemctl".into(), "-t".into(), "failed".into()]).is_err());
    }

    #[test]
    fn unknown_option_is_one_line() {
        let err = match parse(vec!["systemctl".into(), "--bogus".into()]) {
            Err(e) => e,
            Ok(_) => panic!("accepted --bogus"),
        };
        assert_eq!(err, "systemctl: unrecognized option '--bogus'");
    }
}
