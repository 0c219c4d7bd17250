//! The manager's client environment: what `systemctl set-environment`, `unset-environment`
//! and `import-environment` change (systemd's `Manager.client_environment`).
//!
//! systemd keeps it in PID 1's memory; unitbox has no resident manager, so it lives in the
//! scope's state directory (`<state dir>/environment`, one escaped `NAME=value` a line) and
//! every later spawn — from any shell, `docker exec` or a unitbox PID 1 — reads it through
//! [`super::manager_env::manager_environment`]. Like systemd's it lasts until the next boot:
//! the state directory discards it with the rest of a previous boot's state.
//!
//! As 252's `manager_client_environment_modify()`: removals first, then additions; the list
//! stays sorted; removals touch the client environment only (the defaults come back).

use crate::scope::Scope;
use crate::state::dir::write_atomic;
use crate::state::escape::{escape_str, unescape};
use crate::state::{lock, StateDir};
use crate::{Error, Result};
use std::path::PathBuf;
use std::time::Duration;

/// The file in the state directory.
pub const FILE: &str = "environment";
const LOCK: &str = "environment.lock";

/// 252's `env_name_is_valid()`: letters, digits and `_`, not starting with a digit.
pub fn name_is_valid(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// 252's `env_assignment_is_valid()`. Values may hold any character (control characters
/// too, as 252 allows), the text being UTF-8 already.
pub fn assignment_is_valid(assignment: &str) -> bool {
    assignment
        .split_once('=')
        .is_some_and(|(name, _)| name_is_valid(name))
}

fn name_of(entry: &str) -> &str {
    entry.split_once('=').map_or(entry, |(name, _)| name)
}

/// 252's `strv_env_is_valid()`: every entry an assignment, no name twice.
pub fn assignments_are_valid(list: &[String]) -> bool {
    list.iter().enumerate().all(|(i, a)| {
        assignment_is_valid(a) && !list[i + 1..].iter().any(|b| name_of(b) == name_of(a))
    })
}

/// 252's `strv_env_name_or_assignment_is_valid()`: names or assignments, none twice.
pub fn names_or_assignments_are_valid(list: &[String]) -> bool {
    list.iter()
        .enumerate()
        .all(|(i, a)| (name_is_valid(a) || assignment_is_valid(a)) && !list[i + 1..].contains(a))
}

/// 252's `env_match()`: `NAME` removes any value of NAME, `NAME=value` only that value.
fn matches(entry: &str, pattern: &str) -> bool {
    if pattern.contains('=') {
        entry == pattern
    } else {
        name_of(entry) == pattern
    }
}

fn path(dir: &StateDir) -> PathBuf {
    dir.path().join(FILE)
}

fn parse(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| String::from_utf8_lossy(&unescape(l.as_bytes())).into_owned())
        .filter(|e| assignment_is_valid(e))
        .collect()
}

/// The client environment of `scope` as `NAME=value` entries, sorted; empty when nothing
/// was set in this boot (or the scope has no state, as `--global`).
pub fn read(scope: &Scope) -> Vec<String> {
    let Ok(Some(dir)) = StateDir::existing(scope) else {
        return Vec::new();
    };
    std::fs::read_to_string(path(&dir))
        .map(|t| parse(&t))
        .unwrap_or_default()
}

/// Removes what `minus` matches, then sets every assignment of `plus` (validated by the
/// caller), under the file's lock; the file is replaced atomically.
pub fn modify(scope: &Scope, minus: &[String], plus: &[String]) -> Result<()> {
    let dir = StateDir::for_scope(scope)?;
    let _guard = lock::lock(&dir.path().join(LOCK), Duration::from_secs(10))?;
    let file = path(&dir);
    let mut env = match std::fs::read_to_string(&file) {
        Ok(text) => parse(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(&file, e)),
    };
    env.retain(|e| !minus.iter().any(|m| matches(e, m)));
    for assignment in plus {
        match env.iter_mut().find(|e| name_of(e) == name_of(assignment)) {
            Some(slot) => slot.clone_from(assignment),
            None => env.push(assignment.clone()),
        }
    }
    env.sort();
    let mut text = String::new();
    for entry in &env {
        text.push_str(&escape_str(entry));
        text.push('\n');
    }
    write_atomic(&file, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::Root;
    use crate::scope::ScopeKind;
    use crate::users::Identity;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn validity_as_252() {
        assert!(assignments_are_valid(&strings(&[
            "A=1",
            "B_2=",
            "C=x\ny\u{1}"
        ])));
        for bad in [
            &["1A=1"][..],
            &["A-B=1"],
            &["NOEQ"],
            &["A=1", "A=2"],
            &["=x"],
        ] {
            assert!(!assignments_are_valid(&strings(bad)), "{bad:?}");
        }
        assert!(names_or_assignments_are_valid(&strings(&["A", "A=2", "B"])));
        assert!(!names_or_assignments_are_valid(&strings(&["A", "A"])));
        assert!(!names_or_assignments_are_valid(&strings(&["A-B"])));
    }

    #[test]
    fn modify_persists_sorted_and_unsets_by_name_or_value() {
        let dir = tempfile::tempdir().unwrap();
        let scope = Scope::new(
            ScopeKind::System,
            Root::new(dir.path()),
            Identity::root_user(),
            &|_| None,
        );
        assert!(read(&scope).is_empty());
        modify(&scope, &[], &strings(&["ZZ=1", "AA=x\ny", "B=a b"])).unwrap();
        assert_eq!(read(&scope), strings(&["AA=x\ny", "B=a b", "ZZ=1"]));
        modify(&scope, &strings(&["ZZ=2", "B"]), &strings(&["AA=2"])).unwrap();
        assert_eq!(read(&scope), strings(&["AA=2", "ZZ=1"]));
        modify(&scope, &strings(&["ZZ=1"]), &[]).unwrap();
        assert_eq!(read(&scope), strings(&["AA=2"]));
    }
}
