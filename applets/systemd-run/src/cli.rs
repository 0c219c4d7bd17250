//! systemd-run's command line (systemd 252's `parse_argv()`, getopt with `+`: options end
//! at the first non-option, so the command keeps its own options).

use std::ffi::OsString;
use unitbox_core::getopt::{opt, HasArg, Parser, Spec};
use unitbox_core::unit::value::parse_bool;

pub const HELP: &str = include_str!("help.txt");

/// Where the service's standard streams go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stdio {
    /// The unit's own settings (the journal by default).
    #[default]
    None,
    /// `--pipe`: ours.
    Pipe,
    /// `--pty`: a new pseudo-terminal forwarded to ours.
    Pty,
    /// `--pipe --pty`: a pty if stdin, stdout and stderr are all terminals, else a pipe.
    Auto,
}

#[derive(Debug, Default, Clone)]
pub struct Options {
    pub user: bool,
    pub system: bool,
    pub capsule: Option<String>,
    pub root: Option<String>,
    pub unit: Option<String>,
    pub description: Option<String>,
    pub properties: Vec<String>,
    pub environment: Vec<String>,
    pub uid: Option<String>,
    pub gid: Option<String>,
    pub nice: Option<String>,
    pub working_directory: Option<String>,
    pub same_dir: bool,
    pub service_type: Option<String>,
    pub remain_after_exit: bool,
    pub collect: bool,
    pub wait: bool,
    pub stdio: Stdio,
    pub quiet: bool,
    pub no_block: bool,
    pub send_sighup: bool,
    pub shell: bool,
    pub expand_environment: Option<bool>,
    /// The `[Timer]` settings of `--on-*=` (`OnActiveSec=5`, …), in order.
    pub timer_settings: Vec<String>,
    /// `--timer-property=`.
    pub timer_properties: Vec<String>,
    /// `--scope`, `-H`, `-M`, `--path-property=`, `--socket-property=`: refused.
    pub unsupported: Option<String>,
    pub command: Vec<OsString>,
}

pub enum Parsed {
    Run(Box<Options>),
    Exit(i32),
}

/// systemd-run's options (252's `parse_argv()`; every short letter it has).
const SPECS: &[Spec] = &[
    opt("unit", Some('u'), HasArg::Required),
    opt("property", Some('p'), HasArg::Required),
    opt("description", None, HasArg::Required),
    opt("slice", None, HasArg::Required),
    opt("setenv", Some('E'), HasArg::Required),
    opt("uid", None, HasArg::Required),
    opt("gid", None, HasArg::Required),
    opt("nice", None, HasArg::Required),
    opt("working-directory", None, HasArg::Required),
    opt("service-type", None, HasArg::Required),
    opt("root", None, HasArg::Required),
    opt("capsule", Some('C'), HasArg::Required),
    opt("expand-environment", None, HasArg::Required),
    opt("host", Some('H'), HasArg::Required),
    opt("machine", Some('M'), HasArg::Required),
    opt("on-active", None, HasArg::Required),
    opt("on-boot", None, HasArg::Required),
    opt("on-startup", None, HasArg::Required),
    opt("on-unit-active", None, HasArg::Required),
    opt("on-unit-inactive", None, HasArg::Required),
    opt("on-calendar", None, HasArg::Required),
    opt("timer-property", None, HasArg::Required),
    opt("path-property", None, HasArg::Required),
    opt("socket-property", None, HasArg::Required),
    opt("help", Some('h'), HasArg::No),
    opt("version", None, HasArg::No),
    opt("user", None, HasArg::No),
    opt("system", None, HasArg::No),
    opt("scope", None, HasArg::No),
    opt("no-block", None, HasArg::No),
    opt("wait", None, HasArg::No),
    opt("pipe", Some('P'), HasArg::No),
    opt("pty", Some('t'), HasArg::No),
    opt("quiet", Some('q'), HasArg::No),
    opt("collect", Some('G'), HasArg::No),
    opt("remain-after-exit", Some('r'), HasArg::No),
    opt("same-dir", Some('d'), HasArg::No),
    opt("shell", Some('S'), HasArg::No),
    opt("send-sighup", None, HasArg::No),
    opt("slice-inherit", None, HasArg::No),
    opt("no-ask-password", None, HasArg::No),
    opt("on-clock-change", None, HasArg::No),
    opt("on-timezone-change", None, HasArg::No),
];

/// Parses argv (argv[0] included). `Err` is the one-line message (exit 1).
pub fn parse(args: Vec<OsString>) -> Result<Parsed, String> {
    let mut o = Options::default();
    let mut p =
        Parser::new("systemd-run", SPECS, args.into_iter().skip(1).collect()).stop_at_operand();
    while let Some(found) = p.next_option().map_err(|e| e.0)? {
        if let Some(code) = apply(&mut o, found.name, found.value)? {
            return Ok(Parsed::Exit(code));
        }
    }
    o.command = std::mem::take(&mut p.operands);
    Ok(Parsed::Run(Box::new(o)))
}

