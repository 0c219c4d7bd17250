//! `--remove` (`r R D`) and `--clean` (ages: 252's `clean_item()` and `dir_cleanup()`).

use super::create::{fail, glob, m};
use super::parse::{AGE_BY_ATIME, AGE_BY_BTIME, AGE_BY_CTIME, AGE_BY_MTIME};
use super::{Item, Items, Kind, Options};
use crate::glob::{fnmatch, MatchFlags};
use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MAX_DEPTH: u32 = 256;

/// `fnmatch(pattern, path, FNM_PATHNAME|FNM_PERIOD)`: component by component.
pub fn fnmatch_path(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let t: Vec<&str> = path.split('/').collect();
    p.len() == t.len()
        && p.iter()
            .zip(&t)
            .all(|(a, b)| fnmatch(a, b, MatchFlags::FILE_NAME))
}

/// `rm_rf()`: the tree below `path` (and `path` itself with `remove_root`), staying on
/// its file system.
pub fn rm_rf(path: &Path, remove_root: bool) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.is_dir() {
        remove_children(path, meta.dev())?;
        if remove_root {
            fs::remove_dir(path)?;
        }
        Ok(())
    } else if remove_root {
        fs::remove_file(path)
    } else {
        Err(io::Error::from_raw_os_error(libc::ENOTDIR))
    }
}

fn remove_children(dir: &Path, dev: u64) -> io::Result<()> {
    let mut first_error = None;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let r = if meta.is_dir() {
            if meta.dev() != dev {
                continue;
            }
            remove_children(&path, dev).and_then(|_| fs::remove_dir(&path))
        } else {
            fs::remove_file(&path)
        };
        if let Err(e) = r {
            if e.kind() != io::ErrorKind::NotFound {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// `remove_item()`: `D` empties its directory, `r` removes (an empty directory too), `R`
/// removes recursively.
pub fn remove_item(item: &Item, _opts: &Options) -> bool {
    match item.kind {
        Kind::TruncateDirectory => match rm_rf(Path::new(&item.path), false) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => true,
            Err(e) => fail(format!("rm_rf({}): {}", item.path, m(&e))),
        },
        Kind::RemovePath => glob(item).iter().fold(true, |ok, p| {
            let r = match fs::symlink_metadata(p) {
                Ok(meta) if meta.is_dir() => fs::remove_dir(p),
                Ok(_) => fs::remove_file(p),
                Err(e) => Err(e),
            };
            match r {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    fail(format!("rm({}): {}", p.display(), m(&e))) && ok
                }
                _ => ok,
            }
        }),
        Kind::RecursiveRemovePath => glob(item).iter().fold(true, |ok, p| match rm_rf(p, true) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                fail(format!("rm_rf({}): {}", p.display(), m(&e))) && ok
            }
            _ => ok,
        }),
        _ => true,
    }
}

/// `clean_item()`: the lines whose age cleans a directory.
pub fn clean_item(item: &Item, items: &Items, _opts: &Options) -> bool {
    use Kind::*;
    match item.kind {
        CreateDirectory
        | CreateSubvolume
        | CreateSubvolumeInheritQuota
        | CreateSubvolumeNewQuota
        | TruncateDirectory
        | IgnorePath
        | CopyFiles => {
            clean_instance(item, Path::new(&item.path), items);
            true
        }
        EmptyDirectory | IgnoreDirectoryPath => {
            glob(item)
                .iter()
                .filter(|p| !clean_instance(item, p, items))
                .count()
                == 0
        }
        _ => true,
    }
}

fn nanos(t: io::Result<SystemTime>) -> Option<u128> {
    t.ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
}

struct Times {
    atime: Option<u128>,
    btime: Option<u128>,
    ctime: Option<u128>,
    mtime: Option<u128>,
}

fn times(meta: &fs::Metadata) -> Times {
    let ts = |s: i64, ns: i64| (s >= 0).then(|| s as u128 * 1_000_000_000 + ns as u128);
    Times {
        atime: ts(meta.atime(), meta.atime_nsec()),
        btime: nanos(meta.created()),
        ctime: ts(meta.ctime(), meta.ctime_nsec()),
        mtime: ts(meta.mtime(), meta.mtime_nsec()),
    }
}

/// `needs_cleanup()`: old by every timestamp the line's age-by asks about.
fn needs_cleanup(t: &Times, cutoff: u128, age_by: u8) -> bool {
    let too_new = |bit: u8, v: Option<u128>| age_by & bit != 0 && v.is_some_and(|v| v >= cutoff);
    !(too_new(AGE_BY_MTIME, t.mtime)
        || too_new(AGE_BY_ATIME, t.atime)
        || too_new(AGE_BY_CTIME, t.ctime)
        || too_new(AGE_BY_BTIME, t.btime))
}

