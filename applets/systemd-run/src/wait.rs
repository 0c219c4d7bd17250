//! `--wait`: what systemd-run prints once the unit is inactive again, and the exit status
//! it propagates (systemd 252's `start_transient_service()`).

use unitbox_core::state::{ExitCode, UnitResult, UnitState};
use unitbox_core::unit::value::format_timespan;

/// `EXIT_EXCEPTION`: the main process was killed by a signal.
const EXIT_EXCEPTION: i32 = 255;

/// The summary lines (stderr, unless `-q`).
pub fn summary(state: &UnitState) -> Vec<String> {
    let mut lines = vec![format!("Finished with result: {}", state.result.as_str())];
    if state.exec_main_code != ExitCode::NotExited {
        lines.push(format!(
            "Main processes terminated with: code={}/status={}",
            state.exec_main_code.as_word(),
            state.exec_main_status
        ));
    }
    let (enter, exit) = (state.inactive_enter, state.inactive_exit);
    if enter.is_set() && exit.is_set() && enter.monotonic > exit.monotonic {
        // format_timespan(…, USEC_PER_MSEC): milliseconds are the finest unit shown.
        let runtime = (enter.monotonic - exit.monotonic) / 1000 * 1000;
        lines.push(format!("Service runtime: {}", format_timespan(runtime)));
    }
    lines
}

/// systemd-run's exit status after waiting: 0 on success (which honours
/// `SuccessExitStatus=`), the main process's status for `exit-code`, 255 for a signal,
/// 1 otherwise.
pub fn exit_status(state: &UnitState) -> i32 {
    match state.result {
        UnitResult::Success => 0,
        UnitResult::ExitCode if state.exec_main_status > 0 => state.exec_main_status,
        UnitResult::Signal => EXIT_EXCEPTION,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unitbox_core::time::DualTimestamp;

    #[test]
    fn summary_and_status_follow_systemd_run() {
        let mut state = UnitState {
            result: UnitResult::ExitCode,
            exec_main_code: ExitCode::Exited,
            exec_main_status: 3,
            inactive_exit: DualTimestamp {
                realtime: 1,
                monotonic: 1_000_000,
            },
            inactive_enter: DualTimestamp {
                realtime: 2,
                monotonic: 1_012_345,
            },
            ..Default::default()
        };
        assert_eq!(
            summary(&state),
            [
                "Finished with result: exit-code",
                "Main processes terminated with: code=exited/status=3",
                "Service runtime: 12ms",
            ]
        );
        assert_eq!(exit_status(&state), 3);
        state.result = UnitResult::Signal;
        assert_eq!(exit_status(&state), 255);
        state.result = UnitResult::Timeout;
        assert_eq!(exit_status(&state), 1);
        state.result = UnitResult::Success;
        assert_eq!(exit_status(&state), 0);
    }
}
