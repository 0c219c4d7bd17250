//! tmpfiles.d(5)'s specifier table (252's `parse_line()`): the host facts of core's
//! specifier module, `%h %u %U %g %G` of the caller, `%T %V`, and `%t %S %C %L` as the
//! system or user directories, joined to `--root` as systemd does.

use super::Options;
use crate::unit::specifier::{expand_with, host_specifier};
use std::path::PathBuf;

/// A specifier that cannot be resolved here (no machine ID in a fresh root, an unset
/// `$XDG_RUNTIME_DIR`): systemd skips the line quietly.
#[derive(Debug)]
pub struct Unresolvable;

/// An unknown letter is systemd's `-EBADSLT`, reported as an invalid line.
#[derive(Debug)]
pub enum SpecError {
    Unresolvable,
    Unknown,
}

pub fn expand_checked(text: &str, opts: &Options) -> Result<String, SpecError> {
    expand_with(text, |c| resolve(c, opts))
}

/// [`expand_checked`] where an unknown letter counts as unresolvable (arguments).
pub fn expand(text: &str, opts: &Options) -> Result<String, Unresolvable> {
    expand_checked(text, opts).map_err(|_| Unresolvable)
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

fn home() -> PathBuf {
    env_path("HOME").unwrap_or_else(|| identity().home)
}

fn identity() -> crate::users::Identity {
    crate::users::Identity::current(&crate::root::Root::host(), &|k| std::env::var(k).ok())
}

/// `%t %S %C %L`: `sd_path_lookup()` of the system or user directory.
pub fn directory(c: char, user: bool) -> Option<PathBuf> {
    if !user {
        return Some(PathBuf::from(match c {
            't' => "/run",
            'S' => "/var/lib",
            'C' => "/var/cache",
            _ => "/var/log",
        }));
    }
    let config = || env_path("XDG_CONFIG_HOME").unwrap_or_else(|| home().join(".config"));
    match c {
        't' => env_path("XDG_RUNTIME_DIR"),
        'S' => Some(config()),
        'C' => Some(env_path("XDG_CACHE_HOME").unwrap_or_else(|| home().join(".cache"))),
        _ => Some(config().join("log")),
    }
}

fn tmp_dir(default: &str) -> String {
    ["TMPDIR", "TEMP", "TMP"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| v.starts_with('/'))
        .unwrap_or_else(|| default.to_string())
}

fn resolve(c: char, opts: &Options) -> Result<String, SpecError> {
    // Without any os-release file, 252 cannot resolve its fields: the line is skipped.
    if matches!(c, 'o' | 'w' | 'W' | 'B' | 'M' | 'A')
        && (crate::host::RootFacts { root: &opts.root })
            .os_release()
            .is_none()
    {
        return Err(SpecError::Unresolvable);
    }
    if let Some(fact) = host_specifier(c, &opts.root) {
        return fact.ok_or(SpecError::Unresolvable);
    }
    Ok(match c {
        't' | 'S' | 'C' | 'L' => {
            let dir = directory(c, opts.user).ok_or(SpecError::Unresolvable)?;
            opts.root_join(&dir.to_string_lossy())
        }
        'h' => home().to_string_lossy().into_owned(),
        'u' => identity().name,
        'U' => nix::unistd::getuid().to_string(),
        'g' => identity().group,
        'G' => nix::unistd::getgid().to_string(),
        'T' => tmp_dir("/tmp"),
        'V' => tmp_dir("/var/tmp"),
        _ => return Err(SpecError::Unknown),
    })
}
