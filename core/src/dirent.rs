//! Directory listings as systemd reads them: the one rule for which entries it passes
//! over, and the one drop-in lookup (`conf_files_list_strv()`).

use crate::root::Root;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// systemd's `conf_files_list_strv()`: the files ending in `suffix` (any, with `None`) of
/// the logical directories `dirs`, highest precedence first. A file name found in several
/// directories is taken from the first; the result is sorted by file name. Directories are
/// followed through symlinks inside `root`; hidden and backup files are skipped.
pub fn conf_files(root: &Root, dirs: &[impl AsRef<Path>], suffix: Option<&str>) -> Vec<PathBuf> {
    let mut files: BTreeMap<String, PathBuf> = BTreeMap::new();
    for dir in dirs {
        let dir = dir.as_ref();
        let real = root.canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let Ok(read) = std::fs::read_dir(root.host_path(&real)) else {
            continue;
        };
        for entry in read.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if hidden_or_backup(&name) || suffix.is_some_and(|s| !name.ends_with(s)) {
                continue;
            }
            files.entry(name.clone()).or_insert_with(|| dir.join(name));
        }
    }
    files.into_values().collect()
}

/// systemd's `hidden_or_backup_file()`: what directory listings skip (unit directories,
/// drop-ins, presets) and what `DirectoryNotEmpty=` does not count.
pub fn hidden_or_backup(name: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "rpmnew",
        "rpmsave",
        "rpmorig",
        "dpkg-old",
        "dpkg-new",
        "dpkg-tmp",
        "dpkg-dist",
        "dpkg-bak",
        "dpkg-backup",
        "dpkg-remove",
        "ucf-new",
        "ucf-old",
        "ucf-dist",
        "swp",
        "bak",
        "old",
        "new",
    ];
    name.starts_with('.')
        || matches!(name, "lost+found" | "aquota.user" | "aquota.group")
        || name.ends_with('~')
        || name
            .rsplit_once('.')
            .is_some_and(|(_, ext)| SUFFIXES.contains(&ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_directory_wins_and_names_sort() {
        let tmp = tempfile::tempdir().unwrap();
        let root = Root::new(tmp.path());
        for (dir, name) in [
            ("etc/d", "b.conf"),
            ("usr/d", "b.conf"),
            ("usr/d", "a.conf"),
        ] {
            std::fs::create_dir_all(tmp.path().join(dir)).unwrap();
            std::fs::write(tmp.path().join(dir).join(name), "").unwrap();
        }
        std::fs::write(tmp.path().join("etc/d/.c.conf"), "").unwrap();
        std::fs::write(tmp.path().join("etc/d/c.conf.bak"), "").unwrap();
        std::fs::write(tmp.path().join("etc/d/c.txt"), "").unwrap();
        let found = conf_files(&root, &["/etc/d", "/run/d", "/usr/d"], Some(".conf"));
        assert_eq!(
            found,
            [
                PathBuf::from("/usr/d/a.conf"),
                PathBuf::from("/etc/d/b.conf")
            ]
        );
        assert_eq!(conf_files(&root, &["/etc/d"], None).len(), 2);
    }

    #[test]
    fn backup_and_hidden_files_do_not_count() {
        for name in [
            ".x",
            "a~",
            "a.rpmnew",
            "aquota.user",
            "b.ucf-dist",
            "c.bak",
            "a.dpkg-old",
            "lost+found",
            "x.swp",
        ] {
            assert!(hidden_or_backup(name), "{name}");
        }
        for name in ["a", "a.conf", "rpmnew"] {
            assert!(!hidden_or_backup(name), "{name}");
        }
    }
}
