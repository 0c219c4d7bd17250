//! What `systemctl` and a unit's supervisor say to each other.
//!
//! - The **start report**: one line the supervisor writes on a pipe inherited from the
//!   `systemctl` that launched it, when the start job is done (`--no-block` callers just
//!   close their end). EOF without a line means the supervisor died: `resources`.
//! - **Control requests** on the unit's control socket (`UnitPaths::ctl`), one line each;
//!   the supervisor answers with one line when the request is done (`stop` answers after
//!   the unit is fully stopped).
//!
//! Lines are plain text, space-separated, with free text last, so they are easy to debug
//! with `socat`.

use crate::scope::ScopeKind;
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

/// The hidden applet name a supervisor runs as: `unitbox __supervise …` (the launcher
/// re-executes `/proc/self/exe`, so this works from the multicall binary and from a
/// standalone applet binary alike).
pub const SUPERVISE_APPLET: &str = "__supervise";

/// What a supervisor is told on its command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchArgs {
    pub scope: ScopeKind,
    /// `--root=DIR`, if any.
    pub root: Option<PathBuf>,
    /// The unit, by its full name (instances already instantiated).
    pub unit: String,
    /// The inherited pipe fd for the start report; `None` for `--no-block` launches.
    pub report_fd: Option<i32>,
    /// An automatic restart or a plain start (a plain start resets NRestarts=).
    pub restart: bool,
    /// `systemd-run --pipe`: the supervisor keeps the launcher's stdin/stdout/stderr and
    /// the unit's processes inherit them instead of their `Standard*=` streams.
    pub inherit_stdio: bool,
}

impl LaunchArgs {
    /// argv after argv[0]: `__supervise --scope=… [--root=…] [--report-fd=N] [--restart] UNIT`.
    pub fn to_args(&self) -> Vec<OsString> {
        let scope = match &self.scope {
            ScopeKind::System => "system".to_string(),
            ScopeKind::User => "user".to_string(),
            ScopeKind::Global => "global".to_string(),
            ScopeKind::Capsule(name) => format!("capsule:{name}"),
        };
        let mut args: Vec<OsString> =
            vec![SUPERVISE_APPLET.into(), format!("--scope={scope}").into()];
        if let Some(root) = &self.root {
            let mut arg = OsString::from("--root=");
            arg.push(root);
            args.push(arg);
        }
        if let Some(fd) = self.report_fd {
            args.push(format!("--report-fd={fd}").into());
        }
        if self.restart {
            args.push("--restart".into());
        }
        if self.inherit_stdio {
            args.push("--inherit-stdio".into());
        }
        args.push(self.unit.clone().into());
        args
    }

    /// Parses what [`LaunchArgs::to_args`] wrote (argv[0] and the applet name excluded).
    pub fn parse(args: &[OsString]) -> Option<Self> {
        let mut parsed = LaunchArgs {
            scope: ScopeKind::System,
            root: None,
            unit: String::new(),
            report_fd: None,
            restart: false,
            inherit_stdio: false,
        };
        for arg in args {
            let text = arg.to_str()?;
            if let Some(scope) = text.strip_prefix("--scope=") {
                parsed.scope = match scope {
                    "system" => ScopeKind::System,
                    "user" => ScopeKind::User,
                    "global" => ScopeKind::Global,
                    other => ScopeKind::Capsule(other.strip_prefix("capsule:")?.to_string()),
                };
            } else if let Some(root) = text.strip_prefix("--root=") {
                parsed.root = Some(PathBuf::from(root));
            } else if let Some(fd) = text.strip_prefix("--report-fd=") {
                parsed.report_fd = Some(fd.parse().ok()?);
            } else if text == "--restart" {
                parsed.restart = true;
            } else if text == "--inherit-stdio" {
                parsed.inherit_stdio = true;
            } else if !text.starts_with('-') && parsed.unit.is_empty() {
                parsed.unit = text.to_string();
            } else {
                return None;
            }
        }
        (!parsed.unit.is_empty()).then_some(parsed)
    }
}

/// How a start job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    /// The unit reached its started state (active, or inactive again for a successful
    /// oneshot without RemainAfterExit=).
    Started,
    /// A Condition*= or ExecCondition= did not hold: not a failure, the unit stays inactive.
    ConditionFailed { condition: String },
    /// The start failed; `result` is systemd's Result= word (exit-code, timeout, protocol,
    /// signal, core-dump, resources, start-limit-hit, …).
    Failed { result: String },
}

