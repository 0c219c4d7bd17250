//! Exit codes (LSB, as systemctl uses them) and the one place errors become messages.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus(pub i32);

impl ExitStatus {
    pub const SUCCESS: ExitStatus = ExitStatus(0);
    /// Generic failure; also `is-failed`/`is-enabled` "no".
    pub const FAILURE: ExitStatus = ExitStatus(1);
    pub const INVALID_ARGUMENT: ExitStatus = ExitStatus(2);
    /// Unit not active (`is-active`, `status`).
    pub const NOT_ACTIVE: ExitStatus = ExitStatus(3);
    /// No such unit (`is-active`, `status`, `is-enabled` in systemd ≥ 253).
    pub const NO_SUCH_UNIT: ExitStatus = ExitStatus(4);
    /// Unit not found for a job (`start`, `stop`, …: bus error NoSuchUnit).
    pub const UNIT_NOT_FOUND: ExitStatus = ExitStatus(5);
    pub const LOAD_FAILED: ExitStatus = ExitStatus(6);

    pub fn code(self) -> i32 {
        self.0
    }
}

/// An error that ends the command: its message (printed once, to stderr) and exit code.
#[derive(Debug)]
pub struct CtlError {
    pub message: String,
    pub status: ExitStatus,
}

impl CtlError {
    pub fn new(status: ExitStatus, message: impl Into<String>) -> Self {
        CtlError {
            message: message.into(),
            status,
        }
    }

    pub fn failure(message: impl Into<String>) -> Self {
        CtlError::new(ExitStatus::FAILURE, message)
    }

    /// Prints the message and gives the exit code.
    pub fn report(&self) -> i32 {
        if !self.message.is_empty() {
            eprintln!("{}", self.message);
        }
        self.status.code()
    }
}

impl fmt::Display for CtlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<unitbox_core::Error> for CtlError {
    fn from(err: unitbox_core::Error) -> Self {
        use unitbox_core::Error as E;
        let status = match &err {
            E::UnitNotFound(_) => ExitStatus::UNIT_NOT_FOUND,
            _ => ExitStatus::FAILURE,
        };
        CtlError::new(status, err.to_string())
    }
}

pub type CtlResult<T = ExitStatus> = Result<T, CtlError>;
