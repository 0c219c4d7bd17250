//! The pure rules of a service's end: whether an exit is clean, which `Result=` it gives,
//! whether `Restart=` restarts (systemd.service(5), the table under `Restart=`), and the
//! start rate limit (`StartLimitIntervalSec=`, `StartLimitBurst=`).

use crate::exec::spawn::ExitStatus;
use crate::service::types::RestartPolicy;
use crate::service::ServiceConfig;
use crate::state::UnitResult;

/// A clean exit: code 0 or one of `SuccessExitStatus=`; for services other than oneshot
/// also SIGHUP, SIGINT, SIGTERM and SIGPIPE.
pub fn is_clean_exit(status: ExitStatus, config: &ServiceConfig, oneshot: bool) -> bool {
    match status {
        ExitStatus::Exited(code) => code == 0 || config.success_exit_status.contains_code(code),
        ExitStatus::Killed(sig) | ExitStatus::Dumped(sig) => {
            let clean_signal = !oneshot
                && matches!(
                    sig,
                    libc::SIGHUP | libc::SIGINT | libc::SIGTERM | libc::SIGPIPE
                );
            clean_signal || config.success_exit_status.contains_signal(sig)
        }
    }
}

/// The `Result=` of a process that ended uncleanly.
pub fn failure_result(status: ExitStatus) -> UnitResult {
    match status {
        ExitStatus::Exited(_) => UnitResult::ExitCode,
        ExitStatus::Killed(_) => UnitResult::Signal,
        ExitStatus::Dumped(_) => UnitResult::CoreDump,
    }
}

/// Whether the unit restarts after ending with `result` (the last main process status is
/// `status`, if any). Never after an explicit stop: the caller does not ask then.
pub fn should_restart(
    config: &ServiceConfig,
    result: UnitResult,
    status: Option<ExitStatus>,
) -> bool {
    if let Some(status) = status {
        let (code, signal) = match status {
            ExitStatus::Exited(c) => (Some(c), None),
            ExitStatus::Killed(s) | ExitStatus::Dumped(s) => (None, Some(s)),
        };
        let listed = |set: &crate::exec::exit_status::ExitStatusSet| {
            code.is_some_and(|c| set.contains_code(c))
                || signal.is_some_and(|s| set.contains_signal(s))
        };
        if listed(&config.restart_prevent_exit_status) {
            return false;
        }
        if listed(&config.restart_force_exit_status) {
            return true;
        }
    }
    // A start limit hit or a condition never restarts.
    if matches!(
        result,
        UnitResult::StartLimitHit | UnitResult::ExecCondition | UnitResult::ServiceStartLimitHit
    ) {
        return false;
    }
    let clean = result == UnitResult::Success;
    match config.restart {
        RestartPolicy::No => false,
        RestartPolicy::Always => true,
        RestartPolicy::OnSuccess => clean,
        RestartPolicy::OnFailure => !clean,
        RestartPolicy::OnAbnormal => matches!(
            result,
            UnitResult::Signal
                | UnitResult::CoreDump
                | UnitResult::Timeout
                | UnitResult::Watchdog
                | UnitResult::OomKill
        ),
        RestartPolicy::OnWatchdog => result == UnitResult::Watchdog,
        RestartPolicy::OnAbort => matches!(result, UnitResult::Signal | UnitResult::CoreDump),
    }
}

