//! SysV init scripts (`/etc/init.d/NAME` with no unit file). systemd 252 hands them to
//! `systemd-sysv-install`, which on Debian runs `update-rc.d`; we do the same natively:
//! `enable` creates `/etc/rcN.d/S01NAME` for the LSB `Default-Start:` runlevels and
//! `K01NAME` for `Default-Stop:` (as `update-rc.d NAME defaults` + `enable`), `disable`
//! turns the start links into stop links, and a script is enabled when
//! `/etc/rc[S5].d/S??NAME` exists.

use crate::root::Root;
use std::io;
use std::path::{Path, PathBuf};

pub const INIT_D: &str = "/etc/init.d";

/// The init script for a unit name (`foo.service` → `/etc/init.d/foo`), if there is one.
pub fn script_for(root: &Root, unit: &str) -> Option<PathBuf> {
    let base = unit.strip_suffix(".service")?;
    if base.is_empty() || base.contains('/') || base.contains('@') {
        return None;
    }
    let path = Path::new(INIT_D).join(base);
    let meta = std::fs::metadata(root.host_path(&path)).ok()?;
    meta.is_file().then_some(path)
}

/// `Default-Start:` and `Default-Stop:` runlevels of the LSB header.
pub fn lsb_runlevels(text: &str) -> (Vec<String>, Vec<String>) {
    let mut start = Vec::new();
    let mut stop = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("### BEGIN INIT INFO") {
            inside = true;
            continue;
        }
        if line.starts_with("### END INIT INFO") {
            break;
        }
        if !inside {
            continue;
        }
        let body = line.trim_start_matches('#').trim();
        let words = |v: &str| v.split_whitespace().map(str::to_string).collect();
        if let Some(v) = body.strip_prefix("Default-Start:") {
            start = words(v);
        } else if let Some(v) = body.strip_prefix("Default-Stop:") {
            stop = words(v);
        }
    }
    (start, stop)
}

fn rc_dir(level: &str) -> PathBuf {
    PathBuf::from(format!("/etc/rc{level}.d"))
}

/// Existing `[SK]NNname` links of the script, per runlevel directory.
fn existing_links(root: &Root, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for level in ["0", "1", "2", "3", "4", "5", "6", "S"] {
        let dir = rc_dir(level);
        let Ok(read) = std::fs::read_dir(root.host_path(&dir)) else {
            continue;
        };
        for e in read.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            let is_link = file.len() == name.len() + 3
                && (file.starts_with('S') || file.starts_with('K'))
                && file[1..3].bytes().all(|b| b.is_ascii_digit())
                && file.ends_with(name);
            if is_link {
                out.push(dir.join(file));
            }
        }
    }
    out
}

/// `is-enabled` for a script.
pub fn is_enabled(root: &Root, name: &str) -> bool {
    existing_links(root, name).iter().any(|p| {
        let file = p.file_name().map(|f| f.to_string_lossy().into_owned());
        let dir = p.parent().map(|d| d.to_path_buf());
        file.is_some_and(|f| f.starts_with('S'))
            && dir.is_some_and(|d| d == rc_dir("S") || d == rc_dir("5"))
    })
}

/// `update-rc.d NAME defaults`: creates the links when the script has none yet.
fn defaults(root: &Root, name: &str) -> io::Result<()> {
    if !existing_links(root, name).is_empty() {
        return Ok(());
    }
    let text = std::fs::read_to_string(root.host_path(&Path::new(INIT_D).join(name)))?;
    let (start, stop) = lsb_runlevels(&text);
    let target = format!("../init.d/{name}");
    for (levels, kind) in [(&start, 'S'), (&stop, 'K')] {
        for level in levels {
            let dir = root.host_path(&rc_dir(level));
            std::fs::create_dir_all(&dir)?;
            std::os::unix::fs::symlink(&target, dir.join(format!("{kind}01{name}")))?;
        }
    }
    Ok(())
}

/// `enable` (`true`) or `disable` (`false`) a script: start links in runlevels 2–5 become
/// `S` or `K` links.
pub fn set_enabled(root: &Root, name: &str, enable: bool) -> io::Result<()> {
    defaults(root, name)?;
    let (from, to) = if enable { ('K', 'S') } else { ('S', 'K') };
    for link in existing_links(root, name) {
        let Some(dir) = link.parent() else { continue };
        let in_multiuser = ["2", "3", "4", "5"].iter().any(|l| dir == rc_dir(l));
        let file = link
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !in_multiuser || !file.starts_with(from) {
            continue;
        }
        let renamed = dir.join(format!("{to}{}", &file[1..]));
        std::fs::rename(root.host_path(&link), root.host_path(&renamed))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lsb_runlevels() {
        let text = "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: x\n# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n### END INIT INFO\n";
        let (start, stop) = lsb_runlevels(text);
        assert_eq!(start, ["2", "3", "4", "5"]);
        assert_eq!(stop, ["0", "1", "6"]);
    }

    #[test]
    fn enable_and_disable_flip_start_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        std::fs::create_dir_all(dir.path().join("etc/init.d")).unwrap();
        std::fs::write(
            dir.path().join("etc/init.d/sv"),
            "### BEGIN INIT INFO\n# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n### END INIT INFO\n",
        )
        .unwrap();
        assert!(script_for(&root, "sv.service").is_some());
        assert!(!is_enabled(&root, "sv"));
        set_enabled(&root, "sv", true).unwrap();
        assert!(is_enabled(&root, "sv"));
        assert_eq!(
            std::fs::read_link(dir.path().join("etc/rc2.d/S01sv")).unwrap(),
            Path::new("../init.d/sv")
        );
        assert!(dir
            .path()
            .join("etc/rc0.d/K01sv")
            .symlink_metadata()
            .is_ok());
        set_enabled(&root, "sv", false).unwrap();
        assert!(!is_enabled(&root, "sv"));
        assert!(dir
            .path()
            .join("etc/rc5.d/K01sv")
            .symlink_metadata()
            .is_ok());
    }
}
