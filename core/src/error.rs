//! Typed errors of the core. Applets turn them into systemd's messages and exit codes once,
//! at their edge.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Invalid unit name \"{0}\"")]
    InvalidUnitName(String),
    #[error("Unit {0} not found.")]
    UnitNotFound(String),
    #[error("Unit {0} is masked.")]
    UnitMasked(String),
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("Invalid capsule name: {0}")]
    InvalidCapsuleName(String),
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An I/O error's `strerror(3)` text as systemd's `%m` prints it: without Rust's
/// " (os error N)" suffix. The one place that strips it.
pub fn os_error_text(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}
