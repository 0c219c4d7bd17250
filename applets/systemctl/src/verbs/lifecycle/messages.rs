//! The exit codes of failed and refused jobs (`translate_bus_error_to_exit_status()`); the
//! texts are core's ([`unitbox_core::manager::job_text`]).

use crate::exit::ExitStatus;
use unitbox_core::manager::executor::JobResult;
use unitbox_core::manager::job_text;
use unitbox_core::manager::transaction::TransactionError;

/// The message (possibly several lines) and exit code for a failed job of `unit`.
pub fn job_failure(job: &str, unit: &str, result: &JobResult, user: bool) -> (String, ExitStatus) {
    let status = match result {
        JobResult::AccessDenied => ExitStatus(4),
        _ => ExitStatus::FAILURE,
    };
    (job_text::job_failure(job, unit, result, user), status)
}

/// A transaction that could not be planned: the message after "Failed to start X: " and
/// the exit code systemctl derives from the bus error.
pub fn transaction_error(err: &TransactionError) -> (String, ExitStatus) {
    let status = match err {
        TransactionError::NotFound(_) => ExitStatus::UNIT_NOT_FOUND,
        TransactionError::Masked(_) => ExitStatus::FAILURE,
        TransactionError::LoadFailed { .. } => ExitStatus::LOAD_FAILED,
    };
    (err.to_string(), status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_jobs_exit_4_failed_ones_1() {
        let (_, status) = job_failure("start", "a.service", &JobResult::AccessDenied, false);
        assert_eq!(status, ExitStatus(4));
        let failed = JobResult::Failed {
            result: "exit-code".into(),
        };
        assert_eq!(
            job_failure("start", "a.service", &failed, false).1,
            ExitStatus::FAILURE
        );
    }
}