/// Applies one option; `Some(code)` ends the program (`--help`, `--version`).
fn apply(o: &mut Options, name: &str, value: Option<String>) -> Result<Option<i32>, String> {
    let v = value.unwrap_or_default();
    match name {
        "help" => {
            print!("{HELP}");
            return Ok(Some(0));
        }
        "version" => {
            unitbox_core::version::print();
            return Ok(Some(0));
        }
        "user" => {
            o.user = true;
            o.system = false;
        }
        "system" => {
            o.system = true;
            o.user = false;
        }
        "capsule" => o.capsule = Some(v),
        "root" => o.root = Some(v),
        "unit" => o.unit = Some(v),
        "description" => o.description = Some(v),
        "property" => o.properties.push(v),
        "setenv" => o.environment.push(v),
        "uid" => o.uid = Some(v),
        "gid" => o.gid = Some(v),
        "nice" => o.nice = Some(v),
        "working-directory" => o.working_directory = Some(v),
        "same-dir" => o.same_dir = true,
        "service-type" => o.service_type = Some(v),
        "remain-after-exit" => o.remain_after_exit = true,
        "collect" => o.collect = true,
        "wait" => o.wait = true,
        "pipe" => {
            o.stdio = match o.stdio {
                Stdio::Pty | Stdio::Auto => Stdio::Auto,
                _ => Stdio::Pipe,
            }
        }
        "pty" => {
            o.stdio = match o.stdio {
                Stdio::Pipe | Stdio::Auto => Stdio::Auto,
                _ => Stdio::Pty,
            }
        }
        "quiet" => o.quiet = true,
        "no-block" => o.no_block = true,
        "send-sighup" => o.send_sighup = true,
        "shell" => o.shell = true,
        "expand-environment" => {
            o.expand_environment =
                Some(parse_bool(&v).ok_or_else(|| {
                    format!("Failed to parse --expand-environment= argument: {v}")
                })?)
        }
        // Accepted: slices are cgroup placement, which unitbox does not do.
        "slice" | "slice-inherit" | "no-ask-password" => {}
        "on-active" | "on-boot" | "on-startup" | "on-unit-active" | "on-unit-inactive"
        | "on-calendar" => {
            let key = match name {
                "on-active" => "OnActiveSec",
                "on-boot" => "OnBootSec",
                "on-startup" => "OnStartupSec",
                "on-unit-active" => "OnUnitActiveSec",
                "on-unit-inactive" => "OnUnitInactiveSec",
                _ => "OnCalendar",
            };
            o.timer_settings.push(format!("{key}={v}"));
        }
        "on-clock-change" => o.timer_settings.push("OnClockChange=yes".into()),
        "on-timezone-change" => o.timer_settings.push("OnTimezoneChange=yes".into()),
        "timer-property" => o.timer_properties.push(v),
        other => {
            o.unsupported.get_or_insert_with(|| format!("--{other}"));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Options {
        let argv = std::iter::once("systemd-run")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        match parse(argv) {
            Ok(Parsed::Run(o)) => *o,
            Ok(Parsed::Exit(_)) => panic!("exited"),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn options_end_at_the_command() {
        let o = run(&[
            "-qGr",
            "-uweb",
            "-p",
            "Environment=X=1",
            "--setenv=Y",
            "--wait",
            "ls",
            "-l",
            "--user",
        ]);
        assert!(o.quiet && o.collect && o.remain_after_exit && o.wait && !o.user);
        assert_eq!(o.unit.as_deref(), Some("web"));
        assert_eq!(o.properties, ["Environment=X=1"]);
        assert_eq!(o.environment, ["Y"]);
        assert_eq!(o.command, ["ls", "-l", "--user"]);
    }

    #[test]
    fn pipe_and_pty_together_mean_auto() {
        assert_eq!(run(&["-P", "true"]).stdio, Stdio::Pipe);
        assert_eq!(run(&["-t", "true"]).stdio, Stdio::Pty);
        assert_eq!(run(&["-t", "-P", "true"]).stdio, Stdio::Auto);
        let timed = run(&[
            "--on-active=5",
            "--on-calendar",
            "daily",
            "--on-clock-change",
            "--timer-property=AccuracySec=1s",
            "true",
        ]);
        assert_eq!(
            timed.timer_settings,
            ["OnActiveSec=5", "OnCalendar=daily", "OnClockChange=yes"]
        );
        assert_eq!(timed.timer_properties, ["AccuracySec=1s"]);
    }

    #[test]
    fn bad_options_are_getopt_errors() {
        let parse_err = |args: &[&str]| {
            let argv = std::iter::once("systemd-run")
                .chain(args.iter().copied())
                .map(OsString::from)
                .collect();
            parse(argv).err().unwrap()
        };
        assert_eq!(
            parse_err(&["--bogus"]),
            "systemd-run: unrecognized option '--bogus'"
        );
        assert_eq!(
            parse_err(&["-u"]),
            "systemd-run: option requires an argument -- 'u'"
        );
        assert_eq!(parse_err(&["-x"]), "systemd-run: invalid option -- 'x'");
        assert_eq!(
            parse_err(&["--wait=1"]),
            "systemd-run: option '--wait' doesn't allow an argument"
        );
        // Abbreviated long options, as getopt_long() takes them.
        assert_eq!(run(&["--pi", "true"]).stdio, Stdio::Pipe);
    }
}