impl StartOutcome {
    pub fn encode(&self) -> String {
        match self {
            StartOutcome::Started => "started\n".into(),
            StartOutcome::ConditionFailed { condition } => {
                format!("condition {}\n", one_line(condition))
            }
            StartOutcome::Failed { result } => format!("failed {}\n", one_line(result)),
        }
    }

    pub fn decode(line: &str) -> Option<Self> {
        let line = line.trim_end_matches('\n');
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        match word {
            "started" => Some(StartOutcome::Started),
            "condition" => Some(StartOutcome::ConditionFailed {
                condition: rest.to_string(),
            }),
            "failed" if !rest.is_empty() => Some(StartOutcome::Failed {
                result: rest.to_string(),
            }),
            _ => None,
        }
    }
}

/// `--kill-whom=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillWhom {
    Main,
    Control,
    All,
}

impl KillWhom {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "main" => Some(KillWhom::Main),
            "control" => Some(KillWhom::Control),
            "all" => Some(KillWhom::All),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KillWhom::Main => "main",
            KillWhom::Control => "control",
            KillWhom::All => "all",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Stop the unit (ExecStop=, kill, ExecStopPost=) and exit; no restart follows.
    Stop,
    /// ExecReload= (or ReloadSignal= for notify-reload).
    Reload,
    /// Send a signal to the unit's processes.
    Kill { signal: i32, whom: KillWhom },
    /// A socket unit's descriptors for the service `unit` it activates (its listeners, or
    /// the connection of an `Accept=yes` instance): the answer carries them as
    /// `SCM_RIGHTS` (see [`crate::socket`]).
    Fds { unit: String },
}

impl Request {
    pub fn encode(&self) -> String {
        match self {
            Request::Stop => "stop\n".into(),
            Request::Reload => "reload\n".into(),
            Request::Kill { signal, whom } => format!("kill {signal} {}\n", whom.as_str()),
            Request::Fds { unit } => format!("fds {unit}\n"),
        }
    }

    pub fn decode(line: &str) -> Option<Self> {
        let mut words = line.split_whitespace();
        match words.next()? {
            "stop" => Some(Request::Stop),
            "reload" => Some(Request::Reload),
            "fds" => Some(Request::Fds {
                unit: words.next()?.to_string(),
            }),
            "kill" => {
                let signal = words.next()?.parse().ok()?;
                let whom = KillWhom::parse(words.next()?)?;
                Some(Request::Kill { signal, whom })
            }
            _ => None,
        }
    }
}

/// The answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Ok,
    /// The request failed; `result` is the Result= word or a short reason.
    Failed {
        result: String,
    },
}

impl Reply {
    pub fn encode(&self) -> String {
        match self {
            Reply::Ok => "ok\n".into(),
            Reply::Failed { result } => format!("failed {}\n", one_line(result)),
        }
    }

    pub fn decode(line: &str) -> Option<Self> {
        let line = line.trim_end_matches('\n');
        match line.split_once(' ') {
            None if line == "ok" => Some(Reply::Ok),
            Some(("failed", rest)) => Some(Reply::Failed {
                result: rest.to_string(),
            }),
            _ => None,
        }
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encode().trim_end())
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        for o in [
            StartOutcome::Started,
            StartOutcome::ConditionFailed {
                condition: "ConditionPathExists=/x".into(),
            },
            StartOutcome::Failed {
                result: "exit-code".into(),
            },
        ] {
            assert_eq!(StartOutcome::decode(&o.encode()), Some(o));
        }
        for r in [
            Request::Stop,
            Request::Reload,
            Request::Fds {
                unit: "a@1-2-3.service".into(),
            },
            Request::Kill {
                signal: 9,
                whom: KillWhom::All,
            },
        ] {
            assert_eq!(Request::decode(&r.encode()), Some(r));
        }
        for r in [
            Reply::Ok,
            Reply::Failed {
                result: "timeout".into(),
            },
        ] {
            assert_eq!(Reply::decode(&r.encode()), Some(r));
        }
        assert_eq!(Request::decode("kill x all"), None);
        let launch = LaunchArgs {
            scope: ScopeKind::Capsule("tatze".into()),
            root: Some("/tmp/r".into()),
            unit: "a@b.service".into(),
            report_fd: Some(5),
            restart: true,
            inherit_stdio: true,
        };
        assert_eq!(LaunchArgs::parse(&launch.to_args()[1..]), Some(launch));
        assert_eq!(StartOutcome::decode("garbage"), None);
    }
}
