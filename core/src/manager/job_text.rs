//! What systemctl and systemd-run print when a job fails (systemd 252's
//! `bus-wait-for-jobs.c`); the exit codes are the applets'.

use super::executor::JobResult;

/// `Result=` words systemctl explains (`log_job_error_with_service_result()`).
const EXPLANATIONS: &[(&str, &str)] = &[
    (
        "resources",
        "of unavailable resources or another system error",
    ),
    (
        "protocol",
        "the service did not take the steps required by its unit configuration",
    ),
    ("timeout", "a timeout was exceeded"),
    ("exit-code", "the control process exited with error code"),
    (
        "signal",
        "a fatal signal was delivered to the control process",
    ),
    (
        "core-dump",
        "a fatal signal was delivered causing the control process to dump core",
    ),
    ("watchdog", "the service failed to send watchdog ping"),
    (
        "start-limit-hit",
        "start of the service was attempted too often",
    ),
];

/// The message (possibly several lines) for a failed job of `unit`; empty for a job that
/// did not fail. `user` adds `--user` to the suggested commands, as systemctl's
/// `extra_args`.
pub fn job_failure(job: &str, unit: &str, result: &JobResult, user: bool) -> String {
    match result {
        JobResult::Done | JobResult::Skipped => String::new(),
        JobResult::Dependency => {
            format!("A dependency job for {unit} failed. See 'journalctl -xe' for details.")
        }
        JobResult::Assert => format!("Assertion failed on job for {unit}."),
        JobResult::Unsupported => {
            format!("Operation on or unit type of {unit} not supported on this system.")
        }
        JobResult::Invalid => format!("{unit} is not active, cannot reload."),
        JobResult::AccessDenied => format!("Failed to {job} {unit}: Access denied"),
        JobResult::Failed { result } if unit.ends_with(".service") => {
            // A failed reload leaves Result= alone in systemd, so it gets no explanation.
            let result = if job == "reload" { "" } else { result.as_str() };
            service_failure(unit, result, user)
        }
        JobResult::Failed { .. } => "Job failed. See \"journalctl -xe\" for details.".into(),
    }
}

fn service_failure(unit: &str, result: &str, user: bool) -> String {
    let (systemctl, journalctl) = if user {
        ("systemctl --user", "journalctl --user")
    } else {
        ("systemctl", "journalctl")
    };
    let quoted = shell_maybe_quote(unit);
    let see = format!(
        "See \"{systemctl} status {quoted}\" and \"{journalctl} -xeu {quoted}\" for details."
    );
    let mut text = match EXPLANATIONS.iter().find(|(r, _)| *r == result) {
        Some((_, why)) => format!("Job for {unit} failed because {why}.\n{see}"),
        None => format!("Job for {unit} failed.\n{see}"),
    };
    if result == "start-limit-hit" {
        text.push_str(&format!(
            "\nTo force a start use \"{systemctl} reset-failed {quoted}\"\nfollowed by \"{systemctl} start {quoted}\" again."
        ));
    }
    text
}

/// systemd's `shell_maybe_quote()`: double quotes when the name has characters a shell
/// would interpret (unit names may contain `\` from escaping).
pub fn shell_maybe_quote(s: &str) -> String {
    const SPECIAL: &str = "\"\\`$*?[]{}~#<>|&;()'! \t\n";
    if !s.chars().any(|c| SPECIAL.contains(c)) {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        if "\"\\`$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_texts_follow_systemd() {
        let text = job_failure(
            "start",
            "a.service",
            &JobResult::Failed {
                result: "exit-code".into(),
            },
            false,
        );
        assert_eq!(
            text,
            "Job for a.service failed because the control process exited with error code.\n\
             See \"systemctl status a.service\" and \"journalctl -xeu a.service\" for details."
        );
        let text = job_failure(
            "start",
            "a\\x20b.service",
            &JobResult::Failed {
                result: "start-limit-hit".into(),
            },
            true,
        );
        assert!(
            text.contains("systemctl --user status \"a\\\\x20b.service\""),
            "{text}"
        );
        assert!(
            text.ends_with("followed by \"systemctl --user start \"a\\\\x20b.service\"\" again.")
        );
        let text = job_failure(
            "start",
            "a.service",
            &JobResult::Failed {
                result: "oom-kill".into(),
            },
            false,
        );
        assert!(text.starts_with("Job for a.service failed.\n"));
        let text = job_failure("start", "a.target", &JobResult::Dependency, false);
        assert_eq!(
            text,
            "A dependency job for a.target failed. See 'journalctl -xe' for details."
        );
    }
}
