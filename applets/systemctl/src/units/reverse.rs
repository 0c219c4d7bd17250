//! One unit's edges without loading the whole universe.
//!
//! Its own dependencies come from its file; the inverse ones (`WantedBy=`, `After=` from
//! another unit's `Before=`, `TriggeredBy=`, …) from every other unit that names it. A
//! unit can only name the target through a file that contains one of the target's names
//! (or a specifier that may expand to one), a `.wants/`-style entry, or, for a timer,
//! path, socket or automount, its own name. So every fragment and drop-in is read but
//! only those that pass that test are loaded — fully, so that validation, masking and
//! specifiers decide exactly as in [`Graph::load`](super::Graph). Cases the scan cannot
//! settle cheaply (a template, a type-wide or dash-prefix directory naming the target:
//! they reach units that are not on the path) give `None`, and the caller builds the
//! full graph.

use super::Dep;
use std::borrow::Cow;
use std::collections::HashSet;
use std::path::PathBuf;
use unitbox_core::capsule;
use unitbox_core::unit::deps::declared;
use unitbox_core::unit::load::Entry;
use unitbox_core::unit::{Unit, UnitName, UnitStore};

/// Keys whose values name other units: the dependency keys and the trigger keys
/// (`Unit=` of timers and paths, `Service=` of sockets).
fn names_units(key: &str) -> bool {
    key == "Unit" || key == "Service" || Dep::FILE_KEYS.iter().any(|d| d.name() == key)
}

/// Specifiers whose expansion never holds blanks, so a word using them stays one word.
const ONE_WORD_SPECIFIERS: &[char] = &['i', 'n', 'N', 'p', 'j', 'H', 'l', 'm', 'b', 'a', '%'];

/// The edges of `requested[target]` in the order [`Graph::load`](super::Graph) finds
/// them; `requested` are the command line's units (loaded first, in that order).
pub(super) fn edges_of(
    store: &UnitStore,
    requested: &[&Unit],
    target: usize,
) -> Option<Vec<(Dep, String)>> {
    let unit = requested[target];
    let mut names: Vec<&str> = unit.names.iter().map(String::as_str).collect();
    names.push(unit.id.as_str());
    let could_name = |text: &str| mentions(text, &names);
    // Every timer and socket names these through its default dependencies, not in its file.
    if names.iter().any(|n| {
        unitbox_core::unit::deps::TIMER_DEFAULT_TARGETS.contains(n)
            || *n == unitbox_core::unit::deps::SOCKETS_TARGET
            || *n == unitbox_core::unit::deps::PATHS_TARGET
    }) {
        return None;
    }

    for builtin in capsule::builtin_templates(store.scope()) {
        if could_name(&builtin.text) {
            return None;
        }
    }
    let named_by_dirs = units_whose_dirs_name(store, unit, &could_name)?;

    // Units that may name the target, keyed by their place in the load order.
    let mut sources: Vec<(usize, Cow<Unit>)> = requested
        .iter()
        .enumerate()
        .map(|(i, u)| (i, Cow::Borrowed(*u)))
        .collect();
    let mut seen: HashSet<String> = requested.iter().map(|u| u.id.to_string()).collect();
    let root = &store.scope().root;
    let dirs: Vec<PathBuf> = store
        .dirs()
        .iter()
        .map(|d| {
            root.canonicalize(&d.path)
                .unwrap_or_else(|_| d.path.clone())
        })
        .collect();
    for (position, (key, _)) in store.entries().enumerate() {
        let Ok(name) = UnitName::parse(key) else {
            continue;
        };
        let Some((id, fragment)) = store.resolve(&name) else {
            continue;
        };
        if !name.is_template() && seen.contains(id.as_str()) {
            continue;
        }
        let real = match &fragment.entry {
            Entry::File { path } => path.file_name().map(|f| dirs[fragment.dir].join(f)),
            Entry::Linked { target, .. } => Some(target.clone()),
            Entry::Masked { .. } | Entry::Alias { .. } => continue,
        };
        let text = real.and_then(|p| std::fs::read(root.host_path(&p)).ok());
        // An unreadable file is loaded to let the loader report it.
        let text_names = text
            .as_deref()
            .is_none_or(|t| could_name(&String::from_utf8_lossy(t)));
        if name.is_template() {
            // Its instances may join the universe from anywhere: only the full graph knows.
            if text_names {
                return None;
            }
            continue;
        }
        if text_names || named_by_dirs.contains(id.as_str()) || triggers_by_name(store, &id, unit) {
            sources.push((requested.len() + position, Cow::Owned(store.load(&name))));
        }
        seen.insert(id.to_string());
    }
    sources.sort_by_key(|(position, _)| *position);

    let scope = store.scope();
    let mut edges: Vec<(Dep, String)> = Vec::new();
    let mut add = |dep: Dep, other: String| {
        if !edges.iter().any(|(d, o)| *d == dep && *o == other) {
            edges.push((dep, other));
        }
    };
    for (_, source) in &sources {
        for (dep, name) in declared(source, scope) {
            let Some(to) = id_of(store, &name) else {
                continue;
            };
            if source.id == unit.id {
                add(dep, to.clone());
            }
            if to == unit.id.as_str() {
                add(dep.inverse(), source.id.to_string());
            }
        }
    }
    Some(edges)
}

