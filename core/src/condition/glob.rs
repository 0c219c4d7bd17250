//! `ConditionPathExistsGlob=`: whether `glob(3)` with `GLOB_BRACE` finds anything, walked
//! inside the scope's root.

use crate::glob::{fnmatch, MatchFlags};
use crate::root::Root;
use std::path::PathBuf;

pub fn glob_exists(root: &Root, pattern: &str) -> bool {
    expand_braces(pattern)
        .iter()
        .any(|p| !matches(root, p).is_empty())
}

/// `glob(3)` with `GLOB_BRACE`: every logical path inside `root` that matches `pattern`
/// (tmpfiles.d's glob lines use it too).
pub fn glob_paths(root: &Root, pattern: &str) -> Vec<PathBuf> {
    expand_braces(pattern)
        .iter()
        .flat_map(|p| matches(root, p))
        .collect()
}

fn has_magic(component: &str) -> bool {
    let mut escaped = false;
    for c in component.chars() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '*' | '?' | '[') => return true,
            _ => {}
        }
    }
    false
}

fn unescape(component: &str) -> String {
    let mut out = String::new();
    let mut chars = component.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Logical paths that match `pattern` (absolute; relative patterns match nothing).
fn matches(root: &Root, pattern: &str) -> Vec<PathBuf> {
    if !pattern.starts_with('/') {
        return Vec::new();
    }
    let mut found = vec![PathBuf::from("/")];
    for component in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for dir in &found {
            let Ok(canonical) = root.canonicalize(dir) else {
                continue;
            };
            if has_magic(component) {
                let Ok(entries) = std::fs::read_dir(root.host_path(&canonical)) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if fnmatch(component, &name, MatchFlags::FILE_NAME) {
                        next.push(dir.join(name));
                    }
                }
            } else {
                let name = unescape(component);
                let candidate = canonical.join(&name);
                if std::fs::symlink_metadata(root.host_path(&candidate)).is_ok() {
                    next.push(dir.join(name));
                }
            }
        }
        found = next;
        if found.is_empty() {
            break;
        }
    }
    found
}

/// `GLOB_BRACE`: `a{b,c}d` is `abd` and `acd`, nested braces included. A brace without a
/// top-level comma or without its closing brace is literal.
pub fn expand_braces(pattern: &str) -> Vec<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '{' => {
                if let Some((end, commas)) = closing_brace(&chars, i) {
                    let prefix: String = chars[..i].iter().collect();
                    let suffix: String = chars[end + 1..].iter().collect();
                    let mut bounds = vec![i];
                    bounds.extend(&commas);
                    bounds.push(end);
                    let mut out = Vec::new();
                    for w in bounds.windows(2) {
                        let alternative: String = chars[w[0] + 1..w[1]].iter().collect();
                        out.extend(expand_braces(&format!("{prefix}{alternative}{suffix}")));
                    }
                    return out;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    vec![pattern.to_string()]
}

/// The index of the `}` closing the brace at `open`, and the top-level commas inside.
fn closing_brace(chars: &[char], open: usize) -> Option<(usize, Vec<usize>)> {
    let mut depth = 0;
    let mut commas = Vec::new();
    let mut i = open + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '{' => depth += 1,
            '}' if depth == 0 => return (!commas.is_empty()).then_some((i, commas)),
            '}' => depth -= 1,
            ',' if depth == 0 => commas.push(i),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn braces_expand_like_glob_brace() {
        assert_eq!(expand_braces("/a{b,c}d"), ["/abd", "/acd"]);
        assert_eq!(expand_braces("/{x,y{1,2}}"), ["/x", "/y1", "/y2"]);
        assert_eq!(expand_braces("/a{b}"), ["/a{b}"]);
        assert_eq!(expand_braces("/a{b,"), ["/a{b,"]);
    }

    #[test]
    fn globs_walk_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        fs::create_dir_all(dir.path().join("etc/conf.d")).unwrap();
        fs::write(dir.path().join("etc/conf.d/a.conf"), "").unwrap();
        fs::write(dir.path().join("etc/conf.d/.hidden"), "").unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("link")).unwrap();
        assert!(glob_exists(&root, "/etc/conf.d/*.conf"));
        assert!(glob_exists(&root, "/e?c/*/a.conf"));
        assert!(glob_exists(&root, "/link/conf.d/*.conf"));
        assert!(glob_exists(&root, "/etc/conf.d/{b,a}.conf"));
        assert!(glob_exists(&root, "/etc/conf.d"));
        assert!(!glob_exists(&root, "/etc/conf.d/*.service"));
        assert!(!glob_exists(&root, "/etc/conf.d/*hidden"));
        assert!(glob_exists(&root, "/etc/conf.d/.*"));
        assert!(!glob_exists(&root, "relative/*"));
        assert!(!glob_exists(&root, "/nonexistent/*"));
    }
}
