//! `cat` and `daemon-reload`: the files behind units, and what loading them says.

use crate::context::Ctx;
use crate::exit::{CtlResult, ExitStatus};
use std::io::Write;
use unitbox_core::generator;
use unitbox_core::glob::{fnmatch, MatchFlags};
use unitbox_core::host::RootFacts;
use unitbox_core::scope::ScopeKind;
use unitbox_core::unit::load::Entry;
use unitbox_core::unit::name::{is_glob, mangle_with_suffix};
use unitbox_core::unit::{LoadState, UnitName, UnitStore};

/// The unit names an argument stands for: itself, or the names on disk a glob matches.
pub(crate) fn expand(store: &UnitStore, arg: &str) -> Vec<String> {
    let Some(mangled) = mangle_with_suffix(arg, "service", true).map(|m| m.name) else {
        return vec![arg.to_string()];
    };
    if !is_glob(&mangled) {
        return vec![mangled];
    }
    store
        .entries()
        .map(|(name, _)| name)
        .filter(|name| fnmatch(&mangled, name, MatchFlags::default()))
        .map(str::to_string)
        .collect()
}

/// Splits file content into lines as systemd's `read_line()` (`\n`, `\r`, `\r\n`, `\n\r`,
/// NUL), so each comes out with exactly one `\n`.
fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b'\n' | b'\r' | 0) {
            out.push(&bytes[start..i]);
            i += match (b, bytes.get(i + 1)) {
                (b'\n', Some(b'\r')) | (b'\r', Some(b'\n')) => 2,
                _ => 1,
            };
            start = i;
        } else {
            i += 1;
        }
    }
    if start < bytes.len() {
        out.push(&bytes[start..]);
    }
    out
}

pub fn cat(ctx: &Ctx) -> CtlResult {
    let store = ctx.store();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut status = ExitStatus::SUCCESS;
    let mut first = true;
    for arg in &ctx.opts.args {
        for name in expand(store, arg) {
            let Ok(unit_name) = UnitName::parse(&name) else {
                eprintln!("Failed to mangle unit name: Invalid argument");
                status = ExitStatus::FAILURE;
                continue;
            };
            let unit = store.load(&unit_name);
            match unit.load_state {
                LoadState::Masked => {
                    let _ = writeln!(out, "# Unit {name} is masked.");
                    continue;
                }
                LoadState::Error => {
                    let _ = writeln!(out, "# Unit {name} could not be loaded.");
                    continue;
                }
                _ => {}
            }
            let files: Vec<_> = unit
                .fragment_path
                .iter()
                .chain(unit.dropin_paths.iter())
                .collect();
            if files.is_empty() {
                eprintln!("No files found for {name}.");
                if !ctx.opts.force {
                    status = ExitStatus::FAILURE;
                }
                continue;
            }
            if !first {
                let _ = writeln!(out);
            }
            first = false;
            for (index, path) in files.iter().enumerate() {
                let bytes = match store.read(path) {
                    Ok(bytes) => bytes,
                    Err(err) => {
                        let _ = out.flush();
                        eprintln!(
                            "Failed to cat {}: {}",
                            path.display(),
                            unitbox_core::error::os_error_text(&err)
                        );
                        return Ok(ExitStatus::FAILURE);
                    }
                };
                if index > 0 {
                    let _ = writeln!(out);
                }
                let _ = writeln!(out, "# {}", path.display());
                for line in lines(&bytes) {
                    let _ = out.write_all(line);
                    let _ = out.write_all(b"\n");
                }
            }
        }
    }
    let _ = out.flush();
    Ok(status)
}

/// Loads every unit on the search path and prints what loading says (systemd only logs,
/// so this always succeeds).
pub fn daemon_reload(ctx: &Ctx) -> CtlResult {
    if ctx.scope.kind != ScopeKind::Global && generator::fresh::writable(&ctx.scope) {
        let first_boot = RootFacts {
            root: &ctx.scope.root,
        }
        .first_boot();
        generator::run_all(&ctx.scope, first_boot, &|line| eprintln!("{line}"));
    }
    let store = ctx.store();
    let mut seen = std::collections::HashSet::new();
    for (name, entry) in store.entries() {
        if matches!(entry.entry, Entry::Alias { .. }) {
            continue;
        }
        let Ok(unit_name) = UnitName::parse(name) else {
            continue;
        };
        if unit_name.is_template() {
            continue;
        }
        let unit = store.load(&unit_name);
        for diagnostic in &unit.diagnostics {
            let line = diagnostic.to_string();
            if seen.insert(line.clone()) {
                eprintln!("{line}");
            }
        }
    }
    Ok(ExitStatus::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_as_read_line() {
        assert_eq!(lines(b"a\r\nb\n\nc"), [&b"a"[..], b"b", b"", b"c"]);
        assert_eq!(lines(b"a\0b\n\r"), [&b"a"[..], b"b"]);
    }
}