/// The id a dependency on `name` lands on, as the universe resolves it; `None` for names
/// it never loads (invalid, templates).
fn id_of(store: &UnitStore, name: &str) -> Option<String> {
    let parsed = UnitName::parse(name).ok().filter(|n| !n.is_template())?;
    Some(match store.resolve(&parsed) {
        Some((id, _)) => id.to_string(),
        None => name.to_string(),
    })
}

/// Whether `id` is a timer, path, socket or automount whose default unit is `unit`.
fn triggers_by_name(store: &UnitStore, id: &UnitName, unit: &Unit) -> bool {
    let suffix = match id.unit_type() {
        "timer" | "path" | "socket" => "service",
        "automount" => "mount",
        _ => return false,
    };
    id_of(store, &format!("{}.{suffix}", id.stem())).as_deref() == Some(unit.id.as_str())
}

/// The ids of the units whose drop-ins or `.wants/`-style directories may name the target;
/// `None` when such a directory also applies to units off the path.
fn units_whose_dirs_name(
    store: &UnitStore,
    unit: &Unit,
    could_name: &dyn Fn(&str) -> bool,
) -> Option<HashSet<String>> {
    let mut ids = HashSet::new();
    let applies_to = |stem: &str, ids: &mut HashSet<String>| -> Option<()> {
        let name = UnitName::parse(stem).ok()?;
        if name.instance().is_some() || name.prefix().ends_with('-') {
            return None;
        }
        ids.insert(id_of(store, stem)?);
        Some(())
    };
    let root = &store.scope().root;
    for (dir_name, path) in store.subdirs().iter().flat_map(|dirs| dirs.iter()) {
        let real = root.canonicalize(path).unwrap_or_else(|_| path.clone());
        let Ok(read) = std::fs::read_dir(root.host_path(&real)) else {
            continue;
        };
        let entries = read
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok());
        if let Some(stem) = dir_name.strip_suffix(".d") {
            for file in entries.filter(|f| f.ends_with(".conf")) {
                let names = store
                    .read(&path.join(&file))
                    .map_or(true, |text| could_name(&String::from_utf8_lossy(&text)));
                if names {
                    applies_to(stem, &mut ids)?;
                }
            }
            continue;
        }
        let Some(stem) = [".wants", ".requires", ".upholds"]
            .iter()
            .find_map(|suffix| dir_name.strip_suffix(suffix))
        else {
            continue;
        };
        for entry in entries {
            let Ok(name) = UnitName::parse(&entry) else {
                continue;
            };
            if name.is_template() {
                // Instantiated with the owner's instance: the owner is off the path.
                if unit.id.is_instance() && name.unit_type() == unit.id.unit_type() {
                    return None;
                }
            } else if id_of(store, &entry).as_deref() == Some(unit.id.as_str()) {
                applies_to(stem, &mut ids)?;
            }
        }
    }
    Some(ids)
}

/// Whether a unit file may name one of `names`: it contains one literally, or a setting
/// that names units has a word with specifiers that could expand to one.
fn mentions(text: &str, names: &[&str]) -> bool {
    names.iter().any(|n| text.contains(n)) || text.lines().any(|line| specified(line, names))
}

fn specified(line: &str, names: &[&str]) -> bool {
    if !line.contains('%') {
        return false;
    }
    let line = line.trim_start();
    if line.starts_with(['#', ';']) {
        return false;
    }
    let value = match line.split_once('=') {
        Some((key, value)) if names_units(key.trim()) => value,
        Some(_) => return false,
        // A continued line: its words may belong to a dependency.
        None => line,
    };
    value
        .split_whitespace()
        .filter(|w| w.contains('%'))
        .any(|word| could_expand_to(word, names))
}

/// Whether a word with specifiers may expand to one of `names`: what precedes the first
/// specifier and follows the last stays literal.
fn could_expand_to(word: &str, names: &[&str]) -> bool {
    let spans_words = word.split('%').skip(1).any(|after| {
        after
            .chars()
            .next()
            .is_some_and(|c| !ONE_WORD_SPECIFIERS.contains(&c))
    });
    if spans_words {
        return true;
    }
    let (Some(first), Some(last)) = (word.find('%'), word.rfind('%')) else {
        return false;
    };
    let prefix = &word[..first];
    let after_last = &word[last + 1..];
    let suffix = match after_last.chars().next() {
        Some(c) => &after_last[c.len_utf8()..],
        None => "",
    };
    names.iter().any(|n| {
        n.len() >= prefix.len() + suffix.len() && n.starts_with(prefix) && n.ends_with(suffix)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifier_words_are_matched_by_their_literal_ends() {
        let names = ["svc-250.service"];
        assert!(could_expand_to("svc-%i.service", &names));
        assert!(could_expand_to("%N.service", &names));
        assert!(!could_expand_to("dev-%i.device", &names));
        assert!(!could_expand_to("getty@%i.service", &names));
        // %I may hold blanks: the word may become several.
        assert!(could_expand_to("x%I", &names));
        assert!(specified("After=svc-%i.service", &names));
        assert!(!specified("ExecStart=/bin/svc-%i.service", &names));
        assert!(!specified("# After=svc-%i.service", &names));
        assert!(specified("   svc-%i.service", &names));
    }

    #[test]
    fn literal_names_anywhere_count() {
        assert!(mentions(
            "[Unit]\nWants=a.service svc-250.service\n",
            &["svc-250.service"]
        ));
        assert!(!mentions("[Unit]\nWants=a.service\n", &["svc-250.service"]));
    }
}
