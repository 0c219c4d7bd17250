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

use std::fmt;

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
}

impl Request {
    pub fn encode(&self) -> String {
        match self {
            Request::Stop => "stop\n".into(),
            Request::Reload => "reload\n".into(),
            Request::Kill { signal, whom } => format!("kill {signal} {}\n", whom.as_str()),
        }
    }

    pub fn decode(line: &str) -> Option<Self> {
        let mut words = line.split_whitespace();
        match words.next()? {
            "stop" => Some(Request::Stop),
            "reload" => Some(Request::Reload),
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
    Failed { result: String },
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
            Request::Kill {
                signal: 9,
                whom: KillWhom::All,
            },
        ] {
            assert_eq!(Request::decode(&r.encode()), Some(r));
        }
        for r in [Reply::Ok, Reply::Failed { result: "timeout".into() }] {
            assert_eq!(Reply::decode(&r.encode()), Some(r));
        }
        assert_eq!(Request::decode("kill x all"), None);
        assert_eq!(StartOutcome::decode("garbage"), None);
    }
}