/// The sockets some process listens on (`/proc/net/unix`): they are never cleaned.
fn live_sockets() -> Option<Vec<String>> {
    let text = fs::read_to_string("/proc/net/unix").ok()?;
    Some(
        text.lines()
            .skip(1)
            .filter_map(|l| l.split_whitespace().nth(7))
            .filter(|p| p.starts_with('/'))
            .map(str::to_string)
            .collect(),
    )
}

fn clean_instance(item: &Item, dir: &Path, items: &Items) -> bool {
    let Some(age) = item.age else {
        return true;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_micros() as u64;
    if now < age {
        return true;
    }
    let cutoff = (now - age) as u128 * 1000;
    let meta = match fs::metadata(dir) {
        Ok(m) if m.is_dir() => m,
        Ok(_) => return true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return true,
        Err(e) => {
            return fail(format!(
                "Failed to open directory {}: {}",
                dir.display(),
                m(&e)
            ))
        }
    };
    let parent = fs::symlink_metadata(dir.join("..")).ok();
    let mountpoint = parent.is_some_and(|p| p.dev() != meta.dev() || p.ino() == meta.ino());
    let mut cleaner = Cleaner {
        item,
        items,
        cutoff,
        dev: meta.dev(),
        sockets: None,
    };
    cleaner.dir(dir, &meta, mountpoint, MAX_DEPTH, item.keep_first_level)
}

struct Cleaner<'a> {
    item: &'a Item,
    items: &'a Items,
    cutoff: u128,
    dev: u64,
    sockets: Option<Option<Vec<String>>>,
}

impl Cleaner<'_> {
    fn socket_alive(&mut self, path: &str) -> bool {
        match self.sockets.get_or_insert_with(live_sockets) {
            Some(list) => list.iter().any(|s| s == path),
            None => true,
        }
    }

    /// `dir_cleanup()`.
    fn dir(
        &mut self,
        dir: &Path,
        self_meta: &fs::Metadata,
        mountpoint: bool,
        depth: u32,
        keep: bool,
    ) -> bool {
        let Ok(entries) = fs::read_dir(dir) else {
            return true;
        };
        let mut deleted = false;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let sub = dir.join(&name);
            let sub_text = sub.to_string_lossy().into_owned();
            let Ok(meta) = fs::symlink_metadata(&sub) else {
                continue;
            };
            if meta.dev() != self.dev {
                continue;
            }
            if self.items.has_plain(&sub_text) || self.items.glob_matches(&sub_text) {
                continue;
            }
            let t = times(&meta);
            if meta.is_dir() {
                if mountpoint && name == "lost+found" && meta.uid() == 0 {
                    continue;
                }
                if depth == 0 {
                    eprintln!("Reached max depth on \"{sub_text}\".");
                } else {
                    self.dir(&sub, &meta, false, depth - 1, false);
                }
                if keep || !needs_cleanup(&t, self.cutoff, self.item.age_by_dir) {
                    continue;
                }
                if let Err(e) = fs::remove_dir(&sub) {
                    if !matches!(e.raw_os_error(), Some(libc::ENOENT) | Some(libc::ENOTEMPTY)) {
                        eprintln!(
                            "Failed to remove directory \"{sub_text}\", ignoring: {}",
                            m(&e)
                        );
                    }
                }
            } else {
                let ft = meta.file_type();
                if meta.mode() & libc::S_ISVTX != 0 {
                    continue;
                }
                if mountpoint
                    && ft.is_file()
                    && meta.uid() == 0
                    && matches!(name.as_str(), ".journal" | "aquota.user" | "aquota.group")
                {
                    continue;
                }
                if ft.is_socket() && self.socket_alive(&sub_text) {
                    continue;
                }
                if ft.is_char_device() || ft.is_block_device() {
                    continue;
                }
                if keep || !needs_cleanup(&t, self.cutoff, self.item.age_by_file) {
                    continue;
                }
                if let Err(e) = fs::remove_file(&sub) {
                    if e.kind() != io::ErrorKind::NotFound {
                        eprintln!("Failed to remove \"{sub_text}\", ignoring: {}", m(&e));
                    }
                }
                deleted = true;
            }
        }
        if deleted {
            // Restore the directory's own timestamps, as 252 does.
            let restore = || -> io::Result<()> {
                let times = fs::FileTimes::new()
                    .set_accessed(self_meta.accessed()?)
                    .set_modified(self_meta.modified()?);
                fs::File::open(dir)?.set_times(times)
            };
            if let Err(e) = restore() {
                eprintln!(
                    "Failed to revert timestamps of '{}', ignoring: {}",
                    dir.display(),
                    m(&e)
                );
            }
        }
        true
    }
}
