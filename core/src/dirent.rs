//! The one rule for which directory entries systemd passes over.

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