/// Checks the start limit at `now` (CLOCK_MONOTONIC µs) against `history` (the starts
/// within the interval, oldest first), pruning it, and records this start unless the limit
/// is hit. Returns false when the limit is hit. `interval == 0` or `burst == 0` disables it.
pub fn start_allowed(history: &mut Vec<u64>, now: u64, interval: u64, burst: u32) -> bool {
    if interval == 0 || burst == 0 {
        history.clear();
        return true;
    }
    history.retain(|&t| t <= now && now - t < interval);
    if history.len() >= burst as usize {
        return false;
    }
    history.push(now);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(lines: &[(&str, &str)]) -> ServiceConfig {
        let mut text = String::from("[Service]\nExecStart=/bin/true\n");
        for (k, v) in lines {
            text.push_str(&format!("{k}={v}\n"));
        }
        crate::supervisor::test_config(&text)
    }

    #[test]
    fn clean_exits() {
        let c = config(&[("SuccessExitStatus", "3 SIGUSR1")]);
        assert!(is_clean_exit(ExitStatus::Exited(0), &c, false));
        assert!(is_clean_exit(ExitStatus::Exited(3), &c, false));
        assert!(!is_clean_exit(ExitStatus::Exited(1), &c, false));
        assert!(is_clean_exit(ExitStatus::Killed(libc::SIGTERM), &c, false));
        assert!(!is_clean_exit(ExitStatus::Killed(libc::SIGTERM), &c, true));
        assert!(is_clean_exit(ExitStatus::Killed(libc::SIGUSR1), &c, true));
        assert!(!is_clean_exit(ExitStatus::Killed(libc::SIGKILL), &c, false));
        assert_eq!(
            failure_result(ExitStatus::Dumped(libc::SIGSEGV)),
            UnitResult::CoreDump
        );
    }

    /// The table of systemd.service(5) under `Restart=`.
    #[test]
    fn restart_table() {
        use UnitResult::*;
        let causes: [(UnitResult, Option<ExitStatus>); 6] = [
            (Success, Some(ExitStatus::Exited(0))),
            (ExitCode, Some(ExitStatus::Exited(1))),
            (Signal, Some(ExitStatus::Killed(libc::SIGKILL))),
            (Timeout, None),
            (Watchdog, None),
            (OomKill, None),
        ];
        let table: [(&str, [bool; 6]); 7] = [
            ("no", [false, false, false, false, false, false]),
            ("always", [true, true, true, true, true, true]),
            ("on-success", [true, false, false, false, false, false]),
            ("on-failure", [false, true, true, true, true, true]),
            ("on-abnormal", [false, false, true, true, true, true]),
            ("on-abort", [false, false, true, false, false, false]),
            ("on-watchdog", [false, false, false, false, true, false]),
        ];
        for (policy, expected) in table {
            let c = config(&[("Restart", policy)]);
            for ((result, status), want) in causes.iter().zip(expected) {
                assert_eq!(
                    should_restart(&c, *result, *status),
                    want,
                    "Restart={policy} after {result}"
                );
            }
        }
        let c = config(&[
            ("Restart", "always"),
            ("RestartPreventExitStatus", "42"),
            ("RestartForceExitStatus", "SIGKILL"),
        ]);
        assert!(!should_restart(&c, ExitCode, Some(ExitStatus::Exited(42))));
        assert!(!should_restart(&c, StartLimitHit, None));
        let c = config(&[("Restart", "no"), ("RestartForceExitStatus", "SIGKILL 7")]);
        assert!(should_restart(
            &c,
            Signal,
            Some(ExitStatus::Killed(libc::SIGKILL))
        ));
        assert!(should_restart(&c, ExitCode, Some(ExitStatus::Exited(7))));
    }

    #[test]
    fn start_limit() {
        let mut h = Vec::new();
        for t in 0..5 {
            assert!(start_allowed(&mut h, 1_000 + t, 10_000_000, 5));
        }
        assert!(!start_allowed(&mut h, 2_000, 10_000_000, 5), "sixth start");
        assert_eq!(h.len(), 5, "a refused start is not recorded");
        assert!(
            start_allowed(&mut h, 10_002_000, 10_000_000, 5),
            "old starts age out"
        );
        assert_eq!(h.len(), 1);
        let mut h = vec![1, 2, 3];
        assert!(start_allowed(&mut h, 4, 0, 5), "interval 0 disables");
        assert!(h.is_empty());
    }
}
