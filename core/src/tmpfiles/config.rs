//! Where tmpfiles.d files come from (252's `read_config_files()`, `search_and_fopen()`,
//! `conf_files_list_with_replacement()`, `cat_config()`), through core's one drop-in lookup.

use super::parse::{self, LineContext};
use super::{Items, Kind, Options, Outcome};
use crate::dirent::conf_files;
use crate::users::UserDb;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The configuration directories, highest precedence first (`CONF_PATHS("tmpfiles.d")` of
/// Debian's split-usr build, or `user_config_paths()` with `--user`).
pub fn config_dirs(opts: &Options) -> Vec<PathBuf> {
    if !opts.user {
        return [
            "/etc/tmpfiles.d",
            "/run/tmpfiles.d",
            "/usr/local/lib/tmpfiles.d",
            "/usr/lib/tmpfiles.d",
            "/lib/tmpfiles.d",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
    }
    let env = |v: &str| std::env::var(v).ok().filter(|s| !s.is_empty());
    let home = PathBuf::from(env("HOME").unwrap_or_else(|| "/".into()));
    let list = |v: &str, default: &str| -> Vec<PathBuf> {
        env(v)
            .unwrap_or_else(|| default.into())
            .split(':')
            .filter(|s| s.starts_with('/'))
            .map(|s| Path::new(s).join("user-tmpfiles.d"))
            .collect()
    };
    let mut dirs = list("XDG_CONFIG_DIRS", "/etc/xdg");
    let config = env("XDG_CONFIG_HOME").map_or_else(|| home.join(".config"), PathBuf::from);
    dirs.push(config.join("user-tmpfiles.d"));
    if let Some(runtime) = env("XDG_RUNTIME_DIR") {
        dirs.push(Path::new(&runtime).join("user-tmpfiles.d"));
    }
    let data = env("XDG_DATA_HOME").map_or_else(|| home.join(".local/share"), PathBuf::from);
    dirs.push(data.join("user-tmpfiles.d"));
    dirs.extend(list("XDG_DATA_DIRS", "/usr/local/share:/usr/share"));
    dirs
}

/// The files of the configuration directories; with `--replace=PATH`, PATH takes the place
/// of the file of the same name (and is returned as the replaced position).
fn listed_files(opts: &Options) -> (Vec<PathBuf>, Option<PathBuf>) {
    let dirs = config_dirs(opts);
    let mut files = conf_files(&opts.root, &dirs, Some(".conf"));
    let Some(replace) = opts.replace.as_deref().map(PathBuf::from) else {
        return (files, None);
    };
    let name = replace.file_name().map(|n| n.to_os_string());
    match files
        .iter()
        .position(|f| f.file_name().map(|n| n.to_os_string()) == name)
    {
        Some(at) => {
            // Only a file of higher or equal precedence than the one found replaces it.
            let found_dir = files[at].parent().map(Path::to_path_buf);
            let rank = |d: Option<&Path>| dirs.iter().position(|x| Some(x.as_path()) == d);
            if rank(replace.parent()).unwrap_or(usize::MAX)
                <= rank(found_dir.as_deref()).unwrap_or(usize::MAX)
            {
                files[at] = replace.clone();
            }
        }
        None => {
            files.push(replace.clone());
            files.sort_by_key(|f| f.file_name().map(|n| n.to_os_string()));
        }
    }
    (files, Some(replace))
}

/// `--cat-config`: each file with a `# PATH` header, a blank line between files.
pub fn cat_config(opts: &Options) -> String {
    let (files, _) = listed_files(opts);
    let mut out = String::new();
    for (n, file) in files.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let host = opts.root.host_path(file);
        out.push_str(&format!("# {}\n", host.display()));
        let text = std::fs::read_to_string(&host).unwrap_or_default();
        out.push_str(&text);
        if !text.is_empty() && !text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Reads the configuration: every listed file, or only `args` (with `--replace`, `args`
/// at the replaced file's place).
pub fn read_all(opts: &Options, args: &[String], items: &mut Items, outcome: &mut Outcome) {
    // With --root, 252 reads the root's files only; without, it asks NSS (for us: the
    // host's files with root and nobody built in).
    let db = if opts.root.is_host() {
        UserDb::load(&opts.root)
    } else {
        UserDb::load_files(&opts.root)
    };
    if opts.replace.is_some() || args.is_empty() {
        let (files, replaced) = listed_files(opts);
        for file in files {
            if replaced.as_deref() == Some(file.as_path()) {
                if !read_args(opts, args, &db, items, outcome) {
                    return;
                }
            } else {
                let host = opts.root.host_path(&file);
                read_file(opts, &host, &db, items, outcome);
            }
        }
    } else {
        read_args(opts, args, &db, items, outcome);
    }
    inherit_ages(items);
}

/// Files named on the command line: `-` is stdin, a name with a slash is opened as given,
/// a bare name is searched in the configuration directories (inside `--root`).
fn read_args(
    opts: &Options,
    args: &[String],
    db: &UserDb,
    items: &mut Items,
    outcome: &mut Outcome,
) -> bool {
    for arg in args {
        let first_error = if arg == "-" {
            let mut text = String::new();
            let _ = std::io::stdin().read_to_string(&mut text);
            parse_text(opts, "<stdin>", &text, db, items, outcome)
        } else {
            let host = if arg.contains('/') {
                Some(PathBuf::from(arg))
            } else {
                config_dirs(opts)
                    .iter()
                    .map(|d| opts.root.host_path(&d.join(arg)))
                    .find(|p| p.exists())
            };
            match host.map(|h| (std::fs::read(&h), h)) {
                Some((Ok(bytes), h)) => parse_text(
                    opts,
                    &h.to_string_lossy(),
                    &String::from_utf8_lossy(&bytes),
                    db,
                    items,
                    outcome,
                ),
                Some((Err(e), _)) => {
                    eprintln!(
                        "Failed to open '{arg}': {}",
                        crate::error::os_error_text(&e)
                    );
                    true
                }
                None => {
                    eprintln!("Failed to open '{arg}': No such file or directory");
                    true
                }
            }
        };
        if first_error {
            outcome.fatal = true;
            return false;
        }
    }
    true
}

fn read_file(opts: &Options, host: &Path, db: &UserDb, items: &mut Items, outcome: &mut Outcome) {
    if let Ok(bytes) = std::fs::read(host) {
        let name = host.to_string_lossy();
        parse_text(
            opts,
            &name,
            &String::from_utf8_lossy(&bytes),
            db,
            items,
            outcome,
        );
    }
}

/// Parses every line; returns whether a line failed without being invalid (252 returns
/// that first error for files named on the command line).
fn parse_text(
    opts: &Options,
    name: &str,
    text: &str,
    db: &UserDb,
    items: &mut Items,
    outcome: &mut Outcome,
) -> bool {
    let mut other_error = false;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let ctx = LineContext {
            opts,
            db,
            location: format!("{name}:{}", n + 1),
        };
        match parse::parse_line(&ctx, line) {
            Ok(Some(item)) => {
                let path = item.path.clone();
                if !items.add(item) {
                    eprintln!(
                        "{}: Duplicate line for path \"{path}\", ignoring.",
                        ctx.location
                    );
                }
            }
            Ok(None) => {}
            Err(e) if e.message.is_empty() => outcome.invalid_config |= e.invalid,
            Err(e) => {
                eprintln!("{}: {}", ctx.location, e.message);
                if e.invalid {
                    outcome.invalid_config = true;
                } else {
                    other_error = true;
                }
            }
        }
    }
    other_error
}

/// `X` lines take the age of the closest `d`-like line at or above their path.
fn inherit_ages(items: &mut Items) {
    let dirs: Vec<(String, Option<u64>)> = items
        .plain
        .iter()
        .flat_map(|a| &a.items)
        .filter(|i| i.kind.is_directory_like())
        .map(|i| (i.path.clone(), i.age))
        .collect();
    for item in items.globs.iter_mut().flat_map(|a| a.items.iter_mut()) {
        if item.kind != Kind::IgnoreDirectoryPath {
            continue;
        }
        let mut candidate: Option<&(String, Option<u64>)> = None;
        for d in &dirs {
            if d.0 == item.path {
                candidate = Some(d);
                break;
            }
            let better = match candidate {
                Some(c) => {
                    parse::path_starts_with(&d.0, &c.0)
                        && super::clean::fnmatch_path(&item.path, &d.0)
                }
                None => parse::path_starts_with(&item.path, &d.0),
            };
            if better {
                candidate = Some(d);
            }
        }
        if let Some((_, Some(age))) = candidate {
            item.age = Some(*age);
        }
    }
}
