//! systemd-run's command line (systemd 252's `parse_argv()`, getopt with `+`: options end
//! at the first non-option, so the command keeps its own options).

use std::ffi::OsString;
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
    /// The first timer option seen: refused, timers are not implemented.
    pub timer_option: Option<String>,
    /// `--scope`, `-H`, `-M`, `--path-property=`, `--socket-property=`: refused.
    pub unsupported: Option<String>,
    pub command: Vec<OsString>,
}

pub enum Parsed {
    Run(Box<Options>),
    Exit(i32),
}

const WITH_ARG: &[&str] = &[
    "unit",
    "property",
    "description",
    "slice",
    "setenv",
    "uid",
    "gid",
    "nice",
    "working-directory",
    "service-type",
    "root",
    "capsule",
    "expand-environment",
    "host",
    "machine",
    "on-active",
    "on-boot",
    "on-startup",
    "on-unit-active",
    "on-unit-inactive",
    "on-calendar",
    "timer-property",
    "path-property",
    "socket-property",
];

const NO_ARG: &[&str] = &[
    "help",
    "version",
    "user",
    "system",
    "scope",
    "no-block",
    "wait",
    "pipe",
    "pty",
    "quiet",
    "collect",
    "remain-after-exit",
    "same-dir",
    "shell",
    "send-sighup",
    "slice-inherit",
    "no-ask-password",
    "on-clock-change",
    "on-timezone-change",
];

/// The long name of a short option, and whether it takes an argument.
fn short(c: char) -> Option<(&'static str, bool)> {
    Some(match c {
        'h' => ("help", false),
        'r' => ("remain-after-exit", false),
        'H' => ("host", true),
        'M' => ("machine", true),
        'E' => ("setenv", true),
        'p' => ("property", true),
        't' => ("pty", false),
        'P' => ("pipe", false),
        'q' => ("quiet", false),
        'G' => ("collect", false),
        'd' => ("same-dir", false),
        'S' => ("shell", false),
        'u' => ("unit", true),
        'C' => ("capsule", true),
        _ => return None,
    })
}

/// Parses argv (argv[0] included). `Err` is the one-line message (exit 1).
pub fn parse(args: Vec<OsString>) -> Result<Parsed, String> {
    let mut o = Options::default();
    let mut rest = args.into_iter().skip(1).peekable();
    while let Some(arg) = rest.peek().cloned() {
        let Some(text) = arg.to_str().map(str::to_string) else {
            break; // Not UTF-8: not one of our options, so the command starts here.
        };
        if text == "--" {
            rest.next();
            break;
        }
        if !text.starts_with('-') || text == "-" {
            break;
        }
        rest.next();
        if let Some(long) = text.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            if WITH_ARG.contains(&name) {
                let value = match inline {
                    Some(v) => v,
                    None => next_value(&mut rest)
                        .ok_or_else(|| format!("option '--{name}' requires an argument"))?,
                };
                apply(&mut o, name, Some(value))?;
            } else if NO_ARG.contains(&name) {
                if inline.is_some() {
                    return Err(format!("option '--{name}' doesn't allow an argument"));
                }
                if let Some(code) = apply(&mut o, name, None)? {
                    return Ok(Parsed::Exit(code));
                }
            } else {
                return Err(format!("unrecognized option '--{long}'"));
            }
            continue;
        }
        let shorts: Vec<char> = text[1..].chars().collect();
        let mut i = 0;
        while i < shorts.len() {
            let c = shorts[i];
            let (name, takes) = short(c).ok_or_else(|| format!("invalid option -- '{c}'"))?;
            if takes {
                let attached: String = shorts[i + 1..].iter().collect();
                let value = if attached.is_empty() {
                    next_value(&mut rest)
                        .ok_or_else(|| format!("option requires an argument -- '{c}'"))?
                } else {
                    attached
                };
                apply(&mut o, name, Some(value))?;
                break;
            }
            if let Some(code) = apply(&mut o, name, None)? {
                return Ok(Parsed::Exit(code));
            }
            i += 1;
        }
    }
    o.command = rest.collect();
    Ok(Parsed::Run(Box::new(o)))
}

fn next_value(rest: &mut impl Iterator<Item = OsString>) -> Option<String> {
    rest.next().map(|v| v.to_string_lossy().into_owned())
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
        | "on-calendar" | "on-clock-change" | "on-timezone-change" | "timer-property" => {
            o.timer_option.get_or_insert_with(|| format!("--{name}"));
        }
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
        assert_eq!(
            run(&["--on-active=5", "true"]).timer_option.as_deref(),
            Some("--on-active")
        );
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
        assert_eq!(parse_err(&["--bogus"]), "unrecognized option '--bogus'");
        assert_eq!(parse_err(&["-u"]), "option requires an argument -- 'u'");
        assert_eq!(parse_err(&["-x"]), "invalid option -- 'x'");
        assert_eq!(
            parse_err(&["--wait=1"]),
            "option '--wait' doesn't allow an argument"
        );
    }
}
