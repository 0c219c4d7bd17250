//! Reading the small kernel and configuration files host facts come from.

use std::path::Path;

/// The file's text without trailing white space; `None` when it cannot be read.
pub fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim_end().to_string())
}
